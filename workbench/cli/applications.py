"""``workbench import applications FILE --round ROUND`` and ``workbench open-round ROUND``.

Exit codes: 0 the import ran (even with rejected rows, or with nothing new because the file was
imported before), 1 nothing could be imported (an unreadable file, a required column missing, every row
rejected, a round closed to applications, the database busy), 2 a usage error (a file that is not there,
a malformed option).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from workbench import applications
from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, changing, first_line, reading
from workbench.errors import WorkbenchError
from workbench.intake import CANONICAL


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
    p.add_argument("--date-order", choices=["auto", "mdy", "dmy"], default="auto",
                   help="numeric dates month first (mdy) or day first (dmy); auto decides per file")
    p.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    p = commands.add(
        "open-round", _cmd_open_round, "Open a new round, carrying over the latest round's waitlisted applicants.",
        description="Open a new round (status open) and carry over the applicants the latest round waitlisted "
                    "under its per-country cap; they are decided with the new round's first import.",
        takes_db=True,
    )
    p.add_argument("round_id", metavar="ROUND", help="the new round's id, e.g. 2017B")
    p.add_argument("--cap", type=float, default=None,
                   help="the per-country cap, a share (default: the program's setting country_cap, 0.2 = 20%%)")


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} takes KEY=VALUE (got '{value}').")
        out[key.strip()] = target.strip()
    return out


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
    with reading(args) if args.dry_run else changing(args) as con:
        try:
            return applications.import_applications(
                con, data, path.name, args.round_id, by=command_line_user(), manual=manual or None,
                confirmed_countries=countries or None, confirmed_people=people or None,
                date_order=args.date_order, dry_run=args.dry_run,
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
    if report.near_matches:
        print("\nPerhaps the same person (confirm with --same-person EMAIL=PERSON_ID, or leave as a new person):")
        for m in report.near_matches:
            print(f"  {m.describe()}  [--same-person {m.email}={m.person_id}]")
    if report.country_suggestions:
        print("\nCountries to confirm (with --country VALUE=ISO3):")
        for value, candidates in {s.value: s.candidates for s in report.country_suggestions}.items():
            names = ", ".join(f"{n} ({c})" for c, n in candidates)
            print(f"  '{value}': {names}")


def _cmd_open_round(args: argparse.Namespace) -> int:
    with changing(args) as con:
        opened = applications.open_round(con, args.round_id, by=command_line_user(), cap=args.cap)
        print(opened.summary())
    return 0
