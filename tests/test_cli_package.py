"""The `workbench` command as one package: one --db option, one way to open the database and refresh the
snapshot, plain messages for every failure, paths that are never pasted into SQL, and `init --force`
refused while another program holds the database."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from workbench import build
from workbench.cli import build_parser, main
from workbench.cli._common import DB_HELP, db_path
from workbench.errors import DatabaseBusy

ROOT = Path(__file__).resolve().parents[1]
ODD_DB = Path("my data") / "o'brien.duckdb"  # a space and an apostrophe

#: Every command that works on the database, with the arguments it needs besides --db.
DB_COMMANDS: dict[str, list[str]] = {
    "init": ["init"],
    "snapshot": ["snapshot"],
    "checks": ["checks"],
    "import applications": ["import", "applications", "file.csv", "--round", "2017B"],
    "import checkins": ["import", "checkins", "file.csv", "--round", "2016B"],
    "import surveys": ["import", "surveys", "file.csv", "--round", "2016B"],
    "open-round": ["open-round", "2017B"],
    "close-round": ["close-round", "2017B"],
    "match": ["match", "--round", "2017A"],
    "candidates": ["candidates", "--round", "2017A", "--out", "c.csv"],
    "publish": ["publish", "--round", "2017A", "--run", "1"],
    "migrate": ["migrate"],
    "backup": ["backup", "--out", "b.duckdb"],
    "restore": ["restore", "b.duckdb"],
    "export partnerships": ["export", "partnerships", "--round", "2016B", "--out", "p.csv"],
    "export introductions": ["export", "introductions", "--round", "2016B", "--out", "i.zip", "--format", "eml"],
    "forget": ["forget", "a@b.org"],
    "user add": ["user", "add", "a@b.org", "--name", "A", "--role", "analyst"],
    "user list": ["user", "list"],
    "user disable": ["user", "disable", "a@b.org"],
    "user set-password": ["user", "set-password", "a@b.org"],
    "user first-director": ["user", "first-director", "--email", "a@b.org", "--name", "A"],
    "retention show": ["retention", "show"],
    "retention set": ["retention", "set", "5"],
    "retention apply": ["retention", "apply"],
    "vocab list": ["vocab", "list"],
    "vocab add": ["vocab", "add", "interest", "Makerspaces"],
    "vocab rename": ["vocab", "rename", "interest", "Library spaces", "Spaces"],
    "vocab merge": ["vocab", "merge", "sector", "national", "public"],
    "settings show": ["settings", "show"],
    "settings set": ["settings", "set", "cross_border", "organisation"],
    "present export": ["present", "export", "--out", "deck.html"],  # also: --format png|svg --out DIR
    "outbox queue introductions": ["outbox", "queue", "introductions", "--round", "2017A"],
    "outbox queue topic": ["outbox", "queue", "topic", "--round", "2017A", "--date", "2017-03-13"],
    "outbox queue reminders": ["outbox", "queue", "reminders", "--round", "2017A"],
    "outbox queue survey": ["outbox", "queue", "survey", "--round", "2017A"],
    "outbox send": ["outbox", "send", "--round", "2017A", "--kind", "introductions"],
    "outbox list": ["outbox", "list", "--json"],
    "people show": ["people", "show", "7"],
    "people merge": ["people", "merge", "7", "8"],
    "people split": ["people", "split", "7", "--application", "9"],
    "people undo": ["people", "undo", "10"],
    "people train": ["people", "train"],
    "tradeoffs": ["tradeoffs", "--round", "2017A"],
}


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every leaf command of the parser, as ('import applications', its parser)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield prefix.strip(), parser
        return
    for name, sub in subs[0].choices.items():
        yield from _commands(sub, f"{prefix} {name}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def configured(writable_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """WORKBENCH_DB is a private copy of the sample, WORKBENCH_SNAPSHOT a file beside it (not yet written)."""
    monkeypatch.setenv("WORKBENCH_DB", str(writable_db))
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "analytics.duckdb"))
    return tmp_path / "analytics.duckdb"


# --- one --db option -------------------------------------------------------------------------------


def test_every_command_on_the_database_has_the_same_db_option(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    options = {}
    for name, parser in _commands(build_parser()):
        found = [a for a in parser._actions if a.dest == "db"]
        if found:
            options[name] = found[0]
    assert set(options) == set(DB_COMMANDS)  # views and generate do not touch the database
    assert {a.help for a in options.values()} == {DB_HELP}
    assert {a.default for a in options.values()} == {None}
    assert {tuple(a.option_strings) for a in options.values()} == {("--db",)}

    # Unset, every command means the configured database, read when the command runs.
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "configured.duckdb"))
    for name, argv in DB_COMMANDS.items():
        args = build_parser().parse_args(argv)
        assert db_path(args) == tmp_path / "configured.duckdb", name
        args = build_parser().parse_args([*argv, "--db", "elsewhere.duckdb"])
        assert db_path(args) == Path("elsewhere.duckdb"), name


def test_the_old_modules_are_gone() -> None:
    for old in ("applications_cli.py", "matching_cli.py", "followup/cli.py", "cli.py"):
        assert not (ROOT / "workbench" / old).exists(), old
    assert (ROOT / "workbench" / "cli" / "__init__.py").exists()


# --- the snapshot follows every change ----------------------------------------------------------------


def test_open_round_refreshes_the_snapshot(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot"]) == 0
    capsys.readouterr()
    before = configured.stat().st_mtime_ns
    assert _snapshot_rows(configured, "SELECT count(*) FROM rounds WHERE round_id = '2017B'") == [(0,)]

    assert main(["open-round", "2017B"]) == 0
    captured = capsys.readouterr()
    assert "carried over" in captured.out
    assert f"Analyst snapshot refreshed: {configured}." in captured.err
    assert configured.stat().st_mtime_ns != before
    assert _snapshot_rows(configured, "SELECT status FROM rounds WHERE round_id = '2017B'") == [("open",)]
    assert _snapshot_rows(configured, "SELECT count(*) FROM applications WHERE round_id = '2017B'") == [(20,)]


def test_match_refreshes_the_snapshot_and_keeps_json_clean(configured: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot"]) == 0
    capsys.readouterr()
    runs_before = _snapshot_rows(configured, "SELECT run_id FROM match_runs ORDER BY run_id")

    assert main(["match", "--round", "2017A", "--time-limit", "3", "--json"]) == 0
    captured = capsys.readouterr()
    run_id = json.loads(captured.out)["run_id"]  # stdout is the JSON document alone
    assert (run_id,) not in runs_before
    assert "Analyst snapshot refreshed" in captured.err
    assert _snapshot_rows(configured, f"SELECT round_id, status FROM match_runs WHERE run_id = {int(run_id)}") == [
        ("2017A", "proposed")]


def test_a_change_to_another_database_leaves_the_configured_snapshot(configured: Path, tmp_path: Path,
                                                                     sample_db_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot"]) == 0
    before = _digest(configured)
    other = tmp_path / "other.duckdb"
    shutil.copy(sample_db_path, other)
    capsys.readouterr()
    assert main(["open-round", "2017B", "--db", str(other)]) == 0
    assert "left as it is" in capsys.readouterr().err
    assert _digest(configured) == before


def test_a_dry_run_opens_read_only_and_refreshes_nothing(configured: Path, writable_db: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(writable_db)
    fixture = ROOT / "tests" / "fixtures" / "applications" / "round_2017B.csv"
    assert main(["import", "applications", str(fixture), "--round", "2017B", "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "would import 12 of 20" in captured.out
    assert "snapshot" not in captured.err
    assert not configured.exists()
    assert _digest(writable_db) == before  # not even the schema was re-applied: opened read-only


# --- plain messages ------------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_gets_a_plain_message(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    notes = tmp_path / "notes.duckdb"
    notes.write_text("these are my notes, not a database\n" * 50)
    assert main(["checks", "--db", str(notes)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"workbench checks: Cannot open the database {notes}: ")
    assert "workbench init" in err and "Traceback" not in err


def test_a_duckdb_error_inside_a_command_gets_a_plain_message(writable_db: Path) -> None:
    con = duckdb.connect(str(writable_db))
    con.execute("DROP VIEW participants")  # the repeated_pairs check reads it
    con.close()
    result = subprocess.run([sys.executable, "-m", "workbench.cli", "checks", "--db", str(writable_db)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("workbench checks: the database refused the command (CatalogException: ")
    assert "participants" in result.stderr and "Traceback" not in result.stderr


# --- paths with a space and an apostrophe ----------------------------------------------------------


@pytest.fixture
def odd_db(sample_db_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / ODD_DB
    target.parent.mkdir()
    shutil.copy(sample_db_path, target)
    return target


def test_init_with_an_odd_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / ODD_DB
    assert main(["init", "--db", str(target)]) == 0
    assert f"Built {target}: 9 rounds" in capsys.readouterr().out
    assert _snapshot_rows(target, "SELECT count(*) FROM rounds") == [(9,)]
    assert main(["init", "--db", str(target), "--force"]) == 0
    assert sorted(p.name for p in target.parent.iterdir()) == ["o'brien.duckdb"]


def test_checks_with_an_odd_path(odd_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "--db", str(odd_db)]) == 0
    out = capsys.readouterr().out
    assert "ok    same_country_partners" in out and "FAIL" not in out


def test_snapshot_with_odd_paths(odd_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = odd_db.with_name("o'brien analytics.duckdb")
    assert main(["snapshot", "--db", str(odd_db), "--out", str(out)]) == 0, capsys.readouterr().err
    assert _snapshot_rows(out, "SELECT round_id, participants FROM round_summary WHERE round_id = '2016A'") == [
        ("2016A", 1162)]
    assert sorted(p.name for p in odd_db.parent.iterdir()) == ["o'brien analytics.duckdb", "o'brien.duckdb"]


def test_a_change_refreshes_a_snapshot_at_an_odd_path(odd_db: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = odd_db.with_name("o'brien analytics.duckdb")
    monkeypatch.setenv("WORKBENCH_DB", str(odd_db))
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(snapshot))
    assert main(["open-round", "2017B"]) == 0
    assert "Analyst snapshot refreshed" in capsys.readouterr().err
    assert _snapshot_rows(snapshot, "SELECT status FROM rounds WHERE round_id = '2017B'") == [("open",)]


def test_views_with_an_odd_queries_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    queries = tmp_path / "my data" / "o'brien queries"
    shutil.copytree(ROOT / "queries", queries)
    (queries / "round_summary.sql").unlink()
    monkeypatch.setenv("WORKBENCH_QUERIES", str(queries))
    assert main(["views", "--json"]) == 0
    listed = {v["view"] for v in json.loads(capsys.readouterr().out)}
    assert listed == {p.stem for p in queries.glob("*.sql")} and "round_summary" not in listed
    assert len(listed) > 5


def test_no_path_or_value_is_formatted_into_sql_in_the_cli() -> None:
    """The command modules bind every value; their only SQL is a constant."""
    for path in (ROOT / "workbench" / "cli").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert 'execute(f"' not in text and "execute(f'" not in text and ".format(" not in text, path.name


# --- init --force while another program holds the database ---------------------------------------------


def _mark(path: Path) -> int:
    """Put a row a freshly built database cannot have; return the file's inode (a replacement changes it)."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE kept_marker AS SELECT 'the edits made in the app' AS note")
    con.close()
    return path.stat().st_ino


def _still_marked(path: Path) -> bool:
    return _snapshot_rows(path, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kept_marker'") == [(1,)]


def _hold(path: Path) -> subprocess.Popen[str]:
    """Another process with the database open read-write through workbench.db.connect, as the app has it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import time
            from workbench import db
            con = db.connect({str(path)!r})
            print("ready", flush=True)
            time.sleep(120)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait()


def test_init_force_is_refused_while_another_program_holds_the_database(
        writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inode = _mark(writable_db)
    holder = _hold(writable_db)
    try:
        with pytest.raises(DatabaseBusy, match=rf"open in another program \(process {holder.pid}\)"):
            build.build_database(writable_db, force=True)
        assert main(["init", "--db", str(writable_db), "--force"]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"workbench init: {writable_db} is open in another program")
        assert "left untouched" in err and "Traceback" not in err
        assert writable_db.stat().st_ino == inode
        assert [p.name for p in writable_db.parent.iterdir() if "building" in p.name] == []
    finally:
        _release(holder)
    assert _still_marked(writable_db)
    assert main(["init", "--db", str(writable_db), "--force"]) == 0  # once the app is stopped, it goes ahead
    assert writable_db.stat().st_ino != inode and not _still_marked(writable_db)


def test_init_force_checks_again_just_before_replacing(writable_db: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The app opened the database while the new one was being built: the build is thrown away."""
    holders: list[subprocess.Popen[str]] = []
    real_load = build.load_sample

    def load_while_the_app_starts(con: object, sample_dir: Path) -> dict[str, int]:
        holders.append(_hold(writable_db))
        return real_load(con, sample_dir)  # type: ignore[arg-type]

    inode = _mark(writable_db)
    monkeypatch.setattr(build, "load_sample", load_while_the_app_starts)
    try:
        with pytest.raises(DatabaseBusy, match="left untouched"):
            build.build_database(writable_db, force=True)
        assert len(holders) == 1  # the first check passed: the app was not running yet
        assert writable_db.stat().st_ino == inode
        assert [p.name for p in writable_db.parent.iterdir() if "building" in p.name] == []
    finally:
        for holder in holders:
            _release(holder)
    assert _still_marked(writable_db)
