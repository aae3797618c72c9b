"""Why each unmatched person has no partner, and the smallest change that would place them.

Rules are relaxed one at a time: a person "one change away" breaks exactly one hard rule with them.
Changes are preferred in this order: add a language, lift a forbid, allow a partner on their side of the
program's cross-border rule (same country, sub-region or organisation: the reason and the change name the
rule), allow a repeat partnership, and a change that pairs them with someone who is also unmatched (so it
places them at once) beats one that only opens a partner who is already matched.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import numpy as np

from workbench.matching.model import MatchResult, MatchRules, OddPolicy, UnmatchedReason
from workbench.matching.rules import CROSS_BORDER, side_name
from workbench.matching.scoring import Pool

if TYPE_CHECKING:
    from workbench.matching.rules import CheckedInput

_RULE_COST = {"language": 1, "forbidden": 1, "border": 2, "past": 2}


def unmatched_reasons(pool: Pool, checked: CheckedInput, rules: MatchRules, result: MatchResult,
                      odd_policy: OddPolicy) -> dict[int, UnmatchedReason]:
    """A reason and a smallest change for every unmatched application id of ``result``."""
    group_of: dict[int, tuple[int, ...]] = {x: p for p in result.partnerships for x in p}
    locked = {x: lock for lock in checked.locks for x in lock}
    unmatched_eligible = [x for x in result.unmatched if x not in rules.excluded]
    ctx = _Context(pool, rules, np.isin(pool.ids, unmatched_eligible))
    out: dict[int, UnmatchedReason] = {}
    for x in result.unmatched:
        if x in rules.excluded:
            out[x] = UnmatchedReason(x, "excluded", "excluded by a coordinator",
                                     "lift the exclusion and re-run")
            continue
        out[x] = _reason(ctx, x, group_of, locked, unmatched_eligible, odd_policy)
    return out


class _Context:
    """Lookups shared by every unmatched person's diagnosis."""

    def __init__(self, pool: Pool, rules: MatchRules, is_unmatched: np.ndarray) -> None:
        self.pool = pool
        self.is_unmatched = is_unmatched
        self.person_ids = np.array([a.person_id for a in pool.applicants], dtype=np.int64)
        self.listed_by: dict[int, list[int]] = {}  # person id -> pool indices naming them as past partner
        for j, app in enumerate(pool.applicants):
            for pid in app.past_partners:
                self.listed_by.setdefault(pid, []).append(j)
        self.forbidden: dict[int, list[int]] = {}
        for pair in rules.forbidden:
            x, y = sorted(pair)
            if x in pool.index and y in pool.index:
                self.forbidden.setdefault(x, []).append(pool.index[y])
                self.forbidden.setdefault(y, []).append(pool.index[x])

    def blockers(self, i: int) -> dict[str, np.ndarray]:
        """Per hard rule, which pool members it keeps away from person ``i`` (bool arrays)."""
        pool = self.pool
        me = pool.applicants[i]
        border = (pool.side == pool.side[i]) & (pool.side[i] >= 0)  # the cross-border rule keeps them apart
        language = ~np.any(pool.lang_bits & pool.lang_bits[i], axis=1)
        past = np.isin(self.person_ids, list(me.past_partners))
        past[self.listed_by.get(me.person_id, [])] = True
        forbidden = np.zeros(pool.n, dtype=bool)
        forbidden[self.forbidden.get(me.application_id, [])] = True
        return {"border": border, "language": language, "past": past, "forbidden": forbidden}


def _reason(ctx: _Context, x: int, group_of: dict[int, tuple[int, ...]], locked: dict[int, tuple[int, ...]],
            unmatched: list[int], odd_policy: OddPolicy) -> UnmatchedReason:
    pool = ctx.pool
    i = pool.index[x]
    me = pool.applicants[i]
    blocks = ctx.blockers(i)
    failing = np.sum([b.astype(int) for b in blocks.values()], axis=0)
    others = np.arange(pool.n) != i
    feasible = np.flatnonzero(others & (failing == 0))
    is_unmatched = ctx.is_unmatched
    langs = ", ".join(sorted(me.languages))
    change = _smallest_change(pool, i, blocks, failing, others & is_unmatched, others)

    if not len(feasible):
        rule = pool.cross_border
        unit = CROSS_BORDER[rule].unit
        code = f"same_{'region' if rule == 'region' else unit}_only"
        mine = side_name(me, rule)
        named = f"(the {rule} rule: partners must {CROSS_BORDER[rule].must})"
        other_side = others & ~blocks["border"]
        if not other_side.any():
            return UnmatchedReason(x, code, f"everyone else in the round is {_at(rule)} {mine} {named}", change)
        if not (other_side & ~blocks["language"]).any():
            if (others & blocks["border"] & ~blocks["language"]).any():
                return UnmatchedReason(
                    x, code,
                    f"only same-{unit} candidates: the people who speak {langs} are all {_at(rule)} {mine} "
                    f"{named}", change)
            return UnmatchedReason(x, "no_shared_language",
                                   f"no shared language with anyone: no one else lists {langs}", change)
        elsewhere = f"in another {unit}" if rule != "none" else "in the round"
        return UnmatchedReason(
            x, "past_or_forbidden",
            f"everyone {elsewhere} who shares a language was their partner before or is forbidden for them",
            change)

    feasible_ids = [int(pool.ids[j]) for j in feasible]
    open_ones = [y for y in feasible_ids if y not in group_of]
    if open_ones:
        names = ", ".join(pool.applicants[pool.index[y]].name for y in open_ones[:3])
        return UnmatchedReason(x, "not_placed",
                               f"could partner {names} (also unmatched) but was not paired in the time limit",
                               "re-run with a longer time limit, or pair them by hand")
    if all(y in locked for y in feasible_ids):
        lock = locked[feasible_ids[0]]
        label = "–".join(map(str, lock))
        return UnmatchedReason(
            x, "partners_locked",
            f"every feasible partner ({len(feasible_ids)}) is in a coordinator lock",
            f"drop the lock {label} (frees {pool.applicants[pool.index[feasible_ids[0]]].name})")
    trio = _trio_partners(pool, i, group_of, feasible_ids)
    if len(unmatched) == 1:
        if odd_policy == "waitlist":
            return UnmatchedReason(
                x, "odd_count",
                "an odd number of people to match: one must wait, and leaving this person out costs the "
                "least score",
                f"switch the odd-person policy to trio (they could join {trio})" if trio
                else "add one more applicant who could partner them")
        return UnmatchedReason(
            x, "odd_count",
            "an odd number of people to match, and no pair's members could both partner them in a trio",
            change if change else "add one more applicant who could partner them")
    return UnmatchedReason(
        x, "all_partners_taken",
        f"every feasible partner ({len(feasible_ids)}) was matched to someone they score higher with, and "
        "pairing them would leave someone else unmatched",
        change if change.endswith("unmatched)") else _swap_change(pool, i, feasible, group_of, locked))


def _smallest_change(pool: Pool, i: int, blocks: dict[str, np.ndarray], failing: np.ndarray,
                     unmatched: np.ndarray, others: np.ndarray) -> str:
    """The cheapest single-rule relaxation, preferring one that pairs them with an unmatched person.

    A language change always names the language most people one change away speak (English, in an
    ILN-shaped round), never an obscure one just because its only speaker happens to be free."""
    me = pool.applicants[i]
    speakers = np.flatnonzero(others & blocks["language"] & (failing == 1))
    spoken = Counter(lang for j in speakers.tolist() for lang in pool.applicants[j].languages)
    top = max(sorted(spoken), key=lambda k: spoken[k]) if spoken else ""
    for pool_mask, placed in ((unmatched, True), (others, False)):
        options = []
        for rule, mask in blocks.items():
            js = np.flatnonzero(pool_mask & mask & (failing == 1))
            if rule == "language":
                js = np.array([j for j in js.tolist() if top in pool.applicants[j].languages], dtype=np.int64)
            if len(js):
                options.append((_RULE_COST[rule], -len(js), rule, js))
        if not options:
            continue
        _, _, rule, js = min(options, key=lambda o: o[:2])
        other = pool.applicants[int(js[0])]
        if rule == "language":
            text = f"add {top} to their languages"
        elif rule == "forbidden":
            text = f"lift the forbid on {me.name}–{other.name}"
        elif rule == "border":
            text = (f"allow a partner {_at(pool.cross_border)} {side_name(me, pool.cross_border)} (the "
                    f"{pool.cross_border} rule forbids it)")
        else:
            text = f"allow a repeat partnership with {other.name}"
        if placed:
            return f"{text} (then {other.name} in {other.country} could partner them: also unmatched)"
        return f"{text} ({len(js)} more possible partner(s), e.g. {other.name}; then re-run)"
    unit = CROSS_BORDER[pool.cross_border].unit
    elsewhere = f" from another {unit}" if unit else ""
    return f"recruit an applicant{elsewhere} who speaks {sorted(me.languages)[0]}"


def _at(rule: str) -> str:
    """"in AUS", "in Northern Europe", "at Boston Public Library"."""
    return "at" if rule == "organisation" else "in"


def _trio_partners(pool: Pool, i: int, group_of: dict[int, tuple[int, ...]], feasible_ids: list[int]) -> str:
    ok = set(feasible_ids)
    for y in feasible_ids:
        group = group_of.get(y, ())
        if len(group) == 2 and all(z in ok for z in group):
            return " and ".join(pool.applicants[pool.index[z]].name for z in group)
    return ""


def _swap_change(pool: Pool, i: int, feasible: np.ndarray, group_of: dict[int, tuple[int, ...]],
                 locked: dict[int, tuple[int, ...]]) -> str:
    """Pair them by hand with the partner whose current pair loses least."""
    cands = [int(j) for j in feasible
             if int(pool.ids[j]) not in locked and len(group_of.get(int(pool.ids[j]), ())) == 2]
    if not cands:
        return "pair them by hand in a trio, or add an applicant who could partner them"
    mine = pool.scores(np.array([i]), np.array(cands))[0]
    best, best_loss, best_mate = cands[0], None, -1
    for j, s in zip(cands, mine.tolist(), strict=True):
        mate_id = next(z for z in group_of[int(pool.ids[j])] if z != int(pool.ids[j]))
        m = pool.index[mate_id]
        loss = int(pool.scores(np.array([j]), np.array([m]))[0, 0]) - s
        if best_loss is None or loss < best_loss:
            best, best_loss, best_mate = j, loss, m
    return (f"pair them by hand with {pool.applicants[best].name} "
            f"(whose partner {pool.applicants[best_mate].name} would then wait)")
