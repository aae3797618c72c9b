"""Admission under the per-country cap, and decisions by hand (domain.md, step 2).

The cap has one definition, the DuckDB macro ``country_cap_limit(cap_share, live_applications)`` of
``workbench/macros.sql``: a country may have at most that many accepted applicants, where the base is
the round's live applications (withdrawn ones excluded). Everything here asks the database for the
number (:func:`cap_limit`, :func:`cap_room`, :func:`over_cap`); nothing in Python repeats the formula.
When one country exceeds the cap, its earliest applicants are accepted and the later ones waitlisted
and offered the next round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pandas as pd

from workbench import db
from workbench.access import Action, User, require
from workbench.applications.store import OPEN_STATUSES, open_round_row, write_failed
from workbench.countries import country_name
from workbench.errors import NotFound, WorkbenchError
from workbench.program.settings import DEFAULT_COUNTRY_CAP, get_setting

Status = Literal["accepted", "waitlisted", "withdrawn"]

#: The program's default per-country cap, 20%: declared once, with the setting ``country_cap``
#: (:mod:`workbench.program.settings`); a new round takes the program's setting (:func:`program_cap`).
DEFAULT_CAP = DEFAULT_COUNTRY_CAP


def program_cap(con: db.Connection) -> float:
    """The cap a new round gets: the program's setting ``country_cap`` (20% unless a director changed it)."""
    return float(get_setting(con, "country_cap"))

#: Every cap-waitlisted application's reason starts so (manual waitlisting has the coordinator's words).
CAP_REASON_PREFIX = "country above the"


def cap_reason(cap: float) -> str:
    return f"{CAP_REASON_PREFIX} {cap:.0%} cap: offered the next round"


class CapReached(WorkbenchError):
    """Accepting would take a country above its round's cap."""


#: An admission decision to write: (application_id, version, status, reason).
Change = tuple[int, int, str, str | None]


def cap_limit(con: db.Connection, cap_share: float, live_applications: int) -> int:
    """How many accepted applicants one country may have in a round of ``live_applications`` live
    (not withdrawn) applications under a cap of ``cap_share``: the ``country_cap_limit`` macro."""
    if not 0 < cap_share <= 1:
        raise WorkbenchError(f"The country cap must be a share between 0 and 1 (got {cap_share}); 0.2 is 20%.")
    (limit,) = con.execute("SELECT country_cap_limit(?::DOUBLE, ?::BIGINT)",
                           [float(cap_share), int(live_applications)]).fetchone()  # type: ignore[misc]
    return int(limit)


@dataclass(frozen=True)
class CapRoom:
    """A country's room under its round's cap, for admitting ``admitting`` more of its applicants."""

    round_id: str
    country_iso3: str
    cap_share: float
    live: int  #: the round's live applications, the ones being admitted included
    limit: int  #: ``country_cap_limit(cap_share, live)``
    accepted: int  #: the country's accepted applicants now
    admitting: int

    @property
    def fits(self) -> bool:
        return self.accepted + self.admitting <= self.limit


def cap_room(con: db.Connection, round_id: str, admitting: Iterable[str], *, joining: int = 0) -> list[CapRoom]:
    """The room under the round's cap of each country in ``admitting`` (one ISO-3 code per application
    about to be accepted), earliest country code first.

    ``joining`` counts applications that become live by this decision (a withdrawn one accepted again).
    Admission by hand and a re-match from the waitlist both ask this one question.
    """
    wanted = Counter(str(c) for c in admitting)
    if not wanted:
        return []
    rows = con.execute(
        """
        WITH r AS (
            SELECT country_cap,
                (SELECT count(*) FROM applications WHERE round_id = $round AND status <> 'withdrawn') + $joining AS live
            FROM rounds WHERE round_id = $round
        ),
        wanted AS (SELECT unnest($countries) AS country_iso3, unnest($counts) AS admitting)
        SELECT w.country_iso3, r.country_cap, r.live, country_cap_limit(r.country_cap, r.live),
            (SELECT count(*) FROM applications AS a
             WHERE a.round_id = $round AND a.status = 'accepted' AND a.country_iso3 = w.country_iso3),
            w.admitting
        FROM wanted AS w CROSS JOIN r
        ORDER BY w.country_iso3
        """,
        {"round": round_id, "joining": int(joining), "countries": list(wanted), "counts": list(wanted.values())},
    ).fetchall()
    if not rows:
        raise NotFound(f"There is no round {round_id}. Reload the page.")
    return [CapRoom(round_id, str(c), float(share), int(live), int(limit), int(accepted), int(n))
            for c, share, live, limit, accepted, n in rows]


def round_applications(con: db.Connection, round_id: str) -> pd.DataFrame:
    """The round's live applications, earliest first, with what admission needs."""
    return con.execute(
        "SELECT application_id, version, country_iso3, submitted_at, status, coalesce(status_reason, '') AS reason "
        "FROM applications WHERE round_id = ? AND status <> 'withdrawn' ORDER BY submitted_at, application_id",
        [round_id],
    ).df()


def plan_cap(con: db.Connection, existing: pd.DataFrame, incoming: list[tuple[Any, str, Any]], cap: float, *,
             demote: bool) -> tuple[dict[Any, tuple[str, str | None]], list[Change]]:
    """The cap over a round: ``existing`` applications (see :func:`round_applications`) and ``incoming``
    ones ``(key, country, submitted_at)`` not written yet; the limit is :func:`cap_limit` of them all.

    Accepted applications stay accepted (unless ``demote`` and their country is above the cap: then the
    latest go to the waitlist); undecided and cap-waitlisted ones, with the incoming, are accepted
    earliest first while their country has room, the rest waitlisted. Applications a coordinator
    waitlisted by hand stay waitlisted. Returns the incoming decisions by key and the existing changes.
    """
    live = len(existing) + len(incoming)
    limit = cap_limit(con, cap, live)
    reason = cap_reason(cap)
    changes: list[Change] = []
    is_accepted = existing["status"] == "accepted"
    accepted = Counter(existing.loc[is_accepted, "country_iso3"])
    if demote:
        for country, count in list(accepted.items()):
            if count > limit:
                group = existing[is_accepted & (existing["country_iso3"] == country)]
                for record in group.tail(count - limit).itertuples(index=False):
                    changes.append((int(record.application_id), int(record.version), "waitlisted", reason))
                accepted[country] = limit
    movable = (existing["status"] == "received") | (
        (existing["status"] == "waitlisted") & existing["reason"].str.startswith(CAP_REASON_PREFIX))
    queue: list[tuple[pd.Timestamp, int, int, Any, str, Any]] = []
    for position, record in enumerate(existing[movable].itertuples(index=False)):
        queue.append((pd.Timestamp(record.submitted_at), 0, position, record, str(record.country_iso3), None))
    for position, (key, country, submitted) in enumerate(incoming):
        queue.append((pd.Timestamp(submitted), 1, position, None, str(country), key))
    queue.sort(key=lambda q: q[:3])
    decisions: dict[Any, tuple[str, str | None]] = {}
    for _, _, _, record, country, key in queue:
        decision: tuple[str, str | None] = ("waitlisted", reason)
        if accepted[country] < limit:
            accepted[country] += 1
            decision = ("accepted", None)
        if record is None:
            decisions[key] = decision
        elif (record.status, record.reason or None) != decision:
            changes.append((int(record.application_id), int(record.version), *decision))
    return decisions, changes


def apply_changes(con: db.Connection, updates: list[Change], *, by: User) -> None:
    """Write the cap's decisions (from :func:`plan_cap`), each versioned and audited as ``by``'s.

    Admission decisions, so ``by`` must be allowed to decide on applications (an import applies the cap too).
    """
    require(by, Action.ADMIT)
    for application_id, version, status, reason in updates:
        db.update_versioned(con, "applications", "application_id", application_id, version,
                            {"status": status, "status_reason": reason}, actor=by.actor, action="admit application")


@dataclass(frozen=True)
class Decision:
    application_id: int
    status: str
    version: int
    message: str
    over_cap: tuple[str, ...] = ()


_VERBS = {"accepted": "accept", "waitlisted": "waitlist", "withdrawn": "withdraw"}


def decide(con: db.Connection, application_id: int, status: Status, *, version: int, reason: str,
           by: User) -> Decision:
    """Accept, waitlist or withdraw one application by hand, with the reason recorded.

    Refused (:class:`~workbench.errors.StaleEdit`) when someone changed the application since
    ``version`` was read; refused (:class:`CapReached`) when accepting would take the country above the
    round's cap. A withdrawal can leave a capped country above the cap: the countries are named in
    the result, and :func:`admit` re-applies the cap. Refused (:class:`~workbench.access.NotAllowed`)
    unless ``by`` may decide on applications (for the applicant's country).
    """
    require(by, Action.ADMIT)
    if status not in _VERBS:
        raise WorkbenchError(f"'{status}' is not a decision; choose accepted, waitlisted or withdrawn.")
    reason = " ".join(str(reason or "").split())
    if not reason:
        if status != "accepted":
            raise WorkbenchError(f"Say why you {_VERBS[status]} this application: the reason is recorded.")
        reason = "accepted by a coordinator"
    row = con.execute(
        "SELECT a.round_id, a.country_iso3, a.status, a.name, r.status FROM applications AS a "
        "JOIN rounds AS r USING (round_id) WHERE a.application_id = ?", [application_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"No application {application_id}: someone may have removed it. Reload the page.")
    round_id, country, current, name, round_status = row
    require(by, Action.ADMIT, countries=[country], what=f"Application {application_id}")
    if round_status not in OPEN_STATUSES:
        raise WorkbenchError(
            f"Round {round_id} is {round_status}: admission decisions are closed once a round runs."
        )
    try:
        with db.transaction(con):
            if status == "accepted" and current != "accepted":
                _check_room(con, round_id, country, joining=current == "withdrawn")
            new_version = db.update_versioned(
                con, "applications", "application_id", application_id, version,
                {"status": status, "status_reason": reason}, actor=by.actor,
                action=f"{_VERBS[status]} application")
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None
    over = tuple(over_cap(con, round_id)) if status == "withdrawn" else ()
    message = f"{name} ({country_name(country)}) is now {status}: {reason}."
    if over:
        names = ", ".join(country_name(c) for c in over)
        message += f" {names} now {'is' if len(over) == 1 else 'are'} above the cap: apply the cap again to rebalance."
    return Decision(application_id, status, new_version, message, over)


def _check_room(con: db.Connection, round_id: str, country: str, *, joining: bool) -> None:
    (room,) = cap_room(con, round_id, [country], joining=int(joining))
    if not room.fits:
        raise CapReached(
            f"{country_name(country)} already has {room.accepted} accepted applicants, the cap for {round_id} "
            f"({room.cap_share:.0%} of {room.live} applications = {room.limit}). Waitlist one of them first, or "
            "raise the round's cap."
        )


def over_cap(con: db.Connection, round_id: str) -> list[str]:
    """Countries with more accepted applicants than the round's cap allows (``country_cap_limit``)."""
    rows = con.execute(
        """
        WITH t AS (
            SELECT country_iso3, count(*) FILTER (WHERE status = 'accepted') AS accepted,
                sum(count(*) FILTER (WHERE status <> 'withdrawn')) OVER () AS live
            FROM applications WHERE round_id = ? GROUP BY country_iso3
        )
        SELECT country_iso3 FROM t JOIN rounds AS r ON r.round_id = ?
        WHERE accepted > country_cap_limit(r.country_cap, live) ORDER BY country_iso3
        """,
        [round_id, round_id],
    ).fetchall()
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class AdmissionResult:
    round_id: str
    accepted: int
    waitlisted: int
    unchanged: int

    def summary(self) -> str:
        if not (self.accepted or self.waitlisted):
            return f"The cap of {self.round_id} holds: no decision changed."
        return (f"Applied the cap to {self.round_id}: {self.accepted} accepted, {self.waitlisted} waitlisted "
                f"({self.unchanged} unchanged).")


def admit(con: db.Connection, round_id: str, *, by: User) -> AdmissionResult:
    """Re-apply the round's cap: decide undecided applications, accept cap-waitlisted ones while there is
    room (earliest first), and waitlist the latest accepted of a country above the cap.

    Applications withdrawn, or waitlisted by a coordinator's hand, are left as they are. The cap weighs
    every country against the others, so only a role that decides for every country may apply it.
    """
    require(by, Action.ADMIT)
    current = open_round_row(con, round_id)
    try:
        with db.transaction(con):
            return _readmit(con, round_id, float(current["country_cap"]), by=by)
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None


def _readmit(con: db.Connection, round_id: str, cap: float, *, by: User) -> AdmissionResult:
    existing = round_applications(con, round_id)
    _, changes = plan_cap(con, existing, [], cap, demote=True)
    apply_changes(con, changes, by=by)
    counts = Counter(status for _, _, status, _ in changes)
    return AdmissionResult(round_id, counts["accepted"], counts["waitlisted"], len(existing) - len(changes))


def set_country_cap(con: db.Connection, round_id: str, cap: float, *, version: int, by: User) -> AdmissionResult:
    """Change a round's per-country cap (versioned, audited) and re-apply it, in one transaction."""
    require(by, Action.ADMIT)
    if not 0 < cap <= 1:
        raise WorkbenchError(f"The country cap must be a share between 0 and 1 (got {cap}); 0.2 is 20%.")
    open_round_row(con, round_id)
    try:
        with db.transaction(con):
            db.update_versioned(con, "rounds", "round_id", round_id, version, {"country_cap": float(cap)},
                                actor=by.actor, action="set country cap")
            return _readmit(con, round_id, float(cap), by=by)
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None
