"""Planning a round's fortnightly topics, versioned edits, and the messages to send."""

from __future__ import annotations

import datetime as dt
import email
import io
import itertools
import zipfile
from email import policy
from pathlib import Path

import pytest

from workbench import db
from workbench.access import User
from workbench.errors import StaleEdit
from workbench.followup import topics


def test_start_from_the_last_rounds_list(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    con.execute("DELETE FROM topics WHERE round_id = '2017A'")
    assert topics.previous_round_with_topics(con, "2017A") == "2016B"
    ids = topics.start_from_previous(con, "2017A", by=users["director"])
    plan = topics.round_topics(con, "2017A")
    assert [t.topic_id for t in plan] == ids
    assert [t.title for t in plan] == [t.title for t in topics.round_topics(con, "2016B")]
    assert plan[0].title == "Getting to know you" and plan[0].send_on == dt.date(2017, 2, 27)
    assert all((b.send_on - a.send_on).days == 14 for a, b in itertools.pairwise(plan))
    assert topics.plan_warnings(con, "2017A") == []
    (logged,) = con.execute("SELECT count(*) FROM audit_log WHERE action = 'plan topics'").fetchone()  # type: ignore[misc]
    assert logged == 1
    with pytest.raises(topics.TopicError, match="already has 9 topics"):
        topics.start_from_previous(con, "2017A", by=users["director"])
    con.close()


def test_getting_to_know_you_comes_first_even_if_the_source_lacks_it(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    con.execute("DELETE FROM topics WHERE round_id = '2017A'")
    con.execute("UPDATE topics SET title = 'Hello' WHERE round_id = '2016B' AND seq = 1")
    topics.start_from_previous(con, "2017A", by=users["director"])
    plan = topics.round_topics(con, "2017A")
    assert plan[0].title == "Getting to know you" and plan[1].title == "Hello" and len(plan) == 10
    con.close()


def test_edits_are_versioned_and_audited(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    t = topics.round_topics(con, "2017A")[2]
    new = topics.update_topic(con, t.topic_id, t.version, title="  Your   users ", body="Who comes?",
                              send_on=t.send_on, by=users["director"])
    assert new == t.version + 1
    assert topics.get_topic(con, t.topic_id).title == "Your users"
    with pytest.raises(StaleEdit, match="changed by someone else"):
        topics.update_topic(con, t.topic_id, t.version, title="Lost edit", body="", send_on=t.send_on,
                            by=users["coordinator"])
    assert topics.get_topic(con, t.topic_id).title == "Your users"
    with pytest.raises(topics.TopicError, match="needs a title"):
        topics.update_topic(con, t.topic_id, new, title="   ", body="", send_on=t.send_on, by=users["director"])
    (before, after, actor) = con.execute(
        "SELECT before, after, actor FROM audit_log WHERE action = 'edit topic'").fetchone()  # type: ignore[misc]
    assert "Your users" in after and t.title in before and actor == "amorgan"
    con.close()


def test_add_delete_and_warnings(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    last = topics.round_topics(con, "2017A")[-1]
    with pytest.raises(topics.TopicError, match="no longer be deleted"):
        topics.delete_topic(con, topics.round_topics(con, "2016B")[0].topic_id, 1, by=users["director"])
    new_id = topics.add_topic(con, "2017A", title="Library advocacy again", body="", by=users["director"])
    assert topics.get_topic(con, new_id).send_on == last.send_on + dt.timedelta(days=14)
    assert topics.get_topic(con, new_id).seq == 10
    second = topics.round_topics(con, "2017A")[1]
    topics.delete_topic(con, second.topic_id, second.version, by=users["director"])
    plan = topics.round_topics(con, "2017A")
    assert [t.seq for t in plan] == list(range(1, 10)) and second.title not in [t.title for t in plan]
    warnings = topics.plan_warnings(con, "2017A")
    assert any("28 days" in w for w in warnings)  # the gap left by the deleted topic
    assert any("outside the round" in w for w in warnings)  # topic 10 is after the round ends
    first = plan[0]
    topics.update_topic(con, first.topic_id, first.version, title="Welcome", body=first.body,
                        send_on=first.send_on, by=users["director"])
    assert any("Getting to know you" in w for w in topics.plan_warnings(con, "2017A"))
    con.close()


def test_each_topic_exports_as_a_message_ready_to_send(con: db.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_SMTP_HOST", raising=False)
    third = topics.round_topics(con, "2016A")[2]
    raw = topics.topic_eml(con, third.topic_id)
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == f"2016A topic 3: {third.title}"
    assert msg["X-Unsent"] == "1" and msg["From"] == "coordinators@example.org"  # no mail settings yet
    assert msg["Date"].datetime.date() == third.send_on
    body = msg.get_content()
    assert body.startswith("Dear participants,")
    assert third.title in body and third.body in body and "topic 3 of 9" in body
    assert topics.eml_filename(third).startswith("2016A-topic-03-") and topics.eml_filename(third).endswith(".eml")
    monkeypatch.setenv("WORKBENCH_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("WORKBENCH_SMTP_FROM", "ILN <iln@example.org>")
    archive = zipfile.ZipFile(io.BytesIO(topics.round_messages_zip(con, "2016A",
                                                                   recipient=("ILN list", "list@example.org"))))
    names = archive.namelist()
    assert len(names) == 9 and names[0].startswith("2016A-topic-01-getting-to-know-you")
    first = email.message_from_bytes(archive.read(names[0]), policy=policy.default)
    assert first["From"] == "ILN <iln@example.org>" and first["To"] == "ILN list <list@example.org>"
