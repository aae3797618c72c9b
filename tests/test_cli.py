"""The `workbench` command: init, snapshot, views, checks, and its messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_init_builds_then_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "wb.duckdb"
    assert main(["init", "--db", str(target)]) == 0
    assert "9 rounds" in capsys.readouterr().out
    before = target.stat().st_mtime_ns
    assert main(["init", "--db", str(target)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert target.stat().st_mtime_ns == before
    assert main(["init", "--db", str(target), "--if-missing"]) == 0
    assert main(["init", "--db", str(target), "--force"]) == 0


def test_init_failure_leaves_the_existing_database(tmp_path: Path, sample_db_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "wb.duckdb"
    shutil.copy(sample_db_path, target)
    broken = tmp_path / "sample"
    shutil.copytree(ROOT / "sample_data", broken)
    (broken / "surveys.csv").unlink()
    monkeypatch.setenv("WORKBENCH_SAMPLE_DATA", str(broken))
    assert main(["init", "--db", str(target), "--force"]) == 1
    assert "surveys.csv" in capsys.readouterr().err
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("SELECT count(*) FROM surveys").fetchone()[0] > 0  # type: ignore[index]
    con.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample", "wb.duckdb"]


def test_snapshot_is_read_only_and_answers_round_summary(writable_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "analytics.duckdb"
    assert main(["snapshot", "--db", str(writable_db), "--out", str(out)]) == 0
    con = duckdb.connect(str(out), read_only=True)
    rows = con.execute("SELECT round_id, participants, countries FROM round_summary ORDER BY seq").fetchall()
    assert rows[6] == ("2016A", 1162, 95) and len(rows) == 9
    (comment,) = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = 'round_summary'").fetchone()  # type: ignore[misc]
    assert comment.startswith("Per round")
    # a write any writable file takes (a new table, a changed label; `DELETE FROM rounds` would fail anyway, on
    # the rounds' foreign keys) is refused for being read-only, and for nothing else
    writes = ["CREATE TABLE scratch AS SELECT 1 AS x", "UPDATE rounds SET label = label || ' (edited)'"]
    for write in writes:
        with pytest.raises(duckdb.Error, match="read-only mode"):
            con.execute(write)
    con.close()
    copy = tmp_path / "copy" / "analytics.duckdb"
    copy.parent.mkdir()
    shutil.copy(out, copy)
    writable = duckdb.connect(str(copy))
    for write in writes:
        writable.execute(write)
    assert writable.execute("SELECT count(*) FROM scratch").fetchone() == (1,)
    writable.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_the_duckdb_cli_reads_the_snapshot(writable_db: Path, tmp_path: Path) -> None:
    cli = Path(sys.executable).with_name("duckdb")
    if not cli.exists():
        pytest.skip("duckdb CLI not installed in this environment")
    out = tmp_path / "analytics.duckdb"
    assert main(["snapshot", "--db", str(writable_db), "--out", str(out)]) == 0
    result = subprocess.run([str(cli), "-readonly", "-csv", str(out), "-c",
                             "from round_summary select round_id, participants where round_id = '2016A'"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "2016A,1162" in result.stdout


def test_views_lists_every_view_with_its_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["views", "--json"]) == 0
    listed = {v["view"]: v["description"] for v in json.loads(capsys.readouterr().out)}
    assert {p.stem for p in (ROOT / "queries").glob("*.sql")} == set(listed)
    assert all(len(d) > 30 for d in listed.values())


def test_checks_pass_on_the_sample(sample_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["checks", "--db", str(sample_db_path)]) == 0
    assert "FAIL" not in capsys.readouterr().out


def test_checks_fail_when_a_rule_is_broken(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    con = duckdb.connect(str(writable_db))
    # A proposed run for 2017A pairing two Australians.
    a, b = [r[0] for r in con.execute(
        "SELECT application_id FROM applications WHERE round_id = '2017A' AND country_iso3 = 'AUS' LIMIT 2"
    ).fetchall()]
    con.execute("INSERT INTO match_runs VALUES (100, '2017A', now(), 'test', '{}', 'proposed', 'test', 2, 2, "
                "NULL, NULL, NULL, NULL, 1)")
    con.execute("INSERT INTO partnerships VALUES "
                "(99999, 100, '2017A', 'pair', NULL, NULL, 'proposed', false, now(), 1)")
    con.execute("INSERT INTO partnership_members VALUES (99999, ?), (99999, ?)", [a, b])
    con.close()
    assert main(["checks", "--db", str(writable_db)]) == 1
    assert "FAIL  same_country_partners" in capsys.readouterr().out


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["init", "--no-such-flag"])
    assert exc.value.code == 2


def test_a_locked_database_gets_a_plain_message(writable_db: Path, tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(writable_db)!r})
            print("ready", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "snapshot", "--db", str(writable_db), "--out",
             str(tmp_path / "a.duckdb")],
            capture_output=True, text=True, timeout=120, env={**os.environ},
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "open in another program" in result.stderr and "Traceback" not in result.stderr
