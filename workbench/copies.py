"""Consistent copies of the database: the one routine behind backups, the analyst snapshot and the rewrite of
the live file after an erasure.

:func:`copy_database` reads every table in one transaction of the source, lets a transform change the rows in
memory (the snapshot's pseudonyms), and writes them into a new file brought to the schema by
:func:`workbench.migrations.open_live`, then moves it into place atomically. :func:`rewrite_file` replaces a file
by such a copy of itself, so no block of its previous checkpoints survives.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from workbench import db, files, migrations
from workbench.errors import CopyFailed, WorkbenchError

#: ``schema_info.snapshot_kind`` of the two kinds of analyst snapshot (:mod:`workbench.snapshots` stamps them;
#: :mod:`workbench.backups` reads them to refuse restoring a snapshot as if it were a backup).
PSEUDONYMISED, FULL = "pseudonymised", "full"

_copy_lock = threading.Lock()
_copy_counter = itertools.count()


def _remove_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(NotADirectoryError):
            leftover.unlink(missing_ok=True)


def copy_database(con: db.Connection, out: Path, *, queries_dir: Path | None = None,
                  transform: Any = None, stamp: dict[str, str] | None = None, mode: int | None = None) -> Path:
    """Write a consistent copy of the database behind ``con`` to ``out``, atomically.

    Every table's rows are read in ONE transaction of the source (so a matching run being saved meanwhile is
    in the copy whole or not at all) into memory (Arrow tables). ``transform(tables)`` may then change them
    there, before anything is written: the analyst snapshot's pseudonyms and the removal of secrets happen on
    the way in, so the raw values never reach the copy's file, not even a checkpoint of it that a later one
    replaced. The copy is built in a private folder (owner-only) beside ``out``: the same schema and macros,
    the rows, the views, then ``os.replace``. Any failure is raised to the caller and leaves no temporary
    file behind; ``out`` is untouched until the copy is complete. ``mode`` (e.g. ``0o600``) is set on the
    file before it takes ``out``'s place, so it is never readable by others, not even while it is written.
    The folder ``out`` is in is left as it is.
    """
    with _copy_lock:
        work = out.with_name(f".{out.name}.tmp-{os.getpid()}-{next(_copy_counter)}")
        tmp = work / out.name
        try:
            files.private_dir(out.parent)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(mode=0o700)
            tables = read_tables(con)
            if transform is not None:
                tables = transform(tables)
            fresh = migrations.open_live(tmp, create=True)
            try:
                write_tables(fresh, tables)
                db.reset_sequences(fresh)
                db.apply_views(fresh, queries_dir)
                for key, value in (stamp or {}).items():
                    fresh.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [key, value])
                fresh.execute("CHECKPOINT")
            finally:
                fresh.close()
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, out)
        except WorkbenchError:
            raise
        except (duckdb.Error, OSError, ValueError) as exc:
            raise CopyFailed(
                f"The copy to {out} could not be written ({type(exc).__name__}: {exc}). The previous copy, if "
                "any, is unchanged. Check the disk has room and the folder is writable, then try again."
            ) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def read_tables(con: db.Connection) -> dict[str, pa.Table]:
    """Every table of the database behind ``con`` as an Arrow table, all read in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        tables = {table: con.execute(f"SELECT * FROM main.{table}").to_arrow_table() for table in db.TABLE_ORDER}
        con.execute("COMMIT")
    except BaseException:
        db.rollback(con)
        raise
    return tables


def write_tables(con: db.Connection, tables: dict[str, pa.Table]) -> None:
    """Fill a new database (the schema applied, no rows of its own but the seeded lists) with ``tables``,
    parents before children, in one transaction."""
    # A private file no one else has open: no need to queue behind the process's other writes.
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM schema_info")
        con.execute("DELETE FROM vocabulary_terms")  # the source's, not the seed
        for table in db.TABLE_ORDER:
            if tables[table].num_rows == 0:  # nothing to copy (an insert costs its checks even then)
                continue
            con.register("_copy_rows", tables[table])
            try:
                con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM _copy_rows")
            finally:
                con.unregister("_copy_rows")
        con.execute("COMMIT")
    except BaseException:
        db.rollback(con)
        raise


def rewrite_file(path: str | Path, *, queries_dir: Path | None = None) -> Path:
    """Rewrite the database file at ``path`` so that it holds its current state and nothing else.

    DuckDB keeps the previous checkpoint's blocks in the file (its older header still names them) and never
    clears freed blocks, so a value changed or erased through SQL can still be read from the file's bytes.
    After an erasure the file is copied, as it is now, to a new file (:func:`copy_database`) that takes its
    place atomically: a crash before the swap leaves the old file whole. No other connection may have the
    file open meanwhile (the app closes its own first: ``workbench.ui.connection.rewrite_live_database``);
    another program holding it gives :class:`DatabaseBusy`.
    """
    target = Path(path)
    with db.writing():
        con = db.connect(target)
        try:
            con.execute("CHECKPOINT")
            fresh = copy_database(con, target.with_name(f".{target.name}.rewrite"), queries_dir=queries_dir,
                                  mode=0o600)
        finally:
            con.close()
        try:
            os.replace(fresh, target)
        except OSError as exc:
            _remove_file(fresh)
            raise CopyFailed(f"{target} could not be replaced by its rewritten copy ({exc}); the database is as "
                             "it was. Check the folder is writable, then erase again.") from exc
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
    return target
