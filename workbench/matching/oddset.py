"""The matching polytope's odd-set (blossom) inequalities: a bound that can prove a matching optimal.

The fractional matching LP (``bound.py``) is not the matching polytope: on a triangle of weights it
takes every edge at one half. Edmonds' odd-set inequalities close the gap,

    sum of x over the pairs inside S  <=  (|S| - 1) / 2      for every set S of an odd number of people,

and the LP with all of them has an integral optimum (the best matching's score). We add only the violated
ones (``separate``): the odd components of the fractional edges first (on a half-integral solution they
are exactly its odd cycles), then the odd components of the edges with ``x`` above a threshold, a cheap
stand-in for Padberg–Rao's minimum odd cut that finds the blossoms of nearly integral solutions.

The dual of the LP with cuts is   min sum_v y_v + sum_S z_S (|S| - 1) / 2
                                  s.t. y_u + y_v + sum_{S holding u and v} z_S >= q_uv,  y, z >= 0.
``certify`` re-solves the LP on the candidate graph, prices every feasible pair of the round against
``(y, z)`` (pairs with positive reduced cost join the LP and the candidate graph, with the cuts holding
them), and raises ``y`` where a pair is still uncovered, so ``sum(y) + sum(z (|S|-1)/2)`` is an upper
bound on the score of ANY set of pairs, over all feasible pairs: our own certificate, no outside
solver. Scores are integers (centipoints), so an incumbent equal to the bound rounded down is optimal.

The same duals fix edges: a pair whose reduced cost ``y_u + y_v + cov_uv - q_uv`` exceeds the gap
between bound and incumbent is in no matching better than the incumbent (the reduced costs of a
matching's pairs add up to at most the gap), so the solver can leave it out.

What the certificate covers: sets of PAIRS. A trio (three people at one half each) breaks the odd-set
inequality of its three members, so a run that makes a trio keeps the plain LP bound, which covers trios.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components, maximum_flow

from workbench.matching.bound import add_edges, best_per_row
from workbench.matching.candidates import CandidateGraph
from workbench.matching.lp import MatchingLP
from workbench.matching.scoring import Pool

_EPS = 1e-6


@dataclass
class Certificate:
    """An upper bound from the LP with odd-set cuts, with the duals that prove it."""

    value_cp: int  #: the bound over every set of pairs of the free people, centipoints, rounded down
    exact_cp: float  #: the bound before rounding
    lp_cp: float  #: the LP optimum on the candidate graph, with the cuts
    cuts: int  #: odd-set inequalities in the LP
    rounds: int  #: LP solves
    priced: int  #: pairs priced into the candidate graph
    is_integral: bool  #: the last LP solution is a matching (then it is the best one on the graph)
    mate: np.ndarray  #: the matching of the edges the last LP holds above one half
    reduced: np.ndarray  #: reduced cost of each candidate edge (graph order) under the proving duals
    seconds: float
    odd_sets: list[np.ndarray]  #: the sets whose cuts have z > 0 in the proving duals (pool indices)
    support_u: np.ndarray  #: the pairs the last LP solution holds (x > 0), one end
    support_v: np.ndarray  #: ... and the other (``cpsat.recombine`` starts the search there)


def separate(lp: MatchingLP, x: np.ndarray, *, limit: int = 2000) -> int:
    """Add the violated odd-set inequalities found in the LP solution ``x``; returns how many."""
    n, u, v = lp.n, lp.u, lp.v
    found: list[np.ndarray] = []
    seen: set[bytes] = set()
    for threshold in (None, 0.4, 0.2, 1e-3):
        # first the fractional edges (odd cycles of a half-integral solution), then the heavy edges, x = 1
        # ones too (blossoms of a nearly integral solution)
        keep = np.flatnonzero((x > _EPS) & (x < 1 - _EPS)) if threshold is None else np.flatnonzero(x > threshold)
        if not len(keep):
            continue
        ku, kv = u[keep], v[keep]
        _, label = connected_components(csr_matrix((np.ones(len(keep)), (ku, kv)), shape=(n, n)), directed=False)
        touched = np.unique(np.concatenate([ku, kv]))
        labels = label[touched]
        order = np.argsort(labels, kind="stable")
        splits = np.flatnonzero(np.diff(labels[order])) + 1
        for members in np.split(touched[order], splits):
            if len(members) % 2 == 0 or len(members) < 3 or len(members) > 2000:
                continue
            key = np.sort(members).tobytes()
            if key in seen:
                continue
            seen.add(key)
            found.append(members)
        if len(found) >= limit:
            break
    added = 0
    inside = np.zeros(n, dtype=bool)
    for members in found[:limit]:
        added += _cut_if_violated(lp, x, u, v, inside, members)
    return added


def _cut_if_violated(lp: MatchingLP, x: np.ndarray, u: np.ndarray, v: np.ndarray, inside: np.ndarray,
                     people: np.ndarray) -> bool:
    """Add the odd set ``people``'s inequality to ``lp`` if the solution ``x`` breaks it; True if added.
    ``inside`` is an all-False scratch mask over the people, left all-False."""
    inside[people] = True
    edges = np.flatnonzero(inside[u] & inside[v])
    inside[people] = False
    rhs = (len(people) - 1) / 2
    if x[edges].sum() > rhs + 1e-5:
        lp.add_cut(edges, rhs, people)
        return True
    return False


def seed_cuts(lp: MatchingLP, sets: list[np.ndarray], *, limit: int = 500) -> int:
    """Start the LP with the odd-set inequalities of ``sets`` (pool indices; a previous run's): every odd
    set's inequality holds for every matching, so the bound stays valid and often needs fewer rounds."""
    u, v = lp.u, lp.v
    inside = np.zeros(lp.n, dtype=bool)
    added = 0
    for members in sets[:limit]:
        if len(members) < 3 or len(members) % 2 == 0:
            continue
        inside[members] = True
        edges = np.flatnonzero(inside[u] & inside[v])
        inside[members] = False
        lp.add_cut(edges, (len(members) - 1) / 2, members)
        added += 1
    return added


def separate_by_cuts(lp: MatchingLP, x: np.ndarray, *, max_size: int = 400, limit: int = 200) -> int:
    """Padberg–Rao's separation, when the components find nothing: minimum cuts, exact up to rounding.

    With each person's slack ``s_v = 1 - x(edges at v)`` tied to a dummy node ``d``, an odd set ``S`` breaks
    its inequality exactly when ``x(edges leaving S) + s(S) < 1``: a cut of capacity below 1 around an odd
    set. A violated set may be taken inside one component of the support (the parts of a violated set
    add up their cuts, so one odd part is violated too); in each component holding a fractional edge (at
    most ``max_size`` people) Gusfield's sequence of minimum cuts (the cuts of a Gomory–Hu tree, scipy's
    max-flow on capacities scaled to integers) yields the candidate sets, each checked against ``x``.
    """
    n, u, v = lp.n, lp.u, lp.v
    on = np.flatnonzero(x > _EPS)
    if not len(on) or not np.any(x[on] < 1 - _EPS):
        return 0
    load = np.bincount(u[on], weights=x[on], minlength=n) + np.bincount(v[on], weights=x[on], minlength=n)
    _, label = connected_components(csr_matrix((np.ones(len(on)), (u[on], v[on])), shape=(n, n)), directed=False)
    fractional = np.unique(label[u[on[x[on] < 1 - _EPS]]])
    scale = 1_000_000
    added = 0
    inside = np.zeros(n, dtype=bool)
    for comp in fractional.tolist():
        members = np.flatnonzero(label == comp)
        k = len(members)
        if k < 3 or k > max_size:
            continue
        pos = np.full(n, -1, dtype=np.int64)
        pos[members] = np.arange(k)
        e = on[(pos[u[on]] >= 0)]
        a, b, cap = pos[u[e]], pos[v[e]], np.round(x[e] * scale).astype(np.int64)
        slack = np.round(np.maximum(0.0, 1 - load[members]) * scale).astype(np.int64)
        d = k  # the dummy node
        rows = np.concatenate([a, b, np.arange(k), np.full(k, d)])
        cols = np.concatenate([b, a, np.full(k, d), np.arange(k)])
        caps = np.concatenate([cap, cap, slack, slack])
        graph = csr_matrix((caps, (rows, cols)), shape=(k + 1, k + 1)).astype(np.int32)
        graph.sum_duplicates()
        parent = np.zeros(k + 1, dtype=np.int64)  # Gusfield over the k + 1 nodes, the dummy included
        seen: set[bytes] = set()
        for src in range(1, k + 1):
            flow = maximum_flow(graph, src, int(parent[src]))
            if flow.flow_value >= scale:
                continue  # no cut below 1 between them: nothing to find here
            residual = graph - flow.flow
            side = breadth_first_order(residual.multiply(residual > 0).tocsr(), src, directed=True,
                                       return_predecessors=False)
            mask = np.zeros(k + 1, dtype=bool)
            mask[side] = True
            later = np.arange(k + 1) > src
            parent[later & mask & (parent == parent[src])] = src
            part = np.flatnonzero(~mask[:k]) if mask[d] else np.flatnonzero(mask[:k])
            if len(part) < 3 or len(part) % 2 == 0:
                continue
            key = part.tobytes()
            if key in seen:
                continue
            seen.add(key)
            if _cut_if_violated(lp, x, u, v, inside, members[part]):
                added += 1
                if added >= limit:
                    return added
    return added


def _coverage(lp: MatchingLP, free: np.ndarray, z: np.ndarray) -> tuple[csr_matrix, np.ndarray] | None:
    """Membership of the free people (rows, by position in ``free``) in the cuts with z > 0, and their z."""
    live = np.flatnonzero(z > 0)
    if not len(live):
        return None
    pos = np.full(lp.n, -1, dtype=np.int64)
    pos[free] = np.arange(len(free))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for j, c in enumerate(live.tolist()):
        members = pos[lp.cut_members[c]]
        members = members[members >= 0]
        rows.append(members)
        cols.append(np.full(len(members), j))
    r = np.concatenate(rows)
    return csr_matrix((np.ones(len(r)), (r, np.concatenate(cols))), shape=(len(free), len(live))), z[live]


def price_all(pool: Pool, free: np.ndarray, lp: MatchingLP, y: np.ndarray, z: np.ndarray, per_row: int = 5,
              mu: float = 0.0, keep: int = 200_000, near: float = 0.0
              ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sweep every feasible pair of the free people against the duals ``(y, z)``.

    Returns (a valid bound, the raised y over the pool, new pairs u, v, q): the pairs with positive reduced
    cost and those within ``near`` of it (every one when at most ``keep``, else each person's ``per_row`` best
    among the people after them in ``free``), and ``sum(raised y) + sum(z (|S|-1)/2)`` with ``y`` raised until
    every pair is covered. The nearly uncovered pairs are those the next duals are likely to leave uncovered:
    at 20,000 people a margin of 3 points takes the second pricing's bound from 0.018% above the LP to 0.002%.

    The raise: the uncovered pairs are few near the LP optimum (a few hundred at 20,000 people), and the least
    raise that covers them all is a small LP (``_least_raise``), often a third below raising one end of each.
    With more than 20,000 uncovered pairs (or ``keep`` held), Gauss–Seidel in the order of ``free`` on each pair once
    (``Pool.iter_upper``): the pair (i, j), i first, is covered by raising ``y_i`` while ``y_j`` is not yet
    raised, so every row's raise needs only the duals as given and a block of rows is raised at once.
    """
    cov = _coverage(lp, free, z)
    member, zl = (None, np.zeros(0)) if cov is None else cov
    zt = None if member is None else csr_matrix(member.multiply(zl[None, :]))
    y0 = y[free].astype(np.float64)
    yr = y0.copy()
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    above: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # (i, j, reduced cost, q)
    held = 0
    for start, rows, s0 in pool.iter_upper(free):
        stop = start + len(rows)
        red = s0.astype(np.float64)
        red -= y0[start:stop, None]
        red -= y0[None, start:]
        if mu:
            red += mu
        red[s0 < 0] = -np.inf
        if zt is not None and member is not None:  # the cuts holding both: sparse (odd sets are small)
            c = (zt[start:stop] @ member[start:].T).tocoo()
            red[c.row, c.col] -= c.data
        if held <= keep:
            r, cc = np.nonzero(red > -near)
            held += len(r)
            above.append((start + r, start + cc, red[r, cc], s0[r, cc].astype(np.int64)))
        r, cc = best_per_row(red, red > 0.5, per_row)
        us.append(rows[r])
        vs.append(free[start + cc])
        qs.append(s0[r, cc].astype(np.int64))
        yr[start:stop] += red.max(axis=1, initial=0.0)
    if held <= keep:  # every uncovered pair is known: the least raise, and all of them priced in
        i = np.concatenate([a[0] for a in above])
        j = np.concatenate([a[1] for a in above])
        gap = np.concatenate([a[2] for a in above])
        short = gap > 0
        if short.sum() <= 20_000:  # else the small LP is not small: the Gauss-Seidel raise stays
            yr = y0 + _least_raise(i[short], j[short], gap[short], len(free))
        big = gap > (0.5 if not near else -near)
        us, vs, qs = [free[i[big]]], [free[j[big]]], [np.concatenate([a[3] for a in above])[big]]
    extra = float(sum(zv * (len(lp.cut_members[c]) - 1) / 2
                      for zv, c in zip(zl.tolist(), np.flatnonzero(z > 0).tolist(), strict=True)))
    bound = float(yr.sum()) + extra - mu * lp.min_pairs
    raised = np.zeros(pool.n)
    raised[free] = yr
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    q = np.concatenate(qs) if qs else np.zeros(0, np.int64)
    return bound, raised, u, v, q


def _least_raise(i: np.ndarray, j: np.ndarray, gap: np.ndarray, m: int) -> np.ndarray:
    """The raise ``d >= 0`` of least sum with ``d_i + d_j >= gap`` for every given pair (positions < ``m``).

    A fractional vertex cover, solved by GLOP; whatever its tolerances leave short is then added to the first
    end of the pair (raises only grow), so the raise covers every pair whatever the LP returned."""
    d = np.zeros(m)
    if not len(i):
        return d
    people, local = np.unique(np.concatenate([i, j]), return_inverse=True)
    li, lj = local[:len(i)], local[len(i):]
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is not None and len(i) <= 200_000:
        inf = solver.infinity()
        var = [solver.NumVar(0.0, inf, "") for _ in range(len(people))]
        for a, b, w in zip(li.tolist(), lj.tolist(), gap.tolist(), strict=True):
            solver.Add(var[a] + var[b] >= w)
        solver.Minimize(solver.Sum(var))
        if solver.Solve() == pywraplp.Solver.OPTIMAL:
            d[people] = np.maximum([x.solution_value() for x in var], 0.0)
    short = gap - d[i] - d[j] > 0  # what is still short (all of it when GLOP gave nothing), with a margin
    np.maximum.at(d, i[short], gap[short] - d[j[short]] + 1e-6)
    return d


def reduced_costs(lp: MatchingLP, y: np.ndarray, z: np.ndarray, u: np.ndarray, v: np.ndarray,
                  q: np.ndarray, mu: float = 0.0) -> np.ndarray:
    """``y_u + y_v + sum of z over the cuts holding both - q - mu`` per edge."""
    rc = y[u] + y[v] - q.astype(np.float64) - mu
    for c in np.flatnonzero(z > 0).tolist():
        inside = np.zeros(lp.n, dtype=bool)
        inside[lp.cut_members[c]] = True
        rc[inside[u] & inside[v]] += z[c]
    return rc


def certify(pool: Pool, free: np.ndarray, graph: CandidateGraph, lp: MatchingLP, *, incumbent_cp: int = 0,
            pairs: int = 0, deadline: float | None = None, max_rounds: int = 60) -> tuple[Certificate, CandidateGraph]:
    """Tighten the LP with odd-set cuts, price every pair, and return the certified bound.

    ``lp`` holds the graph's edges (and perhaps earlier cuts); priced pairs join both. Stops when the
    bound reaches ``incumbent_cp`` (rounded down: scores are integers), when no cut is violated and no
    pair prices in, or at the deadline. The bound is valid whenever it stops. ``pairs``: the incumbent's
    pairs; the bound then covers every matching with at least that many (the most people matched comes
    first, so the best matching is one of them).
    """
    started = time.monotonic()
    free = np.asarray(free, dtype=np.int64)
    if pairs:
        lp.require_pairs(pairs)
    best_mu = 0.0
    best = math.inf
    best_y = np.zeros(pool.n)
    best_z = np.zeros(0)
    lp_value, x = 0.0, np.zeros(0)
    priced = rounds = 0
    large = len(free) > 5000  # a pricing costs seconds: price sooner, and more pairs at once
    pricings = 0
    # there the warm start's cut rounds count as ours
    since_pricing, last, priced_at = 0, lp.value if large else math.inf, started
    y = z = None
    # above 5,000 people a pricing costs seconds: price the nearly uncovered pairs in too (3 points of margin),
    # so that fewer pricings reach the LP (on small rounds they would flood the LP for nothing)
    near = 300.0 if large else 0.0
    took = {"solve": 0.0, "solve after pricing": 0.0, "pricing": 0.0}  # the last of each, seconds
    while rounds < max_rounds:
        remaining = None if deadline is None or not rounds else deadline - time.monotonic()
        # above 5,000 people the second pricing is worth overrunning the deadline for, on a loaded machine: the
        # first one's bound is 0.05% above the LP at 20,000 people, the second's 0.002% (the pairs it priced in)
        if large and pricings < 2:
            remaining = None
        # an LP whose duals cannot be priced before the deadline gains nothing (its bound is never counted)
        ahead = took["solve" if y is not None else "solve after pricing"] + took["pricing"]
        if remaining is not None and remaining <= ahead:
            break
        clock = time.monotonic()
        solved = lp.solve(time_limit=remaining)  # the first solve is never cut short: a bound always comes
        took["solve" if y is not None or not took["pricing"] else "solve after pricing"] = time.monotonic() - clock
        rounds += 1
        if solved is None:
            break
        lp_value, x, y = solved
        z = lp.cut_duals.copy()
        mu = lp.pairs_dual
        added = separate(lp, x)
        if not added and math.floor(lp_value + _EPS) > incumbent_cp:
            added = separate_by_cuts(lp, x)  # the components found nothing: minimum odd cuts
        since_pricing += 1
        # a cut round that lowers the LP by less than 5 parts in a million gains less than a pricing: at
        # 20,000 people ten such rounds (a second each) took 0.0003% off the LP, a pricing 0.03% off the bound;
        # small rounds price cheaply and keep cutting longer (a few rounds first make the LP integral)
        progress = (last - lp_value >= max(0.5, 5e-6 * abs(lp_value)) if large
                    else last - lp_value >= 0.5 or since_pricing < 3)
        last = lp_value
        # a third of the time at most between pricings: the pairs the cuts' duals leave uncovered are only
        # counted (raised y) by a pricing, and added for the next LP by the one before it
        fresh = deadline is None or time.monotonic() - priced_at < (deadline - started) / 3
        if (added and math.floor(lp_value + _EPS) > incumbent_cp and since_pricing < 15
                and progress and rounds < max_rounds and fresh):
            continue  # cheap: tighten on the candidate graph before pricing every pair
        mu = lp.pairs_dual
        clock = time.monotonic()
        bound, raised, pu, pv, pq = price_all(pool, free, lp, y, z, mu=mu, near=near)
        took["pricing"] = time.monotonic() - clock
        pricings += 1
        if bound < best:
            best, best_y, best_z, best_mu = bound, raised, z, mu
        y = z = None
        since_pricing, last, priced_at = 0, math.inf, time.monotonic()
        if len(pu):
            priced += lp.add_edges(pu, pv, pq)
            graph = add_edges(graph, pool.n, pu, pv, pq)
        if math.floor(best + _EPS) <= incumbent_cp or (not len(pu) and not added):
            break
    if y is not None and z is not None:  # the deadline came between pricings: price the last duals
        bound, raised, _, _, _ = price_all(pool, free, lp, y, z, mu=mu)
        if bound < best:
            best, best_y, best_z, best_mu = bound, raised, z, mu
    value = math.floor(best + _EPS) if best < math.inf else 2**62  # no pricing at all: no certificate
    on = np.flatnonzero(x > 0.5) if len(x) else np.zeros(0, np.int64)
    mate = np.full(pool.n, -1, dtype=np.int64)
    lu, lv = lp.u, lp.v
    mate[lu[on]] = lv[on]
    mate[lv[on]] = lu[on]
    integral = bool(len(x)) and not np.any((x > _EPS) & (x < 1 - _EPS))
    z_all = np.zeros(len(lp.cut_members))
    z_all[:len(best_z)] = best_z  # cuts added after the best duals have z = 0 there
    rc = (reduced_costs(lp, best_y, z_all, graph.u, graph.v, graph.q, best_mu) if best < math.inf
          else np.zeros(graph.size))
    odd_sets = [lp.cut_members[c] for c in np.flatnonzero(z_all > _EPS).tolist()]
    held = np.flatnonzero(x > _EPS) if len(x) else np.zeros(0, np.int64)
    return Certificate(value, best, lp_value, lp.cuts, rounds, priced, integral, mate, rc,
                       round(time.monotonic() - started, 3), odd_sets, lu[held], lv[held]), graph
