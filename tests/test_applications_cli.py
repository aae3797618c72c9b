"""`workbench import applications` and `workbench open-round`: exit codes, messages, JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from workbench import cli
from workbench.access import command_line_user

FIXTURES = Path(__file__).parent / "fixtures" / "applications"
ROUND_FILE = FIXTURES / "round_2017B.csv"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    return code, out, err


def count(db_path: Path, sql: str) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])  # type: ignore[index]
    finally:
        con.close()


def test_import_prints_the_report_and_exits_0(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--db", str(writable_db)],
                         capsys)
    assert code == 0, err
    assert "Round 2017B did not exist: it was created" in out
    assert "imported 12 of 20" in out
    assert "row 13, Email Address, 'broken-at-example.org'" in out
    # imported: the look-alike is a new person now, not a question any more
    assert "Added as new people though they looked like someone already known" in out
    assert "--same-person sam.fraser@home.example.net=" not in out
    assert "'Austrailia': Australia (AUS)" in out
    assert count(writable_db, "SELECT count(*) FROM applications WHERE round_id = '2017B'") == 32


def test_a_dry_run_asks_about_the_look_alikes(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--dry-run", "--db",
                          str(writable_db)], capsys)
    assert code == 0, err
    assert "Perhaps a known person (answer with --link ROW=PERSON_ID, or leave as a new person)" in out
    assert "[--link 7=" in out


def test_json_report(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--db", str(writable_db),
                        "--json"], capsys)
    assert code == 0
    body = json.loads(out)
    assert (body["imported"], body["returning"], body["waitlisted"]) == (12, 3, 0)
    assert [r["row"] for r in body["rejected"]] == [12, 13, 15, 16, 17, 18]
    assert [r["row"] for r in body["resubmitted"]] == [2] and body["keep"] == "latest"
    assert set(body["rejected"][0]) >= {"row", "column", "value", "reason"}
    assert body["round_created"] is True and body["carried_over"] == 20

    code, out, _ = run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--db", str(writable_db),
                        "--json"], capsys)
    again = json.loads(out)
    assert code == 0 and again["imported"] == 0 and len(again["already_applied"]) == 14


def test_confirmations_on_the_command_line(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--db", str(writable_db),
                        "--json", "--country", "Austrailia=AUS", "--same-person", "sam.fraser@home.example.net=58"],
                       capsys)
    body = json.loads(out)
    assert code == 0 and body["imported"] == 13 and body["linked_people"] == 1 and body["near_matches"] == []


def test_a_missing_required_column_exits_1_naming_it(writable_db: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "no-email.csv"
    path.write_text("Timestamp,Full name,Country,Sector,Career stage,Interests\n"
                    "1/9/2017 10:00,Ana,Chile,public,mid,Library spaces\n", encoding="utf-8")
    code, _, err = run(["import", "applications", str(path), "--round", "2017A", "--db", str(writable_db)], capsys)
    assert code == 1
    assert err.startswith("workbench import: ") and "column" in err and "'email'" in err
    assert "Traceback" not in err


def test_missing_column_with_json(writable_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "no-email.csv"
    path.write_text("Timestamp,Full name,Country,Sector,Career stage,Interests\n", encoding="utf-8")
    code, out, _ = run(["import", "applications", str(path), "--round", "2017A", "--db", str(writable_db), "--json"],
                       capsys)
    assert code == 1 and "'email'" in json.loads(out)["error"]


def test_every_row_rejected_exits_1(writable_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Timestamp,Full name,Email,Country,Sector,Career stage,Interests\n"
                    "1/9/2017 10:00,Ana,ana@x.example.org,Atlantis,public,mid,Library spaces\n", encoding="utf-8")
    code, out, _ = run(["import", "applications", str(path), "--round", "2017A", "--db", str(writable_db)], capsys)
    assert code == 1 and "imported 0 of 1" in out


def test_an_unreadable_file_exits_1(writable_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    code, _, err = run(["import", "applications", str(path), "--round", "2017A", "--db", str(writable_db)], capsys)
    assert code == 1 and "old Excel (.xls)" in err


@pytest.mark.parametrize(
    "args",
    [
        ["import", "applications", "tests/fixtures/applications/round_2017B.csv"],              # no --round
        ["import", "applications", "--round", "2017B"],                                          # no file
        ["import", "applications", "nowhere.csv", "--round", "2017B"],                           # no such file
        ["import", "applications", str(ROUND_FILE), "--round", "2017B", "--country", "Austrailia"],  # not K=V
        ["import", "applications", str(ROUND_FILE), "--round", "2017B", "--same-person", "a@b.org=x"],
    ],
)
def test_usage_errors_exit_2(args: list[str], writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = cli.main([*args, "--db", str(writable_db)])
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    assert code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_closed_round_exits_1(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["import", "applications", str(ROUND_FILE), "--round", "2016A", "--db", str(writable_db)],
                       capsys)
    assert code == 1 and "2016A is closed" in err


def test_open_round_carries_over(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["open-round", "2017B", "--db", str(writable_db)], capsys)
    assert code == 0 and "20 applicant(s) waitlisted in 2017A carried over" in out
    code, _, err = run(["open-round", "2017B", "--db", str(writable_db)], capsys)
    assert code == 1 and "already exists" in err


def test_the_command_line_acts_as_its_operator(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The audit log names the operating-system user as cli:<login> (access.command_line_user)."""
    operator = command_line_user().actor
    assert operator.startswith("cli:")
    assert run(["open-round", "2017B", "--db", str(writable_db)], capsys)[0] == 0
    assert run(["import", "applications", str(ROUND_FILE), "--round", "2017B", "--db", str(writable_db)],
               capsys)[0] == 0
    con = duckdb.connect(str(writable_db), read_only=True)
    try:
        rows = con.execute("SELECT action, actor, count(*) FROM audit_log WHERE action IN "
                           "('open round', 'carry over application', 'import applications') "
                           "GROUP BY ALL ORDER BY action").fetchall()
    finally:
        con.close()
    assert rows == [("carry over application", operator, 20), ("import applications", operator, 1),
                    ("open round", operator, 1)]


def test_a_locked_database_gets_db_connects_message(writable_db: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(writable_db)!r})
            print("ready", flush=True)
            time.sleep(60)
        """)],
        stdout=subprocess.PIPE, text=True,
    )
    code = textwrap.dedent(f"""
        import sys
        from workbench import cli
        sys.exit(cli.main(["import", "applications", {str(ROUND_FILE)!r}, "--round", "2017B",
                           "--db", {str(writable_db)!r}]))
    """)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stderr.startswith("workbench import: ") and "open in another program" in result.stderr
    assert "Traceback" not in result.stderr
