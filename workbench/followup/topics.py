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
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from workbench import db
from workbench.access import Action, User, require
from workbench.errors import NotFound, WorkbenchError
from workbench.schedule import FIRST_BODY, FIRST_TOPIC, FORTNIGHT, RoundDates, Topic, send_day, topic_cadence

MAX_TITLE = 120
MAX_BODY = 4000
MAX_TOPICS = 12  # check-ins have fortnights 1..12

#: Defaults for exported messages; the coordinator's mail program sends them (X-Unsent opens a draft).
DEFAULT_SENDER = ("Program coordinators", "coordinators@program.example.org")
DEFAULT_RECIPIENT = ("Participants", "participants@program.example.org")


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


def topic_text(topic: Topic, round_label: str, total: int) -> str:
    """The message's plain text: the topic, its fortnight, and how to reach the coordinators."""
    return (
        "Dear participants,\n\n"
        f"Here is discussion topic {topic.seq} of {total} for the {round_label} round, for the fortnight "
        f"from {topic.send_on:%d %B %Y}:\n\n"
        f"    {topic.title}\n\n"
        f"{topic.body}\n\n"
        "Talk it over with your partner in whatever way suits you both; most partners write by email. "
        "Please reply to your partner within a week. If you have not heard from yours, or would like a "
        "hand, reply to this message and a coordinator will be in touch.\n\n"
        "With best wishes,\nThe program coordinators\n"
    )


def topic_subject(topic: Topic, round_label: str) -> str:
    return f"{round_label} topic {topic.seq}: {topic.title}"


def topic_message(con: db.Connection, topic_id: int, *, sender: tuple[str, str] = DEFAULT_SENDER,
                  recipient: tuple[str, str] = DEFAULT_RECIPIENT) -> EmailMessage:
    """One topic as an e-mail ready to send (an unsent draft dated on its send day)."""
    topic = get_topic(con, topic_id)
    target = round_dates(con, topic.round_id)
    total = len(round_topics(con, topic.round_id))
    return _message(topic, target.label, total, sender, recipient)


def _message(topic: Topic, label: str, total: int, sender: tuple[str, str],
             recipient: tuple[str, str]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = topic_subject(topic, label)
    msg["From"] = formataddr(sender)
    msg["To"] = formataddr(recipient)
    msg["Date"] = format_datetime(dt.datetime.combine(topic.send_on, dt.time(9, 0), tzinfo=dt.UTC))
    msg["X-Unsent"] = "1"  # mail programs open the file as a draft to send
    msg.set_content(topic_text(topic, label, total))
    return msg


def topic_eml(con: db.Connection, topic_id: int, **addresses: tuple[str, str]) -> bytes:
    """The topic's message as an ``.eml`` file (RFC 5322)."""
    return bytes(topic_message(con, topic_id, **addresses))


def eml_filename(topic: Topic) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", topic.title.casefold()).strip("-")[:40] or "topic"
    return f"{topic.round_id}-topic-{topic.seq:02d}-{slug}.eml"


def round_messages_zip(con: db.Connection, round_id: str, *, sender: tuple[str, str] = DEFAULT_SENDER,
                       recipient: tuple[str, str] = DEFAULT_RECIPIENT) -> bytes:
    """Every topic of the round as ``.eml`` files in one zip."""
    target = round_dates(con, round_id)
    topics = round_topics(con, round_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for t in topics:
            zf.writestr(eml_filename(t), bytes(_message(t, target.label, len(topics), sender, recipient)))
    return buffer.getvalue()
