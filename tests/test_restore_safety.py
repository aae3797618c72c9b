"""A restore takes backups only: an analyst snapshot is refused, and whatever a backup holds beyond the
workbench's own tables, views, macros and sequences (a planted view, a macro shadowing a built-in function)
is left out of the restored database."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import backups, db, snapshots
from workbench.access import User


def _state(folder: Path, live: Path) -> tuple[bytes, list[str]]:
    return live.read_bytes(), sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("full", [False, True], ids=["pseudonymised", "full"])
def test_restoring_an_analyst_snapshot_is_refused_and_changes_nothing(
        writable_db: Path, tmp_path: Path, users: dict[str, User], full: bool) -> None:
    con = db.connect(writable_db)
    snapshot = snapshots.publish_snapshot(con, tmp_path / "snapshots" / "analytics.duckdb", full=full,
                                   by=users["director"] if full else None)
    con.close()
    before = _state(writable_db.parent, writable_db)
    with pytest.raises(backups.NotABackup) as caught:
        backups.restore(snapshot, writable_db)
    message = str(caught.value)
    assert message.startswith(f"{snapshot} is an analyst copy, not a backup: it is ")
    assert ("a full analyst copy (`workbench snapshot --full`)" if full else "the pseudonymised analyst snapshot") \
        in message
    assert "Nothing was restored. Restore a backup made by `workbench backup`" in message
    assert _state(writable_db.parent, writable_db) == before  # no file replaced, kept aside or left behind


def test_the_command_line_refuses_a_snapshot_in_words(writable_db: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    con = db.connect(writable_db)
    snapshot = snapshots.publish_snapshot(con, tmp_path / "analytics.duckdb")
    con.close()
    before = writable_db.read_bytes()
    assert main(["restore", str(snapshot), "--db", str(writable_db)]) == 1
    err = capsys.readouterr().err
    assert "is an analyst copy, not a backup" in err and "Traceback" not in err
    assert writable_db.read_bytes() == before


def _objects(con: db.Connection) -> dict[str, set[str]]:
    name = con.execute("SELECT system.main.current_database()").fetchone()[0]  # type: ignore[index]
    return {
        "views": {r[0] for r in con.execute("SELECT view_name FROM system.main.duckdb_views() "
                                            "WHERE database_name = ? AND NOT internal", [name]).fetchall()},
        "macros": {r[0] for r in con.execute("SELECT function_name FROM system.main.duckdb_functions() WHERE "
                                             "database_name = ? AND NOT internal", [name]).fetchall()},
        "tables": {r[0] for r in con.execute("SELECT table_name FROM system.main.duckdb_tables() "
                                             "WHERE database_name = ?", [name]).fetchall()},
        "sequences": {r[0] for r in con.execute("SELECT sequence_name FROM system.main.duckdb_sequences() "
                                                "WHERE database_name = ?", [name]).fetchall()},
        "schemas": {r[0] for r in con.execute("SELECT schema_name FROM system.main.duckdb_schemas() "
                                              "WHERE database_name = ? AND NOT internal", [name]).fetchall()},
    }


def test_a_backup_with_planted_views_and_macros_restores_without_them(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    clean = _objects(con)
    (people,) = con.execute("SELECT count(*) FROM people").fetchone()  # type: ignore[misc]
    out = backups.backup(con, tmp_path / "backups" / "planted.duckdb")
    con.close()

    planted = db.connect(out)  # someone edits the backup file before it is restored
    planted.execute("CREATE VIEW evil AS SELECT name, email FROM people")
    planted.execute("CREATE MACRO lower(x) AS 'pwned'")  # shadows DuckDB's own lower() in every query
    planted.execute("CREATE MACRO leak(x) AS x")
    planted.execute("CREATE MACRO rows_of(t) AS TABLE SELECT * FROM people")
    planted.execute("CREATE OR REPLACE VIEW participants AS SELECT name, email FROM people")  # one of ours, altered
    planted.execute("CREATE TABLE stash AS SELECT email FROM people")
    planted.execute("CREATE SEQUENCE stash_seq")
    planted.execute("CREATE SCHEMA hidden")
    planted.execute("CREATE VIEW hidden.more AS SELECT 1 AS x")
    planted.execute("CREATE INDEX people_email_idx ON people (email)")  # would block erasure
    assert planted.execute("SELECT lower('ABC')").fetchone() == ("pwned",)
    planted.close()
    assert backups.check_backup(out) > 0

    done = backups.restore(out, writable_db)
    con = db.connect(writable_db)
    assert _objects(con) == clean  # exactly the workbench's own views, macros, tables and sequences
    assert con.execute("SELECT lower('ABC')").fetchone() == ("abc",)
    columns = [r[0] for r in con.execute("DESCRIBE participants").fetchall()]
    assert "email" not in columns and "partnership_id" in columns  # our view, from queries/participants.sql
    assert con.execute("SELECT country_cap_limit(0.2, 1188)").fetchone() == (237,)  # our macro is there
    assert con.execute("SELECT count(*) FROM people").fetchone() == (people,)
    con.close()
    # … and the restore says what it left out
    assert set(done.dropped) == {"view evil", "macro lower", "macro leak", "macro rows_of", "table stash",
                                 "sequence stash_seq", "schema hidden", "view hidden.more", "index people_email_idx"}
    assert "left out of the restored database: " in done.summary() and "view evil" in done.summary()
