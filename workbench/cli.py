"""``workbench …``: thin argument parsing over the library. Exit 0 done, 1 failed, 2 usage error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from workbench import applications_cli, db, matching_cli
from workbench.config import settings
from workbench.errors import WorkbenchError
from workbench.followup import cli as followup_cli


def _cmd_init(args: argparse.Namespace) -> int:
    from workbench.build import build_database

    target = args.db or settings().db_path
    if args.if_missing and target.exists():
        print(f"{target} exists; kept it (use --force to rebuild it from sample_data/).")
        return 0
    path = build_database(target, force=args.force)
    con = db.connect(path, read_only=True)
    try:
        rounds, apps = con.execute(
            "SELECT count(*), sum(applications) FROM round_summary"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    print(f"Built {path}: {rounds} rounds, {apps} applications from the sample program.")
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    con = db.connect(args.db)  # COPY FROM DATABASE needs a writable instance to attach the copy
    try:
        out = db.publish_snapshot(con, args.out)
    finally:
        con.close()
    print(f"Published the analyst snapshot {out} (read-only; open it with `duckdb -readonly {out}`).")
    return 0


def _cmd_views(args: argparse.Namespace) -> int:
    views = db.view_files()
    if args.json:
        print(json.dumps([{"view": v.name, "description": v.description} for v in views], indent=2))
        return 0
    width = max(len(v.name) for v in views)
    for v in views:
        print(f"{v.name.ljust(width)}  {v.description}")
    return 0


def _cmd_checks(args: argparse.Namespace) -> int:
    con = db.connect(args.db, read_only=True)
    try:
        results = db.run_checks(con)
    finally:
        con.close()
    failed = {name: rows for name, rows in results.items() if rows}
    for name, rows in results.items():
        print(f"{'FAIL' if rows else 'ok  '}  {name}" + (f": {len(rows)} rows, e.g. {rows[0]}" if rows else ""))
    return 1 if failed else 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from workbench.sample import generate

    counts = generate(args.out, seed=args.seed)
    print(f"Wrote the sample program to {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Coordinator workbench for an international online peer-mentoring program.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    db_help = "the workbench database (default: $WORKBENCH_DB or data/workbench.duckdb)"
    p = add("init", _cmd_init, "Build the database from sample_data/ (refuses to overwrite without --force).")
    p.add_argument("--db", type=Path, help=db_help)
    p.add_argument("--force", action="store_true", help="replace an existing database file")
    p.add_argument("--if-missing", action="store_true", help="do nothing if the database already exists")

    p = add("snapshot", _cmd_snapshot, "Publish the read-only analyst snapshot of the database.")
    p.add_argument("--db", type=Path, help=db_help)
    p.add_argument("--out", type=Path, help="where to write it (default: $WORKBENCH_SNAPSHOT or data/analytics.duckdb)")

    p = add("views", _cmd_views, "List the analyst views with their descriptions.")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add("checks", _cmd_checks, "Run the data checks (each must return no rows); exit 1 if any fails.")
    p.add_argument("--db", type=Path, help=db_help)

    imports = sub.add_parser("import", help="Import a file into a round (applications, check-ins, surveys).",
                             description="Import a file into a round.")
    import_sub = imports.add_subparsers(dest="what", required=True, metavar="WHAT")
    applications_cli.register(sub, import_sub)
    followup_cli.register(import_sub)
    matching_cli.register(sub)

    p = add("generate", _cmd_generate, "Regenerate the sample program's CSVs (deterministic for a seed).")
    p.add_argument("--out", type=Path, default=settings().sample_dir, help="folder to write (default: sample_data/)")
    p.add_argument("--seed", type=int, default=2013, help="random seed (default: 2013)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    try:
        return int(args.func(args))
    except WorkbenchError as exc:
        print(f"workbench {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
