"""Erasure that holds in the file (issue 16): the live file rewritten so neither its previous checkpoint nor its
freed blocks keep an erased person; erasure by record, never by a word search (namesakes, common words); the
email typed as the import stores it; the copies that still hold the person named."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.disk_support import all_text, found_in, found_in_bytes, previous_checkpoint
from tests.smtp_support import publish_round
from workbench import backups, copies, db, privacy
from workbench.access import User, system_user
from workbench.messages import outbox
from workbench.participants import applying, pages
from workbench.people import identity

ROOT = Path(__file__).resolve().parents[1]


def _person_with_a_unique_name(con: db.Connection) -> tuple[int, str, str]:
    """A person no one else shares a name with, who has applied twice and been sent an introduction."""
    row = con.execute(
        """SELECT p.person_id, p.name, p.email FROM people AS p
           WHERE (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1
             AND (SELECT count(*) FROM applications AS a WHERE a.person_id = p.person_id) >= 2
             AND EXISTS (SELECT 1 FROM outbox AS o, unnest(o.recipients) AS r(x) JOIN applications AS a
                         ON a.application_id = x.application_id WHERE a.person_id = p.person_id)
           ORDER BY p.person_id LIMIT 1""").fetchone()
    assert row is not None
    return int(row[0]), row[1], row[2]


@pytest.fixture(scope="module")
def queued_path(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory, users: dict[str, User]) -> Path:
    """The sample with 2017A published and its introductions in the outbox (messages that name their members)."""
    path = tmp_path_factory.mktemp("queued") / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    publish_round(path, "2017A")
    con = db.connect(path)
    outbox.queue_introductions(con, "2017A", by=users["director"])
    con.close()
    return path


@pytest.fixture
def queued(queued_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "workbench.duckdb"
    shutil.copy(queued_path, target)
    return target


@pytest.fixture
def live(queued: Path) -> Iterator[db.Connection]:
    con = db.connect(queued)
    yield con
    con.close()


def _seen(path: Path, needles: set[str], scratch: Path) -> dict[str, set[str]]:
    older = previous_checkpoint(path, scratch / f"older-{path.name}")
    copy = scratch / f"now-{path.name}"
    shutil.copy(path, copy)
    return {"now": found_in(all_text(copy), needles),
            "previous checkpoint": found_in(all_text(older), needles) if older else set(),
            "bytes": found_in_bytes(path, needles)}


def test_without_the_rewrite_the_previous_checkpoint_still_holds_the_erased_person(
        queued: Path, users: dict[str, User], tmp_path: Path) -> None:
    """The control: this is what an attacker reads from a file that was only changed through SQL."""
    con = db.connect(queued)
    _, name, email = _person_with_a_unique_name(con)
    con.execute("CHECKPOINT")
    privacy.forget(con, email, by=users["director"])
    con.execute("CHECKPOINT")
    con.close()
    seen = _seen(queued, {name, email}, tmp_path)
    assert seen["now"] == set()
    assert seen["previous checkpoint"] == {name, email}


def test_after_forget_and_the_rewrite_the_file_holds_nothing_of_the_person(
        queued: Path, users: dict[str, User], tmp_path: Path) -> None:
    con = db.connect(queued)
    db.apply_views(con)
    pid, name, email = _person_with_a_unique_name(con)
    # an address they used before (issue 18: a person keeps every address): it must go too
    old_address = "first.job.address@former-library.example.org"
    with db.transaction(con):
        identity.add_address(con, pid, old_address, seen_at=dt.datetime(2005, 1, 1), source="an older round")
    # what they sent on the participants' form (issue 19), their request to be forgotten and opt-out
    form_text = "Quillfeather Seed Library of Upper Tooting"
    applying.submit(con, "2017A", {"name": name, "email": email, "organisation": form_text}, language="en",
                    earlier_email=old_address)
    pages._forget(con, pid)
    figures = {v: con.execute(f"SELECT * FROM {v}").fetchall() for v in ("applicants_by_country",
                                                                          "round_summary")}
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in db.TABLE_ORDER}
    con.execute("CHECKPOINT")
    privacy.forget(con, email, by=users["director"])
    assert con.execute("SELECT count(*) FROM person_addresses WHERE person_id = ?", [pid]).fetchone() == (0,)
    con.close()
    copies.rewrite_file(queued)

    assert _seen(queued, {name, email, old_address, form_text}, tmp_path) == {
        "now": set(), "previous checkpoint": set(), "bytes": set()}
    assert oct(queued.stat().st_mode & 0o777) == "0o600"
    con = db.connect(queued)
    try:
        assert {v: con.execute(f"SELECT * FROM {v}").fetchall() for v in figures} == figures
        counts_after = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone() for t in db.TABLE_ORDER}
        assert counts_after == {**counts, "audit_log": (counts["audit_log"][0] + 1,),  # type: ignore[index]
                                "person_addresses": (counts["person_addresses"][0] - 2,),  # type: ignore[index]
                                "form_applications": (0,), "forget_requests": (0,)}
        # the opt-out stays (an id, a time, how): the erased record gets no topic, reminder or survey
        assert con.execute("SELECT how FROM opt_outs WHERE person_id = ?", [pid]).fetchone() == (
            "asked to be forgotten",)
        assert con.execute("SELECT name FROM people WHERE person_id = ?", [pid]).fetchone() == (privacy.ERASED_NAME,)
        assert all(not rows for rows in db.run_checks(con).values())
        # ids go on after the largest (the sequences came along)
        assert db.next_ids(con, "audit_log")[0] > counts["audit_log"][0]  # type: ignore[index]
    finally:
        con.close()


def _cli(db_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "workbench.cli", *args, "--db", str(db_path)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=300)


def test_workbench_forget_rewrites_the_file_and_names_the_backups_that_still_hold_the_person(
        queued: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    env = {"WORKBENCH_BACKUP_DIR": str(folder), "WORKBENCH_BACKUP_KEEP": "3", "WORKBENCH_BACKUP_EVERY_HOURS": "24",
           "WORKBENCH_SNAPSHOT": str(tmp_path / "analytics.duckdb")}
    con = db.connect(queued)
    _, name, email = _person_with_a_unique_name(con)
    con.close()
    folder.mkdir()
    made = _cli(queued, env, "backup", "--out", str(folder))
    assert made.returncode == 0, made.stderr
    done = _cli(queued, env, "forget", email.upper(), "--yes")
    assert done.returncode == 0, done.stderr
    assert "was rewritten" in done.stdout
    assert "1 dated backup(s) made before the erasure still hold them" in done.stdout
    assert _seen(queued, {name, email}, tmp_path) == {"now": set(), "previous checkpoint": set(), "bytes": set()}


def test_copies_holding_lists_backups_and_pre_upgrade_copies(queued: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             users: dict[str, User]) -> None:
    folder = tmp_path / "backups"
    monkeypatch.setenv("WORKBENCH_BACKUP_DIR", str(folder))
    monkeypatch.setenv("WORKBENCH_BACKUP_KEEP", "2")
    monkeypatch.setenv("WORKBENCH_BACKUP_EVERY_HOURS", "12")
    con = db.connect(queued)
    pid, _, email = _person_with_a_unique_name(con)
    dated, _ = backups.keep_dated(con, folder, 2, by=system_user("backup keeper"))
    upgrade_copy = folder / "workbench-schema-v7-20260101T000000.duckdb"
    shutil.copy(dated, upgrade_copy)
    privacy.forget(con, email, by=users["director"])
    after = backups.backup(con, tmp_path / "after.duckdb")  # made after the erasure: not listed
    con.close()
    held = privacy.copies_holding([pid], queued)
    assert [(h.path.name, h.kind) for h in held] == [(dated.name, "dated backup"),
                                                      (upgrade_copy.name, "pre-upgrade copy")]
    assert held[0].removed_by is not None and (held[0].removed_by - held[0].made_at).total_seconds() == 24 * 3600
    assert held[1].removed_by is None
    summary = privacy.held_copies_summary(held)
    assert "1 dated backup(s)" in summary and str(upgrade_copy) in summary and after.name not in summary


# --- by record, never by word search --------------------------------------------------------------


def _outbox_texts(con: db.Connection) -> dict[int, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in con.execute("SELECT outbox_id, subject, body FROM outbox").fetchall()}


def test_forgetting_will_leaves_everyone_elses_will_alone(live: db.Connection, users: dict[str, User]) -> None:
    pid, _, email = _person_with_a_unique_name(live)
    live.execute("UPDATE people SET name = 'Will' WHERE person_id = ?", [pid])
    live.execute("UPDATE applications SET name = 'Will' WHERE person_id = ?", [pid])
    others = live.execute(
        "SELECT s.survey_id, s.impact_text FROM surveys AS s JOIN applications AS a USING (application_id) "
        "WHERE a.person_id <> ? AND regexp_matches(s.impact_text, '(?i)\\bwill\\b')", [pid]).fetchall()
    assert len(others) > 20  # the sample's answers say "will" often
    outbox = _outbox_texts(live)
    mine = {m for m, _ in privacy._outbox_rows(live, privacy._applications(live, [pid]))}

    done = privacy.forget(live, email, by=users["director"])

    assert live.execute("SELECT survey_id, impact_text FROM surveys WHERE survey_id IN ? ORDER BY survey_id",
                        [[s for s, _ in others]]).fetchall() == sorted(others)
    after = _outbox_texts(live)
    assert {m: t for m, t in after.items() if m not in mine} == {m: t for m, t in outbox.items() if m not in mine}
    assert done.texts <= len(mine) * 2 + 3


def test_forgetting_one_namesake_leaves_the_other_ones_introduction(live: db.Connection,
                                                                    users: dict[str, User]) -> None:
    people = live.execute(
        """SELECT DISTINCT a.person_id FROM outbox AS o, unnest(o.recipients) AS r(x)
           JOIN applications AS a ON a.application_id = x.application_id
           WHERE o.kind = 'introduction' ORDER BY 1 LIMIT 2""").fetchall()
    first, second = (int(p[0]) for p in people)
    for pid in (first, second):
        live.execute("UPDATE people SET name = 'Samuel Smith' WHERE person_id = ?", [pid])
        live.execute("UPDATE applications SET name = 'Samuel Smith' WHERE person_id = ?", [pid])
    second_apps = privacy._applications(live, [second])
    first_apps = privacy._applications(live, [first])
    theirs = {m for m, _ in privacy._outbox_rows(live, second_apps)} - {
        m for m, _ in privacy._outbox_rows(live, first_apps)}
    assert theirs
    live.execute("UPDATE outbox SET body = 'Dear Samuel Smith, meet your partner.' WHERE outbox_id IN ?",
                 [sorted(theirs)])
    (email,) = live.execute("SELECT email FROM people WHERE person_id = ?", [first]).fetchone()  # type: ignore[misc]

    privacy.forget(live, email, by=users["director"])

    assert live.execute("SELECT DISTINCT body FROM outbox WHERE outbox_id IN ?", [sorted(theirs)]).fetchall() == [
        ("Dear Samuel Smith, meet your partner.",)]
    assert live.execute("SELECT name FROM people WHERE person_id = ?", [second]).fetchone() == ("Samuel Smith",)


# --- the one email key -------------------------------------------------------------------------------


def test_forget_finds_the_address_as_the_import_stored_it(live: db.Connection, users: dict[str, User]) -> None:
    pid, _, _ = _person_with_a_unique_name(live)
    live.execute("UPDATE people SET email = ? WHERE person_id = ?", ["ivan@пример.рф", pid])
    other = live.execute("SELECT min(person_id) FROM people WHERE person_id <> ?", [pid]).fetchone()[0]  # type: ignore[index]
    live.execute("UPDATE people SET email = ? WHERE person_id = ?", [unicodedata.normalize("NFC", "josé@lib.es"),
                                                                     other])
    assert privacy.find_person(live, "Ivan@XN--E1AFMKFD.XN--P1AI", by=users["director"]).person_id == pid
    done = privacy.forget(live, unicodedata.normalize("NFD", "José@Lib.es"), by=users["director"])
    assert done.person_ids == (other,)
    assert json.loads(live.execute("SELECT after FROM audit_log WHERE action = 'erase person'").fetchone()[0])[  # type: ignore[index]
        "reason"] == "request"
