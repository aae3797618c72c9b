"""Fast matchings for the warm start: LP rounding, greedy filling and augmenting paths.

All functions work on pool indices and a ``mate`` array (``mate[v]`` is v's partner or -1).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

from workbench.matching.candidates import CandidateGraph


def empty_mate(n: int) -> np.ndarray:
    return np.full(n, -1, dtype=np.int64)


def greedy_fill(graph: CandidateGraph, mate: np.ndarray) -> np.ndarray:
    """Add edges by decreasing score while both ends are unmatched (mate is updated in place)."""
    for e in np.argsort(-graph.q, kind="stable").tolist():
        a, b = int(graph.u[e]), int(graph.v[e])
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a
    return mate


def augment(adj: list[list[int]], mate: np.ndarray, people: np.ndarray) -> int:
    """Grow the matching along augmenting paths (Edmonds' alternating forest, blossoms not shrunk,
    so a rare path through an odd cycle can be missed). Returns the number of pairs added."""
    added = 0
    while True:
        roots = [int(v) for v in people if mate[v] < 0 and adj[v]]
        if len(roots) < 2:
            return added
        root: dict[int, int] = {v: v for v in roots}
        parent: dict[int, int] = {}
        outer: set[int] = set(roots)
        used: set[int] = set()
        dead: set[int] = set()  # roots of trees an augmentation went through in this phase
        queue = deque(roots)
        found = 0
        while queue:
            x = queue.popleft()
            if root[x] in dead:
                continue
            for y in adj[x]:
                if root[x] in dead or y in used or (y in root and root[y] in dead):
                    continue
                if y in outer:
                    if root[y] != root[x]:  # two trees meet: augment along root(x)..x-y..root(y)
                        path = _path(x, parent) [::-1] + _path(y, parent)
                        for i in range(0, len(path), 2):
                            a, b = path[i], path[i + 1]
                            mate[a], mate[b] = b, a
                        used.update(path)
                        dead.update((root[x], root[y]))
                        found += 1
                    continue
                if y in root:  # an inner vertex already
                    continue
                z = int(mate[y])
                if z < 0 or z in root:
                    continue
                root[y] = root[z] = root[x]
                parent[y], parent[z] = x, y
                outer.add(z)
                queue.append(z)
        if not found:
            return added
        added += found


def _path(v: int, parent: dict[int, int]) -> list[int]:
    """From outer vertex v back to its tree's root: v, inner, outer, ..., root."""
    out = [v]
    while v in parent:
        v = parent[v]
        out.append(v)
    return out


def matching_value(graph: CandidateGraph, mate: np.ndarray) -> tuple[int, int]:
    """(pairs, total centipoints) of a matching over the graph's edges."""
    on = mate[graph.u] == graph.v
    return int(on.sum()), int(graph.q[on].sum())


def lp_with_cuts(graph: CandidateGraph, n: int, *, max_rounds: int = 8, deadline: float | None = None
                 ) -> tuple[np.ndarray, float]:
    """The matching LP on the candidate graph tightened by odd-set (blossom) cuts.

    Each round finds the odd components of the fractional edges, adds the violated constraint
    ``sum of x over the component's edges <= (size - 1) / 2`` and re-solves; it stops when the
    solution is integral, no cut is violated, the value stalls, or the deadline passes. Returns the
    matching of edges with x > 1/2 (a matching, since degrees are at most 1) and the LP value, an
    upper bound for pairs on this graph.
    """
    mate = empty_mate(n)
    m = graph.size
    if m == 0:
        return mate, 0.0
    rows = [csr_matrix((np.ones(2 * m), (np.concatenate([graph.u, graph.v]), np.tile(np.arange(m), 2))),
                       shape=(n, m))]
    rhs = [np.ones(n)]
    cost = -graph.q.astype(np.float64)
    history: list[float] = []
    x = np.zeros(m)
    value = 0.0
    for _ in range(max_rounds):
        res = linprog(cost, A_ub=vstack(rows).tocsr(), b_ub=np.concatenate(rhs), bounds=(0, None),
                      method="highs")
        if res.status != 0:  # pragma: no cover - keep the last good solution
            break
        x, value = np.asarray(res.x), float(-res.fun)
        history.append(value)
        frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
        stalled = len(history) >= 3 and history[-3] - history[-1] < 1e-5 * max(history[-1], 1.0)
        if not len(frac) or stalled or (deadline is not None and time.monotonic() > deadline):
            break
        fu, fv = graph.u[frac], graph.v[frac]
        _, label = connected_components(csr_matrix((np.ones(len(frac)), (fu, fv)), shape=(n, n)),
                                        directed=False)
        touched = np.unique(np.concatenate([fu, fv]))
        cuts, bounds = [], []
        for comp in np.unique(label[touched]):
            members = touched[label[touched] == comp]
            if len(members) % 2 == 0:
                continue
            inside = np.zeros(n, dtype=bool)
            inside[members] = True
            edges = np.flatnonzero(inside[graph.u] & inside[graph.v])
            if x[edges].sum() > (len(members) - 1) / 2 + 1e-6:
                cuts.append(csr_matrix((np.ones(len(edges)), (np.zeros(len(edges), dtype=int), edges)),
                                       shape=(1, m)))
                bounds.append((len(members) - 1) / 2)
        if not cuts:
            break
        rows.extend(cuts)
        rhs.append(np.array(bounds))
    on = np.flatnonzero(x > 0.5)
    mate[graph.u[on]] = graph.v[on]
    mate[graph.v[on]] = graph.u[on]
    return mate, value
