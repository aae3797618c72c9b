"""Every role on every page (AppTest), the sign-in form, and what a signed-out visitor sees."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app_support import ROOT, SAMPLE_ACCOUNTS, app_as
from workbench import accounts, db
from workbench.access import PAGES, ROLES, Action, command_line_user, may
from workbench.ui.auth import SEEN_KEY, USER_KEY

PAGE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
PASSWORD = "correct horse battery staple"
DIRECTOR_EMAIL = "alex.morgan@coord.example.org"


def page_action(page: str) -> Action:
    key = Path(page).stem
    return PAGES[key]


def shown_text(at: AppTest) -> str:
    """All the text the run rendered (main area and sidebar)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning", "info",
                 "success", "code", "latex"):
        parts += [str(el.value) for el in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(getattr(w, "label", "")) for w in (*at.selectbox, *at.button, *at.text_input, *at.multiselect)]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def participant_names(sample_db_path: Path) -> list[str]:
    """The names of the current round's applicants (2017A) and of the last matched round's participants."""
    con = db.connect(sample_db_path, read_only=True)
    try:
        names = [r[0] for r in con.execute(
            "SELECT DISTINCT name FROM applications WHERE round_id IN ('2017A', '2016B') AND length(name) > 6"
        ).fetchall()]
    finally:
        con.close()
    assert len(names) > 1000
    return names


@pytest.mark.parametrize("page", PAGE_FILES)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_on_every_page(app_env: Path, role: str, page: str, participant_names: list[str]) -> None:
    at = app_as(role, page, check=False)
    assert not at.exception, at.exception
    text = shown_text(at)
    assert "Sign in" not in [t.value for t in at.title]
    if may(_user(role), page_action(page)):
        assert at.title, f"{role} on {page}: no title"
        assert "may not" not in "\n".join(e.value for e in at.error), f"{role} refused on {page}"
    else:
        refusal = "\n".join(e.value for e in at.error)
        assert f"may not {page_action(page).value}" in refusal, f"{role} on {page}: {refusal!r}"
        assert not at.dataframe and not at.metric and not at.table
        leaked = [name for name in participant_names if name in text]
        assert not leaked, f"{role} on {page} shows {leaked[:3]}"


def _user(role: str) -> Any:
    from workbench.access import User

    return User(id=SAMPLE_ACCOUNTS[role], email="", name=role, role=role)


class NavigationSpy:
    """Records every st.navigation call of a run: its position and the titles it shows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        real = st.navigation

        def spy(pages: Any, *, position: str = "sidebar", **kwargs: Any) -> Any:
            flat = [p for section in pages.values() for p in section] if isinstance(pages, dict) else list(pages)
            self.calls.append((position, [p.title for p in flat if p.visibility == "visible"]))
            return real(pages, position=position, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(st, "navigation", spy)


@pytest.mark.parametrize("page", [None, *PAGE_FILES])
def test_signed_out_sees_only_the_sign_in_form(app_env: Path, monkeypatch: pytest.MonkeyPatch, page: str | None,
                                              participant_names: list[str]) -> None:
    spy = NavigationSpy(monkeypatch)
    at = app_as(None, page, check=False)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.children, "the sidebar is empty before sign-in"
    assert not at.dataframe and not at.metric and not at.selectbox
    assert spy.calls and all(position == "hidden" and titles == ["Sign in"] for position, titles in spy.calls)
    text = shown_text(at)
    assert not [name for name in participant_names if name in text]


@pytest.mark.parametrize("role", ROLES)
def test_navigation_lists_the_role_s_pages(app_env: Path, monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    spy = NavigationSpy(monkeypatch)
    at = app_as(role, check=False)
    assert not at.exception
    position, titles = spy.calls[-1]
    assert position == "sidebar"
    expected = {
        "director": ["Overview", "Applicants", "Import", "Matching", "Topics", "Follow-up", "Outcomes",
                     "Impact coding", "Outbox", "Present", "Audit log", "Personal data", "Backups", "Settings"],
        "coordinator": ["Overview", "Applicants", "Import", "Matching", "Topics", "Follow-up", "Outcomes",
                        "Impact coding", "Outbox", "Present"],
        "country": ["Overview", "Applicants", "Follow-up", "Outcomes", "Outbox", "Present"],
        "analyst": ["Overview", "Outcomes", "Present"],
        "presenter": ["Present"],  # the presenter's one screen, where they land
    }[role]
    assert sorted(titles) == sorted(expected)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert f"{role}" in sidebar and "Signed in as" in sidebar


def test_sidebar_names_the_country_coordinator_and_countries(app_env: Path) -> None:
    at = app_as("country")
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Ngozi Okafor" in sidebar and "NGA, GHA, CMR" in sidebar


# -- the sign-in form ----------------------------------------------------------------------------------


def _set_password(path: Path, email: str = DIRECTOR_EMAIL, password: str = PASSWORD) -> None:
    con = db.connect(path)
    try:
        accounts.set_password(con, email, password, by=command_line_user())
    finally:
        con.close()


def _sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def test_sign_in_with_the_form_opens_the_overview(app_env: Path) -> None:
    _set_password(app_env)
    at = _sign_in(app_as(None), DIRECTOR_EMAIL.upper(), PASSWORD)
    assert not at.exception
    assert [t.value for t in at.title] == ["Program overview"]
    assert at.session_state[USER_KEY] == "amorgan"
    assert "Alex Morgan" in "\n".join(m.value for m in at.sidebar.markdown)


def test_a_page_opened_by_address_opens_after_sign_in(app_env: Path) -> None:
    _set_password(app_env)
    at = app_as(None, "pages/outcomes.py")
    assert [t.value for t in at.title] == ["Sign in"]
    at = _sign_in(at, DIRECTOR_EMAIL, PASSWORD)
    assert not at.exception
    assert at.title and at.title[0].value != "Sign in"
    assert "Outcomes" in at.title[0].value


def test_a_wrong_password_is_refused_with_a_message(app_env: Path) -> None:
    _set_password(app_env)
    at = _sign_in(app_as(None), DIRECTOR_EMAIL, "not the password at all")
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert at.error[0].value == accounts.WRONG
    assert USER_KEY not in at.session_state
    assert not at.dataframe and not at.sidebar.children


def test_an_unknown_email_gets_the_same_message(app_env: Path) -> None:
    at = _sign_in(app_as(None), "nobody@example.org", PASSWORD)
    assert at.error[0].value == accounts.WRONG


def test_an_account_without_a_password_gets_the_same_message(app_env: Path) -> None:
    at = _sign_in(app_as(None), "tomas.ortega@coord.example.org", PASSWORD)
    assert at.error[0].value == accounts.WRONG


def test_the_account_locks_after_repeated_failures(app_env: Path) -> None:
    _set_password(app_env)
    con = db.connect(app_env)
    try:  # seven failures spread over the last hours, each after the slow-down's wait
        start = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=3)
        for i in range(accounts.LOCK_AFTER - 1):
            with pytest.raises(accounts.SignInRefused):
                accounts.authenticate(con, DIRECTOR_EMAIL, "wrong password number",
                                      now=start + timedelta(minutes=5 * i))
    finally:
        con.close()
    at = _sign_in(app_as(None), DIRECTOR_EMAIL, "wrong password again")
    assert f"locked for {accounts.LOCK_MINUTES} minutes" in at.error[0].value
    at = _sign_in(at, DIRECTOR_EMAIL, PASSWORD)  # even the right password, while locked
    assert at.error[0].value == accounts.WRONG
    assert USER_KEY not in at.session_state


def test_an_idle_session_is_signed_out_with_a_message(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_SESSION_IDLE_MINUTES", "5")
    _set_password(app_env)
    at = _sign_in(app_as(None), DIRECTOR_EMAIL, PASSWORD)
    assert at.title[0].value == "Program overview"
    at.session_state[SEEN_KEY] = time.time() - 4 * 60  # four minutes: still signed in
    at.run()
    assert at.title[0].value == "Program overview"
    at.session_state[SEEN_KEY] = time.time() - 6 * 60
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "signed out after 5 minutes without activity" in at.info[0].value
    assert not at.dataframe and not at.sidebar.children
    at = _sign_in(at, DIRECTOR_EMAIL, PASSWORD)
    assert at.title[0].value == "Program overview"
    assert not [i for i in at.info if "signed out" in i.value]


def test_sign_out_returns_to_the_form(app_env: Path) -> None:
    at = app_as("coordinator")
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert USER_KEY not in at.session_state
    assert not at.sidebar.children


def test_a_disabled_account_is_signed_out_at_the_next_run(app_env: Path) -> None:
    at = app_as("coordinator")
    assert at.title[0].value == "Program overview"
    at.session_state[USER_KEY] = "no-such-account"
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]


# -- the identity provider (st.login), as AppTest can seed it -----------------------------------------

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "workbench", "client_secret": "secret", "provider_name": "Example SSO",
        "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}


def _identity_app(user: dict[str, Any] | None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    if user is not None:
        at.user = user  # type: ignore[assignment]
    return at.run()


def test_the_form_offers_the_identity_provider(app_env: Path) -> None:
    at = _identity_app(None)
    assert [b.label for b in at.button] == ["Sign in", "Sign in with Example SSO"]


def test_without_secrets_there_is_no_provider_button(app_env: Path) -> None:
    assert [b.label for b in app_as(None).button] == ["Sign in"]


def test_an_identity_of_an_active_account_signs_in(app_env: Path) -> None:
    at = _identity_app({"is_logged_in": True, "email": "Ngozi.Okafor@coord.example.org", "email_verified": True,
                        "iat": int(time.time())})
    assert not at.exception
    assert at.title[0].value == "Program overview"
    assert at.session_state[USER_KEY] == "nokafor"


def test_an_identity_without_an_account_is_refused(app_env: Path) -> None:
    at = _identity_app({"is_logged_in": True, "email": "stranger@example.org", "email_verified": True,
                        "iat": int(time.time())})
    assert [t.value for t in at.title] == ["Sign in"]
    assert "stranger@example.org signed in with the identity provider, but has no active account" in at.error[0].value
    assert "Sign out of the identity provider" in [b.label for b in at.button]
    assert USER_KEY not in at.session_state and not at.dataframe


def test_an_old_identity_cookie_does_not_sign_in(app_env: Path) -> None:
    old = int(time.time()) - 31 * 60
    at = _identity_app({"is_logged_in": True, "email": DIRECTOR_EMAIL, "email_verified": True, "iat": old})
    assert [t.value for t in at.title] == ["Sign in"]
    assert USER_KEY not in at.session_state
