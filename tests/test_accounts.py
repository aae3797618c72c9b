"""Accounts and the role table: argon2 passwords, lock-out, and who may do what."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from workbench import accounts, db
from workbench.access import PAGES, ROLES, Action, NotAllowed, User, command_line_user, may, pages_for, require

OPERATOR = command_line_user()
T0 = datetime(2026, 12, 1, 9, 0)


def _user(role: str, countries: tuple[str, ...] = ()) -> User:
    return User(f"u-{role}", f"{role}@example.org", role.title(), role, countries)


def test_the_sample_has_no_usable_password(con: db.Connection) -> None:
    assert con.execute("SELECT count(*), count(password_hash) FROM coordinators").fetchone() == (11, 0)
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate(con, "alex.morgan@coord.example.org", "whatever it is")
    assert str(refused.value) == accounts.WRONG


def test_add_sign_in_and_wrong_passwords_lock(writable_db: Path) -> None:
    con = db.connect(writable_db)
    new = accounts.add_user(con, "Ana.Souza@Example.org", name="Ana Souza", role="coordinator",
                            by=OPERATOR, password="correct horse battery")
    assert (new.email, new.role, new.id) == ("ana.souza@example.org", "coordinator", "anasouza")
    (stored,) = con.execute("SELECT password_hash FROM coordinators WHERE coordinator_id = 'anasouza'").fetchone()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert accounts.authenticate(con, " ANA.SOUZA@example.org", "correct horse battery", now=T0) == new

    with pytest.raises(accounts.SignInRefused, match="not right"):
        accounts.authenticate(con, "nobody@example.org", "correct horse battery", now=T0)
    at = T0
    for _ in range(accounts.LOCK_AFTER - 1):
        at += timedelta(seconds=1)
        with pytest.raises(accounts.SignInRefused, match="not right"):
            accounts.authenticate(con, new.email, "wrong password!", now=at)
    # a right password before the lock signs in and starts the count again
    assert accounts.authenticate(con, new.email, "correct horse battery", now=at) == new
    for _ in range(accounts.LOCK_AFTER):
        at += timedelta(seconds=1)
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(con, new.email, "wrong password!", now=at)
    with pytest.raises(accounts.SignInRefused, match="not right"):  # even the right password, while locked
        accounts.authenticate(con, new.email, "correct horse battery", now=at + timedelta(minutes=5))
    # the lock ends on its own, or a director's new password lifts it
    assert accounts.authenticate(con, new.email, "correct horse battery",
                                 now=at + timedelta(minutes=accounts.LOCK_MINUTES, seconds=1)) == new
    for _ in range(accounts.LOCK_AFTER):
        at += timedelta(hours=1)
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate(con, new.email, "wrong password!", now=at)
    accounts.set_password(con, new.email, "another long password", by=OPERATOR)
    assert accounts.authenticate(con, new.email, "another long password", now=at) == new
    actions = [r[0] for r in con.execute("SELECT action FROM audit_log WHERE entity_id = 'anasouza' "
                                         "ORDER BY audit_id").fetchall()]
    assert actions[0] == "add account" and actions.count("sign-in failed") == 3 * accounts.LOCK_AFTER - 1
    assert actions.count("sign-in refused (locked)") == 1
    assert actions.count("sign in") == 4
    con.close()


def test_account_rules(writable_db: Path) -> None:
    con = db.connect(writable_db)
    with pytest.raises(accounts.AccountError, match="at least 12 characters"):
        accounts.add_user(con, "x@example.org", name="X", role="director", by=OPERATOR, password="short")
    with pytest.raises(accounts.AccountError, match="needs at least one country"):
        accounts.add_user(con, "x@example.org", name="X", role="country", by=OPERATOR)
    with pytest.raises(accounts.AccountError, match="ZZZ is not a known ISO-3"):
        accounts.add_user(con, "x@example.org", name="X", role="country", countries=["KEN", "ZZZ"], by=OPERATOR)
    with pytest.raises(accounts.AccountError, match="not a role"):
        accounts.add_user(con, "x@example.org", name="X", role="admin", by=OPERATOR)
    with pytest.raises(accounts.AccountError, match="already an account"):
        accounts.add_user(con, "Alex.Morgan@coord.example.org", name="X", role="analyst", by=OPERATOR)
    kenya = accounts.add_user(con, "k@example.org", name="K", role="country", countries=["ken", "NGA"], by=OPERATOR)
    assert kenya.countries == ("KEN", "NGA")
    with pytest.raises(NotAllowed, match="may not manage accounts"):
        accounts.add_user(con, "y@example.org", name="Y", role="analyst", by=kenya)

    accounts.set_password(con, "k@example.org", "a long enough secret", by=OPERATOR)
    accounts.disable_user(con, "k@example.org", by=OPERATOR)
    with pytest.raises(accounts.SignInRefused, match="not right"):
        accounts.authenticate(con, "k@example.org", "a long enough secret")
    assert accounts.user_for_email(con, "k@example.org") is None
    with pytest.raises(accounts.SignInRefused, match="no active account"):
        accounts.record_identity_sign_in(con, "k@example.org", email_verified=True)
    users = accounts.list_users(con, by=OPERATOR)
    assert "password_hash" not in users.columns
    assert users.loc[users["email"] == "k@example.org", "is_active"].item() is False or \
        not users.loc[users["email"] == "k@example.org", "is_active"].item()
    con.close()


def test_first_director_is_created_once(writable_db: Path) -> None:
    con = db.connect(writable_db)
    made = accounts.create_first_director(con, "alex.morgan@coord.example.org", "Alex Morgan")
    assert made is not None
    user, password = made
    assert user.role == "director" and len(password) >= accounts.MIN_PASSWORD_LENGTH
    assert accounts.authenticate(con, user.email, password) == user
    assert accounts.create_first_director(con, "someone@example.org", "Someone") is None
    con.close()


# --- the role table ------------------------------------------------------------------------------

EXPECTED_PAGES = {
    "director": ["overview", "applicants", "import", "matching", "topics", "followup", "outcomes", "impact",
                 "outbox", "present", "audit", "backups", "privacy", "settings"],
    "coordinator": ["overview", "applicants", "import", "matching", "topics", "followup", "outcomes", "impact",
                    "outbox", "present"],
    "country": ["overview", "applicants", "followup", "outcomes", "outbox", "present"],
    "analyst": ["overview", "outcomes", "present"],
    "presenter": ["present"],
}


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_its_pages(role: str) -> None:
    assert pages_for(_user(role, ("KEN",) if role == "country" else ())) == EXPECTED_PAGES[role]
    assert set(EXPECTED_PAGES[role]) <= set(PAGES)


def test_nobody_signed_in_sees_nothing_and_may_do_nothing() -> None:
    assert pages_for(None) == []
    with pytest.raises(NotAllowed, match="Sign in"):
        require(None, Action.VIEW_REPORTS)


def test_country_scope() -> None:
    kenya = _user("country", ("KEN",))
    assert may(kenya, Action.CASES, ["KEN", "AUS"]) and not may(kenya, Action.CASES, ["AUS", "GBR"])
    with pytest.raises(NotAllowed, match="outside Country's countries"):
        require(kenya, Action.CASES, ["AUS", "GBR"], what="Partnership 12")
    assert not may(kenya, Action.MATCH)
    assert may(_user("director"), Action.CASES, ["AUS"])
    assert not may(_user("analyst"), Action.VIEW_PERSONAL)
