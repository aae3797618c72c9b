"""The candidate graph the solver works on, and the full list of feasible pairs the bound covers.

The candidate graph keeps, for every person, ``k`` promising feasible partners (see
``build_candidates``), every feasible partner of a person who has few (``scarce`` or fewer), and any
extra edges asked for (a previous run's pairs). Small rounds (``full_below`` free people or fewer)
keep every feasible pair, so the solver is exact there; on larger ones ``bound.bound_and_refine``
prices in the pairs the LP says are missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from workbench.matching.model import Applicant, MatchRules, Weights
from workbench.matching.scoring import Pool


@dataclass
class CandidateGraph:
    """Edges over pool indices (u < v) with centipoint scores, plus per-person statistics."""

    u: np.ndarray
    v: np.ndarray
    q: np.ndarray
    degree: np.ndarray  #: feasible partners among the free people (all pairs, not only candidates)
    best: np.ndarray  #: best feasible score among the free people, -1 if none
    is_full: bool  #: every feasible pair among the free people is an edge

    @property
    def size(self) -> int:
        return len(self.q)

    def neighbours(self, n: int) -> list[list[int]]:
        adj: list[list[int]] = [[] for _ in range(n)]
        for a, b in zip(self.u.tolist(), self.v.tolist(), strict=True):
            adj[a].append(b)
            adj[b].append(a)
        return adj


def build_candidates(
    pool: Pool,
    free: np.ndarray,
    *,
    k: int = 12,
    scarce: int | None = None,
    full_below: int = 150,
    extra: Sequence[tuple[int, int]] = (),
    seed: int = 0,
) -> CandidateGraph:
    """The candidate graph over the free people (``free``: pool indices).

    Each person keeps ``k`` partners: two thirds chosen by a *reduced* score, the pair score minus
    half of what the partner could get elsewhere (their best score against a seeded sample of 2,000
    people), and one third by the plain score. Ranking by plain score alone lets popular people crowd
    every list (top-15 lists lose 1% of the optimum on ILN-shaped pools); the reduced score follows
    the LP's duals and needs far fewer priced columns afterwards.
    """
    free = np.asarray(free, dtype=np.int64)
    m = len(free)
    scarce = max(3 * k, 45) if scarce is None else scarce
    full = m <= full_below
    rng = np.random.default_rng(seed)
    degree = np.zeros(pool.n, dtype=np.int64)
    best = np.full(pool.n, -1, dtype=np.int64)
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    qs: list[np.ndarray] = []
    k_plain = min(max(1, k // 3), m - 1)
    k_reduced = min(max(0, k - k_plain), m - 1)
    worth = np.zeros(m, dtype=np.float32)  # half of what each person could get elsewhere (estimate)
    if not full:
        sample = np.sort(rng.choice(free, size=min(m, 2000), replace=False))
        for start, rows, s in pool.iter_blocks(free, sample):
            worth[start:start + len(rows)] = 0.5 * s.max(axis=1, initial=0)
    # ties are broken by a seeded per-column shuffle (cheap, and nobody is favoured)
    noise = rng.random(m).astype(np.float32) * 0.5
    for _start, rows, s in pool.iter_blocks(free, free):
        feas = s >= 0
        deg = feas.sum(axis=1)
        degree[rows] = deg
        best[rows] = s.max(axis=1, initial=-1)
        if full or k_plain <= 0:
            r, c = np.nonzero(feas)
        else:
            key = s.astype(np.float32)
            key += noise[None, :]
            cols = [_top_columns(key.copy(), k_plain).ravel()]
            picks = [np.repeat(np.arange(len(rows)), k_plain)]
            if k_reduced:
                key -= worth[None, :]
                key[~feas] = -np.inf
                cols.append(_top_columns(key, k_reduced).ravel())
                picks.append(np.repeat(np.arange(len(rows)), k_reduced))
            few = np.nonzero((deg > k) & (deg <= scarce))[0]
            if len(few):
                r2, c2 = np.nonzero(feas[few])
                picks.append(few[r2])
                cols.append(c2)
            r, c = np.concatenate(picks), np.concatenate(cols)
        keep = feas[r, c]
        r, c = r[keep], c[keep]
        us.append(rows[r])
        vs.append(free[c])
        qs.append(s[r, c].astype(np.int64))
    for a, b in extra:
        score = int(pool.scores(np.array([a]), np.array([b]))[0, 0])
        if score >= 0:  # an infeasible extra edge (e.g. a stale previous run) is dropped
            us.append(np.array([a]))
            vs.append(np.array([b]))
            qs.append(np.array([score]))
    u = np.concatenate(us) if us else np.zeros(0, np.int64)
    v = np.concatenate(vs) if vs else np.zeros(0, np.int64)
    q = np.concatenate(qs) if qs else np.zeros(0, np.int64)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    keys, first = np.unique(lo * pool.n + hi, return_index=True)
    return CandidateGraph(keys // pool.n, keys % pool.n, q[first], degree, best, full)


def _top_columns(key: np.ndarray, k: int) -> np.ndarray:
    """Each row's ``k`` largest columns, shape (rows, k); ``key`` is overwritten.

    ``k`` passes of argmax: for the few partners a person keeps, some twenty times faster than
    ``np.argpartition`` over every column. A row with fewer than ``k`` finite keys repeats a column or
    names a -inf one (the caller drops infeasible pairs and duplicates).
    """
    out = np.empty((len(key), k), dtype=np.int64)
    at = np.arange(len(key))
    for j in range(k):
        top = key.argmax(axis=1)
        out[:, j] = top
        key[at, top] = -np.inf
    return out


def feasible_pair_blocks(pool: Pool, members: np.ndarray | None = None) -> Iterator[tuple[np.ndarray, ...]]:
    """Every feasible pair (i < j) among ``members`` (pool indices; default all) in array blocks.

    Yields ``(i, j, q)``: pool indices and centipoint scores. Memory stays bounded at any size.
    """
    members = np.arange(pool.n) if members is None else np.sort(np.asarray(members, dtype=np.int64))
    step = pool.block_rows(len(members))
    for start in range(0, len(members), step):
        rows = members[start:start + step]
        s = pool.scores(rows, members)
        r, c = np.nonzero(s >= 0)
        keep = members[c] > rows[r]
        r, c = r[keep], c[keep]
        yield rows[r], members[c], s[r, c].astype(np.int64)


def feasible_pairs(
    applicants: Sequence[Applicant], rules: MatchRules | None = None, weights: Weights | None = None
) -> Iterator[tuple[int, int, float]]:
    """Every pair of eligible applicants the hard rules allow (the cross-border rule of ``rules``), with the
    score the objective uses.

    Yields ``(a_id, b_id, score)`` with ``a_id < b_id``, in points (to the hundredth). Excluded people
    and forbidden pairs are left out; locks do not restrict this list. This is the set the upper bound
    is computed over (the ``candidates`` CSV: ``a_id,b_id,score``).
    """
    rules = rules or MatchRules()
    eligible = [a for a in applicants if a.application_id not in rules.excluded]
    pool = Pool(eligible, weights or Weights(), rules.forbidden, cross_border=rules.cross_border)
    for i, j, q in feasible_pair_blocks(pool):
        a, b = pool.ids[i], pool.ids[j]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        yield from zip(lo.tolist(), hi.tolist(), (q / 100).tolist(), strict=True)
