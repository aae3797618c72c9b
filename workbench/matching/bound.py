"""Upper bounds on the total score, over ALL feasible pairs, and candidate-graph repair by pricing.

The total score of any set of pairs (and trios, which score half the sum of their three pair scores)
is at most the optimum of the fractional matching LP

    max  sum_e q_e x_e   s.t.  sum_{e at v} x_e <= 1 for every person v,  x >= 0,

whose dual is   min sum_v y_v   s.t.  y_u + y_v >= q_uv for every feasible pair uv,  y >= 0.
Any dual-feasible ``y`` proves ``sum(y)`` is an upper bound, and we compute one without ever holding
all n^2 pairs:

1. solve the LP on the candidate graph (GLOP, ``lp.MatchingLP``) and take its duals ``y``;
2. sweep every feasible pair once, in row blocks (O(n) memory per row): pairs with positive reduced
   cost ``q_uv - y_u - y_v`` are added to the candidate graph (column generation), and a Gauss–Seidel
   pass raises ``y_u`` to ``max_{v after u} (q_uv - y_v)`` where needed, so the raised ``y`` is dual
   feasible for every pair and ``sum(y)`` is a valid bound;
3. repeat while the bound and the LP value differ by more than ``tol`` (a few rounds suffice).

At convergence the bound equals the LP over all pairs, which is also half the optimal assignment on
the bipartite double cover (DESIGN.md). For rounds of up to ``assignment_max`` people we also solve
that assignment with ``scipy.optimize.linear_sum_assignment`` on a dense matrix and keep the smaller
bound; above that the dense matrix would cost O(n^2) memory, so only the dual bound is used.
The pricing also fixes the candidate graph: top-k lists miss up to 1% of the optimum on ILN-shaped
pools because popular people crowd everyone's list; priced columns put the missing pairs back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from workbench.matching.candidates import CandidateGraph
from workbench.matching.lp import MatchingLP
from workbench.matching.scoring import Pool


@dataclass
class Bound:
    value_cp: int  #: the bound over the free people, centipoints
    method: str
    lp_cp: float  #: the LP optimum on the last candidate graph solved
    rounds: int


def price_and_raise(pool: Pool, free: np.ndarray, y: np.ndarray, per_row: int = 5
                    ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """One sweep over all feasible pairs of the free people, each pair once (``Pool.iter_upper``).

    Returns (valid bound, new edges u, v, q): edges with positive reduced cost under ``y`` (at most
    ``per_row`` per person, among the people after them in ``free``), and the sum of ``y`` raised to dual
    feasibility over every pair: the pair (i, j), i first in ``free``, is covered by raising ``y_i``
    (Gauss–Seidel in the order of ``free``; ``y_j`` is not raised yet then, so a block is raised at once).
    """
    y0 = y[free].astype(np.float64)
    yr = y0.copy()  # the raised duals, by position in ``free``
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    for start, rows, s in pool.iter_upper(free):
        # infeasible cells hold -1 and duals are >= 0, so they never price in nor raise anything
        red = s.astype(np.float64)
        red -= y0[start:start + len(rows), None]
        red -= y0[None, start:]
        r, c = best_per_row(red, red > 0.5, per_row)
        us.append(rows[r])
        vs.append(free[start + c])
        qs.append(s[r, c].astype(np.int64))
        yr[start:start + len(rows)] += red.max(axis=1, initial=0.0)
    bound = float(yr.sum())
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    q = np.concatenate(qs) if qs else np.zeros(0, np.int64)
    return bound, u, v, q


def best_per_row(red: np.ndarray, wanted: np.ndarray, per_row: int) -> tuple[np.ndarray, np.ndarray]:
    """The (row, column) cells where ``wanted`` holds, keeping each row's ``per_row`` of largest ``red``."""
    r, c = np.nonzero(wanted)
    if len(r) > per_row * len(red):
        order = np.lexsort((-red[r, c], r))
        r, c = r[order], c[order]
        first = np.searchsorted(r, r, side="left")
        keep = np.arange(len(r)) - first < per_row
        r, c = r[keep], c[keep]
    return r, c


def add_edges(graph: CandidateGraph, n: int, u: np.ndarray, v: np.ndarray, q: np.ndarray) -> CandidateGraph:
    lo = np.concatenate([graph.u, np.minimum(u, v)])
    hi = np.concatenate([graph.v, np.maximum(u, v)])
    qq = np.concatenate([graph.q, q])
    keys, first = np.unique(lo * n + hi, return_index=True)
    return CandidateGraph(keys // n, keys % n, qq[first], graph.degree, graph.best, graph.is_full)


def assignment_bound(pool: Pool, free: np.ndarray) -> int:
    """Half the optimal assignment on the bipartite double cover (dense; small rounds only)."""
    s = pool.scores(free, free).astype(np.float64)
    s[s < 0] = 0.0  # an infeasible cell or the diagonal: "stay unmatched", worth nothing
    r, c = linear_sum_assignment(s, maximize=True)
    return math.ceil(s[r, c].sum() / 2 - 1e-9)


def bound_and_refine(pool: Pool, free: np.ndarray, graph: CandidateGraph, lp: MatchingLP, *,
                     max_rounds: int = 6, tol: float = 5e-4, assignment_max: int = 1500,
                     deadline: float | None = None) -> tuple[Bound, CandidateGraph]:
    """A valid upper bound over all feasible pairs of the free people, and the priced candidate graph.

    ``lp`` must hold the graph's edges; priced pairs are added to both.
    """
    free = np.asarray(free, dtype=np.int64)
    if len(free) < 2:
        return Bound(0, "none", 0.0, 0), graph
    lsa = assignment_bound(pool, free) if len(free) <= assignment_max else None
    best_bound = math.inf if lsa is None else float(lsa)
    lp_value = 0.0
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        solved = lp.solve()
        y = np.zeros(pool.n) if solved is None else solved[2]
        lp_value = 0.0 if solved is None else solved[0]
        if lsa is not None and lp_value >= lsa - 0.5:
            break  # the candidates already carry the LP optimum over all pairs
        bound, u, v, q = price_and_raise(pool, free, y)
        best_bound = min(best_bound, bound)
        if len(u):
            lp.add_edges(u, v, q)
            graph = add_edges(graph, pool.n, u, v, q)
        if (solved is None or not len(u) or best_bound - lp_value <= tol * max(best_bound, 1.0)
                or (deadline is not None and time.monotonic() > deadline)):
            break
    value = math.ceil(best_bound - 1e-6)
    method = "assignment (double cover)" if lsa is not None and value == lsa else "LP dual (column generation)"
    return Bound(value, method, lp_value, rounds), graph
