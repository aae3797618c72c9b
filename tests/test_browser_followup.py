"""A coordinator's follow-up journey in a real browser: open the intervention queue, resolve a case, see
the health figures change."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server

pytestmark = pytest.mark.browser


def choose(page: object, label: str, option: str) -> None:
    """Pick ``option`` in the select box ``label`` (reopening the list if a rerun closed it)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

    box = page.get_by_role("combobox", name=label)  # type: ignore[attr-defined]
    for _ in range(3):
        box.click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=10_000)  # type: ignore[attr-defined]
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
            settle(page)
    expect(box).to_have_value(option)


def test_resolve_a_case_in_chromium(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (page, blocked):
        sign_in(page, url)
        expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Follow-up").click()
        expect(page.get_by_role("heading", name="Follow-up")).to_be_visible(timeout=60_000)

        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="Open cases")).to_contain_text("11")
        expect(metrics.filter(has_text="Closed cases")).to_contain_text("14")
        expect(page.get_by_role("tab", name="Intervention queue")).to_be_visible()
        # The queue shows the first case: its partnership, check-ins and the form to work on it.
        expect(page.get_by_text("Partnership 2490")).to_be_visible()
        expect(page.get_by_role("button", name="Save case")).to_be_visible()
        settle(page)

        # Close the first case of the queue as resolved, with a note.
        choose(page, "Status", "resolved")
        page.get_by_label("Add a note").fill("Partner was travelling; back in touch now.")
        page.get_by_role("button", name="Save case").click()

        expect(page.get_by_test_id("stAlert").filter(has_text="resolved")).to_be_visible(timeout=30_000)
        expect(metrics.filter(has_text="Open cases")).to_contain_text("10")
        expect(metrics.filter(has_text="Closed cases")).to_contain_text("15")
        page.screenshot(path=str(tmp_path / "followup.png"), full_page=True)
    assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"
