"""A coordinator's journey in Chromium with the network cut: upload a file on the Import page, read the
report, confirm, and find the new applicants on the map, drawn from the app's own map geometry."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, sign_in, streamlit_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

ROUND_FILE = Path(__file__).parent / "fixtures" / "applications" / "round_2017B.csv"

#: The choropleth's trace on the Applicants map: the ISO-3 locations in the order of their SVG paths.
_LOCATIONS = "() => document.querySelectorAll('.js-plotly-plot')[0]._fullData[0].locations"


def test_import_then_find_the_applicants_on_the_map(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (browser_page, blocked):
        page = cast("Page", browser_page)
        sign_in(page, url)
        expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Import").click()
        expect(page.get_by_role("heading", name="Import applications")).to_be_visible(timeout=60_000)

        # A new round (proposed: the one after 2017A), then the file.
        expect(page.get_by_role("textbox", name="New round id")).to_have_value("2017B", timeout=60_000)
        expect(page.get_by_text("Upload a CSV or XLSX file")).to_be_visible()
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(ROUND_FILE))

        # The report: what would happen, the rejected rows with what to do, a download.
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="Ready to import")).to_contain_text("12", timeout=60_000)
        expect(metrics.filter(has_text="Rejected rows")).to_contain_text("6")
        expect(page.get_by_text("Round 2017B did not exist: it would be created")).to_be_visible()
        page.get_by_role("tab", name="Rejected rows (6)").click()
        expect(page.get_by_test_id("stDownloadButton")).to_be_visible()
        page.screenshot(path=str(tmp_path / "import-report.png"), full_page=True)

        # Confirm.
        page.get_by_role("button", name="Import 12 application(s) into 2017B").click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(
            "imported 12 of 20 application(s) into 2017B", timeout=60_000)
        page.get_by_role("link", name="See 2017B's applicants on the map").click()

        # The Applicants page opens on the new round: 12 imported + 20 carried over from 2017A's waitlist.
        expect(page.get_by_role("heading", name="Applicants", exact=True)).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Round 2017B")).to_be_visible()
        expect(metrics.filter(has_text="Applicants")).to_contain_text("32")
        expect(metrics.filter(has_text="Countries").first).to_contain_text("11")

        # The countries are drawn from the vendored geometry, with nothing fetched from the internet.
        plot = page.locator(".js-plotly-plot").first
        paths = plot.locator("path.choroplethlocation")
        expect(paths).to_have_count(11, timeout=30_000)
        expect(plot.locator("g.layer.land path")).to_have_count(1)
        locations = page.evaluate(_LOCATIONS)
        assert "XKX" in locations and "CAN" in locations  # Kosovo drawn as itself

        # A click on Canada lists its applicants.
        box = paths.nth(locations.index("CAN")).bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.6)
        expect(page.get_by_role("heading", name="Applicants from Canada")).to_be_visible(timeout=30_000)
        table = page.get_by_test_id("stDataFrame").nth(1)
        expect(table).to_contain_text("Hannah Murphy")
        page.screenshot(path=str(tmp_path / "applicants-map.png"), full_page=True)
    assert blocked == [], f"the pages tried to reach the internet: {blocked[:5]}"
