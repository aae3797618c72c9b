"""The storage layer: schema, constraints, views in any order, transactions, versioned edits."""

from __future__ import annotations

from pathlib import Path

import duckdb
import grimp
import pytest

from workbench import copies, db, migrations, snapshots
from workbench.errors import DatabaseMissing, StaleEdit

ROOT = Path(__file__).resolve().parents[1]


def test_schema_is_idempotent_and_versioned(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissing, match="workbench init"):
        db.connect(tmp_path / "x.duckdb")
    con = db.connect(tmp_path / "x.duckdb", create=True)
    migrations.apply_schema(con)
    migrations.apply_schema(con)
    assert con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchall() == [
        (str(migrations.LATEST),)]
    con.close()


def test_constraints_are_enforced(writable_db: Path) -> None:
    con = db.connect(writable_db)
    with pytest.raises(duckdb.ConstraintException):  # CHECK: an offset no time zone has
        con.execute("UPDATE applications SET utc_offset_minutes = 900 WHERE application_id = 1")
    with pytest.raises(duckdb.ConstraintException):  # FOREIGN KEY: unknown country
        con.execute("""INSERT INTO applications SELECT * REPLACE (999999 AS application_id, 'ZZZ' AS country_iso3,
            '2017A' AS round_id) FROM applications WHERE application_id = 1""")
    with pytest.raises(duckdb.ConstraintException):  # PRIMARY KEY
        con.execute("INSERT INTO rounds SELECT * FROM rounds WHERE round_id = 'Pilot'")
    con.close()


def test_views_build_whatever_the_file_order(tmp_path: Path, con: db.Connection) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    # "a_top" depends on "m_middle" which depends on "z_base": alphabetical order is the worst case.
    (queries / "a_top.sql").write_text("-- Top.\nSELECT n + 1 AS n FROM m_middle")
    (queries / "m_middle.sql").write_text("-- Middle.\nSELECT n * 10 AS n FROM z_base")
    (queries / "z_base.sql").write_text("-- Base.\nSELECT 4 AS n")
    mem = duckdb.connect()
    created = db.apply_views(mem, queries)
    assert created == ["z_base", "m_middle", "a_top"]
    assert mem.execute("FROM a_top").fetchall() == [(41,)]
    assert db.apply_views(mem, queries)  # idempotent


def test_a_broken_view_names_its_file(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "broken.sql").write_text("-- Broken.\nSELECT * FROM no_such_table")
    with pytest.raises(ValueError, match=r"broken\.sql"):
        db.apply_views(duckdb.connect(), queries)


def test_a_view_without_description_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bare.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="description"):
        db.view_files(tmp_path)


def test_transaction_rolls_back_everything(writable_db: Path) -> None:
    con = db.connect(writable_db)
    (before,) = con.execute("SELECT count(*) FROM topics").fetchone()  # type: ignore[misc]
    with pytest.raises(duckdb.ConstraintException), db.transaction(con):
        con.execute("DELETE FROM topics WHERE round_id = '2017A'")
        con.execute("INSERT INTO topics VALUES (1, 'Pilot', 1, 'dup', '', DATE '2013-01-01', 1)")
    assert con.execute("SELECT count(*) FROM topics").fetchone() == (before,)
    con.close()


def test_versioned_update_refuses_a_stale_edit_and_audits(writable_db: Path) -> None:
    con = db.connect(writable_db)
    (version,) = con.execute("SELECT version FROM topics WHERE topic_id = 1").fetchone()  # type: ignore[misc]
    with db.transaction(con):
        new = db.update_versioned(con, "topics", "topic_id", 1, version, {"title": "Hello"},
                                  actor="amorgan", action="rename topic")
    assert new == version + 1
    with pytest.raises(StaleEdit, match="changed by someone else"), db.transaction(con):
        db.update_versioned(con, "topics", "topic_id", 1, version, {"title": "Lost"},
                            actor="praman", action="rename topic")
    assert con.execute("SELECT title FROM topics WHERE topic_id = 1").fetchone() == ("Hello",)
    rows = con.execute("SELECT actor, action, entity, entity_id, before, after FROM audit_log").fetchall()
    assert rows == [("amorgan", "rename topic", "topics", "1", '{"title": "Getting to know you"}',
                     '{"title": "Hello"}')]
    con.close()


def test_cursors_work_from_several_threads(writable_db: Path) -> None:
    import concurrent.futures

    con = db.connect(writable_db)

    def count(_: int) -> int:
        cur = con.cursor()
        try:
            return int(cur.execute("SELECT count(*) FROM participants").fetchone()[0])  # type: ignore[index]
        finally:
            cur.close()

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        assert set(pool.map(count, range(16))) == {5571}
    con.close()


def test_next_ids_continue_after_the_sample(writable_db: Path) -> None:
    con = db.connect(writable_db)
    (top,) = con.execute("SELECT max(application_id) FROM applications").fetchone()  # type: ignore[misc]
    assert db.next_ids(con, "applications", 3) == [top + 1, top + 2, top + 3]
    con.close()


def test_a_write_write_conflict_is_a_clear_refusal_not_a_duckdb_error(writable_db: Path) -> None:
    from workbench.errors import EditConflict

    con = db.connect(writable_db)
    other = con.cursor()  # a write outside db.transaction (or another process) holds the row
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE topics SET title = 'theirs' WHERE topic_id = 1")
    mine = con.cursor()
    with pytest.raises(EditConflict, match="Someone else saved a change to the same records"), db.transaction(mine):
        mine.execute("UPDATE topics SET title = 'mine' WHERE topic_id = 1")
    other.execute("COMMIT")
    assert con.execute("SELECT title FROM topics WHERE topic_id = 1").fetchone() == ("theirs",)
    # the refused transaction is over: the cursor works for the next edit
    with db.transaction(mine):
        mine.execute("UPDATE topics SET title = 'mine, later' WHERE topic_id = 1")
    assert con.execute("SELECT title FROM topics WHERE topic_id = 1").fetchone() == ("mine, later",)
    con.close()


def test_the_ground_floor_imports_nothing_above_it() -> None:
    """db.py opens and runs; the schema (migrations), snapshots and copies sit above it and call down."""
    graph = grimp.build_graph("workbench", cache_dir=None)
    below = {m for m in graph.find_modules_directly_imported_by("workbench.db") if m.startswith("workbench.")}
    assert below == {"workbench.config", "workbench.errors", "workbench.files"}
    moved = {"publish_snapshot": "snapshots", "request_snapshot": "snapshots", "snapshot_errors": "snapshots",
             "wait_for_snapshots": "snapshots", "refresh_snapshot_after_command": "snapshots",
             "copy_database": "copies", "read_tables": "copies", "write_tables": "copies", "rewrite_file": "copies",
             "PSEUDONYMISED": "copies", "FULL": "copies", "apply_schema": "migrations", "apply_macros": "migrations",
             "schema_version": "migrations", "SCHEMA_FILE": "migrations", "MACROS_FILE": "migrations"}
    assert [name for name in moved if hasattr(db, name)] == []  # no re-exports: one home each
    homes = {"snapshots": snapshots, "copies": copies, "migrations": migrations}
    assert [name for name, home in moved.items() if not hasattr(homes[home], name)] == []
