"""Who is signed in, for the pages: the session's account, reloaded from the database on every run.

The session keeps only the account id and when it was last used. Each script run reloads the account
(:func:`workbench.accounts.get_user`), so a disabled account or a changed role takes effect at the next
click, and a session idle for longer than ``WORKBENCH_SESSION_IDLE_MINUTES`` (30) is signed out.
Pages call :func:`current_user` and pass the user to the library, which decides (``workbench.access``).

Two ways in, both rendered by :func:`sign_in_form`: an email and password (argon2, and
lock-out in :func:`workbench.accounts.authenticate`), and, when ``.streamlit/secrets.toml`` configures
an identity provider (``[auth]``), ``st.login``. Streamlit keeps the provider's identity in a cookie for
30 days; the workbench accepts it only for :func:`idle_limit_seconds` after the provider signed the
person in (the ID token's ``iat``), and only for an active account's email that the provider says is
verified (``email_verified``), so a browser left alone does not stay signed in through the cookie once
the idle limit has passed. Signing out (or the idle limit) clears the session's whole state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import streamlit as st

from workbench import accounts
from workbench.access import Action, NotAllowed, User, require
from workbench.config import settings
from workbench.db import Connection
from workbench.ui.widgets import md_text

#: Session-state keys (tests set ``USER_KEY`` to sign a session in as a sample account).
USER_KEY = "workbench_user_id"
SEEN_KEY = "workbench_last_seen"
EXPIRED_KEY = "workbench_session_expired"
#: How this session signed in: "password" or the identity provider's key ("default" or a named one).
METHOD_KEY = "workbench_sign_in_method"
#: Set once this session has used (or refused) the identity provider's cookie: not again in this session.
IDENTITY_USED_KEY = "workbench_identity_used"
#: A refusal of the identity provider's email, shown by the form.
REFUSED_KEY = "workbench_identity_refused"

#: Keys of a secrets.toml ``[auth]`` section that are Streamlit's shared settings, not a provider.
_SHARED_AUTH_KEYS = {"redirect_uri", "cookie_secret", "expose_tokens", "client_id", "client_secret",
                     "server_metadata_url", "client_kwargs", "provider_name"}


def idle_limit_seconds() -> float:
    """``WORKBENCH_SESSION_IDLE_MINUTES`` (:mod:`workbench.config`: 30 by default, at least 1), in seconds."""
    return settings().session_idle_minutes * 60


def idle_limit_text() -> str:
    minutes = idle_limit_seconds() / 60
    return f"{minutes:g} minute{'' if minutes == 1 else 's'}"


def sign_in_as(user: User, *, method: str = "password") -> None:
    """Start a signed-in session for ``user`` (after the password or the identity provider said yes)."""
    st.session_state[USER_KEY] = user.id
    st.session_state[SEEN_KEY] = time.time()
    st.session_state[METHOD_KEY] = method
    st.session_state.pop(EXPIRED_KEY, None)
    st.session_state.pop(REFUSED_KEY, None)


def sign_out(*, expired: bool = False) -> None:
    """End this session's sign-in (``expired``: the form then says it was the idle limit).

    Clears the whole session state: whatever the pages kept (a prepared backup with the accounts' password
    hashes, uploads, a chosen round) goes with the sign-in, for the next person at this browser. Only the
    notice for the form and the flag that stops the identity provider's cookie signing the session in again
    are set afresh.
    """
    st.session_state.clear()
    st.session_state[IDENTITY_USED_KEY] = True  # the provider's cookie does not sign this session in again
    if expired:
        st.session_state[EXPIRED_KEY] = True


def signed_in_user(con: Connection) -> User | None:
    """The active account of this session, or None (never signed in, signed out, idle too long, disabled)."""
    user_id = st.session_state.get(USER_KEY)
    if not user_id:
        return None
    seen = st.session_state.get(SEEN_KEY)
    if seen is not None and time.time() - float(seen) > idle_limit_seconds():
        sign_out(expired=True)
        return None
    user = accounts.get_user(con, str(user_id))
    if user is None:
        sign_out()
        return None
    st.session_state[SEEN_KEY] = time.time()
    return user


def current_user(con: Connection, action: Action | None = None) -> User:
    """The signed-in user, for a page; stops the page with a message when there is none (or the role may
    not open it: ``action`` is the page's action from :data:`workbench.access.PAGES`)."""
    user = signed_in_user(con)
    if user is None:
        st.warning("Sign in to use the workbench.")
        st.stop()
        raise AssertionError("unreachable")  # st.stop() raises
    if action is not None:
        try:
            require(user, action)
        except NotAllowed as exc:
            st.error(str(exc))
            st.stop()
    return user


# -- identity providers (OIDC through st.login) ------------------------------------------------------


@dataclass(frozen=True)
class Provider:
    """An identity provider configured in secrets.toml: ``key`` for ``st.login``, ``label`` for the button."""

    key: str
    label: str


def _auth_section() -> dict[str, Any]:
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        section = st.secrets.get("auth")
    except Exception:  # a malformed secrets.toml: no provider, the password form still works
        return {}
    if section is None or not hasattr(section, "to_dict"):
        return {}
    return dict(section.to_dict())


def identity_providers() -> list[Provider]:
    """The identity providers of ``.streamlit/secrets.toml``'s ``[auth]`` (none: password sign-in only).

    ``[auth]`` with ``client_id``, ``client_secret`` and ``server_metadata_url`` is the default provider
    (its button says ``provider_name``); each ``[auth.<name>]`` table with those keys is a named one.
    """
    section = _auth_section()
    if not section.get("redirect_uri") or not section.get("cookie_secret"):
        return []
    needed = ("client_id", "client_secret", "server_metadata_url")
    found = []
    if all(section.get(key) for key in needed):
        found.append(Provider("default", str(section.get("provider_name") or "your organisation's account")))
    for key, value in section.items():
        if key not in _SHARED_AUTH_KEYS and isinstance(value, dict) and all(value.get(k) for k in needed):
            found.append(Provider(key, str(value.get("provider_name") or key)))
    return found


def _identity() -> dict[str, Any]:
    try:
        info = st.user.to_dict()
    except Exception:  # no auth configured in this run
        return {}
    return info if info.get("is_logged_in") else {}


def identity_sign_in(con: Connection) -> User | None:
    """Sign this session in from the identity provider's cookie, when there is a fresh one for an active
    account. Records a refused email (shown by :func:`sign_in_form`). Once per session."""
    if st.session_state.get(IDENTITY_USED_KEY) or not identity_providers():
        return None
    info = _identity()
    if not info:
        return None
    st.session_state[IDENTITY_USED_KEY] = True
    issued = info.get("iat")
    if not isinstance(issued, (int, float)) or time.time() - float(issued) > idle_limit_seconds():
        return None  # an old cookie: the person signs in again with the button
    email = str(info.get("email") or "")
    try:
        user = accounts.record_identity_sign_in(con, email, email_verified=info.get("email_verified")) \
            if email else None
    except accounts.SignInRefused as exc:
        st.session_state[REFUSED_KEY] = str(exc)
        return None
    if user is None:
        st.session_state[REFUSED_KEY] = ("The identity provider did not say which email you signed in with, so "
                                         "the workbench cannot find your account. Ask a director.")
        return None
    sign_in_as(user, method=str(info.get("provider") or "default"))
    return user


def sign_out_everywhere() -> None:
    """The "Sign out" button: end the session, and the identity provider's cookie when there is one."""
    sign_out()
    if _identity():
        st.logout()  # redirects through the provider's sign-out; a new session starts on the form
        st.stop()
    st.rerun()


# -- the form ----------------------------------------------------------------------------------------


def sign_in_form(con: Connection) -> None:
    """The only thing a signed-out visitor sees: email, password, "Sign in" (and the providers' buttons)."""
    st.title("Sign in")
    st.caption("Peer-mentoring workbench")
    if st.session_state.get(EXPIRED_KEY):
        st.info(f"You were signed out after {idle_limit_text()} without activity. Sign in again to go on.")
    refused = st.session_state.get(REFUSED_KEY)
    if refused:
        st.error(refused)
        if _identity() and st.button("Sign out of the identity provider", key="identity_sign_out"):
            st.session_state.pop(REFUSED_KEY, None)
            st.logout()
    with st.form("sign_in", enter_to_submit=True):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        if not email.strip() or not password:
            st.error("Enter your email and your password.")
        else:
            try:
                user = accounts.authenticate(con, email, password)
            except accounts.SignInRefused as exc:
                st.error(str(exc))
            else:
                sign_in_as(user)
                st.rerun()
    for provider in identity_providers():
        if st.button(f"Sign in with {provider.label}", key=f"login_{provider.key}"):
            st.session_state.pop(IDENTITY_USED_KEY, None)
            st.login(None if provider.key == "default" else provider.key)


def signed_in_sidebar(user: User) -> None:
    """Who is signed in, and the "Sign out" button."""
    scope = f" · {', '.join(user.countries)}" if user.countries else ""
    st.sidebar.markdown(f"Signed in as **{md_text(user.name)}**  \n{user.role}{scope}")
    if st.sidebar.button("Sign out", key="sign_out"):
        sign_out_everywhere()
