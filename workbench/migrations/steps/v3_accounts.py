"""Version 3: coordinators become accounts (a coordinator role, the sign-in and lock-out columns)."""

from __future__ import annotations

from workbench import db
from workbench.migrations.steps import Step

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


STEP = Step(3, "accounts: the coordinator role, sign-in and lock-out columns", _v3_accounts)
