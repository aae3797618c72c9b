"""``workbench import checkins|surveys FILE --round R [--db PATH] [--json] [--replace] [--dry-run]``.

:func:`register` adds the two sub-commands to the ``import`` command's sub-parsers::

    imports = import_parser.add_subparsers(dest="what", required=True, metavar="WHAT")
    followup_cli.register(imports)

Exit codes (as ``workbench import applications``): 0 the import ran, even with rejected rows (the valid
ones are imported and the report lists the others); 1 nothing could be imported (the file is unreadable,
lacks a required column, or every row was rejected); 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workbench import db
from workbench.config import settings
from workbench.errors import WorkbenchError
from workbench.followup.checkins import ImportReport, Kind, import_responses, validate_checkins, validate_surveys

SHOWN = 40  # rejections printed before "... and N more"


def register(subparsers: Any) -> None:
    """Add ``checkins`` and ``surveys`` to the sub-parsers of ``workbench import``."""
    helps: dict[Kind, str] = {
        "checkins": "Import fortnightly check-ins (CSV: email, fortnight, date, contact made; optionally partner "
                    "replied, methods, topics discussed, rating).",
        "surveys": "Import end-of-round survey answers (CSV: email, date, program satisfaction, used topics; "
                   "optionally partner satisfaction, methods, would return, impact answer, impact codes).",
    }
    for kind, help_ in helps.items():
        p = subparsers.add_parser(kind, help=help_, description=help_ + " Rows already imported are skipped, so "
                                  "a corrected file can be imported again. Exit 0 when the import ran (even "
                                  "with rejected rows), 1 when nothing could be imported.")
        p.add_argument("file", type=Path, metavar="FILE", help="the CSV file (a form's export)")
        p.add_argument("--round", dest="round_id", required=True, metavar="ROUND", help="the round, e.g. 2016B")
        p.add_argument("--db", type=Path, help="the workbench database (default: $WORKBENCH_DB)")
        p.add_argument("--json", action="store_true", help="print the report as JSON")
        p.add_argument("--replace", action="store_true",
                       help="overwrite stored rows whose answers differ from the file (default: keep them)")
        p.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
        p.set_defaults(func=_command(kind))


def _command(kind: Kind) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return run_import(kind, args.file, args.round_id, db_path=args.db, as_json=args.json,
                              replace=args.replace, dry_run=args.dry_run)
        except WorkbenchError as exc:
            if args.json:
                print(json.dumps({"error": str(exc), "inserted": 0, "rejections": []}, indent=2))
            raise
    return run


def run_import(kind: Kind, file: Path, round_id: str, *, db_path: Path | None = None, as_json: bool = False,
               replace: bool = False, dry_run: bool = False) -> int:
    if not file.is_file():
        raise WorkbenchError(f"There is no file {file}. Check the path (export the responses as CSV first).")
    data = file.read_bytes()
    con = db.connect(db_path)
    try:
        if dry_run:
            validate = validate_checkins if kind == "checkins" else validate_surveys
            report = validate(con, data, round_id, filename=file.name)
        else:
            report = import_responses(con, kind, data, round_id, actor=settings().actor, filename=file.name,
                                      replace=replace)
            if report.inserted or report.replaced:
                note = db.refresh_snapshot_after_command(con, db_path)
                print(note, file=sys.stderr)
    finally:
        con.close()
    print(json.dumps(report_dict(report), indent=2, default=str) if as_json else report_text(report))
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
