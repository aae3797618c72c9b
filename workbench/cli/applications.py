"""``workbench import applications FILE --round ROUND`` and ``workbench open-round ROUND``.

Exit codes: 0 the import ran (even with rejected rows, or with nothing new because the file was
imported before), 1 nothing could be imported (an unreadable file, a required column missing, every row
rejected, a round closed to applications, the database busy), 2 a usage error (a file that is not there,
a malformed option).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Literal

import duckdb

from workbench import applications
from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, changing, first_line, reading
from workbench.errors import WorkbenchError
from workbench.intake import CANONICAL
from workbench.intake.values import ADD, COLUMN_KINDS, DROP
from workbench.participants import applying


def register(commands: Commands) -> None:
    """Add ``import applications`` and ``open-round``."""
    p = commands.add_import(
        "applications", _cmd_import, "Import an application file (CSV or XLSX) into a round.",
        description="Import an application file (CSV or XLSX) into a round: headers matched tolerantly, every "
                    "row validated, valid rows added in one transaction, the per-country cap applied. The round "
                    "is created if it does not exist. Exit 0 when the import ran (even with rejected rows), "
                    "1 when nothing could be imported, 2 for a usage error.",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the CSV or XLSX export of the application form")
    p.add_argument("--round", required=True, dest="round_id", metavar="ROUND", help="the round, e.g. 2017B")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--map", action="append", default=[], metavar="COLUMN=FIELD",
                   help="map a file column to an application field by hand (repeatable); fields: "
                        + ", ".join(CANONICAL))
    p.add_argument("--country", action="append", default=[], metavar="VALUE=ISO3",
                   help="confirm a suggested country, e.g. --country Austrailia=AUS (repeatable)")
    p.add_argument("--same-person", action="append", default=[], metavar="EMAIL=PERSON_ID",
                   help="confirm a near-match: this row's email belongs to the known person (repeatable)")
    p.add_argument("--link", action="append", default=[], metavar="ROW=PERSON_ID",
                   help="answer a review row: the application on this row is that known person (repeatable); "
                        "--link none links nobody the model recognised (a known address is always its person). By "
                        "default the sure ones are linked and the review rows go in as new people")
    p.add_argument("--date-order", choices=["auto", "mdy", "dmy"], default="auto",
                   help="numeric dates month first (mdy) or day first (dmy); auto decides per file")
    p.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")
    p.add_argument("--value", action="append", default=[], metavar="COLUMN:VALUE=KNOWN",
                   help="decide a value outside the program's lists (repeatable): map it to a known value "
                        "(--value 'interests:advocacy=Library advocacy'), add it as new (=+), or drop it (= with "
                        "nothing after it); without a decision it is kept as written. Columns: "
                        + ", ".join(COLUMN_KINDS))
    p.add_argument("--add-values", action="store_true",
                   help="add every value outside the program's lists without a --value decision to the lists")
    p.add_argument("--keep", choices=["latest", "first"], default="latest",
                   help="who submitted twice in the file: import their latest submission (default) or their first")

    p = commands.add(
        "open-round", _cmd_open_round, "Open a new round, carrying over the latest round's waitlisted applicants.",
        description="Open a new round (status open) and carry over the applicants the latest round waitlisted "
                    "under its per-country cap; they are decided with the new round's first import.",
        takes_db=True,
    )
    p.add_argument("round_id", metavar="ROUND", help="the new round's id, e.g. 2017B")
    p.add_argument("--cap", type=float, default=None,
                   help="the per-country cap, a share (default: the program's setting country_cap, 0.2 = 20%%)")
    p.add_argument("--closes", type=dt.date.fromisoformat, default=None, metavar="DATE",
                   help="also take applications on the participants' form (/apply) until DATE (YYYY-MM-DD); an "
                        "existing open round is opened on the form")

    p = commands.add(
        "close-round", _cmd_close_round, "Stop a round taking applications on the participants' form.",
        description="The round no longer takes applications on /apply; the Import page can still fill it.",
        takes_db=True,
    )
    p.add_argument("round_id", metavar="ROUND", help="the round, e.g. 2017B")


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes KEY=VALUE (got '{value}').")
        out[key.strip()] = target.strip()
    return out


def _values(options: list[str]) -> dict[tuple[str, str], str]:
    """``--value COLUMN:VALUE=KNOWN`` options -> {(column, value): known value, "add" or "drop"}."""
    out: dict[tuple[str, str], str] = {}
    for option in options:
        left, sep, target = option.partition("=")
        column, colon, value = left.partition(":")
        if not sep or not colon or not column.strip() or not value.strip():
            raise UsageError(f"--value takes COLUMN:VALUE=KNOWN (got '{option}'), for example "
                             "--value 'interests:advocacy=Library advocacy'; =+ adds the value, = drops it.")
        if column.strip() not in COLUMN_KINDS:
            raise UsageError(f"--value '{option}': '{column.strip()}' is not a column with a list of values; use one "
                             f"of: {', '.join(COLUMN_KINDS)}.")
        target = target.strip()
        out[(column.strip(), value.strip())] = ADD if target == "+" else target if target else DROP
    return out


def _links(options: list[str]) -> tuple[Literal["sure", "none"], dict[int, int]]:
    """``--link none`` and ``--link ROW=PERSON_ID`` options -> (mode, {row: person_id})."""
    answers: dict[int, int] = {}
    mode: Literal["sure", "none"] = "sure"
    for option in options:
        if option.strip().lower() == "none":
            mode = "none"
            continue
        row, sep, person = option.partition("=")
        try:
            answers[int(row.strip())] = int(person.strip())
        except ValueError:
            raise UsageError(f"--link takes ROW=PERSON_ID with two numbers, e.g. --link 14=2031, or none (got "
                             f"'{option}'): ROW is the file's row the review lists, PERSON_ID its candidate.") from None
        if not sep:
            raise UsageError(f"--link takes ROW=PERSON_ID or none (got '{option}').")
    return mode, answers


def _cmd_import(args: argparse.Namespace) -> int:
    try:
        report = _run_import(args)
    except WorkbenchError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "imported": 0, "rejected": []}, indent=2))
        raise
    if args.json:
        print(json.dumps(report.as_json(), indent=2, ensure_ascii=False, default=str))
    else:
        _print_report(report)
    if report.total_rows == 0 or report.nothing_imported:
        return 1
    return 0


def _run_import(args: argparse.Namespace) -> applications.ImportReport:
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"There is no file {path}. Give the path of the CSV or XLSX export.")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkbenchError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    manual = _pairs(args.map, "--map")
    countries = _pairs(args.country, "--country")
    people_raw = _pairs(args.same_person, "--same-person")
    try:
        people = {email: int(pid) for email, pid in people_raw.items()}
    except ValueError:
        raise UsageError("--same-person takes EMAIL=PERSON_ID with a number, e.g. ana@example.org=1234.") from None
    link, answers = _links(args.link)
    with reading(args) if args.dry_run else changing(args) as con:
        try:
            return applications.import_applications(
                con, data, path.name, args.round_id, by=command_line_user(), manual=manual or None,
                confirmed_countries=countries or None, confirmed_people=people or None,
                date_order=args.date_order, dry_run=args.dry_run, values=_values(args.value) or None,
                add_values=args.add_values, keep=args.keep, link=link, link_answers=answers or None,
            )
        except duckdb.Error as exc:
            raise WorkbenchError(f"The import failed and nothing was saved: {first_line(exc)}") from None


def _print_report(report: applications.ImportReport) -> None:
    print(report.summary())
    if report.rejected:
        print("\nRejected rows (row, column, value: reason -> what to do):")
        for r in report.rejected:
            value = r.value if len(r.value) <= 60 else r.value[:59] + "…"
            print(f"  row {r.row}, {r.column}, '{value}': {r.reason} -> {r.fix}")
    if report.near_matches and report.dry_run:
        print("\nPerhaps a known person (answer with --link ROW=PERSON_ID, or leave as a new person):")
        for m in report.near_matches:
            print(f"  {m.describe()}  [--link {m.row}={m.person_id}]")
    elif report.near_matches:  # imported: they are new people now, and the report's summary says how many
        print("\nAdded as new people though they looked like someone already known (link them later):")
        for m in report.near_matches:
            print(f"  {m.describe()}")
    kept = report.new_values()
    if kept:
        print("\nValues outside the program's lists, kept as written (decide with --value COLUMN:VALUE=KNOWN, "
              "=+ to add, = to drop; or --add-values):")
        for u in kept:
            rows = ", ".join(map(str, u.rows[:8])) + (", …" if len(u.rows) > 8 else "")
            hint = f"  [--value '{u.column}:{u.value}={u.suggestion}']" if u.suggestion else ""
            print(f"  {u.column}: '{u.value}' in {len(u.rows)} row(s) ({rows})"
                  + (f", perhaps '{u.suggestion}'" if u.suggestion else "") + hint)
    if report.values_added:
        print("\nAdded to the program's lists: " + ", ".join(report.values_added))
    if report.resubmitted:
        which = "latest" if report.keep == "latest" else "first"
        print(f"\nSubmitted more than once (the {which} submission is imported; --keep "
              f"{'first' if which == 'latest' else 'latest'} for the other):")
        for r in report.resubmitted:
            print(f"  row {r.row}, '{r.value}': {r.reason}")
    if report.warnings:
        print("\nRead with a fallback (imported):")
        for w in report.warnings:
            print(f"  row {w.row}, {w.column}, '{w.value}': {w.reason}")
    if report.country_suggestions:
        print("\nCountries to confirm (with --country VALUE=ISO3):")
        for value, candidates in {s.value: s.candidates for s in report.country_suggestions}.items():
            names = ", ".join(f"{n} ({c})" for c, n in candidates)
            print(f"  '{value}': {names}")


def _cmd_open_round(args: argparse.Namespace) -> int:
    with changing(args) as con:
        if args.closes is not None:  # the form: creates the round when it is new
            print(applying.open_for_applications(con, args.round_id, by=command_line_user(), closes_on=args.closes,
                                                 cap=args.cap))
            return 0
        opened = applications.open_round(con, args.round_id, by=command_line_user(), cap=args.cap)
        print(opened.summary())
    return 0


def _cmd_close_round(args: argparse.Namespace) -> int:
    with changing(args) as con:
        print(applying.close_for_applications(con, args.round_id, by=command_line_user()))
    return 0
