"""Introduction emails: every member is a recipient, whatever their name; the mail-merge CSV is formula-safe."""

from __future__ import annotations

import csv
import io
import zipfile
from email import message_from_string
from email.policy import default

from workbench import db
from workbench.access import User
from workbench.messages import introductions as intro_mod
from workbench.messages.introductions import Introduction, eml_zip, introduction_message, mail_merge_csv


def _parse(raw: bytes):  # type: ignore[no-untyped-def]
    # SMTPUTF8 messages carry UTF-8 headers (josé@…, ivan@пример.рф), as a receiving server reads them
    return message_from_string(raw.decode("utf-8"), policy=default)


def _recipients(raw: bytes) -> list[str]:
    msg = _parse(raw)
    return sorted(a.addr_spec.lower() for a in msg["To"].addresses)


def test_every_sample_introduction_reaches_every_member(con: db.Connection, users: dict[str, User]) -> None:
    rounds = [r[0] for r in con.execute(
        "SELECT DISTINCT p.round_id FROM partnerships AS p JOIN match_runs AS r ON r.run_id = p.run_id "
        "WHERE r.status = 'published' ORDER BY 1").fetchall()]
    checked = 0
    for round_id in rounds:
        intros = intro_mod.introductions(con, round_id, by=users["director"])
        archive = zipfile.ZipFile(io.BytesIO(eml_zip(intros)))
        for intro in intros:
            raw = archive.read(f"partnership-{intro.partnership_id}.eml")
            assert _recipients(raw) == sorted(e.strip().lower() for _, e in intro.to), intro.partnership_id
            checked += 1
    assert checked == 2779


def test_awkward_names_keep_their_addresses() -> None:
    intro = Introduction(7, [
        ("Smith, John", "john.smith@example.org"),
        ('Ana "Nana" Souza-Lima de Albuquerque e Vasconcelos Nguyễn Thị Lan', "ana@example.org"),
        ("=HYPERLINK(\"http://evil.example\")", "josé@example.org"),
        ("Иван Петров", "ivan@пример.рф"),
    ], "Meet your partners", "Hello")
    msg = introduction_message(intro)
    raw = msg.as_bytes()
    assert _recipients(raw) == sorted(["john.smith@example.org", "ana@example.org", "josé@example.org",
                                       "ivan@пример.рф"])
    parsed = _parse(raw)
    assert parsed["Date"] and parsed["Message-ID"]
    names = [a.display_name for a in parsed["To"].addresses]
    assert "Smith, John" in names and "Иван Петров" in names

    rows = list(csv.reader(io.StringIO(mail_merge_csv([intro]).decode("utf-8-sig"))))
    assert rows[1][2].startswith("Smith, John; Ana")
    formula = Introduction(8, [("=cmd|' /C calc'!A0", "x@example.org")], "=1+1", "@body")
    cells = list(csv.reader(io.StringIO(mail_merge_csv([formula]).decode("utf-8-sig"))))[1]
    assert cells[2].startswith("'=") and cells[3] == "'=1+1" and cells[4] == "'@body"
