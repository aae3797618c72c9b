"""Who may run, edit and publish the matching, and who sees whose partnerships (workbench.access.RULES).

Every change in :mod:`workbench.matchstore` is tried by each of the five sample accounts: the roles of
``RULES[Action.MATCH]`` succeed and are the audit log's actor, the others are refused with nothing
changed. Every read that returns people is tried the same way: a country coordinator (nokafor: NGA, GHA,
CMR) sees their countries only, the analyst and the presenter are refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.test_matchstore import _greedy_result
from workbench import db, matchstore
from workbench.access import ROLES, RULES, Action, NotAllowed, User
from workbench.errors import WorkbenchError
from workbench.messages import introductions

ROUND = "2017A"  # being matched
PUBLISHED = "2016B"  # its partnerships are out
NOKAFOR = ("NGA", "GHA", "CMR")
MATCH_REFUSED = "may not run, edit and publish the matching"


def test_the_role_table_gives_matching_to_staff_and_personal_data_to_the_scoped_roles() -> None:
    assert RULES[Action.MATCH] == {"director", "coordinator"}
    assert RULES[Action.VIEW_PERSONAL] == RULES[Action.EXPORT_PERSONAL] == {"director", "coordinator", "country"}


@pytest.fixture
def wcon(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def _state(con: db.Connection) -> tuple[Any, ...]:
    """Everything a matching change could touch."""
    return tuple(con.execute(sql).fetchall() for sql in (
        "SELECT count(*), max(audit_id) FROM audit_log",
        "SELECT run_id, status, version, matched FROM match_runs ORDER BY run_id",
        "SELECT partnership_id, status, is_locked, version FROM partnerships WHERE round_id = 'ROUND' "
        "ORDER BY partnership_id".replace("ROUND", ROUND),
        "SELECT rule_id, kind, application_a_id, application_b_id FROM match_rules ORDER BY rule_id",
        "SELECT count(*) FROM match_unmatched",
        "SELECT round_id, status, version FROM rounds ORDER BY seq",
    ))


def _as(con: db.Connection, role: str, users: dict[str, User], change: Callable[[User], Any]) -> Any:
    """Make ``change`` as ``role``: allowed and audited under the user's name, or refused and nothing changed."""
    user = users[role]
    before = _state(con)
    if role in RULES[Action.MATCH]:
        result = change(user)
        (count,) = con.execute("SELECT count(*) FROM audit_log").fetchone()  # type: ignore[misc]
        assert count > before[0][0][0]
        new_actors = {r[0] for r in con.execute("SELECT actor FROM audit_log WHERE audit_id > ?",
                                                 [before[0][0][1] or 0]).fetchall()}
        assert new_actors == {user.actor}
        return result
    with pytest.raises(NotAllowed, match=MATCH_REFUSED) as refused:
        change(user)
    assert user.name in str(refused.value) and "Ask a director" in str(refused.value)
    assert _state(con) == before
    return None


def _proposed_run(con: db.Connection, users: dict[str, User], pairs: int = 20) -> int:
    """A proposed run of 2017A with ``pairs`` partnerships, saved by the director."""
    pool = matchstore.load_pool(con, ROUND, by=users["director"])
    return matchstore.save_run(con, ROUND, _greedy_result(pool, pairs), {"weights": {}}, by=users["director"])


def _version(con: db.Connection, run_id: int) -> int:
    return int(matchstore.run_row(con, run_id)["version"])


def _partnership(con: db.Connection, run_id: int, index: int = 0) -> tuple[int, list[int]]:
    pid, ids = con.execute(
        "SELECT p.partnership_id, list(pm.application_id ORDER BY pm.application_id) FROM partnerships AS p "
        "JOIN partnership_members AS pm USING (partnership_id) WHERE p.run_id = ? GROUP BY 1 ORDER BY 1 "
        "LIMIT 1 OFFSET ?", [run_id, index]).fetchone()  # type: ignore[misc]
    return int(pid), [int(x) for x in ids]


# --- every change, every role ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_save_run(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    pool = matchstore.load_pool(wcon, ROUND, by=users["director"])
    run_id = _as(wcon, role, users,
                 lambda by: matchstore.save_run(wcon, ROUND, _greedy_result(pool, 5), {}, by=by))
    if run_id is not None:
        assert wcon.execute("SELECT created_by, status, matched FROM match_runs WHERE run_id = ?",
                            [run_id]).fetchone() == (users[role].actor, "proposed", 10)


@pytest.mark.parametrize("role", ROLES)
def test_run_matching(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    # A pool of 24 keeps the solver quick; the rest of 2017A waits.
    wcon.execute("""UPDATE applications SET status = 'waitlisted', status_reason = 'test: a small pool'
                    WHERE round_id = ? AND status = 'accepted' AND application_id NOT IN (
                        SELECT application_id FROM applications WHERE round_id = ? AND status = 'accepted'
                        ORDER BY application_id LIMIT 24)""", [ROUND, ROUND])
    settings = matchstore.RunSettings(time_limit=2)
    out = _as(wcon, role, users, lambda by: matchstore.run_matching(wcon, ROUND, settings, by=by))
    if out is not None:
        run_id, result = out
        assert result.people == 24
        assert wcon.execute("SELECT created_by, people, matched FROM match_runs WHERE run_id = ?",
                            [run_id]).fetchone() == (users[role].actor, 24, result.matched)


@pytest.mark.parametrize("role", ROLES)
def test_lock_partnership(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _proposed_run(wcon, users)
    pid, ids = _partnership(wcon, run_id)
    version = _version(wcon, run_id)
    new = _as(wcon, role, users, lambda by: matchstore.lock_partnership(wcon, run_id, pid, version, by=by))
    locked = wcon.execute("SELECT is_locked FROM partnerships WHERE partnership_id = ?", [pid]).fetchone()
    rules = wcon.execute("SELECT application_a_id, application_b_id, created_by FROM match_rules").fetchall()
    if new is None:
        assert locked == (False,) and rules == []
    else:
        assert new == version + 1 and locked == (True,)
        assert rules == [(ids[0], ids[1], users[role].actor)]


@pytest.mark.parametrize("role", ROLES)
def test_break_partnership(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _proposed_run(wcon, users)
    pid, _ = _partnership(wcon, run_id)
    version = _version(wcon, run_id)
    new = _as(wcon, role, users, lambda by: matchstore.break_partnership(wcon, run_id, pid, version, by=by))
    status = wcon.execute("SELECT status FROM partnerships WHERE partnership_id = ?", [pid]).fetchone()
    assert status == (("proposed",) if new is None else ("broken",))
    assert matchstore.run_row(wcon, run_id)["matched"] == (40 if new is None else 38)


@pytest.mark.parametrize("role", ROLES)
def test_check_pairing_and_pair_by_hand(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _proposed_run(wcon, users)
    pid, ids = _partnership(wcon, run_id, 1)
    version = matchstore.break_partnership(wcon, run_id, pid, _version(wcon, run_id), by=users["director"])
    if role in RULES[Action.MATCH]:
        assert isinstance(matchstore.check_pairing(wcon, ROUND, ids, by=users[role], run_id=run_id), list)
    else:
        with pytest.raises(NotAllowed, match=MATCH_REFUSED):
            matchstore.check_pairing(wcon, ROUND, ids, by=users[role], run_id=run_id)
    pairing = _as(wcon, role, users, lambda by: matchstore.pair_by_hand(wcon, run_id, ids, version, by=by))
    free = set(matchstore.run_unmatched(wcon, run_id, by=users["director"])["application_id"])
    if pairing is None:
        assert set(ids) <= free
    else:
        assert pairing.version == version + 1 and not set(ids) & free
        assert matchstore.run_row(wcon, run_id)["matched"] == 40


@pytest.mark.parametrize("role", ROLES)
def test_add_rule(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    pool = matchstore.load_pool(wcon, ROUND, by=users["director"])
    a, b = pool.applicants[0].application_id, pool.applicants[1].application_id
    rule_id = _as(wcon, role, users,
                  lambda by: matchstore.add_rule(wcon, ROUND, "forbid", a, b, by=by, reason="test"))
    forbidden = matchstore.load_pool(wcon, ROUND, by=users["director"]).rules.forbidden
    assert forbidden == (set() if rule_id is None else {frozenset({a, b})})


@pytest.mark.parametrize("role", ROLES)
def test_remove_rule(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    pool = matchstore.load_pool(wcon, ROUND, by=users["director"])
    a = pool.applicants[0].application_id
    rule_id = matchstore.add_rule(wcon, ROUND, "exclude", a, by=users["director"], reason="test")
    _as(wcon, role, users, lambda by: matchstore.remove_rule(wcon, rule_id, by=by))
    excluded = matchstore.load_pool(wcon, ROUND, by=users["director"]).rules.excluded
    assert excluded == (frozenset() if role in RULES[Action.MATCH] else frozenset({a}))


@pytest.mark.parametrize("role", ROLES)
def test_publish_run(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _proposed_run(wcon, users)
    _as(wcon, role, users, lambda by: matchstore.publish_run(wcon, run_id, by=by))
    published = role in RULES[Action.MATCH]
    assert matchstore.round_row(wcon, ROUND)["status"] == ("running" if published else "matching")
    assert matchstore.run_row(wcon, run_id)["status"] == ("published" if published else "proposed")


# --- reads that return people ------------------------------------------------------------------------


def _refused_personal(role: str) -> bool:
    return role not in RULES[Action.VIEW_PERSONAL]


def _published_run(con: db.Connection) -> int:
    (run_id,) = con.execute("SELECT run_id FROM match_runs WHERE round_id = ? AND status = 'published'",
                            [PUBLISHED]).fetchone()  # type: ignore[misc]
    return int(run_id)


@pytest.mark.parametrize("role", ROLES)
def test_run_partnerships_by_role(con: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _published_run(con)
    if _refused_personal(role):
        with pytest.raises(NotAllowed, match="may not see participants' names"):
            matchstore.run_partnerships(con, run_id, by=users[role])
        return
    parts = matchstore.run_partnerships(con, run_id, by=users[role])
    if role != "country":
        (n,) = con.execute("SELECT count(*) FROM partnerships WHERE run_id = ? AND status <> 'broken'",
                           [run_id]).fetchone()  # type: ignore[misc]
        assert len(parts) == n == 424
        assert all(s is not None for sectors in parts["sectors"] for s in sectors)
        return
    # nokafor: the 53 partnerships of 2016B with a member in Nigeria, Ghana or Cameroon
    assert len(parts) == 53
    for row in parts.itertuples():
        assert any(c in NOKAFOR for c in row.countries)
        for i, (name, country) in enumerate(zip(row.names, row.countries, strict=True)):
            shown = [row.person_a, row.person_b, row.person_c][i]
            if country in NOKAFOR:
                assert shown == f"{name} ({country}, {row.sectors[i]}, {row.stages[i]})" and row.sectors[i]
            else:  # someone from elsewhere: name and country only
                assert shown == f"{name} ({country})" and row.sectors[i] is None and row.stages[i] is None
    whole = parts[[all(c in NOKAFOR for c in cs) for cs in parts["countries"]]]
    assert [sorted(cs) for cs in whole["countries"]] == [["GHA", "NGA"]]


def test_a_country_coordinator_gets_no_explanation_that_describes_someone_else(
        wcon: db.Connection, users: dict[str, User]) -> None:
    wcon.execute("""UPDATE applications SET status = 'waitlisted', status_reason = 'test: a small pool'
                    WHERE round_id = ? AND status = 'accepted' AND application_id NOT IN (
                        SELECT application_id FROM applications WHERE round_id = ? AND status = 'accepted'
                        AND country_iso3 IN ('NGA', 'GHA', 'GBR', 'USA', 'IND') ORDER BY application_id LIMIT 30)""",
                 [ROUND, ROUND])
    run_id, _ = matchstore.run_matching(wcon, ROUND, matchstore.RunSettings(time_limit=2), by=users["director"])
    everyone = matchstore.run_partnerships(wcon, run_id, by=users["director"])
    assert everyone["explanation"].notna().all()
    theirs = matchstore.run_partnerships(wcon, run_id, by=users["country"])
    expected = [pid for pid, cs in zip(everyone["partnership_id"], everyone["countries"], strict=True)
                if set(cs) & set(NOKAFOR)]
    assert sorted(theirs["partnership_id"]) == sorted(expected) and expected
    for row in theirs.itertuples():
        assert pd.notna(row.explanation) == all(c in NOKAFOR for c in row.countries)


@pytest.mark.parametrize("role", ROLES)
def test_run_unmatched_by_role(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    run_id = _proposed_run(wcon, users)
    if _refused_personal(role):
        with pytest.raises(NotAllowed):
            matchstore.run_unmatched(wcon, run_id, by=users[role])
        return
    left = matchstore.run_unmatched(wcon, run_id, by=users[role])
    everyone = 1168 - 40
    if role == "country":
        (n,) = wcon.execute("SELECT count(*) FROM match_unmatched JOIN applications USING (application_id) "
                            "WHERE run_id = ? AND country_iso3 IN ('NGA', 'GHA', 'CMR')",
                            [run_id]).fetchone()  # type: ignore[misc]
        assert 0 < len(left) == n < everyone and set(left["country_iso3"]) <= set(NOKAFOR)
    else:
        assert len(left) == everyone


@pytest.mark.parametrize("role", ROLES)
def test_candidates_by_role(con: db.Connection, users: dict[str, User], role: str) -> None:
    if _refused_personal(role):
        with pytest.raises(NotAllowed):
            matchstore.candidates(con, ROUND, by=users[role])
        return
    pairs = matchstore.candidates(con, ROUND, by=users[role])
    countries = dict(con.execute("SELECT application_id, country_iso3 FROM applications WHERE round_id = ?",
                                 [ROUND]).fetchall())
    inside = [countries[a] in NOKAFOR or countries[b] in NOKAFOR for a, b in zip(pairs["a_id"], pairs["b_id"],
                                                                                strict=True)]
    if role == "country":
        assert all(inside) and len(pairs) == 87_091
    else:
        assert len(pairs) == 594_990 and sum(inside) == 87_091


@pytest.mark.parametrize("role", ROLES)
def test_pool_by_role(con: db.Connection, users: dict[str, User], role: str) -> None:
    if _refused_personal(role):
        with pytest.raises(NotAllowed):
            matchstore.load_pool(con, ROUND, by=users[role])
        return
    pool = matchstore.load_pool(con, ROUND, by=users[role])
    if role == "country":
        assert len(pool.applicants) == 85 and {a.country for a in pool.applicants} == set(NOKAFOR)
    else:
        assert len(pool.applicants) == 1168


@pytest.mark.parametrize("role", ROLES)
def test_rule_table_by_role(wcon: db.Connection, users: dict[str, User], role: str) -> None:
    pool = matchstore.load_pool(wcon, ROUND, by=users["director"])
    first = {c: next(a for a in pool.applicants if a.country == c) for c in ("NGA", "GBR", "USA")}
    matchstore.add_rule(wcon, ROUND, "forbid", first["NGA"].application_id, first["GBR"].application_id,
                        by=users["director"], reason="test")
    matchstore.add_rule(wcon, ROUND, "forbid", first["GBR"].application_id, first["USA"].application_id,
                        by=users["director"], reason="test")
    if _refused_personal(role):
        with pytest.raises(NotAllowed):
            matchstore.rule_table(wcon, ROUND, by=users[role])
        return
    rules = matchstore.rule_table(wcon, ROUND, by=users[role])
    if role == "country":
        assert rules[["name_a", "country_a", "name_b", "country_b"]].values.tolist() == [
            [first["NGA"].name, "NGA", first["GBR"].name, "GBR"]]
        assert len(matchstore.load_pool(wcon, ROUND, by=users[role]).rules.forbidden) == 1
    else:
        assert len(rules) == 2


@pytest.mark.parametrize("role", ROLES)
def test_published_partnerships_by_role(con: db.Connection, users: dict[str, User], role: str) -> None:
    if _refused_personal(role):
        with pytest.raises(NotAllowed, match="may not export participants' data"):
            introductions.published_partnerships(con, PUBLISHED, by=users[role])
        with pytest.raises(NotAllowed):
            introductions.partnerships_csv(con, PUBLISHED, by=users[role])
        return
    members = introductions.published_partnerships(con, PUBLISHED, by=users[role])
    rows = list(csv.DictReader(io.StringIO(
        introductions.partnerships_csv(con, PUBLISHED, by=users[role]).decode("utf-8-sig"))))
    assert len(rows) == len(members)
    if role != "country":
        assert len(members) == 850 and members["email"].notna().all()
        return
    assert members["partnership_id"].nunique() == 53 and len(members) == 106
    inside = members["country_iso3"].isin(NOKAFOR)
    assert inside.sum() == 54
    assert members.loc[inside, "email"].notna().all()
    outside = members[~inside]
    assert outside["name"].notna().all() and outside["country"].notna().all()
    for column in introductions.OUTSIDE_HIDDEN:
        assert outside[column].isna().all(), column
    for row in rows:  # the file says no more than the frame
        assert (row["email"] != "") == (row["country_iso3"] in NOKAFOR)


@pytest.mark.parametrize("role", ROLES)
def test_introductions_by_role(con: db.Connection, users: dict[str, User], role: str) -> None:
    if _refused_personal(role):
        with pytest.raises(NotAllowed):
            introductions.introductions(con, PUBLISHED, by=users[role])
        return
    intros = introductions.introductions(con, PUBLISHED, by=users[role])
    if role != "country":
        assert len(intros) == 424
        return
    # Only the one partnership wholly within NGA, GHA and CMR: the others carry someone else's address.
    assert [sorted(e.split("@")[1].split(".")[1] for _, e in i.to) for i in intros] == [["gh", "ng"]]


def test_a_country_coordinator_without_a_whole_partnership_is_refused_the_introductions(con: db.Connection) -> None:
    nigeria = User("ng-only", "ng@coord.example.org", "Ada Eze", "country", ("NGA",))
    with pytest.raises(NotAllowed, match=r"None of round 2016B's partnerships .* Ada Eze's countries \(NGA\)"):
        introductions.introductions(con, PUBLISHED, by=nigeria)
    assert len(introductions.published_partnerships(con, PUBLISHED, by=nigeria)) > 0
    with pytest.raises(WorkbenchError, match="no published partnerships"):
        introductions.introductions(con, ROUND, by=nigeria)
