"""Reports for following a round: topics and their uptake, communication, partnership health, the
intervention queue and the people a re-match can draw on.

Aggregate reports (counts and shares) take a ``countries`` filter: partnerships with a member in those
countries; ``None`` means every country. Reports that name participants, show their contact details,
check-in answers or case notes take the signed-in user (``by``), refuse roles that may not see personal
data (:data:`workbench.access.Action.VIEW_PERSONAL`) and limit a country coordinator to the partnerships
with a member in their countries, whose other members show by name and country only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from workbench.access import ROLES, RULES, Action, User, country_scope, redact_outside, require
from workbench.db import Connection
from workbench.followup.health import FLAG_REASONS
from workbench.followup.interventions import OPEN_CASE_STATUSES, partnership_countries
from workbench.followup.rematch import candidates as rematch_candidates
from workbench.followup.rematch import stranded as stranded_participants
from workbench.followup.rematch import waitlist

__all__ = [
    "HealthSummary",
    "case_checkins",
    "communication_across_rounds",
    "communication_by_timezone",
    "communication_methods",
    "coordinator_scope",
    "coordinators",
    "health_summary",
    "intervention_queue",
    "partnership_health",
    "partnership_members",
    "rematch_candidates",
    "round_topics",
    "stranded_participants",
    "topic_discussion",
    "topic_use_by_round",
    "waitlist",
]


def _countries(countries: Sequence[str] | None) -> list[str] | None:
    return None if countries is None else list(countries)


def coordinators(con: Connection) -> pd.DataFrame:
    """Who works the cases, and how many: per active account whose role may work cases, its id, name,
    role, countries, and its open and closed cases. No account details (emails, sign-ins): the accounts
    themselves are for directors (:func:`workbench.accounts.list_users`)."""
    return con.execute(
        """SELECT c.coordinator_id, c.name, c.role, c.countries,
               count(i.intervention_id) FILTER (WHERE i.status IN ('open', 'contacted')) AS open_cases,
               count(i.intervention_id) FILTER (WHERE i.status IN ('resolved', 'rematched', 'ended')) AS closed_cases
           FROM coordinators AS c LEFT JOIN interventions AS i ON i.coordinator_id = c.coordinator_id
           WHERE c.is_active AND list_contains($roles, c.role)
           GROUP BY c.coordinator_id, c.name, c.role, c.countries
           ORDER BY list_position($roles, c.role), c.name""",
        {"roles": [role for role in ROLES if role in RULES[Action.CASES]]}).df()


def coordinator_scope(user: User) -> str:
    """The countries ``user``'s follow-up covers, in words: "all countries" or "NGA, GHA, CMR"."""
    scope = country_scope(user)
    return "all countries" if scope is None else ", ".join(scope) or "no country"


def round_topics(con: Connection, round_id: str) -> pd.DataFrame:
    """A round's topics in order: id, number, title, text, send date and version."""
    return con.execute("SELECT topic_id, seq, title, body, send_on, version FROM topics WHERE round_id = ? "
                       "ORDER BY seq", [round_id]).df()


def topic_discussion(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``topic_discussion`` view: per topic, the share of partnerships and of check-in respondents
    who discussed it."""
    if round_id is None:
        return con.execute("FROM topic_discussion ORDER BY round_seq, topic_seq").df()
    return con.execute("FROM topic_discussion WHERE round_id = ? ORDER BY topic_seq", [round_id]).df()


def topic_use_by_round(con: Connection) -> pd.DataFrame:
    """Per round: survey respondents who used the topics at all (``topic_uptake``), and the share of
    partnerships whose check-ins name at least one topic."""
    return con.execute(
        """
        WITH used AS (
            SELECT DISTINCT round_id, round_seq, respondents, respondents_used_topics, share_used_topics
            FROM topic_uptake WHERE respondents > 0
        ),
        pairs AS (
            SELECT round_id, count(DISTINCT partnership_id) AS partnerships FROM participants GROUP BY round_id
        ),
        any_topic AS (
            SELECT round_id, count(DISTINCT partnership_id) AS partnerships_with_topics
            FROM checkins WHERE len(topics_discussed) > 0 GROUP BY round_id
        )
        SELECT u.round_id, r.label, u.round_seq, u.respondents, u.respondents_used_topics, u.share_used_topics,
            pairs.partnerships, coalesce(a.partnerships_with_topics, 0) AS partnerships_with_topics,
            round(coalesce(a.partnerships_with_topics, 0) / pairs.partnerships, 4) AS share_partnerships_with_topics
        FROM used AS u JOIN rounds AS r ON r.round_id = u.round_id
        JOIN pairs ON pairs.round_id = u.round_id
        LEFT JOIN any_topic AS a ON a.round_id = u.round_id
        ORDER BY u.round_seq
        """).df()


def communication_methods(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``communication_methods`` view (with the round's label)."""
    sql = ("SELECT c.*, r.label FROM communication_methods AS c JOIN rounds AS r ON r.round_id = c.round_id "
           "{where} ORDER BY c.round_seq, c.method_seq")
    if round_id is None:
        return con.execute(sql.format(where="")).df()
    return con.execute(sql.format(where="WHERE c.round_id = ?"), [round_id]).df()


def communication_across_rounds(con: Connection) -> pd.DataFrame:
    """Per method, all rounds together: partnerships reporting and using it, and the share."""
    return con.execute(
        """SELECT method, method_seq, sum(partnerships_reporting) AS partnerships_reporting,
               sum(partnerships_using) AS partnerships_using,
               round(sum(partnerships_using) / sum(partnerships_reporting), 4) AS share_of_partnerships
           FROM communication_methods GROUP BY method, method_seq ORDER BY method_seq""").df()


def communication_by_timezone(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``communication_by_timezone`` view for one round, or all rounds added together."""
    if round_id is not None:
        return con.execute("FROM communication_by_timezone WHERE round_id = ? ORDER BY band_seq, method_seq",
                           [round_id]).df()
    return con.execute(
        """SELECT distance_band, band_seq, method, method_seq, sum(partnerships_reporting) AS partnerships_reporting,
               sum(partnerships_using) AS partnerships_using,
               round(sum(partnerships_using) / sum(partnerships_reporting), 4) AS share_of_partnerships
           FROM communication_by_timezone GROUP BY ALL ORDER BY band_seq, method_seq""").df()


# --- health and the queue ----------------------------------------------------------------------

_IN_SCOPE = """($countries IS NULL OR EXISTS (
    SELECT 1 FROM partnership_members AS sm JOIN applications AS sa ON sa.application_id = sm.application_id
    WHERE sm.partnership_id = {alias}.partnership_id AND list_contains($countries, sa.country_iso3)))"""


@dataclass(frozen=True)
class HealthSummary:
    """A round's health figures (for the partnerships in scope)."""

    round_id: str
    partnerships: int
    reporting: int
    flagged: int
    no_contact: int
    not_replied: int
    low_rating: int
    open_cases: int
    contacted_cases: int
    closed_cases: int
    flagged_without_case: int

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.partnerships if self.partnerships else None


def health_summary(con: Connection, round_id: str, *, countries: Sequence[str] | None = None) -> HealthSummary:
    """Partnerships, how many are flagged and why, and the round's cases by state."""
    row = con.execute(
        f"""
        WITH h AS (SELECT * FROM partnership_health AS h WHERE round_id = $round AND {_IN_SCOPE.format(alias='h')}),
        cases AS (SELECT * FROM interventions AS i WHERE round_id = $round AND {_IN_SCOPE.format(alias='i')})
        SELECT
            (SELECT count(*) FROM h),
            (SELECT count(*) FILTER (WHERE fortnights_reported > 0) FROM h),
            (SELECT count(*) FILTER (WHERE is_flagged) FROM h),
            (SELECT count(*) FILTER (WHERE flag_no_contact) FROM h),
            (SELECT count(*) FILTER (WHERE flag_not_replied) FROM h),
            (SELECT count(*) FILTER (WHERE flag_low_rating) FROM h),
            (SELECT count(*) FILTER (WHERE status IN ('open', 'contacted')) FROM cases),
            (SELECT count(*) FILTER (WHERE status = 'contacted') FROM cases),
            (SELECT count(*) FILTER (WHERE status IN ('resolved', 'rematched', 'ended')) FROM cases),
            (SELECT count(*) FILTER (WHERE is_flagged AND interventions = 0 AND partnership_status <> 'ended') FROM h)
        """, {"round": round_id, "countries": _countries(countries)}).fetchone()
    assert row is not None
    return HealthSummary(round_id, *(int(x) for x in row))


_MEMBERS = """(SELECT string_agg(a.name || ' (' || a.country_iso3 || ')', ' · ' ORDER BY a.application_id)
    FROM partnership_members AS mm JOIN applications AS a ON a.application_id = mm.application_id
    WHERE mm.partnership_id = {alias}.partnership_id)"""


def partnership_health(con: Connection, round_id: str, *, by: User, flagged_only: bool = False) -> pd.DataFrame:
    """The ``partnership_health`` rows of a round (of ``by``'s countries), with members by name and country,
    the reasons flagged and open cases."""
    require(by, Action.VIEW_PERSONAL)
    countries = country_scope(by)
    frame = con.execute(
        f"""SELECT h.*, {_MEMBERS.format(alias='h')} AS members FROM partnership_health AS h
            WHERE h.round_id = $round AND {_IN_SCOPE.format(alias='h')} {'AND h.is_flagged' if flagged_only else ''}
            ORDER BY h.is_flagged DESC, h.open_interventions DESC, h.partnership_id""",
        {"round": round_id, "countries": _countries(countries)}).df()
    frame["reasons"] = [
        "; ".join(reason for column, reason in FLAG_REASONS.items() if row[column])
        for row in frame[list(FLAG_REASONS)].to_dict("records")
    ] if not frame.empty else pd.Series(dtype=str)
    return frame


def intervention_queue(con: Connection, *, by: User, round_id: str | None = None,
                       statuses: Sequence[str] | None = OPEN_CASE_STATUSES) -> pd.DataFrame:
    """Cases (of ``by``'s countries) with their partnership's members by name and country, coordinator,
    notes, dates, days open and current flags."""
    require(by, Action.VIEW_PERSONAL)
    countries = country_scope(by)
    return con.execute(
        f"""
        SELECT i.intervention_id, i.round_id, i.partnership_id, i.status, i.reason, i.opened_on,
            i.closed_on, i.updated_at, i.coordinator_id, c.name AS coordinator, i.notes, i.version,
            i.application_id AS raised_by_id, ra.name AS raised_by,
            {_MEMBERS.format(alias='i')} AS members,
            (SELECT list(DISTINCT a.country_iso3 ORDER BY a.country_iso3) FROM partnership_members AS mm
             JOIN applications AS a ON a.application_id = mm.application_id
             WHERE mm.partnership_id = i.partnership_id) AS countries,
            p.status AS partnership_status,
            coalesce(i.closed_on, current_date) - i.opened_on AS days_open,
            h.is_flagged, h.longest_silence, h.lowest_rating
        FROM interventions AS i
        JOIN partnerships AS p ON p.partnership_id = i.partnership_id
        LEFT JOIN coordinators AS c ON c.coordinator_id = i.coordinator_id
        LEFT JOIN applications AS ra ON ra.application_id = i.application_id
        LEFT JOIN partnership_health AS h ON h.partnership_id = i.partnership_id
        WHERE ($round IS NULL OR i.round_id = $round)
          AND ($statuses IS NULL OR list_contains($statuses, i.status))
          AND {_IN_SCOPE.format(alias='i')}
        ORDER BY CASE i.status WHEN 'open' THEN 1 WHEN 'contacted' THEN 2 ELSE 3 END, i.opened_on, i.intervention_id
        """, {"round": round_id, "statuses": None if statuses is None else list(statuses),
              "countries": _countries(countries)}).df()


_MEMBER_DETAILS = ("email", "languages", "timezone", "utc_offset_minutes", "sector", "career_stage")
_CHECKIN_ANSWERS = ("submitted_on", "contact_made", "partner_replied", "methods", "topics_discussed", "rating")


def _require_partnership(con: Connection, by: User, partnership_id: int) -> None:
    require(by, Action.VIEW_PERSONAL)
    require(by, Action.VIEW_PERSONAL, partnership_countries(con, partnership_id), what=f"Partnership {partnership_id}")


def partnership_members(con: Connection, partnership_id: int, *, by: User) -> pd.DataFrame:
    """The members of a partnership: name, email, country, languages, time zone, sector and stage.

    For a country coordinator, the partnership must have a member in their countries; the members
    outside them show name and country only."""
    _require_partnership(con, by, partnership_id)
    frame = con.execute(
        """SELECT a.application_id, a.name, a.email, a.country_iso3, c.name AS country, a.languages, a.timezone,
               a.utc_offset_minutes, a.sector, a.career_stage
           FROM partnership_members AS m JOIN applications AS a ON a.application_id = m.application_id
           JOIN countries AS c ON c.iso3 = a.country_iso3
           WHERE m.partnership_id = ? ORDER BY a.application_id""", [partnership_id]).df()
    return redact_outside(by, frame, country_column="country_iso3", personal_columns=_MEMBER_DETAILS)


def case_checkins(con: Connection, partnership_id: int, *, by: User) -> pd.DataFrame:
    """A partnership's check-ins, fortnight by fortnight, with who sent each (and their country).

    For a country coordinator, the partnership must have a member in their countries; the check-ins of
    members outside them show who and the fortnight, not the answers."""
    _require_partnership(con, by, partnership_id)
    frame = con.execute(
        """SELECT c.fortnight, a.name, a.country_iso3, c.submitted_on, c.contact_made, c.partner_replied, c.methods,
               c.topics_discussed, c.rating
           FROM checkins AS c JOIN applications AS a ON a.application_id = c.application_id
           WHERE c.partnership_id = ? ORDER BY c.fortnight, a.name""", [partnership_id]).df()
    return redact_outside(by, frame, country_column="country_iso3", personal_columns=_CHECKIN_ANSWERS)
