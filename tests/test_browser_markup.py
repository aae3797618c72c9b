"""Participants' text is shown as text in a real browser (issue 16): a name, a survey answer and a case reason
holding Markdown for an image on a local listener make Chromium fetch nothing while a director opens the
pages that show them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, settle, sign_in, streamlit_server
from tests.test_security_pages import plant
from workbench import db
from workbench.access import command_line_user
from workbench.messages import outbox

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@contextmanager
def listener() -> Iterator[tuple[str, list[str]]]:
    """A tiny HTTP server on 127.0.0.1 (a free port) in a thread; yields its address and the paths asked of it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="markup-listener", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def open_page(page: Page, title: str, heading: str, shown: str) -> None:
    """Open ``title`` from the navigation, wait for ``shown`` (the planted text) and for images to load."""
    from playwright.sync_api import expect

    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=heading).first).to_be_visible(timeout=60_000)
    expect(page.get_by_text(shown).first).to_be_attached(timeout=60_000)
    settle(page)
    time.sleep(1.5)  # an image the page would fetch has been asked for by now


def test_participants_markdown_makes_the_browser_fetch_nothing(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with listener() as (address, asked):
        hostile = f"![x]({address}/x.png)"
        plant(db_path, hostile)
        con = db.connect(db_path)
        try:
            outbox.queue_introductions(con, "2016B", by=command_line_user())  # names in the Outbox's review
        finally:
            con.close()
        with streamlit_server(db_path, tmp_path) as url, \
                offline_page(chromium, url, also_allow=(address,)) as (browser_page, blocked):
            page = cast("Page", browser_page)
            sign_in(page, url)
            expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
            open_page(page, "Applicants", "Applicants", "Applicants from all countries")
            open_page(page, "Impact coding", "Impact coding", "My partner showed me")
            markdown = page.get_by_test_id("stMarkdownContainer")
            expect(markdown.filter(has_text=f"My partner showed me {hostile} and more").first).to_be_visible()
            open_page(page, "Follow-up", "Follow-up", "Partner wrote")
            expect(markdown.filter(has_text=f"Partner wrote {hostile}").first).to_be_visible()  # as written
            open_page(page, "Outbox", "Outbox", "messages waiting")
            page.screenshot(path=str(tmp_path / "markup.png"), full_page=True)
        assert asked == [], f"the browser fetched {asked} from participants' text"
        assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"
