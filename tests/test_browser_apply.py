"""The participants' form in a real browser (issue 19): a phone-sized screen (360 x 740) with JavaScript switched
off applies, follows the emailed confirmation link (a real SMTP server), confirms and reaches their own page;
axe-core finds no serious or critical violation on /apply or /me, at that width."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium, workbench_serve
from tests.smtp_support import Server, smtp_server
from workbench import migrations
from workbench.access import command_line_user
from workbench.participants import applying
from workbench.participants.web import CSS_PATH, MAX_PAGE_BYTES
from workbench.program.settings import set_setting

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

BASE = "https://mentoring.example.org"
PHONE = {"width": 360, "height": 740}


def _serious(page: Page) -> list[dict[str, Any]]:
    """axe-core (bundled by axe-playwright-python, injected from the local file): serious and critical only."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:200] for n in v["nodes"]][:5]}
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _confirmation_link(smtp: Server, address: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(smtp.handler.received):
            if address in received.rcpt_tos and "Confirm" in str(received.message["Subject"]):
                found = re.search(re.escape(BASE) + r"(/apply/confirm/\S+)", received.message.get_content())
                assert found, received.message.get_content()
                return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation to {address}: {[r.rcpt_tos for r in smtp.handler.received]}")


def test_apply_on_a_phone_without_javascript(sample_db_path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium = require_chromium()
    path = tmp_path / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    con = migrations.open_live(path)
    applying.open_for_applications(con, "2099A", by=command_line_user(),
                                   closes_on=dt.date.today() + dt.timedelta(days=14))
    set_setting(con, "base_url", BASE, by=command_line_user())
    con.close()
    address = "amara.okafor@phone.example.org"
    with smtp_server(tmp_path) as smtp:
        for key, value in smtp.env().items():
            monkeypatch.setenv(key, value)
        with workbench_serve(path, tmp_path) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
            outside: list[str] = []
            context = browser.new_context(viewport=PHONE, java_script_enabled=False, is_mobile=True)
            context.route("**/*", lambda route, request: route.continue_() if request.url.startswith(url)
                          else (outside.append(request.url), route.abort()))
            page = context.new_page()
            page.set_default_timeout(30_000)

            form = page.goto(f"{url}/apply?lang=en")
            assert form is not None and form.status == 200
            assert CSS_PATH in form.text()
            assert len(form.body()) + len(page.request.get(url + CSS_PATH).body()) <= MAX_PAGE_BYTES
            page.get_by_label("Full name").fill("Amara Okafor")
            page.get_by_label("Email address").fill(address)
            page.get_by_label("Country you work in").select_option("NGA")
            page.get_by_label("Sector").first.select_option(index=1)
            page.get_by_label("Career stage").first.select_option("early")
            page.get_by_label("Library spaces").first.check()
            page.get_by_label("English", exact=True).first.check()
            page.get_by_label("I have read the privacy notice").check()
            page.get_by_role("button", name=re.compile(r"^Send")).click()  # "Send my application" (issue 20 renames it)
            expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

            page.goto(url + _confirmation_link(smtp, address))
            page.get_by_role("button", name="Confirm my application").click()
            expect(page.get_by_role("heading", name="Your application is confirmed")).to_be_visible()
            page.get_by_role("link", name="My application").click()
            expect(page.get_by_label("Full name")).to_have_value("Amara Okafor")
            me = page.url
            assert "/me/" in me
            context.close()

            # axe-core needs its script: a second phone-sized context with JavaScript, the pages' CSP bypassed for
            # the injected checker only (the pages themselves run no script)
            checker = browser.new_context(viewport=PHONE, bypass_csp=True, is_mobile=True)
            check = checker.new_page()
            found = {}
            for name, target in (("apply", f"{url}/apply?lang=en"), ("me", me)):
                check.goto(target)
                assert cast(int, check.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"], name
                found[name] = _serious(check)
            checker.close()
            browser.close()
    assert found == {"apply": [], "me": []}, found
    assert outside == []
    con = migrations.open_live(path)
    try:
        assert con.execute("SELECT status, person_id IS NOT NULL FROM form_applications WHERE email = ?",
                           [address]).fetchall() == [("confirmed", True)]
        assert con.execute("SELECT count(*) FROM applications WHERE round_id = '2099A' AND email = ?",
                           [address]).fetchone() == (1,)
    finally:
        con.close()
