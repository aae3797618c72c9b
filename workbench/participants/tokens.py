"""Signed links for participants: single-purpose, expiring, revocable by rotating the program's key.

A token is ``itsdangerous.URLSafeTimedSerializer`` over a small JSON object: the token's ``kind`` (what page
it opens), the ``subject`` it is about (a person's or a pending application's id: a number, never a name or
an address), the ``round`` and any ``extra`` a page needs (a partnership, a fortnight). The salt is the kind,
so a link made for ``/unsubscribe`` is refused by ``/me`` even though both are signed with the same key.

The key is stored with the program (``schema_info``, :data:`TOKEN_KEY`, made at random the first time it is
needed, never copied into a snapshot) and :func:`rotate_key` replaces it: every link sent until then stops
working at once (they get the page "this link no longer works" with a way forward).

    >>> token = make_token(con, "me", 42, round_id="2017B")
    >>> read_token(con, token, "me")            # Token(kind='me', subject=42, round_id='2017B', extra={})

:func:`read_token` raises :class:`BadToken` (tampered, made for another page, from a rotated key) or
:class:`ExpiredToken`; both are :class:`~workbench.errors.WorkbenchError`, whose words a participant reads.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import WorkbenchError

#: The ``schema_info`` key of the program's link key (hex); removed from every copy (privacy.strip_secrets).
TOKEN_KEY = "participant_token_key"

#: What each kind of link opens, and how long it works (days). Another page adds its kind here.
MAX_AGE_DAYS: dict[str, int] = {
    "confirm": 7,         # /apply/confirm/<token>: the applicant confirms their address
    "me": 400,            # /me/<token>: see, change, withdraw, download, ask to be forgotten
    "unsubscribe": 400,   # /unsubscribe/<token>: RFC 8058 one-click
    "checkin": 60,        # /checkin/<token>: a fortnight's check-in (issue 20)
    "survey": 90,         # /survey/<token>: the end-of-round survey (issue 20)
}
KINDS = tuple(MAX_AGE_DAYS)


class BadToken(WorkbenchError):
    """The link was changed, made for another page, or signed with a key the program has since replaced."""


class ExpiredToken(WorkbenchError):
    """The link was genuine but is older than its kind allows."""


@dataclass(frozen=True)
class Token:
    """What a valid link says: its kind, whom it is about (an id), the round and any extra values."""

    kind: str
    subject: int
    round_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    issued_at: dt.datetime | None = None


def token_key(con: db.Connection) -> bytes:
    """The program's link key, made (random, 32 bytes) the first time it is needed."""
    row = con.execute("SELECT value FROM schema_info WHERE key = ?", [TOKEN_KEY]).fetchone()
    if row is None:
        with db.transaction(con):
            con.execute("INSERT INTO schema_info SELECT ?, ? WHERE NOT EXISTS "
                        "(SELECT 1 FROM schema_info WHERE key = ?)", [TOKEN_KEY, secrets.token_hex(32), TOKEN_KEY])
        row = con.execute("SELECT value FROM schema_info WHERE key = ?", [TOKEN_KEY]).fetchone()
    assert row is not None
    return bytes.fromhex(str(row[0]))


def rotate_key(con: db.Connection, *, by: User) -> None:
    """Replace the program's link key: every link sent so far stops working (a director's change)."""
    require(by, Action.SETTINGS)
    with db.transaction(con):
        con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [TOKEN_KEY, secrets.token_hex(32)])
        db.audit(con, actor=by.actor, action="rotate the participants' link key", entity="schema_info",
                 entity_id=TOKEN_KEY)


def _serializer(key: bytes, kind: str) -> URLSafeTimedSerializer:
    if kind not in MAX_AGE_DAYS:
        raise ValueError(f"unknown kind of link {kind!r}; kinds: {', '.join(KINDS)}")
    return URLSafeTimedSerializer(key, salt=f"workbench.participants.{kind}")


def make_token(con: db.Connection, kind: str, subject: int, *, round_id: str | None = None,
               extra: dict[str, Any] | None = None) -> str:
    """A signed link token for ``kind`` about ``subject`` (an id), valid for :data:`MAX_AGE_DAYS` of its kind.

    ``extra`` holds further ids a page needs (numbers or short codes only: a token is readable by whoever
    holds it, only its integrity is protected)."""
    payload: dict[str, Any] = {"k": kind, "s": int(subject)}
    if round_id is not None:
        payload["r"] = round_id
    if extra:
        payload["x"] = extra
    return str(_serializer(token_key(con), kind).dumps(payload))


def read_token(con: db.Connection, token: str, kind: str, *, max_age_days: float | None = None) -> Token:
    """The :class:`Token` in ``token`` if it is genuine, of ``kind`` and not expired; else :class:`BadToken`
    or :class:`ExpiredToken`."""
    days = MAX_AGE_DAYS[kind] if max_age_days is None else max_age_days
    serializer = _serializer(token_key(con), kind)
    try:
        payload, issued = serializer.loads(token, max_age=int(days * 86400), return_timestamp=True)
    except SignatureExpired:
        raise ExpiredToken(f"This link is more than {days:g} days old and no longer works.") from None
    except BadSignature:
        raise BadToken("This link is not one the program sent, or it was cut short or changed.") from None
    if not isinstance(payload, dict) or payload.get("k") != kind or not isinstance(payload.get("s"), int):
        raise BadToken("This link was made for another page.")
    return Token(kind=kind, subject=int(payload["s"]), round_id=payload.get("r"), extra=dict(payload.get("x") or {}),
                 issued_at=issued)


__all__ = ["KINDS", "MAX_AGE_DAYS", "TOKEN_KEY", "BadToken", "ExpiredToken", "Token", "make_token", "read_token",
           "rotate_key", "token_key"]
