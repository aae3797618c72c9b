"""Presenter mode in a real browser, offline: the presenter signs in and lands on the slides, which advance by
button and by arrow key; the map draws from the vendored geometry; axe-core finds no serious or critical
violation in either theme; published, the page opens signed out and nothing else does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server
from workbench import db, program
from workbench.access import command_line_user
from workbench.present.slides import SLIDES

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PRESENTER_EMAIL = "presenter@coord.example.org"
PRESENTER_PASSWORD = "on the big screen"
TITLES = [kind.title for kind in SLIDES.values()]


def heading(page: Page) -> str:
    return page.get_by_role("heading", level=1).first.inner_text().strip()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core (bundled by axe-playwright-python, injected from the local file) on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [(n["html"][:300], n.get("failureSummary", "")[-160:])
                                                              for n in v["nodes"]][:5]}
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_the_presenter_steps_through_the_slides_offline(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path, passwords={PRESENTER_EMAIL: PRESENTER_PASSWORD})
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (browser_page, blocked):
        page = cast("Page", browser_page)
        sign_in(page, url, email=PRESENTER_EMAIL, password=PRESENTER_PASSWORD)
        expect(page.get_by_role("heading", name=TITLES[0], level=1)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # full width: no sidebar on this screen
        expect(page.locator(".wb-takeaway")).to_contain_text("From 92 participants in 18 countries")
        expect(page.locator(".main-svg").first).to_be_visible(timeout=60_000)

        # "Next" by button: the map of the current round, drawn offline from the vendored geometry.
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name=TITLES[1], level=1)).to_be_visible(timeout=60_000)
        expect(page.locator("path.choroplethlocation").first).to_be_attached(timeout=60_000)
        assert page.locator("path.choroplethlocation").count() > 80
        expect(page.locator(".wb-takeaway")).to_contain_text("drawn without their number")

        # Keys: right arrow forward, left arrow back.
        settle(page)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.keyboard.press("ArrowRight")
        expect(page.get_by_role("heading", name=TITLES[2], level=1)).to_be_visible(timeout=60_000)
        settle(page)
        page.keyboard.press("ArrowLeft")
        expect(page.get_by_role("heading", name=TITLES[1], level=1)).to_be_visible(timeout=60_000)

        # The numbers behind the chart: a real table a screen reader reaches.
        page.get_by_text("The numbers behind the chart").click()
        expect(page.get_by_role("table").first).to_contain_text("fewer than 5")

        # Downloads: the chart as SVG (kaleido, system Chromium; signed in, one export at a time), then the whole
        # deck as one HTML file.
        page.get_by_role("button", name="Chart as SVG").click()
        with page.expect_download(timeout=120_000) as svg:
            page.get_by_role("button", name="Download 02-map.svg").click(timeout=120_000)
        assert svg.value.suggested_filename == "02-map.svg"
        assert Path(svg.value.path()).read_text(encoding="utf-8").count("choroplethlocation") > 80
        page.get_by_text("Deck, round and settings").click()
        with page.expect_download(timeout=120_000) as deck:
            page.get_by_role("button", name="Download the deck (HTML, works offline)").click()
        assert deck.value.suggested_filename == "deck-2017A.html"
        assert Path(deck.value.path()).read_text(encoding="utf-8").count('<section class="slide"') == len(SLIDES)
        page.get_by_text("Deck, round and settings").click()

        # axe-core: no serious or critical violation, light then dark. The pointer leaves the expander it just
        # opened and its colour transition ends first (mid-transition, its label is nearly the background's colour).
        settle(page)
        page.mouse.move(0, 0)
        page.wait_for_timeout(1_000)
        light = serious_violations(page)
        page.get_by_text("Dark theme").click()
        settle(page)
        expect(page.locator(".stApp")).to_have_css("background-color", "rgb(16, 24, 30)")
        expect(page.locator("path.choroplethlocation").first).to_be_attached(timeout=60_000)
        page.mouse.move(0, 0)
        page.wait_for_timeout(1_000)
        dark = serious_violations(page)
        assert not light, light
        assert not dark, dark
    assert not blocked, blocked


def test_published_the_page_opens_signed_out_and_nothing_else(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    con = db.connect(db_path)
    try:
        program.set_setting(con, "present_published", True, by=command_line_user())
    finally:
        con.close()
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (browser_page, blocked):
        page = cast("Page", browser_page)
        page.goto(url)
        expect(page.get_by_role("heading", name=TITLES[0], level=1)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name=TITLES[1], level=1)).to_be_visible(timeout=60_000)
        settle(page)
        expect(page.get_by_role("button", name="Chart as PNG")).to_have_count(0)  # a browser each: signed in only
        expect(page.get_by_role("button", name="Chart as SVG")).to_have_count(0)
        for address in ("matching", "applicants", "overview"):
            page.goto(f"{url}/{address}")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stDataFrame")).to_have_count(0)
            expect(page.get_by_test_id("stMetric")).to_have_count(0)
    assert not blocked, blocked
