"""Build a workbench database: the sample program from the CSVs in ``sample_data/``, or a new, empty program.

``build_database(path)`` is what ``workbench init`` and ``make run`` call; the tests and the browser
tests build their databases the same way, so everyone works on the same program.
``build_empty_database(path, name=…)`` is ``workbench init --empty``: a program of one's own, with no people,
the default settings and vocabularies, and its name. One database file holds one program.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from workbench import db, files, migrations
from workbench.access import User
from workbench.config import settings
from workbench.errors import DatabaseBusy, DatabaseExists, WorkbenchError
from workbench.migrations.steps import fill_organisation_keys
from workbench.migrations.steps.v11_person_addresses import fill_person_addresses
from workbench.program.settings import SETTINGS, set_setting
from workbench.program.vocabularies import seed_vocabularies

COUNTRIES_CSV = Path(__file__).with_name("data") / "countries.csv"

#: Load order (parents before children) and the SELECT list that types each CSV's columns.
#: Lists are stored in the CSVs as ';'-separated text.
_LIST = "CASE WHEN {c} IS NULL OR {c} = '' THEN []::VARCHAR[] ELSE string_split({c}, ';') END"
_INT_LIST = ("CASE WHEN {c} IS NULL OR {c} = '' THEN []::INTEGER[] "
             "ELSE list_transform(string_split({c}, ';'), x -> x::INTEGER) END")
TABLES: dict[str, dict[str, str]] = {
    "rounds": {},
    "people": {},
    "applications": {"interests": _LIST, "languages": _LIST, "partner_interests": _LIST},
    "match_runs": {},
    "partnerships": {},
    "partnership_members": {},
    "topics": {},
    "checkins": {"methods": _LIST, "topics_discussed": _INT_LIST},
    "surveys": {"methods": _LIST, "impact_codes": _LIST},
    "coordinators": {"countries": _LIST},
    "interventions": {"notes": "coalesce({c}, '')"},
}


def load_sample(con: db.Connection, sample_dir: Path) -> dict[str, int]:
    """Insert the countries and every sample CSV into an empty database, in one transaction.

    The sample program's vocabularies (``workbench/sample/vocabularies.py``, which the generator wrote the CSVs
    from) are the database's: a new file is seeded with them, and any kind still without terms gets them here.
    """
    missing = [t for t in TABLES if not (sample_dir / f"{t}.csv").exists()]
    if missing:
        raise WorkbenchError(
            f"{sample_dir} lacks {', '.join(m + '.csv' for m in missing)}. Regenerate the sample with "
            "`workbench generate` or restore the folder from git (`git checkout sample_data`)."
        )
    counts: dict[str, int] = {}
    with db.transaction(con):
        seed_vocabularies(con, actor="workbench init")
        load_countries(con)
        for table, conversions in TABLES.items():
            columns = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]
            ).fetchall()]
            path = sample_dir / f"{table}.csv"
            header = path.open(encoding="utf-8").readline().strip().split(",")
            select = []
            for col in columns:
                if col not in header:
                    continue  # a column with a default (e.g. version)
                expr = conversions.get(col, col).format(c=col)
                select.append(expr)
            present = [c for c in columns if c in header]
            con.execute(
                f"INSERT INTO {table} ({', '.join(present)}) SELECT {', '.join(select)} "
                "FROM read_csv(?, header = true, all_varchar = true)",
                [str(path)],
            )
            (counts[table],) = con.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[misc]
        fill_organisation_keys(con)  # the key the cross-border rule compares, for rows the CSVs carry
        fill_person_addresses(con)  # every address each person used, from their applications
    db.reset_sequences(con)
    return counts


def load_countries(con: db.Connection) -> int:
    """The country table (``workbench/data/countries.csv``: ISO codes, names, UN M49 sub-regions, time zones)."""
    con.execute("INSERT INTO countries SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                [str(COUNTRIES_CSV)])
    (count,) = con.execute("SELECT count(*) FROM countries").fetchone()  # type: ignore[misc]
    return int(count)


def build_database(path: str | Path | None = None, *, force: bool = False,
                   sample_dir: Path | None = None, queries_dir: Path | None = None) -> Path:
    """Build a database file from ``sample_data/``: written aside, then moved into place.

    An existing file is kept unless ``force``; even then it is replaced only once the new one is
    complete, so a failure leaves the old database as it was. A file another process holds open
    read-write (the running app, usually) is never replaced: :class:`DatabaseBusy` is raised before
    building and checked again just before the replacement, since the holder's later edits would
    otherwise go to the replaced file and be lost.
    """
    return _build(path, force=force, queries_dir=queries_dir, what="a fresh copy of the sample program",
                  fill=lambda con: load_sample(con, sample_dir or settings().sample_dir))


def build_empty_database(path: str | Path | None = None, *, name: str, by: User, force: bool = False,
                         queries_dir: Path | None = None) -> Path:
    """Start a new program in a database file of its own: the tables, the country table, the default
    vocabularies (``workbench/sample/vocabularies.py``: a director changes them with ``workbench vocab`` or on the
    Settings page), every setting at its default, and the program's name (the setting ``program_name``, set as ``by``).
    No rounds, people or applications. The same refusals as :func:`build_database`: an existing file is kept
    unless ``force``, and a file another program holds open is never replaced.
    """
    SETTINGS["program_name"].check(name)  # a blank or overlong name is refused before anything is written

    def fill(con: db.Connection) -> None:
        with db.transaction(con):
            seed_vocabularies(con, actor="workbench init --empty")
            load_countries(con)
        set_setting(con, "program_name", name, by=by)

    return _build(path, force=force, queries_dir=queries_dir, what="an empty program", fill=fill)


def _build(path: str | Path | None, *, force: bool, queries_dir: Path | None, what: str,
           fill: Callable[[db.Connection], object]) -> Path:
    """Write a new database aside with ``fill``, then move it into place (see :func:`build_database`)."""
    target = Path(path) if path is not None else settings().db_path
    if target.exists() and not force:
        raise DatabaseExists(
            f"{target} already exists and was left untouched. Use `workbench init --force` to replace it "
            f"with {what} (everything in it will be lost), or pass another --db path."
        )
    _refuse_if_held(target)
    files.private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = migrations.open_live(tmp, create=True)
        try:
            fill(con)
            db.apply_views(con, queries_dir)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        _refuse_if_held(target)
        os.replace(tmp, target)
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return target


def _refuse_if_held(target: Path) -> None:
    """Raise :class:`DatabaseBusy` if another process has ``target`` open (DuckDB's file lock).

    The only reliable test is the one DuckDB makes: open the file read-write through
    :func:`workbench.db.connect`, which raises ``DatabaseBusy`` when the lock is held. Any other
    failure to open it (not a DuckDB file, a newer schema) does not stop ``force``: that file is what
    is being replaced.
    """
    if not target.exists():
        return
    try:
        con = db.connect(target)
    except DatabaseBusy as exc:
        holder = re.search(r"\(process \d+\)", str(exc))
        raise DatabaseBusy(
            f"{target} is open in another program{' ' + holder.group(0) if holder else ''}, most likely the "
            "running workbench app, and was left untouched: replacing it now would lose every change made "
            "there afterwards. Stop the app (Ctrl+C in its terminal) and run `workbench init --force` again, "
            "or pass another --db path."
        ) from None
    except (WorkbenchError, duckdb.Error):
        return
    con.close()
