"""The intervention queue: cases opened on faltering partnerships, worked by coordinators.

A case is ``open``, then ``contacted`` (a coordinator wrote to the partners), and is closed as
``resolved`` (the partners are back in touch), ``rematched`` (see :mod:`workbench.followup.rematch`) or
``ended`` (the partnership ends; its members can then be re-matched). A resolved case can be reopened.
Every change is versioned and audited under the signed-in user; notes are appended with the date and
who wrote them.

Who may act is :data:`workbench.access.Action.CASES`: directors and coordinators on every case, a
country coordinator on the cases of partnerships with a member in one of their countries, analysts and
presenters on none (:func:`workbench.access.require`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench import db
from workbench.access import Action, User, may, require
from workbench.accounts import get_user
from workbench.errors import NotFound, WorkbenchError

STATUSES: tuple[str, ...] = ("open", "contacted", "resolved", "rematched", "ended")
#: The statuses of an open case (not a round's: :data:`workbench.applications.round.OPEN_STATUSES`).
OPEN_CASE_STATUSES: tuple[str, ...] = ("open", "contacted")
CLOSED_STATUSES: tuple[str, ...] = ("resolved", "rematched", "ended")
#: The status changes a coordinator can make by hand (``rematched`` comes from a re-match).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("contacted", "resolved", "ended"),
    "contacted": ("resolved", "ended"),
    "resolved": ("open",),
    "rematched": (),
    "ended": (),
}
STATUS_HELP = {
    "open": "waiting for a coordinator",
    "contacted": "a coordinator has written to the partners",
    "resolved": "the partners are back in touch",
    "rematched": "the stranded participant has a new partner",
    "ended": "the partnership ended",
}


class CaseError(WorkbenchError):
    """A case change that cannot be made (the message says why and what to do)."""


@dataclass(frozen=True)
class Case:
    intervention_id: int
    partnership_id: int
    application_id: int | None
    round_id: str
    opened_on: dt.date
    reason: str
    status: str
    coordinator_id: str | None
    notes: str
    updated_at: dt.datetime
    closed_on: dt.date | None
    version: int


def _case(con: db.Connection, intervention_id: int) -> Case:
    row = con.execute(
        "SELECT intervention_id, partnership_id, application_id, round_id, opened_on, reason, status, "
        "coordinator_id, notes, updated_at, closed_on, version FROM interventions WHERE intervention_id = ?",
        [intervention_id]).fetchone()
    if row is None:
        raise NotFound(f"Case {intervention_id} does not exist. Reload the queue.")
    return Case(*row)


def get_case(con: db.Connection, intervention_id: int, *, by: User) -> Case:
    """One case, with its notes: for someone who may see its partnership's participants."""
    case = _case(con, intervention_id)
    require(by, Action.VIEW_PERSONAL, partnership_countries(con, case.partnership_id),
            what=f"Case {intervention_id}")
    return case


def partnership_countries(con: db.Connection, partnership_id: int) -> list[str]:
    """The countries the members of a partnership live in (what decides who may act on its cases)."""
    return [r[0] for r in con.execute(
        "SELECT DISTINCT a.country_iso3 FROM partnership_members AS m "
        "JOIN applications AS a ON a.application_id = m.application_id WHERE m.partnership_id = ? ORDER BY 1",
        [partnership_id]).fetchall()]


def require_case_action(con: db.Connection, by: User, partnership_id: int) -> None:
    """Refuse (:class:`workbench.access.NotAllowed`) unless ``by`` may work the cases of this partnership."""
    require(by, Action.CASES)  # the role first: its message does not need the partnership
    require(by, Action.CASES, partnership_countries(con, partnership_id), what=f"Partnership {partnership_id}")


def _assignee(con: db.Connection, coordinator_id: str | None, partnership_id: int) -> str | None:
    """A case's coordinator must be an active account that may work this partnership's cases."""
    if coordinator_id is None:
        return None
    who = get_user(con, coordinator_id)
    if who is None:
        raise CaseError(f"There is no active account {coordinator_id!r} to give the case to. Pick someone else, or "
                        "leave the case unassigned.")
    countries = partnership_countries(con, partnership_id)
    if not may(who, Action.CASES, countries):
        raise CaseError(f"{who.describe()} may not work on partnership {partnership_id} ({', '.join(countries)}), "
                        "so the case cannot be theirs. Give it to a director, a coordinator or that country's "
                        "coordinator.")
    return who.id


def _note(existing: str, text: str, actor: str, today: dt.date) -> str:
    text = text.strip()
    if not text:
        return existing
    line = f"{today:%Y-%m-%d} {actor}: {text}"
    return f"{existing}\n{line}" if existing else line


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def open_case(con: db.Connection, partnership_id: int, *, reason: str, by: User, application_id: int | None = None,
              coordinator_id: str | None = None, note: str = "", opened_on: dt.date | None = None) -> int:
    """Open a case on a partnership (refused if it has an open one already). Returns its id."""
    require_case_action(con, by, partnership_id)
    with db.transaction(con):
        return insert_case(con, partnership_id, reason=reason, by=by, application_id=application_id,
                           coordinator_id=coordinator_id, note=note, opened_on=opened_on)


def insert_case(con: db.Connection, partnership_id: int, *, reason: str, by: User, application_id: int | None = None,
                coordinator_id: str | None = None, note: str = "", opened_on: dt.date | None = None) -> int:
    """:func:`open_case` inside the caller's transaction."""
    row = con.execute("SELECT round_id FROM partnerships WHERE partnership_id = ?", [partnership_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no partnership {partnership_id}. Reload the page.")
    require_case_action(con, by, partnership_id)
    coordinator_id = _assignee(con, coordinator_id, partnership_id)
    today = opened_on or dt.date.today()
    existing = con.execute(
        "SELECT intervention_id FROM interventions WHERE partnership_id = ? AND status IN ('open', 'contacted')",
        [partnership_id]).fetchone()
    if existing is not None:
        raise CaseError(f"Partnership {partnership_id} already has an open case ({existing[0]}); add a note "
                        "to that case instead.")
    (intervention_id,) = db.next_ids(con, "interventions")
    con.execute(
        "INSERT INTO interventions (intervention_id, partnership_id, application_id, round_id, opened_on, reason, "
        "status, coordinator_id, notes, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        [intervention_id, partnership_id, application_id, row[0], today, reason.strip() or "opened by hand",
         coordinator_id, _note("", note, by.actor, today), _now()])
    db.audit(con, actor=by.actor, action="open case", entity="interventions", entity_id=intervention_id,
             after={"partnership_id": partnership_id, "reason": reason, "coordinator_id": coordinator_id})
    return intervention_id


_UNSET = object()


def update_case(con: db.Connection, intervention_id: int, version: int, *, by: User, status: str | None = None,
                note: str = "", coordinator_id: str | object | None = _UNSET, today: dt.date | None = None) -> int:
    """Change a case's status, add a note, (re)assign it; refused if stale. Returns the new version.

    Closing a case sets its closed date; reopening clears it. Closing as ``ended`` also ends the
    partnership, so its members appear among the stranded participants who can be re-matched. Whoever
    works an unassigned case (with an account) takes it; a case is given only to someone who may work it.
    """
    require(by, Action.CASES)
    case = _case(con, intervention_id)
    require_case_action(con, by, case.partnership_id)
    today = today or dt.date.today()
    changes: dict[str, object] = {}
    if status is not None and status != case.status:
        if status == "rematched":
            raise CaseError("A case is closed as re-matched by re-matching the participant (the Re-match tab), "
                            "which also makes the new partnership.")
        if status not in TRANSITIONS.get(case.status, ()):
            allowed = ", ".join(TRANSITIONS.get(case.status, ())) or "nothing (it is closed)"
            raise CaseError(f"Case {intervention_id} is {case.status}; it can move to {allowed}, not to {status}.")
        changes["status"] = status
        changes["closed_on"] = today if status in CLOSED_STATUSES else None
    notes = _note(case.notes, note, by.actor, today)
    if notes != case.notes:
        changes["notes"] = notes
    if coordinator_id is not _UNSET and coordinator_id != case.coordinator_id:
        changes["coordinator_id"] = _assignee(con, coordinator_id, case.partnership_id)  # type: ignore[arg-type]
    elif case.coordinator_id is None and changes and get_user(con, by.id) is not None:
        changes["coordinator_id"] = by.id  # whoever works an unassigned case takes it
    if not changes:
        return version
    changes["updated_at"] = _now()
    action = f"case {changes['status']}" if "status" in changes else "case note"
    with db.transaction(con):
        new_version = db.update_versioned(con, "interventions", "intervention_id", intervention_id, version,
                                          changes, actor=by.actor, action=action)
        if changes.get("status") == "ended":
            end_partnership(con, case.partnership_id, by=by)
    return new_version


def end_partnership(con: db.Connection, partnership_id: int, *, by: User) -> None:
    """Mark a partnership ended (inside the caller's transaction); a no-op if it is ended already."""
    require_case_action(con, by, partnership_id)
    row = con.execute("SELECT status, version FROM partnerships WHERE partnership_id = ?", [partnership_id]).fetchone()
    if row is None or row[0] == "ended":
        return
    db.update_versioned(con, "partnerships", "partnership_id", partnership_id, row[1], {"status": "ended"},
                        actor=by.actor, action="end partnership")
