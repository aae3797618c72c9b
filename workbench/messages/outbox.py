"""The outbox: every message the program sends, queued in the database with its recipients, then sent.

**Queue.** :func:`queue_introductions` (when a round is published), :func:`queue_topics` (each fortnightly
topic on its send date), :func:`queue_reminders` (partnerships the health flags mark) and
:func:`queue_survey` (the end-of-round survey, with the program's form link) write one row per message
with its rendered subject and body, in its recipients' language. Each message has a dedupe key, so
queuing twice adds nothing.

**Send.** :func:`send` sends the queued messages through the configured server
(:mod:`workbench.messages.smtp`), at most one message every ``60 / rate`` seconds (:func:`rate_per_minute`:
the program's setting ``send_rate_per_minute`` when a director set it, else the mail settings' ``per_minute``):

- each recipient is marked ``sent`` and committed right after the server accepts the message, so a crash,
  a second click or a second ``send`` resends nothing already accepted, and a stopped batch resumes
  where it stopped;
- a transient failure (a 4xx reply, a dropped connection, a timeout) is retried with backoff, then left
  queued for the next send (a server that cannot be reached ends the batch);
- a permanent refusal (5xx) of one address is recorded against that message with the server's words
  (``partial`` when others received it, ``failed`` when nobody did); the other recipients and messages
  go on.

A message's status follows its recipients: ``queued`` while any waits, then ``sent``, ``partial`` or
``failed``. The one window left is between the server's acceptance and the commit (a crash there):
that message may go out again, with the same Message-ID, which lets mail programs drop the copy.

**Access.** Queuing and sending need :attr:`~workbench.access.Action.SEND`; a country coordinator queues
and sends only the messages whose partnerships involve their countries, and reads in them (:func:`messages`,
:func:`review_text`) the addresses of their countries' members only (:func:`workbench.access.scope_frame`).
A queue and a batch are each one audit entry, with counts (no addresses).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import smtplib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import Action, NotAllowed, User, country_scope, require, scope_frame
from workbench.errors import NotFound, WorkbenchError
from workbench.messages import checkin_links as links
from workbench.messages import introductions as intro
from workbench.messages import templates as tpl
from workbench.messages.smtp import (
    PLACEHOLDER_SENDER,
    Identity,
    SmtpConfig,
    SmtpFailed,
    identity,
    open_connection,
    smtp_config,
    unreachable,
)
from workbench.program.settings import get_setting

KINDS = tpl.KINDS
#: One person's own messages from the participants' pages (workbench.participants.mail), sent at once.
TRANSACTIONAL = ("confirmation", "notice")
STATUSES = ("queued", "sent", "failed", "partial")
#: How many times one message is tried within a send before it is left for the next (transient failures).
RETRIES = 3
BACKOFF_SECONDS = 2.0
#: Said of a recipient whose address was erased before their message went out.
ERASED_RESPONSE = "not sent: the person's data was erased"
#: The kinds a person may refuse (``/unsubscribe``, or asking to be forgotten: the table ``opt_outs``);
#: introductions still go out, so partners can meet.
REFUSABLE = ("topic", "reminder", "survey")
#: Said of a recipient who opted out after their message was queued.
OPTED_OUT_RESPONSE = "not sent: the person unsubscribed"

Progress = Callable[[int, int, str], None]
#: application_id -> the participant's own one-click unsubscribe link (made above this layer, by
#: :mod:`workbench.participants.mail`). Given to a queue function, each message of a kind a person may refuse
#: carries its recipient's own ``List-Unsubscribe``: a partnership's topic or reminder becomes one copy per member.
UnsubscribeLink = Callable[[int], str]
#: Between a partnership's dedupe key and a member's, in the key of a per-member copy (``topic:3:41/7012``).
MEMBER_KEY = "/"


class OutboxError(WorkbenchError):
    """Something to queue or send cannot be, as asked (the message says what to do)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- queuing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """One message to queue."""

    kind: str
    round_id: str
    dedupe_key: str
    language: str
    subject: str
    body: str
    recipients: list[dict[str, Any]]
    countries: list[str]
    partnership_id: int | None = None
    topic_id: int | None = None
    note: str | None = None
    list_unsubscribe: str | None = None  #: the recipient's own (one-recipient drafts); None: the program's


@dataclass
class Queued:
    """What a queue call did: messages added, already there, and notes (a language fallback, …)."""

    kind: str
    round_id: str
    added: int = 0
    already: int = 0
    outside: int = 0  #: left out: outside a country coordinator's countries
    opted_out: int = 0  #: recipients left out: they unsubscribed (topics, reminders, surveys)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        what = {"introduction": "introduction", "topic": "topic message", "reminder": "reminder",
                "survey": "survey invitation"}[self.kind]
        text = (f"Queued {self.added:,} {what}{'s' if self.added != 1 else ''} for {self.round_id}"
                + (f"; {self.already:,} were already in the outbox" if self.already else "")
                + (f"; {self.outside:,} outside your countries were left out" if self.outside else "")
                + (f"; {self.opted_out:,} recipient{'s' if self.opted_out != 1 else ''} who unsubscribed left out"
                   if self.opted_out else "") + ".")
        if self.notes:
            text += (f" {len(self.notes):,} are in English: their members share no language the workbench has "
                     f"templates for ({', '.join(tpl.languages())}).")
        return text


def _recipient(application_id: int, name: str, email: str) -> dict[str, Any]:
    return {"application_id": int(application_id), "name": str(name), "email": str(email).strip(),
            "status": "queued", "server_response": None}


def _members(con: db.Connection, round_id: str, statuses: Sequence[str]) -> pd.DataFrame:
    """Members of the round's published partnerships with these statuses (the introductions' rows)."""
    return intro._published(con, round_id, tuple(statuses))


def _round(con: db.Connection, round_id: str) -> tuple[str, dt.date, dt.date, str]:
    row = con.execute("SELECT label, starts_on, ends_on, status FROM rounds WHERE round_id = ?", [round_id]).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in con.execute("SELECT round_id FROM rounds ORDER BY seq").fetchall())
        raise NotFound(f"There is no round {round_id!r}. Known rounds: {known}.")
    return row[0], row[1], row[2], row[3]


def _in_scope(by: User, countries: Iterable[str]) -> bool:
    scope = country_scope(by)
    return scope is None or bool(set(scope) & set(countries))


def opted_out(con: db.Connection, application_ids: Iterable[int]) -> set[int]:
    """The applications among these whose person opted out (``opt_outs``: the one-click unsubscribe, the
    ``/unsubscribe`` page's button, or asking to be forgotten). The one home of the opt-out: queuing and sending
    both ask it."""
    ids = sorted({int(a) for a in application_ids if a is not None})
    if not ids:
        return set()
    return {int(r[0]) for r in con.execute(
        "SELECT a.application_id FROM applications AS a JOIN opt_outs AS o ON o.person_id = a.person_id "
        "WHERE a.application_id IN ?", [ids]).fetchall()}


def _without_opted_out(con: db.Connection, drafts: list[Draft], result: Queued) -> list[Draft]:
    """The drafts without the recipients who opted out of their kind (:data:`REFUSABLE`); a draft nobody is left
    to receive is dropped. Introductions are never refused."""
    refusable = [r["application_id"] for d in drafts if d.kind in REFUSABLE for r in d.recipients]
    out_ = opted_out(con, refusable)
    if not out_:
        return drafts
    kept = []
    for d in drafts:
        if d.kind not in REFUSABLE:
            kept.append(d)
            continue
        recipients = [r for r in d.recipients if r["application_id"] not in out_]
        result.opted_out += len(d.recipients) - len(recipients)
        if recipients:
            kept.append(replace(d, recipients=recipients))
    return kept


def _family(key: str) -> str:
    return key.split(MEMBER_KEY, 1)[0]


def _not_queued(con: db.Connection, drafts: list[Draft]) -> list[Draft]:
    """The drafts not in the outbox yet. A partnership's message queued whole (``topic:3:41``) and its per-member
    copies (``topic:3:41/7012``, :data:`MEMBER_KEY`) stand for each other, so queuing a topic once whole and once
    with each member's own unsubscribe link never sends it twice."""
    families = sorted({_family(d.dedupe_key) for d in drafts})
    existing = {r[0] for r in con.execute("SELECT dedupe_key FROM outbox WHERE split_part(dedupe_key, ?, 1) IN ?",
                                          [MEMBER_KEY, families or [""]]).fetchall()}
    split = {_family(k) for k in existing if MEMBER_KEY in k}
    return [d for d in drafts if d.dedupe_key not in existing
            and not (MEMBER_KEY in d.dedupe_key and _family(d.dedupe_key) in existing)
            and not (MEMBER_KEY not in d.dedupe_key and d.dedupe_key in split)]


def _unsubscribe(link: UnsubscribeLink | None, application_id: int) -> str | None:
    return f"<{link(int(application_id))}>" if link is not None else None


def _per_member(draft: Draft, link: UnsubscribeLink | None,
                body: Callable[[list[dict[str, Any]]], str] | None = None) -> list[Draft]:
    """``draft`` as is (no ``link``: one message to every member, the program's List-Unsubscribe), or one copy per
    recipient with their own List-Unsubscribe (and ``body([recipient])``, their own text, when given)."""
    if link is None:
        return [draft]
    return [replace(draft, dedupe_key=f"{draft.dedupe_key}{MEMBER_KEY}{r['application_id']}", recipients=[r],
                    body=body([r]) if body else draft.body, list_unsubscribe=_unsubscribe(link, r["application_id"]))
            for r in draft.recipients]


def _with_checkin_links(text: str, language: str, members: list[dict[str, Any]], *, partnership_id: int,
                        fortnight: int, link: links.CheckinLink | None) -> str:
    """A topic message's text with the check-in link of each of ``members`` (all of them, or the one a copy is
    for) after it; the text alone without ``link``."""
    if link is None:
        return text
    return text + links.topic_links(language, [(tpl.safe_name(r["name"]), link(r["application_id"], partnership_id,
                                                                                fortnight)) for r in members])


def _store(con: db.Connection, drafts: list[Draft], result: Queued, *, by: User) -> Queued:
    """Insert the drafts whose dedupe key is new, in one transaction; one audit entry with the counts. Recipients
    who opted out of the drafts' kind are left out (:func:`opted_out`)."""
    who = identity(con)
    drafts = _without_opted_out(con, drafts, result)
    kept = [d for d in drafts if _in_scope(by, d.countries)]
    result.outside += len(drafts) - len(kept)
    if drafts and not kept:
        raise NotAllowed(f"None of these {len(drafts)} messages involves {by.name}'s countries "
                         f"({', '.join(by.countries) or 'none'}); a director or coordinator queues them.")
    for d in kept:
        require(by, Action.SEND, d.countries, what=f"The {d.kind} of partnership {d.partnership_id}")
    result.notes += [d.note for d in kept if d.note]
    with db.transaction(con):
        new = _not_queued(con, kept)
        result.already += len(kept) - len(new)
        (top,) = con.execute("SELECT coalesce(max(outbox_id), 0) FROM outbox").fetchone()  # type: ignore[misc]
        now = _now()
        rows = []
        for i, d in enumerate(new, start=int(top) + 1):
            rows.append([i, d.kind, d.round_id, d.partnership_id, d.topic_id, d.language, d.subject, d.body,
                         who.sender, who.reply_to or who.sender, d.list_unsubscribe or who.list_unsubscribe(),
                         d.recipients, d.countries,
                         make_msgid(idstring=f"wb{i}", domain=who.domain), d.dedupe_key, now, by.actor])
        if rows:
            con.executemany(
                "INSERT INTO outbox (outbox_id, kind, round_id, partnership_id, topic_id, language, subject, body, "
                "sender, reply_to, list_unsubscribe, recipients, countries, message_id, dedupe_key, created_at, "
                "created_by, status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0)",
                rows)
        result.added = len(rows)
        db.audit(con, actor=by.actor, action=f"queue {result.kind}s", entity="outbox", entity_id=result.round_id,
                 after={"added": result.added, "already": result.already, "outside": result.outside,
                        "opted_out": result.opted_out, "english_fallback": len(result.notes)})
    return result


def queue_introductions(con: db.Connection, round_id: str, *, by: User) -> Queued:
    """One introduction per published partnership of the round (every member a recipient), each in a
    language its members share. What publishing offers, and ``workbench outbox queue introductions``."""
    require(by, Action.SEND)
    _round(con, round_id)
    members = _members(con, round_id, ("active", "completed"))
    if members.empty:
        raise OutboxError(f"Round {round_id} has no published partnerships yet: publish a matching run first.")
    countries = members.groupby("partnership_id")["country_iso3"].agg(lambda s: sorted(set(s))).to_dict()
    people = members.groupby("partnership_id")[["application_id", "name", "email"]].apply(
        lambda g: [_recipient(*r) for r in g.itertuples(index=False)]).to_dict()
    drafts = [
        Draft("introduction", round_id, f"introduction:{m.partnership_id}", m.language, m.subject, m.body,
              people[m.partnership_id], countries[m.partnership_id], partnership_id=m.partnership_id, note=m.note)
        for m in intro.build(members, round_id, tpl.program_languages(con))]
    return _store(con, drafts, Queued("introduction", round_id), by=by)


def _partnership_groups(members: pd.DataFrame) -> Iterable[tuple[int, pd.DataFrame]]:
    for pid, group in members.groupby("partnership_id", sort=True):
        yield int(pid), group


def _spoken(group: pd.DataFrame) -> list[list[str]]:
    return [[x for x in str(langs).split("; ") if x] for langs in group["languages"]]


def queue_topics(con: db.Connection, round_id: str, *, by: User, on: dt.date | None = None,
                 checkin_link: links.CheckinLink | None = None,
                 unsubscribe_link: UnsubscribeLink | None = None) -> Queued:
    """Each topic of the round due on or before ``on`` (today), to every active partnership of the round; with
    ``checkin_link``, each message ends with every member's own check-in link for the topic's fortnight. With
    ``unsubscribe_link``, each member gets a copy of their own: their own List-Unsubscribe and check-in link."""
    require(by, Action.SEND)
    label, _, _, _ = _round(con, round_id)
    day = on or dt.date.today()
    topics = con.execute("SELECT topic_id, seq, title, body, send_on FROM topics WHERE round_id = ? ORDER BY seq",
                         [round_id]).fetchall()
    if not topics:
        raise OutboxError(f"Round {round_id} has no topics: plan them on the Topics page first.")
    due = [t for t in topics if t[4] <= day]
    if not due:
        raise OutboxError(f"No topic of {round_id} is due on or before {day:%Y-%m-%d}: the first is due on "
                          f"{topics[0][4]:%Y-%m-%d}.")
    members = _members(con, round_id, ("active",))
    if members.empty:
        raise OutboxError(f"Round {round_id} has no active partnerships: topics go to a running round's partners.")
    languages = tpl.program_languages(con)
    drafts = []
    for pid, group in _partnership_groups(members):
        choice = tpl.choose_language(_spoken(group), languages)
        names = tpl.join_names(list(group["name"]), choice.language)
        recipients = [_recipient(*r) for r in group[["application_id", "name", "email"]].itertuples(index=False)]
        for topic_id, seq, title, body, send_on in due:
            subject, text = tpl.render_topic(choice.language, round_label=label, names=names, seq=seq,
                                             total=len(topics), title=title, body=body, send_on=send_on)
            body_for = functools.partial(_with_checkin_links, text, choice.language, partnership_id=pid,
                                         fortnight=int(seq), link=checkin_link)
            whole = Draft("topic", round_id, f"topic:{topic_id}:{pid}", choice.language, subject,
                          body_for(recipients), recipients, sorted(set(group["country_iso3"])), partnership_id=pid,
                          topic_id=int(topic_id), note=choice.note)
            drafts += _per_member(whole, unsubscribe_link, body_for)
    return _store(con, drafts, Queued("topic", round_id), by=by)


def _nudges(con: db.Connection, round_id: str, label: str, checkin_link: links.CheckinLink | None,
            now: dt.datetime, unsubscribe_link: UnsubscribeLink | None = None) -> list[Draft]:
    """A second nudge to each member of an active partnership whose topic message was sent more than
    ``reminder_after_days`` ago and who has not answered that fortnight's check-in: one a fortnight at most
    (the dedupe key names the topic and the person)."""
    days = int(tpl.program_setting(con, "reminder_after_days", 5))
    rows = con.execute(
        """WITH sent AS (
               SELECT o.topic_id, o.partnership_id, o.language, unnest(o.recipients) AS r
               FROM outbox AS o WHERE o.kind = 'topic' AND o.round_id = $round AND o.sent_at <= $before)
           SELECT s.topic_id, t.seq, t.title, s.partnership_id, s.language, s.r.application_id, s.r.name, s.r.email,
               a.country_iso3
           FROM sent AS s JOIN topics AS t ON t.topic_id = s.topic_id
           JOIN partnerships AS p ON p.partnership_id = s.partnership_id AND p.status = 'active'
           JOIN applications AS a ON a.application_id = s.r.application_id
           WHERE s.r.status = 'sent' AND NOT EXISTS (SELECT 1 FROM checkins AS c
               WHERE c.application_id = s.r.application_id AND c.fortnight = t.seq)
           ORDER BY t.seq, s.partnership_id, s.r.application_id""",
        {"round": round_id, "before": now - dt.timedelta(days=days)}).fetchall()
    drafts = []
    for topic_id, seq, title, pid, language, app, name, email, country in rows:
        link = checkin_link(int(app), int(pid), int(seq)) if checkin_link is not None else None
        subject, text = links.nudge(language, round_label=label, name=tpl.safe_name(name), seq=int(seq),
                                    title=title, link=link)
        drafts.append(Draft("reminder", round_id, f"reminder:checkin:{topic_id}:{app}", language, subject, text,
                            [_recipient(app, name, email)], [country], partnership_id=int(pid),
                            topic_id=int(topic_id), list_unsubscribe=_unsubscribe(unsubscribe_link, app)))
    return drafts


def queue_reminders(con: db.Connection, round_id: str, *, by: User, checkin_link: links.CheckinLink | None = None,
                    now: dt.datetime | None = None, unsubscribe_link: UnsubscribeLink | None = None) -> Queued:
    """A reminder to each active partnership the health flags mark (``partnership_health``): one per
    partnership for what its check-ins showed, so queuing again adds one only after new check-ins; and a
    second nudge to each participant who has not answered a fortnight's check-in ``reminder_after_days`` after
    its topic was sent (:func:`_nudges`, with their own ``checkin_link``), at most once a fortnight. With
    ``unsubscribe_link``, each member gets a copy of their own with their own List-Unsubscribe."""
    require(by, Action.SEND)
    label, _, _, _ = _round(con, round_id)
    nudges = _nudges(con, round_id, label, checkin_link, now or _now(), unsubscribe_link)
    flagged = con.execute(
        "SELECT partnership_id, fortnights_reported FROM partnership_health WHERE round_id = ? AND is_flagged "
        "AND partnership_status = 'active' ORDER BY partnership_id", [round_id]).fetchall()
    if not flagged:
        return _store(con, nudges, Queued("reminder", round_id), by=by)
    members = _members(con, round_id, ("active",))
    reported = dict(flagged)
    members = members[members["partnership_id"].isin(list(reported))]
    languages = tpl.program_languages(con)
    drafts = []
    for pid, group in _partnership_groups(members):
        choice = tpl.choose_language(_spoken(group), languages)
        subject, text = tpl.template(choice.language, "reminder").render(
            {"round": label, "names": tpl.join_names(list(group["name"]), choice.language)})
        recipients = [_recipient(*r) for r in group[["application_id", "name", "email"]].itertuples(index=False)]
        drafts += _per_member(Draft("reminder", round_id, f"reminder:{pid}:{reported[pid]}", choice.language,
                                    subject, text, recipients, sorted(set(group["country_iso3"])), partnership_id=pid,
                                    note=choice.note), unsubscribe_link)
    return _store(con, drafts + nudges, Queued("reminder", round_id), by=by)


def queue_survey(con: db.Connection, round_id: str, *, by: User, form_link: str | None = None,
                 survey_link: links.SurveyLink | None = None,
                 unsubscribe_link: UnsubscribeLink | None = None) -> Queued:
    """The end-of-round survey invitation, one message per participant of the round's published
    partnerships, in their own language, with the program's form link (the setting ``survey_form_link``) or,
    with ``survey_link``, each participant's own link to the survey page."""
    require(by, Action.SEND)
    label, _, ends_on, _ = _round(con, round_id)
    link = (form_link or tpl.program_setting(con, "survey_form_link") or "").strip()
    if survey_link is not None:
        link = link or "-"
    if not link:
        raise OutboxError("The program has no survey form link: set it on the Settings page (`workbench settings "
                          "set survey_form_link https://…`), then queue the survey again.")
    if survey_link is None and not link.startswith(("https://", "http://")):
        raise OutboxError(f"The survey form link {link!r} is not a web address (https://…); correct it in Settings.")
    members = _members(con, round_id, ("active", "completed", "ended"))
    if members.empty:
        raise OutboxError(f"Round {round_id} has no published partnerships: the survey goes to a round's participants.")
    languages = tpl.program_languages(con)
    drafts = []
    for r in members.itertuples():
        choice = tpl.choose_language([[x for x in str(r.languages).split("; ") if x]], languages)
        own = survey_link(int(r.application_id)) if survey_link is not None else link
        subject, text = tpl.template(choice.language, "survey").render(
            {"round": label, "name": r.name, "form_link": own, "ends_on": tpl.long_date(ends_on, choice.language)})
        drafts.append(Draft("survey", round_id, f"survey:{r.application_id}", choice.language, subject, text,
                            [_recipient(r.application_id, r.name, r.email)], [r.country_iso3],
                            partnership_id=int(r.partnership_id), note=choice.note,
                            list_unsubscribe=_unsubscribe(unsubscribe_link, r.application_id)))
    return _store(con, drafts, Queued("survey", round_id), by=by)


def queue(con: db.Connection, kind: str, round_id: str, *, by: User, on: dt.date | None = None,
          checkin_link: links.CheckinLink | None = None, survey_link: links.SurveyLink | None = None,
          unsubscribe_link: UnsubscribeLink | None = None) -> Queued:
    """``queue(con, "topic", "2017A", by=…)``: the queue function of ``kind`` (with the participants' own
    links when the serving process's pages make them: :mod:`workbench.participants.checkins`)."""
    if kind == "introduction":
        return queue_introductions(con, round_id, by=by)
    if kind == "topic":
        return queue_topics(con, round_id, by=by, on=on, checkin_link=checkin_link, unsubscribe_link=unsubscribe_link)
    if kind == "reminder":
        return queue_reminders(con, round_id, by=by, checkin_link=checkin_link, unsubscribe_link=unsubscribe_link)
    if kind == "survey":
        return queue_survey(con, round_id, by=by, survey_link=survey_link, unsubscribe_link=unsubscribe_link)
    raise OutboxError(f"There is no kind of message {kind!r}; the kinds are {', '.join(KINDS)}.")


# --- reading -------------------------------------------------------------------------------------


def _where(round_id: str | None, kind: str | None, status: str | Sequence[str] | None) -> tuple[str, list[Any]]:
    if kind is not None and kind not in (*KINDS, *TRANSACTIONAL):
        raise OutboxError(f"There is no kind of message {kind!r}; the kinds are {', '.join(KINDS)}.")
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if round_id is not None:
        clauses.append("round_id = ?")
        params.append(round_id)
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        unknown = set(statuses) - set(STATUSES)
        if unknown:
            raise OutboxError(f"There is no status {sorted(unknown)}; the statuses are {', '.join(STATUSES)}.")
        clauses.append("status IN ?")
        params.append(statuses)
    return " AND ".join(clauses), params


def _scoped(by: User, frame: pd.DataFrame) -> pd.DataFrame:
    """The messages that involve the user's countries (every message for roles without a country scope)."""
    scope = country_scope(by)
    if scope is None or frame.empty:
        return frame
    keep = [bool(set(scope) & set(c)) for c in frame["countries"]]
    return frame[keep].reset_index(drop=True)


#: Stands for a recipient's address outside a country coordinator's countries.
OUTSIDE_ADDRESS = "(an address outside your countries)"


def _recipient_frame(con: db.Connection, recipients: Sequence[Sequence[dict[str, Any]]]) -> pd.DataFrame:
    """One row per recipient of these messages, with the country of their application (``message`` is the
    message's position in ``recipients``)."""
    rows = [(i, int(r["application_id"]), str(r["email"])) for i, rs in enumerate(recipients) for r in rs]
    frame = pd.DataFrame(rows, columns=["message", "application_id", "email"])
    ids = sorted(set(frame["application_id"]))
    countries = dict(con.execute("SELECT application_id, country_iso3 FROM applications WHERE application_id IN ?",
                                 [ids or [0]]).fetchall())
    frame["country_iso3"] = frame["application_id"].map(countries)
    return frame


def _outside_addresses(con: db.Connection, by: User, recipients: Sequence[Sequence[dict[str, Any]]]) -> set[str]:
    """The addresses among ``recipients`` outside the user's countries (none for roles without a country
    scope): a country coordinator sees a partnership's other members by name and country only."""
    if country_scope(by) is None or not recipients:
        return set()
    frame = _recipient_frame(con, recipients)
    inside = set(scope_frame(by, frame)["email"])
    return {e for e in frame["email"] if e not in inside and e}


def _hide(text: Any, outside: set[str]) -> Any:
    """``text`` with every address of ``outside`` replaced by :data:`OUTSIDE_ADDRESS`."""
    if not outside or not isinstance(text, str):
        return text
    for address in sorted(outside, key=len, reverse=True):
        text = re.sub(re.escape(address), OUTSIDE_ADDRESS, text, flags=re.IGNORECASE)
    return text


def messages(con: db.Connection, *, by: User, round_id: str | None = None, kind: str | None = None,
             status: str | Sequence[str] | None = None) -> pd.DataFrame:
    """One row per message: ``outbox_id, kind, round, partnership_id, topic_id, language, subject, to,
    recipients, status, error, attempts, created_at, sent_at`` (``to``: the recipients' addresses;
    ``recipients``: how many; ``error``: the server's words for what failed or waits). Needs SEND; a country
    coordinator sees their countries' messages, and in them the addresses of their countries' members only
    (the others are counted, not shown)."""
    require(by, Action.SEND, what="The outbox")
    where, params = _where(round_id, kind, status)
    frame = con.execute(
        f"""SELECT outbox_id, kind, round_id AS round, partnership_id, topic_id, language, subject, recipients,
                   countries, status, attempts, last_error, created_at, sent_at
            FROM outbox WHERE {where} ORDER BY outbox_id""", params).df()
    frame = _scoped(by, frame)
    outside = _outside_addresses(con, by, list(frame["recipients"]))
    frame["to"] = [_to(rs, outside) for rs in frame["recipients"]]
    frame["error"] = [_hide(_error([r for r in rs if r["email"] not in outside], last), outside)
                      for rs, last in zip(frame["recipients"], frame["last_error"], strict=True)]
    frame["recipients"] = [len(rs) for rs in frame["recipients"]]
    return frame[["outbox_id", "kind", "round", "partnership_id", "topic_id", "language", "subject", "to",
                  "recipients", "status", "error", "attempts", "created_at", "sent_at"]]


def _to(recipients: Sequence[dict[str, Any]], outside: set[str]) -> str:
    shown = [r["email"] for r in recipients if r["email"] not in outside]
    hidden = len(recipients) - len(shown)
    return ", ".join(shown + ([f"{hidden} outside your countries"] if hidden else []))


def _error(recipients: Sequence[dict[str, Any]], last_error: Any) -> str | None:
    refused = [f"{r['email']}: {r['server_response']}" for r in recipients
               if r["status"] != "sent" and r.get("server_response")]
    if refused:
        return "; ".join(refused)
    return None if last_error is None or pd.isna(last_error) else str(last_error)


def summary(con: db.Connection, *, by: User, round_id: str | None = None, kind: str | None = None) -> dict[str, int]:
    """Messages per status (queued, sent, partial, failed) and their recipients, within the user's scope."""
    frame = messages(con, by=by, round_id=round_id, kind=kind)
    counts = {s: int((frame["status"] == s).sum()) for s in STATUSES}
    counts["messages"] = len(frame)
    counts["recipients"] = int(frame["recipients"].sum()) if len(frame) else 0
    return counts


@dataclass(frozen=True)
class Message:
    """A queued or sent message as stored."""

    outbox_id: int
    kind: str
    round_id: str
    partnership_id: int | None
    topic_id: int | None
    language: str
    subject: str
    body: str
    sender: str
    reply_to: str | None
    list_unsubscribe: str | None
    recipients: list[dict[str, Any]]
    countries: list[str]
    status: str
    attempts: int
    last_error: str | None
    message_id: str
    created_at: dt.datetime
    sent_at: dt.datetime | None

    def waiting(self) -> list[dict[str, Any]]:
        return [r for r in self.recipients if r["status"] == "queued"]

    def email(self, *, sender: str | None = None, when: dt.datetime | None = None) -> EmailMessage:
        """The message as it goes out: every recipient in To, the stored Message-ID, Reply-To and
        List-Unsubscribe, the language in Content-Language."""
        msg = EmailMessage(policy=SMTPUTF8)
        msg["From"] = Identity(sender or self.sender).from_header()
        msg["To"] = [_address(r["name"], r["email"]) for r in self.recipients]
        msg["Subject"] = tpl.header_text(self.subject)  # one line, whatever a stored subject holds
        msg["Date"] = format_datetime((when or dt.datetime.now(dt.UTC)).replace(tzinfo=dt.UTC))
        msg["Message-ID"] = self.message_id
        msg["Reply-To"] = self.reply_to or self.sender
        if self.list_unsubscribe:
            msg["List-Unsubscribe"] = self.list_unsubscribe
            if self.list_unsubscribe.startswith("<https://") or self.list_unsubscribe.startswith("<http://"):
                msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST unsubscribes
        msg.set_content(self.body)
        msg["Content-Language"] = tpl.LANGUAGE_CODES.get(self.language, "en")  # after: set_content clears Content-*
        return msg

    def from_config(self, config: SmtpConfig) -> Message:
        """The message as the configured server sends it: From is the configured sender; a Reply-To queued
        before any sender was configured becomes the configured one."""
        reply_to = self.reply_to if self.reply_to not in (None, "", PLACEHOLDER_SENDER) else None
        return replace(self, sender=config.sender, reply_to=reply_to or config.reply_to or config.sender)

    def text(self) -> str:
        """The message as a person reads it (headers then body), for review."""
        to = ", ".join(f"{r['name']} <{r['email']}>" for r in self.recipients)
        return (f"From: {self.sender}\nTo: {to}\nReply-To: {self.reply_to or self.sender}\n"
                + (f"List-Unsubscribe: {self.list_unsubscribe}\n" if self.list_unsubscribe else "")
                + f"Subject: {self.subject}\n\n{self.body}")


def _address(name: str, email: str) -> Address:
    return intro.address(name, email)


_COLUMNS = ("outbox_id, kind, round_id, partnership_id, topic_id, language, subject, body, sender, reply_to, "
            "list_unsubscribe, recipients, countries, status, attempts, last_error, message_id, created_at, sent_at")


def _message(row: Sequence[Any]) -> Message:
    return Message(*row[:11], [dict(r) for r in row[11]], list(row[12]), *row[13:])  # type: ignore[call-arg]


def get_message(con: db.Connection, outbox_id: int, *, by: User) -> Message:
    """One message with its recipients and body (for review); SEND, within the user's countries."""
    require(by, Action.SEND, what="The outbox")
    row = con.execute(f"SELECT {_COLUMNS} FROM outbox WHERE outbox_id = ?", [outbox_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no message {outbox_id} in the outbox. Reload the page.")
    message = _message(row)
    require(by, Action.SEND, message.countries, what=f"Message {outbox_id}")
    return message


def review_text(con: db.Connection, outbox_id: int, *, by: User) -> str:
    """The message as a person reviewing it reads it (:meth:`Message.text`). A country coordinator sees the
    addresses of their countries' members; another member's address (in To and in the body) shows as
    :data:`OUTSIDE_ADDRESS`, their name and country as written."""
    message = get_message(con, outbox_id, by=by)
    return str(_hide(message.text(), _outside_addresses(con, by, [message.recipients])))


# --- sending -------------------------------------------------------------------------------------


@dataclass
class Batch:
    """What one :func:`send` did."""

    considered: int = 0
    sent: int = 0  #: messages every waiting recipient of which the server accepted
    partial: int = 0
    failed: int = 0
    waiting: int = 0  #: left queued for the next send (transient failures, or not reached)
    recipients_sent: int = 0
    seconds: float = 0.0
    stopped: str | None = None  #: why the batch ended early (the server could not be reached, …)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"messages": self.considered, "sent": self.sent, "partial": self.partial, "failed": self.failed,
                "waiting": self.waiting, "recipients_sent": self.recipients_sent, "seconds": round(self.seconds, 2),
                "stopped": self.stopped}

    def summary(self) -> str:
        if not self.considered:
            return "Nothing to send: no message is waiting in the outbox."
        text = (f"Sent {self.sent:,} of {self.considered:,} message{'s' if self.considered != 1 else ''} "
                f"({self.recipients_sent:,} recipients) in {self.seconds:.1f} s")
        extra = [f"{self.partial:,} partly (an address refused)" if self.partial else "",
                 f"{self.failed:,} refused" if self.failed else "",
                 f"{self.waiting:,} still waiting for the next send" if self.waiting else ""]
        extra = [e for e in extra if e]
        text += (": " + ", ".join(extra) if extra else "") + "."
        if self.stopped:
            text += f" {self.stopped}"
        return text


def _status(recipients: Sequence[dict[str, Any]]) -> str:
    states = {r["status"] for r in recipients}
    if "queued" in states:
        return "queued"
    if states == {"sent"}:
        return "sent"
    return "partial" if "sent" in states else "failed"


def _is_permanent(code: int) -> bool:
    return 500 <= code < 600


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


class _Transient(Exception):
    """A failure worth trying again: a 4xx reply, a dropped connection, a timeout."""

    def __init__(self, words: str, *, connection: bool) -> None:
        super().__init__(words)
        self.connection = connection


#: RFC 5322's hard limit. Folding an address list whose names need encoding puts the separating comma inside an
#: encoded word in Python 3.11's email package (``=?utf-8?q?=2C?=``), so a reader sees one recipient fewer;
#: headers are folded only past this length, which no list of two or three members reaches.
_UNFOLDED = SMTP.clone(max_line_length=998)


def _serialise(msg: EmailMessage, addresses: Sequence[str]) -> tuple[bytes, list[str]]:
    international = any(not a.isascii() for a in addresses) or not msg["From"].isascii()
    if international:
        return msg.as_bytes(policy=SMTPUTF8.clone(max_line_length=998)), ["SMTPUTF8"]
    return msg.as_bytes(policy=_UNFOLDED), []


def _deliver(conn: smtplib.SMTP, config: SmtpConfig, message: Message) -> dict[str, str | None]:
    """Send the message to its waiting recipients. Returns each address's outcome: None accepted, else the
    server's words for a permanent refusal; raises :class:`_Transient` when nothing was accepted and a retry may
    help. An address refused for now (4xx) while others were accepted stays queued ("4xx …" returned)."""
    waiting = [r["email"] for r in message.waiting()]
    msg = message.email()
    data, options = _serialise(msg, [config.sender_address, *waiting])
    if options and not conn.has_extn("smtputf8"):
        words: str | None = "553 the server does not accept international (non-ASCII) addresses (no SMTPUTF8)"
        return dict.fromkeys(waiting, words)
    try:
        refused = conn.sendmail(config.sender_address, waiting, data, mail_options=options)
    except smtplib.SMTPRecipientsRefused as exc:
        refusals: dict[str, str | None] = {a: f"{code} {_text(text)}" for a, (code, text) in exc.recipients.items()}
        if all(not _is_permanent(code) for code, _ in exc.recipients.values()):
            raise _Transient("; ".join(f"{a}: {w}" for a, w in refusals.items()), connection=False) from None
        return refusals
    except smtplib.SMTPResponseException as exc:  # the sender or the message refused, or a 4xx at any step
        answer = f"{exc.smtp_code} {_text(exc.smtp_error)}"
        if _is_permanent(exc.smtp_code):
            return dict.fromkeys(waiting, answer)
        raise _Transient(answer, connection=False) from None
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise _Transient(unreachable(config, exc), connection=True) from None
    outcome: dict[str, str | None] = dict.fromkeys(waiting)
    for a, (code, text) in refused.items():
        outcome[a] = f"{code} {_text(text)}"
    return outcome


def _record(con: db.Connection, message: Message, outcome: dict[str, str | None] | None, *, error: str | None,
            tried: bool) -> str:
    """Write what happened to one message (one transaction); returns its new status."""
    recipients = [dict(r) for r in message.recipients]
    accepted = False
    for r in recipients:
        if r["status"] != "queued" or outcome is None or r["email"] not in outcome:
            continue
        words = outcome[r["email"]]
        if words is None:
            r["status"], r["server_response"] = "sent", "250 accepted"
            accepted = True
        elif _is_permanent(int(words[:3]) if words[:3].isdigit() else 500):
            r["status"], r["server_response"] = "failed", words
        else:
            r["server_response"] = words  # refused for now (4xx): stays queued
    status = _status(recipients)
    with db.transaction(con):
        con.execute(
            "UPDATE outbox SET recipients = ?, status = ?, attempts = attempts + ?, last_error = ?, sender = ?, "
            "reply_to = ?, sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE outbox_id = ?",
            [recipients, status, 1 if tried else 0, error, message.sender, message.reply_to, accepted, _now(),
             message.outbox_id])
    return status


def _refused_since(con: db.Connection, message: Message) -> Message:
    """The message with its waiting recipients who opted out since it was queued marked not sent
    (:data:`OPTED_OUT_RESPONSE`), for a kind a person may refuse."""
    if message.kind not in REFUSABLE:
        return message
    out_ = opted_out(con, [r["application_id"] for r in message.waiting()])
    if not out_:
        return message
    recipients = [dict(r, status="failed", server_response=OPTED_OUT_RESPONSE)
                  if r["status"] == "queued" and r["application_id"] in out_ else r for r in message.recipients]
    return replace(message, recipients=recipients)


def rate_per_minute(con: db.Connection, config: SmtpConfig) -> float:
    """Messages a minute :func:`send` sends (0: no limit): the program's setting ``send_rate_per_minute`` (the
    Settings page, ``workbench settings set send_rate_per_minute 20``) when set; otherwise the mail settings'
    ``per_minute`` (``WORKBENCH_SMTP_PER_MINUTE``, or ``per_minute`` in the secrets' ``[smtp]``, else 30)."""
    chosen = get_setting(con, "send_rate_per_minute")
    return config.per_minute if chosen is None else float(chosen)


def send(con: db.Connection, *, by: User, round_id: str | None = None, kind: str | None = None,
         progress: Progress | None = None, config: SmtpConfig | None = None,
         clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
         retries: int = RETRIES, backoff: float = BACKOFF_SECONDS, limit: int | None = None) -> Batch:
    """Send the queued messages (of ``round_id``, of ``kind``; at most ``limit``) within the user's countries.

    See the module's docstring for what happens on each kind of failure. ``progress(done, total, text)`` is
    called after each message; ``clock`` and ``sleep`` pace the rate limit and the backoff (tests pass their
    own). One audit entry for the batch, with its counts.
    """
    require(by, Action.SEND)
    config = config or smtp_config()
    where, params = _where(round_id, kind, "queued")
    rows = con.execute(f"SELECT {_COLUMNS} FROM outbox WHERE {where} ORDER BY outbox_id", params).fetchall()
    pending = [_message(r) for r in rows]
    mine = [m for m in pending if _in_scope(by, m.countries)]
    if pending and not mine:
        raise NotAllowed(f"None of the {len(pending)} waiting messages involves {by.name}'s countries "
                         f"({', '.join(by.countries) or 'none'}); a director or coordinator sends them.")
    for m in mine:
        require(by, Action.SEND, m.countries, what=f"Message {m.outbox_id}")
    if limit is not None:
        mine = mine[:limit]
    batch = Batch(considered=len(mine))
    per_minute = rate_per_minute(con, config)
    interval = 60.0 / per_minute if per_minute > 0 else 0.0
    started = clock()
    last_sent: float | None = None
    conn: smtplib.SMTP | None = None

    def close() -> None:
        nonlocal conn
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()
        conn = None

    try:
        for done, queued in enumerate(mine, start=1):
            message = _refused_since(con, queued.from_config(config))
            if batch.stopped:
                batch.waiting += 1
                continue
            if not message.waiting():  # everyone left opted out after it was queued: nothing to send
                status = _record(con, message, None, error=None, tried=False)
                batch.failed += status == "failed"
                batch.sent += status == "sent"
                batch.partial += status == "partial"
                continue
            outcome, error = None, None
            for attempt in range(retries + 1):
                if last_sent is not None and interval:
                    wait = last_sent + interval - clock()
                    if wait > 0:
                        sleep(wait)
                try:
                    if conn is None:
                        try:
                            conn = open_connection(config)
                        except smtplib.SMTPResponseException as exc:
                            words = f"{exc.smtp_code} {_text(exc.smtp_error)}"
                            if _is_permanent(exc.smtp_code):
                                raise SmtpFailed(f"The mail server at {config.host}:{config.port} refused the "
                                                 f"connection: {words}.") from None
                            raise _Transient(words, connection=True) from None
                        except (smtplib.SMTPServerDisconnected, OSError) as exc:
                            raise _Transient(unreachable(config, exc), connection=True) from None
                    last_sent = clock()
                    outcome = _deliver(conn, config, message)
                    error = None
                    break
                except _Transient as exc:
                    error = str(exc)
                    if exc.connection:
                        close()
                    if attempt < retries:
                        sleep(backoff * 2 ** attempt)
            status = _record(con, message, outcome, error=error, tried=True)
            if outcome is None:
                batch.waiting += 1
                batch.errors.append(f"message {message.outbox_id}: {error}")
                if conn is None:  # the server could not be reached, even after retrying: stop here
                    batch.stopped = (f"{error} The batch stopped after {retries + 1} tries; the messages not sent "
                                     "wait in the outbox for the next send.")
            else:
                batch.recipients_sent += sum(1 for w in outcome.values() if w is None)
                if status == "sent":
                    batch.sent += 1
                elif status == "partial":
                    batch.partial += 1
                elif status == "failed":
                    batch.failed += 1
                else:
                    batch.waiting += 1
            if progress is not None:
                progress(done, len(mine), f"{done:,} of {len(mine):,}: {message.subject}")
    finally:
        close()
        batch.seconds = clock() - started
        if batch.considered:
            with db.transaction(con):
                db.audit(con, actor=by.actor, action="send email", entity="outbox",
                         entity_id=f"{round_id or 'all rounds'}/{kind or 'all kinds'}", after=batch.as_json())
    return batch


def reset_failed(con: db.Connection, outbox_id: int, *, by: User) -> None:
    """Queue a refused message's failed recipients again (after an address was corrected, say)."""
    message = get_message(con, outbox_id, by=by)
    recipients = [dict(r, status="queued", server_response=None) if r["status"] == "failed"
                  and r.get("server_response") not in (ERASED_RESPONSE, OPTED_OUT_RESPONSE) else dict(r)
                  for r in message.recipients]
    if recipients == message.recipients:
        raise OutboxError(f"Message {outbox_id} has no refused recipient to try again.")
    with db.transaction(con):
        con.execute("UPDATE outbox SET recipients = ?, status = ?, last_error = NULL WHERE outbox_id = ?",
                    [recipients, _status(recipients), outbox_id])
        db.audit(con, actor=by.actor, action="requeue email", entity="outbox", entity_id=outbox_id,
                 after={"recipients": sum(1 for r in recipients if r["status"] == "queued")})


def as_json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """:func:`messages` as JSON-ready rows (``workbench outbox list --json``)."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: (None if v is None or (not isinstance(v, list | str) and pd.isna(v)) else
                        v.isoformat() if isinstance(v, dt.datetime | pd.Timestamp) else
                        int(v) if k in {"outbox_id", "partnership_id", "topic_id", "attempts", "recipients"} else v)
                    for k, v in row.items()})
    return json.loads(json.dumps(out, default=str))
