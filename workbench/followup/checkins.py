"""Importing fortnightly check-ins and end-of-round surveys from CSV or XLSX.

The file is read, its headers matched and its cells parsed by the same code as an application file
(:mod:`workbench.intake`: the one reader, within the same size and row limits). The same shape as the
applications import: every row is validated and each problem reported with its
row, column, value, reason and what to do; the valid rows are written in one transaction (all of them
or, on any database error, none); importing the same file twice adds nothing (rows already stored as
they are in the file are counted as ``unchanged``; rows stored with other answers are reported as
``changed`` and kept as stored unless ``replace=True``).

>>> report = validate_checkins(con, data, "2016B", filename="checkins.csv", by=user)   # nothing written
>>> report = import_checkins(con, data, "2016B", by=user)                              # validated, then written

Both are imports (:data:`workbench.access.Action.IMPORT`): validating reports participants' names from the
database, so it asks the same permission as writing. The import is audited under the signed-in user.

A check-in's participant is found by email among the round's applications; they must be in a
partnership of the round's published matching (a re-matched participant reports on their new one).
A check-in must be dated from the round's start to eight weeks after its end (a survey seventeen), and
not in the future.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import duckdb
import pandas as pd

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import ImportFileError, NotFound, WorkbenchError
from workbench.intake.cells import (
    MAX_CELL,
    MAX_FREE_TEXT,
    DateWindow,
    clean_text,
    infer_date_order,
    normalise_email,
    parse_date,
    parse_email,
    parse_int,
    parse_yes_no,
    too_long,
    vocab_key,
)
from workbench.intake.headers import ColumnSpec, match_columns, word_rule
from workbench.intake.reading import NOTES_ATTR, OVERFLOW_ATTR, FileUnreadable, read_table
from workbench.intake.responses import parse_codes, parse_methods, parse_topics
from workbench.program.vocabularies import vocabularies
from workbench.rejections import WHOLE_ROW, Problem, Rejection, display_value, rejections_frame

Kind = Literal["checkins", "surveys"]
#: Where an answer came from: a form service's file (``import``) or the workbench's own page (``link``).
Source = Literal["import", "link"]
SOURCES: tuple[str, ...] = ("import", "link")



def _column(name: str, label: str, required: bool, aliases: tuple[str, ...],
            words: tuple[tuple[str, ...], ...]) -> ColumnSpec:
    """A column whose form question is found by words: each tuple's words must all start a word of it."""
    return ColumnSpec(name, label, required, aliases, tuple(word_rule(*w) for w in words))


#: Check-in columns, in the order their form-question words are tried.
CHECKIN_COLUMNS: tuple[ColumnSpec, ...] = (
    _column("email", "the participant's email address", True,
            ("email address", "e mail", "your email", "participant email", "username"), (("email",), ("e mail",))),
    _column("fortnight", "the fortnight reported on, 1 to 12", True,
            ("fortnight number", "which fortnight"), (("fortnight",),)),
    _column("submitted_on", "the date the check-in was sent", True,
            ("timestamp", "submitted", "submitted at", "date"), (("timestamp",), ("submitted",), ("date",))),
    _column("partner_replied", "did the partner reply within a week: yes or no", False,
            ("replied", "partner replied within a week"), (("repl",),)),
    _column("contact_made", "was there contact with the partner: yes or no", True,
            ("contact", "in contact"), (("contact",),)),
    _column("methods", "how the partners kept in touch", False,
            ("method", "communication methods", "communication"),
            (("method",), ("communicat",), ("keep", "touch"))),
    _column("topics_discussed", "the topics discussed: numbers or titles", False,
            ("topics", "topic"), (("topic",),)),
    _column("rating", "how the partnership is going, 1 to 5", False,
            ("score",), (("rating",), ("rate ",), ("going",))),
)

#: Survey columns, in the order their form-question words are tried.
SURVEY_COLUMNS: tuple[ColumnSpec, ...] = (
    _column("email", "the respondent's email address", True,
            ("email address", "e mail", "your email", "username"), (("email",), ("e mail",))),
    _column("submitted_on", "the date the survey was answered", True,
            ("timestamp", "submitted", "submitted at", "date"), (("timestamp",), ("submitted",), ("date",))),
    _column("impact_codes", "coded impact categories, separated by ';'", False,
            ("codes", "impact code", "impact category", "impact categories"), (("code",), ("categor",))),
    _column("impact_text", "the answer to the impact question", False,
            ("impact",), (("impact",),)),
    _column("partner_satisfaction", "satisfaction with the partner, 1 to 5", False,
            ("partner satisfaction",), (("partner", "satisf"),)),
    _column("program_satisfaction", "satisfaction with the program, 1 to 5", True,
            ("satisfaction", "program satisfaction", "programme satisfaction", "overall satisfaction"),
            (("program", "satisf"), ("programme", "satisf"), ("satisf",))),
    _column("would_return", "would they take part again: yes or no", False,
            ("return", "again"), (("return",), ("again",))),
    _column("used_topics", "did they use the fortnightly topics: yes or no", True,
            ("topics", "used topics"), (("topic",),)),
    _column("methods", "how the partners kept in touch", False,
            ("method", "communication methods", "communication"),
            (("method",), ("communicat",), ("keep", "touch"))),
)
#: Columns holding several values (a line break separates them too), and the free-text column.
_MULTI = frozenset({"methods", "topics_discussed", "impact_codes"})
_FREE_TEXT = frozenset({"impact_text"})

_COMPARED: dict[Kind, tuple[str, ...]] = {
    "checkins": ("submitted_on", "contact_made", "partner_replied", "methods", "topics_discussed", "rating"),
    "surveys": ("submitted_on", "program_satisfaction", "partner_satisfaction", "methods", "used_topics",
                "would_return", "impact_text", "impact_codes"),
}
#: How far after the round ends a check-in or a survey may still be dated.
_LATE = {"checkins": dt.timedelta(weeks=8), "surveys": dt.timedelta(weeks=17)}


class ImportConflict(WorkbenchError):
    """Someone else imported the same responses while this import ran."""


@dataclass
class ImportReport:
    """The outcome of validating (and perhaps importing) one file of check-ins or surveys.

    ``records`` are the valid rows new to the workbench, ``changed`` the valid rows stored already
    with other answers (kept as stored unless the import replaces them), ``unchanged`` the file rows
    already stored exactly so, ``rejections`` the problems of the rows that cannot be imported.
    """

    kind: Kind
    round_id: str
    filename: str
    total_rows: int
    records: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Rejection] = field(default_factory=list)
    changed_records: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inserted: int = 0
    replaced: int = 0
    written: bool = False

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejections})

    @property
    def noun(self) -> str:
        return "check-ins" if self.kind == "checkins" else "survey answers"

    def rejections_frame(self) -> pd.DataFrame:
        return rejections_frame(self.rejections)

    def changed_frame(self) -> pd.DataFrame:
        return rejections_frame(self.changed)

    def summary(self) -> str:
        """One paragraph a coordinator reads: what was (or would be) written and what was not."""
        name = self.filename or "The file"
        parts = [f"{name}: {self.total_rows:,} rows of {self.noun} for {self.round_id}."]
        if self.written:
            parts.append(f"Imported {self.inserted:,} new" + (f" and replaced {self.replaced:,}" if self.replaced
                                                                else "") + ".")
        else:
            parts.append(f"{len(self.records):,} new rows ready to import.")
        if self.unchanged:
            parts.append(f"{len(self.unchanged):,} already in the workbench as they are (skipped).")
        if self.changed and not self.replaced:
            parts.append(f"{len(self.changed):,} differ from what is stored and were kept as stored "
                         "(import with replace to overwrite them).")
        if self.rejections:
            parts.append(f"{len(self.rejected_rows):,} rows rejected: fix them in the file and import it "
                         "again (rows already imported are skipped).")
        return " ".join([*parts, *self.notes])


@dataclass(frozen=True)
class _Member:
    application_id: int
    name: str
    status: str
    partnership_id: int | None


@dataclass
class _Round:
    round_id: str
    label: str
    starts_on: dt.date
    ends_on: dt.date
    members: dict[str, _Member]          # normalised email -> application
    topic_titles: dict[str, int]          # vocab_key(title) -> seq
    stored: dict[tuple[Any, ...], dict[str, Any]]


def _round_context(con: db.Connection, kind: Kind, round_id: str) -> _Round:
    row = con.execute("SELECT round_id, label, starts_on, ends_on FROM rounds WHERE round_id = ?",
                      [round_id]).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in con.execute("SELECT round_id FROM rounds ORDER BY seq").fetchall())
        raise NotFound(f"There is no round {round_id!r}. Use one of: {known}.")
    members: dict[str, _Member] = {}
    for app_id, email, person_email, name, status, partnership_id in con.execute(
        """
        WITH placed AS (
            SELECT application_id,
                arg_max(partnership_id, (partnership_status <> 'ended')::INTEGER * 1000000000 + partnership_id)
                    AS partnership_id
            FROM participants WHERE round_id = ? GROUP BY application_id
        )
        SELECT a.application_id, a.email, pe.email, a.name, a.status, placed.partnership_id
        FROM applications AS a JOIN people AS pe ON pe.person_id = a.person_id
        LEFT JOIN placed ON placed.application_id = a.application_id
        WHERE a.round_id = ?
        """, [round_id, round_id]).fetchall():
        member = _Member(app_id, name, status, partnership_id)
        members[normalise_email(email)] = member
        members.setdefault(normalise_email(person_email), member)
    titles = {vocab_key(t): s for s, t in con.execute(
        "SELECT seq, title FROM topics WHERE round_id = ? ORDER BY seq", [round_id]).fetchall()}
    if kind == "checkins":
        frame = con.execute("SELECT checkin_id AS id, application_id, fortnight, submitted_on, contact_made, "
                            "partner_replied, methods, topics_discussed, rating FROM checkins WHERE round_id = ?",
                            [round_id]).fetchall()
        cols = ("id", "application_id", "fortnight", *_COMPARED["checkins"])
        stored: dict[tuple[Any, ...], dict[str, Any]] = {(r[1], r[2]): dict(zip(cols, r, strict=True)) for r in frame}
    else:
        frame = con.execute("SELECT survey_id AS id, application_id, submitted_on, program_satisfaction, "
                            "partner_satisfaction, methods, used_topics, would_return, impact_text, impact_codes, "
                            "codes_confirmed, version FROM surveys WHERE round_id = ?", [round_id]).fetchall()
        cols = ("id", "application_id", *_COMPARED["surveys"], "codes_confirmed", "version")
        stored = {(r[1],): dict(zip(cols, r, strict=True)) for r in frame}  # one survey per application
    return _Round(row[0], row[1], row[2], row[3], members, titles, stored)


def _show(value: Any) -> str:
    if value is None:
        return "blank"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value) or "none"
    return str(value)


@dataclass(frozen=True)
class _Table:
    """A file read by :func:`workbench.intake.read_table`, as rows of strings with their file row numbers."""

    columns: list[str]
    rows: list[list[str]]
    numbers: list[int]
    long_rows: dict[int, int]  # row number -> cells, for rows with more cells than the header
    header_width: int
    notes: list[str]


def _read(data: bytes | pd.DataFrame, kind: Kind, filename: str) -> _Table:
    noun = "check-ins" if kind == "checkins" else "survey answers"
    frame = data if isinstance(data, pd.DataFrame) else read_table(data, filename, what=noun)
    if not len(frame):
        raise FileUnreadable(f"{filename or 'The file'} has a header but no rows to import. Export the {noun} "
                             "again (with their rows) and import that.")
    overflow = frame.attrs.get(OVERFLOW_ATTR) or {}
    columns = [str(c) for c in frame.columns]
    return _Table(columns, [[str(v) for v in r] for r in frame.itertuples(index=False, name=None)],
                  [int(i) for i in frame.index], dict(overflow.get("rows", {})),
                  int(overflow.get("header_width", len(columns))), list(frame.attrs.get(NOTES_ATTR) or []))


def _window(ctx: _Round, kind: Kind) -> DateWindow:
    late = ctx.ends_on + _LATE[kind]
    what = "answers" if kind == "surveys" else "check-ins"
    return DateWindow(
        ctx.label, earliest=ctx.starts_on, latest=late,
        earliest_why=f"the round started ({ctx.starts_on:%d %b %Y})",
        latest_why=f"the last day {what} may come ({late:%d %b %Y}; {ctx.label} runs {ctx.starts_on:%d %b %Y} "
                   f"to {ctx.ends_on:%d %b %Y})",
    )


def _validate(con: db.Connection, kind: Kind, table: _Table, round_id: str, filename: str) -> ImportReport:
    ctx = _round_context(con, kind, round_id)
    columns = CHECKIN_COLUMNS if kind == "checkins" else SURVEY_COLUMNS
    noun = "check-in" if kind == "checkins" else "survey answer"
    mapping = match_columns(table.columns, columns, record=noun, filename=filename).require()
    positions = {name: table.columns.index(source) for name, source in mapping.items()}
    report = ImportReport(kind, round_id, filename, len(table.rows), mapping=mapping,
                          ignored_columns=[c for i, c in enumerate(table.columns) if i not in positions.values()],
                          notes=list(table.notes))
    order = infer_date_order(dict.fromkeys(r[positions["submitted_on"]] for r in table.rows))
    window = _window(ctx, kind)

    def day(text: str) -> dt.date | Problem:
        value = parse_date(text, order)
        if isinstance(value, Problem):
            return value
        return window.problem(value, text) or value.date()

    voc = vocabularies(con)
    parsers: dict[str, Callable[[str], Any]] = {
        "email": parse_email,
        "submitted_on": day,
        "fortnight": lambda t: parse_int(t, 1, 12, "fortnight"),
        "contact_made": parse_yes_no, "partner_replied": parse_yes_no, "used_topics": parse_yes_no,
        "would_return": parse_yes_no,
        "methods": lambda t: parse_methods(t, voc["method"]),
        "topics_discussed": lambda t: parse_topics(t, ctx.topic_titles, round_id),
        "rating": lambda t: parse_int(t, 1, 5, "rating"),
        "program_satisfaction": lambda t: parse_int(t, 1, 5, "rating"),
        "partner_satisfaction": lambda t: parse_int(t, 1, 5, "rating"),
        "impact_text": lambda t: t,
        "impact_codes": lambda t: parse_codes(t, voc["impact_category"]),
    }
    empty: dict[str, Any] = {"methods": [], "topics_discussed": [], "impact_codes": []}
    first_row: dict[tuple[Any, ...], int] = {}
    for number, cells in zip(table.numbers, table.rows, strict=True):
        problems: list[Rejection] = []

        def reject(column: str, value: str, reason: str, fix: str, problems: list[Rejection] = problems,
                   number: int = number) -> None:
            problems.append(Rejection(number, column, display_value(value), reason, fix))

        if number in table.long_rows:
            reject(WHOLE_ROW, ", ".join(cells), f"This row has {table.long_rows[number]} cells but the header has "
                   f"{table.header_width}: a value holding an unquoted comma probably shifted the cells after it.",
                   "Put double quotes around the value that holds the comma (or export the file again) and "
                   "import again.")
            report.rejections.extend(problems)
            continue
        values: dict[str, Any] = {}
        for col in columns:
            if col.name not in positions:
                values[col.name] = empty.get(col.name)
                continue
            header, raw = mapping[col.name], cells[positions[col.name]]
            text, problem = clean_text(raw, col.name in _MULTI)
            limit = MAX_FREE_TEXT if col.name in _FREE_TEXT else MAX_CELL
            if problem is None and len(text) > limit:
                problem = too_long(len(text), limit)
            if problem is not None:
                reject(header, raw, f"The cell {problem.reason}.", problem.fix)
            elif not text:
                if col.required:
                    reject(header, raw, f"The cell is empty; this column must hold {col.label}.",
                           f"Fill in column '{header}' and import again.")
                values[col.name] = empty.get(col.name)
            else:
                parsed = parsers[col.name](text)
                if isinstance(parsed, Problem):
                    reject(header, raw, parsed.reason[0].upper() + parsed.reason[1:] + ".", parsed.fix)
                else:
                    values[col.name] = parsed
        member = None
        email = values.get("email")
        if email is not None and not any(p.column == mapping["email"] for p in problems):
            member = ctx.members.get(normalise_email(email))
            if member is None:
                reject(mapping["email"], email, f"No application to {ctx.label} has the email address '{email}'.",
                       "Check the spelling, or whether they applied with another address; correct it in the "
                       "file and import again.")
            elif member.status == "withdrawn":
                reject(mapping["email"], email, f"{member.name} withdrew their application to {ctx.label}.",
                       "Leave this row out, or reinstate the application first.")
            elif member.partnership_id is None:
                reject(mapping["email"], email, f"{member.name} is not in a partnership of {ctx.label}'s "
                       "published matching.", "Check the email address; responses come from matched participants.")
        if problems or member is None:
            report.rejections.extend(problems)
            continue
        key: tuple[Any, ...] = (member.application_id, values["fortnight"]) if kind == "checkins" \
            else (member.application_id,)
        if key in first_row:
            what = f"fortnight {values['fortnight']}" if kind == "checkins" else "the survey"
            reject(mapping["email"], cells[positions["email"]],
                   f"{member.name} answered {what} twice: row {first_row[key]} already has it.",
                   f"Only row {first_row[key]} is imported. If this later answer is the one to keep, delete "
                   f"row {first_row[key]} from the file and import again.")
            report.rejections.extend(problems)
            continue
        first_row[key] = number
        record = {"row": number, "application_id": member.application_id, "partnership_id": member.partnership_id,
                  **{k: v for k, v in values.items() if k != "email"}}
        stored = ctx.stored.get(key)
        if stored is None:
            report.records.append(record)
            continue
        compared = [c for c in _COMPARED[kind] if c in positions]
        differ = [c for c in compared if _norm(stored[c]) != _norm(record[c])]
        if not differ:
            report.unchanged.append(number)
            continue
        record["stored"] = stored
        what_stored = f"check-in for fortnight {values['fortnight']}" if kind == "checkins" else "survey"
        record["compared"] = compared
        report.changed_records.append(record)
        report.changed.append(Rejection(
            number, ", ".join(mapping[c] for c in differ),
            display_value("; ".join(f"{c.replace('_', ' ')}: {_show(record[c])}" for c in differ)),
            f"{member.name}'s {what_stored} is stored with other answers ("
            + "; ".join(f"{c.replace('_', ' ')}: {_show(stored[c])}" for c in differ) + ").",
            "Kept as stored. To take the file's answers instead, import again with replace.",
        ))
    return report


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return value


def validate_checkins(con: db.Connection, data: bytes | pd.DataFrame, round_id: str, *, by: User,
                      filename: str = "") -> ImportReport:
    """Check every row of a check-in file (CSV or XLSX bytes, or a frame from read_table) against the round;
    nothing is written."""
    require(by, Action.IMPORT)
    return _validate(con, "checkins", _read(data, "checkins", filename), round_id, filename)


def validate_surveys(con: db.Connection, data: bytes | pd.DataFrame, round_id: str, *, by: User,
                     filename: str = "") -> ImportReport:
    """Check every row of an end-of-round survey file against the round; nothing is written."""
    require(by, Action.IMPORT)
    return _validate(con, "surveys", _read(data, "surveys", filename), round_id, filename)


def import_responses(con: db.Connection, kind: Kind, data: bytes | pd.DataFrame, round_id: str, *, by: User,
                     filename: str = "", replace: bool = False) -> ImportReport:
    """Validate a file and write its valid rows in one transaction (all of them or none). A file refused as a
    whole (unreadable, over the limits, a column missing) raises before anything is written."""
    require(by, Action.IMPORT)
    table = _read(data, kind, filename)
    try:
        with db.transaction(con):
            report = _validate(con, kind, table, round_id, filename)
            report.inserted, report.replaced = write_answers(
                con, kind, round_id, report.records, report.changed_records if replace else [],
                source="import", actor=by.actor)
            db.audit(con, actor=by.actor, action=f"import {kind}", entity="rounds", entity_id=round_id,
                     after={"file": filename, "rows": report.total_rows, "inserted": report.inserted,
                            "replaced": report.replaced, "unchanged": len(report.unchanged),
                            "rejected_rows": report.rejected_rows})
    except duckdb.ConstraintException as exc:
        raise ImportConflict(
            f"Nothing was imported: the database refused a row ({str(exc).splitlines()[0]}). Most likely "
            "someone imported the same responses at the same moment. Import the file again: rows already "
            "stored are skipped."
        ) from None
    report.written = True
    return report


def import_checkins(con: db.Connection, data: bytes | pd.DataFrame, round_id: str, *, by: User, filename: str = "",
                    replace: bool = False) -> ImportReport:
    """Validate a check-in file and write its valid rows in one transaction."""
    return import_responses(con, "checkins", data, round_id, by=by, filename=filename, replace=replace)


def import_surveys(con: db.Connection, data: bytes | pd.DataFrame, round_id: str, *, by: User, filename: str = "",
                   replace: bool = False) -> ImportReport:
    """Validate a survey file and write its valid rows in one transaction."""
    return import_responses(con, "surveys", data, round_id, by=by, filename=filename, replace=replace)


def write_answers(con: db.Connection, kind: Kind, round_id: str, new: list[dict[str, Any]],
                  changed: list[dict[str, Any]], *, source: Source, actor: str) -> tuple[int, int]:
    """The one home of writing check-in and survey answers, from a file (:func:`import_responses`) or from the
    participant's own link (:mod:`workbench.followup.answers`): insert ``new`` and overwrite the answers of
    ``changed`` (records carrying ``stored``, the row as stored, and ``compared``, the fields to compare), each
    marked with its ``source``. The caller holds the transaction. Returns (inserted, replaced).

    One row per participant and fortnight (per participant, for the survey): a second answer replaces the
    first, so an import of an answer already given by link adds nothing (it is ``unchanged``, and keeps its
    source ``link``), and a link answer after an import updates it."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
    inserted = (_insert_checkins if kind == "checkins" else _insert_surveys)(con, round_id, new, source)
    for record in changed:
        _replace(con, kind, record, actor, source)
    return inserted, len(changed)


def stored_answers(con: db.Connection, kind: Kind, application_id: int,
                   fortnight: int | None = None) -> dict[str, Any] | None:
    """One participant's stored check-in of a fortnight (or survey), as :func:`write_answers` compares it."""
    if kind == "checkins":
        cols = ("id", *_COMPARED["checkins"], "note", "source")
        row = con.execute("SELECT checkin_id, submitted_on, contact_made, partner_replied, methods, topics_discussed, "
                          "rating, note, source FROM checkins WHERE application_id = ? AND fortnight = ?",
                          [application_id, fortnight]).fetchone()
    else:
        cols = ("id", *_COMPARED["surveys"], "is_cleared", "codes_confirmed", "version", "source")
        row = con.execute("SELECT survey_id, submitted_on, program_satisfaction, partner_satisfaction, methods, "
                          "used_topics, would_return, impact_text, impact_codes, is_cleared, codes_confirmed, "
                          "version, source FROM surveys WHERE application_id = ?", [application_id]).fetchone()
    return None if row is None else dict(zip(cols, row, strict=True))


#: Up to this many rows are inserted with plain parameters; more go through a registered frame (faster in bulk).
_FEW = 20


def _insert(con: db.Connection, table: str, frame: pd.DataFrame, columns: str, select: str, round_id: str,
            source: Source) -> int:
    if len(frame) <= _FEW:  # an answer by link: plain parameters, no frame to register
        one = "(" + ", ".join("?" for _ in frame.columns) + ")"
        values = [v.item() if hasattr(v, "item") else v for row in frame.itertuples(index=False) for v in row]
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {select} FROM (VALUES {', '.join([one] * len(frame))}) "
                    f"AS incoming({', '.join(frame.columns)})", [round_id, source, *values])
        return len(frame)
    name = f"_incoming_{table}"
    con.register(name, frame)
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {select} FROM {name}", [round_id, source])
    finally:
        con.unregister(name)
    return len(frame)


def _insert_checkins(con: db.Connection, round_id: str, records: list[dict[str, Any]], source: Source) -> int:
    if not records:
        return 0
    ids = db.next_ids(con, "checkins", len(records))
    frame = pd.DataFrame({
        "checkin_id": ids,
        "application_id": [r["application_id"] for r in records],
        "partnership_id": [r["partnership_id"] for r in records],
        "fortnight": [r["fortnight"] for r in records],
        "submitted_on": pd.Series([r["submitted_on"] for r in records], dtype=object),
        "contact_made": [bool(r["contact_made"]) for r in records],
        "partner_replied": pd.Series([r["partner_replied"] for r in records], dtype=object),
        "methods": pd.Series([list(r["methods"] or []) for r in records], dtype=object),
        "topics_discussed": pd.Series([list(r["topics_discussed"] or []) for r in records], dtype=object),
        "rating": pd.Series([r["rating"] for r in records], dtype=object),
        "note": pd.Series([r.get("note") for r in records], dtype=object),
    })
    return _insert(con, "checkins", frame, "checkin_id, application_id, partnership_id, round_id, fortnight, "
                   "submitted_on, contact_made, partner_replied, methods, topics_discussed, rating, source, note", """
        checkin_id::INTEGER, application_id::INTEGER, partnership_id::INTEGER, ?::VARCHAR,
        fortnight::INTEGER, submitted_on::DATE, contact_made::BOOLEAN, partner_replied::BOOLEAN,
        methods::VARCHAR[], topics_discussed::INTEGER[], rating::INTEGER, ?::VARCHAR, note::VARCHAR""",
                   round_id, source)


def _insert_surveys(con: db.Connection, round_id: str, records: list[dict[str, Any]], source: Source) -> int:
    if not records:
        return 0
    ids = db.next_ids(con, "surveys", len(records))
    frame = pd.DataFrame({
        "survey_id": ids,
        "application_id": [r["application_id"] for r in records],
        "submitted_on": pd.Series([r["submitted_on"] for r in records], dtype=object),
        "program_satisfaction": [r["program_satisfaction"] for r in records],
        "partner_satisfaction": pd.Series([r["partner_satisfaction"] for r in records], dtype=object),
        "methods": pd.Series([list(r["methods"] or []) for r in records], dtype=object),
        "used_topics": [bool(r["used_topics"]) for r in records],
        "would_return": pd.Series([r["would_return"] for r in records], dtype=object),
        "impact_text": pd.Series([r["impact_text"] for r in records], dtype=object),
        "impact_codes": pd.Series([list(r["impact_codes"] or []) for r in records], dtype=object),
        "codes_confirmed": [bool(r["impact_codes"]) for r in records],
        # a new answer is cleared for public use only when its author said so on the survey page (link)
        "is_cleared": [bool(r.get("is_cleared")) and bool(r["impact_text"]) for r in records],
    })
    return _insert(con, "surveys", frame, "survey_id, application_id, round_id, submitted_on, program_satisfaction, "
                   "partner_satisfaction, methods, used_topics, would_return, impact_text, impact_codes, "
                   "codes_confirmed, version, source, is_cleared", """
        survey_id::INTEGER, application_id::INTEGER, ?::VARCHAR, submitted_on::DATE,
        program_satisfaction::INTEGER, partner_satisfaction::INTEGER, methods::VARCHAR[], used_topics::BOOLEAN,
        would_return::BOOLEAN, impact_text::VARCHAR, impact_codes::VARCHAR[], codes_confirmed::BOOLEAN,
        1, ?::VARCHAR, is_cleared::BOOLEAN""", round_id, source)  # version 1


def _replace(con: db.Connection, kind: Kind, record: dict[str, Any], actor: str, source: Source) -> None:
    stored = record["stored"]
    changes = {c: record[c] for c in record["compared"] if _norm(stored[c]) != _norm(record[c])}
    if kind == "checkins":
        if "note" in record and record["note"] != stored.get("note"):
            changes["note"] = record["note"]
        changes["source"] = source
        sets = ", ".join(f"{c} = ?" for c in changes)
        con.execute(f"UPDATE checkins SET {sets} WHERE checkin_id = ?", [*changes.values(), stored["id"]])
        db.audit(con, actor=actor, action="replace checkin", entity="checkins", entity_id=stored["id"],
                 before={c: stored.get(c) for c in changes if c != "note"},
                 after={c: v for c, v in changes.items() if c != "note"})
        return
    if "impact_codes" in changes:
        changes["codes_confirmed"] = bool(changes["impact_codes"])
    elif "impact_text" in changes:  # a new answer: its old codes no longer apply
        changes.update(impact_codes=[], codes_confirmed=False)
    if "is_cleared" in record:  # the author's own answer to "May we quote your answer?" (link)
        cleared = bool(record["is_cleared"]) and bool(record.get("impact_text"))
        if cleared != bool(stored.get("is_cleared")) or "impact_text" in changes:
            changes["is_cleared"] = cleared
    elif "impact_text" in changes:  # nor does a clearance given to the old text
        changes["is_cleared"] = False
    changes["source"] = source
    db.update_versioned(con, "surveys", "survey_id", stored["id"], stored["version"], changes,
                        actor=actor, action="replace survey")


__all__ = [
    "CHECKIN_COLUMNS",
    "SOURCES",
    "SURVEY_COLUMNS",
    "ImportConflict",
    "ImportFileError",
    "ImportReport",
    "Kind",
    "Rejection",
    "Source",
    "import_checkins",
    "import_responses",
    "import_surveys",
    "stored_answers",
    "validate_checkins",
    "validate_surveys",
    "write_answers",
]
