"""The fractional matching LP on the candidate graph, solved incrementally with OR-Tools' GLOP.

    max  sum_e q_e x_e   s.t.  sum_{e at v} x_e <= 1 (every person v),  x >= 0   [+ odd-set cuts]

Columns (priced pairs) and rows (odd-set cuts) are added to one model and re-solved from the previous
basis, which is several times faster than rebuilding the LP each round.
"""

from __future__ import annotations

import numpy as np
from ortools.linear_solver import pywraplp


class MatchingLP:
    """An incrementally grown matching LP over pool indices."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        if self.solver is None:  # pragma: no cover - GLOP ships with every OR-Tools wheel
            raise RuntimeError("OR-Tools GLOP is not available")
        inf = self.solver.infinity()
        self.rows = [self.solver.Constraint(-inf, 1.0) for _ in range(n)]
        self.objective = self.solver.Objective()
        self.objective.SetMaximization()
        self.vars: list[pywraplp.Variable] = []
        self.keys: set[int] = set()
        self._u: list[int] = []
        self._v: list[int] = []
        self._q: list[int] = []
        self.cuts = 0
        self.cut_rows: list[pywraplp.Constraint] = []
        self.cut_members: list[np.ndarray] = []  #: each cut's odd set of people (pool indices)
        self.cut_duals = np.zeros(0)  #: z >= 0 per cut, from the last solve
        self._cuts_of: dict[int, list[int]] = {}  #: person -> the cuts whose set holds them
        self.pairs_row: pywraplp.Constraint | None = None  #: sum of x >= the pairs asked (``require_pairs``)
        self.min_pairs = 0
        self.pairs_dual = 0.0  #: mu >= 0 of that row, from the last solve
        self.value = float("inf")  #: the last solve's optimum (inf before any)

    @property
    def u(self) -> np.ndarray:
        return np.array(self._u, dtype=np.int64)

    @property
    def v(self) -> np.ndarray:
        return np.array(self._v, dtype=np.int64)

    @property
    def q(self) -> np.ndarray:
        return np.array(self._q, dtype=np.int64)

    def add_edges(self, u: np.ndarray, v: np.ndarray, q: np.ndarray) -> int:
        """Add pairs (pool indices, centipoint scores) not yet in the LP; returns how many were new."""
        added = 0
        inf = self.solver.infinity()
        for a, b, w in zip(u.tolist(), v.tolist(), q.tolist(), strict=True):
            a, b = min(a, b), max(a, b)
            key = a * self.n + b
            if key in self.keys:
                continue
            self.keys.add(key)
            x = self.solver.NumVar(0.0, inf, "")
            self.rows[a].SetCoefficient(x, 1.0)
            self.rows[b].SetCoefficient(x, 1.0)
            self.objective.SetCoefficient(x, float(w))
            if self.pairs_row is not None:
                self.pairs_row.SetCoefficient(x, 1.0)
            if self._cuts_of:
                for c in set(self._cuts_of.get(a, ())) & set(self._cuts_of.get(b, ())):
                    self.cut_rows[c].SetCoefficient(x, 1.0)
            self.vars.append(x)
            self._u.append(a)
            self._v.append(b)
            self._q.append(int(w))
            added += 1
        return added

    def add_cut(self, edges: np.ndarray, rhs: float, members: np.ndarray | None = None) -> None:
        """``sum of x over the given edge positions <= rhs`` (an odd-set cut).

        ``members``: the odd set S (pool indices), with ``rhs == (|S| - 1) / 2`` and ``edges`` every LP edge
        inside S. Columns priced in later must join the cuts of the sets holding both their ends
        (``add_edges`` does it), so the cut stays the odd-set inequality of S.
        """
        row = self.solver.Constraint(-self.solver.infinity(), rhs)
        for e in edges.tolist():
            row.SetCoefficient(self.vars[e], 1.0)
        self.cuts += 1
        self.cut_rows.append(row)
        self.cut_members.append(np.asarray(members if members is not None else np.zeros(0), dtype=np.int64))
        if members is not None:
            for a in np.asarray(members).tolist():
                self._cuts_of.setdefault(a, []).append(len(self.cut_rows) - 1)

    def require_pairs(self, pairs: int) -> None:
        """Ask for at least ``pairs`` pairs (the most people matched comes first; ``pairs`` must be reachable)."""
        if self.pairs_row is None:
            self.pairs_row = self.solver.Constraint(float(pairs), self.solver.infinity())
            for x in self.vars:
                self.pairs_row.SetCoefficient(x, 1.0)
        self.pairs_row.SetLb(float(pairs))
        self.min_pairs = pairs

    def solve(self, time_limit: float | None = None) -> tuple[float, np.ndarray, np.ndarray] | None:
        """(value, x per edge, duals y >= 0 per person), or None if GLOP did not reach an optimum."""
        # the limit stays with the solver: none given is none at all (0), not the previous call's
        self.solver.SetTimeLimit(0 if time_limit is None else max(1, int(time_limit * 1000)))
        if not self.vars:
            return 0.0, np.zeros(0), np.zeros(self.n)
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        x = np.array([var.solution_value() for var in self.vars])
        y = np.maximum(np.array([row.dual_value() for row in self.rows]), 0.0)
        self.cut_duals = np.maximum(np.array([row.dual_value() for row in self.cut_rows]), 0.0)
        self.pairs_dual = 0.0 if self.pairs_row is None else max(-self.pairs_row.dual_value(), 0.0)
        self.value = float(self.objective.Value())
        return self.value, x, y
