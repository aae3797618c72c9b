"""Fast matchings for the warm start: LP rounding with odd-set cuts, greedy filling, and exact
maximum cardinality (Edmonds' blossom algorithm).

All functions work on pool indices and a ``mate`` array (``mate[v]`` is v's partner or -1).
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from workbench.matching.candidates import CandidateGraph
from workbench.matching.lp import MatchingLP


def empty_mate(n: int) -> np.ndarray:
    return np.full(n, -1, dtype=np.int64)


def greedy_fill(graph: CandidateGraph, mate: np.ndarray) -> np.ndarray:
    """Add edges by decreasing score while both ends are unmatched (mate is updated in place)."""
    for e in np.argsort(-graph.q, kind="stable").tolist():
        a, b = int(graph.u[e]), int(graph.v[e])
        if mate[a] < 0 and mate[b] < 0:
            mate[a], mate[b] = b, a
    return mate


def maximum_matching(adj: list[list[int]], mate: np.ndarray, people: np.ndarray,
                     forest: np.ndarray | None = None) -> int:
    """Make ``mate`` a maximum-cardinality matching of the graph (in place); returns pairs added.

    Edmonds' blossom algorithm with bases kept in a union-find, one search per unmatched person.
    A search that fails leaves a Hungarian tree whose people are deleted for the later searches
    (no augmenting path can ever pass through them again), so failures cost O(edges) in total and
    the usual case — a near-maximum warm start — is fast.

    ``forest`` (length n, filled with -1 by the caller): the Hungarian trees of the failed searches,
    the Gallai–Edmonds decomposition ``cardinality.py`` turns into a proof: an outer person gets the
    base of their blossom (>= 0), an inner person -2; an unmatched person with no edge is a tree alone.
    """
    n = len(adj)
    m = mate.tolist()
    base = list(range(n))
    kind = [0] * n  # 0 unlabelled, 1 outer (even), 2 inner (odd)
    pre = [-1] * n
    seen = [0] * n
    deleted = [False] * n
    stamp = 0

    def find(x: int) -> int:
        root = x
        while base[root] != root:
            root = base[root]
        while base[x] != root:
            base[x], x = root, base[x]
        return root

    def lca(x: int, y: int) -> int:
        nonlocal stamp
        stamp += 1
        while True:
            if x != -1:
                x = find(x)
                if seen[x] == stamp:
                    return x
                seen[x] = stamp
                x = pre[m[x]] if m[x] != -1 else -1
            x, y = y, x

    def shrink(x: int, y: int, top: int, queue: deque[int]) -> None:
        while find(x) != top:
            pre[x] = y
            y = m[x]
            if kind[y] == 2:
                kind[y] = 1
                queue.append(y)
            if find(x) == x:
                base[x] = top
            if find(y) == y:
                base[y] = top
            x = pre[y]

    def search(root: int) -> bool:
        touched = [root]
        kind[root] = 1
        queue = deque([root])
        found = False
        while queue and not found:
            x = queue.popleft()
            for y in adj[x]:
                if deleted[y] or kind[y] == 2 or find(x) == find(y):
                    continue
                if kind[y] == 0:
                    kind[y], pre[y] = 2, x
                    touched.append(y)
                    if m[y] == -1:  # augment along y, pre[y], its mate, ...
                        while True:
                            x = pre[y]
                            nxt = m[x]
                            m[x], m[y] = y, x
                            if nxt == -1:
                                break
                            y = nxt
                        found = True
                        break
                    z = m[y]
                    kind[z] = 1
                    touched.append(z)
                    queue.append(z)
                else:  # two outer vertices: a blossom
                    top = lca(x, y)
                    shrink(x, y, top, queue)
                    shrink(y, x, top, queue)
        if not found and forest is not None:
            for v in touched:  # before the reset below: find() walks the bases
                forest[v] = find(v) if kind[v] == 1 else -2
        for v in touched:
            base[v], kind[v], pre[v] = v, 0, -1
            if not found:
                deleted[v] = True
        return found

    added = 0
    for s in people.tolist():
        if m[s] == -1 and not deleted[s] and adj[s] and search(s):
            added += 1
        elif m[s] == -1 and not adj[s] and forest is not None:
            forest[s] = s
    mate[:] = m
    return added


def matching_value(graph: CandidateGraph, mate: np.ndarray) -> tuple[int, int]:
    """(pairs, total centipoints) of a matching over the graph's edges."""
    on = mate[graph.u] == graph.v
    return int(on.sum()), int(graph.q[on].sum())


def lp_with_cuts(lp: MatchingLP, *, max_rounds: int = 12, deadline: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Round the matching LP after tightening it with odd-set (blossom) cuts.

    Each round finds the odd components of the fractional edges, adds the violated constraint
    ``sum of x over the component's edges <= (size - 1) / 2`` and re-solves (GLOP restarts from the
    last basis); it stops when the solution is integral, no cut is violated, the value stalls, or the
    deadline passes. Returns the matching of edges with x > 1/2 (degrees are at most 1, so it is one)
    and the people the final LP is unsure about (on a fractional edge).
    """
    n = lp.n
    mate = empty_mate(n)
    u, v = lp.u, lp.v
    history: list[float] = []
    x = np.zeros(len(u))
    for _ in range(max_rounds):
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            break
        solved = lp.solve(time_limit=remaining)
        if solved is None:
            break
        value, x, _ = solved
        history.append(value)
        frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
        stalled = len(history) >= 3 and history[-3] - history[-1] < 1e-5 * max(history[-1], 1.0)
        if not len(frac) or stalled:
            break
        fu, fv = u[frac], v[frac]
        _, label = connected_components(csr_matrix((np.ones(len(frac)), (fu, fv)), shape=(n, n)),
                                        directed=False)
        touched = np.unique(np.concatenate([fu, fv]))
        cuts = 0
        for comp in np.unique(label[touched]):
            members = touched[label[touched] == comp]
            if len(members) % 2 == 0:
                continue
            inside = np.zeros(n, dtype=bool)
            inside[members] = True
            edges = np.flatnonzero(inside[u] & inside[v])
            if x[edges].sum() > (len(members) - 1) / 2 + 1e-6:
                lp.add_cut(edges, (len(members) - 1) / 2, members)
                cuts += 1
        if not cuts:
            break
    on = np.flatnonzero(x > 0.5)
    mate[u[on]] = v[on]
    mate[v[on]] = u[on]
    frac = np.flatnonzero((x > 1e-6) & (x < 1 - 1e-6))
    return mate, np.unique(np.concatenate([u[frac], v[frac]]))
