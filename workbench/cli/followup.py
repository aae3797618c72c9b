"""``workbench import checkins|surveys FILE --round R [--db PATH] [--json] [--replace] [--dry-run]``.

Exit codes (as ``workbench import applications``): 0 the import ran, even with rejected rows (the valid
ones are imported and the report lists the others); 1 nothing could be imported (the file is unreadable,
lacks a required column, or every row was rejected); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from workbench.access import command_line_user
from workbench.cli._common import Command, Commands, UsageError, changing, reading
from workbench.errors import WorkbenchError
from workbench.followup.checkins import ImportReport, Kind, import_responses, validate_checkins, validate_surveys

SHOWN = 40  # rejections printed before "... and N more"


def register(commands: Commands) -> None:
    """Add ``import checkins`` and ``import surveys``."""
    helps: dict[Kind, str] = {
        "checkins": "Import fortnightly check-ins (CSV: email, fortnight, date, contact made; optionally partner "
                    "replied, methods, topics discussed, rating).",
        "surveys": "Import end-of-round survey answers (CSV: email, date, program satisfaction, used topics; "
                   "optionally partner satisfaction, methods, would return, impact answer, impact codes).",
    }
    for kind, help_ in helps.items():
        p = commands.add_import(kind, _command(kind), help_,
                                description=help_ + " Rows already imported are skipped, so a corrected file "
                                "can be imported again. Exit 0 when the import ran (even with rejected rows), "
                                "1 when nothing could be imported.")
        p.add_argument("file", type=Path, metavar="FILE", help="the CSV file (a form's export)")
        p.add_argument("--round", dest="round_id", required=True, metavar="ROUND", help="the round, e.g. 2016B")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument("--replace", action="store_true",
                       help="overwrite stored rows whose answers differ from the file (default: keep them)")
        p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")


def _command(kind: Kind) -> Command:
    def run(args: argparse.Namespace) -> int:
        try:
            return run_import(kind, args)
        except WorkbenchError as exc:
            if args.json:
                print(json.dumps({"error": str(exc), "inserted": 0, "rejections": []}, indent=2))
            raise
    return run


def run_import(kind: Kind, args: argparse.Namespace) -> int:
    file: Path = args.file
    if not file.is_file():
        raise UsageError(f"There is no file {file}. Check the path (export the responses as CSV first).")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise WorkbenchError(f"Cannot read {file}: {exc.strerror or exc}.") from None
    if args.dry_run:
        validate = validate_checkins if kind == "checkins" else validate_surveys
        with reading(args) as con:
            report = validate(con, data, args.round_id, filename=file.name, by=command_line_user())
    else:
        with changing(args) as con:
            report = import_responses(con, kind, data, args.round_id, by=command_line_user(), filename=file.name,
                                      replace=args.replace)
    print(json.dumps(report_dict(report), indent=2, default=str) if args.json else report_text(report))
    return 1 if nothing_imported(report) else 0


def nothing_imported(report: ImportReport) -> bool:
    """Every row of the file was rejected: nothing new, nothing already there, nothing changed."""
    return bool(report.rejections) and not (report.records or report.unchanged or report.changed)


def report_dict(report: ImportReport) -> dict[str, Any]:
    return {
        "kind": report.kind, "round": report.round_id, "file": report.filename, "rows": report.total_rows,
        "written": report.written, "inserted": report.inserted, "replaced": report.replaced,
        "new": len(report.records), "unchanged": len(report.unchanged),
        "changed": [r.as_dict() for r in report.changed], "rejected_rows": report.rejected_rows,
        "rejections": [r.as_dict() for r in report.rejections], "columns": report.mapping,
        "ignored_columns": report.ignored_columns, "summary": report.summary(),
    }


def report_text(report: ImportReport) -> str:
    lines = [report.summary()]
    if report.ignored_columns:
        lines.append("Columns not used: " + ", ".join(f"'{c}'" for c in report.ignored_columns) + ".")
    for title, items in (("Rejected", report.rejections), ("Stored with other answers", report.changed)):
        if not items:
            continue
        lines.append(f"\n{title}:")
        for r in items[:SHOWN]:
            lines.append(f"  row {r.row}, column '{r.column}', value '{r.value}': {r.reason} {r.fix}")
        if len(items) > SHOWN:
            lines.append(f"  ... and {len(items) - SHOWN} more (use --json for all of them)")
    return "\n".join(lines)
