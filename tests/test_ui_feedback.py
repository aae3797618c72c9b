"""The one post-write path of the pages (workbench.ui.feedback), in Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import db, snapshots
from workbench.ui import feedback


def _refusing_page(stop: bool) -> None:
    import streamlit as st

    from workbench.errors import StaleEdit
    from workbench.ui.feedback import reporting_errors, saved

    def edit() -> None:
        raise StaleEdit("Partnership 7 was changed by someone else since you opened the page: reload and try again.")

    with reporting_errors(stop=stop):
        edit()
        saved(None, "not reached")  # type: ignore[arg-type]
    st.write("the rest of the page")


def test_a_refused_change_shows_its_message_and_skips_the_rest_of_the_block() -> None:
    at = AppTest.from_function(_refusing_page, args=(False,)).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Partnership 7 was changed by someone else since you opened the page: reload and try again."]
    assert not at.success
    assert [m.value for m in at.markdown] == ["the rest of the page"]


def test_a_refused_step_can_stop_the_page() -> None:
    at = AppTest.from_function(_refusing_page, args=(True,)).run()
    assert not at.exception, at.exception
    assert len(at.error) == 1 and "changed by someone else" in at.error[0].value
    assert not at.markdown


def _saving_page() -> None:
    import streamlit as st

    from workbench.ui.connection import cursor
    from workbench.ui.feedback import saved, show_feedback

    con = cursor()
    show_feedback()
    (rounds,) = con.execute("SELECT count(*) FROM rounds").fetchone()  # type: ignore[misc]
    st.write(f"{rounds} rounds")
    if st.button("Add a round"):
        con.execute("INSERT INTO rounds (round_id, label, seq, opens_on, starts_on, ends_on, status) "
                    "SELECT '2099A', 'Round 2099A', max(seq) + 1, DATE '2098-11-01', DATE '2099-01-01', "
                    "DATE '2099-06-30', 'open' FROM rounds")
        saved(con, "Round 2099A opened.")


def test_saved_reruns_shows_the_message_once_and_publishes_the_snapshot(app_env: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "analytics.duckdb"
    at = AppTest.from_function(_saving_page, default_timeout=60).run()
    assert not at.exception, at.exception
    before = at.markdown[0].value
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Round 2099A opened."]
    assert at.markdown[0].value == f"{int(before.split()[0]) + 1} rounds"  # the rerun shows the change
    at.run()
    assert not at.success, "the message is shown once"
    assert snapshots.wait_for_snapshots(60)
    con = db.connect(snapshot, read_only=True)
    try:
        assert con.execute("SELECT label FROM rounds WHERE round_id = '2099A'").fetchall() == [("Round 2099A",)]
    finally:
        con.close()


def test_a_failed_background_snapshot_is_shown_once(app_env: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    assert snapshots.wait_for_snapshots(60)
    snapshots.snapshot_errors()  # forget failures of earlier tests in this process
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("a file where the snapshot's folder should be", encoding="utf-8")
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(not_a_folder / "analytics.duckdb"))
    at = AppTest.from_function(_saving_page, default_timeout=60).run()
    at.button[0].click().run()
    assert [s.value for s in at.success] == ["Round 2099A opened."], "the change itself is saved"
    assert snapshots.wait_for_snapshots(60)

    at.run()
    assert len(at.warning) == 1, [w.value for w in at.warning]
    shown = at.warning[0].value
    assert str(not_a_folder / "analytics.duckdb") in shown, shown  # where it went wrong
    assert shown.endswith(". " + feedback.SNAPSHOT_FAILED_NEXT)
    at.run()
    assert not at.warning, "a failure is shown once"
