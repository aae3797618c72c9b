"""Versioned schema migrations: numbered steps that bring an older database up to this workbench's schema.

Version 1 is the schema the workbench had before migrations existed. Each later version is one step in
:data:`STEPS`, applied in its own transaction together with the new version number, so a crash between
steps leaves the database at a whole version, never between two. Before the first step the file is
copied aside byte for byte (``backups/<name>-schema-v<N>-<time>.duckdb`` beside it), owner-only like every
file the workbench writes (the copy 0600, a ``backups`` folder it creates 0700: :mod:`workbench.files`).

A fresh database gets ``schema.sql`` directly, at :data:`LATEST`; ``schema.sql`` and the steps must
describe the same tables (``tests/test_migrations.py`` compares a migrated file with a fresh one).
Steps run when a database is opened read-write (:func:`open_live`: the app, the command line, build, restores
and the copies all open their files through it), or explicitly with ``workbench migrate --db PATH``. A
database newer than the code is refused. :func:`workbench.db.connect` below only opens a file: the schema,
its macros and the seeded vocabularies of a new file are this package's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from workbench import db, files
from workbench.config import settings
from workbench.errors import WorkbenchError
from workbench.migrations.steps import (
    Step,
    v2_migration_history,
    v3_accounts,
    v4_erasable_people,
    v5_program_settings,
    v6_vocabularies,
    v7_outbox,
    v8_organisation,
    v9_organisation_key,
    v10_answers_by_link,
    v11_person_addresses,
    v12_participant_pages,
)
from workbench.program.vocabularies import seed_vocabularies

__all__ = [
    "LATEST", "MACROS_FILE", "SCHEMA_FILE", "STEPS", "MigrationFailed", "SchemaTooNew", "Step", "Upgrade",
    "apply_macros", "apply_schema", "backup_path_for", "check_supported", "migrate", "open_live",
    "schema_version", "upgrade",
]

#: The whole schema at :data:`LATEST`, what a new file gets.
SCHEMA_FILE = Path(__file__).with_name("schema.sql")
#: Shared SQL definitions (the per-country cap, …): views, checks and Python all call these macros.
MACROS_FILE = Path(__file__).with_name("macros.sql")


class SchemaTooNew(WorkbenchError):
    """The database was written by a newer workbench than this one."""


class MigrationFailed(WorkbenchError):
    """A step failed; the database stays at the last whole version and the backup is kept."""


#: Every step after version 1, in order (one module each in ``migrations/steps/``). Append; never edit or
#: renumber a step that has shipped.
STEPS: tuple[Step, ...] = (
    v2_migration_history.STEP,
    v3_accounts.STEP,
    v4_erasable_people.STEP,
    v5_program_settings.STEP,
    v6_vocabularies.STEP,
    v7_outbox.STEP,
    v8_organisation.STEP,
    v9_organisation_key.STEP,
    v10_answers_by_link.STEP,
    v11_person_addresses.STEP,
    v12_participant_pages.STEP,
)

#: The schema version this code writes.
LATEST = 1 + len(STEPS)


@dataclass
class Upgrade:
    """What :func:`upgrade` did: from which version to which, the steps applied and the backup taken."""

    from_version: int
    to_version: int
    steps: list[str] = field(default_factory=list)
    backup: Path | None = None

    def summary(self) -> str:
        if not self.steps:
            return f"The database is at schema version {self.to_version}, this workbench's: nothing to do."
        kept = f" The file as it was is kept at {self.backup}." if self.backup else ""
        return (f"Upgraded the database from schema version {self.from_version} to {self.to_version} "
                f"({len(self.steps)} step{'s' if len(self.steps) != 1 else ''}: {'; '.join(self.steps)}).{kept}")


def _check_order() -> None:
    expected = list(range(2, LATEST + 1))
    found = [s.version for s in STEPS]
    if found != expected:  # a programming error, caught by the tests
        raise RuntimeError(f"migration steps must be numbered {expected}, found {found}")


_check_order()


def check_supported(found: int, path: Path | None = None) -> None:
    """Refuse a database written by a newer workbench, in words a person can act on."""
    if found > LATEST:
        where = f"{path} has" if path else "This database has"
        raise SchemaTooNew(
            f"{where} schema version {found}, newer than this workbench's ({LATEST}): it was written by a "
            "newer version of the workbench. Nothing was changed. Update the workbench (git pull, then "
            "make run), or restore a backup made by this version (`workbench restore`)."
        )
    if found < 1:
        raise SchemaTooNew(f"{path or 'This database'} records schema version {found}, which no workbench wrote.")


def backup_path_for(path: Path, version: int, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return path.parent / "backups" / f"{path.stem}-schema-v{version}-{stamp}{path.suffix or '.duckdb'}"


def upgrade(con: db.Connection, found: int, *, path: Path | None = None) -> Upgrade:
    """Apply every step after ``found``, each in its own transaction; back the file up first."""
    result = Upgrade(found, found)
    todo = [s for s in STEPS if s.version > found]
    if not todo:
        return result
    if path is not None and path.exists():
        con.execute("CHECKPOINT")  # everything in the main file, so a byte copy is the whole database
        backup = backup_path_for(path, found)
        try:
            files.copy_private(path, backup)  # 0600 from its first byte, in a folder created 0700
        except OSError as exc:
            raise MigrationFailed(
                f"Before upgrading {path} from schema version {found}, the workbench copies it to {backup}, and "
                f"that failed ({exc}). Nothing was changed. Free some disk space or make the folder writable, "
                "then open the database again."
            ) from None
        result.backup = backup
    for step in todo:
        try:
            with db.transaction(con):
                step.apply(con)
                con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [str(step.version)])
                con.execute("INSERT OR REPLACE INTO schema_migrations VALUES (?, ?, ?, ?)",
                            [step.version, step.description, datetime.now(UTC).replace(tzinfo=None),
                             None if result.backup is None else str(result.backup)])
        except WorkbenchError:
            raise
        except Exception as exc:
            kept = f" The file as it was before the upgrade is at {result.backup}." if result.backup else ""
            raise MigrationFailed(
                f"Upgrading to schema version {step.version} ({step.description}) failed: {exc}. The database "
                f"stays at version {result.to_version}, whole.{kept} Report this with the message above."
            ) from exc
        result.to_version = step.version
        result.steps.append(f"{step.version}: {step.description}")
    return result


def migrate(path: str | Path | None = None) -> Upgrade:
    """Open the database at ``path`` and bring it to :data:`LATEST` (what ``workbench migrate`` runs)."""
    target = Path(path) if path is not None else settings().db_path
    probe = db.connect(target, read_only=True)
    try:
        before = schema_version(probe)
    finally:
        probe.close()
    if before is None:
        raise WorkbenchError(f"{target} holds no workbench tables: it is not a workbench database.")
    check_supported(before, target)
    con = open_live(target)
    try:
        after = schema_version(con) or before
        rows = con.execute(
            "SELECT version, description, backup_path FROM schema_migrations WHERE version > ? ORDER BY version",
            [before]).fetchall()
    finally:
        con.close()
    done = Upgrade(before, after, [f"{v}: {d}" for v, d, _ in rows])
    backups = [b for _, _, b in rows if b]
    done.backup = Path(backups[0]) if backups else None
    return done


def open_live(path: str | Path | None = None, *, create: bool = False) -> db.Connection:
    """Open the database at ``path`` (``WORKBENCH_DB`` by default) read-write and bring it to the schema.

    The read-write opener of the app, the command line, build, restores and the copies (backups, snapshots):
    :func:`workbench.db.connect` opens the file (its plain-words errors: :class:`~workbench.errors.DatabaseMissing`
    unless ``create``, :class:`~workbench.errors.DatabaseBusy` when another program holds it), then
    :func:`apply_schema` gives a new file the whole schema and the sample program's vocabularies, upgrades an
    older one step by step (a backup first) and refuses a newer one. The connection is closed again if that fails.
    """
    target = Path(path) if path is not None else settings().db_path
    con = db.connect(target, create=create)
    try:
        apply_schema(con, path=target)
    except BaseException:
        con.close()
        raise
    return con


def apply_schema(con: db.Connection, *, path: Path | None = None) -> None:
    """Bring the database to this workbench's schema (idempotent).

    A new, empty file gets the whole schema (``schema.sql``) at :data:`LATEST`, the sample program's vocabularies
    (as an upgraded file gets them) and its id sequences; a file written by an older workbench is upgraded step
    by step (a backup first); one written by a newer workbench is refused. The shared macros are (re)created
    every time.
    """
    with db.writing():
        found = schema_version(con)
        if found is None:
            con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            seed_vocabularies(con)
            for table in db.SEQUENCED:
                con.execute(f"CREATE SEQUENCE IF NOT EXISTS {table}_seq START 1")
            con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [str(LATEST)])
        else:
            check_supported(found, path)
            if found < LATEST:
                upgrade(con, found, path=path)
        apply_macros(con)


def apply_macros(con: db.Connection) -> None:
    """(Re)create the shared macros of ``macros.sql`` (idempotent)."""
    if MACROS_FILE.exists():
        con.execute(MACROS_FILE.read_text(encoding="utf-8"))


def schema_version(con: db.Connection) -> int | None:
    """The schema version recorded in the database; None for a file with no workbench tables yet."""
    has_info = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'schema_info' "
        "AND table_catalog = current_database()"
    ).fetchone()
    if not has_info or not has_info[0]:
        return None
    found = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
    if found is None:
        return None
    try:
        return int(found[0])
    except ValueError:
        raise WorkbenchError(
            f"This database records a schema version of {found[0]!r}, which is not a number: it was not "
            "written by the workbench. Restore a backup (`workbench restore`) or point --db at another file."
        ) from None
