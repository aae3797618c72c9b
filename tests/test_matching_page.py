"""The Matching page in AppTest, and the match / candidates / publish commands."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as
from workbench import accounts, db, matchstore
from workbench.access import User
from workbench.cli import main


def open_matching(role: str = "coordinator") -> AppTest:
    return app_as(role, "pages/matching.py", timeout=180)


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def messages(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.error, *at.warning, *at.info])


def test_run_lock_break_pair_rerun_publish(app_env: Path) -> None:
    at = open_matching("coordinator")
    assert at.title[0].value == "Matching · 2017A"
    assert "No matching run" in messages(at)
    at.slider[0].set_value(3)
    button(at, "Run matching").click().run()
    assert not at.exception, at.exception
    # runs numbered within their round; the closeness to the bound in words, not the solver's status
    assert "Run 1 of 2017A: 1,168 of 1,168 people matched, within " in messages(at)
    assert "of the best possible." in messages(at) and "feasible" not in messages(at).lower()
    shown = {m.label: m.value for m in at.metric}
    assert shown["Matched"] == "1,168"  # "of 1,168" below it: short enough not to be cut off at 1,400 px
    assert shown["Pairs · trios"] == "584 · 0"
    assert float(shown["Gap to the bound"].rstrip("%")) < 0.5

    # Lock the first pair, break the second.
    parts = at.dataframe[0].value
    first, second = int(parts["partnership_id"].iloc[0]), int(parts["partnership_id"].iloc[1])
    at.selectbox(key="pick_part").set_value(first).run()
    button(at, "Lock (keep on re-run)").click().run()
    assert f"Partnership {first} locked." in messages(at)
    at.selectbox(key="pick_part").set_value(second).run()
    button(at, "Break this pair").click().run()
    assert f"Partnership {second} broken" in messages(at)
    assert {m.label: m.value for m in at.metric}["Matched"] == "1,166"

    # Pair the two freed people by hand: allowed (they were a valid pair), locked.
    freed = [int(x) for x in at.dataframe[1].value["application_id"]]
    assert len(freed) == 2
    at.multiselect(key="hand_pick").set_value(freed).run()
    button(at, "Pair them").click().run()
    assert "Paired by hand" in messages(at)

    # Re-run keeps the locks; compare the two runs; publish the new one.
    button(at, "Run matching").click().run()
    assert "Run 2 of 2017A:" in messages(at)
    compare = next(d.value for d in at.dataframe if "figure" in d.value.columns)
    assert list(compare.columns) == ["figure", "run 9", "run 10"]
    assert "partnerships in common" in set(compare["figure"])
    assert at.checkbox(key="publish_queue").value  # a coordinator may send: publishing queues the introductions
    button(at, "Publish run 2").click().run()
    assert "Run 2 of 2017A published: 2017A is running. Queued 584 introductions for 2017A." in messages(at)
    con = db.connect(app_env)  # the app's own configuration: it holds the file open in this process
    actors = {r[0] for r in con.execute("SELECT DISTINCT actor FROM audit_log WHERE entity LIKE 'match%'").fetchall()}
    con.close()
    assert actors == {"tortega"}  # the signed-in coordinator, not the server's operating-system user
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["Participants"] == "1,168"


def test_a_stale_edit_is_refused(app_env: Path) -> None:
    con = db.connect(app_env)
    praman = accounts.get_user(con, "praman")  # another director, editing at the same time
    assert praman is not None
    pool = matchstore.load_pool(con, "2017A", by=praman)
    from tests.test_matchstore import _greedy_result

    run_id = matchstore.save_run(con, "2017A", _greedy_result(pool, 10), {}, by=praman)
    at = open_matching()
    assert at.selectbox(key="pick_part").value is not None
    # Another coordinator changes the run after this page was drawn.
    matchstore.lock_partnership(con, run_id, int(at.selectbox(key="pick_part").value),
                                matchstore.run_row(con, run_id)["version"], by=praman)
    button(at, "Break this pair").click().run()
    assert "changed by someone else" in messages(at)
    assert matchstore.run_row(con, run_id)["matched"] == 20  # nothing was lost or half-done
    con.close()


def test_a_hard_rule_is_refused_by_hand(app_env: Path, users: dict[str, User]) -> None:
    con = db.connect(app_env)
    pool = matchstore.load_pool(con, "2017A", by=users["director"])
    from tests.test_matchstore import _greedy_result

    result = _greedy_result(pool, 0)
    matchstore.save_run(con, "2017A", result, {}, by=users["director"])
    aus = [a.application_id for a in pool.applicants if a.country == "AUS"][:2]
    con.close()
    at = open_matching()
    at.multiselect(key="hand_pick").set_value(aus).run()
    assert "cannot be partners: both are in AUS" in messages(at) or "cannot be partners" in messages(at)
    assert not [b for b in at.button if b.label == "Pair them"]


def test_cli_match_json_candidates_publish(writable_db: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--round", "2017A", "--db", str(writable_db), "--time-limit", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"run_id", "people", "matched", "pairs", "trios", "unmatched", "objective", "bound", "gap",
            "seconds", "status"} <= set(out)
    assert out["matched"] == out["people"] == 2 * len(out["pairs"]) + 3 * len(out["trios"])
    assert out["objective"] <= out["bound"] and out["gap"] < 0.005

    cands = tmp_path / "cands.csv"
    assert main(["candidates", "--round", "2017A", "--db", str(writable_db), "--out", str(cands)]) == 0
    with cands.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["a_id", "b_id", "score"]
    pairs = {(int(r["a_id"]), int(r["b_id"])) for r in rows}
    assert all(tuple(sorted(p)) in pairs for p in out["pairs"])  # every proposed pair is feasible
    assert len(rows) > 500_000

    assert main(["publish", "--round", "2016B", "--run", str(out["run_id"]), "--db", str(writable_db)]) == 1
    assert "belongs to round 2017A" in capsys.readouterr().err
    assert main(["publish", "--round", "2017A", "--run", str(out["run_id"]), "--db", str(writable_db)]) == 0
    con = db.connect(writable_db, read_only=True)
    assert con.execute("SELECT status FROM rounds WHERE round_id = '2017A'").fetchone() == ("running",)
    assert all(rows == [] for rows in db.run_checks(con).values())
    con.close()
    assert main(["match", "--round", "2017A", "--db", str(writable_db)]) == 1
    assert "published" in capsys.readouterr().err


def test_cli_match_rejects_bad_input(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "--round", "2099Z", "--db", str(writable_db)]) == 1
    assert "no round '2099Z'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["match", "--round", "2017A", "--time-limit", "-1"])
    assert exc.value.code == 2


def test_a_published_round_offers_its_exports(app_env: Path) -> None:
    at = open_matching("director")
    at.selectbox(key="round_picker_all").set_value("2016B").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Matching · 2016B"
    assert not [b for b in at.button if b.label.startswith(("Run matching", "Publish run"))]
    assert "424 introductions. The first one:" in [c.value for c in at.caption]
    (first,) = [c.value for c in at.code if c.value.startswith("To: ")]
    # the first partnership speaks only Spanish: its introduction is in Spanish
    assert "Subject: Ronda 2016B: les presentamos, Lucía Martínez" in first
    assert len(at.get("download_button")) == 3  # partnerships CSV, .eml zip, mail-merge CSV
