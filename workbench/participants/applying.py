"""Applications sent on the form: windows, checking, storing unconfirmed, confirming through the import.

- A round takes applications on the form while it has an **application window** (``application_windows``:
  opens on, closes on, not closed): :func:`open_for_applications` (``workbench open-round R --closes DATE``)
  and :func:`close_for_applications` (``workbench close-round R``). :func:`form_window` says which is open now,
  or when the next opens.
- :func:`check_answers` checks a form's answers with the import's own reader and parsers
  (:mod:`workbench.intake`: the same rules, the same messages), field by field.
- :func:`submit` stores a form application **unconfirmed** (``form_applications``), to expire after
  :data:`CONFIRM_DAYS` unless confirmed; a second form for the same address in the round replaces the first.
- :func:`confirm` imports it through :func:`workbench.applications.import_applications`, the path of every
  import (people known by their address, the cap, the audit), so only a confirmed application counts and
  takes its place under the cap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import Action, User, require, system_user
from workbench.applications import import_applications, open_round
from workbench.applications.round import OPEN_STATUSES
from workbench.applications.store import round_row
from workbench.errors import StaleEdit, WorkbenchError
from workbench.intake import match_headers, normalise_email, read_table, validate
from workbench.matching.rules import organisation_key
from workbench.people.training import people_by_address
from workbench.program.vocabularies import vocabularies

#: Days an applicant has to follow the confirmation link.
CONFIRM_DAYS = 7
#: The form's fields, the import's canonical names, in the form's order.
FIELDS = ("name", "email", "country", "organisation", "sector", "career_stage", "interests", "languages",
          "timezone", "partner_sector", "partner_stage", "partner_interests")
LIST_FIELDS = ("interests", "languages", "partner_interests")
#: Confirmations of one serving process import one batch at a time: two imports into one round at once re-apply
#: the cap on the same rows, and the second would find them changed (StaleEdit). DuckDB has one writer anyway; an
#: import from the coordinators' pages meanwhile is met by a retry (:data:`IMPORT_TRIES`).
_CONFIRMING = threading.Lock()
IMPORT_TRIES = 3
#: Confirmations waiting for the next batch, and what a batch could not confirm (form id -> words).
_WAITING_LOCK = threading.Lock()
_waiting: set[int] = set()
_outcomes: dict[int, str] = {}
#: Who acts when the form writes (the audit log names it).
FORM_USER = system_user("application form")
SOURCE = "application form"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Window:
    round_id: str
    opens_on: dt.date
    closes_on: dt.date


def form_window(con: db.Connection, *, today: dt.date | None = None) -> tuple[Window | None, Window | None]:
    """``(open now, next to open)``: the round taking applications on the form today, and the next window."""
    today = today or dt.date.today()
    rows = con.execute("SELECT round_id, opens_on, closes_on FROM application_windows WHERE closed_at IS NULL "
                       "AND closes_on >= ? ORDER BY opens_on", [today]).fetchall()
    windows = [Window(*r) for r in rows]
    current = next((w for w in windows if w.opens_on <= today), None)
    upcoming = next((w for w in windows if w.opens_on > today), None)
    return current, upcoming


def open_for_applications(con: db.Connection, round_id: str, *, by: User, closes_on: dt.date | None = None,
                          opens_on: dt.date | None = None, cap: float | None = None) -> str:
    """Open ``round_id`` for applications on the form (creating the round when it is new) until ``closes_on``
    (four weeks from ``opens_on`` by default). Returns what was done, in words."""
    require(by, Action.IMPORT)
    opens_on = opens_on or dt.date.today()
    closes_on = closes_on or opens_on + dt.timedelta(days=28)
    if closes_on < opens_on:
        raise WorkbenchError(f"The closing date {closes_on} is before the opening date {opens_on}: give a closing "
                             "date on or after the day applications open.")
    said = []
    if round_row(con, round_id) is None:
        said.append(open_round(con, round_id, by=by, opens_on=opens_on, cap=cap).summary())
    elif round_row(con, round_id)["status"] not in OPEN_STATUSES:  # type: ignore[index]
        raise WorkbenchError(f"Round {round_id} is {round_row(con, round_id)['status']}: only an open round "  # type: ignore[index]
                             "takes applications. Open a new round instead.")
    with db.transaction(con):
        con.execute("INSERT OR REPLACE INTO application_windows VALUES (?, ?, ?, NULL, ?)",
                    [round_id, opens_on, closes_on, by.actor])
        db.audit(con, actor=by.actor, action="open for applications", entity="rounds", entity_id=round_id,
                 after={"opens_on": opens_on, "closes_on": closes_on})
    said.append(f"Round {round_id} takes applications on the form (/apply) from {opens_on:%d %B %Y} to "
                f"{closes_on:%d %B %Y}.")
    return " ".join(said)


def close_for_applications(con: db.Connection, round_id: str, *, by: User) -> str:
    """Stop ``round_id`` taking applications on the form (the Import page can still fill it)."""
    require(by, Action.IMPORT)
    with db.transaction(con):
        found = con.execute("UPDATE application_windows SET closed_at = ? WHERE round_id = ? AND closed_at IS NULL "
                            "RETURNING round_id", [_now(), round_id]).fetchall()
        if not found:
            raise WorkbenchError(f"Round {round_id} is not open for applications on the form; nothing to close. "
                                 "`workbench open-round ROUND --closes DATE` opens one.")
        db.audit(con, actor=by.actor, action="close for applications", entity="rounds", entity_id=round_id)
    return f"Round {round_id} no longer takes applications on the form."


def _csv(answers: dict[str, Any], submitted_at: dt.datetime) -> bytes:
    return _csv_rows([(answers, submitted_at)])


def _csv_rows(forms: list[tuple[dict[str, Any], dt.datetime]]) -> bytes:
    """Forms as the import reads a form service's export: a header, then one row each (row 2 onwards)."""
    rows = []
    for answers, submitted_at in forms:
        row = {"submitted_at": submitted_at.strftime("%Y-%m-%d %H:%M:%S")}
        for name in FIELDS:
            value = answers.get(name, "")
            row[name] = "; ".join(value) if isinstance(value, list) else str(value or "")
        rows.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["submitted_at", *FIELDS])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def check_answers(con: db.Connection, answers: dict[str, Any]) -> dict[str, str]:
    """The problems of a form's answers, field -> the import's words (reason and fix); empty when it is fine."""
    problems: dict[str, str] = {}
    table = read_table(_csv(answers, _now()), "form.csv")
    mapping = match_headers(table.columns, None, filename="form.csv").require()
    report = validate(table, mapping, filename="form.csv", vocabularies=vocabularies(con))
    for rejection in report.rejections:
        field = rejection.column if rejection.column in FIELDS else "name"
        problems.setdefault(field, f"{rejection.reason} {rejection.fix}".strip())
    for suggestion in report.suggestions:
        problems.setdefault("country", f"{suggestion.value!r} is not a country we know: choose one from the list.")
    return problems


#: The columns of ``applications`` an applicant's change may set (the import's parsed values).
CHANGEABLE = ("name", "country_iso3", "sector", "career_stage", "interests", "languages", "timezone",
              "utc_offset_minutes", "partner_sector", "partner_stage", "partner_interests", "organisation")


def _plain(value: Any) -> Any:
    """A frame's cell as DuckDB takes it: numpy scalars and arrays as Python values, missing as None."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    return value


def parsed(con: db.Connection, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as the import stores them (its parsers: country code, vocabulary values, lists, time zone)."""
    table = read_table(_csv(answers, _now()), "form.csv")
    mapping = match_headers(table.columns, None, filename="form.csv").require()
    report = validate(table, mapping, filename="form.csv", vocabularies=vocabularies(con))
    if report.rejections or not len(report.rows):
        raise WorkbenchError("The answers do not pass the form's checks; correct them and save again.")
    row = report.rows.iloc[0]
    out = {c: row[c] for c in CHANGEABLE if c in report.rows.columns}
    out = {k: _plain(v) for k, v in out.items()}
    if "organisation" in out:
        out["organisation_key"] = organisation_key(out["organisation"]) if out["organisation"] else None
    return out


def submit(con: db.Connection, round_id: str, answers: dict[str, Any], *, language: str,
           earlier_email: str | None = None) -> tuple[int, str]:
    """Store a checked form unconfirmed; ``(form_application_id, "new" | "replaced" | "already")``.

    "already": the address already has a confirmed application in the round (nothing stored)."""
    email = normalise_email(str(answers["email"]))
    now = _now()
    with db.transaction(con):
        rows = con.execute("SELECT form_application_id, status FROM form_applications WHERE round_id = ? AND "
                           "email = ? AND status IN ('unconfirmed', 'confirmed') ORDER BY form_application_id",
                           [round_id, email]).fetchall()
        confirmed = [r[0] for r in rows if r[1] == "confirmed"]
        if confirmed:
            return int(confirmed[0]), "already"
        payload = json.dumps({k: answers.get(k) for k in FIELDS}, ensure_ascii=False)
        earlier = normalise_email(earlier_email) if earlier_email else None
        if rows:
            form_id = int(rows[0][0])
            con.execute("UPDATE form_applications SET answers = ?, name = ?, language = ?, earlier_email = ?, "
                        "submitted_at = ?, expires_at = ?, version = version + 1 WHERE form_application_id = ?",
                        [payload, str(answers["name"]), language, earlier, now,
                         now + dt.timedelta(days=CONFIRM_DAYS), form_id])
            return form_id, "replaced"
        (form_id,) = db.next_ids(con, "form_applications")
        con.execute("INSERT INTO form_applications (form_application_id, round_id, email, name, answers, language, "
                    "earlier_email, status, submitted_at, expires_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 'unconfirmed', ?, ?)",
                    [form_id, round_id, email, str(answers["name"]), payload, language, earlier, now,
                     now + dt.timedelta(days=CONFIRM_DAYS)])
    return form_id, "new"


@dataclass(frozen=True)
class FormApplication:
    form_application_id: int
    round_id: str
    email: str
    name: str
    answers: dict[str, Any]
    language: str
    status: str
    submitted_at: dt.datetime
    expires_at: dt.datetime
    application_id: int | None
    person_id: int | None
    earlier_email: str | None


def load(con: db.Connection, form_application_id: int) -> FormApplication | None:
    row = con.execute("SELECT form_application_id, round_id, email, name, answers, language, status, submitted_at, "
                      "expires_at, application_id, person_id, earlier_email FROM form_applications "
                      "WHERE form_application_id = ?", [form_application_id]).fetchone()
    if row is None:
        return None
    values = list(row)
    values[4] = json.loads(values[4])
    return FormApplication(*values)


def expire(con: db.Connection, *, now: dt.datetime | None = None) -> int:
    """Mark unconfirmed form applications past their expiry ``expired``, and keep nothing of them but the round, the
    language and the days (nobody proved the address: the name, address and answers go); returns how many."""
    with db.transaction(con):
        rows = con.execute("UPDATE form_applications SET status = 'expired', name = '', answers = '{}', "
                           "email = 'expired-' || form_application_id || '@expired.invalid', earlier_email = NULL, "
                           "version = version + 1 WHERE status = 'unconfirmed' AND expires_at < ? RETURNING 1",
                           [now or _now()]).fetchall()
    return len(rows)


#: How often the form's page marks expired applications (a write: not on every view of the form).
EXPIRE_EVERY_SECONDS = 60.0
_last_expired = 0.0


def expire_now_and_then(con: db.Connection) -> int:
    """:func:`expire`, at most every :data:`EXPIRE_EVERY_SECONDS` in this process (the form's page calls it on each
    view; a confirmation checks the expiry itself, so nothing waits on it)."""
    global _last_expired
    now = time.monotonic()
    if now - _last_expired < EXPIRE_EVERY_SECONDS:
        return 0
    _last_expired = now
    return expire(con)


def confirm(con: db.Connection, form_application_id: int) -> FormApplication:
    """Confirm an unconfirmed form application: import it into its round (the import's path: the person known
    by address, the cap). Confirming twice changes nothing. :class:`WorkbenchError` when it expired, was
    withdrawn, or the import refused it (its words).

    Confirmations of one serving process import one batch at a time (:data:`_CONFIRMING`): whoever holds the lock
    imports every confirmation waiting by then in one import (one linking run for them all), so a busy form does
    not queue one import per applicant."""
    with _WAITING_LOCK:
        _waiting.add(int(form_application_id))
    with _CONFIRMING:
        with _WAITING_LOCK:  # a batch before may have taken this one: then there is nothing to lead
            batch = sorted(_waiting) if int(form_application_id) in _waiting else []
            _waiting.difference_update(batch)
        if batch:
            _outcomes.update(_confirm_many(con, batch))
        problem = _outcomes.pop(int(form_application_id), None)
    found = load(con, form_application_id)
    if found is None:
        raise WorkbenchError("There is no such application: it may have been erased.")
    if found.status != "confirmed":
        raise WorkbenchError(problem or "This application was not confirmed in time (or was withdrawn): send the "
                             "form again.")
    return found


def _import(con: db.Connection, data: bytes, round_id: str, answers: dict[int, int] | None) -> Any:
    for attempt in range(IMPORT_TRIES):
        try:
            return import_applications(con, data, SOURCE, round_id, by=FORM_USER, link_answers=answers)
        except StaleEdit:  # the import wrote nothing (one transaction): the cap moved under it, try again
            if attempt == IMPORT_TRIES - 1:
                raise WorkbenchError("The round was busy taking other applications: press the button again in "
                                     "a minute; your application is kept until then.") from None
    raise AssertionError("unreachable")


def _confirm_many(con: db.Connection, form_ids: list[int]) -> dict[int, str]:
    """Import these form applications (those still unconfirmed and in time), one import per round; returns the
    words for each that could not be confirmed (none for those confirmed)."""
    problems: dict[int, str] = {}
    by_round: dict[str, list[FormApplication]] = {}
    now = _now()
    for form_id in form_ids:
        found = load(con, form_id)
        if found is None or found.status == "confirmed":
            continue
        if found.status != "unconfirmed" or found.expires_at < now:
            problems[form_id] = "This application was not confirmed in time (or was withdrawn): send the form again."
            continue
        by_round.setdefault(found.round_id, []).append(found)
    for round_id, forms in by_round.items():
        data = _csv_rows([(f.answers, f.submitted_at) for f in forms])
        claimed = {row: person for row, f in enumerate(forms, start=2) if (person := _earlier_person(con, f))}
        answers = None
        if claimed:  # the linking's own review must offer them: a typed address alone proves nothing
            dry = import_applications(con, data, SOURCE, round_id, by=FORM_USER, dry_run=True)
            answers = {m.row: m.person_id for m in dry.near_matches if claimed.get(m.row) == m.person_id} or None
        try:
            report = _import(con, data, round_id, answers)
        except WorkbenchError as exc:
            problems.update({f.form_application_id: str(exc) for f in forms})
            continue
        for row, found in enumerate(forms, start=2):
            placed = con.execute("SELECT application_id, person_id FROM applications WHERE round_id = ? AND "
                                 "lower(trim(email)) = ?", [round_id, found.email]).fetchone()
            if placed is None:  # refused by the import: its words
                reasons = "; ".join(r.reason for r in report.rejected if r.row == row) or "the import took nothing"
                problems[found.form_application_id] = (f"The application could not be added to round {round_id}: "
                                                       f"{reasons}.")
                continue
            application_id, person_id = int(placed[0]), int(placed[1])
            with db.transaction(con):
                con.execute("UPDATE form_applications SET status = 'confirmed', confirmed_at = ?, application_id = ?, "
                            "person_id = ?, version = version + 1 WHERE form_application_id = ?",
                            [_now(), application_id, person_id, found.form_application_id])
                if row in claimed:  # ids and a verdict only: the addresses stay in form_applications
                    db.audit(con, actor=FORM_USER.actor, action="earlier address given", entity="applications",
                             entity_id=application_id, after={"claimed_person": claimed[row],
                                                              "linked_person": person_id,
                                                              "recognised": claimed[row] == person_id})
    return problems


def _earlier_person(con: db.Connection, found: FormApplication) -> int | None:
    """The known person at the earlier address the applicant gave ("Have you taken part before?"), if any.

    It is a hint for the import's linking, never a link by itself (anyone can type anyone's address, and the
    person's page would then show that person's history): :func:`confirm` answers the linking's review with
    this person only when the linking offers them as a candidate for the application."""
    if not found.earlier_email or found.earlier_email == found.email:
        return None
    return people_by_address(con, [found.earlier_email]).get(found.earlier_email)


def arriving(con: db.Connection, round_id: str | None = None) -> dict[str, int]:
    """Form applications by status (unconfirmed, confirmed, withdrawn, expired), for the Overview."""
    where, params = ("WHERE round_id = ?", [round_id]) if round_id else ("", [])
    counts = dict(con.execute(f"SELECT status, count(*) FROM form_applications {where} GROUP BY status",
                              params).fetchall())
    return {s: int(counts.get(s, 0)) for s in ("unconfirmed", "confirmed", "withdrawn", "expired")}


__all__ = ["CONFIRM_DAYS", "FIELDS", "FORM_USER", "FormApplication", "Window", "arriving", "check_answers",
           "close_for_applications", "confirm", "expire", "form_window", "load", "open_for_applications", "submit"]
