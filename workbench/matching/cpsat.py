"""CP-SAT on the candidate graph: one exact model for small rounds, large-neighbourhood search beyond.

Both maximise, lexicographically, the number of pairs and then the total score: every pair is worth
``big + score`` with ``big`` larger than any total score of the (sub)problem, so one more pair always
beats any gain in score. Scores are integers (centipoints).

Why a neighbourhood search: on ILN-shaped pools the matching LP is almost integral and the warm start
is within a fraction of a percent, but on 10^4–10^5 candidate edges CP-SAT's own search (two workers
on this machine) rarely improves such a start in a minute. Re-solving balls of ~150 people exactly,
with everyone else's partner fixed, improves it steadily, each sub-model in milliseconds.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from workbench.matching.candidates import CandidateGraph


@dataclass
class SolveStats:
    status: str = "UNKNOWN"  #: CP-SAT status of the whole-graph model, or "LNS" for the search
    solved: int = 0  #: sub-models (or models) for which CP-SAT returned a solution
    improved: int = 0
    attempts: int = 0
    proved_optimal: bool = False  #: optimal on the candidate graph
    log: list[str] = field(default_factory=list)


def solve_edges(u: np.ndarray, v: np.ndarray, q: np.ndarray, hint: np.ndarray, *, time_limit: float,
                workers: int, seed: int = 0, presolve: bool = True, pairs: int | None = None
                ) -> tuple[np.ndarray | None, str]:
    """Max-cardinality-then-max-score matching over the given edges (local vertex ids).

    Two CP-SAT solves on the same model: first the most pairs, then, with that many pairs required,
    the largest score (much faster to prove than one objective with a big multiplier). ``hint``: 0/1
    per edge, a valid matching used as the warm start. ``pairs``: the most pairs, when known (a maximum
    matching's sub-problem): the first solve is skipped and that many pairs are required. Returns the
    chosen-edge mask (None when CP-SAT found no solution within the time limit) and a status: "OPTIMAL"
    when both phases were proved.
    """
    deadline = time.monotonic() + max(time_limit, 1e-3)
    model = cp_model.CpModel()
    m = len(q)
    x = [model.new_bool_var(f"e{e}") for e in range(m)]
    incident: dict[int, list[cp_model.IntVar]] = {}
    for e, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
        incident.setdefault(a, []).append(x[e])
        incident.setdefault(b, []).append(x[e])
    for lits in incident.values():
        if len(lits) > 1:
            model.add_at_most_one(lits)
    for e in range(m):
        model.add_hint(x[e], bool(hint[e]))

    def run(budget: float) -> tuple[Any, cp_model.CpSolver]:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = max(1, workers)
        solver.parameters.max_time_in_seconds = max(budget, 1e-3)
        solver.parameters.random_seed = seed
        solver.parameters.cp_model_presolve = presolve  # small sub-models solve faster without it
        return solver.solve(model), solver

    if pairs is None:
        model.maximize(sum(x))
        status, solver = run(deadline - time.monotonic())
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solver.status_name(status)
        first = np.array([solver.boolean_value(xe) for xe in x], dtype=bool)
        pairs = int(first.sum())
        cardinality_proved = status == cp_model.OPTIMAL
    else:
        first, cardinality_proved = hint.astype(bool), True
    model.add(sum(x) >= pairs)
    if int(hint.sum()) < pairs or int(q[first].sum()) > int(q[hint].sum()):
        model.clear_hints()
        for e in range(m):
            model.add_hint(x[e], bool(first[e]))
    model.maximize(sum(int(w) * x[e] for e, w in enumerate(q.tolist())))
    status, solver = run(deadline - time.monotonic())
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return (first if int(first.sum()) >= pairs else None), "FEASIBLE"
    chosen = np.array([solver.boolean_value(xe) for xe in x], dtype=bool)
    return chosen, "OPTIMAL" if cardinality_proved and status == cp_model.OPTIMAL else "FEASIBLE"


def solve_whole(graph: CandidateGraph, mate: np.ndarray, *, time_limit: float, workers: int,
                seed: int = 0) -> tuple[np.ndarray, SolveStats]:
    """One CP-SAT model over every candidate edge (small rounds: exact within the time limit)."""
    stats = SolveStats(attempts=1)
    hint = mate[graph.u] == graph.v
    chosen, name = solve_edges(graph.u, graph.v, graph.q, hint, time_limit=time_limit, workers=workers,
                               seed=seed)
    stats.status = name
    if chosen is None:
        return mate, stats
    stats.solved = 1
    stats.proved_optimal = name == "OPTIMAL"
    new = np.full_like(mate, -1)
    new[graph.u[chosen]] = graph.v[chosen]
    new[graph.v[chosen]] = graph.u[chosen]
    stats.improved = int(not np.array_equal(new, mate))
    return new, stats


def neighbourhood_search(graph: CandidateGraph, mate: np.ndarray, people: np.ndarray, *, deadline: float,
                         workers: int, seeds_first: np.ndarray | None = None, size: int = 150,
                         patience: float = 3.0, seed: int = 0, target_cp: int | None = None,
                         guide: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, SolveStats]:
    """Improve ``mate`` by re-solving balls of the candidate graph exactly with CP-SAT.

    A ball grows from a seed person through candidate edges and always holds whole pairs, so every
    sub-solution fits the rest. Seeds come first from ``seeds_first`` (e.g. people the warm start left
    unmatched), then from shuffled sweeps of everyone. ``workers`` disjoint balls are solved at once
    (one CP-SAT worker each, threads: CP-SAT releases the GIL). The search stops at the deadline or
    after ``patience`` sweeps' worth of balls without any improvement, or when the total score reaches
    ``target_cp`` (an upper bound: nothing better exists). ``guide``: pairs (u, v) a ball follows first from
    each of its people (an LP solution's: the alternating paths between it and ``mate`` then fit in one ball).
    """
    stats = SolveStats(status="LNS")
    rng = np.random.default_rng(seed)
    mate = mate.copy()
    n = len(mate)
    ends = np.concatenate([graph.u, graph.v])
    edge_ids = np.concatenate([np.arange(graph.size), np.arange(graph.size)])
    order = np.argsort(ends, kind="stable")
    splits = np.searchsorted(ends[order], np.arange(n + 1))
    adj_edges = [edge_ids[order[splits[x]:splits[x + 1]]] for x in range(n)]
    led: dict[int, list[int]] = {}
    if guide is not None:
        for a, b in zip(guide[0].tolist(), guide[1].tolist(), strict=True):
            led.setdefault(a, []).append(b)
            led.setdefault(b, []).append(a)
    queue = list(seeds_first.tolist())[::-1] if seeds_first is not None else []
    total = int(graph.q[mate[graph.u] == graph.v].sum())
    reached = target_cp is not None and total >= target_cp
    stale, limit = 0, max(30, int(patience * len(people) / max(1, size // 2)))
    busy = np.zeros(n, dtype=bool)  # in a ball being solved
    in_ball = np.zeros(n, dtype=bool)

    def grow(start: int) -> np.ndarray:
        ball: list[int] = []
        frontier = deque([start])
        while frontier and len(ball) < size:
            x = frontier.popleft()
            for w in (x, int(mate[x])):
                if w >= 0 and not in_ball[w] and not busy[w]:
                    in_ball[w] = True
                    ball.append(w)
            if busy[x]:
                continue
            for w in led.get(x, ()):
                if not in_ball[w] and not busy[w] and (mate[w] < 0 or not busy[mate[w]]):
                    frontier.appendleft(w)
            nbrs = adj_edges[x]
            for e in (rng.permutation(nbrs)[:6] if len(nbrs) > 6 else nbrs).tolist():
                w = int(graph.v[e]) if graph.u[e] == x else int(graph.u[e])
                if not in_ball[w] and not busy[w] and (mate[w] < 0 or not busy[mate[w]]):
                    frontier.append(w)
        if not ball:
            return np.zeros(0, np.int64)
        local = np.unique(np.concatenate([adj_edges[w] for w in ball]))
        local = local[in_ball[graph.u[local]] & in_ball[graph.v[local]]]
        in_ball[ball] = False
        return local

    def solve(local: np.ndarray, sub_seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        lu, lv, lq = graph.u[local], graph.v[local], graph.q[local]
        hint = mate[lu] == lv
        remaining = deadline - time.monotonic()
        chosen, _ = solve_edges(lu, lv, lq, hint, time_limit=min(2.0, max(remaining, 1e-3)), workers=1,
                                seed=sub_seed, presolve=False)
        return local, chosen

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        running: set[Future[tuple[np.ndarray, np.ndarray | None]]] = set()
        while True:
            while (len(running) < max(1, workers) and time.monotonic() < deadline and stale < limit
                   and not reached):
                if not queue:
                    queue = rng.permutation(people).tolist()
                start = int(queue.pop())
                if busy[start]:
                    continue
                local = grow(start)
                if len(local) < 2:
                    continue
                ends_local = np.concatenate([graph.u[local], graph.v[local]])
                busy[ends_local] = True
                stats.attempts += 1
                running.add(pool.submit(solve, local, int(rng.integers(1 << 30))))
            if not running:
                break
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                local, chosen = future.result()
                lu, lv, lq = graph.u[local], graph.v[local], graph.q[local]
                busy[lu] = busy[lv] = False
                if chosen is None:
                    stale += 1
                    continue
                stats.solved += 1
                hint = mate[lu] == lv
                partners = mate[np.concatenate([lu, lv])]
                inside = np.zeros(n, dtype=bool)
                inside[lu] = inside[lv] = True
                if np.any((partners >= 0) & ~inside[np.maximum(partners, 0)]):
                    stale += 1  # someone's partner is outside the ball: re-pairing them would leave it pointing
                    continue    # at them (one person in two partnerships); the ball is dropped
                if (int(chosen.sum()), int(lq[chosen].sum())) > (int(hint.sum()), int(lq[hint].sum())):
                    mate[lu] = -1
                    mate[lv] = -1
                    mate[lu[chosen]] = lv[chosen]
                    mate[lv[chosen]] = lu[chosen]
                    stats.improved += 1
                    total += int(lq[chosen].sum()) - int(lq[hint].sum())
                    reached = target_cp is not None and total >= target_cp
                    stale = 0
                else:
                    stale += 1
    return mate, stats


def recombine(graph: CandidateGraph, mate: np.ndarray, support_u: np.ndarray, support_v: np.ndarray, *,
              deadline: float, workers: int, seed: int = 0, cap: float = 3.0) -> tuple[np.ndarray, int]:
    """Improve ``mate`` where it differs from an LP solution (``support_u``, ``support_v``: its edges with x > 0).

    The matching's pairs and the LP's support differ along alternating paths and cycles; each connected
    piece of the difference, with the partners of its people, is re-solved exactly by CP-SAT over every
    candidate edge among those people (``cap`` seconds at most each, ``workers`` pieces at once). The LP with
    odd-set cuts is nearly a matching, so the pieces are small and the LP's choice is usually the better one:
    at 20,000 people this gains more in two seconds than the neighbourhood search in ten. Returns the
    improved matching and the number of pieces that improved.
    """
    n = len(mate)
    mate = mate.copy()
    on = np.flatnonzero(mate >= 0)
    inc_u, inc_v = on[on < mate[on]], mate[on[on < mate[on]]]
    keys_inc = inc_u * n + inc_v
    lo, hi = np.minimum(support_u, support_v), np.maximum(support_u, support_v)
    keys_lp = lo * n + hi
    diff = np.setxor1d(keys_inc, keys_lp)
    if not len(diff):
        return mate, 0
    # the difference, glued to the matching's pairs so that every piece holds its people's partners
    du = np.concatenate([diff // n, inc_u])
    dv = np.concatenate([diff % n, inc_v])
    _, label = connected_components(csr_matrix((np.ones(len(du)), (du, dv)), shape=(n, n)), directed=False)
    touched = np.unique(np.concatenate([diff // n, diff % n]))
    pieces = [np.flatnonzero(label == c) for c in np.unique(label[touched]).tolist()]
    pieces.sort(key=len, reverse=True)  # the largest first: they have the most to gain and take longest
    piece_of = np.full(n, -1, dtype=np.int64)
    for k, people in enumerate(pieces):
        piece_of[people] = k
    inside = (piece_of[graph.u] >= 0) & (piece_of[graph.u] == piece_of[graph.v])
    edges = np.flatnonzero(inside)
    by_piece = np.split(edges[np.argsort(piece_of[graph.u[edges]], kind="stable")],
                        np.cumsum(np.bincount(piece_of[graph.u[edges]], minlength=len(pieces)))[:-1])
    seeds = np.random.default_rng(seed).integers(1 << 30, size=len(pieces)).tolist()

    def solve(local: np.ndarray, sub_seed: int) -> tuple[np.ndarray, np.ndarray | None]:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05 or len(local) < 2:
            return local, None
        lu, lv = graph.u[local], graph.v[local]
        hint = mate[lu] == lv  # a maximum matching's: no piece holds more pairs
        chosen, _ = solve_edges(lu, lv, graph.q[local], hint, time_limit=min(cap, remaining), workers=1,
                                seed=sub_seed, presolve=False, pairs=int(hint.sum()))
        return local, chosen

    improved = 0
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for local, chosen in pool.map(solve, by_piece, seeds):
            if chosen is None:
                continue
            lu, lv, lq = graph.u[local], graph.v[local], graph.q[local]
            hint = mate[lu] == lv
            if (int(chosen.sum()), int(lq[chosen].sum())) > (int(hint.sum()), int(lq[hint].sum())):
                mate[lu] = -1
                mate[lv] = -1
                mate[lu[chosen]] = lv[chosen]
                mate[lv[chosen]] = lu[chosen]
                improved += 1
    return mate, improved
