"""Check-ins and the end-of-round survey answered from the links in the program's email (issue 20), over real
HTTP against one `workbench serve` and a real SMTP server (aiosmtpd).

The module's one fixture runs the whole journey: 2017A is published and moved to run now, its first topics are
queued with each member's check-in link and sent to the SMTP server, the survey likewise; `workbench serve`
starts, one member answers "my partner has not replied" from the link in the email, two members answer the
survey in Spanish (one lets us quote them), a tampered and an expired link are tried; the server stops (DuckDB
has one writer) and the tests read what the answers changed.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import httpx
import pytest

from tests.browser_support import workbench_serve
from tests.smtp_support import Received, publish_round, smtp_server
from workbench import db, migrations, reports, snapshots
from workbench.access import command_line_user
from workbench.followup import checkins
from workbench.messages import outbox
from workbench.messages.smtp import smtp_config
from workbench.participants import checkins as pages
from workbench.participants import tokens
from workbench.present import slides

ROUND = "2017A"
TODAY = dt.date.today()
LINK = re.compile(r"(http://\S+/(?:checkin|survey)/\S+)")


@dataclass
class Journey:
    path: Path
    pid: int
    answered: tuple[int, str]          # (application_id, email) of the member who answered
    silent: tuple[int, str]            # the member who did not
    quoted: tuple[int, str]
    unquoted: tuple[int, str]
    responses: dict[str, httpx.Response] = field(default_factory=dict)
    mail: list[Received] = field(default_factory=list)
    smtp_env: dict[str, str] = field(default_factory=dict)
    bounced: str = ""                  # whose topic email was refused
    reached: str = ""                  # their partner, who got it and did not answer


def _link_for(mail: list[Received], email: str, kind: str, name: str | None = None) -> str:
    for received in mail:
        if email.lower() in [r.lower() for r in received.rcpt_tos]:
            body = received.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
            for line in body.splitlines():
                if f"/{kind}/" in line and (name is None or line.strip().startswith(name + ":")):
                    found = LINK.search(line)
                    if found:
                        return found.group(1)
    raise AssertionError(f"no {kind} link for {email} in the {len(mail)} messages")


def _post(client: httpx.Client, url: str, data: dict[str, str | list[str]]) -> httpx.Response:
    page = client.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    return client.post(url, data={**data, "csrf": csrf.group(1)})


@pytest.fixture(scope="module")
def journey(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journey]:
    tmp = tmp_path_factory.mktemp("by_link")
    path = tmp / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    publish_round(path, ROUND)
    me = command_line_user()
    con = migrations.open_live(path)
    start = TODAY - dt.timedelta(days=20)
    con.execute("UPDATE rounds SET opens_on = ? - 60, starts_on = ?, ends_on = ? + 110 WHERE round_id = ?",
                [start, start, start, ROUND])
    con.execute("UPDATE topics SET send_on = ? + 14 * (seq - 1) WHERE round_id = ?", [start, ROUND])
    (pid,) = con.execute("SELECT min(partnership_id) FROM partnerships WHERE round_id = ? AND status = 'active' "
                         "AND kind = 'pair'", [ROUND]).fetchone()  # type: ignore[misc]
    members = con.execute("SELECT a.application_id, a.email, a.name FROM partnership_members JOIN applications AS a "
                          "USING (application_id) WHERE partnership_id = ? ORDER BY 1", [pid]).fetchall()
    others = con.execute("SELECT a.application_id, a.email FROM partnership_members AS m JOIN partnerships AS p "
                         "USING (partnership_id) JOIN applications AS a USING (application_id) WHERE p.round_id = ? "
                         "AND p.partnership_id <> ? ORDER BY 1 LIMIT 2", [ROUND, pid]).fetchall()
    # a third pair whose topic email bounces for one member (their server refuses the address)
    (far,) = con.execute("SELECT max(partnership_id) FROM partnerships WHERE round_id = ? AND status = 'active' "
                         "AND kind = 'pair'", [ROUND]).fetchone()  # type: ignore[misc]
    bounced, reached = con.execute("SELECT a.email FROM partnership_members JOIN applications AS a USING "
                                   "(application_id) WHERE partnership_id = ? ORDER BY 1", [far]).fetchall()
    makers = pages.link_makers(con)
    with smtp_server(tmp) as server:
        server.handler.refuse[bounced[0].lower()] = "550 5.1.1 Mailbox unavailable"
        outbox.queue_topics(con, ROUND, by=me, checkin_link=makers["checkin_link"])
        outbox.queue_survey(con, ROUND, by=me, survey_link=makers["survey_link"])
        # only this partnership's topic 1 and the two respondents' surveys go out (keeps the test small)
        keep = con.execute(
            "SELECT list(outbox_id) FROM outbox WHERE (kind = 'topic' AND partnership_id IN ? AND topic_id = "
            "(SELECT topic_id FROM topics WHERE round_id = ? AND seq = 1)) OR (kind = 'survey' AND "
            "recipients[1].application_id IN ?)", [[pid, far], ROUND, [o[0] for o in others]]).fetchone()[0]  # type: ignore[index]
        con.execute("DELETE FROM outbox WHERE outbox_id NOT IN ?", [keep])
        outbox.send(con, by=me, config=smtp_config(environ=server.env()))
        mail = list(server.handler.received)
        (a_id, a_email, a_name), (b_id, b_email, b_name) = members
        trip = Journey(path, int(pid), (a_id, a_email), (b_id, b_email), others[0], others[1], mail=mail,
                       smtp_env=server.env(), bounced=bounced[0], reached=reached[0])
        checkin_url = _link_for(mail, a_email, "checkin", a_name)
        assert _link_for(mail, b_email, "checkin", b_name) != checkin_url  # each member has their own link
        quoted_url = _link_for(mail, others[0][1], "survey")
        unquoted_url = _link_for(mail, others[1][1], "survey")
        with mock.patch("itsdangerous.timed.time.time", return_value=time.time() - 61 * 86400):
            expired = pages.checkin_link(con, a_id, pid, 1)
        con.close()
        with workbench_serve(path, tmp) as url, httpx.Client(base_url=url, timeout=30) as client:
            local = [u.replace(pages.DEFAULT_BASE_URL, url) for u in (checkin_url, quoted_url, unquoted_url, expired)]
            trip.responses["checkin_get"] = client.get(local[0])
            trip.responses["checkin_first"] = _post(client, local[0], {"talked": "not_yet", "rating": "3"})
            trip.responses["checkin_post"] = _post(client, local[0], {"talked": "no_reply", "methods": ["email"],
                                                                    "topics": ["1"], "rating": "2",
                                                                    "note": "No reply to two emails"})
            trip.responses["checkin_again"] = client.get(local[0])
            trip.responses["survey_es"] = client.get(local[1] + "?lang=es")
            trip.responses["quoted"] = _post(client, local[1] + "?lang=es", {
                "program_satisfaction": "5", "partner_satisfaction": "4", "used_topics": "yes", "methods": ["email"],
                "would_return": "yes", "impact_text": "Ahora dirijo un club de lectura en mi biblioteca.",
                "may_quote": "yes"})
            trip.responses["unquoted"] = _post(client, local[2] + "?lang=es", {
                "program_satisfaction": "2", "partner_satisfaction": "3", "used_topics": "no",
                "would_return": "no", "impact_text": "My partner gave me ideas from a library in another country.",
                "may_quote": "no"})
            cut = local[0][:-3] + ("A" if local[0][-3] != "A" else "B") + local[0][-2:]
            trip.responses["tampered"] = client.get(cut)
            trip.responses["expired"] = client.get(local[3])
        yield trip


def test_the_checkin_page_is_small_and_speaks_spanish(journey: Journey) -> None:
    get = journey.responses["checkin_get"]
    assert get.status_code == 200 and len(get.content) < 30 * 1024
    assert "Did you and your partner talk this fortnight?" in get.text and "<script" not in get.text
    survey = journey.responses["survey_es"]
    assert survey.status_code == 200 and len(survey.content) < 30 * 1024
    assert "¿Podemos citar su respuesta, sin su nombre?" in survey.text
    assert journey.responses["checkin_first"].status_code == journey.responses["checkin_post"].status_code == 200
    assert 'value="no_reply" required checked' in journey.responses["checkin_again"].text  # the answer shows


def test_a_linked_checkin_changes_health_and_opens_a_case_at_once(journey: Journey) -> None:
    con = db.connect(journey.path, read_only=True)
    try:
        row = con.execute("SELECT contact_made, partner_replied, rating, note, source FROM checkins "
                          "WHERE application_id = ? AND fortnight = 1", [journey.answered[0]]).fetchone()
        assert row == (False, False, 2, "No reply to two emails", "link")  # the second answer replaced the first
        (answers,) = con.execute("SELECT count(*) FROM checkins WHERE application_id = ?",
                                 [journey.answered[0]]).fetchone()  # type: ignore[misc]
        assert answers == 1
        health = con.execute("SELECT is_flagged, flag_not_replied, interventions, open_interventions FROM "
                             "partnership_health WHERE partnership_id = ?", [journey.pid]).fetchone()
        assert health == (True, True, 1, 1)
        case = con.execute("SELECT reason, application_id, status FROM interventions WHERE partnership_id = ?",
                           [journey.pid]).fetchone()
        assert case == ("partner has not replied within a week; low rating at check-in", journey.answered[0], "open")
        rate = con.execute("SELECT answered, answered_by_link, bounced, participants FROM checkin_response "
                           "WHERE round_id = ? AND fortnight = 1", [ROUND]).fetchone()
        assert rate is not None and rate[:3] == (1, 1, 1) and rate[3] > 1000
    finally:
        con.close()


def test_a_reminder_goes_to_the_one_who_did_not_answer(journey: Journey, tmp_path: Path) -> None:
    con = migrations.open_live(journey.path)
    try:
        me = command_line_user()
        later = dt.datetime.now() + dt.timedelta(days=6)
        done = outbox.queue_reminders(con, ROUND, by=me, now=later,
                                      checkin_link=pages.link_makers(con)["checkin_link"])
        nudges = con.execute("SELECT recipients[1].email, topic_id FROM outbox WHERE kind = 'reminder' AND "
                             "dedupe_key LIKE 'reminder:checkin:%'").fetchall()
        # the two who got topic 1 and did not answer; not the one who answered, nor the one it bounced for
        assert sorted(n[0].lower() for n in nudges) == sorted([journey.silent[1].lower(), journey.reached.lower()])
        assert done.added == 3  # two nudges and the flagged partnership's reminder
        again = outbox.queue_reminders(con, ROUND, by=me, now=later + dt.timedelta(days=3))
        assert again.added == 0  # once a fortnight at most
        with smtp_server(tmp_path) as server:
            outbox.send(con, by=me, config=smtp_config(environ=server.env()))
            to = sorted(r for m in server.handler.received for r in m.rcpt_tos)
        assert journey.silent[1].lower() in [t.lower() for t in to]
        silent = [journey.silent[1].lower()]
        body = next(m for m in server.handler.received if [r.lower() for r in m.rcpt_tos] == silent).message
        assert "/checkin/" in body.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        shown = reports.reminded(con, ROUND, by=me)  # the Follow-up page's "Reminded"
        assert sorted(zip(shown["fortnight"], shown["status"], shown["has_answered"], strict=True)) == \
            [(1, "sent", False), (1, "sent", False)]
        (reminded,) = con.execute("SELECT reminded FROM checkin_response WHERE round_id = ? AND fortnight = 1",
                                  [ROUND]).fetchone()  # type: ignore[misc]
        assert reminded == 2
    finally:
        con.close()


def test_a_survey_answered_in_spanish_counts_in_satisfaction(journey: Journey) -> None:
    assert journey.responses["quoted"].status_code == 200 and "Gracias" in journey.responses["quoted"].text
    con = db.connect(journey.path, read_only=True)
    try:
        (n, satisfied) = con.execute("SELECT respondents, program_satisfied_share FROM satisfaction_by_round "
                                     "WHERE round_id = ?", [ROUND]).fetchone()  # type: ignore[misc]
        assert n == 2 and satisfied == 0.5
        rows = con.execute("SELECT application_id, is_cleared, source FROM surveys WHERE round_id = ? ORDER BY 1",
                           [ROUND]).fetchall()
        assert rows == sorted([(journey.quoted[0], True, "link"), (journey.unquoted[0], False, "link")])
    finally:
        con.close()


def test_a_cleared_quote_reaches_the_quote_slide_and_an_uncleared_one_does_not(journey: Journey) -> None:
    con = db.connect(journey.path, read_only=True)
    try:
        quote = slides.build_slide(slides.context(con), "impact").quote
    finally:
        con.close()
    assert quote is not None and "Ahora dirijo un club de lectura en mi biblioteca." in quote
    assert "ideas from a library" not in quote


def test_impact_coding_suggests_codes_for_an_answer_as_it_arrives(journey: Journey) -> None:
    con = db.connect(journey.path, read_only=True)
    try:
        waiting = reports.impact_answers(con, ROUND, by=command_line_user(), which="awaiting")
    finally:
        con.close()
    row = waiting[waiting["impact_text"].str.startswith("My partner gave me ideas")].iloc[0]
    assert row["source"] == "link" and row["suggested_codes"] == ["international", "ideas"]


def test_an_import_of_a_linked_answer_stores_one_row(journey: Journey) -> None:
    con = migrations.open_live(journey.path)
    try:
        (day,) = con.execute("SELECT submitted_on FROM checkins WHERE application_id = ? AND fortnight = 1",
                             [journey.answered[0]]).fetchone()  # type: ignore[misc]
        csv = ("Email,Fortnight,Timestamp,Partner replied,Contact,Methods,Topics,Rating\n"
               f"{journey.answered[1]},1,{day:%Y-%m-%d},no,no,Email,1,2\n").encode()
        report = checkins.import_checkins(con, csv, ROUND, by=command_line_user(), filename="form.csv")
        assert (report.inserted, len(report.unchanged), report.rejections) == (0, 1, [])
        rows = con.execute("SELECT count(*), any_value(source) FROM checkins WHERE application_id = ? AND "
                           "fortnight = 1", [journey.answered[0]]).fetchall()
        assert rows == [(1, "link")]
    finally:
        con.close()


def test_a_tampered_or_expired_link_is_refused(journey: Journey) -> None:
    tampered, expired = journey.responses["tampered"], journey.responses["expired"]
    assert tampered.status_code == 400 and "This link does not work" in tampered.text
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert tokens.MAX_AGE_DAYS["checkin"] == 60


def test_checkin_response_shows_both_sources_in_the_sample(con: db.Connection) -> None:
    rows = {(r[0], r[1]): r[2:] for r in con.execute(
        "SELECT round_id, fortnight, participants, answered, answered_by_link, answered_by_import, not_answered, "
        "response_rate, response_rate_low, response_rate_high FROM checkin_response").fetchall()}
    assert rows[("2016B", 1)] == (850, 391, 224, 167, 459, 0.46, 0.4267, 0.4936)
    assert rows[("Pilot", 1)][:4] == (92, 36, 0, 36)  # before the program sent links: every answer imported
    by_link = dict(con.execute("SELECT round_id, sum(answered_by_link) FROM checkin_response GROUP BY 1").fetchall())
    assert (by_link["2016A"], by_link["2016B"], by_link["2015B"]) == (1411, 2025, 0)
    surveys = dict(con.execute("SELECT round_id, count(*) FILTER (WHERE source = 'link') FROM surveys "
                               "GROUP BY 1").fetchall())
    assert (surveys["2016A"], surveys["2016B"], surveys["Pilot"]) == (211, 257, 0)


def test_the_analyst_snapshot_keeps_a_cleared_answer_and_withholds_the_rest(journey: Journey, tmp_path: Path) -> None:
    con = migrations.open_live(journey.path)
    try:
        out = snapshots.publish_snapshot(con, tmp_path / "analytics.duckdb")
    finally:
        con.close()
    copy = db.connect(out, read_only=True)
    try:
        texts = dict(copy.execute("SELECT application_id, impact_text FROM surveys WHERE round_id = ?",
                                  [ROUND]).fetchall())
        notes = copy.execute("SELECT count(*) FROM checkins WHERE note IS NOT NULL").fetchone()
    finally:
        copy.close()
    assert texts[journey.quoted[0]] == "Ahora dirijo un club de lectura en mi biblioteca."
    assert texts[journey.unquoted[0]] != "My partner gave me ideas from a library in another country."
    assert notes == (0,)  # a note to the coordinators never reaches analysts
    assert b"No reply to two emails" not in out.read_bytes()
