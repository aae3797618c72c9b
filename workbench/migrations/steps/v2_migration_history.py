"""Version 2: every schema upgrade is recorded in ``schema_migrations``."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step


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


STEP = Step(2, "record each schema upgrade (schema_migrations)", _v2_migration_history)
