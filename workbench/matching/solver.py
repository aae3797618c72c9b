"""``match()``: the whole run, from applicants and rules to partnerships, bound, explanations, reasons.

Pipeline (each step in its own module):

1. ``rules.check_input``: clear errors for bad input; locked partnerships are fixed as given.
2. ``candidates.build_candidates``: each free person's ``k`` best partners (+ everyone's, when few).
3. ``bound.bound_and_refine``: the upper bound over ALL feasible pairs, pricing missing pairs in.
4. Warm start: the LP with odd-set cuts, rounded, filled greedily, then made maximum-cardinality on the
   candidate graph by Edmonds' blossom algorithm (``heuristics``), or a
   previous run's pairs if better; then no augmenting path of length 1 or 3 may remain over ALL
   feasible pairs (``_close_short_paths``), and, when people are left unmatched, proved the most
   people matched over ALL feasible pairs (``cardinality.prove_most_matched``: a Tutte–Berge set).
5. The certificate (``oddset.certify``): the LP tightened with odd-set (blossom) cuts and priced over
   every pair; its bound often equals the warm start's score (then the run is proved optimal and CP-SAT
   is skipped), and its reduced costs leave out the pairs no better matching can use.
6. CP-SAT (``cpsat``): one exact model when the graph is small, neighbourhood search beyond, stopping
   when the score reaches the bound.
7. Odd person: a trio or the waitlist; explanations for every partnership, reasons for the unmatched.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from workbench.matching.bound import add_edges, bound_and_refine
from workbench.matching.candidates import CandidateGraph, build_candidates
from workbench.matching.cardinality import MostMatched, prove_most_matched
from workbench.matching.cpsat import SolveStats, neighbourhood_search, recombine, solve_whole
from workbench.matching.diagnostics import unmatched_reasons
from workbench.matching.heuristics import greedy_fill, lp_with_cuts, matching_value, maximum_matching
from workbench.matching.lp import MatchingLP
from workbench.matching.model import (
    Applicant,
    Explanation,
    MatchingError,
    MatchResult,
    MatchRules,
    OddPolicy,
    Weights,
)
from workbench.matching.oddset import Certificate, certify, seed_cuts
from workbench.matching.rules import check_input, unchecked_note
from workbench.matching.scoring import Pool, explain_pair

Progress = Callable[[str, float], None]


def match(
    applicants: Sequence[Applicant],
    rules: MatchRules | None = None,
    weights: Weights | None = None,
    *,
    odd_policy: OddPolicy = "trio",
    time_limit: float = 20.0,
    k: int = 12,
    previous: MatchResult | Iterable[Sequence[int]] | None = None,
    workers: int | None = None,
    seed: int = 0,
    exact_below: int = 400,
    progress: Progress | None = None,
) -> MatchResult:
    """Match a round: as many people as possible, then the largest total score.

    ``applicants``: the round's accepted applications. ``rules``: locks, forbidden pairs, exclusions and the
    program's cross-border rule (``rules.cross_border``: country, region, organisation or none).
    ``odd_policy``: "trio" (a person left over joins a pair whose members both suit them) or
    "waitlist" (they stay unmatched, with a reason). ``time_limit``: seconds for the certificate (half of
    it; above 5,000 free people all of it, two pricings at least, the search having what it leaves, 15% of
    the limit at least) and the CP-SAT phase (the bound and warm start come first; they take a few seconds
    on 5,000 people). ``k``: candidate
    partners per person. ``previous``: a previous result (or its partnerships) to warm-start from.
    ``workers``: CP-SAT workers (default: the machine's cores). ``exact_below``: rounds with at most
    this many free people are solved as one CP-SAT model (exact within the time limit); larger ones
    by CP-SAT neighbourhood search. ``progress(stage, fraction)`` is called between stages.

    Raises ``MatchingError`` subclasses with actionable messages for bad input.
    """
    started = time.monotonic()
    rules = rules or MatchRules()
    weights = weights or Weights()
    if odd_policy not in ("trio", "waitlist"):
        raise MatchingError(f'odd_policy must be "trio" or "waitlist", not {odd_policy!r}.')
    if not time_limit > 0:
        raise MatchingError(f"time limit must be a positive number of seconds, not {time_limit!r}.")
    if k < 1:
        raise MatchingError(f"k (candidate partners per person) must be at least 1, not {k!r}.")
    workers = workers or os.cpu_count() or 1
    report = progress or (lambda stage, fraction: None)
    timings: dict[str, float] = {}
    mark = [time.monotonic()]

    def lap(name: str) -> None:
        now = time.monotonic()
        timings[name] = round(now - mark[0], 3)
        mark[0] = now

    checked = check_input(applicants, rules)
    pool = Pool(checked.eligible, weights, rules.forbidden, cross_border=rules.cross_border)
    locked_idx = [tuple(pool.index[x] for x in lock) for lock in checked.locks]
    is_free = np.ones(pool.n, dtype=bool)
    for lock in locked_idx:
        is_free[list(lock)] = False
    free = np.flatnonzero(is_free)
    prev_edges = _previous_edges(previous, pool, is_free)
    report("candidates", 0.05)
    graph = build_candidates(pool, free, k=k, full_below=min(150, exact_below), extra=prev_edges, seed=seed)
    lap("candidates")
    report("bound", 0.2)
    lp = MatchingLP(pool.n)
    lp.add_edges(graph.u, graph.v, graph.q)
    # above 5,000 free people one plain pricing: the certificate prices every pair again with its cuts' duals
    bound, graph = bound_and_refine(pool, free, graph, lp, max_rounds=6 if len(free) <= 5000 else 1)
    lap("bound")
    report("warm start", 0.45)
    if isinstance(previous, MatchResult) and previous.odd_sets:  # e.g. the trade-offs' previous point
        seeded = [np.array([pool.index.get(x, -1) for x in ids], dtype=np.int64) for ids in previous.odd_sets]
        seed_cuts(lp, [s for s in seeded if s.min() >= 0 and is_free[s].all()])
    mate, unsure, notes = _warm_start(pool, free, graph, lp, prev_edges, time.monotonic() + 0.5 * time_limit + 5)
    graph, added = _close_short_paths(pool, free, graph, mate)
    if added:
        notes.append(f"{added} pair(s) added to the candidate graph to match more people")
    lap("warm start")
    most_matched: MostMatched | None = None
    if len(free) >= 2 and graph.size and not _most_matched(pool, free, mate, graph):
        size = graph.size
        most_matched, graph = prove_most_matched(pool, free, graph, mate)
        if graph.size > size:
            notes.append(f"{graph.size - size} pair(s) added to the candidate graph by the check that no matching "
                         "holds more people")
        if not most_matched.is_proved:
            notes.append(f"the most people matched is not proved: {most_matched.rounds} rounds of the Tutte–Berge "
                         "check still found pairs to add; the gap holds for matchings with as many people")
        added += graph.size - size
    if added:
        lp.add_edges(graph.u, graph.v, graph.q)  # the LP holds the graph's edges (only the new ones are added)
    lap("most matched")
    report("certificate", 0.5)
    cert: Certificate | None = None
    # the certificate's share of the time limit, the search having the rest of 1.5 times it: above 5,000
    # free people a pricing sweep costs seconds, and the bound gains more from one than the search does
    # (20,000 people: 0.086% certified gap with a half and a whole, 0.057% with a whole and a half); there the
    # search has what the certificate leaves of the time limit, 15% of it at least: it starts where the
    # certificate's LP differs from the matching (``recombine``), which gains in seconds what the search
    # gained in ten
    share = 0.5 if len(free) <= 5000 else 1.0
    together = time.monotonic() + (1.5 if len(free) <= 5000 else 1.0) * time_limit
    solve_graph = graph
    if len(free) >= 2 and graph.size:
        pairs, score = matching_value(graph, mate)
        cert, graph = certify(pool, free, graph, lp, incumbent_cp=score, pairs=pairs,
                              deadline=time.monotonic() + max(2.0, share * time_limit))
        if cert.is_integral and matching_value(graph, cert.mate) > matching_value(graph, mate):
            mate = cert.mate.copy()  # the LP's own matching: the best one on the priced graph
        if len(free) > exact_below:  # small rounds keep every pair: CP-SAT proves the most people matched too
            room = cert.exact_cp - matching_value(graph, mate)[1]  # reduced-cost fixing: no better matching
            keep = (cert.reduced <= room + 1e-6) | (mate[graph.u] == graph.v)  # uses a pair costing more
            solve_graph = CandidateGraph(graph.u[keep], graph.v[keep], graph.q[keep], graph.degree, graph.best,
                                         graph.is_full)
    lap("certificate")
    report("solve", 0.6)
    warm = mate.copy()
    target = None if cert is None else cert.value_cp
    solve_end = max(together, time.monotonic() + (1.5 - share) * time_limit * (0.3 if len(free) > 5000 else 1.0))

    def most(mate: np.ndarray) -> bool:  # no matching holds more people: proved, or nobody is left to match
        proved = most_matched is not None and most_matched.is_proved
        return _most_matched(pool, free, mate, graph) or (
            proved and most_matched is not None and matching_value(graph, mate)[0] >= most_matched.pairs)

    if target is not None and matching_value(graph, mate)[1] >= target and most(mate):
        stats = SolveStats(status="PROVED", solved=1, proved_optimal=True)  # the bound is reached: done
    elif len(free) >= 2 and graph.size:
        if len(free) <= exact_below or (cert is not None and solve_graph.size <= 4 * exact_below):
            mate, stats = solve_whole(solve_graph, mate, time_limit=time_limit, workers=workers, seed=seed)
        else:
            better = 0
            if cert is not None:  # first where the matching and the certificate's LP differ: the LP knows best
                mate, better = recombine(solve_graph, mate, cert.support_u, cert.support_v, deadline=solve_end,
                                         workers=workers, seed=seed, cap=0.6 * (solve_end - time.monotonic()))
            search_end = solve_end - (0.1 * (solve_end - time.monotonic()) if cert is not None else 0.0)
            guide = None
            if cert is not None:  # the search starts where the matching still differs from the LP, along the LP
                guide = (cert.support_u, cert.support_v)
                apart = mate[cert.support_u] != cert.support_v
                unsure = np.unique(np.concatenate([cert.support_u[apart], cert.support_v[apart]]))
            mate, stats = neighbourhood_search(solve_graph, mate, free, deadline=search_end, workers=workers,
                                               seeds_first=unsure, seed=seed, target_cp=target, guide=guide)
            if cert is not None:  # and again from what the search found
                mate, more = recombine(solve_graph, mate, cert.support_u, cert.support_v, deadline=solve_end,
                                       workers=workers, seed=seed + 1)
                better += more
            stats.improved += better
    else:
        stats = SolveStats(status="TRIVIAL", proved_optimal=True)
    lap("solve")
    if not _is_matching(mate):  # never one person in two partnerships, whatever a stage got wrong
        mate = warm
        notes.append("the solver's matching was inconsistent (one person in two pairs) and was dropped for the "
                     "warm start's; please report it")
    pairs_now, score_now = matching_value(graph, mate)
    if (cert is not None and stats.status == "LNS" and score_now < cert.value_cp and most(mate)
            and time.monotonic() < solve_end - 1.0):  # the time the search left goes back to the proof
        again, graph = certify(pool, free, graph, lp, incumbent_cp=score_now, pairs=pairs_now, deadline=solve_end)
        if again.value_cp < cert.value_cp:
            cert = again
        lap("certificate, after the search")
    fallback = len(free) >= 2 and graph.size > 0 and stats.solved == 0
    if fallback:
        mate = warm
        notes.append(
            f"CP-SAT found no solution within the {time_limit:g} s time limit; this is the fast heuristic's "
            "matching (the warm start). Give the solver more time for a better one."
        )
    trios: list[tuple[int, ...]] = []
    if odd_policy == "trio":
        trios = _absorb_leftovers(pool, free, mate, graph)
    report("explain", 0.9)
    result = _assemble(pool, checked.by_id, checked.locks, mate, trios, weights)
    result.people = len(applicants)
    result.unmatched = sorted(set(checked.by_id) - {x for p in result.partnerships for x in p})
    result.matched = result.people - len(result.unmatched)
    bound_cp, bound_method = bound.value_cp, bound.method
    if cert is not None and cert.value_cp < bound_cp:
        if trios:  # half of a triangle's pairs each: the odd-set cut of its three people excludes it
            notes.append("a trio takes an odd person in, and the odd-set certificate covers sets of pairs only, so "
                         "the gap is against the fractional bound, which counts trios; run with the odd person "
                         "waitlisted to have the matching proved optimal")
        else:
            bound_cp = cert.value_cp
            bound_method = f"LP with {cert.cuts} odd-set (blossom) cut(s), priced over every feasible pair"
    locked_score = sum(_lock_score(pool, lock) for lock in locked_idx)
    result.bound = round(bound_cp / 100 + locked_score, 3)
    result.bound = max(result.bound, result.objective)  # an exact tie can round either way
    result.gap = max(0.0, (result.bound - result.objective) / result.bound) if result.bound > 0 else 0.0
    result.reasons = unmatched_reasons(pool, checked, rules, result, odd_policy)
    result.solver_status = stats.status
    result.bound_method = bound_method
    result.candidate_edges = graph.size
    result.is_fallback = fallback
    score_cp = matching_value(graph, mate)[1] if not trios else -1
    most_people = most(mate)
    result.proof = ""
    if not fallback and stats.status != "TRIVIAL" and not trios:
        whole = graph.is_full and solve_graph.size == graph.size
        if most_people and score_cp >= bound_cp:
            result.proof = (f"the score equals the upper bound of the {bound_method}"
                            if bound_method.startswith("LP with") else f"the score equals the {bound_method} bound")
            result.gap = 0.0
        elif stats.proved_optimal and whole:
            result.proof = "CP-SAT proved it best in one model over every feasible pair"
        elif stats.proved_optimal and most_people and solve_graph.is_full:
            result.proof = "CP-SAT proved it best over every feasible pair the reduced costs leave open"
        if result.proof and most_matched is not None and most_matched.is_proved and not _most_matched(
                pool, free, mate, graph):
            result.proof += (f"; no matching holds more people (Tutte–Berge: a set of {most_matched.tutte_set} "
                             f"leaves {most_matched.unmatched} unmatched in any matching)")
    result.status = ("greedy-fallback" if fallback else "trivial" if stats.status == "TRIVIAL"
                     else "optimal" if result.proof else "feasible")
    unchecked = unchecked_note(checked.eligible, pool.cross_border)
    result.notes = [*notes, *([unchecked] if unchecked else []),
                    ("CP-SAT not needed: the first matching reached the bound" if stats.status == "PROVED" else
                     f"CP-SAT: {stats.status}, {stats.solved} model(s) solved, {stats.improved} improved")]
    lap("explain")
    result.timings = timings
    result.odd_sets = [] if cert is None else [tuple(int(pool.ids[i]) for i in s) for s in cert.odd_sets]
    result.seconds = round(time.monotonic() - started, 3)
    report("done", 1.0)
    return result


def _is_matching(mate: np.ndarray) -> bool:
    """Whether ``mate`` pairs people both ways (``mate[mate[v]] == v`` for everyone matched)."""
    on = np.flatnonzero(mate >= 0)
    return bool(np.all(mate[mate[on]] == on))


def _most_matched(pool: Pool, free: np.ndarray, mate: np.ndarray, graph: CandidateGraph) -> bool:
    """Whether no matching can hold more people: everyone (or all but one) is matched, or those left have no
    feasible partner among the free people at all."""
    left = free[mate[free] < 0]
    return len(left) <= 1 or bool(np.all(graph.degree[left] == 0))


def _previous_edges(previous: MatchResult | Iterable[Sequence[int]] | None, pool: Pool,
                    is_free: np.ndarray) -> list[tuple[int, int]]:
    """The previous run's pairs among today's free people (pool indices); trios and stale ids dropped."""
    if previous is None:
        return []
    groups = previous.pairs if isinstance(previous, MatchResult) else list(previous)
    edges = []
    for group in groups:
        ids = [pool.index.get(x, -1) for x in group]
        if len(ids) == 2 and min(ids) >= 0 and is_free[ids].all():
            edges.append((min(ids), max(ids)))
    return edges


def _warm_start(pool: Pool, free: np.ndarray, graph: CandidateGraph, lp: MatchingLP,
                prev_edges: list[tuple[int, int]], deadline: float) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The best of the rounded LP and the previous run, made maximum-cardinality; and the people the
    LP was unsure about or whose partner the rounding changed (the search starts there)."""
    notes: list[str] = []
    mate, unsure = lp_with_cuts(lp, deadline=deadline)
    rounded = mate.copy()
    greedy_fill(graph, mate)
    adj = graph.neighbours(pool.n)
    maximum_matching(adj, mate, free)
    if prev_edges:
        prev = np.full(pool.n, -1, dtype=np.int64)
        for a, b in prev_edges:
            if pool.scores(np.array([a]), np.array([b]))[0, 0] >= 0:
                prev[a], prev[b] = b, a
        greedy_fill(graph, prev)
        maximum_matching(adj, prev, free)
        if matching_value(graph, prev) >= matching_value(graph, mate):
            mate = prev
            notes.append("warm start: the previous run's partnerships")
    changed = np.flatnonzero(mate != rounded)
    return mate, np.unique(np.concatenate([unsure, changed])).astype(np.int64), notes


def _close_short_paths(pool: Pool, free: np.ndarray, graph: CandidateGraph, mate: np.ndarray
                       ) -> tuple[CandidateGraph, int]:
    """Look for augmenting paths of length 1 (two unmatched people who may be partners) and 3
    (u - a = b - v) over ALL feasible pairs; add their edges to the graph and augment."""
    added = 0
    for _ in range(20):
        unmatched = free[mate[free] < 0]
        if not 2 <= len(unmatched) <= 1000:
            break
        s = pool.scores(unmatched, free)
        feas = s >= 0
        pos = np.full(pool.n, -1, dtype=np.int64)
        pos[free] = np.arange(len(free))
        new: list[tuple[int, int]] = []
        direct = feas[:, pos[unmatched]]
        r, c = np.nonzero(np.triu(direct, 1))
        if len(r):
            used: set[int] = set()
            for i, j in zip(r.tolist(), c.tolist(), strict=True):
                if i not in used and j not in used:
                    used.update((i, j))
                    new.append((int(unmatched[i]), int(unmatched[j])))
        else:
            matched_cols = np.flatnonzero(mate[free] >= 0)
            partner_cols = pos[mate[free[matched_cols]]]
            reach = feas[:, matched_cols].astype(np.float32) @ feas[:, partner_cols].T.astype(np.float32)
            np.fill_diagonal(reach, 0)
            r, c = np.nonzero(reach)
            if len(r):
                u, v = int(r[0]), int(c[0])
                j = np.flatnonzero(feas[u, matched_cols] & feas[v, partner_cols])[0]
                a, b = int(free[matched_cols[j]]), int(free[partner_cols[j]])
                new += [(int(unmatched[u]), a), (b, int(unmatched[v]))]
        if not new:
            break
        nu = np.array([min(e) for e in new])
        nv = np.array([max(e) for e in new])
        graph = add_edges(graph, pool.n, nu, nv, pool.scores(nu, nv).diagonal().astype(np.int64))
        added += len(new)
        maximum_matching(graph.neighbours(pool.n), mate, free)
    return graph, added


def _absorb_leftovers(pool: Pool, free: np.ndarray, mate: np.ndarray, graph: CandidateGraph
                      ) -> list[tuple[int, ...]]:
    """Trio policy: each unmatched free person joins the pair they suit best (one per pair), if any
    pair's members both may partner them. Returns trios as pool indices; their pairs leave ``mate``."""
    trios: list[tuple[int, ...]] = []
    taken = np.zeros(pool.n, dtype=bool)
    pair_score = np.zeros(pool.n, dtype=np.int64)  # each matched person's current pair score
    on = mate[graph.u] == graph.v
    pair_score[graph.u[on]] = graph.q[on]
    pair_score[graph.v[on]] = graph.q[on]
    for u in free[mate[free] < 0].tolist():
        paired = free[(mate[free] >= 0) & ~taken[free]]
        if len(paired) < 2:
            break
        s = pool.scores(np.array([u]), paired)[0]
        pos = np.full(pool.n, -1, dtype=np.int64)
        pos[paired] = np.arange(len(paired))
        partner = mate[paired]
        ok = (s >= 0) & (s[pos[partner]] >= 0) & (paired < partner)
        if not ok.any():
            continue
        a_idx = np.flatnonzero(ok)
        gain = s[a_idx] + s[pos[partner[a_idx]]] - pair_score[paired[a_idx]]
        best = a_idx[int(np.argmax(gain))]
        a, b = int(paired[best]), int(partner[best])
        trios.append((a, b, u))
        taken[[a, b, u]] = True
        mate[[a, b]] = -1
    return trios


def _lock_score(pool: Pool, lock: tuple[int, ...]) -> float:
    """A locked partnership's score in points (a trio scores half the sum of its pairs)."""
    idx = np.array(lock)
    total = int(pool.scores(idx, idx)[np.triu_indices(len(lock), 1)].sum()) / 100
    return total if len(lock) == 2 else total / 2


def _assemble(pool: Pool, by_id: dict[int, Applicant], locks: tuple[tuple[int, ...], ...], mate: np.ndarray,
              trios: list[tuple[int, ...]], weights: Weights) -> MatchResult:
    pairs: list[tuple[int, int]] = []
    trio_ids: list[tuple[int, int, int]] = []
    explanations: dict[tuple[int, ...], Explanation] = {}
    groups: list[tuple[tuple[int, ...], bool]] = [(lock, True) for lock in locks]
    for v in range(pool.n):
        if mate[v] > v:
            groups.append((tuple(sorted((int(pool.ids[v]), int(pool.ids[mate[v]])))), False))
    for trio in trios:
        groups.append((tuple(sorted(int(pool.ids[x]) for x in trio)), False))
    total = 0.0
    for ids, locked in sorted(groups):
        members = [by_id[x] for x in ids]
        links = tuple(explain_pair(members[i], members[j], weights, cross_border=pool.cross_border)
                      for i in range(len(members)) for j in range(i + 1, len(members)))
        factor = 1.0 if len(ids) == 2 else 0.5
        components: dict[str, float] = {}
        for link in links:
            for name, value in link.components.items():
                components[name] = components.get(name, 0.0) + value * factor
        score = round(sum(link.score for link in links) * factor, 3)
        explanations[ids] = Explanation(ids, score, {k: round(v, 3) for k, v in components.items()}, links,
                                        is_locked=locked)
        total += score
        if len(ids) == 2:
            pairs.append((ids[0], ids[1]))
        else:
            trio_ids.append((ids[0], ids[1], ids[2]))
    return MatchResult(pairs=pairs, trios=trio_ids, unmatched=[], objective=round(total, 3), bound=0.0,
                       gap=0.0, status="", seconds=0.0, people=0, matched=0, explanations=explanations)
