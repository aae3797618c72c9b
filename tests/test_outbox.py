"""Queuing the program's messages: topics on their day, reminders to flagged partnerships, the survey invitation;
who may queue and send; the outbox in the analyst snapshot; ``workbench outbox`` against a real SMTP server."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smtp_support import publish_round, smtp_server
from workbench import db, matchstore, snapshots
from workbench.access import NotAllowed, User
from workbench.cli import main
from workbench.messages import outbox

ROUND = "2017A"


@pytest.fixture(scope="module")
def published_path(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("published") / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    publish_round(path, ROUND)
    return path


@pytest.fixture
def path(published_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "workbench.duckdb"
    shutil.copy(published_path, target)
    return target


@pytest.fixture
def live(path: Path) -> Iterator[db.Connection]:
    con = db.connect(path)
    yield con
    con.close()


def test_topics_are_queued_on_their_send_date_once(live: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    topics = live.execute("SELECT seq, send_on FROM topics WHERE round_id = ? ORDER BY seq", [ROUND]).fetchall()
    assert topics[0] == (1, dt.date(2017, 2, 27)) and topics[1] == (2, dt.date(2017, 3, 13))
    with pytest.raises(outbox.OutboxError, match="No topic of 2017A is due on or before 2017-02-26: the first is due "
                                                 "on 2017-02-27"):
        outbox.queue_topics(live, ROUND, by=director, on=dt.date(2017, 2, 26))
    first = outbox.queue_topics(live, ROUND, by=director, on=dt.date(2017, 2, 27))
    assert (first.added, first.already) == (584, 0)
    second = outbox.queue_topics(live, ROUND, by=director, on=dt.date(2017, 3, 13))
    assert (second.added, second.already) == (584, 584)  # topic 2 added, topic 1 already there
    rows = outbox.messages(live, by=director, kind="topic")
    assert len(rows) == 1168 and set(rows["status"]) == {"queued"}
    message = outbox.get_message(live, int(rows["outbox_id"].iloc[0]), by=director)
    assert message.subject == "2017A topic 1: Getting to know you"
    assert "discussion topic 1 of 9 for the 2017A round, for the fortnight from 27 February 2017" in message.body
    assert len(message.recipients) == 2


def test_reminders_go_to_flagged_partnerships_only(live: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    assert outbox.queue_reminders(live, ROUND, by=director).added == 0  # no check-ins yet: nobody flagged
    pid, app = live.execute("SELECT partnership_id, min(application_id) FROM partnership_members JOIN partnerships "
                            "USING (partnership_id) WHERE round_id = ? GROUP BY 1 ORDER BY 1 LIMIT 1",
                            [ROUND]).fetchone()  # type: ignore[misc]
    for fortnight, day in ((1, dt.date(2017, 3, 10)), (2, dt.date(2017, 3, 24))):
        (cid,) = db.next_ids(live, "checkins")
        live.execute("INSERT INTO checkins (checkin_id, application_id, partnership_id, round_id, fortnight, "
                     "submitted_on, contact_made) VALUES (?, ?, ?, ?, ?, ?, false)",
                     [cid, app, pid, ROUND, fortnight, day])
    done = outbox.queue_reminders(live, ROUND, by=director)
    assert done.added == 1
    row = outbox.messages(live, by=director, kind="reminder").iloc[0]
    assert row["partnership_id"] == pid and row["subject"] == "2017A: how is your partnership going?"
    assert outbox.queue_reminders(live, ROUND, by=director).added == 0  # nothing new reported: no second one


def test_the_survey_needs_the_form_link_and_goes_to_each_participant(live: db.Connection,
                                                                     users: dict[str, User]) -> None:
    director = users["director"]
    with pytest.raises(outbox.OutboxError, match="The program has no survey form link: set it on the Settings page"):
        outbox.queue_survey(live, ROUND, by=director)
    with pytest.raises(outbox.OutboxError, match="is not a web address"):
        outbox.queue_survey(live, ROUND, by=director, form_link="forms.example.org/iln")
    done = outbox.queue_survey(live, ROUND, by=director, form_link="https://forms.example.org/iln-2017a")
    assert done.added == 1168
    rows = outbox.messages(live, by=director, kind="survey")
    assert rows["to"].str.count("@").eq(1).all()  # one participant per message
    message = outbox.get_message(live, int(rows["outbox_id"].iloc[0]), by=director)
    assert "https://forms.example.org/iln-2017a" in message.body and "16 June 2017" in message.body


@pytest.mark.parametrize("role", ["analyst", "presenter"])
def test_only_staff_queue_and_send(live: db.Connection, users: dict[str, User], role: str) -> None:
    with pytest.raises(NotAllowed):
        outbox.queue_introductions(live, ROUND, by=users[role])
    with pytest.raises(NotAllowed):
        outbox.messages(live, by=users[role])
    assert live.execute("SELECT count(*) FROM outbox").fetchone() == (0,)


def test_a_country_coordinator_queues_and_sends_their_countries_only(live: db.Connection, users: dict[str, User],
                                                                      tmp_path: Path) -> None:
    country = users["country"]
    done = outbox.queue_introductions(live, ROUND, by=country)
    theirs = live.execute("SELECT count(*) FROM outbox WHERE list_has_any(countries, ?)",
                          [list(country.countries)]).fetchone()[0]  # type: ignore[index]
    assert done.added == theirs > 0 and done.outside == 584 - theirs
    assert live.execute("SELECT count(*) FROM outbox").fetchone() == (theirs,)
    outbox.queue_introductions(live, ROUND, by=users["director"])  # the rest, by a director
    listed = outbox.messages(live, by=country)
    assert len(listed) == theirs
    with smtp_server(tmp_path) as srv:
        config = outbox.smtp_config(environ=srv.env(), secrets=tmp_path / "none.toml")
        batch = outbox.send(live, by=country, config=config)
        assert batch.sent == theirs == len(srv.handler.received)
        assert all(set(country.countries) & set(c) for c in live.execute(
            "SELECT countries FROM outbox WHERE status = 'sent'").fetchall()[0])
        other = live.execute("SELECT outbox_id FROM outbox WHERE NOT list_has_any(countries, ?) LIMIT 1",
                             [list(country.countries)]).fetchone()[0]  # type: ignore[index]
        with pytest.raises(NotAllowed, match="outside"):
            outbox.get_message(live, other, by=country)
    assert live.execute("SELECT count(*) FROM outbox WHERE status = 'queued'").fetchone() == (584 - theirs,)


def test_the_analyst_snapshot_holds_no_address_or_body_of_the_outbox(live: db.Connection, users: dict[str, User],
                                                                     tmp_path: Path) -> None:
    outbox.queue_introductions(live, ROUND, by=users["director"])
    live.execute("UPDATE outbox SET last_error = '550 5.1.1 <' || recipients[1].email || '>: no such user' "
                 "WHERE outbox_id = 1")
    emails = {r[0] for r in live.execute("SELECT email FROM applications WHERE round_id = ?", [ROUND]).fetchall()}
    snap_path = snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb")
    snap = db.connect(snap_path, read_only=True)
    try:
        rows = snap.execute("SELECT subject, body, recipients, last_error FROM outbox").fetchall()
    finally:
        snap.close()
    assert len(rows) == 584 and {r[1] for r in rows} == {"[withheld]"}
    text = json.dumps([[r[0], r[2], r[3]] for r in rows], default=str).lower()
    assert not [e for e in emails if e.lower() in text]
    assert all(x["email"].endswith("@pseudonym.invalid") and x["name"].startswith("Participant ")
               for r in rows for x in r[2])
    pseudonyms = r"(?:(?:Participant [0-9a-f]{10}|\[participant\])(?:, | and | et | y |$))+"
    heads = r"(?:Meet your 2017A partners?: |Session 2017A : faites connaissance, |Ronda 2017A: les presentamos, )"
    assert all(re.fullmatch(heads + pseudonyms, r[0]) for r in rows), [r[0] for r in rows][:3]


def test_publishing_can_queue_the_introductions(sample_db_path: Path, tmp_path: Path,
                                                users: dict[str, User]) -> None:
    target = tmp_path / "fresh.duckdb"
    shutil.copy(sample_db_path, target)
    con = db.connect(target)
    try:
        director = users["director"]
        first, _ = matchstore.run_matching(con, ROUND, matchstore.RunSettings(time_limit=1.0), by=director)
        second, _ = matchstore.run_matching(con, ROUND, matchstore.RunSettings(time_limit=1.0), by=director)
        assert (first, second) == (9, 10)  # ids across rounds (eight published rounds before)
        assert matchstore.run_label(con, second) == "Run 2 of 2017A"  # numbered within the round
        queued = matchstore.publish_run(con, second, by=director, queue_introductions=True)
        assert queued.added == 584
        assert queued.summary().startswith("Queued 584 introductions for 2017A.")
    finally:
        con.close()


def test_the_command_line_queues_sends_and_lists(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here: the environment alone
    assert main(["outbox", "queue", "introductions", "--round", ROUND, "--db", str(path)]) == 0
    assert "Queued 584 introductions for 2017A" in capsys.readouterr().out
    assert main(["outbox", "queue", "introductions", "--round", ROUND, "--db", str(path)]) == 0
    assert "Queued 0 introductions for 2017A; 584 were already in the outbox." in capsys.readouterr().out
    # no survey form link: the invitation links to each participant's own survey page (issue 20)
    assert main(["outbox", "queue", "survey", "--round", ROUND, "--db", str(path)]) == 0
    assert "Queued 1,168 survey invitations for 2017A" in capsys.readouterr().out

    assert main(["outbox", "send", "--db", str(path)]) == 1  # no server configured: said plainly
    assert "No mail server is configured" in capsys.readouterr().err
    # sending: the Pilot's 46 introductions (sending 2017A's 584 is tests/test_outbox_smtp.py's)
    assert main(["outbox", "queue", "introductions", "--round", "Pilot", "--db", str(path)]) == 0
    assert "Queued 46 introductions for Pilot" in capsys.readouterr().out
    with smtp_server(tmp_path) as srv:
        for key, value in srv.env().items():
            monkeypatch.setenv(key, value)
        srv.handler.refuse = {}
        pilot = outbox_recipients(path)
        first = sorted(pilot[max(pilot)])[0]  # a member of the last introduction queued, the Pilot's
        srv.handler.refuse[first] = "550 5.1.1 Mailbox unavailable"
        assert main(["outbox", "send", "--round", "Pilot", "--kind", "introductions", "--db", str(path)]) == 0
        out = capsys.readouterr().out
        assert "Sent 45 of 46 messages" in out and "1 partly (an address refused)" in out
        assert len(srv.handler.received) == 46
    assert main(["outbox", "list", "--round", "Pilot", "--kind", "introductions", "--json", "--db", str(path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 46 and {"kind", "round", "to", "status", "error"} <= set(listed[0])
    partial = [m for m in listed if m["status"] == "partial"]
    assert len(partial) == 1 and partial[0]["error"] == f"{first}: 550 5.1.1 Mailbox unavailable"
    assert partial[0]["kind"] == "introduction" and partial[0]["round"] == "Pilot" and first in partial[0]["to"]
    assert main(["outbox", "list", "--round", ROUND, "--kind", "introductions", "--json", "--db", str(path)]) == 0
    assert {m["status"] for m in json.loads(capsys.readouterr().out)} == {"queued"}  # 2017A's wait their turn


def outbox_recipients(path: Path) -> dict[int, list[str]]:
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute("SELECT outbox_id, list_transform(recipients, r -> r.email) FROM outbox "
                           "ORDER BY outbox_id").fetchall()
    finally:
        con.close()
    return {int(i): list(e) for i, e in rows}
