"""Accounts: who can sign in, with which role, and the sign-in itself.

Passwords are hashed with argon2 (argon2-cffi) and never stored or logged in clear. Repeated failures
slow down sign-in for that account (each try after the third waits twice as long as the last), and the
account locks for :data:`LOCK_MINUTES` after :data:`LOCK_AFTER` failures. Every change to an account, and
every sign-in, is in the audit log under the person who made it.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from workbench import db
from workbench.access import ROLES, Action, User, require
from workbench.errors import NotFound, WorkbenchError

#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 12
#: Failures before each further try must wait (1 s, 2 s, 4 s, … up to :data:`MAX_WAIT_SECONDS`).
SLOW_DOWN_AFTER = 3
MAX_WAIT_SECONDS = 60
#: Failures that lock the account, and for how long.
LOCK_AFTER = 8
LOCK_MINUTES = 30

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SignInRefused(WorkbenchError):
    """The email and password do not match an active account (or the account is locked or must wait)."""


class AccountError(WorkbenchError):
    """An account change that cannot be made as asked."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFC", email.strip()).casefold()


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters (this one has "
                           f"{len(password)}). A few unrelated words make a long one that is easy to remember.")
    if password.strip() != password or not password.strip():
        raise AccountError("A password may not start or end with spaces.")


def generate_password() -> str:
    """A random password for a first account (printed once, changed later)."""
    return secrets.token_urlsafe(15)


_COLUMNS = ("coordinator_id", "email", "name", "role", "countries")


def _user(row: tuple) -> User:
    return User(id=row[0], email=row[1], name=row[2], role=row[3], countries=tuple(row[4] or ()))


def get_user(con: db.Connection, user_id: str) -> User | None:
    """The active account ``user_id`` (None when there is none, or it is disabled)."""
    row = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM coordinators WHERE coordinator_id = ? AND is_active",
                      [user_id]).fetchone()
    return None if row is None else _user(row)


def user_for_email(con: db.Connection, email: str) -> User | None:
    """The active account with this email (sign-in through an identity provider), or None."""
    row = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM coordinators WHERE lower(email) = ? AND is_active",
                      [normalise_email(email)]).fetchone()
    return None if row is None else _user(row)


def _account(con: db.Connection, email: str) -> dict:
    row = con.execute(
        "SELECT coordinator_id, email, name, role, countries, is_active, version FROM coordinators "
        "WHERE lower(email) = ?", [normalise_email(email)]).fetchone()
    if row is None:
        raise NotFound(f"There is no account for {email}. `workbench user list` shows the accounts.")
    return dict(zip(("coordinator_id", "email", "name", "role", "countries", "is_active", "version"), row,
                    strict=True))


def _check_countries(con: db.Connection, role: str, countries: list[str]) -> list[str]:
    codes = sorted({c.strip().upper() for c in countries if c.strip()})
    if role == "country" and not codes:
        raise AccountError("A country coordinator needs at least one country: add --countries KEN,NGA (ISO-3 codes).")
    if role != "country" and codes:
        raise AccountError(f"Only the country role has countries; a {role} sees every country. Leave out --countries.")
    known = {r[0] for r in con.execute("SELECT iso3 FROM countries WHERE iso3 IN ?", [codes]).fetchall()} if codes \
        else set()
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise AccountError(f"{', '.join(unknown)} {'is not a' if len(unknown) == 1 else 'are not'} known ISO-3 "
                           "country code(s) (KEN is Kenya, NGA Nigeria). `workbench views` lists the countries view.")
    return codes


def _new_id(con: db.Connection, email: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "", normalise_email(email).split("@")[0]) or "user"
    taken = {r[0] for r in con.execute("SELECT coordinator_id FROM coordinators WHERE coordinator_id LIKE ?",
                                       [base + "%"]).fetchall()}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def add_user(con: db.Connection, email: str, *, name: str, role: str, by: User,
             countries: list[str] | tuple[str, ...] = (), password: str | None = None) -> User:
    """Create an account (a director's action). Without a password the person signs in through the
    identity provider, or a director sets one later."""
    require(by, Action.MANAGE_ACCOUNTS)
    address = normalise_email(email)
    if not _EMAIL.match(address):
        raise AccountError(f"{email!r} is not an email address (name@example.org).")
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role; use one of: {', '.join(ROLES)}.")
    if not name.strip():
        raise AccountError("Give the person's name (--name \"Alex Morgan\").")
    if password is not None:
        check_password(password)
    with db.transaction(con):
        codes = _check_countries(con, role, list(countries))
        if con.execute("SELECT 1 FROM coordinators WHERE lower(email) = ?", [address]).fetchone():
            raise AccountError(f"There is already an account for {address}. `workbench user list` shows it.")
        user_id = _new_id(con, address)
        con.execute(
            "INSERT INTO coordinators (coordinator_id, name, email, role, countries, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [user_id, name.strip(), address, role, codes, None if password is None else _hasher.hash(password), _now()])
        db.audit(con, actor=by.actor, action="add account", entity="coordinators", entity_id=user_id,
                 after={"email": address, "name": name.strip(), "role": role, "countries": codes,
                        "password": "set" if password else "none"})
    return User(user_id, address, name.strip(), role, tuple(codes))


def list_users(con: db.Connection, *, by: User) -> pd.DataFrame:
    """Every account, without password hashes."""
    require(by, Action.MANAGE_ACCOUNTS)
    return con.execute(
        "SELECT coordinator_id, email, name, role, countries, is_active, password_hash IS NOT NULL AS has_password, "
        "failed_sign_ins, locked_until, last_sign_in_at FROM coordinators "
        "ORDER BY list_position(?, role), name", [list(ROLES)]).df()


def set_active(con: db.Connection, email: str, active: bool, *, by: User) -> None:
    """Disable (or enable again) an account; a disabled account cannot sign in by any means."""
    require(by, Action.MANAGE_ACCOUNTS)
    with db.transaction(con):
        acc = _account(con, email)
        if not active and acc["coordinator_id"] == by.id:
            raise AccountError("You cannot disable your own account; ask another director.")
        if not active and acc["role"] == "director" and acc["is_active"]:
            (others,) = con.execute("SELECT count(*) FROM coordinators WHERE role = 'director' AND is_active "
                                    "AND coordinator_id <> ?", [acc["coordinator_id"]]).fetchone()  # type: ignore[misc]
            if not others:
                raise AccountError(f"{acc['email']} is the last active director: add another director first.")
        db.update_versioned(con, "coordinators", "coordinator_id", acc["coordinator_id"], acc["version"],
                            {"is_active": active}, actor=by.actor, action="enable account" if active
                            else "disable account")


def disable_user(con: db.Connection, email: str, *, by: User) -> None:
    set_active(con, email, False, by=by)


def set_password(con: db.Connection, email: str, password: str, *, by: User) -> None:
    """Set a password (a director for anyone; anyone for themselves). Clears failures and any lock."""
    acc = _account(con, email)
    if acc["coordinator_id"] != by.id:
        require(by, Action.MANAGE_ACCOUNTS)
    check_password(password)
    with db.transaction(con):
        acc = _account(con, email)
        con.execute("UPDATE coordinators SET password_hash = ?, failed_sign_ins = 0, locked_until = NULL, "
                    "last_failed_at = NULL, version = version + 1 WHERE coordinator_id = ?",
                    [_hasher.hash(password), acc["coordinator_id"]])
        db.audit(con, actor=by.actor, action="set password", entity="coordinators", entity_id=acc["coordinator_id"],
                 after={"password": "changed"})


@dataclass(frozen=True)
class Throttle:
    failures: int
    wait_seconds: float
    locked_until: datetime | None


def _throttle(failures: int, last_failed: datetime | None, locked_until: datetime | None, now: datetime) -> Throttle:
    if locked_until is not None and locked_until > now:
        return Throttle(failures, (locked_until - now).total_seconds(), locked_until)
    wait = 0.0
    if failures >= SLOW_DOWN_AFTER and last_failed is not None:
        delay = min(2 ** (failures - SLOW_DOWN_AFTER), MAX_WAIT_SECONDS)
        wait = max(0.0, (last_failed + timedelta(seconds=delay) - now).total_seconds())
    return Throttle(failures, wait, None)


WRONG = "The email or password is not right. Check both and try again."


def authenticate(con: db.Connection, email: str, password: str, *, now: datetime | None = None) -> User:
    """The account whose email and password these are; :class:`SignInRefused` (in plain words) otherwise."""
    at = now or _now()
    address = normalise_email(email)
    row = con.execute(
        "SELECT coordinator_id, email, name, role, countries, is_active, password_hash, failed_sign_ins, "
        "last_failed_at, locked_until FROM coordinators WHERE lower(email) = ?", [address]).fetchone()
    if row is None or not row[5] or row[6] is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password + "x")
        if row is not None and not row[5]:
            raise SignInRefused(WRONG)
        if row is not None and row[6] is None:
            raise SignInRefused(f"{address} has no password here: sign in with your organisation's account, or ask "
                                "a director to set one (`workbench user set-password`).")
        raise SignInRefused(WRONG)
    user_id = row[0]
    throttle = _throttle(row[7], row[8], row[9], at)
    if throttle.locked_until is not None:
        raise SignInRefused(
            f"This account is locked after {LOCK_AFTER} failed sign-ins, until {throttle.locked_until:%H:%M} UTC. "
            "Try again then, or ask a director to set a new password (`workbench user set-password`), which "
            "unlocks it.")
    if throttle.wait_seconds > 0:
        raise SignInRefused(f"Too many failed sign-ins for this account: wait {int(throttle.wait_seconds) + 1} "
                            "seconds before trying again.")
    try:
        _hasher.verify(row[6], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = row[7] + 1
        locked = at + timedelta(minutes=LOCK_MINUTES) if failures >= LOCK_AFTER else None
        with db.transaction(con):
            con.execute("UPDATE coordinators SET failed_sign_ins = ?, last_failed_at = ?, locked_until = ? "
                        "WHERE coordinator_id = ?", [0 if locked else failures, at, locked, user_id])
            db.audit(con, actor=user_id, action="sign-in failed", entity="coordinators", entity_id=user_id,
                     after={"failures": failures, "locked": locked is not None})
        if locked:
            raise SignInRefused(f"This account is now locked for {LOCK_MINUTES} minutes after {LOCK_AFTER} failed "
                                "sign-ins. Ask a director to set a new password if you have forgotten it.") from None
        left = LOCK_AFTER - failures
        raise SignInRefused(WRONG + (f" {left} more failed tries lock the account." if left <= 3 else "")) from None
    with db.transaction(con):
        con.execute("UPDATE coordinators SET failed_sign_ins = 0, last_failed_at = NULL, locked_until = NULL, "
                    "last_sign_in_at = ? WHERE coordinator_id = ?", [at, user_id])
        if _hasher.check_needs_rehash(row[6]):
            con.execute("UPDATE coordinators SET password_hash = ? WHERE coordinator_id = ?",
                        [_hasher.hash(password), user_id])
        db.audit(con, actor=user_id, action="sign in", entity="coordinators", entity_id=user_id)
    return _user(row[:5])


def record_identity_sign_in(con: db.Connection, email: str) -> User:
    """Sign-in through the identity provider: the email must belong to an active account."""
    user = user_for_email(con, email)
    if user is None:
        raise SignInRefused(f"{email} signed in with the identity provider, but has no active account in this "
                            "workbench. Ask a director to add you (`workbench user add`).")
    with db.transaction(con):
        con.execute("UPDATE coordinators SET last_sign_in_at = ? WHERE coordinator_id = ?", [_now(), user.id])
        db.audit(con, actor=user.id, action="sign in (identity provider)", entity="coordinators", entity_id=user.id)
    return user


def create_first_director(con: db.Connection, email: str, name: str) -> tuple[User, str] | None:
    """When no director can sign in yet, create one with a random password (returned once); else None."""
    usable = con.execute("SELECT count(*) FROM coordinators WHERE role = 'director' AND is_active "
                         "AND password_hash IS NOT NULL").fetchone()
    if usable and usable[0]:
        return None
    from workbench.access import command_line_user

    password = generate_password()
    existing = user_for_email(con, email)
    operator = command_line_user()
    if existing is not None:
        if existing.role != "director":
            raise AccountError(f"{email} has an account with the {existing.role} role; choose another email.")
        set_password(con, email, password, by=operator)
        return existing, password
    return add_user(con, email, name=name, role="director", by=operator, password=password), password
