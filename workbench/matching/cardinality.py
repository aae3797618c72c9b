"""The most people matched, proved over every feasible pair: a Tutte–Berge certificate.

The score's certificate (``oddset.certify``) covers the matchings with at least as many pairs as ours;
this one proves no matching has more, so together they prove the run optimal (people first, then score).

Tutte–Berge: for any set ``A`` of people, every matching leaves at least ``odd(G - A) - |A|`` people
unmatched, where ``odd(G - A)`` counts the components of an odd number of people once ``A`` is taken
out. Edmonds' algorithm hands us such an ``A``: when no augmenting path is left, the search from each
unmatched person ends in a Hungarian tree (``heuristics.maximum_matching(..., forest=)``); ``A`` is
their inner people, and each tree's outer people form blossoms of an odd size, one more than the
tree's inner people (the Gallai–Edmonds decomposition). If no feasible pair joins an outer person to
anyone but ``A`` or their own blossom, each blossom is an odd component of ``G - A`` on ALL feasible
pairs, so ``odd(G - A) - |A|`` is at least the number of trees: the number of people we left unmatched.

The candidate graph satisfies that by construction; ``prove_most_matched`` checks it over every
feasible pair of the outer people (one sweep of ``|outer| x |free|`` feasibility, not scores). A pair that breaks it
joins the candidate graph, the matching is augmented where it now can be, and the check runs again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from workbench.matching.bound import add_edges
from workbench.matching.candidates import CandidateGraph
from workbench.matching.heuristics import maximum_matching
from workbench.matching.scoring import Pool


@dataclass
class MostMatched:
    """The outcome of ``prove_most_matched``."""

    is_proved: bool  #: no matching over the feasible pairs of the free people has more pairs
    pairs: int  #: pairs of the matching (the most there can be, when proved)
    unmatched: int  #: free people left unmatched
    tutte_set: int  #: |A|, the inner people of the Hungarian trees
    checked: int  #: outer people whose every feasible pair was checked
    added: int  #: pairs added to the candidate graph (and matching gained) on the way
    rounds: int
    seconds: float


def prove_most_matched(pool: Pool, free: np.ndarray, graph: CandidateGraph, mate: np.ndarray, *,
                       max_rounds: int = 8, per_row: int = 3) -> tuple[MostMatched, CandidateGraph]:
    """Make ``mate`` (in place) a maximum-cardinality matching over every feasible pair of ``free``, with proof.

    Each round: Edmonds' algorithm on the candidate graph (augmenting where it can), the Hungarian
    trees it leaves, and the sweep of the outer people's feasible pairs; pairs breaking the certificate
    (at most ``per_row`` per person) join the graph for the next round.
    """
    started = time.monotonic()
    free = np.asarray(free, dtype=np.int64)
    added = checked = tutte = 0
    proved = False
    rounds = 0
    for rounds in range(1, max_rounds + 1):  # noqa: B007 - the count is reported
        forest = np.full(pool.n, -1, dtype=np.int64)
        added += maximum_matching(graph.neighbours(pool.n), mate, free, forest)
        outer = np.flatnonzero(forest >= 0)
        tutte = int((forest == -2).sum())
        checked = len(outer)
        fu, fv = _breaking_pairs(pool, free, forest, outer, per_row)
        if not len(fu):
            proved = True
            break
        graph = add_edges(graph, pool.n, fu, fv, _pair_scores(pool, fu, fv))
    pairs = int((mate[free] >= 0).sum()) // 2
    return MostMatched(proved, pairs, int((mate[free] < 0).sum()), tutte, checked, added, rounds,
                       round(time.monotonic() - started, 3)), graph


def _breaking_pairs(pool: Pool, free: np.ndarray, forest: np.ndarray, outer: np.ndarray, per_row: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Feasible pairs from an outer person to anyone outside the Tutte set and their own blossom."""
    if not len(outer):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rng = np.random.default_rng(len(outer))
    label = forest[free]
    allowed_any = label == -2  # the Tutte set A
    us: list[np.ndarray] = []
    vs: list[np.ndarray] = []
    step = pool.block_rows(len(free), cells=4_000_000)
    for start in range(0, len(outer), step):
        rows = outer[start:start + step]
        bad = pool.feasible(rows, free) & ~allowed_any[None, :] & (label[None, :] != forest[rows][:, None])
        r, c = np.nonzero(bad)
        if not len(r):
            continue
        order = np.lexsort((rng.random(len(r)), r))  # a seeded random few of each row's pairs: varied ends
        r, c = r[order], c[order]
        keep = np.arange(len(r)) - np.searchsorted(r, r, side="left") < per_row
        us.append(rows[r[keep]])
        vs.append(free[c[keep]])
    if not us:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    u, v = np.concatenate(us), np.concatenate(vs)
    return np.minimum(u, v), np.maximum(u, v)


def _pair_scores(pool: Pool, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Scores of the pairs (u[i], v[i]) without the len(u) x len(v) block."""
    out = np.empty(len(u), dtype=np.int64)
    for i in range(0, len(u), 1000):
        out[i:i + 1000] = pool.scores(u[i:i + 1000], v[i:i + 1000]).diagonal()  # 1000 x 1000 at most
    return out
