"""Backups and restores of the workbench database.

A backup is a consistent copy made through the open connection (:func:`workbench.copies.copy_database`),
so it works while the app holds the file: the CLI's ``workbench backup``, the Backups page's download
and the app's dated backups (the last N kept) all call :func:`backup`. ``workbench restore`` puts a
backup in place of the database, refusing a file that is not a workbench database, whose schema is
newer than this code, or that is an analyst snapshot (``schema_info.snapshot_kind``), and keeps the file
it replaces aside. Whatever the restored file holds beyond the workbench's own tables, views, macros and
sequences (a view or macro someone added, which DuckDB would run inside the workbench's own queries) is
dropped before it takes the database's place. Every file written here is owner-only
(:mod:`workbench.files`).
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from workbench import copies, db, files, migrations
from workbench.access import Action, User, require
from workbench.config import settings
from workbench.errors import WorkbenchError

#: Dated backups are named so; sorting the names sorts them by time.
DATED_PREFIX = "workbench-"
DATED_FORMAT = "%Y%m%dT%H%M%SZ"


class NotABackup(WorkbenchError):
    """The file offered for a restore is not a workbench database this code can read."""


class SnapshotNotBackup(NotABackup):
    """The file offered for a restore is an analyst snapshot (pseudonymised or full), not a backup."""


def _now() -> datetime:
    return datetime.now(UTC)


def backup(con: db.Connection, out: str | Path) -> Path:
    """Write a consistent copy of the database behind ``con`` to ``out`` (atomic; raises on failure)."""
    target = Path(out)
    if target.is_dir():
        target = target / dated_name()
    files.private_dir(target.parent)
    return copies.copy_database(con, target, stamp={"backup_at": _now().isoformat(timespec="seconds")}, mode=0o600)


def backup_bytes(con: db.Connection, scratch: Path | None = None, *, by: User) -> bytes:
    """A backup as bytes, for a download (written to a temporary file first, then read and removed).

    A full copy, password hashes and all: ``by`` must be allowed :attr:`~workbench.access.Action.BACKUP`."""
    require(by, Action.BACKUP, what="A backup of the whole database")
    folder = files.private_dir(scratch or settings().backup_dir)
    tmp = folder / f".download-{os.getpid()}-{threading.get_ident()}-{time.monotonic_ns()}.duckdb"
    try:
        backup(con, tmp)
        return tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)


def dated_name(now: datetime | None = None) -> str:
    return f"{DATED_PREFIX}{(now or _now()).strftime(DATED_FORMAT)}.duckdb"


def dated_backups(folder: Path) -> list[Path]:
    """The dated backups in ``folder``, oldest first."""
    if not folder.exists():
        return []
    return sorted(p for p in folder.glob(f"{DATED_PREFIX}*.duckdb") if p.is_file())


def keep_dated(con: db.Connection, folder: Path, keep: int, *, by: User,
               now: datetime | None = None) -> tuple[Path, list[Path]]:
    """Write a dated backup into ``folder`` and delete the oldest beyond the last ``keep``; ``by`` must be
    allowed :attr:`~workbench.access.Action.BACKUP` (the app's keeper is :func:`workbench.access.system_user`)."""
    require(by, Action.BACKUP, what="A backup of the whole database")
    if keep < 1:
        raise WorkbenchError(f"Keep at least one backup (WORKBENCH_BACKUP_KEEP is {keep}).")
    made = backup(con, folder / dated_name(now))
    existing = dated_backups(folder)
    removed = existing[:-keep] if len(existing) > keep else []
    for old in removed:
        old.unlink(missing_ok=True)
    return made, removed


def backup_due(folder: Path, every_hours: float, *, now: datetime | None = None) -> bool:
    """True when the newest dated backup is older than ``every_hours`` (or there is none)."""
    if every_hours <= 0:
        return False
    existing = dated_backups(folder)
    if not existing:
        return True
    stamp = existing[-1].stem.removeprefix(DATED_PREFIX)
    try:
        taken = datetime.strptime(stamp, DATED_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return True
    return ((now or _now()) - taken).total_seconds() >= every_hours * 3600


class BackupKeeper:
    """The app's dated backups: a background thread that makes one whenever the last is old enough, as ``by``
    (the app passes ``system_user("backup keeper")``; it must be allowed to make backups)."""

    def __init__(self, con: db.Connection, folder: Path, keep: int, every_hours: float,
                 check_seconds: float = 600.0, *, by: User) -> None:
        require(by, Action.BACKUP, what="The dated backups")
        self.by = by
        self._cur = con.cursor()
        self.folder, self.keep, self.every_hours, self.check_seconds = folder, keep, every_hours, check_seconds
        self.errors: list[str] = []
        self.made: list[Path] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="backup-keeper", daemon=True)

    def start(self) -> BackupKeeper:
        if self.every_hours > 0:
            self._thread.start()
        return self

    def stop(self, *, join: bool = False) -> None:
        """Stop making backups; ``join`` waits for the thread (a backup being written is finished first)."""
        self._stop.set()
        if join and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=60)

    def run_once(self) -> Path | None:
        if not backup_due(self.folder, self.every_hours):
            return None
        try:
            made, _ = keep_dated(self._cur, self.folder, self.keep, by=self.by)
        except WorkbenchError as exc:
            self.errors.append(str(exc))
            return None
        self.made.append(made)
        return made

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.check_seconds)


@dataclass(frozen=True)
class Restored:
    database: Path
    source: Path
    kept_aside: Path | None
    schema_version: int
    upgrade: str
    #: What the backup held that the workbench does not define, dropped from the restored file ("view evil").
    dropped: tuple[str, ...] = ()
    #: Why the views could not be rebuilt right away, when they could not (the app rebuilds them at start).
    views_note: str = ""

    def summary(self) -> str:
        aside = f" The database it replaced is kept at {self.kept_aside}." if self.kept_aside else ""
        dropped = (f" The backup also held {len(self.dropped)} thing{'s' if len(self.dropped) != 1 else ''} the "
                   f"workbench does not define, left out of the restored database: {', '.join(self.dropped)}."
                   if self.dropped else "")
        return (f"Restored {self.database} from {self.source} (schema version {self.schema_version})."
                f"{aside} {self.upgrade}{dropped}{self.views_note}").strip()


REQUIRED_TABLES = ("schema_info", "rounds", "people", "applications", "partnerships", "audit_log")

#: The backups a director can restore from, for the refusals' "what to do".
_USE_A_BACKUP = ("Restore a backup made by `workbench backup` or downloaded from the Backups page (the app keeps "
                 "dated ones in WORKBENCH_BACKUP_DIR, a backups folder beside the database by default).")


def _database_name(con: db.Connection) -> str:
    # Catalog functions are called through ``system.main``: a file may define macros of the same names, and
    # DuckDB would call those instead.
    (name,) = con.execute("SELECT system.main.current_database()").fetchone()  # type: ignore[misc]
    return str(name)


def _base_tables(con: db.Connection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM system.main.duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT temporary", [_database_name(con)]).fetchall()}


def _refuse_snapshot(path: Path, kind: str) -> SnapshotNotBackup:
    if kind == copies.PSEUDONYMISED:
        what = ("the pseudonymised analyst snapshot: its people are pseudonyms (\"Participant 3f9a0c17d2\"), its "
                "free text, notes and audit details are withheld, so restoring it would replace the program's "
                "people with stand-ins")
    elif kind == copies.FULL:
        what = ("a full analyst copy (`workbench snapshot --full`): it carries no passwords, so restoring it "
                "would lock every account out")
    else:
        what = f"an analyst copy ({kind!r})"
    return SnapshotNotBackup(f"{path} is an analyst copy, not a backup: it is {what}. Nothing was restored. "
                             f"{_USE_A_BACKUP}")


def check_backup(path: Path) -> int:
    """The schema version of a backup file; refuses a file that is not a workbench database we can read, and an
    analyst snapshot (its ``schema_info`` has a ``snapshot_kind``)."""
    if not path.is_file():
        raise NotABackup(f"There is no file at {path}. Give the path of a backup made by `workbench backup`.")
    try:
        con = db.connect(path, read_only=True)
    except WorkbenchError:
        raise
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise NotABackup(f"{path} is not a DuckDB database ({first_line}): nothing was restored.") from None
    try:
        tables = _base_tables(con)
        if "schema_info" not in tables:
            raise NotABackup(f"{path} is a DuckDB file but holds no workbench tables: nothing was restored.")
        info = {str(k): str(v) for k, v in con.execute("SELECT key, value FROM main.schema_info").fetchall()}
        if info.get("snapshot_kind"):
            raise _refuse_snapshot(path, info["snapshot_kind"])
        if "schema_version" not in info:
            raise NotABackup(f"{path} is a DuckDB file but records no workbench schema version: nothing was "
                             "restored.")
        try:
            version = int(info["schema_version"])
        except ValueError:
            raise NotABackup(f"{path} records a schema version of {info['schema_version']!r}, which is not a "
                             f"number: it was not written by the workbench. Nothing was restored. {_USE_A_BACKUP}"
                             ) from None
        migrations.check_supported(version, path)
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise NotABackup(f"{path} lacks the workbench tables {', '.join(missing)}: nothing was restored.")
    finally:
        con.close()
    return version


_TABLE_NAME = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
_MACRO_NAME = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class OwnObjects:
    """What the workbench itself defines in a database: everything else in a restored file is dropped."""

    tables: frozenset[str]
    views: frozenset[str]
    macros: frozenset[str]
    sequences: frozenset[str]


def own_objects() -> OwnObjects:
    """The workbench's tables (``schema.sql``), views (``queries/*.sql``), macros (``macros.sql``) and id
    sequences (``<table>_seq`` of :data:`workbench.db.SEQUENCED`)."""
    macros = migrations.MACROS_FILE.read_text(encoding="utf-8") if migrations.MACROS_FILE.exists() else ""
    return OwnObjects(
        tables=frozenset(_TABLE_NAME.findall(migrations.SCHEMA_FILE.read_text(encoding="utf-8"))),
        views=frozenset(v.name for v in db.view_files()),
        macros=frozenset(_MACRO_NAME.findall(macros)),
        sequences=frozenset(f"{table}_seq" for table in db.SEQUENCED),
    )


def drop_foreign_objects(con: db.Connection, own: OwnObjects | None = None) -> list[str]:
    """Drop from the database behind ``con`` whatever the workbench does not define; returns what was dropped.

    A view or macro stays in a DuckDB file and runs inside the workbench's own queries (a macro may even take
    the name of a built-in function such as ``lower``), so a restored file keeps only the workbench's tables
    and id sequences. Every macro and view is dropped (the workbench's own macros are created again here,
    its views by :func:`restore` once the file is at this code's schema), as are tables and sequences it
    does not define, indexes and types (it creates none) and schemas other than ``main``.
    """
    own = own or own_objects()
    name = _database_name(con)
    dropped: list[str] = []

    def rows(sql: str) -> list[tuple[str, ...]]:
        return [tuple(str(x) for x in r) for r in con.execute(sql, [name]).fetchall()]

    q = db.quote_identifier
    for schema, view in rows("SELECT schema_name, view_name FROM system.main.duckdb_views() "
                             "WHERE database_name = ? AND NOT internal AND NOT temporary"):
        con.execute(f"DROP VIEW IF EXISTS {q(schema)}.{q(view)}")
        if schema != "main" or view not in own.views:
            dropped.append(f"view {view}" if schema == "main" else f"view {schema}.{view}")
    for schema, macro, kind in rows("SELECT DISTINCT schema_name, function_name, function_type "
                                    "FROM system.main.duckdb_functions() WHERE database_name = ? AND NOT internal "
                                    "AND function_type IN ('macro', 'table_macro')"):
        table = " TABLE" if kind == "table_macro" else ""
        con.execute(f"DROP MACRO{table} IF EXISTS {q(schema)}.{q(macro)}")
        if schema != "main" or macro not in own.macros:
            dropped.append(f"macro {macro}" if schema == "main" else f"macro {schema}.{macro}")
    for schema, index in rows("SELECT schema_name, index_name FROM system.main.duckdb_indexes() "
                              "WHERE database_name = ?"):
        con.execute(f"DROP INDEX IF EXISTS {q(schema)}.{q(index)}")
        dropped.append(f"index {index}")
    foreign = [t for (t,) in rows("SELECT table_name FROM system.main.duckdb_tables() WHERE database_name = ? "
                                  "AND schema_name = 'main' AND NOT temporary") if t not in own.tables]
    while foreign:  # a table another references goes after it
        left = []
        for table in foreign:
            try:
                con.execute(f"DROP TABLE main.{q(table)}")
                dropped.append(f"table {table}")
            except duckdb.Error:
                left.append(table)
        if len(left) == len(foreign):
            raise NotABackup(
                f"The backup holds tables the workbench does not define and cannot remove ({', '.join(left)}: "
                f"one of the workbench's own tables refers to them), so it was not written by the workbench. "
                f"Nothing was restored. {_USE_A_BACKUP}")
        foreign = left
    for schema, sequence in rows("SELECT schema_name, sequence_name FROM system.main.duckdb_sequences() "
                                 "WHERE database_name = ? AND NOT temporary"):
        if schema == "main" and sequence not in own.sequences:
            con.execute(f"DROP SEQUENCE main.{q(sequence)}")
            dropped.append(f"sequence {sequence}")
    for schema in [s for (s,) in rows("SELECT schema_name FROM system.main.duckdb_schemas() "
                                      "WHERE database_name = ? AND NOT internal") if s != "main"]:
        con.execute(f"DROP SCHEMA {q(schema)} CASCADE")
        dropped.append(f"schema {schema}")
    for schema, type_name in rows("SELECT schema_name, type_name FROM system.main.duckdb_types() "
                                  "WHERE database_name = ? AND NOT internal"):
        try:
            con.execute(f"DROP TYPE IF EXISTS {q(schema)}.{q(type_name)}")
        except duckdb.Error as exc:  # one of the workbench's own tables uses it
            raise NotABackup(f"The backup's tables use a type the workbench does not define ({type_name}: {exc}), "
                             f"so it was not written by the workbench. Nothing was restored. {_USE_A_BACKUP}"
                             ) from None
        dropped.append(f"type {type_name}")
    migrations.apply_macros(con)
    return dropped


def _clean_copy(path: Path) -> list[str]:
    """Drop what the workbench does not define from the copy at ``path`` (not yet the database)."""
    with db.writing():
        con = db._open(path)  # not db.connect: nothing of the copy may run (migrations) before it is clean
        try:
            dropped = drop_foreign_objects(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return dropped


def restore(source: str | Path, target: str | Path | None = None) -> Restored:
    """Put the backup ``source`` in place of the database ``target``; keep the replaced file aside.

    Refuses (and changes nothing) when the source is not a workbench database, is newer than this code, is
    an analyst snapshot, or the target is open in another program (the app: stop it first, or restore from
    its page). The copy is cleaned of what the workbench does not define (:func:`drop_foreign_objects`)
    before it takes the database's place; an older one is then upgraded, and the views are built afresh
    from ``queries/``. The restored file and the one kept aside are owner-only (0600).
    """
    src = Path(source).resolve()
    dst = Path(target).resolve() if target is not None else settings().db_path
    if src == dst:
        raise WorkbenchError(f"{src} is the database itself: give the path of a backup to restore from.")
    version = check_backup(src)
    kept: Path | None = None
    if dst.exists():
        # Opening it read-write fails with DatabaseBusy while the app holds it: refuse before touching anything.
        con = db.connect(dst)
        con.execute("CHECKPOINT")
        con.close()
        kept = dst.with_name(f"{dst.stem}.replaced-{_now().strftime(DATED_FORMAT)}{dst.suffix or '.duckdb'}")
    files.private_dir(dst.parent)
    tmp = dst.with_name(f".{dst.name}.restoring-{os.getpid()}")
    try:
        files.copy_private(src, tmp)
        dropped = _clean_copy(tmp)
        if kept is not None:
            os.replace(dst, kept)
            files.owner_only(kept)
            dst.with_name(dst.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)
    up = migrations.migrate(dst) if version < migrations.LATEST else None
    note = ""
    con = migrations.open_live(dst)
    try:
        db.apply_views(con)
    except (ValueError, duckdb.Error) as exc:
        note = f" The views could not be rebuilt now ({exc}); the app builds them again when it starts."
    finally:
        con.close()
    files.owner_only(dst)
    return Restored(dst, src, kept, version, up.summary() if up else "", tuple(dropped), note)
