"""Accounts: who can sign in, with which role, and the sign-in itself.

Passwords are hashed with argon2 (argon2-cffi) and never stored or logged in clear. Every refused
password sign-in gets the same answer (:data:`WRONG`), whether the email is unknown, the account is
disabled or has no password, the password is wrong or the account is locked, so the form does not tell
a stranger which emails have accounts. :data:`LOCK_AFTER` failures in a row lock the account for
:data:`LOCK_MINUTES`, counted atomically (parallel tries each count); failures while it is locked do not
move its end, so nobody can keep an account locked for longer than that without going on failing after
it ends. A director's new password unlocks it at once. Every change to an account, and every sign-in,
is in the audit log under the person who made it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
from datetime import UTC, datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from workbench import db
from workbench.access import ROLES, Action, User, command_line_user, require
from workbench.emails import normalise_email
from workbench.errors import NotFound, WorkbenchError

#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 12
#: Failures in a row that lock the account, and for how long (the lock's end never moves: see authenticate).
LOCK_AFTER = 8
LOCK_MINUTES = 30

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a wrong email takes as long as a wrong password.

    Made on first use, not at import: every command and server start imports this module, and a hash costs
    as much as a sign-in."""
    return _hasher.hash("not a real password, only for timing")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SignInRefused(WorkbenchError):
    """The sign-in is refused: the password form always says :data:`WRONG`; the identity provider's path
    says what is wrong (the provider has already shown who the person is)."""


class AccountError(WorkbenchError):
    """An account change that cannot be made as asked."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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


WRONG = (f"The email or password is not right. Check both and try again. After {LOCK_AFTER} failed tries in a "
         f"row an account is locked for {LOCK_MINUTES} minutes, even for the right password: wait, or ask a "
         "director to set a new password (`workbench user set-password`). An account without a password here "
         "signs in with your organisation's account.")


def _failed(con: db.Connection, user_id: str, at: datetime) -> tuple[int, datetime | None]:
    """Count one failed password for ``user_id``, atomically; returns (failures in a row, locked until).

    One ``UPDATE … SET failed_sign_ins = failed_sign_ins + 1`` and the read of its result, both inside the
    process's write lock (:func:`workbench.db.transaction`), so parallel tries each count and the lock is
    decided from the counted value. (Not ``UPDATE … RETURNING``: DuckDB runs that as a delete and insert,
    which the foreign keys to ``coordinators`` refuse.) While the account is locked, failures still count
    but leave ``locked_until`` as it is; the first failure after the lock has ended starts a new count at 1.
    """
    lock_ended = "(locked_until IS NOT NULL AND locked_until <= $at)"
    count = f"CASE WHEN {lock_ended} THEN 1 ELSE failed_sign_ins + 1 END"
    with db.transaction(con):
        con.execute(
            f"UPDATE coordinators SET failed_sign_ins = {count}, last_failed_at = $at, "
            "locked_until = CASE WHEN locked_until > $at THEN locked_until "
            f"WHEN {count} >= $lock_after THEN $until ELSE NULL END WHERE coordinator_id = $id",
            {"at": at, "id": user_id, "lock_after": LOCK_AFTER, "until": at + timedelta(minutes=LOCK_MINUTES)})
        row = con.execute("SELECT failed_sign_ins, locked_until FROM coordinators WHERE coordinator_id = ?",
                          [user_id]).fetchone()
        if row is None:  # the account was removed meanwhile
            return 0, None
        failures, locked_until = int(row[0]), row[1]
        db.audit(con, actor=user_id, action="sign-in failed", entity="coordinators", entity_id=user_id,
                 after={"failures": failures, "locked_until": locked_until})
    return failures, locked_until


def authenticate(con: db.Connection, email: str, password: str, *, now: datetime | None = None) -> User:
    """The account whose email and password these are; :class:`SignInRefused` with :data:`WRONG` otherwise
    (unknown email, disabled account, no password, wrong password, locked account: one answer, and the
    same argon2 work for each, so neither the text nor the time tells them apart)."""
    at = now or _now()
    address = normalise_email(email)
    row = con.execute(
        "SELECT coordinator_id, email, name, role, countries, is_active, password_hash "
        "FROM coordinators WHERE lower(email) = ?", [address]).fetchone()
    if row is None or not row[5] or row[6] is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_dummy_hash(), password + "x")
        raise SignInRefused(WRONG)
    user_id, stored = row[0], row[6]
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        _failed(con, user_id, at)
        raise SignInRefused(WRONG) from None
    with db.transaction(con):
        # Signed in only if, at this moment, the account is active, unlocked and has this password.
        (done,) = con.execute(  # type: ignore[misc]  # an UPDATE returns the number of rows it changed
            "UPDATE coordinators SET failed_sign_ins = 0, last_failed_at = NULL, locked_until = NULL, "
            "last_sign_in_at = $at WHERE coordinator_id = $id AND is_active AND password_hash = $hash "
            "AND (locked_until IS NULL OR locked_until <= $at)",
            {"at": at, "id": user_id, "hash": stored}).fetchone()
        if not done:
            db.audit(con, actor=user_id, action="sign-in refused (locked)", entity="coordinators",
                     entity_id=user_id)
        else:
            if _hasher.check_needs_rehash(stored):
                con.execute("UPDATE coordinators SET password_hash = ? WHERE coordinator_id = ?",
                            [_hasher.hash(password), user_id])
            db.audit(con, actor=user_id, action="sign in", entity="coordinators", entity_id=user_id)
    if not done:
        raise SignInRefused(WRONG)
    return _user(row[:5])


def email_is_verified(claim: object) -> bool:
    """An OpenID Connect ``email_verified`` claim that says yes: true (or "true", as some providers send it)."""
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def record_identity_sign_in(con: db.Connection, email: str, *, email_verified: object) -> User:
    """Sign-in through the identity provider: the provider must vouch for the email (its ``email_verified``
    claim, passed as it came), and the email must belong to an active account."""
    if not email_is_verified(email_verified):
        raise SignInRefused(
            f"The identity provider signed you in as {email} but did not confirm that this email address is "
            "verified (its email_verified claim), so the workbench cannot use it to find your account. Sign in "
            "with your email and password instead, or ask a director, who can set a password for you "
            "(`workbench user set-password`) or ask the provider's administrators to confirm emails.")
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
    password = generate_password()
    existing = user_for_email(con, email)
    operator = command_line_user()
    if existing is not None:
        if existing.role != "director":
            raise AccountError(f"{email} has an account with the {existing.role} role; choose another email.")
        set_password(con, email, password, by=operator)
        return existing, password
    return add_user(con, email, name=name, role="director", by=operator, password=password), password
