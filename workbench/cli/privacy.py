"""Personal data: ``workbench forget EMAIL`` and ``workbench retention show|set|apply`` (``workbench.privacy``).

``forget`` shows who the email belongs to and asks to confirm (``--yes`` skips the question); the erasure
cannot be undone. ``retention apply --dry-run`` lists who the program's retention period would erase.
The command line acts as :func:`workbench.access.command_line_user` (a director).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from workbench import copies, privacy, program
from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, add_db_option, changing, db_path, reading


def _confirm(question: str) -> bool:
    print(question, end=" ", flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in {"y", "yes"}


def _cmd_forget(args: argparse.Namespace) -> int:
    user = command_line_user()
    if not args.yes:
        with reading(args) as con:
            person = privacy.find_person(con, args.email, by=user)
        print(f"This erases, everywhere and for good, the name, email, survey answers and case notes of\n"
              f"  {person.describe()}.\nCounts and reports stay as they are.")
        if not _confirm("Erase? [y/N]"):
            print("Nothing was erased.")
            return 1
    with changing(args) as con:
        done = privacy.forget(con, args.email, by=user)
    print(done.summary())
    _rewrite(args, done.person_ids)
    return 0


def _rewrite(args: argparse.Namespace, person_ids: tuple[int, ...]) -> None:
    """After an erasure: the file rewritten so no old block holds the erased data, and the copies that still do."""
    path = db_path(args)
    copies.rewrite_file(path)
    print(f"The database file {path} was rewritten: its bytes no longer hold what was erased.")
    print(privacy.held_copies_summary(privacy.copies_holding(person_ids, path)))


def _cmd_retention_show(args: argparse.Namespace) -> int:
    with reading(args) as con:
        years = program.retention_years(con)
    print("Retention: personal data is kept (no period set)." if years is None else
          f"Retention: personal data is erased {years} years after a person's last round closed.")
    return 0


def _cmd_retention_set(args: argparse.Namespace) -> int:
    with changing(args) as con:
        years = program.set_setting(con, "retention_years", args.years, by=command_line_user())
    print("Retention: personal data is kept." if years is None else
          f"Retention set to {years} years. `workbench retention apply --dry-run` lists who it makes due.")
    return 0


def _today(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--today takes a date as YYYY-MM-DD (got {value!r}).") from None


def _cmd_retention_apply(args: argparse.Namespace) -> int:
    user, today = command_line_user(), _today(args.today)
    if args.dry_run:
        with reading(args) as con:
            found = privacy.apply_retention(con, by=user, today=today, dry_run=True)
        if args.json:
            frame = found.due.assign(rounds=found.due["rounds"].map(list),
                                     last_round_ended_on=found.due["last_round_ended_on"].astype(str))
            print(json.dumps({"years": found.years, "closed_before": str(found.cutoff) if found.cutoff else None,
                              "people": frame.to_dict("records")}, indent=2, ensure_ascii=False, default=str))
            return 0
        print(found.summary())
        for row in found.due.itertuples():
            print(f"  {row.person_id:>6}  {row.name} <{row.email}>  rounds {', '.join(row.rounds)} "
                  f"(last ended {row.last_round_ended_on:%Y-%m-%d})")
        return 0
    with changing(args) as con:
        found = privacy.apply_retention(con, by=user, today=today)
    print(found.summary())
    if found.erasure is not None:
        _rewrite(args, found.erasure.person_ids)
    return 0


def register(commands: Commands) -> None:
    """Add ``forget`` and ``retention show|set|apply``."""
    p = commands.add("forget", _cmd_forget, "Erase a participant's personal data everywhere (asks to confirm).",
                     description="Erase a participant's name, email, survey answers' text and case notes "
                                 "everywhere, the audit log's copies included. Counts and reports stay as they "
                                 "are. Asks to confirm unless --yes.", takes_db=True)
    p.add_argument("email", metavar="EMAIL", help="the participant's email")
    p.add_argument("--yes", action="store_true", help="do not ask to confirm")

    top = commands.add("retention", _cmd_retention_show,
                       "The retention period of personal data: show, set, apply.",
                       description="Personal data of people whose rounds all closed more than the retention "
                                   "period ago is erased by `retention apply` (as `forget`).")
    sub = top.add_subparsers(dest="retention_command", required=True, metavar="ACTION")

    def action(name: str, func: object, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_)
        parser.set_defaults(func=func)
        add_db_option(parser)
        return parser

    action("show", _cmd_retention_show, "Show the retention period.")
    p = action("set", _cmd_retention_set, "Set the retention period in years (none: keep personal data).")
    p.add_argument("years", metavar="YEARS|none")
    p = action("apply", _cmd_retention_apply, "Erase the personal data the retention period makes due.")
    p.add_argument("--dry-run", action="store_true", help="list who would be erased; change nothing")
    p.add_argument("--json", action="store_true", help="with --dry-run: print JSON")
    p.add_argument("--today", metavar="YYYY-MM-DD", help="count the years back from this day (default: today)")
