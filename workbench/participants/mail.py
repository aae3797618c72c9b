"""Transactional mail of the participants' pages (confirmations, notices), queued in the outbox and sent at
once by :class:`Sender`, a background thread of the serving process.

A confirmation or a notice is a message of its own kind (``confirmation``, ``notice``) in the outbox, so the
outbox's record, retries and rate limit apply; the sender sends only those two kinds, so it never waits behind
a batch of introductions or topics a coordinator is sending. A notice to a known person carries
``List-Unsubscribe: <base_url/unsubscribe/…>`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058) and the link to their ``/me`` page.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from email.utils import make_msgid
from typing import Any

from workbench import db
from workbench.messages import outbox
from workbench.messages.smtp import SmtpNotConfigured, identity
from workbench.messages.templates import program_setting
from workbench.participants import i18n
from workbench.participants.applying import FORM_USER
from workbench.participants.tokens import make_token
from workbench.program.settings import get_setting

log = logging.getLogger("workbench.participants.mail")
KINDS = ("confirmation", "notice")


def base_url(con: db.Connection) -> str:
    """The public address links start with (the setting ``base_url``; this machine's while none is set)."""
    return str(program_setting(con, "base_url", "http://127.0.0.1:8501")).rstrip("/")


def links(con: db.Connection, person_id: int, round_id: str, lang: str) -> tuple[str, str]:
    """The person's ``/me`` and ``/unsubscribe`` links."""
    base = base_url(con)
    suffix = "" if lang == i18n.DEFAULT else f"?lang={lang}"
    return (f"{base}/me/{make_token(con, 'me', person_id, round_id=round_id)}{suffix}",
            f"{base}/unsubscribe/{make_token(con, 'unsubscribe', person_id, round_id=round_id)}{suffix}")


def unsubscribe_link(con: db.Connection) -> Callable[[int], str]:
    """application_id -> that person's own one-click unsubscribe link (``/unsubscribe/<token>``, the token for
    the person and the application's round), for :func:`workbench.messages.outbox.queue`."""
    base = base_url(con)
    people: dict[int, tuple[int, str]] = {}

    def link(application_id: int) -> str:
        if application_id not in people:
            row = con.execute("SELECT person_id, round_id FROM applications WHERE application_id = ?",
                              [int(application_id)]).fetchone()
            if row is None:
                raise ValueError(f"no application {application_id}")
            people[application_id] = (int(row[0]), str(row[1]))
        person_id, round_id = people[application_id]
        return f"{base}/unsubscribe/{make_token(con, 'unsubscribe', person_id, round_id=round_id)}"

    return link


def unsubscribe_links(con: db.Connection, kind: str) -> dict[str, Any]:
    """What :func:`workbench.messages.outbox.queue` needs to give each recipient of a ``kind`` a person may refuse
    (topics, reminders, surveys) their own List-Unsubscribe, one copy each: only once the program has published
    its participants' pages (the setting ``base_url``); until then a link would lead nowhere, and messages keep
    the program's own unsubscribe address."""
    if kind not in outbox.REFUSABLE or not get_setting(con, "base_url"):
        return {}
    return {"unsubscribe_link": unsubscribe_link(con)}


def queue(con: db.Connection, *, kind: str, round_id: str, dedupe_key: str, lang: str, name: str, email: str,
          subject: str, body: str, application_id: int | None = None, unsubscribe: str | None = None) -> None:
    """One message to one person, queued for the background sender (a dedupe key already there adds nothing)."""
    who = identity(con)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    recipient = {"application_id": application_id, "name": name, "email": email, "status": "queued",
                 "server_response": None}
    with db.transaction(con):
        if con.execute("SELECT 1 FROM outbox WHERE dedupe_key = ?", [dedupe_key]).fetchone():
            return
        (top,) = con.execute("SELECT coalesce(max(outbox_id), 0) + 1 FROM outbox").fetchone()  # type: ignore[misc]
        con.execute(
            "INSERT INTO outbox (outbox_id, kind, round_id, language, subject, body, sender, reply_to, "
            "list_unsubscribe, recipients, countries, message_id, dedupe_key, created_at, created_by, status, "
            "attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, [?], [], ?, ?, ?, ?, 'queued', 0)",
            [int(top), kind, round_id, i18n.LANGUAGE_NAMES[lang], subject, body, who.sender,
             who.reply_to or who.sender, f"<{unsubscribe}>" if unsubscribe else who.list_unsubscribe(), recipient,
             make_msgid(idstring=f"wb{int(top)}", domain=who.domain), dedupe_key, now, FORM_USER.actor])


class Sender:
    """Sends the outbox's confirmations and notices as soon as they are queued (:meth:`wake`), and every
    ``every`` seconds in case one waited (a server down: the outbox keeps it queued and retries)."""

    def __init__(self, connect: Callable[[], db.Connection], *, every: float = 30.0) -> None:
        self.connect = connect
        self.every = every
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Sender:
        self._thread = threading.Thread(target=self._run, name="participants-mail", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def send_now(self) -> int:
        """Send what waits; returns the messages sent."""
        cur = self.connect().cursor()
        try:
            sent = 0
            for kind in KINDS:
                if cur.execute("SELECT 1 FROM outbox WHERE kind = ? AND status = 'queued' LIMIT 1", [kind]).fetchone():
                    sent += outbox.send(cur, by=FORM_USER, kind=kind).sent
            return sent
        finally:
            cur.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.send_now()
            except SmtpNotConfigured:
                log.warning("participants' mail waits in the outbox: no mail server is configured")
            except Exception:
                log.exception("sending the participants' mail failed; it stays queued")


__all__ = ["KINDS", "Sender", "base_url", "links", "queue", "unsubscribe_link", "unsubscribe_links"]
