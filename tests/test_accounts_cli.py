"""``workbench user …``: accounts from the command line; passwords from a prompt or stdin, never argv."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from workbench import accounts, db
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def _cli(db_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(["user", *args, "--db", str(db_path)], stdin=stdin or "")


def _sign_in(db_path: Path, email: str, password: str) -> accounts.User:
    con = db.connect(db_path)
    try:
        return accounts.authenticate(con, email, password)
    finally:
        con.close()


def _row(db_path: Path, email: str) -> tuple | None:
    con = db.connect(db_path, read_only=True)
    try:
        return con.execute("SELECT coordinator_id, name, role, countries, is_active, password_hash IS NOT NULL "
                           "FROM coordinators WHERE email = ?", [email]).fetchone()
    finally:
        con.close()


def test_user_add_reads_the_password_from_stdin(writable_db: Path) -> None:
    done = _cli(writable_db, "add", "Ada@Example.org", "--name", "Ada Obi", "--role", "country",
                "--countries", "nga,KEN", "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "Added Ada Obi <ada@example.org> as country for KEN, NGA" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    assert _row(writable_db, "ada@example.org") == ("ada", "Ada Obi", "country", ["KEN", "NGA"], True, True)
    user = _sign_in(writable_db, "ada@example.org", PASSWORD)
    assert (user.id, user.role, user.countries) == ("ada", "country", ("KEN", "NGA"))


def test_user_add_without_a_terminal_or_stdin_makes_an_account_without_a_password(writable_db: Path) -> None:
    done = _cli(writable_db, "add", "sam@example.org", "--name", "Sam Lee", "--role", "analyst")
    assert done.returncode == 0, done.stderr
    assert "without a password" in done.stdout
    assert _row(writable_db, "sam@example.org") == ("sam", "Sam Lee", "analyst", [], True, False)


@pytest.mark.parametrize("argv", [
    ["--password", PASSWORD], [f"--password={PASSWORD}"], ["-p", PASSWORD], ["--pass", PASSWORD],
])
def test_a_password_is_never_taken_from_argv(writable_db: Path, argv: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["user", "add", "eve@example.org", "--name", "Eve", "--role", "analyst", *argv,
              "--db", str(writable_db)])
    assert exit_.value.code == 2
    assert _row(writable_db, "eve@example.org") is None
    with pytest.raises(SystemExit):
        main(["user", "set-password", "alex.morgan@coord.example.org", *argv, "--db", str(writable_db)])
    assert _row(writable_db, "alex.morgan@coord.example.org")[5] is False  # type: ignore[index]


def test_a_short_password_is_refused_with_the_rule(writable_db: Path) -> None:
    done = _cli(writable_db, "add", "kim@example.org", "--name", "Kim", "--role", "analyst", "--password-stdin",
                stdin="short\n")
    assert done.returncode == 1 and "at least 12 characters" in done.stderr
    assert _row(writable_db, "kim@example.org") is None


def test_user_add_prompts_twice_on_a_terminal(writable_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "max@example.org", "--name", "Max", "--role", "analyst",
                 "--db", str(writable_db)]) == 2  # the two differ
    assert _row(writable_db, "max@example.org") is None
    answers = iter([PASSWORD, PASSWORD])
    assert main(["user", "add", "max@example.org", "--name", "Max", "--role", "analyst",
                 "--db", str(writable_db)]) == 0
    assert _sign_in(writable_db, "max@example.org", PASSWORD).id == "max"


def test_user_list_shows_accounts_never_hashes(writable_db: Path) -> None:
    _cli(writable_db, "set-password", "alex.morgan@coord.example.org", "--password-stdin", stdin=PASSWORD + "\n")
    listed = _cli(writable_db, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "argon2" not in listed.stdout and "hash" not in listed.stdout
    rows = {r["email"]: r for r in json.loads(listed.stdout)}
    assert len(rows) == 11
    assert rows["alex.morgan@coord.example.org"]["has_password"] is True
    assert rows["ngozi.okafor@coord.example.org"]["countries"] == ["NGA", "GHA", "CMR"]
    assert rows["lan.nguyen@coord.example.org"]["role"] == "analyst"
    text = _cli(writable_db, "list").stdout
    assert "Ngozi Okafor (NGA, GHA, CMR)" in text and "argon2" not in text


def test_user_set_password_and_disable(writable_db: Path) -> None:
    assert _cli(writable_db, "set-password", "tomas.ortega@coord.example.org").returncode == 2  # no terminal
    done = _cli(writable_db, "set-password", "tomas.ortega@coord.example.org", "--password-stdin",
                stdin=PASSWORD + "\r\n")
    assert done.returncode == 0, done.stderr
    assert _sign_in(writable_db, "tomas.ortega@coord.example.org", PASSWORD).id == "tortega"
    assert _cli(writable_db, "disable", "tomas.ortega@coord.example.org").returncode == 0
    assert _row(writable_db, "tomas.ortega@coord.example.org")[4] is False  # type: ignore[index]
    with pytest.raises(accounts.SignInRefused):
        _sign_in(writable_db, "tomas.ortega@coord.example.org", PASSWORD)
    missing = _cli(writable_db, "disable", "nobody@example.org")
    assert missing.returncode == 1 and "There is no account for nobody@example.org" in missing.stderr


def test_first_director_prints_a_password_once(writable_db: Path) -> None:
    first = _cli(writable_db, "first-director", "--email", "boss@example.org", "--name", "Bo Ss")
    assert first.returncode == 0, first.stderr
    password = first.stdout.split("shown only this once:", 1)[1].split()[0]
    assert len(password) >= 12
    assert _sign_in(writable_db, "boss@example.org", password).role == "director"
    again = _cli(writable_db, "first-director", "--email", "other@example.org", "--name", "Other")
    assert again.returncode == 0 and "already sign in" in again.stdout and password not in again.stdout
    assert _row(writable_db, "other@example.org") is None
    con = db.connect(writable_db, read_only=True)
    entries = con.execute("SELECT actor, action, after FROM audit_log WHERE action = 'add account'").fetchall()
    con.close()
    assert len(entries) == 1 and entries[0][0].startswith("cli:") and password not in entries[0][2]
