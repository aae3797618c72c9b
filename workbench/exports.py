"""Every CSV the workbench writes goes through here, so a spreadsheet never runs a participant's text.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets (and so is one starting with the full-width ``＝``, ``＋``, ``－`` or ``＠``,
which some spreadsheets read as their ASCII forms) (a participant named ``=HYPERLINK("http://…")`` becomes a link,
worse ones run commands). Such a cell gets a leading apostrophe, which the spreadsheet shows as text
and hides. Numbers stay numbers: a negative number is written as a number, not neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from numbers import Number
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import files

#: The characters that make a spreadsheet read a cell as a formula (OWASP's list), and the full-width forms
#: (U+FF1D, U+FF0B, U+FF0D, U+FF20) that spreadsheets in East Asian locales read as the same.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet will show it as text, when it is text that starts like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any, float_format: str | None = None) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if float_format and isinstance(value, float):
        return float_format % value
    if isinstance(value, (bool, Number)):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return safe_cell("; ".join(str(v) for v in value))
    return safe_cell(str(value))


def csv_text(rows: Iterable[Sequence[Any]], header: Sequence[str], *, float_format: str | None = None) -> str:
    """CSV text of ``rows`` under ``header``, every text cell neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([_cell(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v, float_format) for v in row])
    return buf.getvalue()


def frame_csv(frame: pd.DataFrame, *, float_format: str | None = None) -> str:
    """CSV text of a data frame (no index), every text cell neutralised."""
    rows = frame.itertuples(index=False, name=None)
    return csv_text(rows, [str(c) for c in frame.columns], float_format=float_format)


def frame_csv_bytes(frame: pd.DataFrame, *, float_format: str | None = None, spreadsheet: bool = True) -> bytes:
    """:func:`frame_csv` as UTF-8 bytes: for a ``spreadsheet`` with a byte-order mark, so Excel reads accents
    right; without it (``spreadsheet=False``) for a file another program reads (``csv.DictReader`` would take
    the mark for part of the first header)."""
    return (("\ufeff" if spreadsheet else "") + frame_csv(frame, float_format=float_format)).encode("utf-8")


def write_frame_csv(frame: pd.DataFrame, path: str | Path, *, float_format: str | None = None,
                    spreadsheet: bool = True) -> Path:
    """Write :func:`frame_csv_bytes` to ``path``, owner-only, moved into place whole (``files.write_private``)."""
    return files.write_private(Path(path), frame_csv_bytes(frame, float_format=float_format, spreadsheet=spreadsheet))
