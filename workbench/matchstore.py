"""The matching in the database: pools, runs, coordinator edits, publishing and exports.

The engine (``workbench.matching``) knows nothing of DuckDB; this module turns a round's accepted
applications and coordinator rules into its inputs, stores what it returns as a proposed run, lets
coordinators edit that run (lock, break, pair by hand, forbid, exclude) under optimistic versioning,
and publishes a run as the round's partnerships. Every change is audited.

Access (:mod:`workbench.access`): every change takes the signed-in user as ``by`` and needs
:attr:`~workbench.access.Action.MATCH` (directors and coordinators: country coordinators, analysts and
presenters are refused, so the Matching page is not theirs). Every read that returns people (the pool,
the rules, a run's partnerships and unmatched people, candidate pairs) takes ``by`` and needs
:attr:`~workbench.access.Action.VIEW_PERSONAL`; a country coordinator gets only what involves their
countries, and a partnership's members from elsewhere keep only their name and country. Figures
(:func:`runs`, :func:`compare_runs`) take no user.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import Action, User, country_scope, require, scope_frame
from workbench.applications.round import load_round
from workbench.db import Connection
from workbench.errors import NotFound, StaleEdit, WorkbenchError
from workbench.matching import feasible_pairs, match
from workbench.matching import model as m
from workbench.matching.rules import OneSideOnly, check_cross_border, hard_rule_broken, one_side_only
from workbench.matching.scoring import explain_pair
from workbench.messages import outbox
from workbench.program.settings import get_setting
from workbench.program.vocabularies import Vocabulary, vocabularies


class RuleViolation(WorkbenchError):
    """A hand edit that breaks a hard rule; the message names the people and the rule."""


@dataclass
class Pool:
    """A round's matching input as read from the database."""

    round_id: str
    applicants: list[m.Applicant]
    rules: m.MatchRules
    rule_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the program's vocabularies the applicants were read with (labels for explanations and pages)
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)

    def by_id(self) -> dict[int, m.Applicant]:
        return {a.application_id: a for a in self.applicants}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def round_row(con: Connection, round_id: str) -> dict[str, Any]:
    """The round as a dict (round_id, label, status, seq, version); :class:`NotFound` names the known rounds.
    The round itself, with ``is_open``: :func:`workbench.applications.round.load_round`."""
    rnd = load_round(con, round_id)
    return {"round_id": rnd.round_id, "label": rnd.label, "status": rnd.status, "seq": rnd.seq,
            "version": rnd.version}


def load_pool(con: Connection, round_id: str, *, by: User) -> Pool:
    """The round's accepted applicants, with their past partners, and the coordinators' rules.

    Needs VIEW_PERSONAL. A country coordinator gets the applicants of their countries and the rules
    involving them (a partial pool: the engine is run on the whole one, by :func:`run_matching`).
    """
    require(by, Action.VIEW_PERSONAL, what="The matching pool")
    pool = _pool(con, round_id)
    scope = country_scope(by)
    if scope is None:
        return pool
    rows = _scope_rules(pool.rule_rows, scope)
    return Pool(round_id, [a for a in pool.applicants if a.country in scope],
                _rules_from(rows, pool.rules.cross_border), rows, pool.vocabularies)


class _Canonical:
    """Stored values as the program's vocabularies name them now: a value kept as written by an import and
    later made a synonym (or a merged term's old value) counts as the term it names, so two people who wrote
    the same interest differently share it. Values the vocabulary does not know are kept as they are."""

    def __init__(self, vocabularies: dict[str, Vocabulary]) -> None:
        self._voc = vocabularies
        self._memo: dict[tuple[str, str], str] = {}

    def one(self, kind: str, value: str | None) -> str | None:
        if value is None:
            return None
        key = (kind, value)
        found = self._memo.get(key)
        if found is None:
            voc = self._voc.get(kind)
            found = self._memo[key] = (voc.lookup(value) if voc is not None else None) or value
        return found

    def many(self, kind: str, values: Iterable[str]) -> frozenset[str]:
        return frozenset(self.one(kind, v) or v for v in values)


def _pool(con: Connection, round_id: str) -> Pool:
    """The whole pool, for the engine and the hard-rule checks (callers have asked :mod:`access`)."""
    rnd = round_row(con, round_id)
    rows = con.execute(
        """
        WITH history AS (
            SELECT x.person_id, list(DISTINCT y.person_id) AS partners, list(DISTINCT y.country_iso3) AS countries
            FROM participants AS x
            JOIN participants AS y ON y.partnership_id = x.partnership_id AND y.person_id <> x.person_id
            WHERE x.round_seq < ?
            GROUP BY x.person_id
        )
        SELECT a.application_id, a.person_id, a.name, a.country_iso3, a.sector, a.career_stage, a.interests,
            a.languages, a.utc_offset_minutes, a.partner_sector, a.partner_stage, a.partner_interests,
            coalesce(h.partners, []), coalesce(h.countries, []), a.organisation
        FROM applications AS a LEFT JOIN history AS h ON h.person_id = a.person_id
        WHERE a.round_id = ? AND a.status = 'accepted'
        ORDER BY a.application_id
        """,
        [rnd["seq"], round_id],
    ).fetchall()
    voc = vocabularies(con)
    term = _Canonical(voc)
    applicants = [
        m.Applicant(
            application_id=r[0], person_id=r[1], name=r[2], country=r[3], sector=term.one("sector", r[4]) or r[4],
            career_stage=term.one("career_stage", r[5]) or r[5], interests=term.many("interest", r[6]),
            languages=term.many("language", r[7]), utc_offset_minutes=r[8],
            partner_sector=term.one("sector", r[9]), partner_stage=term.one("career_stage", r[10]),
            partner_interests=term.many("interest", r[11]),
            past_partners=frozenset(r[12]), past_partner_countries=frozenset(r[13]), organisation=r[14],
        )
        for r in rows
    ]
    rules = _rule_table(con, round_id)
    return Pool(round_id, applicants, _rules_from(rules, cross_border(con)), rules, voc)


def cross_border(con: Connection) -> m.CrossBorder:
    """The program's cross-border rule (the setting ``cross_border``: country, region, organisation, none)."""
    return check_cross_border(str(get_setting(con, "cross_border")))


def rule_table(con: Connection, round_id: str, *, by: User) -> pd.DataFrame:
    """The round's locks, forbidden pairs and exclusions, with names, newest first.

    Needs VIEW_PERSONAL; a country coordinator sees the rules involving someone from their countries.
    """
    require(by, Action.VIEW_PERSONAL, what="The matching rules")
    rules = _rule_table(con, round_id)
    scope = country_scope(by)
    return rules if scope is None else _scope_rules(rules, scope)


def _scope_rules(rules: pd.DataFrame, scope: Sequence[str]) -> pd.DataFrame:
    if rules.empty:
        return rules
    inside = rules["country_a"].isin(scope) | rules["country_b"].isin(scope)
    return rules[inside].reset_index(drop=True)


def _rule_table(con: Connection, round_id: str) -> pd.DataFrame:
    return con.execute(
        """
        SELECT r.rule_id, r.kind, r.application_a_id, a.name AS name_a, a.country_iso3 AS country_a,
            r.application_b_id, b.name AS name_b, b.country_iso3 AS country_b, r.reason, r.created_by, r.created_at
        FROM match_rules AS r
        JOIN applications AS a ON a.application_id = r.application_a_id
        LEFT JOIN applications AS b ON b.application_id = r.application_b_id
        WHERE r.round_id = ?
        ORDER BY r.created_at DESC, r.rule_id DESC
        """,
        [round_id],
    ).df()


def _rules_from(rules: pd.DataFrame, cross_border: m.CrossBorder = "country") -> m.MatchRules:
    locks = [(int(r.application_a_id), int(r.application_b_id)) for r in rules.itertuples() if r.kind == "lock"]
    forbidden = [(int(r.application_a_id), int(r.application_b_id)) for r in rules.itertuples()
                 if r.kind == "forbid"]
    excluded = [int(r.application_a_id) for r in rules.itertuples() if r.kind == "exclude"]
    return m.MatchRules.of(locks=_merge_locks(locks), forbidden=forbidden, excluded=excluded,
                           cross_border=cross_border)


def _merge_locks(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, ...]]:
    """Lock rules are stored as pairs; people linked by locks form one partnership (a pair or a trio)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for x in list(parent):
        groups.setdefault(find(x), []).append(x)
    return [tuple(sorted(g)) for g in sorted(groups.values(), key=min)]


# --- runs --------------------------------------------------------------------------------------


def save_run(con: Connection, round_id: str, result: m.MatchResult, parameters: dict[str, Any], *,
             by: User) -> int:
    """Store an engine result as a proposed run of the round (one transaction); returns its id."""
    require(by, Action.MATCH)
    actor = by.actor
    with db.transaction(con):
        (run_id,) = db.next_ids(con, "match_runs")
        con.execute(
            "INSERT INTO match_runs VALUES (?, ?, ?, ?, ?, 'proposed', ?, ?, ?, ?, ?, ?, ?, 1)",
            [run_id, round_id, _now(), actor, json.dumps(parameters, sort_keys=True), result.status,
             result.people, result.matched, result.objective, result.bound, result.gap, result.seconds],
        )
        groups = result.partnerships
        ids = db.next_ids(con, "partnerships", len(groups))
        locked = {tuple(sorted(lock)) for lock in parameters.get("locks", [])}
        part_rows, member_rows = [], []
        for pid, members in zip(ids, groups, strict=True):
            exp = result.explanations.get(tuple(members)) or result.explanations.get(tuple(sorted(members)))
            detail = None if exp is None else json.dumps(
                {"summary": exp.summary(), "components": exp.components}, sort_keys=True)
            part_rows.append([pid, run_id, round_id, "pair" if len(members) == 2 else "trio",
                              None if exp is None else exp.score, detail, "proposed",
                              tuple(sorted(members)) in locked, _now(), 1])
            member_rows += [[pid, a] for a in members]
        if part_rows:
            con.executemany("INSERT INTO partnerships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", part_rows)
            con.executemany("INSERT INTO partnership_members VALUES (?, ?)", member_rows)
        unmatched = [[run_id, a, r.code, r.reason, r.change] for a, r in sorted(result.reasons.items())]
        if unmatched:
            con.executemany("INSERT INTO match_unmatched VALUES (?, ?, ?, ?, ?)", unmatched)
        db.audit(con, actor=actor, action="run matching", entity="match_runs", entity_id=run_id,
                 after=result.summary())
    return run_id


def run_row(con: Connection, run_id: int) -> dict[str, Any]:
    cur = con.execute("SELECT * FROM match_runs WHERE run_id = ?", [run_id])
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"There is no matching run {run_id}. List the round's runs on the Matching page.")
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def runs(con: Connection, round_id: str) -> pd.DataFrame:
    """The round's runs, newest first, with the quality figures of the ``match_quality`` view."""
    return con.execute("FROM match_quality WHERE round_id = ? ORDER BY run_id DESC", [round_id]).df()


def run_partnerships(con: Connection, run_id: int, *, by: User, include_broken: bool = False) -> pd.DataFrame:
    """One row per partnership of a run: both (or all three) people, score and explanation.

    Needs VIEW_PERSONAL. A country coordinator gets the partnerships with a member from their countries;
    a member from elsewhere shows as name and country only (``person_x`` reads "Name (KEN)", their sector
    and stage are blank), and such a partnership's explanation, which speaks of both, is left out.
    """
    require(by, Action.VIEW_PERSONAL, what="A run's partnerships")
    return _person_columns(_scope_partnerships(_run_partnerships(con, run_id, include_broken), country_scope(by)))


def _run_partnerships(con: Connection, run_id: int, include_broken: bool = False) -> pd.DataFrame:
    return con.execute(
        """
        SELECT p.partnership_id, p.kind, p.status, p.is_locked, p.score,
            json_extract_string(p.score_detail, '$.summary') AS explanation,
            list(a.application_id ORDER BY a.application_id) AS application_ids,
            list(a.name ORDER BY a.application_id) AS names,
            list(a.country_iso3 ORDER BY a.application_id) AS countries,
            list(a.sector ORDER BY a.application_id) AS sectors,
            list(a.career_stage ORDER BY a.application_id) AS stages
        FROM partnerships AS p
        JOIN partnership_members AS pm ON pm.partnership_id = p.partnership_id
        JOIN applications AS a ON a.application_id = pm.application_id
        WHERE p.run_id = ? AND (? OR p.status <> 'broken')
        GROUP BY ALL
        ORDER BY p.partnership_id
        """,
        [run_id, include_broken],
    ).df()


def _scope_partnerships(frame: pd.DataFrame, scope: Sequence[str] | None) -> pd.DataFrame:
    """A country coordinator's part: partnerships with a member in ``scope``, the others reduced."""
    if scope is None or frame.empty:
        return frame
    inside = [any(c in scope for c in countries) for countries in frame["countries"]]
    out = frame[inside].reset_index(drop=True).copy()
    for column in ("sectors", "stages"):
        out[column] = [[v if c in scope else None for v, c in zip(values, countries, strict=True)]
                       for values, countries in zip(out[column], out["countries"], strict=True)]
    whole = [all(c in scope for c in countries) for countries in out["countries"]]
    out["explanation"] = [e if w else None for e, w in zip(out["explanation"], whole, strict=True)]
    return out


def _person_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``person_a``, ``person_b``, ``person_c``: "Name (country, sector, stage)", or "Name (country)"."""
    for i, who in enumerate(("a", "b", "c")):
        cells = []
        for n, c, s, st in zip(frame["names"], frame["countries"], frame["sectors"], frame["stages"], strict=True):
            if i >= len(n):
                cells.append("")
            elif s[i] is None:
                cells.append(f"{n[i]} ({c[i]})")
            else:
                cells.append(f"{n[i]} ({c[i]}, {s[i]}, {st[i]})")
        frame[f"person_{who}"] = cells
    return frame


def run_unmatched(con: Connection, run_id: int, *, by: User) -> pd.DataFrame:
    """Who the run leaves without a partner, why, and the smallest change that would place them.

    Needs VIEW_PERSONAL; a country coordinator sees the people of their countries.
    """
    require(by, Action.VIEW_PERSONAL, what="A run's unmatched people")
    frame = con.execute(
        """
        SELECT u.application_id, a.name, a.country_iso3, a.sector, a.career_stage, a.languages,
            u.code, u.reason, u.change
        FROM match_unmatched AS u JOIN applications AS a ON a.application_id = u.application_id
        WHERE u.run_id = ?
        ORDER BY a.name
        """,
        [run_id],
    ).df()
    return scope_frame(by, frame, "country_iso3")


def _bump_run(con: Connection, run_id: int, version: int, *, actor: str, action: str,
              detail: dict[str, Any]) -> int:
    run = run_row(con, run_id)
    if run["status"] != "proposed":
        raise StaleEdit(f"Run {run_id} is {run['status']}; only a proposed run can be edited. "
                        "Run the matching again to get a new proposal.")
    return db.update_versioned(con, "match_runs", "run_id", run_id, version, {}, actor=actor, action=action,
                               detail=detail)


def _members(con: Connection, partnership_id: int, run_id: int) -> tuple[list[int], dict[str, Any]]:
    cur = con.execute("SELECT * FROM partnerships WHERE partnership_id = ? AND run_id = ?", [partnership_id, run_id])
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"Partnership {partnership_id} is not in run {run_id}. Reload the page.")
    info = dict(zip([d[0] for d in cur.description], row, strict=True))
    ids = [r[0] for r in con.execute(
        "SELECT application_id FROM partnership_members WHERE partnership_id = ? ORDER BY 1", [partnership_id]
    ).fetchall()]
    return ids, info


def lock_partnership(con: Connection, run_id: int, partnership_id: int, version: int, *, by: User,
                     locked: bool = True) -> int:
    """Keep (or stop keeping) a partnership through re-runs; returns the run's new version."""
    require(by, Action.MATCH)
    actor = by.actor
    with db.transaction(con):
        new = _bump_run(con, run_id, version, actor=actor, action="lock pair" if locked else "unlock pair",
                        detail={"partnership_id": partnership_id})
        ids, info = _members(con, partnership_id, run_id)
        if info["status"] != "proposed":
            raise StaleEdit(f"Partnership {partnership_id} is {info['status']}; reload the page.")
        con.execute("UPDATE partnerships SET is_locked = ?, version = version + 1 WHERE partnership_id = ?",
                    [locked, partnership_id])
        _set_lock_rules(con, info["round_id"], ids, locked, actor=actor)
    return new


def _set_lock_rules(con: Connection, round_id: str, ids: Sequence[int], locked: bool, *, actor: str) -> None:
    con.execute(
        "DELETE FROM match_rules WHERE round_id = ? AND kind = 'lock' AND (application_a_id IN ? "
        "OR application_b_id IN ?)",
        [round_id, list(ids), list(ids)],
    )
    if locked:
        for b in ids[1:]:
            (rule_id,) = db.next_ids(con, "match_rules")
            con.execute("INSERT INTO match_rules VALUES (?, ?, 'lock', ?, ?, ?, ?, ?)",
                        [rule_id, round_id, ids[0], b, "kept by a coordinator", actor, _now()])


def break_partnership(con: Connection, run_id: int, partnership_id: int, version: int, *, by: User) -> int:
    """Take a proposed partnership apart; its members become unmatched. Returns the run's new version."""
    require(by, Action.MATCH)
    actor = by.actor
    with db.transaction(con):
        new = _bump_run(con, run_id, version, actor=actor, action="break pair",
                        detail={"partnership_id": partnership_id})
        ids, info = _members(con, partnership_id, run_id)
        if info["status"] != "proposed":
            raise StaleEdit(f"Partnership {partnership_id} is already {info['status']}; reload the page.")
        con.execute("UPDATE partnerships SET status = 'broken', is_locked = false, version = version + 1 "
                    "WHERE partnership_id = ?", [partnership_id])
        _set_lock_rules(con, info["round_id"], ids, False, actor=actor)
        for a in ids:
            con.execute(
                "INSERT OR REPLACE INTO match_unmatched VALUES (?, ?, 'broken', ?, ?)",
                [run_id, a, f"Their partnership was taken apart by {actor}.",
                 "Pair them by hand, or run the matching again."],
            )
        con.execute("UPDATE match_runs SET matched = matched - ? WHERE run_id = ?", [len(ids), run_id])
    return new


@dataclass(frozen=True)
class HandPairing:
    partnership_id: int
    version: int
    warnings: list[str]
    explanation: str


def check_pairing(con: Connection, round_id: str, ids: Sequence[int], *, by: User,
                  run_id: int | None = None) -> list[str]:
    """Hard rules for putting ``ids`` together (raises :class:`RuleViolation`); returns soft warnings.

    The dry run of :func:`pair_by_hand`, so it needs MATCH (its messages name the people).
    """
    require(by, Action.MATCH)
    if len(set(ids)) not in (2, 3) or len(set(ids)) != len(ids):
        raise RuleViolation("Choose two or three different people to pair.")
    pool = _pool(con, round_id)
    people = pool.by_id()
    missing = [a for a in ids if a not in people]
    if missing:
        raise RuleViolation(f"Application(s) {', '.join(map(str, missing))} are not accepted applicants of "
                            f"{round_id}; only accepted applicants can be paired.")
    if any(a in pool.rules.excluded for a in ids):
        who = ", ".join(people[a].name for a in ids if a in pool.rules.excluded)
        raise RuleViolation(f"{who} is excluded from this round's matching; lift the exclusion first.")
    if run_id is not None:
        busy = con.execute(
            """SELECT a.name FROM partnership_members AS pm JOIN partnerships AS p USING (partnership_id)
               JOIN applications AS a ON a.application_id = pm.application_id
               WHERE p.run_id = ? AND p.status NOT IN ('broken', 'ended') AND pm.application_id IN ?""",
            [run_id, list(ids)],
        ).fetchall()
        if busy:
            raise RuleViolation(f"{', '.join(r[0] for r in busy)} already has a partner in this run; "
                                "break that partnership first.")
    warnings: list[str] = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            why = hard_rule_broken(people[a], people[b], pool.rules.forbidden, cross_border=pool.rules.cross_border)
            if why:
                raise RuleViolation(f"{people[a].name} ({people[a].country}) and {people[b].name} "
                                    f"({people[b].country}) cannot be partners: {why}.")
            exp = explain_pair(people[a], people[b], m.Weights(), cross_border=pool.rules.cross_border)
            if not exp.shared_interests:
                warnings.append(f"{people[a].name} and {people[b].name} share no interest.")
            unmet = [w for w in exp.wishes if not w.met]
            for w in unmet:
                holder = people[w.holder].name
                warnings.append(f"{holder} wished for a partner with {w.kind} {w.wanted}: not met.")
            if exp.hours_overlap == 0:
                warnings.append(f"{people[a].name} and {people[b].name} have no working hours in common.")
    return warnings


def pair_by_hand(con: Connection, run_id: int, ids: Sequence[int], version: int, *, by: User) -> HandPairing:
    """Pair two (or three) unmatched people of a proposed run; the new partnership is locked."""
    require(by, Action.MATCH)
    actor = by.actor
    ids = sorted(int(a) for a in ids)
    run = run_row(con, run_id)
    warnings = check_pairing(con, run["round_id"], ids, by=by, run_id=run_id)
    pool = _pool(con, run["round_id"])
    people = pool.by_id()
    links = [explain_pair(people[a], people[b], m.Weights(), cross_border=pool.rules.cross_border)
             for i, a in enumerate(ids) for b in ids[i + 1:]]
    score = sum(link.score for link in links) / (1 if len(ids) == 2 else 2)
    with db.transaction(con):
        new = _bump_run(con, run_id, version, actor=actor, action="pair by hand", detail={"members": ids})
        (pid,) = db.next_ids(con, "partnerships")
        detail = json.dumps({"summary": " | ".join(link.summary() for link in links) + " (paired by hand)",
                             "components": {}}, sort_keys=True)
        con.execute("INSERT INTO partnerships VALUES (?, ?, ?, ?, ?, ?, 'proposed', true, ?, 1)",
                    [pid, run_id, run["round_id"], "pair" if len(ids) == 2 else "trio", score, detail, _now()])
        con.executemany("INSERT INTO partnership_members VALUES (?, ?)", [[pid, a] for a in ids])
        con.execute("DELETE FROM match_unmatched WHERE run_id = ? AND application_id IN ?", [run_id, ids])
        con.execute("UPDATE match_runs SET matched = matched + ? WHERE run_id = ?", [len(ids), run_id])
        _set_lock_rules(con, run["round_id"], ids, True, actor=actor)
    return HandPairing(pid, new, warnings, " | ".join(link.summary() for link in links))


def add_rule(con: Connection, round_id: str, kind: str, a: int, b: int | None = None, *, by: User,
             reason: str = "") -> int:
    """Forbid a pair or exclude a person from the round's matching (kept for every later run)."""
    require(by, Action.MATCH)
    actor = by.actor
    if kind not in {"forbid", "exclude"}:
        raise ValueError(f"unknown rule kind {kind!r}")
    if kind == "forbid" and (b is None or a == b):
        raise RuleViolation("Forbidding needs two different people.")
    round_row(con, round_id)
    with db.transaction(con):
        (rule_id,) = db.next_ids(con, "match_rules")
        con.execute("INSERT INTO match_rules VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [rule_id, round_id, kind, a, b if kind == "forbid" else None, reason or None, actor, _now()])
        db.audit(con, actor=actor, action=f"{kind} rule", entity="match_rules", entity_id=rule_id,
                 after={"kind": kind, "a": a, "b": b, "reason": reason})
    return rule_id


def remove_rule(con: Connection, rule_id: int, *, by: User) -> None:
    """Lift a lock, a forbidden pair or an exclusion."""
    require(by, Action.MATCH)
    actor = by.actor
    with db.transaction(con):
        row = con.execute("SELECT kind, application_a_id, application_b_id FROM match_rules WHERE rule_id = ?",
                          [rule_id]).fetchone()
        if row is None:
            raise StaleEdit(f"Rule {rule_id} was already removed; reload the page.")
        con.execute("DELETE FROM match_rules WHERE rule_id = ?", [rule_id])
        db.audit(con, actor=actor, action="remove rule", entity="match_rules", entity_id=rule_id,
                 before={"kind": row[0], "a": row[1], "b": row[2]})


def run_numbers(con: Connection, round_id: str) -> dict[int, int]:
    """Each run of the round -> its number within the round (1 for the first), as coordinators count them."""
    rows = con.execute("SELECT run_id, row_number() OVER (ORDER BY run_id) FROM match_runs WHERE round_id = ?",
                       [round_id]).fetchall()
    return {int(r): int(n) for r, n in rows}


def run_label(con: Connection, run_id: int) -> str:
    """``Run 2 of 2017B``: the run's number within its round, not its id across rounds."""
    run = run_row(con, run_id)
    return f"Run {run_numbers(con, run['round_id'])[run_id]} of {run['round_id']}"


def publish_run(con: Connection, run_id: int, *, by: User, version: int | None = None,
                queue_introductions: bool = False) -> Any:
    """Make a proposed run the round's partnerships: the round starts running.

    With ``queue_introductions``, the round's introductions are then queued in the outbox
    (:func:`workbench.messages.outbox.queue_introductions`, which needs the SEND action) and what was queued
    is returned; otherwise None. Publishing stands even if queuing is refused.
    """
    require(by, Action.MATCH)
    actor = by.actor
    run = run_row(con, run_id)
    rnd = load_round(con, run["round_id"])
    if run["status"] != "proposed":
        raise StaleEdit(f"Run {run_id} is {run['status']}, not proposed: nothing to publish.")
    if not rnd.is_open:
        raise WorkbenchError(f"Round {rnd.round_id} is {rnd.status}: its partnerships are already out. "
                             "Publishing another run now would change partners mid-round.")
    with db.transaction(con):
        db.update_versioned(con, "match_runs", "run_id", run_id, version if version is not None else run["version"],
                            {"status": "published"}, actor=actor, action="publish matching")
        con.execute("UPDATE match_runs SET status = 'discarded' WHERE round_id = ? AND run_id <> ? "
                    "AND status IN ('proposed', 'published')", [run["round_id"], run_id])
        con.execute("UPDATE partnerships SET status = 'active', version = version + 1 "
                    "WHERE run_id = ? AND status = 'proposed'", [run_id])
        db.update_versioned(con, "rounds", "round_id", rnd.round_id, rnd.version, {"status": "running"},
                            actor=actor, action="start round")
    if not queue_introductions:
        return None
    return outbox.queue_introductions(con, rnd.round_id, by=by)


def compare_runs(con: Connection, run_a: int, run_b: int) -> pd.DataFrame:
    """Two runs side by side: their figures and how many partnerships they share."""
    quality = con.execute("FROM match_quality WHERE run_id IN (?, ?)", [run_a, run_b]).df().set_index("run_id")
    if len(quality) != 2:
        raise NotFound("Pick two existing runs to compare.")
    sets = {}
    for run in (run_a, run_b):
        sets[run] = {tuple(x) for x in _run_partnerships(con, run)["application_ids"]}
    figures = ["people", "matched", "pairs", "trios", "share_sharing_interest", "share_wishes_met", "countries",
               "objective", "bound", "gap", "seconds", "status"]
    table = quality.loc[[run_a, run_b], figures].T
    table.columns = [f"run {run_a}", f"run {run_b}"]
    common = len(sets[run_a] & sets[run_b])
    table.loc["partnerships in common"] = [common, common]
    return table.reset_index(names="figure")


# --- running the engine ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSettings:
    """What a coordinator chooses for a run."""

    weights: m.Weights = field(default_factory=m.Weights)
    time_limit: float = 20.0
    odd_policy: m.OddPolicy = "trio"

    def as_dict(self) -> dict[str, Any]:
        return {"weights": self.weights.as_dict(), "time_limit": self.time_limit, "odd_policy": self.odd_policy}


def previous_result(con: Connection, round_id: str) -> list[tuple[int, ...]]:
    """The partnerships of the round's latest run (a warm start for the next one)."""
    row = con.execute("SELECT max(run_id) FROM match_runs WHERE round_id = ? AND status <> 'discarded'",
                      [round_id]).fetchone()
    if row is None or row[0] is None:
        return []
    frame = _run_partnerships(con, int(row[0]))
    return [tuple(int(x) for x in ids) for ids in frame["application_ids"]]


def run_matching(con: Connection, round_id: str, settings: RunSettings | None = None, *,
                 by: User, progress: Callable[[str, float], None] | None = None) -> tuple[int, m.MatchResult]:
    """Match the round's accepted applicants under its rules, store the run as proposed."""
    require(by, Action.MATCH)
    settings = settings or RunSettings()
    rnd = load_round(con, round_id)
    if not rnd.is_open:
        raise WorkbenchError(
            f"Round {round_id} is {rnd.status}: its partnerships are published. Matching is for a round "
            "whose applications are in (status open or matching)."
        )
    pool = _pool(con, round_id)
    one_side = one_side_only([a for a in pool.applicants if a.application_id not in pool.rules.excluded],
                             pool.rules.cross_border)
    if one_side is not None:  # a national program under the country rule, say: say what to choose instead
        raise WorkbenchError(f"{one_side}: choose the {one_side.instead} rule in Settings (`workbench settings set "
                             f"cross_border {one_side.instead}`)") from OneSideOnly(one_side)
    previous = [p for p in previous_result(con, round_id)
                if not any(a in pool.rules.excluded for a in p)] or None
    result = match(pool.applicants, pool.rules, settings.weights, time_limit=settings.time_limit,
                   odd_policy=settings.odd_policy, previous=previous, progress=progress)
    params = {**settings.as_dict(), "cross_border": pool.rules.cross_border,
              "locks": [list(x) for x in pool.rules.locks],
              "forbidden": sorted(sorted(x) for x in pool.rules.forbidden), "excluded": sorted(pool.rules.excluded),
              "proof": result.proof, "bound_method": result.bound_method}
    run_id = save_run(con, round_id, result, params, by=by)
    return run_id, result


def candidates(con: Connection, round_id: str, weights: m.Weights | None = None, *, by: User) -> pd.DataFrame:
    """Every feasible pair of the round with the score the objective uses (``a_id, b_id, score``).

    Needs VIEW_PERSONAL (the pairs are people); a country coordinator gets the pairs with someone from
    their countries.
    """
    require(by, Action.VIEW_PERSONAL, what="The candidate pairs")
    pool = _pool(con, round_id)
    rows = list(feasible_pairs(pool.applicants, rules=pool.rules, weights=weights or m.Weights()))
    frame = pd.DataFrame(rows, columns=["a_id", "b_id", "score"])
    scope = country_scope(by)
    if scope is None:
        return frame
    inside = {a.application_id for a in pool.applicants if a.country in scope}
    return frame[frame["a_id"].isin(inside) | frame["b_id"].isin(inside)].reset_index(drop=True)
