"""Who is signed in, for the pages: the session's account, reloaded from the database on every run.

The session keeps only the account id and when it was last used. Each script run reloads the account
(:func:`workbench.accounts.get_user`), so a disabled account or a changed role takes effect at the next
click, and a session idle for longer than ``WORKBENCH_SESSION_IDLE_MINUTES`` (30) is signed out.
Pages call :func:`current_user` and pass the user to the library, which decides (``workbench.access``).
"""

from __future__ import annotations

import os
import time

import streamlit as st

from workbench import accounts
from workbench.access import Action, NotAllowed, User, require
from workbench.db import Connection

#: Session-state keys (tests set ``USER_KEY`` to sign a session in as a sample account).
USER_KEY = "workbench_user_id"
SEEN_KEY = "workbench_last_seen"
EXPIRED_KEY = "workbench_session_expired"


def idle_limit_seconds() -> float:
    value = os.environ.get("WORKBENCH_SESSION_IDLE_MINUTES", "").strip()
    try:
        minutes = float(value) if value else 30.0
    except ValueError:
        minutes = 30.0
    return max(minutes, 1.0) * 60


def sign_in_as(user: User) -> None:
    """Start a signed-in session for ``user`` (after the password or the identity provider said yes)."""
    st.session_state[USER_KEY] = user.id
    st.session_state[SEEN_KEY] = time.time()
    st.session_state.pop(EXPIRED_KEY, None)


def sign_out(*, expired: bool = False) -> None:
    for key in (USER_KEY, SEEN_KEY):
        st.session_state.pop(key, None)
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
