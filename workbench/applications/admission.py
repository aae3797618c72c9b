"""Admission under the per-country cap, and decisions by hand (domain.md, step 2).

The cap has one definition, the DuckDB macro ``country_cap_limit(cap_share, live_applications)`` of
``workbench/migrations/macros.sql``: one *side* of the program's cross-border rule may have at most that many accepted
applicants, where the base is the round's live applications (withdrawn ones excluded). Everything here asks
the database for the number (:func:`cap_limit`, :func:`cap_room`, :func:`over_cap`); nothing in Python
repeats the formula. When one side exceeds the cap, its earliest applicants are accepted and the later ones
waitlisted and offered the next round.

The sides (:func:`cap_side`, the SQL macro ``cap_side`` says the same for the views and checks): a country
under the ``country`` rule, a UN sub-region under ``region``, an organisation (its normalised key,
:func:`workbench.matching.rules.organisation_key`) under ``organisation``; under ``none`` there is no cap, and
an applicant with no organisation under ``organisation`` is on no side (the rule keeps no partner from them,
so the cap holds none of them back). A national program under the organisation rule is capped per
organisation, not per country. Changing the rule re-applies the cap to the open rounds
(:func:`reapply_after_rule_change`, hooked to the setting ``cross_border``).
"""

from __future__ import annotations

import re
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
from workbench.matching.rules import CROSS_BORDER, organisation_key, sub_region
from workbench.program.settings import DEFAULT_COUNTRY_CAP, after_change, get_setting

Status = Literal["accepted", "waitlisted", "withdrawn"]

#: The program's default per-country cap, 20%: declared once, with the setting ``country_cap``
#: (:mod:`workbench.program.settings`); a new round takes the program's setting (:func:`program_cap`).
DEFAULT_CAP = DEFAULT_COUNTRY_CAP


def program_cap(con: db.Connection) -> float:
    """The cap a new round gets: the program's setting ``country_cap`` (20% unless a director changed it)."""
    return float(get_setting(con, "country_cap"))

#: Every cap-waitlisted application's reason starts with one of these, the side's unit first ("country above
#: the", "organisation above the"; manual waitlisting has the coordinator's words). The first is the country's.
CAP_REASON_PREFIXES: tuple[str, ...] = tuple(f"{b.unit} above the" for b in CROSS_BORDER.values() if b.unit)
CAP_REASON_PREFIX = CAP_REASON_PREFIXES[0]


def cap_reason(cap: float, rule: str = "country") -> str:
    return f"{CROSS_BORDER[rule].unit or 'country'} above the {cap:.0%} cap: offered the next round"  # type: ignore[index]


#: A regular expression (DuckDB's ``regexp_matches``) for a status reason the cap wrote, under any rule.
CAP_REASON_PATTERN = "^(?:" + "|".join(re.escape(p) for p in CAP_REASON_PREFIXES) + ")"


def is_cap_reason(reason: str | None) -> bool:
    """Whether an application was waitlisted by the cap (under any rule), not by a coordinator's hand."""
    return str(reason or "").startswith(CAP_REASON_PREFIXES)


def cap_rule(con: db.Connection) -> str:
    """The program's cross-border rule (the setting ``cross_border``): whose sides the cap limits."""
    return str(get_setting(con, "cross_border"))


def cap_side(rule: str, country_iso3: str, organisation: str | None) -> str | None:
    """The side of the cross-border ``rule`` the cap counts an applicant on: their country (``country``), UN
    sub-region (``region``), normalised organisation (``organisation``); None under ``none`` or with no
    organisation under ``organisation`` (no cap holds them back). The SQL macro ``cap_side`` is the same rule
    for the views and checks (tests/test_defects_17.py proves they agree)."""
    if rule == "country":
        return str(country_iso3)
    if rule == "region":
        return sub_region(str(country_iso3))
    if rule == "organisation":
        return organisation_key(organisation)
    return None


def side_label(rule: str, side: str) -> str:
    """A side as a person reads it: "Australia", "Northern America", "organisation 'boston public library'"."""
    if rule == "country":
        try:
            return country_name(side)
        except NotFound:
            return side
    if rule == "organisation":
        return f"organisation '{side}'"
    return side


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
    """A side's room under its round's cap (a country under the country rule, see :func:`cap_side`), for
    admitting ``admitting`` more of its applicants."""

    round_id: str
    side: str
    cap_share: float
    live: int  #: the round's live applications, the ones being admitted included
    limit: int  #: ``country_cap_limit(cap_share, live)`` (``live`` under the rule ``none``: no cap)
    accepted: int  #: the side's accepted applicants now
    admitting: int
    rule: str = "country"

    @property
    def country_iso3(self) -> str:
        """The side under the country rule (the name the re-match reads)."""
        return self.side

    @property
    def fits(self) -> bool:
        return self.accepted + self.admitting <= self.limit


def cap_room(con: db.Connection, round_id: str, admitting: Iterable[str], *, joining: int = 0) -> list[CapRoom]:
    """The room under the round's cap of each side in ``admitting`` (one :func:`cap_side` per application
    about to be accepted: an ISO-3 code under the country rule), in order of the sides.

    ``joining`` counts applications that become live by this decision (a withdrawn one accepted again).
    Admission by hand and a re-match from the waitlist both ask this one question.
    """
    wanted = Counter(str(c) for c in admitting)
    if not wanted:
        return []
    row = con.execute(
        "SELECT country_cap, (SELECT count(*) FROM applications WHERE round_id = $round AND status <> 'withdrawn') "
        "+ $joining FROM rounds WHERE round_id = $round", {"round": round_id, "joining": int(joining)}).fetchone()
    if row is None:
        raise NotFound(f"There is no round {round_id}. Reload the page.")
    share, live = float(row[0]), int(row[1])
    rule = cap_rule(con)
    limit = live if rule == "none" else cap_limit(con, share, live)
    accepted = _accepted_by_side(con, round_id, rule)
    return [CapRoom(round_id, side, share, live, limit, accepted[side], n, rule)
            for side, n in sorted(wanted.items())]


def _accepted_by_side(con: db.Connection, round_id: str, rule: str) -> Counter[str]:
    rows = con.execute("SELECT country_iso3, organisation FROM applications WHERE round_id = ? AND status = 'accepted'",
                       [round_id]).fetchall()
    return Counter(s for s in (cap_side(rule, c, o) for c, o in rows) if s is not None)


def application_side(con: db.Connection, application_id: int) -> str | None:
    """The side of the program's cross-border rule the cap counts this application on (:func:`cap_side`)."""
    row = con.execute("SELECT country_iso3, organisation FROM applications WHERE application_id = ?",
                      [application_id]).fetchone()
    if row is None:
        raise NotFound(f"No application {application_id}: someone may have removed it. Reload the page.")
    return cap_side(cap_rule(con), row[0], row[1])


def round_applications(con: db.Connection, round_id: str) -> pd.DataFrame:
    """The round's live applications, earliest first, with what admission needs."""
    return con.execute(
        "SELECT application_id, version, country_iso3, organisation, submitted_at, status, "
        "coalesce(status_reason, '') AS reason "
        "FROM applications WHERE round_id = ? AND status <> 'withdrawn' ORDER BY submitted_at, application_id",
        [round_id],
    ).df()


def plan_cap(con: db.Connection, existing: pd.DataFrame, incoming: list[tuple[Any, str, Any, Any]], cap: float,
             *, demote: bool, rule: str | None = None) -> tuple[dict[Any, tuple[str, str | None]], list[Change]]:
    """The cap over a round: ``existing`` applications (see :func:`round_applications`) and ``incoming``
    ones ``(key, country, submitted_at, organisation)`` not written yet; the limit is :func:`cap_limit` of
    them all, per side of ``rule`` (:func:`cap_side`; None: the program's cross-border rule).

    Accepted applications stay accepted (unless ``demote`` and their side is above the cap: then the
    latest go to the waitlist); undecided and cap-waitlisted ones, with the incoming, are accepted
    earliest first while their side has room, the rest waitlisted. Applications a coordinator
    waitlisted by hand stay waitlisted. Under the rule ``none`` there is no cap: all of those are accepted.
    Returns the incoming decisions by key and the existing changes.
    """
    rule = cap_rule(con) if rule is None else rule
    live = len(existing) + len(incoming)
    limit = live if rule == "none" else cap_limit(con, cap, live)
    reason = cap_reason(cap, rule)
    changes: list[Change] = []
    organisations = existing["organisation"] if "organisation" in existing else pd.Series(None, index=existing.index)
    sides = pd.Series([cap_side(rule, c, o if isinstance(o, str) else None)
                       for c, o in zip(existing["country_iso3"], organisations, strict=True)],
                      index=existing.index, dtype=object)
    is_accepted = existing["status"] == "accepted"
    accepted = Counter(s for s in sides[is_accepted] if s is not None)
    if demote:
        for side, count in list(accepted.items()):
            if count > limit:
                group = existing[is_accepted & (sides == side)]
                for record in group.tail(count - limit).itertuples(index=False):
                    changes.append((int(record.application_id), int(record.version), "waitlisted", reason))
                accepted[side] = limit
    movable = (existing["status"] == "received") | (
        (existing["status"] == "waitlisted") & existing["reason"].map(is_cap_reason).astype(bool))
    queue: list[tuple[pd.Timestamp, int, int, Any, str | None, Any]] = []
    for position, (record, side) in enumerate(zip(existing[movable].itertuples(index=False), sides[movable],
                                                  strict=True)):
        queue.append((pd.Timestamp(record.submitted_at), 0, position, record, side, None))
    for position, (key, country, submitted, organisation) in enumerate(incoming):
        side = cap_side(rule, str(country), organisation if isinstance(organisation, str) else None)
        queue.append((pd.Timestamp(submitted), 1, position, None, side, key))
    queue.sort(key=lambda q: q[:3])
    decisions: dict[Any, tuple[str, str | None]] = {}
    for _, _, _, record, side, key in queue:
        decision: tuple[str, str | None] = ("waitlisted", reason)
        if side is None or accepted[side] < limit:
            if side is not None:
                accepted[side] += 1
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
    ``version`` was read; refused (:class:`CapReached`) when accepting would take the applicant's side (their
    country under the country rule, :func:`cap_side`) above the round's cap. A withdrawal can leave a capped
    side above the cap: the sides are named in
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
        "SELECT a.round_id, a.country_iso3, a.status, a.name, r.status, a.organisation FROM applications AS a "
        "JOIN rounds AS r USING (round_id) WHERE a.application_id = ?", [application_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"No application {application_id}: someone may have removed it. Reload the page.")
    round_id, country, current, name, round_status, organisation = row
    rule = cap_rule(con)
    require(by, Action.ADMIT, countries=[country], what=f"Application {application_id}")
    if round_status not in OPEN_STATUSES:
        raise WorkbenchError(
            f"Round {round_id} is {round_status}: admission decisions are closed once a round runs."
        )
    try:
        with db.transaction(con):
            if status == "accepted" and current != "accepted":
                _check_room(con, round_id, cap_side(rule, country, organisation), joining=current == "withdrawn")
            new_version = db.update_versioned(
                con, "applications", "application_id", application_id, version,
                {"status": status, "status_reason": reason}, actor=by.actor,
                action=f"{_VERBS[status]} application")
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None
    over = tuple(over_cap(con, round_id)) if status == "withdrawn" else ()
    message = f"{name} ({country_name(country)}) is now {status}: {reason}."
    if over:
        names = ", ".join(side_label(rule, c) for c in over)
        message += f" {names} now {'is' if len(over) == 1 else 'are'} above the cap: apply the cap again to rebalance."
    return Decision(application_id, status, new_version, message, over)


def _check_room(con: db.Connection, round_id: str, side: str | None, *, joining: bool) -> None:
    if side is None:  # on no side of the rule (rule none, or no organisation given): no cap holds them
        return
    (room,) = cap_room(con, round_id, [side], joining=int(joining))
    if not room.fits:
        raise CapReached(
            f"{side_label(room.rule, side)} already has {room.accepted} accepted applicants, the cap for {round_id} "
            f"under the {room.rule} rule ({room.cap_share:.0%} of {room.live} applications = {room.limit}). "
            "Waitlist one of them first, or raise the round's cap."
        )


def over_cap(con: db.Connection, round_id: str) -> list[str]:
    """Sides of the cross-border rule (:func:`cap_side`: countries under the country rule) with more accepted
    applicants than the round's cap allows (``country_cap_limit``); none under the rule ``none``."""
    rule = cap_rule(con)
    row = con.execute("SELECT country_cap, (SELECT count(*) FROM applications WHERE round_id = $r AND status <> "
                      "'withdrawn') FROM rounds WHERE round_id = $r", {"r": round_id}).fetchone()
    if row is None or rule == "none":
        return []
    limit = cap_limit(con, float(row[0]), int(row[1]))
    return sorted(side for side, n in _accepted_by_side(con, round_id, rule).items() if n > limit)


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
    _, changes = plan_cap(con, existing, [], cap, demote=True, rule=cap_rule(con))
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


def reapply_after_rule_change(con: db.Connection, rule: str, *, by: User) -> list[AdmissionResult]:
    """Re-apply the cap to every open round under the program's new cross-border ``rule`` (a national
    program's 48 waitlisted applicants accepted once the organisation rule is chosen). Runs inside
    :func:`~workbench.program.settings.set_setting`'s transaction (hooked below), each decision audited."""
    del rule  # the setting is already stored in this transaction; cap_rule reads it
    rounds = con.execute("SELECT round_id, country_cap FROM rounds WHERE list_contains(?, status) ORDER BY seq",
                         [list(OPEN_STATUSES)]).fetchall()
    if not rounds:
        return []
    require(by, Action.ADMIT)
    return [_readmit(con, str(r), float(cap), by=by) for r, cap in rounds]


after_change("cross_border", reapply_after_rule_change)
