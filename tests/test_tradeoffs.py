"""Issue 21: the trade-off between shared interests and wishes met (library, CLI, Matching page tab)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app_support import app_as
from workbench.access import NotAllowed, User
from workbench.cli import main
from workbench.matching import make_pool
from workbench.matching.tradeoffs import frontier


def test_the_frontier_is_monotone_in_wishes_met(users: dict[str, User]) -> None:
    apps = make_pool(200, seed=1)
    points = frontier(apps, by=users["coordinator"], wish_weights=[0, 0.001, 3, 12, 30], odd_policy="waitlist",
                      time_limit=3)
    assert [p.wish_weight for p in points] == [0, 0.001, 3, 12, 30]
    met = [p.wishes_met for p in points]
    assert met == sorted(met) and met[-1] > met[0], met
    assert all(p.status == "optimal" for p in points), [(p.status, p.gap) for p in points]
    # 0.001 points is less than the scores' hundredth of a point: the same partnerships, marked
    assert points[1].same_as == 0 and not points[1].is_new and points[2].is_new
    assert all(0 <= p.share_sharing_interest <= 1 and 0 < p.mean_overlap_hours <= 8 for p in points)
    with pytest.raises(NotAllowed):
        frontier(apps, by=users["analyst"], wish_weights=[0])


def test_cli_tradeoffs_json(sample_db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tradeoffs", "--round", "2017A", "--weights", "0", "3", "--json", "--db",
                 str(sample_db_path)]) == 0
    out = json.loads(capsys.readouterr().out)
    zero, three = out["points"]
    assert zero["wishes_met"] < three["wishes_met"] and three["objective"] == 22767.8
    assert three["status"] == "optimal" and zero["matched"] == 1168


def test_the_tab_computes_points_and_runs_one_as_a_proposal(app_env: Path) -> None:
    at = app_as("coordinator", "pages/matching.py", timeout=180)
    at.slider[0].set_value(3)
    next(b for b in at.button if b.label == "Run matching").click().run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Proved optimal: the score equals the upper bound") for c in at.caption)
    at.multiselect(key="tradeoff_weights").set_value([0.0, 3.0]).run()
    next(b for b in at.button if b.label == "Compute the trade-offs").click().run()
    assert not at.exception, at.exception
    table = at.dataframe[-1].value  # the last tab's table
    assert list(table["wish_weight"]) == [0.0, 3.0]
    assert table["wishes_met"].iloc[0] < table["wishes_met"].iloc[1]
    at.selectbox(key="tradeoff_pick").set_value(0.0).run()
    next(b for b in at.button if b.label == "Run it as a proposal").click().run()
    assert not at.exception, at.exception
    text = " ".join(e.value for e in at.success)
    assert "Run 2 of 2017A (0 points per wish met): 1,168 of 1,168 people matched" in text
