"""``workbench outbox queue|send|list``: the program's email from the command line (and cron).

``queue introductions|topic|reminders|survey --round R`` writes the messages into the outbox (queuing twice
adds nothing); ``send`` sends what waits, through the mail server of ``WORKBENCH_SMTP_*`` (or
``.streamlit/secrets.toml`` in the working directory), at its rate limit, and exits 1 while messages still
wait (a server that could not be reached); ``list`` shows each message's kind, round, recipients, status and
the server's words. As :func:`workbench.access.command_line_user` (a director). The README's "Sending
email" has a crontab line that queues each topic on its day and sends it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, add_db_option, changing, reading
from workbench.messages import outbox
from workbench.participants.checkins import queue_links
from workbench.participants.mail import unsubscribe_links

#: What the command line calls each kind (and the singular the library uses).
KIND_WORDS = {"introductions": "introduction", "introduction": "introduction", "topic": "topic", "topics": "topic",
              "reminders": "reminder", "reminder": "reminder", "survey": "survey", "surveys": "survey"}


def _kind(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return KIND_WORDS[value.strip().lower()]
    except KeyError:
        raise UsageError(f"--kind {value!r} is not a kind of message; use introductions, topic, reminders or "
                         "survey.") from None


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--date takes a day as YYYY-MM-DD (got {value!r}).") from None


def _cmd_queue(args: argparse.Namespace) -> int:
    kind = KIND_WORDS[args.what]
    with changing(args) as con:
        done = outbox.queue(con, kind, args.round, by=command_line_user(), on=_date(getattr(args, "date", None)),
                            **queue_links(con, kind), **unsubscribe_links(con, kind))
    print(done.summary())
    for note in done.notes[:5]:
        print(f"  {note}")
    return 0


def _cmd_send(args: argparse.Namespace) -> int:
    def progress(done: int, total: int, text: str) -> None:
        if args.verbose:
            print(f"  {text}", file=sys.stderr)

    with changing(args) as con:
        batch = outbox.send(con, by=command_line_user(), round_id=args.round, kind=_kind(args.kind),
                            progress=progress)
    print(batch.summary())
    for error in batch.errors[:10]:
        print(f"  {error}", file=sys.stderr)
    return 1 if batch.waiting else 0


def _cmd_list(args: argparse.Namespace) -> int:
    with reading(args) as con:
        frame = outbox.messages(con, by=command_line_user(), round_id=args.round, kind=_kind(args.kind),
                                status=args.status)
    if args.json:
        print(json.dumps(outbox.as_json_rows(frame), indent=2, ensure_ascii=False))
        return 0
    if frame.empty:
        print("The outbox holds no message" + (f" for {args.round}" if args.round else "") + ".")
        return 0
    for row in frame.itertuples():
        error = f"  [{row.error}]" if row.error else ""
        print(f"{row.outbox_id:>6}  {row.kind:<12} {row.round:<6} {row.status:<8} {row.language:<8} {row.to}{error}")
    counts = frame["status"].value_counts()
    print(", ".join(f"{int(counts.get(s, 0)):,} {s}" for s in outbox.STATUSES) + f" ({len(frame):,} messages).")
    return 0


def register(commands: Commands) -> None:
    """Add ``outbox queue introductions|topic|reminders|survey``, ``outbox send`` and ``outbox list``."""
    top = commands.add("outbox", _cmd_missing, "Queue, send and list the program's email.",
                       description="The program's email: queue introductions, topics, reminders and the survey "
                                   "invitation; send them through the configured mail server; list them.")
    sub = top.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")

    q = sub.add_parser("queue", help="Queue a round's messages of one kind.",
                       description="Queue a round's messages of one kind, each in its recipients' language. "
                                   "Queuing twice adds nothing.")
    what = q.add_subparsers(dest="what", required=True, metavar="KIND")
    helps = {"introductions": "one introduction per published partnership, every member a recipient",
             "topic": "the topics due on or before today (or --date), to every active partnership",
             "reminders": "a reminder to each active partnership the health flags mark",
             "survey": "the end-of-round survey invitation to every participant, with the program's form link"}
    for name, help_ in helps.items():
        p = what.add_parser(name, help=help_, description=f"Queue {help_}.")
        p.set_defaults(func=_cmd_queue)
        p.add_argument("--round", required=True, help="the round, e.g. 2017A")
        if name == "topic":
            p.add_argument("--date", metavar="YYYY-MM-DD", help="queue the topics due on or before this day "
                                                                "(default: today)")
        add_db_option(p)

    p = sub.add_parser("send", help="Send the messages waiting in the outbox (for cron).",
                       description="Send the queued messages through the configured mail server, at its rate "
                                   "limit. A message already accepted is never sent again; a stopped batch resumes "
                                   "where it stopped. Exit 1 while messages still wait.")
    p.set_defaults(func=_cmd_send)
    p.add_argument("--round", help="only this round's messages")
    p.add_argument("--kind", help="only this kind: introductions, topic, reminders or survey")
    p.add_argument("--verbose", action="store_true", help="print each message as it goes (on stderr)")
    add_db_option(p)

    p = sub.add_parser("list", help="List the outbox's messages: kind, round, to, status, the server's error.",
                       description="List the outbox's messages with their kind, round, recipients (to), status "
                                   "(queued, sent, failed, partial) and the server's words (error).")
    p.set_defaults(func=_cmd_list)
    p.add_argument("--round", help="only this round's messages")
    p.add_argument("--kind", help="only this kind: introductions, topic, reminders or survey")
    p.add_argument("--status", choices=outbox.STATUSES, help="only messages with this status")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_option(p)


def _cmd_missing(args: argparse.Namespace) -> int:
    raise UsageError("Say what to do: `workbench outbox queue …`, `workbench outbox send` or `workbench outbox list`.")
