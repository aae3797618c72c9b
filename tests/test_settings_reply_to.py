"""The program's reply-to address is one email address, checked by the import's own checker: a second
address, a display name that hides an address, a malformed domain or an invisible character is refused with
a plain message, from the library and from the command line, and nothing is stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import db, program
from workbench.access import User
from workbench.intake.cells import parse_email, parse_mailbox

REFUSED = [
    "notanaddress",
    "help@program.example.org, attacker@evil.example",  # replies would go to a second address too
    '"help@program.example.org" <attacker@evil.example>',  # shows one address, sends to another
    "Help <help@program.example.org>, Bcc <attacker@evil.example>",
    "help@program..org",
    "help@.",
    "help@program.example.org attacker",
    "help@program.example.org\u202e",
]


@pytest.fixture
def live(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def _stored(con: db.Connection) -> tuple[int, int]:
    return con.execute("SELECT (SELECT count(*) FROM settings), (SELECT count(*) FROM audit_log)"  # type: ignore[return-value]
                       ).fetchone()


@pytest.mark.parametrize("value", REFUSED)
def test_a_reply_to_that_is_not_one_address_is_refused(live: db.Connection, users: dict[str, User],
                                                         value: str) -> None:
    before = _stored(live)
    with pytest.raises(program.SettingError) as refused:
        program.set_setting(live, "reply_to", value, by=users["director"])
    message = str(refused.value)
    assert message.startswith("The reply-to address is an email address such as coordinators@program.example.org")
    assert ("is not one email address" in message) or ("contains an invisible character (U+202E)" in message)
    assert message.endswith("Correct it and save it again.")
    assert _stored(live) == before and program.get_setting(live, "reply_to") is None


@pytest.mark.parametrize(("value", "stored"), [
    ("help@program.example.org", "help@program.example.org"),
    ("  Program help   <help@program.example.org> ", "Program help <help@program.example.org>"),
    ("josé@example.org", "josé@example.org"),
    ("ivan@пример.рф", "ivan@пример.рф"),
])
def test_one_address_is_stored(live: db.Connection, users: dict[str, User], value: str, stored: str) -> None:
    assert program.set_setting(live, "reply_to", value, by=users["director"]) == stored
    assert program.get_setting(live, "reply_to") == stored


def test_the_same_checker_as_the_import() -> None:
    for value in ("help@program.example.org", "josé@example.org", "notanaddress", "help@program..org"):
        assert isinstance(parse_mailbox(value), str) == isinstance(parse_email(value), str), value


def test_the_unsubscribe_address_takes_one_address_or_a_link(live: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    assert program.set_setting(live, "unsubscribe_address", "Leave <leave@program.example.org>", by=director) == (
        "leave@program.example.org")  # List-Unsubscribe takes the address alone
    assert program.set_setting(live, "unsubscribe_address", "https://program.example.org/leave", by=director)
    for bad in ("leave@program.example.org, x@evil.example", "https://program.example.org/leave <x>"):
        with pytest.raises(program.SettingError, match="The unsubscribe address is an email address such as"):
            program.set_setting(live, "unsubscribe_address", bad, by=director)


def test_the_command_line_refuses_it_in_words(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    for value in ("notanaddress", "help@program.example.org, attacker@evil.example"):
        assert main(["settings", "set", "reply_to", value, "--db", str(writable_db)]) == 1
        err = capsys.readouterr().err
        assert f"{value!r} is not one email address" in err and "Traceback" not in err
    con = db.connect(writable_db, read_only=True)
    assert con.execute("SELECT count(*) FROM settings WHERE key = 'reply_to'").fetchone() == (0,)
    con.close()
    assert main(["settings", "set", "reply_to", "help@program.example.org", "--db", str(writable_db)]) == 0
    assert "help@program.example.org" in capsys.readouterr().out


def test_the_mail_settings_reply_to_is_checked_the_same_way() -> None:
    from workbench.messages import smtp

    env = {"WORKBENCH_SMTP_HOST": "smtp.example.org", "WORKBENCH_SMTP_FROM": "team@program.example.org"}
    with pytest.raises(smtp.SmtpConfigError, match=re.escape("WORKBENCH_SMTP_REPLY_TO is 'a@b.org, x@evil.example', "
                                                             "not an email address")):
        smtp.smtp_config(environ={**env, "WORKBENCH_SMTP_REPLY_TO": "a@b.org, x@evil.example"},
                         secrets=Path("/nonexistent/secrets.toml"))
    assert smtp.smtp_config(environ={**env, "WORKBENCH_SMTP_REPLY_TO": "Help <help@program.example.org>"},
                            secrets=Path("/nonexistent/secrets.toml")).reply_to == "Help <help@program.example.org>"
