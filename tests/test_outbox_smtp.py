"""Sending the outbox to a real SMTP server on localhost (aiosmtpd; smtplib is not mocked).

A published round's introductions arrive once per partnership with every member a recipient; a refused
address is recorded against its message while the rest go on; a connection dropped mid-batch, or a server
that goes down, is resumed by the next send with nothing sent twice; a second send sends nothing; STARTTLS
with a password, TLS from the start, or plain, as configured; the rate limit paces the batch.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.smtp_support import Server, publish_round, smtp_server
from workbench import db
from workbench.access import User
from workbench.messages import outbox, smtp
from workbench.messages.outbox import Batch

ROUND = "2017A"  # 1,168 accepted applicants: 584 partnerships once matched
PILOT = "Pilot"  # 46 published partnerships: the fault tests' batch


@pytest.fixture(scope="module")
def published_path(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample with 2017A matched and published (not queued), built once for the module."""
    path = tmp_path_factory.mktemp("published") / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    publish_round(path, ROUND)
    return path


@pytest.fixture
def live(published_path: Path, tmp_path: Path) -> Iterator[db.Connection]:
    target = tmp_path / "workbench.duckdb"
    shutil.copy(published_path, target)
    con = db.connect(target)
    yield con
    con.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with smtp_server(tmp_path) as srv:
        yield srv


def config(srv: Server, security: str = "none", **extra: str) -> smtp.SmtpConfig:
    return smtp.smtp_config(environ=srv.env(security, **extra), secrets=Path("/nonexistent/secrets.toml"))


class FakeTime:
    """A clock that only moves when the code sleeps: the rate limit and the backoff, without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _members(con: db.Connection, round_id: str) -> dict[int, set[str]]:
    rows = con.execute(
        "SELECT pm.partnership_id, a.email FROM partnership_members AS pm JOIN partnerships AS p USING "
        "(partnership_id) JOIN applications AS a ON a.application_id = pm.application_id WHERE p.round_id = ? "
        "AND p.status <> 'broken' AND p.run_id IN (SELECT run_id FROM match_runs WHERE status = 'published')",
        [round_id]).fetchall()
    out: dict[int, set[str]] = {}
    for pid, email in rows:
        out.setdefault(int(pid), set()).add(email.strip().lower())
    return out


def _by_partnership(con: db.Connection) -> dict[str, int]:
    """Message-ID -> partnership, from the outbox."""
    return {m: int(p) for m, p in con.execute("SELECT message_id, partnership_id FROM outbox").fetchall()}


def test_a_published_rounds_introductions_arrive_once_per_partnership(live: db.Connection, server: Server,
                                                                       users: dict[str, User]) -> None:
    director = users["director"]
    queued = outbox.queue_introductions(live, ROUND, by=director)
    assert queued.added == 584 and queued.already == 0
    members = _members(live, ROUND)
    assert len(members) == 584

    seen: list[tuple[int, int]] = []
    batch = outbox.send(live, by=director, config=config(server), progress=lambda d, t, _: seen.append((d, t)))
    assert (batch.considered, batch.sent, batch.failed, batch.partial, batch.waiting) == (584, 584, 0, 0, 0)
    assert batch.recipients_sent == sum(len(m) for m in members.values()) == 1168
    assert seen[0] == (1, 584) and seen[-1] == (584, 584)

    received = server.handler.received
    assert len(received) == 584
    owner = _by_partnership(live)
    per_partnership = Counter(owner[r.message["Message-ID"]] for r in received)
    assert set(per_partnership) == set(members) and set(per_partnership.values()) == {1}
    for r in received:
        pid = owner[r.message["Message-ID"]]
        assert {a.lower() for a in r.rcpt_tos} == members[pid]  # every member a recipient of the envelope
        assert {a.addr_spec.lower() for a in r.message["To"].addresses} == members[pid]  # and of the To header
        assert r.mail_from == "coordinators@iln.example.org"
        assert r.message["From"].addresses[0].display_name == "ILN coordinators"
        assert r.message["Reply-To"] and r.message["Date"] and r.message["Content-Language"] in {"en", "fr", "es"}
    sent = live.execute("SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at IS NOT NULL").fetchone()
    assert sent == (584,)

    again = outbox.send(live, by=director, config=config(server))  # a second send sends nothing
    assert again.considered == 0 and len(server.handler.received) == 584
    assert outbox.queue_introductions(live, ROUND, by=director).added == 0  # nor does queuing again add any
    audits = live.execute("SELECT after FROM audit_log WHERE action = 'send email' ORDER BY audit_id").fetchall()
    assert len(audits) == 1 and json.loads(audits[0][0])["sent"] == 584  # one entry per batch, counts only
    assert "@" not in audits[0][0]


def test_the_server_refuses_one_address_and_the_rest_go_on(live: db.Connection, server: Server,
                                                           users: dict[str, User]) -> None:
    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    members = _members(live, PILOT)
    pids = sorted(members)
    refused = sorted(members[pids[3]])[0]
    both = sorted(members[pids[7]])
    server.handler.refuse = {refused: "550 5.1.1 Mailbox unavailable",
                             **dict.fromkeys(both, "550 5.1.1 No such user here")}

    batch = outbox.send(live, by=director, config=config(server))
    assert (batch.considered, batch.sent, batch.partial, batch.failed, batch.waiting) == (46, 44, 1, 1, 0)
    assert len(server.handler.received) == 45

    listed = outbox.messages(live, by=director, round_id=PILOT).set_index("partnership_id")
    assert listed.loc[pids[3], "status"] == "partial"
    assert listed.loc[pids[3], "error"] == f"{refused}: 550 5.1.1 Mailbox unavailable"
    assert listed.loc[pids[7], "status"] == "failed"
    assert "No such user here" in listed.loc[pids[7], "error"]
    assert (listed.drop(index=[pids[3], pids[7]])["status"] == "sent").all()
    partner = (members[pids[3]] - {refused}).pop()
    got = [r for r in server.handler.received if {a.lower() for a in r.rcpt_tos} == {partner}]
    assert len(got) == 1  # the partner of the refused address still got the introduction

    server.handler.refuse = {}
    assert outbox.send(live, by=director, config=config(server)).considered == 0  # refused is final, not retried


def test_a_dropped_connection_is_retried_and_nothing_is_sent_twice(live: db.Connection, server: Server,
                                                                   users: dict[str, User]) -> None:
    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    server.handler.drop_at = {10, 11}  # the connection drops at the 10th message, and again on its first retry
    fake = FakeTime()
    batch = outbox.send(live, by=director, config=config(server), clock=fake.clock, sleep=fake.sleep)
    assert (batch.sent, batch.waiting) == (46, 0)
    assert fake.sleeps == [2.0, 4.0]  # backoff between the tries
    ids = server.handler.message_ids()
    assert len(ids) == len(set(ids)) == 46
    assert live.execute("SELECT max(attempts) FROM outbox").fetchone() == (1,)


def test_a_server_gone_down_mid_batch_is_resumed_by_the_next_send(live: db.Connection, server: Server,
                                                                  users: dict[str, User]) -> None:
    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    fake = FakeTime()

    def go_down(done: int, total: int, text: str) -> None:
        if done == 20:
            server.handler.down = True

    first = outbox.send(live, by=director, config=config(server), progress=go_down, clock=fake.clock,
                        sleep=fake.sleep)
    assert (first.sent, first.waiting) == (20, 26)
    assert first.stopped and "closed the connection" in first.stopped
    assert len(server.handler.received) == 20
    waiting = outbox.messages(live, by=director, status="queued")
    assert len(waiting) == 26 and waiting["error"].str.contains("closed the connection").iloc[0]

    server.handler.down = False
    second = outbox.send(live, by=director, config=config(server))
    assert (second.considered, second.sent, second.waiting) == (26, 26, 0)
    ids = server.handler.message_ids()
    assert len(ids) == len(set(ids)) == 46  # every partnership once: the first 20 were not sent again
    assert outbox.summary(live, by=director, round_id=PILOT)["sent"] == 46


def test_an_unreachable_server_leaves_everything_queued(live: db.Connection, users: dict[str, User]) -> None:
    from tests.smtp_support import free_port

    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    nobody = smtp.SmtpConfig("127.0.0.1", free_port(), "none", "coordinators@iln.example.org")
    fake = FakeTime()
    batch = outbox.send(live, by=director, config=nobody, clock=fake.clock, sleep=fake.sleep)
    assert (batch.sent, batch.waiting) == (0, 46)
    assert "nothing accepts connections on that port" in (batch.stopped or "")
    assert live.execute("SELECT count(*) FROM outbox WHERE status = 'queued'").fetchone() == (46,)
    assert live.execute("SELECT sum(attempts) FROM outbox").fetchone() == (1,)  # tried once, then stopped


@pytest.mark.parametrize("mode", ["starttls", "ssl", "none"])
def test_security_as_configured(live: db.Connection, users: dict[str, User], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    options = {"starttls": {"tls": True, "login": ("iln", "s3cret")}, "ssl": {"implicit_tls": True},
               "none": {}}[mode]
    with smtp_server(tmp_path, **options) as srv:  # type: ignore[arg-type]
        if srv.cafile:
            monkeypatch.setenv("SSL_CERT_FILE", str(srv.cafile))
        extra = {"WORKBENCH_SMTP_USER": "iln", "WORKBENCH_SMTP_PASSWORD": "s3cret"} if mode == "starttls" else {}
        batch = outbox.send(live, by=director, config=config(srv, mode, **extra), limit=3)
        assert batch.sent == 3 and len(srv.handler.received) == 3
        if mode == "starttls":  # a wrong password is a clear refusal, and nothing is marked
            wrong = config(srv, mode, WORKBENCH_SMTP_USER="iln", WORKBENCH_SMTP_PASSWORD="nope")
            with pytest.raises(smtp.SmtpFailed, match="refused the user name or password"):
                outbox.send(live, by=director, config=wrong, limit=1)
            plain = config(srv, "none")  # the server requires STARTTLS: a plain client is refused
            fake = FakeTime()
            refused = outbox.send(live, by=director, config=plain, limit=1, clock=fake.clock, sleep=fake.sleep)
            assert refused.sent == 0 and len(srv.handler.received) == 3
    assert live.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone() == (3,)


def test_the_rate_limit_paces_the_batch(live: db.Connection, server: Server, users: dict[str, User]) -> None:
    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    fake = FakeTime()
    batch = outbox.send(live, by=director, config=config(server, WORKBENCH_SMTP_PER_MINUTE="6"), limit=4,
                        clock=fake.clock, sleep=fake.sleep)
    assert batch.sent == 4
    assert fake.sleeps == [10.0, 10.0, 10.0]  # 6 a minute: one message every 10 seconds
    assert batch.seconds == 30.0


def _set_languages(con: db.Connection, partnership_id: int, languages: list[str]) -> None:
    """The members of a partnership speak only ``languages`` (as if they had applied so). DuckDB rewrites a row
    whose list column changes, which the foreign keys to it forbid: the rows referring to the applications are
    set aside meanwhile, as the privacy module does for staff."""
    apps = [r[0] for r in con.execute("SELECT application_id FROM partnership_members WHERE partnership_id = ?",
                                      [partnership_id]).fetchall()]
    referring = sorted({(t, c[0]) for t, c in con.execute(
        "SELECT table_name, constraint_column_names FROM duckdb_constraints() WHERE constraint_type = 'FOREIGN KEY' "
        "AND constraint_text LIKE '%REFERENCES applications%'").fetchall() for c in [c] if len(c) == 1})
    with db.transaction(con):
        for table, column in referring:
            con.execute(f"CREATE TEMP TABLE _aside_{table}_{column} AS SELECT * FROM {table} WHERE {column} IN ?",
                        [apps])
            con.execute(f"DELETE FROM {table} WHERE {column} IN ?", [apps])
    con.execute("UPDATE applications SET languages = ? WHERE application_id IN ?", [languages, apps])
    with db.transaction(con):
        for table, column in referring:
            con.execute(f"INSERT INTO {table} SELECT * FROM _aside_{table}_{column}")
            con.execute(f"DROP TABLE _aside_{table}_{column}")


def test_french_and_spanish_pairs_receive_their_introduction_in_their_language(
        live: db.Connection, server: Server, users: dict[str, User]) -> None:
    """Issue 11: two partnerships whose members speak only French, and only Spanish."""
    director = users["director"]
    members = _members(live, PILOT)
    french, spanish = sorted(members)[:2]
    for pid, language in ((french, "French"), (spanish, "Spanish")):
        _set_languages(live, pid, [language])
    outbox.queue_introductions(live, PILOT, by=director)
    outbox.send(live, by=director, config=config(server))
    owner = _by_partnership(live)
    got = {owner[r.message["Message-ID"]]: r.message for r in server.handler.received}

    fr = got[french]
    assert fr["Content-Language"] == "fr"
    assert fr["Subject"].startswith(f"Session {PILOT} : faites connaissance")
    text = fr.get_content()
    assert "Bienvenue dans la session Pilot !" in text and "« Faire connaissance »" in text
    assert "L'équipe de coordination du programme" in text

    es = got[spanish]
    assert es["Content-Language"] == "es"
    assert es["Subject"].startswith(f"Ronda {PILOT}: les presentamos")
    text = es.get_content()
    assert "¡Les damos la bienvenida a la ronda Pilot!" in text and "«Conocernos»" in text
    assert "biblioteca" in text

    others = [m for pid, m in got.items() if pid not in {french, spanish}]
    assert {m["Content-Language"] for m in others} == {"en"}


def test_an_erased_persons_waiting_message_does_not_go_to_them(live: db.Connection, server: Server,
                                                               users: dict[str, User]) -> None:
    from workbench import privacy

    director = users["director"]
    outbox.queue_introductions(live, PILOT, by=director)
    members = _members(live, PILOT)
    pid = sorted(members)[0]
    gone, partner = sorted(members[pid])
    privacy.forget(live, gone, by=director)
    row = outbox.messages(live, by=director, round_id=PILOT).set_index("partnership_id").loc[pid]
    assert gone not in row["to"] and "erased" in row["to"]
    assert gone not in str(live.execute("SELECT body, subject FROM outbox WHERE partnership_id = ?", [pid]).fetchall())
    outbox.send(live, by=director, config=config(server))
    got = [r for r in server.handler.received if r.rcpt_tos == [partner]]
    assert len(got) == 1 and gone not in got[0].data.decode("utf-8", "replace").lower()
    assert all(gone not in r.rcpt_tos for r in server.handler.received)
    after = outbox.messages(live, by=director, round_id=PILOT).set_index("partnership_id")
    assert after.loc[pid, "status"] == "partial"


def test_batch_summary_words() -> None:
    assert Batch().summary() == "Nothing to send: no message is waiting in the outbox."
    words = Batch(considered=3, sent=1, partial=1, waiting=1, recipients_sent=3, seconds=2.0).summary()
    assert words == ("Sent 1 of 3 messages (3 recipients) in 2.0 s: 1 partly (an address refused), "
                     "1 still waiting for the next send.")
