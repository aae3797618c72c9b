"""Sign-in security (issue 16): parallel failures all count, every refusal reads the same, the lock ends
on its own, signing out forgets the session, and the identity provider must vouch for the email."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import ROOT, app_as
from workbench import accounts, db
from workbench.access import command_line_user
from workbench.ui.auth import EXPIRED_KEY, IDENTITY_USED_KEY, SEEN_KEY, USER_KEY

OPERATOR = command_line_user()
PASSWORD = "correct horse battery staple"
T0 = datetime(2026, 12, 1, 9, 0)


def _account(con: db.Connection, email: str = "ana.souza@example.org") -> accounts.User:
    return accounts.add_user(con, email, name="Ana Souza", role="coordinator", by=OPERATOR, password=PASSWORD)


def _state(con: db.Connection, user_id: str) -> tuple[int, datetime | None]:
    row = con.execute("SELECT failed_sign_ins, locked_until FROM coordinators WHERE coordinator_id = ?",
                      [user_id]).fetchone()
    assert row is not None
    return row[0], row[1]


def _refusal(con: db.Connection, email: str, password: str, at: datetime | None = None) -> tuple[type, str]:
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate(con, email, password, now=at)
    return type(refused.value), str(refused.value)


# -- 1. parallel wrong passwords each count ---------------------------------------------------------


def test_parallel_wrong_passwords_each_count_and_lock_the_account(writable_db: Path) -> None:
    con = db.connect(writable_db)
    user = _account(con)
    tries = 10
    start = threading.Barrier(tries)
    outcomes: list[object] = []

    def wrong_password() -> None:
        cur = con.cursor()  # one cursor per thread of the one connection, as the app does per script run
        start.wait()
        try:
            accounts.authenticate(cur, user.email, "not the password at all")
        except Exception as exc:  # recorded and checked below
            outcomes.append(exc)
        else:
            outcomes.append("signed in")
        finally:
            cur.close()

    threads = [threading.Thread(target=wrong_password) for _ in range(tries)]
    before = datetime.now(UTC).replace(tzinfo=None)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    after = datetime.now(UTC).replace(tzinfo=None)
    assert [type(o) for o in outcomes] == [accounts.SignInRefused] * tries
    failures, locked_until = _state(con, user.id)
    assert failures == tries
    lock = timedelta(minutes=accounts.LOCK_MINUTES)
    assert locked_until is not None and before + lock <= locked_until <= after + lock
    assert con.execute("SELECT count(*) FROM audit_log WHERE entity_id = ? AND action = 'sign-in failed'",
                       [user.id]).fetchone() == (tries,)
    # locked: the right password does not sign in now
    assert _refusal(con, user.email, PASSWORD, locked_until - timedelta(minutes=1)) == \
        (accounts.SignInRefused, accounts.WRONG)
    con.close()


# -- 2. one answer for every refusal ----------------------------------------------------------------


def test_every_refused_password_sign_in_gets_the_same_answer(writable_db: Path) -> None:
    con = db.connect(writable_db)
    user = _account(con)
    accounts.add_user(con, "gone@example.org", name="Gone", role="analyst", by=OPERATOR, password=PASSWORD)
    accounts.disable_user(con, "gone@example.org", by=OPERATOR)
    answers = {
        "unknown email": _refusal(con, "nobody@example.org", PASSWORD, T0),
        "wrong password": _refusal(con, user.email, "not the password at all", T0),
        "disabled account, right password": _refusal(con, "gone@example.org", PASSWORD, T0),
        "account without a password": _refusal(con, "tomas.ortega@coord.example.org", PASSWORD, T0),
    }
    for i in range(2, accounts.LOCK_AFTER + 1):  # the tries that come near the lock and the one that locks
        answers[f"failure {i}"] = _refusal(con, user.email, "not the password at all", T0 + timedelta(seconds=i))
    answers["locked, right password"] = _refusal(con, user.email, PASSWORD, T0 + timedelta(minutes=1))
    answers["locked, wrong password"] = _refusal(con, user.email, "still not it", T0 + timedelta(minutes=2))
    assert _state(con, user.id)[1] is not None  # the account is locked
    different = {why: answer for why, answer in answers.items() if answer != (accounts.SignInRefused, accounts.WRONG)}
    assert different == {}
    assert "not right" in accounts.WRONG and f"locked for {accounts.LOCK_MINUTES} minutes" in accounts.WRONG
    con.close()


def _form_error(at: AppTest, email: str, password: str) -> str:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return str(at.error[0].value)


def test_the_form_says_the_same_for_a_wrong_password_an_unknown_email_and_no_password(app_env: Path) -> None:
    con = db.connect(app_env)
    try:
        accounts.set_password(con, "alex.morgan@coord.example.org", PASSWORD, by=OPERATOR)
    finally:
        con.close()
    at = app_as(None)
    wrong = _form_error(at, "alex.morgan@coord.example.org", "not the password at all")
    unknown = _form_error(at, "nobody@example.org", PASSWORD)
    no_password = _form_error(at, "tomas.ortega@coord.example.org", PASSWORD)
    assert wrong == unknown == no_password == accounts.WRONG
    assert USER_KEY not in at.session_state


# -- 3. the lock ends on its own --------------------------------------------------------------------


def test_the_lock_ends_after_lock_minutes_whatever_a_stranger_tries_meanwhile(writable_db: Path) -> None:
    con = db.connect(writable_db)
    user = _account(con)
    at = T0
    for _ in range(accounts.LOCK_AFTER):
        at += timedelta(seconds=1)
        _refusal(con, user.email, "a stranger's guess", at)
    locked_until = at + timedelta(minutes=accounts.LOCK_MINUTES)
    assert _state(con, user.id) == (accounts.LOCK_AFTER, locked_until)

    # A stranger goes on guessing every minute of the lock: it still ends when it said.
    for minute in range(1, accounts.LOCK_MINUTES):
        _refusal(con, user.email, "a stranger's guess", at + timedelta(minutes=minute))
    assert _state(con, user.id) == (accounts.LOCK_AFTER + accounts.LOCK_MINUTES - 1, locked_until)
    _refusal(con, user.email, PASSWORD, locked_until - timedelta(seconds=1))

    # After the lock, one more failure does not lock again: a new count starts.
    _refusal(con, user.email, "a stranger's guess", locked_until + timedelta(seconds=1))
    assert _state(con, user.id) == (1, None)
    assert accounts.authenticate(con, user.email, PASSWORD, now=locked_until + timedelta(seconds=2)) == user

    # A second lock lasts as long as the first: nothing escalates.
    at = locked_until + timedelta(hours=1)
    for _ in range(accounts.LOCK_AFTER):
        at += timedelta(seconds=1)
        _refusal(con, user.email, "a stranger's guess", at)
    assert _state(con, user.id) == (accounts.LOCK_AFTER, at + timedelta(minutes=accounts.LOCK_MINUTES))
    assert accounts.authenticate(con, user.email, PASSWORD,
                                 now=at + timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)) == user
    assert _state(con, user.id) == (0, None)
    con.close()


# -- 4. signing out forgets the session -------------------------------------------------------------


#: The sign-in form's own widget (the "Sign in" button of the form "sign_in"), drawn after the sign-out.
FORM_WIDGETS = {"FormSubmitter:sign_in-Sign in"}


def _user_keys(at: AppTest) -> set[str]:
    """The session's keys (what the code keeps, and keyed widgets), without the sign-in form's own."""
    return set(at.session_state.keys()) - FORM_WIDGETS


def test_sign_out_clears_a_prepared_backup_and_everything_else(app_env: Path) -> None:
    at = app_as("director", "pages/backups.py")
    at.button(key="prepare_backup").click().run()
    assert not at.exception, at.exception
    data, name = at.session_state["backup_download"]
    assert name.endswith(".duckdb") and len(data) > 100_000
    at.session_state["an_upload"] = b"applicant,email\nAda,ada@example.org\n"  # what any page may keep
    assert {"backup_download", "an_upload", USER_KEY, SEEN_KEY} <= _user_keys(at)

    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    left = _user_keys(at)
    assert "backup_download" not in left and "an_upload" not in left and USER_KEY not in left
    assert left <= {IDENTITY_USED_KEY}
    assert at.session_state[IDENTITY_USED_KEY] is True


def test_an_expired_session_is_cleared_and_says_why(app_env: Path) -> None:
    at = app_as("director", "pages/backups.py")
    at.button(key="prepare_backup").click().run()
    assert "backup_download" in _user_keys(at)
    at.session_state[SEEN_KEY] = time.time() - 31 * 60
    at.run()
    assert [t.value for t in at.title] == ["Sign in"]
    assert "without activity" in at.info[0].value
    assert _user_keys(at) <= {IDENTITY_USED_KEY, EXPIRED_KEY}


# -- 5. the identity provider must vouch for the email ---------------------------------------------

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "workbench", "client_secret": "secret", "provider_name": "Example SSO",
        "server_metadata_url": "http://localhost:9/.well-known/openid-configuration"}
DIRECTOR_EMAIL = "alex.morgan@coord.example.org"


def _identity_app(claims: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.secrets["auth"] = AUTH
    at.user = {"is_logged_in": True, "email": DIRECTOR_EMAIL, "iat": int(time.time()), **claims}
    return at.run()


@pytest.mark.parametrize("claims", [{}, {"email_verified": False}, {"email_verified": "false"}],
                         ids=["no claim", "false", "the string false"])
def test_an_identity_without_a_verified_email_is_refused(app_env: Path, claims: dict[str, Any]) -> None:
    at = _identity_app(claims)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Sign in"]
    assert USER_KEY not in at.session_state
    assert "did not confirm that this email address is verified" in at.error[0].value
    assert "Sign out of the identity provider" in [b.label for b in at.button]


@pytest.mark.parametrize("verified", [True, "true"])
def test_an_identity_with_a_verified_email_signs_in(app_env: Path, verified: object) -> None:
    at = _identity_app({"email_verified": verified})
    assert not at.exception, at.exception
    assert at.title[0].value == "Program overview"
    assert at.session_state[USER_KEY] == "amorgan"


def test_record_identity_sign_in_needs_email_verified(writable_db: Path) -> None:
    con = db.connect(writable_db)
    for claim in (None, False, "", "no", 1):
        with pytest.raises(accounts.SignInRefused, match="did not confirm"):
            accounts.record_identity_sign_in(con, DIRECTOR_EMAIL, email_verified=claim)
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'sign in (identity provider)'").fetchone() == (0,)
    assert accounts.record_identity_sign_in(con, DIRECTOR_EMAIL, email_verified=True).id == "amorgan"
    con.close()
