"""Reports about a round's applicants: where they come from, the cap, the list, partnerships by country.

Everything is aggregated in SQL for one round at a time, so the Applicants page costs the same for a
sample round as for a round of tens of thousands of applications; lists come a page at a time.

Two kinds of function, as :mod:`workbench.access` asks: the aggregates (:func:`applicant_countries`,
:func:`round_admission`, :func:`partnership_flows`, :func:`published_rounds`: counts per country, no
person) take no user; the list of people (:func:`applicant_list`: names and emails) takes the signed-in
user ``by``, needs ``Action.VIEW_PERSONAL`` and is limited to a country coordinator's countries.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from workbench.access import Action, User, country_scope, require
from workbench.applications.admission import CAP_REASON_PATTERN, cap_limit
from workbench.applications.round import OPEN_STATUSES
from workbench.countries import country_name
from workbench.db import Connection

#: The round's applications with ``is_returning`` (the person applied to an earlier round), filtered.
_FILTERED = """
WITH round_apps AS (
    SELECT a.*, r.seq FROM applications AS a JOIN rounds AS r USING (round_id) WHERE a.round_id = $round_id
),
earlier AS (
    SELECT DISTINCT a.person_id FROM applications AS a JOIN rounds AS r USING (round_id)
    WHERE r.seq < (SELECT seq FROM rounds WHERE round_id = $round_id)
        AND a.person_id IN (SELECT person_id FROM round_apps)
),
apps AS (
    SELECT ra.*, e.person_id IS NOT NULL AS is_returning
    FROM round_apps AS ra LEFT JOIN earlier AS e USING (person_id)
),
picked AS (
    SELECT * FROM apps
    WHERE ($sectors::VARCHAR[] IS NULL OR list_contains($sectors::VARCHAR[], sector))
        AND ($stages::VARCHAR[] IS NULL OR list_contains($stages::VARCHAR[], career_stage))
        AND ($statuses::VARCHAR[] IS NULL OR list_contains($statuses::VARCHAR[], status))
        AND ($returning::BOOLEAN IS NULL OR is_returning = $returning::BOOLEAN)
)
"""


def _params(round_id: str, sectors: Sequence[str] | None, career_stages: Sequence[str] | None,
            statuses: Sequence[str] | None, returning: bool | None) -> dict[str, Any]:
    """Filters: an empty or missing list means no filter; ``returning`` None means new and returning."""
    return {
        "round_id": round_id,
        "sectors": list(sectors) if sectors else None,
        "stages": list(career_stages) if career_stages else None,
        "statuses": list(statuses) if statuses else None,
        "returning": returning,
    }


@functools.cache
def _centroids() -> pd.DataFrame:
    with resources.files("workbench").joinpath("data", "country_centroids.csv").open("rb") as handle:
        frame = pd.read_csv(handle, keep_default_na=False, dtype={"iso3": str, "source": str})
    frame["in_map"] = frame["in_map"].astype(str).str.lower().eq("true")
    return frame


def country_centroids() -> pd.DataFrame:
    """A point per country (iso3, lon, lat, source, in_map): ``workbench/data/country_centroids.csv``,
    derived from the vendored map by ``scripts/vendor_map.py``. ``in_map`` is False for the small states
    the 1:110m map does not draw as a shape."""
    return _centroids().copy()


def applicant_countries(con: Connection, *, round_id: str, sectors: Sequence[str] | None = None,
                        career_stages: Sequence[str] | None = None, statuses: Sequence[str] | None = None,
                        returning: bool | None = None) -> pd.DataFrame:
    """Per country of the round's applicants: the filtered applicants by status, returning, their share
    of the filtered total, and (unfiltered) the country's live applications, the cap and whether the
    country is at it. With the country's map point (lon, lat, in_map). Largest first.
    """
    sql = _FILTERED + """
    , by_country AS (
        SELECT country_iso3,
            count(*) FILTER (WHERE status <> 'withdrawn') AS live,
            count(*) FILTER (WHERE status = 'waitlisted' AND regexp_matches(coalesce(status_reason, ''),
                $cap_reason)) AS waitlisted_by_cap
        FROM apps GROUP BY country_iso3
    ),
    shown AS (
        SELECT country_iso3, count(*) AS applicants,
            count(*) FILTER (WHERE status = 'accepted') AS accepted,
            count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted,
            count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
            count(*) FILTER (WHERE status = 'received') AS received,
            count(*) FILTER (WHERE is_returning) AS returning
        FROM picked GROUP BY country_iso3
    ),
    totals AS (SELECT sum(live) AS live FROM by_country)
    SELECT b.country_iso3, c.name AS country, c.continent,
        coalesce(s.applicants, 0) AS applicants, coalesce(s.accepted, 0) AS accepted,
        coalesce(s.waitlisted, 0) AS waitlisted, coalesce(s.withdrawn, 0) AS withdrawn,
        coalesce(s.received, 0) AS received, coalesce(s.returning, 0) AS returning,
        b.live AS round_applications, b.waitlisted_by_cap, t.live AS round_live, r.country_cap
    FROM by_country AS b
    JOIN countries AS c ON c.iso3 = b.country_iso3
    JOIN rounds AS r ON r.round_id = $round_id
    CROSS JOIN totals AS t
    LEFT JOIN shown AS s USING (country_iso3)
    ORDER BY applicants DESC, b.live DESC, b.country_iso3
    """
    frame = con.execute(sql, _params(round_id, sectors, career_stages, statuses, returning)
                        | {"cap_reason": CAP_REASON_PATTERN}).df()
    total = int(frame["applicants"].sum()) if len(frame) else 0
    frame["share"] = frame["applicants"] / total if total else 0.0
    live = int(frame["round_live"].iloc[0]) if len(frame) else 0
    cap = float(frame["country_cap"].iloc[0]) if len(frame) else 0.2
    frame["cap"] = cap_limit(con, cap, live) if live else 0
    frame["is_at_cap"] = (frame["round_applications"] >= frame["cap"]) & (frame["cap"] > 0) & (live > 0)
    frame = frame.drop(columns=["round_live", "country_cap"])
    points = _centroids()[["iso3", "lon", "lat", "in_map"]].rename(columns={"iso3": "country_iso3"})
    frame = frame.merge(points, on="country_iso3", how="left")
    frame["in_map"] = frame["in_map"].fillna(False).astype(bool)
    return frame


@dataclass(frozen=True)
class ApplicantPage:
    """One page of a list of applicants: ``rows`` from ``offset``, of ``total``."""

    rows: pd.DataFrame
    total: int
    offset: int
    limit: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))


def applicant_list(con: Connection, *, by: User, round_id: str, country_iso3: str | None = None,
                   sectors: Sequence[str] | None = None, career_stages: Sequence[str] | None = None,
                   statuses: Sequence[str] | None = None, returning: bool | None = None,
                   limit: int = 50, offset: int = 0) -> ApplicantPage:
    """The round's applicants (of one country, or all ``by`` may see), filtered, earliest first, a page at
    a time, with their names and emails.

    ``by`` must be allowed to see personal data (:class:`~workbench.access.NotAllowed` otherwise). A country
    coordinator gets only their countries' applicants: without ``country_iso3`` the list holds all of their
    countries; another country is refused, saying it is outside their countries.
    """
    if country_iso3 is None:
        require(by, Action.VIEW_PERSONAL)
    else:
        require(by, Action.VIEW_PERSONAL, countries=[country_iso3],
                what=f"The list of applicants from {country_name(country_iso3)}")
    scope = country_scope(by)
    params = _params(round_id, sectors, career_stages, statuses, returning) | {
        "country": country_iso3, "scope": None if scope is None else list(scope)}
    where = ("WHERE ($country::VARCHAR IS NULL OR p.country_iso3 = $country::VARCHAR) "
             "AND ($scope::VARCHAR[] IS NULL OR list_contains($scope::VARCHAR[], p.country_iso3))")
    (total,) = con.execute(_FILTERED + f"SELECT count(*) FROM picked AS p {where}", params).fetchone()  # type: ignore[misc]
    rows = con.execute(
        _FILTERED + f"""
        SELECT p.application_id, p.name, p.email, p.country_iso3, c.name AS country, p.sector, p.career_stage,
            p.submitted_at, p.status, p.status_reason, p.is_returning, p.source, p.version
        FROM picked AS p JOIN countries AS c ON c.iso3 = p.country_iso3
        {where}
        ORDER BY p.submitted_at, p.application_id
        LIMIT $limit OFFSET $offset
        """,
        params | {"limit": int(limit), "offset": int(offset)},
    ).df()
    return ApplicantPage(rows, int(total), int(offset), int(limit))


@dataclass(frozen=True)
class RoundAdmission:
    """A round's admission at a glance."""

    round_id: str
    label: str
    status: str
    version: int
    country_cap: float
    applications: int
    live: int
    accepted: int
    waitlisted: int
    withdrawn: int
    received: int
    countries: int
    cap: int
    capped_countries: tuple[str, ...]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES  # the one home: workbench.applications.round


def round_admission(con: Connection, round_id: str) -> RoundAdmission:
    """Applications by status, the cap as a count, and the countries at the cap, for one round."""
    row = con.execute(
        """
        SELECT r.round_id, r.label, r.status, r.version, r.country_cap, count(a.application_id),
            count(*) FILTER (WHERE a.status <> 'withdrawn'), count(*) FILTER (WHERE a.status = 'accepted'),
            count(*) FILTER (WHERE a.status = 'waitlisted'), count(*) FILTER (WHERE a.status = 'withdrawn'),
            count(*) FILTER (WHERE a.status = 'received'), count(DISTINCT a.country_iso3)
        FROM rounds AS r LEFT JOIN applications AS a USING (round_id)
        WHERE r.round_id = ? GROUP BY ALL
        """,
        [round_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no round {round_id!r}")
    live, cap_share = int(row[6]), float(row[4])
    cap = cap_limit(con, cap_share, live) if live else 0
    capped = con.execute(
        "SELECT country_iso3 FROM applications WHERE round_id = ? AND status <> 'withdrawn' "
        "GROUP BY country_iso3 HAVING count(*) >= ? ORDER BY count(*) DESC, country_iso3",
        [round_id, cap],
    ).fetchall() if cap else []
    return RoundAdmission(str(row[0]), str(row[1]), str(row[2]), int(row[3]), cap_share, int(row[5]), live,
                          int(row[7]), int(row[8]), int(row[9]), int(row[10]), int(row[11]), cap,
                          tuple(str(c[0]) for c in capped))


def published_rounds(con: Connection) -> pd.DataFrame:
    """Rounds with a published matching (round_id, label), in order."""
    return con.execute(
        "SELECT round_id, label FROM round_summary WHERE participants > 0 ORDER BY seq"
    ).df()


def partnership_flows(con: Connection, *, round_id: str) -> pd.DataFrame:
    """The ``country_flows`` view for one round, with both countries' map points (lon_a, lat_a, lon_b, lat_b)."""
    frame = con.execute(
        "SELECT country_a, country_b, country_a_name, country_b_name, partnerships FROM country_flows "
        "WHERE round_id = ? ORDER BY partnerships DESC, country_a, country_b",
        [round_id],
    ).df()
    points = _centroids().set_index("iso3")
    for side in ("a", "b"):
        frame[f"lon_{side}"] = frame[f"country_{side}"].map(points["lon"])
        frame[f"lat_{side}"] = frame[f"country_{side}"].map(points["lat"])
    return frame
