"""A coordinator sends a round's introductions from the Outbox page in a real browser; a real SMTP server on
localhost receives each once, every member a recipient, and the page shows what was sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_support import ROOT, copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server
from tests.smtp_support import smtp_server
from workbench import db
from workbench.access import command_line_user
from workbench.messages import outbox

pytestmark = pytest.mark.browser
ROUND = "Pilot"


def _listed_in_the_app() -> bool:
    return '"pages/outbox.py"' in (ROOT / "streamlit_app.py").read_text(encoding="utf-8")


def test_sending_a_rounds_introductions_from_the_outbox(sample_db_path: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    if not _listed_in_the_app():
        pytest.skip("streamlit_app.py does not list pages/outbox.py yet (SCREENS)")
    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    con = db.connect(db_path)
    try:
        queued = outbox.queue_introductions(con, ROUND, by=command_line_user())
        members = {int(p): {e.lower() for e in emails} for p, emails in con.execute(
            "SELECT partnership_id, list(a.email) FROM partnership_members JOIN applications AS a "
            "USING (application_id) JOIN partnerships AS p USING (partnership_id) WHERE p.round_id = ? GROUP BY 1",
            [ROUND]).fetchall()}
        owner = dict(con.execute("SELECT message_id, partnership_id FROM outbox").fetchall())
    finally:
        con.close()
    assert queued.added == len(members) == 46

    with smtp_server(tmp_path) as srv:
        for key, value in srv.env().items():  # the app's server process reads its mail settings from these
            monkeypatch.setenv(key, value)
        with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (page, blocked):
            sign_in(page, f"{url}/outbox")
            expect(page.get_by_role("heading", name="Outbox")).to_be_visible(timeout=60_000)
            page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
            page.get_by_role("option", name="Pilot").click()
            settle(page)
            expect(page.get_by_text("46 messages waiting, to 92 recipients")).to_be_visible()
            send = page.get_by_role("button", name="Send 46 messages")
            box = send.bounding_box()  # at the top of the batch, above the sample message and the recipients
            assert box is not None and box["y"] + box["height"] <= 900, box
            page.get_by_text("A sample message of the batch").click()
            expect(page.get_by_test_id("stCode").first).to_contain_text("Subject: Meet your Pilot partner")
            send.click()
            result = page.get_by_text("Sent 46 of 46 messages (92 recipients)")
            expect(result).to_be_visible(timeout=120_000)
            expect(result).to_be_in_viewport()  # the result shows where the coordinator is looking
            metrics = page.get_by_test_id("stMetric")
            expect(metrics.nth(0)).to_contain_text("Waiting0")  # the four metrics: waiting, sent, partly, refused
            expect(metrics.nth(1)).to_contain_text("Sent46")
            page.screenshot(path=str(tmp_path / "outbox.png"), full_page=True)
        assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"

    received = srv.handler.received
    assert len(received) == 46
    got = sorted(owner[r.message["Message-ID"]] for r in received)
    assert got == sorted(members)  # each partnership once
    for r in received:
        assert {a.lower() for a in r.rcpt_tos} == members[owner[r.message["Message-ID"]]]
