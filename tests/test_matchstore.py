"""The matching in the database: pools, stored runs, coordinator edits, publishing, introductions."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from pathlib import Path

import pytest

from workbench import db, matchstore
from workbench.access import User
from workbench.errors import StaleEdit, WorkbenchError
from workbench.matching.model import MatchResult, UnmatchedReason
from workbench.matchstore import RuleViolation
from workbench.messages import introductions


@pytest.fixture
def wcon(writable_db: Path):  # type: ignore[no-untyped-def]
    con = db.connect(writable_db)
    yield con
    con.close()


def _greedy_result(pool: matchstore.Pool, n_pairs: int) -> MatchResult:
    """A small hand-made result: the first feasible pairs found, the rest unmatched."""
    from workbench.matching.rules import hard_rule_broken

    free = list(pool.applicants)
    pairs: list[tuple[int, int]] = []
    while free and len(pairs) < n_pairs:
        a = free.pop(0)
        for b in free:
            if hard_rule_broken(a, b, pool.rules.forbidden) is None:
                free.remove(b)
                pairs.append((a.application_id, b.application_id))
                break
    unmatched = [a.application_id for a in free]
    reasons = {a: UnmatchedReason(a, "test", "left out by the test", "run the matching") for a in unmatched}
    matched = 2 * len(pairs)
    return MatchResult(pairs=pairs, trios=[], unmatched=unmatched, objective=10.0 * len(pairs), bound=11.0 * len(pairs),
                       gap=1 / 11, status="feasible", seconds=0.1, people=len(pool.applicants), matched=matched,
                       reasons=reasons)


def test_pool_of_2017A_has_the_accepted_applicants_and_their_history(con: db.Connection,
                                                                       users: dict[str, User]) -> None:
    pool = matchstore.load_pool(con, "2017A", by=users["coordinator"])
    (accepted,) = con.execute("SELECT count(*) FROM applications WHERE round_id = '2017A' AND status = 'accepted'"
                              ).fetchone()  # type: ignore[misc]
    assert len(pool.applicants) == accepted
    returners = [a for a in pool.applicants if a.past_partners]
    assert len(returners) > 200
    some = returners[0]
    (n,) = con.execute(
        """SELECT count(DISTINCT y.person_id) FROM participants x JOIN participants y
           ON x.partnership_id = y.partnership_id AND x.person_id <> y.person_id WHERE x.person_id = ?""",
        [some.person_id]).fetchone()  # type: ignore[misc]
    assert len(some.past_partners) == n
    assert all(c != some.country for c in some.past_partner_countries)


def test_unknown_round_is_named(con: db.Connection, users: dict[str, User]) -> None:
    with pytest.raises(WorkbenchError, match=r"no round '2099Z'.*2017A"):
        matchstore.load_pool(con, "2099Z", by=users["director"])


def test_hand_pairing_refuses_hard_rules_with_reasons(con: db.Connection, users: dict[str, User]) -> None:
    by = users["coordinator"]
    pool = matchstore.load_pool(con, "2017A", by=by)
    aus = [a for a in pool.applicants if a.country == "AUS"][:2]
    with pytest.raises(RuleViolation, match="cannot be partners"):
        matchstore.check_pairing(con, "2017A", [aus[0].application_id, aus[1].application_id], by=by)
    returner = next(a for a in pool.applicants if any(
        b.person_id in a.past_partners for b in pool.applicants))
    old = next(b for b in pool.applicants if b.person_id in returner.past_partners)
    with pytest.raises(RuleViolation, match="cannot be partners"):
        matchstore.check_pairing(con, "2017A", [returner.application_id, old.application_id], by=by)
    with pytest.raises(RuleViolation, match="two or three"):
        matchstore.check_pairing(con, "2017A", [aus[0].application_id], by=by)


def test_store_edit_and_publish_a_run(wcon: db.Connection, users: dict[str, User]) -> None:
    alex, other = users["director"], users["coordinator"]
    pool = matchstore.load_pool(wcon, "2017A", by=alex)
    result = _greedy_result(pool, 20)
    run_id = matchstore.save_run(wcon, "2017A", result, {"weights": {}}, by=alex)
    parts = matchstore.run_partnerships(wcon, run_id, by=alex)
    assert len(parts) == 20 and set(parts["status"]) == {"proposed"}
    assert len(matchstore.run_unmatched(wcon, run_id, by=alex)) == len(pool.applicants) - 40
    assert db.run_checks(wcon) == {k: [] for k in db.run_checks(wcon)}

    version = matchstore.run_row(wcon, run_id)["version"]
    first = int(parts["partnership_id"][0])
    version = matchstore.lock_partnership(wcon, run_id, first, version, by=alex)
    assert matchstore.rule_table(wcon, "2017A", by=alex)["kind"].tolist() == ["lock"]

    # A second coordinator still holding the old version is refused, and nothing changes.
    with pytest.raises(StaleEdit, match="changed by someone else"):
        matchstore.break_partnership(wcon, run_id, first, version - 1, by=other)
    assert matchstore.run_row(wcon, run_id)["version"] == version

    second = int(parts["partnership_id"][1])
    ids = [int(x) for x in parts.set_index("partnership_id").loc[second, "application_ids"]]
    version = matchstore.break_partnership(wcon, run_id, second, version, by=alex)
    assert set(ids) <= set(matchstore.run_unmatched(wcon, run_id, by=alex)["application_id"])
    pairing = matchstore.pair_by_hand(wcon, run_id, ids, version, by=alex)
    assert pairing.version == version + 1 and "shared interest" in pairing.explanation
    assert matchstore.run_row(wcon, run_id)["matched"] == 40

    matchstore.add_rule(wcon, "2017A", "forbid", ids[0], ids[1], by=alex, reason="test")
    assert matchstore.load_pool(wcon, "2017A", by=alex).rules.forbidden == {frozenset(ids)}

    matchstore.publish_run(wcon, run_id, by=alex)
    assert matchstore.round_row(wcon, "2017A")["status"] == "running"
    (participants,) = wcon.execute("SELECT participants FROM round_summary WHERE round_id = '2017A'").fetchone()  # type: ignore[misc]
    assert participants == 40
    assert {k: v for k, v in db.run_checks(wcon).items() if v} == {}
    with pytest.raises(StaleEdit, match="only a proposed run"):
        matchstore.break_partnership(wcon, run_id, first, matchstore.run_row(wcon, run_id)["version"], by=other)
    with pytest.raises(WorkbenchError, match="published"):
        matchstore.run_matching(wcon, "2017A", by=alex)
    actors = dict(wcon.execute("SELECT actor, count(*) FROM audit_log WHERE entity IN ('match_runs', 'match_rules', "
                               "'rounds') GROUP BY actor").fetchall())
    assert actors == {"amorgan": 7}  # run, lock, break, pair, forbid, publish, start round: all by the signed-in user


def test_introductions_for_a_published_round(con: db.Connection, users: dict[str, User]) -> None:
    intros = introductions.introductions(con, "2016B", by=users["coordinator"])
    (n,) = con.execute("SELECT count(*) FROM partnerships WHERE round_id = '2016B'").fetchone()  # type: ignore[misc]
    assert len(intros) == n
    trio = next(i for i in intros if len(i.to) == 3 and i.language == "English")  # others: their own language
    assert trio.subject.startswith("Meet your 2016B partners:")
    archive = zipfile.ZipFile(io.BytesIO(introductions.eml_zip(intros)))
    assert len(archive.namelist()) == n
    msg = email.message_from_bytes(archive.read(archive.namelist()[0]), policy=email.policy.default)
    assert msg["Subject"] == intros[0].subject and "@" in msg["To"]
    merge = introductions.mail_merge_csv(intros).decode("utf-8-sig")
    assert merge.startswith("partnership_id,to,names,subject,body")


def test_template_errors_are_explained(con: db.Connection, users: dict[str, User]) -> None:
    with pytest.raises(WorkbenchError, match=r"unknown placeholder\(s\) \{nme\}"):
        introductions.introductions(con, "2016B", by=users["director"], subject="Hi {nme}")
    with pytest.raises(WorkbenchError, match="no published partnerships"):
        introductions.introductions(con, "2017A", by=users["director"])
