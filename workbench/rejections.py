"""What is wrong in an imported file, in the words a coordinator reads in the import report.

A :class:`Problem` is what is wrong with one cell and what to do about it; a :class:`Rejection` places
it at a row and column of the file; :func:`rejections_frame` lists rejections for a page or a CSV
download. Shared by the applications import (:mod:`workbench.intake`, :mod:`workbench.applications`)
and the check-in and survey import (:mod:`workbench.followup.checkins`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from workbench.exports import safe_cell

__all__ = ["COLUMNS", "WHOLE_ROW", "Problem", "Rejection", "display_value", "rejections_frame"]

#: The ``column`` of a rejection about a whole row (a row with more cells than the header).
WHOLE_ROW = "(whole row)"
#: The columns of :func:`rejections_frame`, in order.
COLUMNS: tuple[str, ...] = ("row", "column", "value", "reason", "fix")


def display_value(value: str, limit: int = 200) -> str:
    """A cell as a rejection shows it: control characters made visible (<U+0007>), long text shortened
    to ``limit`` characters (a 200,000-character cell is not copied into the report)."""
    shown = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", lambda m: f"<U+{ord(m.group()):04X}>", value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """What is wrong with a cell and what to do about it."""

    reason: str
    fix: str


@dataclass(frozen=True)
class Rejection:
    """One problem in one cell: ``row`` is the file's row number (header = row 1), ``column`` the
    file's own header, ``value`` what the cell held, ``reason`` what is wrong, ``fix`` what to do."""

    row: int
    column: str
    value: str
    reason: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def rejections_frame(rejections: Iterable[Rejection], *, escape_formulas: bool = False) -> pd.DataFrame:
    """Rejections as a frame (columns :data:`COLUMNS`, sorted by row, the order of a row's problems
    kept). With ``escape_formulas`` a value a spreadsheet would run as a formula (starting with
    = + - @) is prefixed with an apostrophe, for a CSV download."""
    items = sorted(rejections, key=lambda r: r.row)
    frame = pd.DataFrame([r.as_dict() for r in items], columns=list(COLUMNS))
    if escape_formulas and len(frame):
        frame["value"] = [safe_cell(v) if isinstance(v, str) else v for v in frame["value"]]
    return frame.astype({"row": "int64"})
