"""Backups and restores of the workbench database.

A backup is a consistent copy made through the open connection (:func:`workbench.db.copy_database`),
so it works while the app holds the file: the CLI's ``workbench backup``, the Backups page's download
and the app's dated backups (the last N kept) all call :func:`backup`. ``workbench restore`` puts a
backup in place of the database, refusing a file that is not a workbench database or whose schema is
newer than this code, and keeps the file it replaces aside.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from workbench import db, migrations
from workbench.config import settings
from workbench.errors import WorkbenchError

#: Dated backups are named so; sorting the names sorts them by time.
DATED_PREFIX = "workbench-"
DATED_FORMAT = "%Y%m%dT%H%M%SZ"


class NotABackup(WorkbenchError):
    """The file offered for a restore is not a workbench database this code can read."""


def _now() -> datetime:
    return datetime.now(UTC)


def backup(con: db.Connection, out: str | Path) -> Path:
    """Write a consistent copy of the database behind ``con`` to ``out`` (atomic; raises on failure)."""
    target = Path(out)
    if target.is_dir():
        target = target / dated_name()
    return db.copy_database(con, target, stamp={"backup_at": _now().isoformat(timespec="seconds")}, mode=0o600)


def backup_bytes(con: db.Connection, scratch: Path | None = None) -> bytes:
    """A backup as bytes, for a download (written to a temporary file first, then read and removed)."""
    folder = scratch or settings().backup_dir
    folder.mkdir(parents=True, exist_ok=True)
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


def keep_dated(con: db.Connection, folder: Path, keep: int, *, now: datetime | None = None) -> tuple[Path, list[Path]]:
    """Write a dated backup into ``folder`` and delete the oldest beyond the last ``keep``."""
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
    """The app's dated backups: a background thread that makes one whenever the last is old enough."""

    def __init__(self, con: db.Connection, folder: Path, keep: int, every_hours: float,
                 check_seconds: float = 600.0) -> None:
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

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> Path | None:
        if not backup_due(self.folder, self.every_hours):
            return None
        try:
            made, _ = keep_dated(self._cur, self.folder, self.keep)
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

    def summary(self) -> str:
        aside = f" The database it replaced is kept at {self.kept_aside}." if self.kept_aside else ""
        return (f"Restored {self.database} from {self.source} (schema version {self.schema_version})."
                f"{aside} {self.upgrade}").strip()


REQUIRED_TABLES = ("schema_info", "rounds", "people", "applications", "partnerships", "audit_log")


def check_backup(path: Path) -> int:
    """The schema version of a backup file; refuses a file that is not a workbench database we can read."""
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
        version = db.schema_version(con)
        if version is None:
            raise NotABackup(f"{path} is a DuckDB file but holds no workbench tables: nothing was restored.")
        migrations.check_supported(version, path)
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        missing = [t for t in REQUIRED_TABLES if t not in tables]
        if missing:
            raise NotABackup(f"{path} lacks the workbench tables {', '.join(missing)}: nothing was restored.")
    finally:
        con.close()
    return version


def restore(source: str | Path, target: str | Path | None = None) -> Restored:
    """Put the backup ``source`` in place of the database ``target``; keep the replaced file aside.

    Refuses (and changes nothing) when the source is not a workbench database, is newer than this code,
    or the target is open in another program (the app: stop it first, or restore from its page).
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
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.restoring-{os.getpid()}")
    try:
        shutil.copy2(src, tmp)
        if kept is not None:
            os.replace(dst, kept)
            dst.with_name(dst.name + ".wal").unlink(missing_ok=True)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    up = migrations.migrate(dst) if version < migrations.LATEST else None
    return Restored(dst, src, kept, version, up.summary() if up else "")
