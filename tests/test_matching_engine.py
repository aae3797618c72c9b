"""The matching engine: hard rules on every output, the optimum on small cases, rules, trios,
diagnostics, explanations and error messages. Pure Python (no database, no Streamlit)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from itertools import combinations

import networkx as nx
import numpy as np
import pytest

from workbench.errors import WorkbenchError
from workbench.matching import (
    HARD_RULES,
    Applicant,
    ContradictoryRules,
    LockBreaksRule,
    MatchingError,
    MatchResult,
    MatchRules,
    TooFewPeople,
    Weights,
    broken_rules,
    explain_pair,
    feasible_pairs,
    hard_rule_broken,
    make_pool,
    make_random_instance,
    match,
    overlap_minutes,
    pair_score,
)
from workbench.matching import cpsat as cpsat_module
from workbench.matching.scoring import Pool, pair_score_cp


def person(app_id: int, country: str = "AUS", *, languages: tuple[str, ...] = ("English",),
           interests: tuple[str, ...] = ("Library spaces",), offset: int | None = None, **kw: object) -> Applicant:
    offsets = {"AUS": 600, "USA": -300, "GBR": 0, "NGA": 60, "IND": 330, "MEX": -360, "ESP": 60, "NZL": 720,
               "KEN": 180, "BRA": -180, "CAN": -300}
    fields: dict[str, object] = dict(
        application_id=app_id, person_id=1000 + app_id, name=f"Person {app_id}", country=country,
        sector="academic", career_stage="mid", interests=frozenset(interests), languages=frozenset(languages),
        utc_offset_minutes=offsets.get(country, 0) if offset is None else offset,
    )
    fields.update(kw)
    return Applicant(**fields)  # type: ignore[arg-type]


def assert_valid(result: MatchResult, apps: list[Applicant], rules: MatchRules) -> None:
    """Every hard rule, on every partnership; bookkeeping consistent."""
    by_id = {a.application_id: a for a in apps}
    seen: list[int] = []
    for group in result.partnerships:
        assert len(group) in (2, 3)
        seen.extend(group)
        for x, y in combinations(group, 2):
            assert hard_rule_broken(by_id[x], by_id[y], rules.forbidden) is None, (x, y)
            assert x not in rules.excluded and y not in rules.excluded
        assert tuple(sorted(group)) in result.explanations
    assert len(seen) == len(set(seen)), "someone is in two partnerships"
    for lock in rules.locks:
        assert tuple(sorted(lock)) in {tuple(sorted(g)) for g in result.partnerships}
    assert sorted(result.unmatched) == sorted(set(by_id) - set(seen))
    assert set(result.reasons) == set(result.unmatched)
    assert result.people == len(apps) and result.matched == len(seen)
    assert result.objective == pytest.approx(sum(e.score for e in result.explanations.values()), abs=0.01)
    assert result.bound >= result.objective - 1e-6 and result.gap >= 0
    for e in result.explanations.values():
        assert e.score >= 0 and e.score == pytest.approx(sum(e.components.values()), abs=0.01)


def networkx_optimum(apps: list[Applicant], rules: MatchRules, weights: Weights) -> tuple[int, int]:
    """(people matched, total centipoints) of the exact lexicographic optimum over all feasible pairs."""
    graph = nx.Graph()
    for a, b, s in feasible_pairs(apps, rules, weights):
        graph.add_edge(a, b, weight=round(s * 100))
    mates = nx.max_weight_matching(graph, maxcardinality=True)
    return 2 * len(mates), sum(graph[a][b]["weight"] for a, b in mates)


# --- scoring ---------------------------------------------------------------------------------------

def test_vectorised_scores_agree_with_the_readable_rules() -> None:
    weights = Weights(hours_overlap=0.7, new_country=1.3)
    for seed in range(4):
        apps, rules = make_random_instance(30, seed)
        pool = Pool(apps, weights, rules.forbidden)
        s = pool.scores(np.arange(len(apps)))
        for i, a in enumerate(apps):
            for j, b in enumerate(apps):
                expected = -1 if hard_rule_broken(a, b, rules.forbidden) else pair_score_cp(a, b, weights)
                assert s[i, j] == expected, (a, b)


def test_every_hard_rule_a_pair_breaks_is_listed_in_words() -> None:
    a = person(1, "AUS", person_id=7)
    b = person(2, "AUS", languages=("Spanish",), past_partners=frozenset({7}))
    found = broken_rules(a, b, frozenset({frozenset((1, 2))}))
    assert [x.rule for x in found] == ["cross_border", "no_shared_language", "repeat_partnership", "forbidden"]
    assert [str(x) for x in found] == [
        "partners must live in different countries (the country rule; both are in AUS)",
        "partners must share a language (Person 1: English; Person 2: Spanish)",
        "they have been partners before (the program never repeats a partnership)",
        "a coordinator forbade this pair",
    ]
    assert hard_rule_broken(a, b) == found[0].reason
    assert [x.rule for x in broken_rules(a, a)] == ["same_person"]
    assert broken_rules(a, person(3, "USA")) == [] and hard_rule_broken(a, person(3, "USA")) is None
    assert set(HARD_RULES) == {"same_person", "cross_border", "no_shared_language", "repeat_partnership",
                               "forbidden"}


def test_the_engine_has_one_home_for_the_hard_rules() -> None:
    import workbench.matching.rules as rules_module
    import workbench.matching.scoring as scoring_module

    assert hard_rule_broken is rules_module.hard_rule_broken
    assert not hasattr(scoring_module, "hard_rule_broken")


def test_overlap_of_working_days() -> None:
    assert overlap_minutes(600, 600) == 480
    assert overlap_minutes(600, 330) == 210  # Sydney and India: 3.5 hours
    assert overlap_minutes(600, -300) == 0  # Sydney and New York: none
    assert overlap_minutes(720, -660) == overlap_minutes(-660, 720) == 420  # 23 h apart = 1 h


def test_feasible_pairs_are_exactly_the_allowed_pairs() -> None:
    apps, rules = make_random_instance(24, 3)
    got = {(a, b): s for a, b, s in feasible_pairs(apps, rules)}
    for a, b in combinations(apps, 2):
        key = (min(a.application_id, b.application_id), max(a.application_id, b.application_id))
        allowed = (hard_rule_broken(a, b, rules.forbidden) is None
                   and not {a.application_id, b.application_id} & rules.excluded)
        assert (key in got) == allowed
        if allowed:
            assert got[key] == pair_score(a, b, Weights())


def test_weights_are_checked() -> None:
    with pytest.raises(MatchingError, match="partner_stage"):
        Weights(partner_stage=-1)


# --- hard rules and optimality -------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["trio", "waitlist"])
def test_hard_rules_hold_on_random_instances(policy: str) -> None:
    for seed in range(30):
        apps, rules = make_random_instance(6 + 2 * seed, seed, n_countries=2 + seed % 4)
        result = match(apps, rules, odd_policy=policy, time_limit=5)  # type: ignore[arg-type]
        assert_valid(result, apps, rules)
        if policy == "waitlist":
            assert not result.trios


def test_hard_rules_hold_with_neighbourhood_search() -> None:
    """The large-round path (candidate lists, pricing, CP-SAT neighbourhoods) on small instances."""
    for seed in range(6):
        apps, rules = make_random_instance(60, 40 + seed, n_countries=3 + seed % 3)
        result = match(apps, rules, odd_policy="trio", time_limit=1, exact_below=0, k=4)
        assert_valid(result, apps, rules)


def test_summary_has_the_keys_the_cli_prints() -> None:
    result = match(make_pool(30, seed=8), time_limit=2)
    assert set(result.summary()) == {"people", "matched", "pairs", "trios", "unmatched", "objective", "bound",
                                     "gap", "seconds", "status", "proof", "bound_method"}
    data = result.to_dict()
    assert data["pairs"] == [list(p) for p in result.pairs] and data["unmatched"] == result.unmatched


def test_exact_optimum_on_small_instances_matches_networkx() -> None:
    weights = Weights()
    for seed in range(10):
        apps, rules = make_random_instance(12 + 2 * seed, 100 + seed, n_countries=3)
        rules = MatchRules(forbidden=rules.forbidden, excluded=rules.excluded)  # nx knows no locks
        result = match(apps, rules, weights, odd_policy="waitlist", time_limit=10)
        matched, total = networkx_optimum(apps, rules, weights)
        assert result.matched == matched, seed
        assert round(result.objective * 100) == total, seed
        assert result.status == "optimal"
        assert result.bound * 100 >= total - 1e-6


def test_neighbourhood_search_reaches_the_optimum_on_a_mid_size_pool() -> None:
    apps = make_pool(160, seed=4)
    result = match(apps, odd_policy="waitlist", time_limit=4, exact_below=0, k=6)
    assert_valid(result, apps, MatchRules())
    matched, total = networkx_optimum(apps, MatchRules(), Weights())
    assert result.matched == matched
    assert result.objective * 100 >= 0.995 * total
    assert result.bound * 100 >= total - 1  # the bound covers the true optimum


def test_previous_result_warm_start() -> None:
    apps = make_pool(60, seed=5)
    first = match(apps, odd_policy="waitlist", time_limit=5)
    again = match(apps, odd_policy="waitlist", time_limit=5, previous=first)
    assert again.matched == first.matched and again.objective >= first.objective - 1e-9
    assert any("previous" in note for note in again.notes)


# --- locks, forbids, excludes, trios, waitlist ----------------------------------------------------

def _four() -> list[Applicant]:
    lib = ("Library spaces", "Social media")
    return [person(1, "AUS", interests=lib), person(2, "USA", interests=lib),
            person(3, "GBR", interests=("Law libraries",)), person(4, "NGA", interests=("Law libraries",))]


def test_locks_and_forbids_are_kept() -> None:
    apps = _four()
    free = match(apps, odd_policy="waitlist")
    assert (1, 2) in free.pairs and (3, 4) in free.pairs
    locked = match(apps, MatchRules.of(locks=[(1, 3)]), odd_policy="waitlist")
    assert (1, 3) in locked.pairs and (2, 4) in locked.pairs
    assert locked.explanations[(1, 3)].is_locked
    forbidden = match(apps, MatchRules.of(forbidden=[(1, 2)]), odd_policy="waitlist")
    assert (1, 2) not in forbidden.pairs and forbidden.matched == 4


def test_excluded_people_are_never_matched() -> None:
    apps = _four()
    result = match(apps, MatchRules.of(excluded=[2]), odd_policy="waitlist")
    assert 2 not in {x for p in result.partnerships for x in p}
    assert result.reasons[2].code == "excluded" and "excluded by a coordinator" in result.reasons[2].reason


def test_odd_person_joins_a_trio_that_respects_the_rules() -> None:
    apps = [*_four(), person(5, "IND", interests=("Library spaces",))]
    result = match(apps, odd_policy="trio")
    assert result.matched == 5 and len(result.trios) == 1 and not result.unmatched
    trio = result.trios[0]
    assert 5 in trio
    by_id = {a.application_id: a for a in apps}
    for x, y in combinations(trio, 2):
        assert hard_rule_broken(by_id[x], by_id[y]) is None
    explanation = result.explanations[trio]
    assert explanation.kind == "trio" and len(explanation.links) == 3
    assert explanation.score == pytest.approx(sum(link.score for link in explanation.links) / 2)


def test_trio_never_breaks_a_rule() -> None:
    # the odd person shares a country with one member of every pair: no legal trio
    apps = [person(1, "AUS"), person(2, "USA"), person(3, "AUS"), person(4, "USA"), person(5, "USA")]
    result = match(apps, odd_policy="trio")
    assert not result.trios and result.matched == 4
    assert_valid(result, apps, MatchRules())


def test_waitlist_leaves_the_cheapest_person_out_with_a_reason() -> None:
    apps = [*_four(), person(5, "IND", interests=("Children and young people",))]
    result = match(apps, odd_policy="waitlist")
    assert result.unmatched == [5] and not result.trios
    reason = result.reasons[5]
    assert reason.code == "odd_count"
    assert "trio" in reason.change


def test_locked_trio() -> None:
    apps = [*_four(), person(5, "IND")]
    result = match(apps, MatchRules.of(locks=[(5, 1, 3)]), odd_policy="waitlist")
    assert (1, 3, 5) in result.trios and (2, 4) in result.pairs


# --- diagnostics -------------------------------------------------------------------------------------

def test_reason_no_shared_language() -> None:
    apps = [*_four(), person(5, "KEN", languages=("Swahili",)), person(6, "IND")]
    result = match(apps, odd_policy="waitlist")
    assert 5 in result.unmatched
    reason = result.reasons[5]
    assert reason.code == "no_shared_language" and "Swahili" in reason.reason
    assert reason.change.startswith("add English to their languages")


def test_reason_only_same_country_candidates() -> None:
    apps = [*_four(), person(5, "MEX", languages=("Spanish",)), person(6, "MEX", languages=("Spanish",))]
    result = match(apps, odd_policy="waitlist")
    assert {5, 6} <= set(result.unmatched)
    assert result.reasons[5].code == "same_country_only"
    assert "only same-country candidates" in result.reasons[5].reason
    assert "Person 6" in result.reasons[5].change or "add English" in result.reasons[5].change


def test_reason_everyone_else_in_the_same_country() -> None:
    apps = [person(1, "AUS"), person(2, "AUS"), person(3, "AUS")]
    result = match(apps, odd_policy="waitlist")
    assert result.matched == 0
    reason = result.reasons[1]
    assert reason.code == "same_country_only" and "AUS" in reason.reason
    assert reason.change.startswith("allow a partner in AUS")


def test_reason_past_partner_only() -> None:
    apps = [person(1, "MEX", languages=("Spanish",), past_partners=frozenset({1002})),
            person(2, "ESP", languages=("Spanish",)), person(3, "USA"), person(4, "GBR")]
    result = match(apps, odd_policy="waitlist")
    assert 1 in result.unmatched and 2 in result.unmatched
    assert result.reasons[1].code == "past_or_forbidden"
    assert "repeat partnership with Person 2" in result.reasons[1].change


def test_reason_partners_locked() -> None:
    apps = [person(1, "ESP", languages=("Spanish",)), person(2, "MEX", languages=("Spanish", "English")),
            person(3, "USA"), person(4, "GBR"), person(5, "AUS")]
    result = match(apps, MatchRules.of(locks=[(2, 3)]), odd_policy="waitlist")
    assert 1 in result.unmatched
    reason = result.reasons[1]
    assert reason.code == "partners_locked" and "drop the lock 2–3" in reason.change


def test_reason_partners_taken() -> None:
    # 2 and 3 both can only partner 1 (Spanish); 1 is matched to one of them, the other waits
    apps = [person(1, "ESP", languages=("Spanish", "English")), person(2, "MEX", languages=("Spanish",)),
            person(3, "MEX", languages=("Spanish",)), person(4, "USA"), person(5, "GBR")]
    result = match(apps, odd_policy="waitlist")
    assert result.matched == 4
    (left,) = result.unmatched
    assert left in (2, 3)
    reason = result.reasons[left]
    assert reason.code in ("all_partners_taken", "odd_count")
    assert reason.change


# --- explanations --------------------------------------------------------------------------------------

def test_explanation_names_interests_wishes_hours_languages() -> None:
    a = person(1, "AUS", interests=("Library spaces", "Social media", "Law libraries"),
               languages=("English", "French"), partner_sector="public", partner_stage="early",
               past_partner_countries=frozenset({"USA"}), past_partners=frozenset({9999}))
    b = person(2, "IND", interests=("Library spaces", "Social media"), languages=("English", "Hindi"),
               sector="public", career_stage="senior", partner_interests=frozenset({"Law libraries"}))
    e = explain_pair(a, b, Weights())
    assert e.shared_interests == ("Library spaces", "Social media")
    assert e.shared_languages == ("English",)
    assert e.hours_overlap == 3.5
    wishes = {(w.holder, w.kind): w.met for w in e.wishes}
    assert wishes == {(1, "sector"): True, (1, "stage"): False, (2, "interests"): True}
    assert e.new_country_for == (1,)
    assert e.components == {"shared_interests": 20.0, "partner_sector": 3.0, "partner_stage": 0.0,
                            "partner_interests": 3.0, "hours_overlap": 1.75, "new_country": 2.0}
    assert e.score == pytest.approx(29.75)
    result = match([a, b], odd_policy="waitlist")
    assert result.explanations[(1, 2)].links[0] == e
    assert "2 shared interest(s)" in result.explanations[(1, 2)].summary()
    assert result.to_dict()["explanations"]["1-2"]["score"] == pytest.approx(29.75)


# --- errors --------------------------------------------------------------------------------------------

def test_lock_breaking_a_hard_rule_names_both_people_and_the_rule() -> None:
    apps = [person(1, "AUS"), person(2, "AUS"), person(3, "USA")]
    with pytest.raises(LockBreaksRule) as err:
        match(apps, MatchRules.of(locks=[(1, 2)]))
    message = str(err.value)
    assert "Person 1" in message and "Person 2" in message and "different countries" in message
    assert isinstance(err.value, WorkbenchError)
    with pytest.raises(LockBreaksRule, match="share a language"):
        match([person(1, "AUS"), person(2, "MEX", languages=("Spanish",))], MatchRules.of(locks=[(1, 2)]))


def test_contradictory_rules() -> None:
    apps = _four()
    with pytest.raises(ContradictoryRules, match="two locks"):
        match(apps, MatchRules.of(locks=[(1, 2), (2, 3)]))
    with pytest.raises(ContradictoryRules, match="excluded"):
        match(apps, MatchRules.of(locks=[(1, 2)], excluded=[2]))
    with pytest.raises(ContradictoryRules, match="forbade"):
        match(apps, MatchRules.of(locks=[(1, 2)], forbidden=[(2, 1)]))
    with pytest.raises(ContradictoryRules, match="not in this round"):
        match(apps, MatchRules.of(forbidden=[(1, 99)]))


def test_too_few_people() -> None:
    with pytest.raises(TooFewPeople, match="at least two"):
        match([person(1)])
    with pytest.raises(TooFewPeople, match="1 excluded"):
        match([person(1), person(2, "USA")], MatchRules.of(excluded=[2]))


def test_bad_parameters() -> None:
    apps = _four()
    with pytest.raises(MatchingError, match="time limit"):
        match(apps, time_limit=0)
    with pytest.raises(MatchingError, match="odd_policy"):
        match(apps, odd_policy="random")  # type: ignore[arg-type]
    with pytest.raises(MatchingError, match="no working language"):
        match([*apps, replace(person(9), languages=frozenset())])


def test_time_limit_too_short_falls_back_to_the_heuristic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpsat_module, "solve_edges", lambda *a, **k: (None, "UNKNOWN"))
    apps = make_pool(80, seed=2)  # a pool whose first matching does not reach the bound (40 people's does)
    result = match(apps, odd_policy="waitlist", time_limit=0.001)
    assert result.status == "greedy-fallback" and result.is_fallback
    assert any("time limit" in note for note in result.notes)
    assert_valid(result, apps, MatchRules())
    assert result.matched > 30


def test_engine_imports_no_ui_or_database() -> None:
    code = "import sys, workbench.matching; print('streamlit' in sys.modules, 'duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
