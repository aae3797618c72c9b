"""A coordinator matches 2017A in a real browser: run, break a pair, pair by hand, re-run, publish, emails."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server

pytestmark = pytest.mark.browser


def test_matching_journey(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (page, blocked):
        sign_in(page, f"{url}/matching")  # opened by its address: the form first, then the page
        expect(page.get_by_role("heading", name="Matching · 2017A")).to_be_visible(timeout=60_000)
        # Opened by its own address first, the page still gets the app's navigation (titles, sections).
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Impact coding")).to_be_visible()
        expect(nav.get_by_text("streamlit app")).to_have_count(0)
        page.get_by_role("button", name="Run matching").click()
        expect(page.get_by_text("Run 1 of 2017A: 1,168 of 1,168 people matched")).to_be_visible(timeout=120_000)

        # Break the first pair: its two members become unmatched.
        page.get_by_role("button", name="Break this pair").click()
        expect(page.get_by_text("broken: its members are unmatched")).to_be_visible()
        metrics = page.get_by_test_id("stMetric")
        matched = metrics.filter(has_text="Matched")
        expect(matched).to_contain_text("1,166")
        expect(matched).to_contain_text("of 1,168")
        value = matched.get_by_test_id("stMetricValue")  # whole at 1,400 px, not cut off with an ellipsis
        assert value.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), value.inner_text()

        # Pair them again by hand.
        page.get_by_role("tab", name="Pair by hand").click()
        # The Trade-offs tab has a multiselect of its own (the weights, eight chosen): take this tab's, by its label.
        chooser = page.get_by_test_id("stMultiSelect").filter(has_text="Two or three unmatched people")
        tags = chooser.locator("[data-tag]")
        for chosen in (1, 2):
            for _ in range(4):  # a rerun can redraw the open list under the pointer: reopen and retry
                settle(page)
                if tags.count() >= chosen:
                    break
                chooser.click()
                try:
                    page.get_by_role("option").filter(has_text="(#").first.click(timeout=8_000)  # not "Select all"
                except PlaywrightTimeout:
                    page.keyboard.press("Escape")
            expect(tags).to_have_count(chosen)
            page.keyboard.press("Escape")
        settle(page)
        page.get_by_role("button", name="Pair them").click()
        expect(page.get_by_text("Paired by hand (and locked).")).to_be_visible()
        expect(metrics.filter(has_text="Matched")).to_contain_text("1,168")

        # Re-run (the hand-made pair is locked), then publish the new run. Wait for the pairing's run to end
        # first: a click while Streamlit is still redrawing can land on an element about to be replaced.
        settle(page)
        page.get_by_test_id("stExpander").get_by_text("Run the matching", exact=True).click()
        run = page.get_by_role("button", name="Run matching")
        expect(run).to_be_visible()
        paired = page.get_by_text("Paired by hand (and locked).")
        for _ in range(3):  # a click that lands while the browser is redrawing is lost: click again, as a person would
            settle(page)
            run.click()
            try:  # the run started: the page ran again, and the pairing's message went with the old page
                expect(paired).to_have_count(0, timeout=20_000)
                break
            except AssertionError:
                continue
        expect(page.get_by_text("Run 2 of 2017A: 1,168 of 1,168 people matched")).to_be_visible(timeout=120_000)
        page.get_by_role("tab", name="Publish and export").click()
        page.get_by_role("button", name="Publish run 2").click()
        expect(page.get_by_text("Run 2 of 2017A published")).to_be_visible()

        # Download the introduction emails.
        page.get_by_role("tab", name="Publish and export").click()
        with page.expect_download() as download:
            page.get_by_role("button", name="Introduction emails (.eml in a zip)").click()
        archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
        names = archive.namelist()
        assert len(names) == 584 and all(n.endswith(".eml") for n in names)
        subjects = [archive.read(n).split(b"\nSubject: ", 1)[1].split(b"\n", 1)[0] for n in names]
        assert sum(s.startswith(b"Meet your 2017A partner") for s in subjects) > 500  # most in English
        assert all(s.startswith((b"Meet your 2017A", b"Session 2017A", b"Ronda 2017A")) for s in subjects)
        page.screenshot(path=str(tmp_path / "matching.png"), full_page=True)
    assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"
