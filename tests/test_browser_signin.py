"""Signing in, in a real browser: the form, a role's pages, signing out; and an identity provider (a real
local OIDC provider, `oidc-provider-mock`) through `st.login`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.browser_support import copy_db, offline_page, require_chromium, sign_in, streamlit_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

COUNTRY_EMAIL = "ngozi.okafor@coord.example.org"
COUNTRY_PASSWORD = "Abuja, Accra and Douala"


def nav_links(page: Page) -> list[str]:
    links = page.get_by_test_id("stSidebarNav").get_by_role("link").all_inner_texts()
    return [text.strip().splitlines()[-1] for text in links]  # the icon's name comes first


def test_a_country_coordinator_signs_in_sees_their_pages_and_signs_out(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path, passwords={COUNTRY_EMAIL: COUNTRY_PASSWORD})
    with streamlit_server(db_path, tmp_path) as url, offline_page(chromium, url) as (browser_page, blocked):
        page = cast("Page", browser_page)
        # Before signing in: the form alone, no navigation, no sidebar.
        page.goto(url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSidebar")).to_have_count(0)
        expect(page.get_by_test_id("stMetric")).to_have_count(0)

        # A wrong password is refused in plain words.
        page.get_by_label("Email", exact=True).fill(COUNTRY_EMAIL)
        page.get_by_label("Password", exact=True).fill("not her password")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_text("The email or password is not right")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)

        sign_in(page, url, email=COUNTRY_EMAIL, password=COUNTRY_PASSWORD)
        expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).to_contain_text("Ngozi Okafor")
        expect(sidebar).to_contain_text("NGA, GHA, CMR")
        expect(page.get_by_test_id("stSidebarNav").get_by_role("link")).to_have_count(6)
        assert sorted(nav_links(page)) == ["Applicants", "Follow-up", "Outbox", "Outcomes", "Overview", "Present"]

        # Her pages open; a page outside her role, opened by its address, is refused.
        page.get_by_test_id("stSidebarNav").get_by_role("link", name="Applicants").click()
        expect(page.get_by_role("heading", name="Applicants", exact=True)).to_be_visible(timeout=60_000)
        # (A new page load is a new session: the form first, then the address opens, refused.)
        sign_in(page, f"{url}/import", email=COUNTRY_EMAIL, password=COUNTRY_PASSWORD)
        expect(page.get_by_text("Ngozi Okafor (country for NGA, GHA, CMR) may not import files into a round")
               ).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stFileUploaderDropzoneInput")).to_have_count(0)

        # Sign out: back on the form, nothing else.
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
        expect(page.get_by_text("Ngozi Okafor")).to_have_count(0)
        expect(page.locator("body")).not_to_contain_text("Ngozi")
        page.screenshot(path=str(tmp_path / "signed-out.png"), full_page=True)
    assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"


SECRETS = """\
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "a-cookie-secret-only-for-this-test-run"
client_id = "workbench"
client_secret = "workbench-test-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
provider_name = "Test SSO"
"""


def _through_the_provider(page: Page, email: str) -> None:
    """On the provider's authorisation form: sign in as ``email``."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible(timeout=60_000)
    page.locator('input[name="sub"]').fill(email)
    page.get_by_role("button", name="Authorize").click()


def _sign_out_at_the_provider(page: Page) -> None:
    """The provider asks to confirm the sign-out, then sends the browser back to the app."""
    from playwright.sync_api import expect

    confirm = page.get_by_role("button", name="End session")
    expect(confirm.first).to_be_visible(timeout=60_000)
    confirm.first.click()


def test_sign_in_with_an_identity_provider(sample_db_path: Path, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from oidc_provider_mock import run_server_in_thread
    from playwright.sync_api import expect

    chromium = require_chromium()
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks plain http
    db_path = copy_db(sample_db_path, tmp_path)
    from oidc_provider_mock import User as ProviderUser

    verified = [ProviderUser(sub=email, claims={"email": email, "email_verified": True})
                for email in ("stranger@example.org", "alex.morgan@coord.example.org")]
    with run_server_in_thread(user_claims=verified) as provider_server:
        provider = f"http://localhost:{provider_server.server_port}"
        secrets = SECRETS.format(provider=provider)
        with streamlit_server(db_path, tmp_path, secrets=secrets) as url, \
                offline_page(chromium, url, also_allow=(provider,)) as (browser_page, blocked):
            page = cast("Page", browser_page)
            page.goto(url)
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_label("Email", exact=True)).to_be_visible()

            # An email without an account here is refused, and nothing else is shown.
            page.get_by_role("button", name="Sign in with Test SSO").click()
            _through_the_provider(page, "stranger@example.org")
            expect(page.get_by_text("stranger@example.org signed in with the identity provider, but has no "
                                    "active account in this workbench")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            expect(page.get_by_test_id("stMetric")).to_have_count(0)
            page.get_by_role("button", name="Sign out of the identity provider").click()
            _sign_out_at_the_provider(page)
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("stranger@example.org")).to_have_count(0)

            # A sample director's email: signed in, on the Overview, with the director's pages.
            page.get_by_role("button", name="Sign in with Test SSO").click()
            _through_the_provider(page, "alex.morgan@coord.example.org")
            expect(page.get_by_role("heading", name="Program overview")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stSidebar")).to_contain_text("Alex Morgan")
            expect(page.get_by_test_id("stSidebar")).to_contain_text("director")
            expect(page.get_by_test_id("stMetric").filter(has_text="Applications")).to_contain_text("1,200")

            # Signing out ends the provider's session too: the form again.
            page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
            _sign_out_at_the_provider(page)
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
            page.goto(url)  # a new session: the cookie is gone, nothing signs in by itself
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)
        # The mock provider's own pages ask a CDN for their stylesheet (refused, they work without it).
        ours = [u for u in blocked if not u.startswith("https://cdn.jsdelivr.net/npm/@picocss/")]
        assert ours == [], f"the app tried to reach the internet: {ours[:5]}"
