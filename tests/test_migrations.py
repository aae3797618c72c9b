"""Upgrades keep data: a database written by schema version 1 opens with today's code, whole."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import db, migrations
from workbench.errors import DatabaseMissing, WorkbenchError

FIXTURE = Path(__file__).parent / "fixtures" / "upgrade"


@pytest.fixture
def v1_db(tmp_path: Path) -> Path:
    """A private copy of the committed version-1 database (the sample, a matching run, a few edits)."""
    target = tmp_path / "old program.duckdb"
    with gzip.open(FIXTURE / "schema_v1.duckdb.gz") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out)
    return target


def _rows(con: db.Connection, tables: list[str]) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


def test_opening_a_version_1_database_upgrades_it_and_keeps_every_row(v1_db: Path) -> None:
    expected = json.loads((FIXTURE / "schema_v1.json").read_text())
    old = db.connect(v1_db, read_only=True)
    assert migrations.schema_version(old) == 1
    old.close()

    con = migrations.open_live(v1_db)  # the read-write opener migrates
    assert migrations.schema_version(con) == migrations.LATEST
    kept = [t for t in expected["rows"] if t != "impact_categories"]  # step 9 drops it (the vocabulary is the frame)
    assert _rows(con, kept) == {**{t: expected["rows"][t] for t in kept}, "schema_info": 1}
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'impact_categories'").fetchone() == (0,)
    # step 9: the organisation key column, filled with the rule's own function where there is an organisation
    assert con.execute("SELECT count(*) FROM applications WHERE (organisation IS NULL) <> (organisation_key IS NULL)"
                       ).fetchone() == (0,)
    # what the coordinators did on the old version is still there, audited
    assert con.execute("SELECT status FROM match_runs WHERE run_id = 9").fetchone() == ("proposed",)
    assert con.execute("SELECT count(*) FROM partnerships WHERE run_id = 9 AND status = 'broken'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM audit_log WHERE actor = 'fixture'").fetchone() == (9,)
    history = con.execute("SELECT version, backup_path FROM schema_migrations ORDER BY version").fetchall()
    assert [v for v, _ in history] == list(range(2, migrations.LATEST + 1))
    backup = Path(history[0][1])
    assert backup.parent == v1_db.parent / "backups" and backup.exists()
    # coordinators became accounts with the same ids; their cases still point at them
    assert con.execute("SELECT count(*), count(password_hash), bool_and(is_active) FROM coordinators").fetchone() == (
        expected["rows"]["coordinators"], 0, True)
    assert con.execute("SELECT count(*) FROM interventions AS i JOIN coordinators AS c USING (coordinator_id)"
                       ).fetchone()[0] > 0  # type: ignore[index]
    # the program's vocabularies: seeded with the sample's lists, and sector and stage no longer fixed by CHECKs
    from workbench.program import vocabularies
    from workbench.sample import vocabularies as vocab

    assert vocabularies.vocabularies(con) == vocabularies.default_vocabularies()
    assert con.execute("SELECT DISTINCT updated_by FROM vocabulary_terms").fetchall() == [("workbench migrate",)]
    checks = [r[0] for r in con.execute("SELECT constraint_text FROM duckdb_constraints() WHERE table_name = "
                                        "'applications' AND constraint_type = 'CHECK'").fetchall()]
    assert checks and not any(word in text for text in checks for word in ("sector", "career_stage", "partner_stage"))
    stored = con.execute("SELECT list(DISTINCT sector ORDER BY sector) FROM applications").fetchone()[0]  # type: ignore[index]
    assert set(stored) <= set(vocab.SECTORS)
    # the views and checks work on the upgraded file, and the sequences continue after the old ids
    db.apply_views(con)
    assert all(not rows for rows in db.run_checks(con).values())
    assert db.next_ids(con, "audit_log") == [expected["rows"]["audit_log"] + 1]
    con.close()

    kept = db.connect(backup, read_only=True)  # the backup is the file as it was, still at version 1
    assert migrations.schema_version(kept) == 1
    assert _rows(kept, list(expected["rows"])) == expected["rows"]
    kept.close()


def test_a_migrated_database_has_the_same_tables_as_a_new_one(v1_db: Path, tmp_path: Path) -> None:
    def catalog(path: Path) -> dict[str, list[tuple[str, str]]]:
        con = migrations.open_live(path, create=True)
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' AND table_name IN (SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE') ORDER BY table_name, column_name").fetchall()
        con.close()
        out: dict[str, list[tuple[str, str]]] = {}
        for table, column, kind in rows:
            out.setdefault(table, []).append((column, kind))
        return out

    upgraded, fresh = catalog(v1_db), catalog(tmp_path / "new.duckdb")
    assert upgraded == fresh

    def constraints(path: Path) -> set[tuple[str, str]]:
        con = db.connect(path, read_only=True)
        rows = con.execute("SELECT table_name, regexp_replace(constraint_text, '\\s+', ' ', 'g') "
                           "FROM duckdb_constraints() WHERE database_name = current_database()").fetchall()
        con.close()
        return set(rows)

    assert constraints(v1_db) == constraints(tmp_path / "new.duckdb")
    assert set(fresh) == set(db.TABLE_ORDER), "TABLE_ORDER (the copy order) must name every table"


def test_workbench_migrate_reports_the_steps_then_nothing(v1_db: Path) -> None:
    first = migrations.migrate(v1_db)
    assert (first.from_version, first.to_version) == (1, migrations.LATEST)
    assert first.backup is not None and first.backup.exists()
    assert "Upgraded the database from schema version 1" in first.summary()
    again = migrations.migrate(v1_db)
    assert again.steps == [] and "nothing to do" in again.summary()


def test_a_database_newer_than_the_code_is_refused_and_left_alone(v1_db: Path) -> None:
    con = db.connect(v1_db)
    con.execute("UPDATE schema_info SET value = ? WHERE key = 'schema_version'", [str(migrations.LATEST + 1)])
    con.close()
    before = v1_db.read_bytes()
    with pytest.raises(migrations.SchemaTooNew, match=r"newer than this workbench's .*Nothing was changed"):
        migrations.open_live(v1_db)
    assert v1_db.read_bytes() == before
    with pytest.raises(migrations.SchemaTooNew):
        migrations.migrate(v1_db)


def test_a_failing_step_leaves_the_last_whole_version(v1_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(con: db.Connection) -> None:
        con.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk on fire")

    latest = migrations.LATEST
    steps = (*migrations.STEPS, migrations.Step(latest + 1, "a step that fails", broken))
    monkeypatch.setattr(migrations, "STEPS", steps)
    monkeypatch.setattr(migrations, "LATEST", latest + 1)
    with pytest.raises(migrations.MigrationFailed, match=rf"stays at version {latest}, whole"):
        migrations.open_live(v1_db)
    monkeypatch.undo()
    con = migrations.open_live(v1_db)
    assert migrations.schema_version(con) == latest
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "half_done" not in tables  # the failed step was rolled back whole
    con.close()


def test_steps_are_numbered_without_gaps() -> None:
    assert [s.version for s in migrations.STEPS] == list(range(2, migrations.LATEST + 1))
    assert all(isinstance(s.description, str) and s.description for s in migrations.STEPS)


def test_a_file_that_is_not_a_number_version_is_explained(tmp_path: Path) -> None:
    con = migrations.open_live(tmp_path / "x.duckdb", create=True)
    con.execute("UPDATE schema_info SET value = 'banana' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(WorkbenchError, match="not a number"):
        migrations.open_live(tmp_path / "x.duckdb")


def test_db_connect_only_opens_and_open_live_upgrades(v1_db: Path) -> None:
    """The ground floor opens a file as it is; bringing it to the schema is the read-write opener's (open_live)."""
    plain = db.connect(v1_db)  # read-write, but nothing is applied
    assert migrations.schema_version(plain) == 1
    assert not plain.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'vocabulary_terms'"
                             ).fetchone()[0]  # type: ignore[index]
    plain.close()
    assert not (v1_db.parent / "backups").exists()  # no upgrade, so no pre-upgrade copy either
    live = migrations.open_live(v1_db)
    assert migrations.schema_version(live) == migrations.LATEST
    assert live.execute("SELECT count(DISTINCT kind) FROM vocabulary_terms").fetchone() == (6,)
    live.close()


def test_open_live_makes_a_new_file_whole_and_refuses_a_missing_one(tmp_path: Path) -> None:
    with pytest.raises(DatabaseMissing, match="workbench init"):
        migrations.open_live(tmp_path / "none.duckdb")
    assert not (tmp_path / "none.duckdb").exists()
    con = migrations.open_live(tmp_path / "new.duckdb", create=True)
    assert migrations.schema_version(con) == migrations.LATEST
    assert con.execute("SELECT count(DISTINCT kind) FROM vocabulary_terms").fetchone() == (6,)  # seeded from above db
    assert con.execute("SELECT country_cap_limit(0.2, 1188)").fetchone() == (237,)  # migrations/macros.sql applied
    con.close()
    empty = db.connect(tmp_path / "plain.duckdb", create=True)  # the plain open creates no table
    assert migrations.schema_version(empty) is None
    empty.close()


def test_each_step_is_a_module_of_its_own() -> None:
    steps_dir = Path(migrations.__file__).with_name("steps")
    files = sorted((p.stem for p in steps_dir.glob("v*.py")), key=lambda n: int(n[1:].split("_", 1)[0]))
    assert [int(name[1:].split("_", 1)[0]) for name in files] == sorted(s.version for s in migrations.STEPS)
    assert all(s.apply.__module__ == f"workbench.migrations.steps.{name}"
               for s, name in zip(sorted(migrations.STEPS, key=lambda s: s.version),
                                  sorted(files, key=lambda n: int(n[1:].split("_", 1)[0])), strict=True))
    assert migrations.SCHEMA_FILE.parent == steps_dir.parent and migrations.SCHEMA_FILE.exists()


def test_the_package_ships_the_schema_and_the_macros(tmp_path: Path) -> None:
    """setuptools' own file selection (pyproject's package-data) puts migrations/schema.sql and macros.sql in
    the built package, beside the steps, so an installed workbench can make and upgrade a database."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py",
                             "--build-lib", str(tmp_path / "lib")], cwd=root, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    built = tmp_path / "lib" / "workbench" / "migrations"
    assert (built / "schema.sql").read_text(encoding="utf-8") == migrations.SCHEMA_FILE.read_text(encoding="utf-8")
    assert (built / "macros.sql").read_text(encoding="utf-8") == migrations.MACROS_FILE.read_text(encoding="utf-8")
    assert {p.stem for p in (built / "steps").glob("v*.py")} == {
        s.apply.__module__.rsplit(".", 1)[1] for s in migrations.STEPS}


def test_step_9_fills_the_organisation_key_with_the_rules_own_function(writable_db: Path) -> None:
    from workbench.matching.rules import organisation_key
    from workbench.migrations.steps import fill_organisation_keys

    con = migrations.open_live(writable_db)
    try:
        con.execute("UPDATE applications SET organisation = CASE application_id % 3 WHEN 0 THEN 'Straßen Bibliothek' "
                    "WHEN 1 THEN 'Łódź Library' ELSE NULL END, organisation_key = NULL WHERE application_id <= 30")
        assert fill_organisation_keys(con) == 20
        rows = con.execute("SELECT organisation, organisation_key FROM applications WHERE application_id <= 30 "
                           "AND organisation IS NOT NULL").fetchall()
        assert rows and all(key == organisation_key(org) for org, key in rows)
        assert {key for _, key in rows} == {"strassen bibliothek", "łodz library"}
        assert fill_organisation_keys(con) == 0  # nothing stale left
    finally:
        con.close()
