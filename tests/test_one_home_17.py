"""One home for each rule of issue 17: the Wilson interval, the impact coding frame, the person's email
key, the message path."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbench import db, reports

ROOT = Path(__file__).resolve().parents[1]


# --- The Wilson interval: the macros of macros.sql, nowhere else --------------------------------------


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The textbook formula, written here only to check the macro."""
    z = 1.959964
    p = k / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n), (centre + spread) / (1 + z * z / n)


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (45, 50, 0.7864, 0.9565),   # the example in macros.sql
    (0, 10, 0.0, 0.2775),
    (10, 10, 0.7225, 1.0),
    (1, 2, 0.0945, 0.9055),
])
def test_wilson_macro_gives_the_known_interval(con: db.Connection, k: int, n: int, low: float, high: float) -> None:
    got_low, got_high = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)", [k, n, k, n]).fetchone()  # type: ignore[misc]
    assert got_low == pytest.approx(low, abs=1e-4)
    assert got_high == pytest.approx(high, abs=1e-4)
    assert (got_low, got_high) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)


def test_wilson_macro_is_null_without_answers(con: db.Connection) -> None:
    assert con.execute("SELECT wilson_low(0, 0), wilson_high(0, 0), wilson_low(NULL, NULL)").fetchone() == (
        None, None, None)


def test_satisfaction_figures_unchanged_by_the_macro(con: db.Connection) -> None:
    """The figures the views gave with their own copies of the formula (measured before the change)."""
    by_round = reports.satisfaction_by_round(con).set_index("round_id")
    pilot = by_round.loc["Pilot"]
    assert pilot["respondents"] == 63
    assert (pilot["program_share_low"], pilot["program_share_high"]) == (0.7880, 0.9451)
    assert (pilot["partner_share_low"], pilot["partner_share_high"]) == (0.7319, 0.9114)
    later = by_round.loc["2014A"]
    assert (later["program_share_low"], later["program_share_high"]) == (0.8024, 0.8724)
    assert (later["partner_share_low"], later["partner_share_high"]) == (0.7692, 0.8442)
    overall = reports.satisfaction_returning_overall(con).set_index("participant_group")
    assert overall.loc["new", "respondents"] == 2357
    assert (overall.loc["new", "program_share_low"], overall.loc["new", "program_share_high"]) == (0.8427, 0.8710)
    assert (overall.loc["returning", "partner_share_low"],
            overall.loc["returning", "partner_share_high"]) == (0.8181, 0.8717)
    returning = con.execute("SELECT count(*) FROM satisfaction_by_returning").fetchone()  # type: ignore[misc]
    assert returning == (15,)


def test_wilson_formula_lives_only_in_macros_sql() -> None:
    """No view or module carries its own copy of the interval (its z, 1.959964)."""
    copies = [path.relative_to(ROOT).as_posix()
              for folder in ("queries", "workbench", "pages")
              for path in (ROOT / folder).rglob("*")
              if path.suffix in {".sql", ".py"} and "1.959964" in path.read_text(encoding="utf-8")]
    assert [p for p in copies if not p.endswith("macros.sql")] == []
    assert any(p.endswith("macros.sql") for p in copies)
