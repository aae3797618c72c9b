"""Opt-outs (issue 19): a person who unsubscribed gets no topic, reminder or survey, their partner still does, and
introductions still go to both; one who opts out after a message was queued is not sent it. Once the participants'
pages are published, each member of a partnership gets their own copy with their own one-click unsubscribe link."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smtp_support import smtp_server
from workbench import db
from workbench.access import User
from workbench.messages import outbox, smtp
from workbench.participants import checkins, mail, pages
from workbench.participants.tokens import read_token
from workbench.program.settings import set_setting

ROUND = "Pilot"  # 46 partnerships, 7 topics: made active again so topics go to them


@pytest.fixture
def live(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    with db.transaction(con):
        con.execute("UPDATE partnerships SET status = 'active' WHERE round_id = ?", [ROUND])
    yield con
    con.close()


def _recipients(con: db.Connection, kind: str) -> dict[int, list[int]]:
    """partnership_id -> the application ids its messages of ``kind`` go to (all of them, in queue order)."""
    out: dict[int, list[int]] = {}
    for pid, recipients in con.execute("SELECT partnership_id, recipients FROM outbox WHERE kind = ? AND round_id = ? "
                                       "ORDER BY outbox_id", [kind, ROUND]).fetchall():
        out.setdefault(pid, []).extend(r["application_id"] for r in recipients)
    return out


def test_an_opted_out_member_gets_no_topic_or_survey_but_their_partner_and_introductions_do(
        live: db.Connection, users: dict[str, User], tmp_path: Path) -> None:
    director = users["director"]
    (pid, first, second, person) = live.execute(
        "SELECT m.partnership_id, min(m.application_id), max(m.application_id), arg_min(a.person_id, a.application_id) "
        "FROM partnership_members AS m JOIN partnerships AS p USING (partnership_id) JOIN applications AS a "
        "USING (application_id) WHERE p.round_id = ? GROUP BY 1 HAVING count(*) = 2 ORDER BY 1 LIMIT 1",
        [ROUND]).fetchone()  # type: ignore[misc]
    assert pid == live.execute("SELECT min(partnership_id) FROM partnerships WHERE round_id = ?", [ROUND]).fetchone()[0]  # type: ignore[index]
    pages._opt_out(live, person, "one-click")  # what the RFC 8058 POST to /unsubscribe/<token> does

    intro = outbox.queue_introductions(live, ROUND, by=director)
    topics = outbox.queue_topics(live, ROUND, by=director, on=dt.date(2014, 1, 1))
    survey = outbox.queue_survey(live, ROUND, by=director, form_link="https://forms.example.org/pilot")
    assert (intro.added, intro.opted_out) == (46, 0)
    assert (topics.added, topics.opted_out) == (46 * 7, 7)  # every topic still goes to the partner
    assert (survey.added, survey.opted_out) == (91, 1)
    assert "7 recipients who unsubscribed left out" in topics.summary()
    assert _recipients(live, "introduction")[pid] == [first, second]
    assert _recipients(live, "topic")[pid] == [second] * 7
    assert _recipients(live, "survey")[pid] == [second]
    others = {p: apps for p, apps in _recipients(live, "topic").items() if p != pid}
    assert all(len(apps) == 7 * 2 for apps in others.values()) and len(others) == 45

    # The partner opts out after the topics were queued: the send marks them not sent; introductions still go.
    (partner,) = live.execute("SELECT person_id FROM applications WHERE application_id = ?", [second]).fetchone()  # type: ignore[misc]
    pages._opt_out(live, partner, "page")
    with smtp_server(tmp_path) as server:
        config = smtp.smtp_config(environ=server.env(), secrets=Path("/nonexistent/secrets.toml"))
        topic_batch = outbox.send(live, by=director, round_id=ROUND, kind="topic", config=config, limit=1)
        intro_batch = outbox.send(live, by=director, round_id=ROUND, kind="introduction", config=config, limit=1)
        received = [sorted(r.rcpt_tos) for r in server.handler.received]
    assert (topic_batch.failed, topic_batch.recipients_sent, intro_batch.sent) == (1, 0, 1)
    emails = dict(live.execute("SELECT a.application_id, p.email FROM applications AS a JOIN people AS p "
                               "USING (person_id) WHERE application_id IN ?", [[first, second]]).fetchall())
    assert received == [sorted([emails[first], emails[second]])]  # the introduction only
    (status, recipients) = live.execute("SELECT status, recipients FROM outbox WHERE kind = 'topic' AND "
                                        "partnership_id = ? ORDER BY outbox_id LIMIT 1", [pid]).fetchone()  # type: ignore[misc]
    assert status == "failed" and recipients[0]["server_response"] == outbox.OPTED_OUT_RESPONSE
    with pytest.raises(outbox.OutboxError, match="no refused recipient"):  # an opt-out is not tried again
        outbox.reset_failed(live, int(live.execute(
            "SELECT min(outbox_id) FROM outbox WHERE kind = 'topic' AND partnership_id = ?", [pid]).fetchone()[0]),  # type: ignore[index]
            by=director)


def test_each_member_gets_their_own_copy_and_unsubscribe_link_once_the_pages_are_published(
        live: db.Connection, users: dict[str, User], tmp_path: Path) -> None:
    director = users["director"]
    assert mail.unsubscribe_links(live, "topic") == {}  # no public address yet: the program's own unsubscribe
    set_setting(live, "base_url", "https://mentoring.example.org", by=director)
    assert mail.unsubscribe_links(live, "introduction") == {}  # introductions cannot be refused
    makers = {**checkins.link_makers(live), **mail.unsubscribe_links(live, "topic")}
    first_day, second_day = (r[0] for r in live.execute(
        "SELECT send_on FROM topics WHERE round_id = ? ORDER BY seq LIMIT 2", [ROUND]).fetchall())
    members = live.execute("SELECT count(*) FROM partnership_members JOIN partnerships USING (partnership_id) "
                           "WHERE round_id = ?", [ROUND]).fetchone()[0]  # type: ignore[index]

    whole = outbox.queue_topics(live, ROUND, by=director, on=first_day)  # topic 1 to each partnership, as before
    split = outbox.queue_topics(live, ROUND, by=director, on=second_day, checkin_link=makers["checkin_link"],
                                unsubscribe_link=makers["unsubscribe_link"])
    again = outbox.queue_topics(live, ROUND, by=director, on=second_day)  # whole again: nothing new
    assert (whole.added, split.added, split.already, again.added, again.already) == (46, members, members, 0, 92)

    rows = live.execute("SELECT o.dedupe_key, o.list_unsubscribe, o.body, o.recipients[1].application_id, "
                        "a.person_id FROM outbox AS o JOIN topics AS t USING (topic_id) JOIN applications AS a "
                        "ON a.application_id = o.recipients[1].application_id "
                        "WHERE t.seq = 2 AND len(o.recipients) = 1 ORDER BY o.outbox_id").fetchall()
    assert len(rows) == members
    for key, header, body, application_id, person_id in rows:
        assert key.endswith(f"{outbox.MEMBER_KEY}{application_id}") and body.count("/checkin/") == 1
        token = header.removeprefix("<https://mentoring.example.org/unsubscribe/").removesuffix(">")
        assert read_token(live, token, "unsubscribe").subject == person_id  # their own, for the one-click POST
    assert len({r[1] for r in rows}) == members

    with smtp_server(tmp_path) as server:
        config = smtp.smtp_config(environ=server.env(), secrets=Path("/nonexistent/secrets.toml"))
        (first_copy,) = live.execute("SELECT min(outbox_id) FROM outbox WHERE dedupe_key LIKE ?",
                                     [f"%{outbox.MEMBER_KEY}%"]).fetchone()  # type: ignore[misc]
        live.execute("UPDATE outbox SET status = 'sent' WHERE status = 'queued' AND outbox_id <> ?", [first_copy])
        outbox.send(live, by=director, config=config)
        (received,) = server.handler.received
    assert received.message["List-Unsubscribe"] == rows[0][1]
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(received.rcpt_tos) == 1
