"""Presenter mode after the security review (issue 16): chart images are a signed-in action drawn one at a time,
quotes are scrubbed before the public sees them, and only the roles that prepare talks save or delete decks."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import ROOT, SAMPLE_ACCOUNTS, app_as
from tests.browser_support import require_chromium
from workbench import db, program
from workbench.access import NotAllowed, User
from workbench.present import deck as decks
from workbench.present import images
from workbench.present import slides as slide_list
from workbench.reports.outcomes import cleared_quotes
from workbench.ui.auth import USER_KEY

IMAGE_BUTTONS = {"Chart as PNG", "Chart as SVG"}
NAME_STAND_IN = "[name]"  # workbench.reports.outcomes.NAME_STAND_IN


def _labels(at: AppTest) -> set[str]:
    """The labels of every button and download button of the run."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        if getattr(node, "type", "") in ("button", "download_button") and proto is not None:
            found.add(proto.label)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def _publish(path: Path, users: dict[str, User]) -> None:
    con = db.connect(path)
    try:
        program.set_setting(con, "present_published", True, by=users["director"])
    finally:
        con.close()


# -- image exports --------------------------------------------------------------------------------------------


def test_the_public_present_view_offers_no_image_export(app_env: Path, users: dict[str, User]) -> None:
    _publish(app_env, users)
    public = app_as(None)  # published: the Present page at the app's address, without sign-in
    assert public.title[0].value == "Participants and countries per round"
    assert not IMAGE_BUTTONS & _labels(public), _labels(public)
    assert not [label for label in _labels(public) if label.startswith("Download 0")]
    signed_in = app_as("presenter")
    assert _labels(signed_in) >= IMAGE_BUTTONS


@pytest.fixture(scope="module")
def growth(sample_db_path: Path) -> slide_list.Slide:
    con = db.connect(sample_db_path, read_only=True)
    try:
        return slide_list.build_slide(slide_list.context(con, "2016B"), "growth")
    finally:
        con.close()


def test_the_library_refuses_an_image_export_without_a_user(growth: slide_list.Slide) -> None:
    before = len(images.QUEUE.history)
    with pytest.raises(NotAllowed, match="Sign in to export chart images"):
        images.render([growth], "png", by=None)
    assert len(images.QUEUE.history) == before  # refused before a browser was started


@pytest.mark.slow
def test_two_concurrent_exports_run_one_at_a_time(growth: slide_list.Slide, users: dict[str, User]) -> None:
    require_chromium()
    start = threading.Barrier(2)
    results: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def export(role: str) -> None:
        start.wait()
        try:
            results[role] = images.render([growth], "svg", by=users[role], wait=300)[0]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=export, args=(role,)) for role in ("director", "presenter")]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    assert all(b"<svg" in data for data in results.values()) and len(results) == 2
    runs = sorted(r for r in images.QUEUE.history if r[0] >= began)
    assert len(runs) == 2
    (first_start, first_end), (second_start, second_end) = runs
    overlap = max(0.0, min(first_end, second_end) - max(first_start, second_start))
    assert overlap == 0.0, f"the two exports drew at the same time for {overlap:.2f} s"
    assert second_start >= first_end and first_end - first_start > 0.2  # each really drew (a Chromium each)


def test_a_second_export_waits_then_hears_busy(growth: slide_list.Slide, users: dict[str, User],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    require_chromium()
    monkeypatch.setenv("WORKBENCH_IMAGE_WAIT_SECONDS", "0.5")
    with images.QUEUE.slot(0):  # an export is being drawn
        began = time.monotonic()
        with pytest.raises(images.ImageExportBusy, match="busy, try again"):
            images.render([growth], "png", by=users["director"])
        waited = time.monotonic() - began
    assert 0.45 <= waited < 5


def test_the_page_says_busy_plainly(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_chromium()
    monkeypatch.setenv("WORKBENCH_IMAGE_WAIT_SECONDS", "0.3")
    at = app_as("coordinator", "pages/present.py")
    with images.QUEUE.slot(0):
        at.button(key="make_png").click().run()
    assert not at.exception, at.exception
    assert any("busy, try again" in e.value for e in at.error), [e.value for e in at.error]
    assert not [label for label in _labels(at) if label.startswith("Download 0")]


# -- quotes ---------------------------------------------------------------------------------------------------


def _clear_an_answer(path: Path) -> tuple[str, str, str]:
    """Clear a 2016B answer whose text names a participant and a staff member, with an email and a phone number;
    returns (participant's name, staff name, the planted text)."""
    con = db.connect(path)
    try:
        name, email = con.execute(
            "SELECT name, email FROM applications WHERE round_id = '2016B' ORDER BY application_id LIMIT 1").fetchone()
        (staff,) = con.execute("SELECT name FROM coordinators WHERE coordinator_id = 'tortega'").fetchone()
        (survey_id,) = con.execute(
            "SELECT min(survey_id) FROM surveys WHERE round_id = '2016B' AND impact_text IS NOT NULL "
            "AND codes_confirmed").fetchone()
        text = (f"Thanks to {name} (write to {email} or call +234 803 555 0142) and to {staff.upper()}, I now "
                "run a workshop every month since 2015-2016.")
        con.execute("UPDATE surveys SET impact_text = ?, is_cleared = true WHERE survey_id = ?", [text, survey_id])
    finally:
        con.close()
    return name, staff, text


def _private(text: str, name: str, staff: str) -> list[str]:
    found = [n for n in (name, staff) if n.lower() in text.lower()]
    found += re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    found += re.findall(r"803\D?555\D?0142", text)
    return found


def test_a_cleared_quote_is_scrubbed_before_the_public_sees_it(writable_db: Path, tmp_path: Path) -> None:
    name, staff, text = _clear_an_answer(writable_db)
    assert _private(text, name, staff)  # what was planted
    con = db.connect(writable_db)
    try:
        quotes = cleared_quotes(con, round_id="2016B")
        (quoted,) = list(quotes["impact_text"])
        assert _private(quoted, name, staff) == [], quoted
        assert quoted == (f"Thanks to {NAME_STAND_IN} (write to or call) and to {NAME_STAND_IN}, I now run a workshop "
                          "every month since 2015-2016.")
        slide = slide_list.build_slide(slide_list.context(con, "2016B"), "impact")
        assert slide.quote is not None and NAME_STAND_IN in slide.quote
        assert _private(slide.quote, name, staff) == []
        deck = decks.export_html(con, tmp_path / "deck.html", round_id="2016B").read_text(encoding="utf-8")
        (blockquote,) = re.findall(r"<blockquote>(.*?)</blockquote>", deck, flags=re.S)
        assert "Thanks to" in blockquote and _private(blockquote, name, staff) == []
        assert name not in deck and staff.upper() not in deck
    finally:
        con.close()


def test_the_present_page_quotes_the_scrubbed_text(app_env: Path, users: dict[str, User]) -> None:
    name, staff, _ = _clear_an_answer(app_env)
    _publish(app_env, users)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["present_slides"] = ["impact"]
    at.session_state["present_round"] = "2016B"
    at.run()  # signed out: the published page
    assert not at.exception, at.exception
    (quote,) = [m.value for m in at.markdown if "wb-quote" in m.value]
    assert "Thanks to" in quote and _private(quote, name, staff) == [], quote


# -- decks ----------------------------------------------------------------------------------------------------


def _stored_decks(con: db.Connection) -> Any:
    row = con.execute("SELECT value FROM settings WHERE key = 'present_decks'").fetchone()
    return None if row is None else json.loads(row[0])


@pytest.mark.parametrize("role", ["analyst", "country"])
def test_roles_that_do_not_prepare_talks_may_not_save_or_delete_decks(writable_db: Path, users: dict[str, User],
                                                                       role: str) -> None:
    con = db.connect(writable_db)
    try:
        decks.save_deck(con, "Keynote", ["growth", "map"], "2016B", by=users["coordinator"])
        before = _stored_decks(con)
        with pytest.raises(NotAllowed, match="may not save the program's decks"):
            decks.save_deck(con, "Keynote", ["impact"], None, by=users[role])
        with pytest.raises(NotAllowed, match="may not delete the program's decks"):
            decks.delete_deck(con, "Keynote", by=users[role])
        # nor around the deck functions, through the setting that stores the decks
        with pytest.raises(NotAllowed):
            program.set_setting(con, "present_decks", {}, by=users[role])
        assert _stored_decks(con) == before == {"Keynote": {"slides": ["growth", "map"], "round": "2016B"}}
        assert not decks.may_edit_decks(users[role]) and not decks.may_edit_decks(None)
        for allowed in ("director", "coordinator", "presenter"):
            assert decks.may_edit_decks(users[allowed])
        decks.save_deck(con, "Keynote", ["impact"], None, by=users["presenter"])
        decks.delete_deck(con, "Keynote", by=users["director"])
        assert list(decks.decks(con)) == ["All slides"]
    finally:
        con.close()


@pytest.mark.parametrize("role", ["analyst", "country"])
def test_the_page_offers_no_deck_saving_to_them(app_env: Path, role: str) -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state[USER_KEY] = SAMPLE_ACCOUNTS[role]
    at.run()
    at.switch_page("pages/present.py").run()
    assert not at.exception, at.exception
    assert "Save deck" not in _labels(at) and not [t for t in at.text_input if t.label == "Save as deck"]
    assert _labels(at) >= IMAGE_BUTTONS  # signed in, they still export chart images
