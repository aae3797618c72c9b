"""Coordinator journeys in a real browser: `streamlit run` on a free port, the system Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, sign_in, streamlit_server

pytestmark = pytest.mark.browser


def test_overview_in_chromium(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (page, blocked):
        sign_in(page, url)
        expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="Applications")).to_contain_text("1,200")
        expect(metrics.filter(has_text="Participations")).to_contain_text("5,571")
        expect(page.locator(".js-plotly-plot").first).to_be_visible()

        # Pick 2016A in the sidebar's round picker.
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
        page.get_by_role("option", name="2016A").click()
        expect(metrics.filter(has_text="Participants")).to_contain_text("1,162")
        expect(metrics).to_have_count(8)  # the rerun has finished: no stale elements left
        expect(metrics.filter(has_text="Returning")).to_contain_text("24%")
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"
