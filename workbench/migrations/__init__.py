"""Versioned schema migrations: numbered steps that bring an older database up to this workbench's schema.

Version 1 is the schema the workbench had before migrations existed. Each later version is one step in
:data:`STEPS`, applied in its own transaction together with the new version number, so a crash between
steps leaves the database at a whole version, never between two. Before the first step the file is
copied aside byte for byte (``backups/<name>-schema-v<N>-<time>.duckdb`` beside it), owner-only like every
file the workbench writes (the copy 0600, a ``backups`` folder it creates 0700: :mod:`workbench.files`).

A fresh database gets ``schema.sql`` directly, at :data:`LATEST`; ``schema.sql`` and the steps must
describe the same tables (``tests/test_migrations.py`` compares a migrated file with a fresh one).
Steps run when a database is opened read-write (:func:`workbench.db.connect`), or explicitly with
``workbench migrate --db PATH``. A database newer than the code is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from workbench import db, files
from workbench.errors import WorkbenchError


class SchemaTooNew(WorkbenchError):
    """The database was written by a newer workbench than this one."""


class MigrationFailed(WorkbenchError):
    """A step failed; the database stays at the last whole version and the backup is kept."""


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    apply: Callable[[db.Connection], None]


def _v2_migration_history(con: db.Connection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     INTEGER PRIMARY KEY,
            description VARCHAR NOT NULL,
            applied_at  TIMESTAMP NOT NULL,
            backup_path VARCHAR
        )
        """
    )


_ACCOUNTS = """
CREATE TABLE coordinators (
    coordinator_id  VARCHAR PRIMARY KEY,
    name            VARCHAR NOT NULL,
    email           VARCHAR NOT NULL UNIQUE,
    role            VARCHAR NOT NULL
        CHECK (role IN ('director', 'coordinator', 'country', 'analyst', 'presenter')),
    countries       VARCHAR[] NOT NULL DEFAULT [],
    password_hash   VARCHAR,
    is_active       BOOLEAN NOT NULL DEFAULT true,
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    last_failed_at  TIMESTAMP,
    locked_until    TIMESTAMP,
    last_sign_in_at TIMESTAMP,
    created_at      TIMESTAMP,
    version         INTEGER NOT NULL DEFAULT 1
)
"""


def _v3_accounts(con: db.Connection) -> None:
    """Coordinators become accounts: a ``coordinator`` role, and the columns sign-in needs.

    DuckDB cannot change a CHECK constraint or rename a table others reference, so the two tables of
    the chain (coordinators, and interventions which references it) are copied aside, dropped and
    created again with their final names, then refilled: ids, versions and rows unchanged.
    """
    interventions_sql = con.execute(
        "SELECT sql FROM duckdb_tables() WHERE table_name = 'interventions' AND database_name = current_database()"
    ).fetchone()
    assert interventions_sql is not None
    con.execute("CREATE TEMP TABLE _coordinators_v2 AS SELECT * FROM coordinators")
    con.execute("CREATE TEMP TABLE _interventions_v2 AS SELECT * FROM interventions")
    con.execute("DROP TABLE interventions")
    con.execute("DROP TABLE coordinators")
    con.execute(_ACCOUNTS)
    con.execute(interventions_sql[0])
    # Sample and earlier accounts carried no usable password: a hash that is empty or not argon2 is dropped.
    con.execute(
        "INSERT INTO coordinators (coordinator_id, name, email, role, countries, password_hash, created_at) "
        "SELECT coordinator_id, name, email, role, countries, "
        "CASE WHEN password_hash LIKE '$argon2%' THEN password_hash END, NULL FROM _coordinators_v2"
    )
    con.execute("INSERT INTO interventions BY NAME SELECT * FROM _interventions_v2")
    con.execute("DROP TABLE _interventions_v2")
    con.execute("DROP TABLE _coordinators_v2")


def rebuild_tables(con: db.Connection, edits: dict[str, Callable[[str], str]]) -> None:
    """Recreate every table from its own stored definition, changed by ``edits[table](sql)``.

    DuckDB cannot drop a constraint or an index, nor drop or rename a table that another references, so
    a step that must loosen a constraint copies every table aside, drops them children first, creates
    them again (edited) parents first and refills them by column name. Ids and rows are unchanged.
    """
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT temporary").fetchall()]
    ddl = {t: con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = current_database() "
                          "AND schema_name = 'main' AND table_name = ?", [t]).fetchone()[0] for t in tables}  # type: ignore[index]
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for table, text in con.execute(
            "SELECT table_name, constraint_text FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' "
            "AND database_name = current_database()").fetchall():
        target = text.split("REFERENCES", 1)[1].strip().split("(", 1)[0].strip().strip('"')
        if table in parents and target != table:
            parents[table].add(target)
    order: list[str] = []
    while len(order) < len(tables):
        ready = sorted(t for t in tables if t not in order and parents[t] <= set(order))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(set(tables) - set(order))}")
        order += ready
    unknown = set(edits) - set(tables)
    if unknown:
        raise RuntimeError(f"no table {sorted(unknown)} to edit")
    new_sql = {}
    for table in order:
        new_sql[table] = edits[table](ddl[table]) if table in edits else ddl[table]
        if table in edits and new_sql[table] == ddl[table]:
            raise RuntimeError(f"the edit of {table} changed nothing in {ddl[table]}")
    for table in order:
        con.execute(f"CREATE TEMP TABLE _rebuild_{table} AS SELECT * FROM main.{table}")
    for table in reversed(order):
        con.execute(f"DROP TABLE main.{table}")
    for table in order:
        con.execute(new_sql[table])
        con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM _rebuild_{table}")
        con.execute(f"DROP TABLE _rebuild_{table}")


def _v4_erasable_people(con: db.Connection) -> None:
    """People's emails lose their unique index (DuckDB refuses to update an indexed column of a row other
    tables reference, which erasure must do); the check ``people_email_unique`` keeps them unique.
    Survey answers get ``is_cleared``: a coordinator cleared the free text for public use."""
    def people(sql: str) -> str:
        return sql.replace("email VARCHAR NOT NULL UNIQUE", "email VARCHAR NOT NULL", 1)

    def surveys(sql: str) -> str:
        head, sep, tail = sql.partition('"version" INTEGER DEFAULT(1) NOT NULL')
        if not sep:
            raise RuntimeError("surveys has no version column")
        return head + sep + ", is_cleared BOOLEAN DEFAULT(CAST('f' AS BOOLEAN)) NOT NULL" + tail

    rebuild_tables(con, {"people": people, "surveys": surveys})


_SETTINGS = """
CREATE TABLE IF NOT EXISTS settings (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL
)
"""


def _v5_program_settings(con: db.Connection) -> None:
    """The program's settings (``workbench.program``): a key, a JSON value, a version, who changed it when."""
    con.execute(_SETTINGS)


_VOCABULARY_TERMS = """
CREATE TABLE IF NOT EXISTS vocabulary_terms (
    kind       VARCHAR NOT NULL
        CHECK (kind IN ('sector', 'career_stage', 'interest', 'language', 'method', 'impact_category')),
    value      VARCHAR NOT NULL CHECK (length(trim(value)) > 0),
    label      VARCHAR NOT NULL CHECK (length(trim(label)) > 0),
    synonyms   VARCHAR[] NOT NULL DEFAULT [],
    position   INTEGER NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL,
    PRIMARY KEY (kind, value)
)
"""

#: The CHECKs that pinned applications' sector and career stage (and the partner wishes) to fixed lists.
_FIXED_LISTS = re.compile(r", CHECK\(\((?:sector|career_stage|partner_sector|partner_stage) IN \([^)]*\)\)\)")


def _v6_vocabularies(con: db.Connection) -> None:
    """The program's vocabularies move into the database (``vocabulary_terms``, seeded with the sample's lists);
    applications' sector and career stage are no longer pinned to fixed lists by CHECKs (the data check
    ``values_outside_vocabularies`` keeps them to the program's vocabulary)."""
    from workbench.program.vocabularies import seed_vocabularies

    con.execute(_VOCABULARY_TERMS)
    seed_vocabularies(con, actor="workbench migrate")

    def applications(sql: str) -> str:
        return _FIXED_LISTS.sub("", sql)

    rebuild_tables(con, {"applications": applications})


_OUTBOX = """
CREATE TABLE IF NOT EXISTS outbox (
    outbox_id        INTEGER PRIMARY KEY,
    kind             VARCHAR NOT NULL CHECK (kind IN ('introduction', 'topic', 'reminder', 'survey')),
    round_id         VARCHAR NOT NULL REFERENCES rounds (round_id),
    partnership_id   INTEGER,
    topic_id         INTEGER,
    language         VARCHAR NOT NULL,
    subject          VARCHAR NOT NULL,
    body             VARCHAR NOT NULL,
    sender           VARCHAR NOT NULL,
    reply_to         VARCHAR,
    list_unsubscribe VARCHAR,
    recipients       STRUCT(application_id INTEGER, name VARCHAR, email VARCHAR, status VARCHAR,
                            server_response VARCHAR)[] NOT NULL,
    countries        VARCHAR[] NOT NULL DEFAULT [],
    status           VARCHAR NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'partial')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       VARCHAR,
    message_id       VARCHAR NOT NULL,
    dedupe_key       VARCHAR NOT NULL UNIQUE,
    created_at       TIMESTAMP NOT NULL,
    created_by       VARCHAR NOT NULL,
    sent_at          TIMESTAMP
)
"""


def _v7_outbox(con: db.Connection) -> None:
    """The outbox (``workbench.messages.outbox``): every message the program sends, with its recipients."""
    con.execute(_OUTBOX)


def _v8_organisation(con: db.Connection) -> None:
    """Applications get an optional ``organisation`` (where the applicant works, from the form's Institution,
    Library, Employer… column): the organisation cross-border rule keeps colleagues apart."""
    con.execute("ALTER TABLE applications ADD COLUMN IF NOT EXISTS organisation VARCHAR")


#: Every step after version 1, in order. Append; never edit or renumber a step that has shipped.
STEPS: tuple[Step, ...] = (
    Step(2, "record each schema upgrade (schema_migrations)", _v2_migration_history),
    Step(3, "accounts: the coordinator role, sign-in and lock-out columns", _v3_accounts),
    Step(4, "people's emails can be erased; survey answers can be cleared for public use", _v4_erasable_people),
    Step(5, "the program's settings (retention, …)", _v5_program_settings),
    Step(6, "the program's vocabularies in the database; sector and career stage no longer fixed lists",
         _v6_vocabularies),
    Step(7, "the outbox: the program's email, queued and sent from the workbench", _v7_outbox),
    Step(8, "applications: the applicant's organisation (for the organisation cross-border rule)", _v8_organisation),
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
    from workbench.config import settings

    target = Path(path) if path is not None else settings().db_path
    probe = db.connect(target, read_only=True)
    try:
        before = db.schema_version(probe)
    finally:
        probe.close()
    if before is None:
        raise WorkbenchError(f"{target} holds no workbench tables: it is not a workbench database.")
    check_supported(before, target)
    con = db.connect(target)  # upgrades on open
    try:
        after = db.schema_version(con) or before
        rows = con.execute(
            "SELECT version, description, backup_path FROM schema_migrations WHERE version > ? ORDER BY version",
            [before]).fetchall()
    finally:
        con.close()
    done = Upgrade(before, after, [f"{v}: {d}" for v, d, _ in rows])
    backups = [b for _, _, b in rows if b]
    done.backup = Path(backups[0]) if backups else None
    return done
