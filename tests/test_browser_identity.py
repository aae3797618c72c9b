"""A coordinator imports the 1,200-row export in which every applicant applied before under another address (issue
18, workbench.sample.identity_fixture.returning_export) in Chromium, network cut, and answers the review: one
sentence and three counts that agree, the review beside its candidates, an answer by the keyboard (1: the first
candidate, N: a new person), then the import. Prints the counts and the seconds (run with -s)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

import duckdb
import pytest

from tests.browser_support import PASSWORD, copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server
from workbench import db
from workbench.people.comparisons import known_people
from workbench.sample.identity_fixture import returning_export, to_csv_bytes

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

COORDINATOR = "tomas.ortega@coord.example.org"


def _metric(page: Page, label: str) -> Locator:
    return page.get_by_test_id("stMetric").filter(has_text=label)


def _count(page: Page, label: str) -> int:
    text = _metric(page, label).get_by_test_id("stMetricValue").inner_text()
    return int(text.replace(",", ""))


def test_a_coordinator_imports_1200_returners_and_answers_the_review(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    con = db.connect(sample_db_path, read_only=True)
    try:
        frame, truth = returning_export(known_people(con))
    finally:
        con.close()
    upload = tmp_path / "returners_2017B.csv"
    upload.write_bytes(to_csv_bytes(frame))
    db_path = copy_db(sample_db_path, tmp_path, passwords={COORDINATOR: PASSWORD})

    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (browser_page, blocked):
        page = cast("Page", browser_page)
        sign_in(page, url, email=COORDINATOR)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Import").click()
        expect(page.get_by_role("heading", name="Import applications")).to_be_visible(timeout=60_000)
        started = time.perf_counter()
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(upload))
        # 3 of 2017A's waitlisted, carried over, are recognised: their carried application takes the new answers
        expect(_metric(page, "Ready to import")).to_contain_text("1,197", timeout=120_000)
        expect(_metric(page, "Already in the round")).to_contain_text("3")
        settle(page)
        checked = time.perf_counter() - started

        # one sentence and three counts, the same everywhere on the page
        linked, review, new = (_count(page, k) for k in ("Linked to known people", "To review", "New people"))
        assert linked + review + new == 1197 and review > 0
        sentence = (f"{linked:,} are people the program already knows (linked), {review:,} may be someone known "
                    "and wait for your answer")
        expect(page.get_by_text(sentence).first).to_be_visible()
        tab = page.get_by_role("tab").filter(has_text=f"Known people ({review:,} to review)")
        tab.click()
        panel = page.get_by_role("tabpanel").filter(has_text="Application to answer")
        expect(panel.get_by_text(sentence)).to_be_visible()
        expect(panel.get_by_test_id("stDataFrame").first).to_be_visible()
        caption = panel.get_by_text(re.compile(r"^Row \d+: ")).inner_text()
        first_row = int(re.match(r"Row (\d+)", caption).group(1))  # type: ignore[union-attr]
        candidate = panel.get_by_role("button", name=re.compile(r"^The same as person \d+")).first.inner_text()
        person = int(re.search(r"person (\d+)", candidate).group(1))  # type: ignore[union-attr]

        # the keyboard: 1 links the row to its first candidate, N makes the next one a new person
        page.get_by_role("heading", name="Import applications").click()  # the focus on the page, not a field
        page.keyboard.press("1")
        expect(_metric(page, "Linked to known people")).to_contain_text(f"{linked + 1:,}", timeout=120_000)
        expect(_metric(page, "To review")).to_contain_text(f"{review - 1:,}")
        settle(page)
        page.keyboard.press("n")
        answered = page.get_by_text(re.compile(r"1 of [\d,]+ answered \(1 as new people\)"))
        expect(answered).to_be_attached(timeout=120_000)
        settle(page)
        page.get_by_role("tab").filter(has_text="Known people (").click()  # the review again, after the rerun
        expect(answered).to_be_visible()
        expect(page.get_by_role("tab").filter(has_text=f"Known people ({review - 1:,} to review)")).to_be_visible()

        page.get_by_role("button", name="Import 1,197 application(s) into 2017B").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("imported 1197 of 1200 application(s) into 2017B", timeout=180_000)
        seconds = time.perf_counter() - started
        assert blocked == []
        print(f"\nIdentity journey, 1,200 returners: linked {linked}, review {review}, new {new}; the check drew in "
              f"{checked:.1f} s, the whole journey {seconds:.1f} s")

    stored = duckdb.connect(str(db_path), read_only=True)
    try:
        (answered,) = stored.execute(
            "SELECT person_id FROM applications WHERE round_id = '2017B' AND email = ?",
            [str(frame["email"].iloc[first_row - 2]).strip()]).fetchone()  # type: ignore[misc]
        (imported, people, returning) = stored.execute(
            "SELECT count(*), count(DISTINCT person_id), count(*) FILTER (WHERE person_id IN "
            "(SELECT person_id FROM applications WHERE round_id <> '2017B')) FROM applications "
            "WHERE round_id = '2017B' AND source = 'import returners_2017B.csv'").fetchone()  # type: ignore[misc]
        (twice,) = stored.execute(
            "SELECT count(*) FROM (SELECT person_id FROM applications WHERE round_id = '2017B' AND status <> "
            "'withdrawn' GROUP BY person_id HAVING count(*) > 1)").fetchone()  # type: ignore[misc]
    finally:
        stored.close()
    assert twice == 0  # the waitlisted of 2017A who applied again are in once, not also carried over
    assert answered == person
    assert imported == people == 1200
    assert returning == linked + 1 + 3  # the sure ones, the answer and the 3 carried over: their past rounds counted
    assert sum(1 for t in truth if t is not None) == 1200
