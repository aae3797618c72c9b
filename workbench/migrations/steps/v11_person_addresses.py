"""Version 11: a person keeps every address they have used; applications can move between people."""

from __future__ import annotations

import pandas as pd

from workbench import db
from workbench.emails import normalise_email
from workbench.migrations.steps import Step, rebuild_tables

#: The new table, as ``schema.sql`` has it.
PERSON_ADDRESSES = """
CREATE TABLE IF NOT EXISTS person_addresses (
    email         VARCHAR PRIMARY KEY CHECK (email = lower(trim(email)) AND email LIKE '%_@_%'),
    person_id     INTEGER NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    source        VARCHAR NOT NULL,
    CHECK (first_seen_at <= last_seen_at)
)
"""


def fill_person_addresses(con: db.Connection) -> int:
    """Every address of every person who is not erased, from their applications (the first and last time each
    was used) and their ``people.email``; returns the rows written. An address two people used (which the
    email key never allowed) goes to the one who used it last."""
    rows = con.execute(
        """
        SELECT a.person_id, a.email, a.submitted_at AS seen_at, 'application in ' || a.round_id AS source
        FROM applications AS a JOIN people AS p USING (person_id)
        WHERE p.email NOT LIKE 'erased-%@erased.invalid'
        UNION ALL
        SELECT person_id, email, created_at, 'first known address' FROM people
        WHERE email NOT LIKE 'erased-%@erased.invalid'
        """).df()
    if rows.empty:
        return 0
    rows["email"] = [normalise_email(e) for e in rows["email"]]
    rows = rows.sort_values(["seen_at", "person_id"], kind="stable")
    grouped = rows.groupby(["email", "person_id"], sort=False).agg(
        first_seen_at=("seen_at", "min"), last_seen_at=("seen_at", "max"), source=("source", "first")).reset_index()
    grouped = grouped.sort_values("last_seen_at", kind="stable").drop_duplicates("email", keep="last")
    frame = pd.DataFrame(grouped[["email", "person_id", "first_seen_at", "last_seen_at", "source"]])
    con.register("_addresses", frame)
    try:
        con.execute("INSERT INTO person_addresses BY NAME SELECT * FROM _addresses")
    finally:
        con.unregister("_addresses")
    return len(frame)


def _v11_person_addresses(con: db.Connection) -> None:
    """``person_addresses`` (every address a person used, with when it was first and last seen); applications
    lose the foreign key to people and the unique (round, person) index, which DuckDB would not let a merge
    move (it cannot change an indexed column of a row other tables reference): the data checks
    ``applications_without_person`` and ``person_twice_in_round`` keep them."""
    def applications(sql: str) -> str:
        return (sql.replace("FOREIGN KEY (person_id) REFERENCES people(person_id), ", "", 1)
                .replace(", UNIQUE(round_id, person_id)", "", 1))

    rebuild_tables(con, {"applications": applications})
    con.execute(PERSON_ADDRESSES)
    fill_person_addresses(con)


STEP = Step(11, "person_addresses: every address a person used; applications can move between people "
                "(merge and split)", _v11_person_addresses)
