"""Small-count suppression for what the public sees: any count from 1 to ``threshold - 1`` is hidden.

A hidden count shows as "fewer than 5" (with the program's threshold, setting ``small_count_threshold``).
Hiding one cell is not enough when a total is shown beside it: the total minus the visible cells gives the
hidden one back. So wherever a group of cells adds up to a published total and exactly one cell of the group
is hidden, the next smallest visible cell of that group is hidden too (complementary suppression; it shows
as "withheld"). When no other cell can be hidden, the total is hidden instead. Zeros are not hidden: they
name nobody, and hiding a zero protects nothing (it is recovered as total minus the rest all the same).

    >>> suppress([120, 3, 40, 9], threshold=5).hidden      # 3 is small; 9, the next smallest, goes too
    [False, True, False, True]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from workbench.program.settings import SMALL_COUNT_THRESHOLD as DEFAULT_THRESHOLD


def is_small(count: float | int | None, threshold: int) -> bool:
    """Below the threshold but not zero (and not missing)."""
    return count is not None and not (isinstance(count, float) and np.isnan(count)) and 0 < count < threshold


def fewer_than(threshold: int) -> str:
    """How a hidden small count reads: "fewer than 5"."""
    return f"fewer than {threshold}"


#: How a count hidden to protect another (complementary suppression) reads.
WITHHELD = "withheld"


@dataclass(frozen=True)
class Suppressed:
    """Which cells of a group to hide, and whether the group's total must be hidden too."""

    counts: tuple[int, ...]
    hidden: list[bool]
    total_hidden: bool
    threshold: int

    def label(self, i: int) -> str:
        """The cell as the public sees it: the number, "fewer than 5" or "withheld"."""
        if not self.hidden[i]:
            return f"{self.counts[i]:,}"
        return fewer_than(self.threshold) if is_small(self.counts[i], self.threshold) else WITHHELD

    def labels(self) -> list[str]:
        return [self.label(i) for i in range(len(self.counts))]

    def total_label(self) -> str:
        return WITHHELD if self.total_hidden else f"{sum(self.counts):,}"


def _complement(counts: Sequence[int], hidden: list[bool]) -> bool:
    """Hide the next smallest non-zero visible cell when exactly one cell is hidden; False if none is left."""
    if sum(hidden) != 1:
        return True
    visible = sorted((n, i) for i, n in enumerate(counts) if not hidden[i] and n > 0)
    if not visible:
        return False
    hidden[visible[0][1]] = True
    return True


def suppress(counts: Sequence[int | float], threshold: int = DEFAULT_THRESHOLD, *,
             has_total: bool = True) -> Suppressed:
    """Hide the small counts of one group (a row, a column, a list summing to a shown total).

    ``has_total``: the group's total is shown (or can be computed from what is shown), so a single
    hidden cell needs a complement. Without a total, only the small cells themselves are hidden.
    """
    if threshold < 1:
        raise ValueError(f"the small-count threshold must be at least 1 (got {threshold})")
    values = tuple(int(c) for c in counts)
    hidden = [is_small(n, threshold) for n in values]
    total_hidden = False
    if has_total and not _complement(values, hidden):
        total_hidden = True
    return Suppressed(values, hidden, total_hidden, threshold)


def suppress_grid(grid: Sequence[Sequence[int | float]], threshold: int = DEFAULT_THRESHOLD, *,
                  row_totals: bool = True, column_totals: bool = True) -> list[list[bool]]:
    """The hidden cells of a two-way table whose row and/or column totals are shown.

    Primary cells are the small ones; then, row by row and column by column, any line with exactly one
    hidden cell gets its next smallest visible cell hidden, until no line is left with a lone hidden cell
    (a line with no other non-zero cell to hide keeps its lone cell: its total is then reported by
    :func:`lone_lines`, for the caller to hide).
    """
    if threshold < 1:
        raise ValueError(f"the small-count threshold must be at least 1 (got {threshold})")
    values = np.asarray(grid, dtype=float)
    if values.ndim != 2:
        raise ValueError("suppress_grid needs a two-way table (rows of cells)")
    hidden = [[is_small(v, threshold) for v in row] for row in values]
    changed = True
    while changed:
        changed = False
        lines: list[list[tuple[int, int]]] = []
        if row_totals:
            lines += [[(r, c) for c in range(values.shape[1])] for r in range(values.shape[0])]
        if column_totals:
            lines += [[(r, c) for r in range(values.shape[0])] for c in range(values.shape[1])]
        for line in lines:
            cells = [hidden[r][c] for r, c in line]
            if sum(cells) != 1:
                continue
            visible = sorted((values[r, c], (r, c)) for r, c in line if not hidden[r][c] and values[r, c] > 0)
            if visible:
                r, c = visible[0][1]
                hidden[r][c] = True
                changed = True
    return hidden


def lone_lines(hidden: Sequence[Sequence[bool]], *, rows: bool = True) -> list[int]:
    """Rows (or columns) with exactly one hidden cell: their totals would give it away."""
    matrix = np.asarray(hidden, dtype=bool)
    if not rows:
        matrix = matrix.T
    return [i for i, line in enumerate(matrix) if int(line.sum()) == 1]
