"""A round's fortnightly discussion topics: plan them, edit them, export each as a message to send.

A plan starts from the last round's list ("Getting to know you" first, one topic a fortnight from the
day the round starts); every edit is versioned (a stale edit is refused, never lost) and audited under
the signed-in user, who must be allowed to plan topics (:data:`workbench.access.Action.TOPICS`).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import format_datetime, formataddr

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, WorkbenchError
from workbench.messages import templates as tpl
from workbench.messages.smtp import Identity, identity
from workbench.program.settings import topic_cadence
from workbench.schedule import FIRST_BODY, FIRST_TOPIC, FORTNIGHT, RoundDates, Topic, send_day

MAX_TITLE = 120
MAX_BODY = 4000
MAX_TOPICS = 12  # check-ins have fortnights 1..12

class TopicError(WorkbenchError):
    """A topic that cannot be saved as given (the message says what to change)."""


def round_dates(con: db.Connection, round_id: str) -> RoundDates:
    row = con.execute("SELECT round_id, label, seq, opens_on, starts_on, ends_on FROM rounds WHERE round_id = ?",
                      [round_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no round {round_id!r}. Pick one of the rounds listed on the page.")
    return RoundDates(*row)


def round_topics(con: db.Connection, round_id: str) -> list[Topic]:
    """The round's topics in order."""
    rows = con.execute("SELECT topic_id, round_id, seq, title, body, send_on, version FROM topics "
                       "WHERE round_id = ? ORDER BY seq", [round_id]).fetchall()
    return [Topic(*r) for r in rows]


def get_topic(con: db.Connection, topic_id: int) -> Topic:
    row = con.execute("SELECT topic_id, round_id, seq, title, body, send_on, version FROM topics "
                      "WHERE topic_id = ?", [topic_id]).fetchone()
    if row is None:
        raise NotFound(f"Topic {topic_id} no longer exists: someone removed it. Reload the page.")
    return Topic(*row)


def previous_round_with_topics(con: db.Connection, round_id: str) -> str | None:
    """The latest round before ``round_id`` that has topics (the list a new plan starts from)."""
    row = con.execute(
        """SELECT r.round_id FROM rounds AS r JOIN rounds AS this ON this.round_id = ?
           WHERE r.seq < this.seq AND EXISTS (SELECT 1 FROM topics AS t WHERE t.round_id = r.round_id)
           ORDER BY r.seq DESC LIMIT 1""", [round_id]).fetchone()
    return None if row is None else str(row[0])


def _clean(title: str, body: str) -> tuple[str, str]:
    title = " ".join(title.split())
    body = body.strip()
    if not title:
        raise TopicError("A topic needs a title. Write a short title (for example 'Library spaces').")
    if len(title) > MAX_TITLE:
        raise TopicError(f"The title has {len(title)} characters; keep it to {MAX_TITLE} (it becomes the "
                         "message's subject) and put the rest in the text.")
    if len(body) > MAX_BODY:
        raise TopicError(f"The text has {len(body):,} characters; keep it to {MAX_BODY:,}.")
    return title, body


def _has_checkins(con: db.Connection, round_id: str) -> bool:
    row = con.execute("SELECT count(*) FROM checkins WHERE round_id = ?", [round_id]).fetchone()
    return bool(row and row[0])


def start_from_previous(con: db.Connection, round_id: str, *, by: User,
                        from_round_id: str | None = None) -> list[int]:
    """Plan ``round_id``'s topics from another round's list (the last round with topics by default).

    Titles and texts are copied; "Getting to know you" comes first (added if the source lacks it);
    send dates are one a fortnight from the day the round starts. A round that has topics already is
    refused (edit them instead). Returns the new topic ids.
    """
    require(by, Action.TOPICS)
    target = round_dates(con, round_id)
    source = from_round_id or previous_round_with_topics(con, round_id)
    existing = round_topics(con, round_id)
    if existing:
        raise TopicError(f"{target.label} already has {len(existing)} topics. Edit them below, or delete "
                         "them first to start again from another round's list.")
    items: list[tuple[str, str]] = []
    if source is not None:
        items = [(t.title, t.body) for t in round_topics(con, source)]
    firsts = [i for i, (title, _) in enumerate(items) if title.casefold() == FIRST_TOPIC.casefold()]
    if firsts:
        items.insert(0, items.pop(firsts[0]))
    else:
        items.insert(0, (FIRST_TOPIC, FIRST_BODY))
    items = items[:MAX_TOPICS]
    cadence = topic_cadence(con)  # the program's setting topic_cadence_days (a fortnight by default)
    with db.transaction(con):
        ids = db.next_ids(con, "topics", len(items))
        for i, (topic_id, (title, body)) in enumerate(zip(ids, items, strict=True)):
            send_on = send_day(target.starts_on, i + 1, cadence)
            con.execute("INSERT INTO topics (topic_id, round_id, seq, title, body, send_on) VALUES (?, ?, ?, ?, ?, ?)",
                        [topic_id, round_id, i + 1, title, body, send_on])
        db.audit(con, actor=by.actor, action="plan topics", entity="rounds", entity_id=round_id,
                 after={"from_round": source, "topics": [t for t, _ in items]})
    return ids


def add_topic(con: db.Connection, round_id: str, *, title: str, body: str, send_on: dt.date | None = None,
              by: User) -> int:
    """Append a topic to the round's plan (send date: a fortnight after the last one by default)."""
    require(by, Action.TOPICS)
    target = round_dates(con, round_id)
    title, body = _clean(title, body)
    with db.transaction(con):
        current = round_topics(con, round_id)
        if len(current) >= MAX_TOPICS:
            raise TopicError(f"{target.label} has {MAX_TOPICS} topics already, one for every fortnight a "
                             "check-in can report on. Edit an existing topic instead.")
        if send_on is None:
            send_on = current[-1].send_on + topic_cadence(con) if current else target.starts_on
        (topic_id,) = db.next_ids(con, "topics")
        seq = len(current) + 1
        con.execute("INSERT INTO topics (topic_id, round_id, seq, title, body, send_on) VALUES (?, ?, ?, ?, ?, ?)",
                    [topic_id, round_id, seq, title, body, send_on])
        db.audit(con, actor=by.actor, action="add topic", entity="topics", entity_id=topic_id,
                 after={"round_id": round_id, "seq": seq, "title": title, "send_on": send_on})
    return topic_id


def update_topic(con: db.Connection, topic_id: int, version: int, *, title: str, body: str, send_on: dt.date,
                 by: User) -> int:
    """Change a topic's title, text and send date; refused if someone changed it since ``version``."""
    require(by, Action.TOPICS)
    title, body = _clean(title, body)
    with db.transaction(con):
        return db.update_versioned(con, "topics", "topic_id", topic_id, version,
                                   {"title": title, "body": body, "send_on": send_on},
                                   actor=by.actor, action="edit topic")


def delete_topic(con: db.Connection, topic_id: int, version: int, *, by: User) -> None:
    """Remove a topic from a round that has no check-ins yet; the later topics move up one place."""
    require(by, Action.TOPICS)
    topic = get_topic(con, topic_id)
    if topic.version != version:
        raise TopicError(f"Topic {topic.seq} ('{topic.title}') was changed by someone else since you loaded "
                         "it. Nothing was deleted: reload the page and look again.")
    if _has_checkins(con, topic.round_id):
        raise TopicError(f"{topic.round_id} has check-ins that refer to topics by number, so its topics can "
                         "no longer be deleted or renumbered. Edit the topic's title or text instead.")
    with db.transaction(con):
        con.execute("DELETE FROM topics WHERE topic_id = ? AND version = ?", [topic_id, version])
        con.execute("UPDATE topics SET seq = seq - 1, version = version + 1 WHERE round_id = ? AND seq > ?",
                    [topic.round_id, topic.seq])
        db.audit(con, actor=by.actor, action="delete topic", entity="topics", entity_id=topic_id,
                 before={"round_id": topic.round_id, "seq": topic.seq, "title": topic.title})


def plan_warnings(con: db.Connection, round_id: str) -> list[str]:
    """What looks wrong in a round's plan (nothing stops it being saved): order, dates, repeats."""
    target = round_dates(con, round_id)
    topics = round_topics(con, round_id)
    if not topics:
        return []
    out = []
    cadence = topic_cadence(con).days
    if topics[0].title.casefold() != FIRST_TOPIC.casefold():
        out.append(f"The first topic is '{topics[0].title}'; the program starts every round with "
                   f"'{FIRST_TOPIC}'.")
    for before, after in itertools.pairwise(topics):
        gap = (after.send_on - before.send_on).days
        if gap <= 0:
            out.append(f"Topic {after.seq} ('{after.title}') is sent on {after.send_on:%d %b %Y}, not after "
                       f"topic {before.seq} ({before.send_on:%d %b %Y}).")
        elif gap != cadence:
            every = "a fortnight" if cadence == 14 else f"the program's {cadence} days"
            out.append(f"Topic {after.seq} follows topic {before.seq} after {gap} days, not {every}.")
    for t in topics:
        if not target.opens_on <= t.send_on <= target.ends_on + FORTNIGHT:
            out.append(f"Topic {t.seq} ('{t.title}') is sent on {t.send_on:%d %b %Y}, outside the round "
                       f"({target.starts_on:%d %b %Y} to {target.ends_on:%d %b %Y}).")
    seen: dict[str, int] = {}
    for t in topics:
        key = t.title.casefold()
        if key in seen:
            out.append(f"Topics {seen[key]} and {t.seq} have the same title ('{t.title}').")
        seen.setdefault(key, t.seq)
    return out


# --- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicDraft:
    """A topic's message in one language: what the outbox queues for a partnership, or the ``.eml`` draft."""

    topic: Topic
    language: str
    subject: str
    body: str


def draft_languages(con: db.Connection) -> list[str]:
    """The program's languages a topic can be written in (those with templates), its main language first."""
    return [x for x in tpl.program_languages(con) if x in tpl.languages()] or [tpl.FALLBACK]


def _drafts(con: db.Connection, round_id: str, topics: list[Topic], *, language: str | None,
            names: str | None) -> list[TopicDraft]:
    chosen = language or draft_languages(con)[0]
    if chosen not in tpl.languages():
        raise TopicError(f"There are no message templates in {chosen}; they exist in {', '.join(tpl.languages())}.")
    label = round_dates(con, round_id).label
    greeted = names if names is not None else tpl.everyone(chosen)
    return [TopicDraft(t, chosen, *tpl.render_topic(chosen, round_label=label, names=greeted, seq=t.seq,
                                                     total=len(topics), title=t.title, body=t.body, send_on=t.send_on))
            for t in topics]


def topic_draft(con: db.Connection, topic_id: int, *, language: str | None = None,
                names: str | None = None) -> TopicDraft:
    """The topic's subject and text from the program's topic template (:func:`workbench.messages.templates.
    render_topic`, the outbox's path too): in ``language`` (the program's first language by default), greeting
    ``names`` (every participant by default: "Dear participants,")."""
    topic = get_topic(con, topic_id)
    (draft,) = [d for d in _drafts(con, topic.round_id, round_topics(con, topic.round_id), language=language,
                                   names=names) if d.topic.topic_id == topic.topic_id]
    return draft


def _message(draft: TopicDraft, who: Identity, recipient: tuple[str, str] | None) -> EmailMessage:
    msg = EmailMessage(policy=SMTPUTF8)
    msg["From"] = who.from_header()
    if recipient is not None and recipient[1].strip():
        msg["To"] = formataddr((tpl.safe_name(recipient[0]), recipient[1].strip()))
    msg["Subject"] = tpl.header_text(draft.subject)
    msg["Date"] = format_datetime(dt.datetime.combine(draft.topic.send_on, dt.time(9, 0), tzinfo=dt.UTC))
    msg["X-Unsent"] = "1"  # mail programs open the file as a draft to send
    who.add_headers(msg)
    msg.set_content(draft.body)
    msg["Content-Language"] = tpl.LANGUAGE_CODES.get(draft.language, "en")  # after: set_content clears Content-*
    return msg


def topic_message(con: db.Connection, topic_id: int, *, language: str | None = None, names: str | None = None,
                  recipient: tuple[str, str] | None = None) -> EmailMessage:
    """One topic as an e-mail draft (dated on its send day, opened as a draft to send): :func:`topic_draft`'s
    text from the program's configured sender (:func:`workbench.messages.smtp.identity`, as the outbox sends
    it), to ``recipient`` (name, address) or to nobody yet (the coordinator adds the participants' list)."""
    return _message(topic_draft(con, topic_id, language=language, names=names), identity(con), recipient)


def topic_eml(con: db.Connection, topic_id: int, *, language: str | None = None, names: str | None = None,
              recipient: tuple[str, str] | None = None) -> bytes:
    """The topic's message as an ``.eml`` file (RFC 5322): :func:`topic_message`."""
    return topic_message(con, topic_id, language=language, names=names, recipient=recipient).as_bytes()


def eml_filename(topic: Topic) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", topic.title.casefold()).strip("-")[:40] or "topic"
    return f"{topic.round_id}-topic-{topic.seq:02d}-{slug}.eml"


def round_messages_zip(con: db.Connection, round_id: str, *, language: str | None = None,
                       recipient: tuple[str, str] | None = None) -> bytes:
    """Every topic of the round as ``.eml`` drafts (:func:`topic_message`) in one zip."""
    who = identity(con)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for draft in _drafts(con, round_id, round_topics(con, round_id), language=language, names=None):
            zf.writestr(eml_filename(draft.topic), _message(draft, who, recipient).as_bytes())
    return buffer.getvalue()
