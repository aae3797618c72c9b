"""A participant's name goes into the program's email as text, never as a link or a disguise: bidirectional
controls are removed, web addresses and host names are made unclickable, and nothing that reaches a header
keeps a line break (subject, recipients' names, Reply-To)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from workbench import db
from workbench.access import User
from workbench.messages import introductions as intro_mod
from workbench.messages import outbox, smtp
from workbench.messages import templates as tpl

EVIL = "Bob\u202e moc.live http://evil.example/"
SAFE = "Bob moc[.]live http[:]//evil[.]example/"
#: The second member's name, "Eve\r\nBcc: victim@example.org": one line, the address in it unclickable.
EVE = "Eve Bcc: victim@example[.]org"
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
        "\u200f", "\u061c"]


def _clean(text: str) -> None:
    """No bidirectional control, no clickable web address or host from the name, in ``text``."""
    assert not any(ch in text for ch in BIDI), repr(text)
    assert "http://" not in text and "evil.example" not in text and "moc.live" not in text, text


@pytest.fixture
def planted(writable_db: Path) -> Iterator[tuple[db.Connection, int]]:
    """A 2016B partnership whose first member is called EVIL and second has a line break in their name."""
    con = db.connect(writable_db)
    (pid,) = con.execute(
        "SELECT min(p.partnership_id) FROM partnerships AS p JOIN match_runs AS r ON r.run_id = p.run_id "
        "WHERE r.status = 'published' AND p.round_id = '2016B' AND p.status = 'completed'").fetchone()  # type: ignore[misc]
    members = [r[0] for r in con.execute("SELECT application_id FROM partnership_members WHERE partnership_id = ? "
                                         "ORDER BY application_id", [pid]).fetchall()]
    con.execute("UPDATE applications SET name = ? WHERE application_id = ?", [EVIL, members[0]])
    con.execute("UPDATE applications SET name = ? WHERE application_id = ?",
                ["Eve\r\nBcc: victim@example.org", members[1]])
    yield con, int(pid)
    con.close()


def test_a_name_with_a_link_and_an_override_is_plain_text_in_an_introduction(
        planted: tuple[db.Connection, int], users: dict[str, User]) -> None:
    con, pid = planted
    (intro,) = [i for i in intro_mod.introductions(con, "2016B", by=users["director"]) if i.partnership_id == pid]
    assert "2016B" in intro.subject and SAFE in intro.subject and EVE in intro.subject  # (in the members' language)
    _clean(intro.subject)
    assert "\r" not in intro.subject and "\n" not in intro.subject
    greeting = intro.body.splitlines()[0]
    assert SAFE in greeting and EVE in greeting
    assert f"\n- {SAFE} (" in intro.body and f"\n- {EVE} (" in intro.body  # the member lines
    _clean(intro.body)
    assert [name for name, _ in intro.to][:2] == [SAFE, EVE]

    raw = zipfile.ZipFile(io.BytesIO(intro_mod.eml_zip([intro]))).read(f"partnership-{pid}.eml")
    message = message_from_bytes(raw, policy=default)
    _clean(str(message["Subject"]))
    names = [a.display_name for a in message["To"].addresses]
    assert names[:2] == [SAFE, EVE]
    assert "Bcc" not in message  # the line break did not make a header
    _clean(raw.decode("utf-8"))

    rows = list(csv.reader(io.StringIO(intro_mod.mail_merge_csv([intro]).decode("utf-8-sig"))))
    _clean(rows[1][2])
    _clean(rows[1][3])
    assert rows[1][2].startswith(f"{SAFE}; {EVE}")


def test_the_queued_introduction_is_stored_and_sent_as_plain_text(planted: tuple[db.Connection, int],
                                                                  users: dict[str, User]) -> None:
    con, pid = planted
    outbox.queue_introductions(con, "2016B", by=users["director"])
    subject, body, outbox_id = con.execute("SELECT subject, body, outbox_id FROM outbox WHERE partnership_id = ?",
                                           [pid]).fetchone()  # type: ignore[misc]
    assert SAFE in subject and SAFE in body.splitlines()[0]
    _clean(subject)
    _clean(body)
    sent = outbox.get_message(con, outbox_id, by=users["director"]).email(sender="ILN <team@iln.example.org>")
    assert [a.display_name for a in sent["To"].addresses][:2] == [SAFE, EVE]
    _clean(sent.as_string())


def test_every_kind_of_message_makes_names_safe() -> None:
    ends = tpl.long_date(dt.date(2017, 12, 1), "English")
    for language in tpl.languages():
        subject, body = tpl.template(language, "survey").render(
            {"round": "2017A", "name": EVIL, "form_link": "https://forms.example.org/end", "ends_on": ends})
        assert SAFE in body and "https://forms.example.org/end" in body  # the program's own link stays a link
        _clean(subject + body)
        for kind in ("reminder", "topic"):
            values = {"round": "2017A", "names": tpl.join_names([EVIL, "Ana"], language), "seq": 1, "total": 8,
                      "title": "Getting to know you", "body": "Say hello.", "send_on": ends}
            subject, body = tpl.template(language, kind).render(values)
            assert SAFE in body
            _clean(subject + body)
    # a coordinator's own subject is one line too
    custom = tpl.Template("English", "introduction", "Hello\r\nBcc: x@example.org {names}", "Hi {names}")
    subject, body = custom.render({"names": EVIL, "round": "2017A", "people": "", "shared_interests": "",
                                   "s": "", "partnership_id": "1"})
    assert subject == f"Hello Bcc: x@example.org {SAFE}" and body == f"Hi {SAFE}"


@pytest.mark.parametrize(("name", "shown"), [
    (EVIL, SAFE),
    ("Ana\u2067 Souza\u2069", "Ana Souza"),
    ("visit www.evil.com now", "visit www[.]evil[.]com now"),
    ("HTTPS://Evil.Example/path?x=1", "HTTPS[:]//Evil[.]Example/path?x=1"),
    ("mailto:a@evil.example", "mailto[:]a@evil[.]example"),
    ("bob@evil.example", "bob@evil[.]example"),
    ("ivan пример.рф", "ivan пример[.]рф"),
    ("at 192.168.0.1", "at 192[.]168[.]0[.]1"),
    ("Line\r\nbreak\u2028here", "Line break here"),
    # ordinary names are left as they are
    ("J.R.R. Tolkien", "J.R.R. Tolkien"),
    ("Smith, John", "Smith, John"),
    ("Nguyễn Thị Lan", "Nguyễn Thị Lan"),
    ("مريم\u200cزاده", "مريم\u200cزاده"),  # a zero-width non-joiner belongs to the name
    ("St. John-Smith Jr.", "St. John-Smith Jr."),
])
def test_safe_name(name: str, shown: str) -> None:
    assert tpl.safe_name(name) == shown
    assert tpl.safe_name(shown) == shown


def test_header_values_from_settings_keep_to_one_line() -> None:
    who = smtp.Identity("ILN\r\ncoordinators <team@iln.example.org>",
                        reply_to="help@iln.example.org\r\nBcc: x@evil.example", unsubscribe="leave@iln.example.org\n")
    intro = intro_mod.Introduction(1, [("Ana", "ana@example.org")], "Hi\nthere", "Body")
    message = intro_mod.introduction_message(intro, sender=who)
    text = message.as_string()
    assert "\nBcc:" not in text and "Bcc" not in message and message["Subject"] == "Hi there"
    assert str(message["Reply-To"]).startswith("help@iln.example.org")
    assert str(message["From"]) == "ILN coordinators <team@iln.example.org>"
    assert message["List-Unsubscribe"] == "<mailto:leave@iln.example.org?subject=unsubscribe>"
