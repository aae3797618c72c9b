"""The database as a whole: ``init``, ``snapshot``, ``views``, ``checks`` and ``generate``.

Commands that manage the database file itself (migrations, backups, restores) belong here too: write
``_cmd_NAME(args) -> int`` and add it in :func:`register` with ``commands.add(..., takes_db=True)``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench import backups, db, migrations, snapshots
from workbench.access import command_line_user
from workbench.build import build_database, build_empty_database
from workbench.cli._common import Commands, UsageError, changing, db_path, open_database, reading
from workbench.config import settings
from workbench.sample import generate


def _cmd_init(args: argparse.Namespace) -> int:
    target = db_path(args)
    if args.name is not None and not args.empty:
        raise UsageError("--name names a new, empty program: use it with --empty (`workbench init --empty --name "
                         "\"My program\"`). The sample program is the ILN.")
    if args.if_missing and target.exists():
        what = "start a new program in it" if args.empty else "rebuild it from sample_data/"
        print(f"{target} exists; kept it (use --force to {what}).")
        return 0
    if args.empty:
        path = build_empty_database(target, name=args.name or "My mentoring program", by=command_line_user(),
                                    force=args.force)
        with changing(args) as con:
            vocabularies, countries = con.execute(
                "SELECT (SELECT count(DISTINCT kind) FROM vocabulary_terms), (SELECT count(*) FROM countries)"
            ).fetchone()  # type: ignore[misc]
        print(f"Started the program {args.name or 'My mentoring program'!r} in {path}: no rounds and no people yet; "
              f"{countries} countries, {vocabularies} vocabularies and every setting at its default. Next: "
              f"`workbench settings show --db {path}`, then `workbench import applications FILE ROUND --db {path}`.")
        return 0
    path = build_database(target, force=args.force)
    with changing(args) as con:
        rounds, apps = con.execute(
            "SELECT count(*), sum(applications) FROM round_summary"
        ).fetchone()  # type: ignore[misc]
        print(f"Built {path}: {rounds} rounds, {apps} applications from the sample program.")
    return 0


def _cmd_snapshot(args: argparse.Namespace) -> int:
    # Writable: the copy is attached to this connection. The snapshot is what is published, so this
    # command does not go through `changing` (which would publish it a second time).
    if args.full and (args.out is None or Path(args.out).resolve() == settings().snapshot_path.resolve()):
        raise UsageError("A full copy holds every participant's name, email and answers: write it to a file of "
                         "its own with --out FILE, not over the analysts' (pseudonymised) snapshot.")
    con = open_database(args)
    try:
        out = snapshots.publish_snapshot(con, args.out, full=args.full, by=command_line_user())
    finally:
        con.close()
    kind = ("a FULL copy with participants' names, emails and free text: keep it to yourself" if args.full
            else "pseudonymised")
    print(f"Published the analyst snapshot {out} ({kind}; owner-only, read-only: open it with "
          f"`duckdb -readonly {out}`).")
    return 0


def _cmd_views(args: argparse.Namespace) -> int:
    views = db.view_files()
    if args.json:
        print(json.dumps([{"view": v.name, "description": v.description} for v in views], indent=2))
        return 0
    width = max((len(v.name) for v in views), default=0)
    for v in views:
        print(f"{v.name.ljust(width)}  {v.description}")
    return 0


def _cmd_checks(args: argparse.Namespace) -> int:
    with reading(args) as con:
        results = db.run_checks(con)
    for name, rows in results.items():
        print(f"{'FAIL' if rows else 'ok  '}  {name}" + (f": {len(rows)} rows, e.g. {rows[0]}" if rows else ""))
    return 1 if any(results.values()) else 0


def _cmd_generate(args: argparse.Namespace) -> int:
    counts = generate(args.out, seed=args.seed)
    print(f"Wrote the sample program to {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _cmd_migrate(args: argparse.Namespace) -> int:
    done = migrations.migrate(db_path(args))
    print(done.summary())
    return 0


def _cmd_backup(args: argparse.Namespace) -> int:
    # Writable: the copy is attached to this connection; the database itself is not changed.
    con = open_database(args)
    try:
        out = backups.backup(con, args.out)
    finally:
        con.close()
    print(f"Backed up {db_path(args)} to {out}. Restore it with `workbench restore {out} --db {db_path(args)}`.")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    done = backups.restore(args.file, db_path(args))
    print(done.summary())
    if args.db is None or Path(args.db).resolve() == settings().db_path.resolve():
        with changing(args):
            pass  # publishes the analyst snapshot of the restored database
    return 0


def register(commands: Commands) -> None:
    """Add ``init``, ``snapshot``, ``views``, ``checks`` and ``generate``."""
    p = commands.add("init", _cmd_init, "Build the database from sample_data/ (refuses to overwrite without --force).",
                     description="Build the database: the sample program (the ILN, from sample_data/), or with "
                                 "--empty a new program of your own with no data and the default settings. One "
                                 "database file holds one program; run several programs as several files (--db).",
                     takes_db=True)
    p.add_argument("--empty", action="store_true",
                   help="start a new program: no rounds or people, default settings and vocabularies")
    p.add_argument("--name", default=None, help="the new program's name (with --empty)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing database file (refused while another program has it open)")
    p.add_argument("--if-missing", action="store_true", help="do nothing if the database already exists")

    p = commands.add("snapshot", _cmd_snapshot, "Publish the read-only analyst snapshot of the database.",
                     takes_db=True)
    p.add_argument("--out", type=Path, help="where to write it (default: $WORKBENCH_SNAPSHOT or data/analytics.duckdb)")
    p.add_argument("--full", action="store_true",
                   help="a full copy with names, emails and free text, to --out FILE (a director's; "
                        "default: pseudonymised)")

    p = commands.add("views", _cmd_views, "List the analyst views with their descriptions.")
    p.add_argument("--json", action="store_true", help="print JSON")

    commands.add("checks", _cmd_checks, "Run the data checks (each must return no rows); exit 1 if any fails.",
                 takes_db=True)

    commands.add("migrate", _cmd_migrate,
                 "Upgrade the database to this workbench's schema (a copy of the old file is kept first).",
                 takes_db=True)

    p = commands.add("backup", _cmd_backup, "Write a consistent copy of the database to a file.", takes_db=True)
    p.add_argument("--out", type=Path, required=True,
                   help="the backup file to write (a folder: a dated file inside it)")

    p = commands.add("restore", _cmd_restore,
                     "Put a backup in place of the database (refused while the app has it open; the replaced "
                     "file is kept aside).", takes_db=True)
    p.add_argument("file", type=Path, help="the backup to restore (made by `workbench backup`)")

    p = commands.add("generate", _cmd_generate, "Regenerate the sample program's CSVs (deterministic for a seed).")
    p.add_argument("--out", type=Path, default=settings().sample_dir, help="folder to write (default: sample_data/)")
    p.add_argument("--seed", type=int, default=2013, help="random seed (default: 2013)")
