"""Snapshots and backups: consistent copies made while edits go on; restores that refuse what they must."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from workbench import backups, db, matchstore, migrations, snapshots
from workbench.access import User, system_user
from workbench.errors import CopyFailed, DatabaseBusy
from workbench.matchstore import RunSettings


def _consistent(path: Path) -> tuple[int, int]:
    """(runs, partnerships) of a copy, after checking that every run's rows arrived whole."""
    con = db.connect(path, read_only=True)
    try:
        orphans = con.execute(
            "SELECT count(*) FROM partnership_members AS m ANTI JOIN partnerships AS p USING (partnership_id)"
        ).fetchone()
        assert orphans == (0,)
        # a run's partnerships and members are in the copy whole: members = 2 or 3 per partnership
        bad = con.execute(
            "SELECT count(*) FROM (SELECT p.partnership_id, count(m.application_id) AS n FROM partnerships AS p "
            "LEFT JOIN partnership_members AS m USING (partnership_id) GROUP BY ALL) WHERE n NOT IN (2, 3)"
        ).fetchone()
        assert bad == (0,)
        return con.execute("SELECT (SELECT count(*) FROM match_runs), (SELECT count(*) FROM partnerships)"
                           ).fetchone()  # type: ignore[return-value]
    finally:
        con.close()


def test_snapshots_published_while_runs_are_saved_are_whole(writable_db: Path, tmp_path: Path,
                                                            users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    pool_run, result = matchstore.run_matching(con, "2017A", RunSettings(time_limit=3), by=users["coordinator"])
    params = matchstore.run_row(con, pool_run)["parameters"]
    stop = threading.Event()
    saved: list[int] = []

    def save_runs() -> None:
        cur = con.cursor()
        while not stop.is_set() and len(saved) < 4:
            saved.append(matchstore.save_run(cur, "2017A", result, {"from": params}, by=users["director"]))
        cur.close()

    writer = threading.Thread(target=save_runs)
    writer.start()
    outs = []
    try:
        cur = con.cursor()
        for i in range(5):
            outs.append(snapshots.publish_snapshot(cur, tmp_path / f"snap{i}.duckdb"))
        cur.close()
    finally:
        stop.set()
        writer.join()
    assert len(outs) == 5 and saved
    for out in outs:
        _consistent(out)
    assert not list(tmp_path.glob(".*tmp*")), "no temporary file is left behind"
    con.close()


def test_a_failed_snapshot_is_reported_and_leaves_the_old_copy_and_no_temp_file(
        writable_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    out = snapshots.publish_snapshot(con, tmp_path / "snap" / "analytics.duckdb")
    before = out.read_bytes()

    def boom(*args: object, **kwargs: object) -> list[str]:
        raise ValueError("queries/round_summary.sql: the view does not build")

    monkeypatch.setattr(db, "apply_views", boom)
    with pytest.raises(CopyFailed, match=r"previous copy, if any, is unchanged"):
        snapshots.publish_snapshot(con, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["analytics.duckdb"]

    # in the background (the app), the failure is kept for the page to show, once
    snapshots.request_snapshot(con, out)
    assert snapshots.wait_for_snapshots(60)
    errors = snapshots.snapshot_errors()
    assert len(errors) == 1 and "the view does not build" in errors[0]
    assert snapshots.snapshot_errors() == []
    monkeypatch.undo()
    con.close()


def test_a_snapshot_into_a_folder_that_cannot_exist_says_so(writable_db: Path, tmp_path: Path) -> None:
    (tmp_path / "a file").write_text("not a folder")
    con = db.connect(writable_db)
    with pytest.raises(CopyFailed, match="could not be written"):
        snapshots.publish_snapshot(con, tmp_path / "a file" / "analytics.duckdb")
    con.close()


def test_a_backup_is_a_whole_workbench_database_that_restores(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    out = backups.backup(con, tmp_path / "my backups" / "o'brien.duckdb")  # spaces and quotes in paths
    (people,) = con.execute("SELECT count(*) FROM people").fetchone()  # type: ignore[misc]
    con.execute("UPDATE topics SET title = 'changed after the backup'")  # a change after the backup
    con.close()
    assert backups.check_backup(out) == migrations.LATEST

    done = backups.restore(out, writable_db)
    assert done.kept_aside is not None and done.kept_aside.exists()
    restored = db.connect(writable_db)
    assert restored.execute("SELECT count(*) FROM people").fetchone() == (people,)
    assert restored.execute("SELECT count(*) FROM topics WHERE title LIKE 'changed%'").fetchone() == (0,)
    assert db.next_ids(restored, "people")[0] > people  # sequences continue after the copied ids
    restored.close()
    aside = db.connect(done.kept_aside, read_only=True)
    assert aside.execute("SELECT count(*) FROM topics WHERE title NOT LIKE 'changed%'").fetchone() == (0,)
    aside.close()


def test_restore_refuses_what_is_not_a_workbench_database(writable_db: Path, tmp_path: Path) -> None:
    before = writable_db.read_bytes()
    text = tmp_path / "notes.duckdb"
    text.write_text("just some notes")
    with pytest.raises(backups.NotABackup, match="not a DuckDB database"):
        backups.restore(text, writable_db)
    other = tmp_path / "other.duckdb"
    con = migrations.open_live(other, create=True)
    con.execute("DROP TABLE audit_log")
    con.close()
    with pytest.raises(backups.NotABackup, match="lacks the workbench tables audit_log"):
        backups.restore(other, writable_db)
    newer = tmp_path / "newer.duckdb"
    con = migrations.open_live(newer, create=True)
    con.execute("UPDATE schema_info SET value = ? WHERE key = 'schema_version'", [str(migrations.LATEST + 3)])
    con.close()
    with pytest.raises(migrations.SchemaTooNew, match="newer than this workbench"):
        backups.restore(newer, writable_db)
    with pytest.raises(backups.NotABackup, match="There is no file"):
        backups.restore(tmp_path / "missing.duckdb", writable_db)
    assert writable_db.read_bytes() == before


def test_restore_refuses_while_another_program_holds_the_database(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    out = backups.backup(con, tmp_path / "b.duckdb")
    con.close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from workbench import db; c = db.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(60)", str(writable_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseBusy, match="open in another program"):
            backups.restore(out, writable_db)
    finally:
        holder.kill()
        holder.wait()
    assert not list(tmp_path.glob("*.replaced-*"))


def test_dated_backups_keep_the_last_n(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    folder = tmp_path / "dated"
    start = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
    assert backups.backup_due(folder, 24, now=start)
    for day in range(4):
        backups.keep_dated(con, folder, 3, by=system_user("backup keeper"), now=start + timedelta(days=day))
    names = [p.name for p in backups.dated_backups(folder)]
    assert names == ["workbench-20261102T030000Z.duckdb", "workbench-20261103T030000Z.duckdb",
                     "workbench-20261104T030000Z.duckdb"]
    assert not backups.backup_due(folder, 24, now=start + timedelta(days=3, hours=23))
    assert backups.backup_due(folder, 24, now=start + timedelta(days=4))
    assert not backups.backup_due(folder, 0, now=start + timedelta(days=50))  # 0 turns them off

    keeper = backups.BackupKeeper(con, tmp_path / "kept", keep=2, every_hours=24, by=system_user("backup keeper"))
    made = keeper.run_once()
    assert made is not None and backups.check_backup(made) == migrations.LATEST
    assert keeper.run_once() is None  # not due again yet
    con.close()


def test_backup_bytes_is_a_database(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    scratch = tmp_path / "scratch"
    data = backups.backup_bytes(con, scratch, by=system_user("backup keeper"))
    con.close()
    assert list(scratch.iterdir()) == []  # the temporary copy is gone
    out = tmp_path / "downloaded.duckdb"
    out.write_bytes(data)
    assert backups.check_backup(out) == migrations.LATEST


def test_backup_restore_and_migrate_on_the_command_line(writable_db: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    out = tmp_path / "saved copies" / "before the round.duckdb"
    assert main(["backup", "--db", str(writable_db), "--out", str(out)]) == 0
    assert "Backed up" in capsys.readouterr().out and backups.check_backup(out) == migrations.LATEST
    assert main(["migrate", "--db", str(writable_db)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    (tmp_path / "junk.duckdb").write_text("junk")
    assert main(["restore", str(tmp_path / "junk.duckdb"), "--db", str(writable_db)]) == 1
    err = capsys.readouterr().err
    assert "not a DuckDB database" in err and "Traceback" not in err
    assert main(["restore", str(out), "--db", str(writable_db)]) == 0
    assert "kept at" in capsys.readouterr().out


def test_backups_are_readable_by_their_owner_only(writable_db: Path, tmp_path: Path) -> None:
    con = db.connect(writable_db)
    out = backups.backup(con, tmp_path / "kept" / "b.duckdb")
    made, _ = backups.keep_dated(con, tmp_path / "dated", 2, by=system_user("backup keeper"))
    con.close()
    assert out.stat().st_mode & 0o777 == 0o600
    assert made.stat().st_mode & 0o777 == 0o600
