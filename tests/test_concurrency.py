"""Several coordinators at once: every kind of edit made by N threads × M edits on one shared connection.

The server keeps one read-write connection and every browser session (a thread) uses its own cursor.
Each test starts THREADS threads together, each with a cursor of one connection; every edit re-reads
the version (as a reloaded page would) and then makes the edit. For every kind of edit it checks:

- no attempt failed with anything but a :class:`~workbench.errors.WorkbenchError` (the clear refusal),
  and no refusal passes DuckDB's own conflict error on to the coordinator;
- the entity's version grew by exactly the number of saved edits (nothing saved was lost);
- the audit log gained exactly one entry per saved edit, for that entity and that action.

An edit is only refused because another one was saved between its read and its write, and each saved
edit can overtake at most one attempt of every other thread, so at least ``attempts / THREADS`` = EDITS
edits must be saved: a run that refuses (nearly) everything fails too.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from workbench import db, matchstore
from workbench.access import User
from workbench.applications import admission
from workbench.errors import WorkbenchError
from workbench.followup import impact, interventions, topics

THREADS = 4
EDITS = 15
ROUND = "2017A"

#: What a saved edit must leave in the audit log: (action, entity, entity_id).
AuditKey = tuple[str, str, str]
#: One edit by thread ``i`` (its ``k``-th) on its own cursor; returns the audit entry it must have written.
Edit = Callable[[db.Connection, int, int], AuditKey]


@dataclass
class Tally:
    saved: Counter[AuditKey] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    refusal_messages: set[str] = field(default_factory=set)
    failed: list[str] = field(default_factory=list)

    @property
    def n_saved(self) -> int:
        return sum(self.saved.values())

    @property
    def n_refused(self) -> int:
        return sum(self.refused.values())



def coordinator(i: int | str) -> User:
    """A coordinator account for thread ``i`` (the audit log names it ``coordinator-i``)."""
    return User(f"coordinator-{i}", f"coordinator-{i}@example.org", f"Coordinator {i}", "coordinator")

def hammer(con: db.Connection, edit: Edit, *, threads: int = THREADS, edits: int = EDITS) -> Tally:
    """Run ``edit`` ``edits`` times in each of ``threads`` threads started together, a cursor each."""
    tally = Tally()
    lock = threading.Lock()
    start = threading.Barrier(threads, timeout=60)

    def worker(i: int) -> None:
        cur = con.cursor()
        try:
            start.wait()
            for k in range(edits):
                try:
                    key = edit(cur, i, k)
                except WorkbenchError as exc:
                    with lock:
                        tally.refused[type(exc).__name__] += 1
                        tally.refusal_messages.add(str(exc))
                except Exception as exc:
                    with lock:
                        tally.failed.append(f"thread {i} edit {k}: {type(exc).__name__}: {exc}")
                else:
                    with lock:
                        tally.saved[key] += 1
        finally:
            cur.close()

    workers = [threading.Thread(target=worker, args=(i,), name=f"coordinator-{i}") for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a coordinator's edits did not finish within two minutes"
    assert tally.n_saved + tally.n_refused + len(tally.failed) == threads * edits
    return tally


def audit_mark(con: db.Connection) -> int:
    (top,) = con.execute("SELECT coalesce(max(audit_id), 0) FROM audit_log").fetchone()  # type: ignore[misc]
    return int(top)


def audit_since(con: db.Connection, mark: int) -> Counter[AuditKey]:
    rows = con.execute("SELECT action, entity, entity_id, count(*) FROM audit_log WHERE audit_id > ? GROUP BY ALL",
                       [mark]).fetchall()
    return Counter({(str(a), str(e), str(i)): int(n) for a, e, i, n in rows})


def version_of(con: db.Connection, table: str, key: str, value: Any) -> int:
    (version,) = con.execute(f"SELECT version FROM {table} WHERE {key} = ?", [value]).fetchone()  # type: ignore[misc]
    return int(version)


def assert_consistent(tally: Tally, *, version_growth: int, audit: Counter[AuditKey]) -> None:
    """The three properties every kind of edit must keep under concurrency."""
    assert tally.failed == [], f"{len(tally.failed)} edits failed with a raw error, e.g. {tally.failed[:3]}"
    raw = [m for m in tally.refusal_messages if "TransactionContext" in m or "Conflict on" in m]
    assert raw == [], f"a refusal shows DuckDB's own error to the coordinator: {raw[:2]}"
    assert tally.n_saved >= EDITS, (f"only {tally.n_saved} of {THREADS * EDITS} edits saved "
                                    f"(refused: {dict(tally.refused)})")
    assert version_growth == tally.n_saved, f"version grew by {version_growth} for {tally.n_saved} saved edits"
    assert audit == tally.saved, f"audit entries {dict(audit)} != saved edits {dict(tally.saved)}"


# --- a database with a proposed run of 2017A, one private copy per test -------------------------


@pytest.fixture(scope="module")
def proposed_db(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    path = tmp_path_factory.mktemp("concurrency") / "proposed.duckdb"
    path.write_bytes(sample_db_path.read_bytes())
    con = db.connect(path)
    try:
        run_id, _ = matchstore.run_matching(con, ROUND, matchstore.RunSettings(time_limit=5), by=coordinator("setup"))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path, run_id


@pytest.fixture
def shared(proposed_db: tuple[Path, int], tmp_path: Path) -> Iterator[tuple[db.Connection, int]]:
    """The server's one read-write connection to a private copy, and the proposed run's id."""
    template, run_id = proposed_db
    path = tmp_path / "workbench.duckdb"
    path.write_bytes(template.read_bytes())
    con = db.connect(path)
    yield con, run_id
    con.close()


def _proposed(con: db.Connection, run_id: int) -> list[int]:
    return [r[0] for r in con.execute(
        "SELECT partnership_id FROM partnerships WHERE run_id = ? AND status = 'proposed' ORDER BY 1", [run_id]
    ).fetchall()]


def _matched(con: db.Connection, run_id: int) -> int:
    (matched,) = con.execute("SELECT matched FROM match_runs WHERE run_id = ?", [run_id]).fetchone()  # type: ignore[misc]
    return int(matched)


# --- the matching: lock, break, pair by hand, forbid -------------------------------------------


def test_lock_and_unlock_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, run_id = shared
    pids = _proposed(con, run_id)[:THREADS]
    before, mark = version_of(con, "match_runs", "run_id", run_id), audit_mark(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        version, locked = cur.execute(
            "SELECT r.version, p.is_locked FROM match_runs AS r JOIN partnerships AS p ON p.run_id = r.run_id "
            "WHERE r.run_id = ? AND p.partnership_id = ?", [run_id, pids[i]]).fetchone()  # type: ignore[misc]
        matchstore.lock_partnership(cur, run_id, pids[i], int(version), by=coordinator(i), locked=not locked)
        return ("unlock pair" if locked else "lock pair", "match_runs", str(run_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "match_runs", "run_id", run_id) - before,
                      audit=audit_since(con, mark))
    # Each pair's lock rule follows its flag: one rule when locked, none when not.
    for pid in pids:
        (locked,) = con.execute("SELECT is_locked FROM partnerships WHERE partnership_id = ?", [pid]).fetchone()  # type: ignore[misc]
        (rules,) = con.execute(
            "SELECT count(*) FROM match_rules WHERE round_id = ? AND kind = 'lock' AND application_a_id IN "
            "(SELECT application_id FROM partnership_members WHERE partnership_id = ?)", [ROUND, pid]
        ).fetchone()  # type: ignore[misc]
        assert rules == (1 if locked else 0), f"partnership {pid}: locked={locked} but {rules} lock rules"


def test_break_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, run_id = shared
    proposed = _proposed(con, run_id)
    assert len(proposed) > THREADS * EDITS
    before, mark, matched = version_of(con, "match_runs", "run_id", run_id), audit_mark(con), _matched(con, run_id)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        version = version_of(cur, "match_runs", "run_id", run_id)
        # Coordinators looking at the same page often pick the same pair: choose among a few.
        live = _proposed(cur, run_id)[: 2 * THREADS]
        matchstore.break_partnership(cur, run_id, random.Random(i * 1000 + k).choice(live), version,
                                     by=coordinator(i))
        return ("break pair", "match_runs", str(run_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "match_runs", "run_id", run_id) - before,
                      audit=audit_since(con, mark))
    (broken,) = con.execute("SELECT count(*) FROM partnerships WHERE run_id = ? AND status = 'broken'",
                            [run_id]).fetchone()  # type: ignore[misc]
    assert broken == tally.n_saved
    assert _matched(con, run_id) == matched - 2 * tally.n_saved  # every pair of the run is a pair, not a trio


def test_pair_by_hand_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, run_id = shared
    # Take apart as many partnerships as there will be attempts: their members wait to be paired again.
    groups: list[list[int]] = []
    for pid in _proposed(con, run_id)[: THREADS * EDITS]:
        ids, _ = matchstore._members(con, pid, run_id)
        matchstore.break_partnership(con, run_id, pid, version_of(con, "match_runs", "run_id", run_id),
                                     by=coordinator("setup"))
        groups.append(ids)
    before, mark, matched = version_of(con, "match_runs", "run_id", run_id), audit_mark(con), _matched(con, run_id)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        version = version_of(cur, "match_runs", "run_id", run_id)
        unmatched = {r[0] for r in cur.execute("SELECT application_id FROM match_unmatched WHERE run_id = ?",
                                               [run_id]).fetchall()}
        free = [g for g in groups if set(g) <= unmatched][: 2 * THREADS]
        matchstore.pair_by_hand(cur, run_id, random.Random(i * 1000 + k).choice(free), version,
                                by=coordinator(i))
        return ("pair by hand", "match_runs", str(run_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "match_runs", "run_id", run_id) - before,
                      audit=audit_since(con, mark))
    (by_hand,) = con.execute("SELECT count(*) FROM partnerships WHERE run_id = ? AND "
                             "score_detail LIKE '%paired by hand%'", [run_id]).fetchone()  # type: ignore[misc]
    assert by_hand == tally.n_saved
    assert _matched(con, run_id) == matched + 2 * tally.n_saved
    twice = con.execute(
        "SELECT pm.application_id FROM partnership_members AS pm JOIN partnerships AS p USING (partnership_id) "
        "WHERE p.run_id = ? AND p.status NOT IN ('broken', 'ended') GROUP BY 1 HAVING count(*) > 1", [run_id]
    ).fetchall()
    assert twice == [], f"people in two partnerships of the run: {twice}"


def test_forbid_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, _ = shared
    # A forbid rule has no version: nothing can make it stale, so every one must be saved, once.
    people = [r[0] for r in con.execute(
        "SELECT application_id FROM applications WHERE round_id = ? AND status = 'accepted' ORDER BY 1 LIMIT ?",
        [ROUND, 2 * THREADS * EDITS]).fetchall()]
    (rules_before,) = con.execute("SELECT count(*) FROM match_rules WHERE kind = 'forbid'").fetchone()  # type: ignore[misc]
    mark = audit_mark(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        n = 2 * (i * EDITS + k)
        cur.execute("SELECT count(*) FROM match_rules WHERE round_id = ?", [ROUND]).fetchone()  # the page reloads
        rule_id = matchstore.add_rule(cur, ROUND, "forbid", people[n], people[n + 1], by=coordinator(i),
                                      reason=f"test {i}-{k}")
        return ("forbid rule", "match_rules", str(rule_id))

    tally = hammer(con, edit)
    (rules_after,) = con.execute("SELECT count(*) FROM match_rules WHERE kind = 'forbid'").fetchone()  # type: ignore[misc]
    assert_consistent(tally, version_growth=int(rules_after) - int(rules_before), audit=audit_since(con, mark))
    assert tally.n_saved == THREADS * EDITS, f"refused: {dict(tally.refused)}"
    pairs = con.execute("SELECT application_a_id, application_b_id FROM match_rules WHERE kind = 'forbid' "
                        "AND reason LIKE 'test %'").fetchall()
    assert sorted(pairs) == sorted((people[n], people[n + 1]) for n in range(0, 2 * THREADS * EDITS, 2))


# --- admission, cases, impact codes, topics ----------------------------------------------------


def test_admission_decisions_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, _ = shared
    # An accepted application of the country with the fewest accepted: accepting it again always fits.
    application_id, country = con.execute(
        """SELECT application_id, country_iso3 FROM applications WHERE round_id = ? AND status = 'accepted'
           AND country_iso3 = (SELECT country_iso3 FROM applications WHERE round_id = ? AND status = 'accepted'
                               GROUP BY 1 ORDER BY count(*), 1 LIMIT 1)
           ORDER BY 1 LIMIT 1""", [ROUND, ROUND]).fetchone()  # type: ignore[misc]
    accepted, live, cap = con.execute(
        "SELECT count(*) FILTER (WHERE a.status = 'accepted' AND a.country_iso3 = ?), "
        "count(*) FILTER (WHERE a.status <> 'withdrawn'), any_value(r.country_cap) "
        "FROM applications AS a JOIN rounds AS r USING (round_id) WHERE a.round_id = ?", [country, ROUND]
    ).fetchone()  # type: ignore[misc]
    assert accepted + 1 <= float(cap) * int(live) / 2  # far below the round's cap: no decision can reach it
    before, mark = version_of(con, "applications", "application_id", application_id), audit_mark(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        version, status = cur.execute("SELECT version, status FROM applications WHERE application_id = ?",
                                      [application_id]).fetchone()  # type: ignore[misc]
        target = "waitlisted" if status == "accepted" else "accepted"
        admission.decide(cur, application_id, target, version=int(version), reason=f"coordinator {i}, edit {k}",
                         by=coordinator(i))
        return ("waitlist application" if target == "waitlisted" else "accept application", "applications",
                str(application_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "applications", "application_id", application_id) - before,
                      audit=audit_since(con, mark))
    (status,) = con.execute("SELECT status FROM applications WHERE application_id = ?",
                            [application_id]).fetchone()  # type: ignore[misc]
    # Saved decisions alternate, starting from accepted: an odd number leaves it waitlisted.
    assert status == ("waitlisted" if tally.n_saved % 2 else "accepted")


def test_case_updates_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, _ = shared
    (case_id,) = con.execute("SELECT min(intervention_id) FROM interventions WHERE status = 'open'").fetchone()  # type: ignore[misc]
    notes_before = interventions.get_case(con, case_id, by=coordinator("setup")).notes
    before, mark = version_of(con, "interventions", "intervention_id", case_id), audit_mark(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        case = interventions.get_case(cur, case_id, by=coordinator(i))
        target = "resolved" if case.status == "open" else "open"
        interventions.update_case(cur, case_id, case.version, by=coordinator(i), status=target,
                                  note=f"note {i}-{k}")
        return (f"case {target}", "interventions", str(case_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "interventions", "intervention_id", case_id) - before,
                      audit=audit_since(con, mark))
    # Every saved edit appended its note, and none was overwritten by another.
    notes = interventions.get_case(con, case_id, by=coordinator("setup")).notes
    added = notes[len(notes_before):].strip().splitlines() if notes_before else notes.splitlines()
    assert len(added) == tally.n_saved
    assert len({line.rsplit(": ", 1)[1] for line in added}) == tally.n_saved


def test_impact_codes_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, _ = shared
    (survey_id,) = con.execute("SELECT min(survey_id) FROM surveys WHERE NOT codes_confirmed").fetchone()  # type: ignore[misc]
    before, mark = version_of(con, "surveys", "survey_id", survey_id), audit_mark(con)
    codes = impact.codes(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        version = version_of(cur, "surveys", "survey_id", survey_id)
        impact.confirm_codes(cur, survey_id, version, [codes[(i + k) % len(codes)], codes[k % len(codes)]],
                             by=coordinator(i))
        return ("code impact answer", "surveys", str(survey_id))

    tally = hammer(con, edit)
    assert_consistent(tally, version_growth=version_of(con, "surveys", "survey_id", survey_id) - before,
                      audit=audit_since(con, mark))
    (confirmed,) = con.execute("SELECT codes_confirmed FROM surveys WHERE survey_id = ?", [survey_id]).fetchone()  # type: ignore[misc]
    assert confirmed is True


def test_topic_edits_by_several_coordinators(shared: tuple[db.Connection, int]) -> None:
    con, _ = shared
    topic = topics.round_topics(con, ROUND)[1]
    before, mark = topic.version, audit_mark(con)

    def edit(cur: db.Connection, i: int, k: int) -> AuditKey:
        current = topics.get_topic(cur, topic.topic_id)
        topics.update_topic(cur, topic.topic_id, current.version, title=f"Edited by coordinator {i} ({k})",
                            body=current.body, send_on=current.send_on, by=coordinator(i))
        return ("edit topic", "topics", str(topic.topic_id))

    tally = hammer(con, edit)
    after = topics.get_topic(con, topic.topic_id)
    assert_consistent(tally, version_growth=after.version - before, audit=audit_since(con, mark))
    assert after.title.startswith("Edited by coordinator ")
    assert (after.body, after.send_on) == (topic.body, topic.send_on)
