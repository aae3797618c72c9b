"""The numbered schema steps, one module a step (``v<N>_<what>.py``, each defining ``STEP``), and what they share.

A step receives the open connection inside its transaction (:func:`workbench.migrations.upgrade` opens it) and
changes the tables from version N-1 to N. A step that has shipped is never edited or renumbered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from workbench import db
from workbench.matching.rules import organisation_key


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    apply: Callable[[db.Connection], None]


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


def fill_organisation_keys(con: db.Connection) -> int:
    """Set ``applications.organisation_key`` from ``organisation`` with the rule's own function, for every row
    whose key is missing or stale (after a load of rows written without it). Returns the rows changed."""
    names = [r[0] for r in con.execute(
        "SELECT DISTINCT organisation FROM applications WHERE organisation IS NOT NULL").fetchall()]
    if not names:
        return 0
    keys = pd.DataFrame({"organisation": names, "organisation_key": [organisation_key(n) for n in names]})
    con.register("_organisation_keys", keys)
    try:
        (changed,) = con.execute(
            "SELECT count(*) FROM applications AS a JOIN _organisation_keys AS k USING (organisation) "
            "WHERE a.organisation_key IS DISTINCT FROM k.organisation_key").fetchone()  # type: ignore[misc]
        con.execute("UPDATE applications SET organisation_key = k.organisation_key FROM _organisation_keys AS k "
                    "WHERE applications.organisation = k.organisation AND applications.organisation_key IS "
                    "DISTINCT FROM k.organisation_key")
    finally:
        con.unregister("_organisation_keys")
    return int(changed)
