"""People across rounds: ``workbench people show|merge|split|undo`` (``workbench.people``).

``merge A B`` makes person B part of person A (B's applications and addresses move to A; B is gone); ``split
PERSON --application ID`` moves one application, with its address, to a new person. Both are in the audit log and
print the audit entry that ``undo AUDIT_ID`` takes to put them back. The command line acts as
:func:`workbench.access.command_line_user` (a director).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from workbench.access import command_line_user
from workbench.cli._common import Commands, add_db_option, changing, reading
from workbench.people import identity, training


def _cmd_show(args: argparse.Namespace) -> int:
    with reading(args) as con:
        record = identity.person_record(con, args.person, by=command_line_user())
    if args.json:
        print(json.dumps({
            "person_id": record.person_id, "name": record.name, "email": record.email,
            "applications": json.loads(record.applications.to_json(orient="records", date_format="iso")),
            "addresses": json.loads(record.addresses.to_json(orient="records", date_format="iso")),
        }, indent=2, ensure_ascii=False))
        return 0
    print(record.describe())
    for r in record.applications.itertuples(index=False):
        partners = f", partnered with {r.partners}" if r.partners else ""
        print(f"  {r.round_id}: application {r.application_id} as {r.name} <{r.email}>, {r.country_iso3}, "
              f"{r.status}{partners}")
    for r in record.addresses.itertuples(index=False):
        latest = " (latest: messages go here)" if r.is_latest else ""
        print(f"  {r.email}: first seen {r.first_seen_at:%d %b %Y}, last seen {r.last_seen_at:%d %b %Y}{latest}")
    return 0


def _done(change: identity.Change, as_json: bool) -> int:
    print(json.dumps(change.as_json()) if as_json else change.summary())
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    with changing(args) as con:
        change = identity.merge_people(con, args.keep, args.other, by=command_line_user())
    return _done(change, args.json)


def _cmd_split(args: argparse.Namespace) -> int:
    with changing(args) as con:
        change = identity.split_person(con, args.person, args.application, by=command_line_user())
    return _done(change, args.json)


def _cmd_undo(args: argparse.Namespace) -> int:
    with changing(args) as con:
        change = identity.undo_change(con, args.audit_id, by=command_line_user())
    return _done(change, args.json)


def _cmd_train(args: argparse.Namespace) -> int:
    """Retrain the linking model on the program's rounds and store it (the next import uses it)."""
    with changing(args) as con:
        trained = training.train_and_store(con, by=command_line_user())
    if args.out is not None:  # the sample program's shipped model: workbench/people/sample_model.json
        args.out.write_text(json.dumps(trained.model, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({"labelled_pairs": trained.labels, "people": trained.people,
                          "applications": trained.applications, "seconds": round(trained.seconds, 2)}))
        return 0
    print(f"The model for recognising people was retrained on {trained.applications} applications of "
          f"{trained.people} people ({trained.labels} pairs of one person's applications in different rounds) and "
          f"stored: the next import uses it ({trained.seconds:.1f} s).")
    return 0


def register(commands: Commands) -> None:
    """Add ``people show|merge|split|undo``."""
    top = commands.add("people", _cmd_show, "People across rounds: show, merge, split, undo.",
                       description="A person keeps every address they used and every round they applied to. "
                                   "Merge two records of one person, split an application that was linked to "
                                   "the wrong person, undo either.")
    sub = top.add_subparsers(dest="people_command", required=True, metavar="ACTION")

    def action(name: str, func: object, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_)
        parser.set_defaults(func=func)
        add_db_option(parser)
        parser.add_argument("--json", action="store_true", help="print JSON")
        return parser

    p = action("show", _cmd_show, "Every round and every address of one person.")
    p.add_argument("person", metavar="PERSON", type=int, help="the person's id")
    p = action("merge", _cmd_merge, "Merge person B into person A: one person from now on (audited; undo with "
                                    "`workbench people undo AUDIT_ID`).")
    p.add_argument("keep", metavar="A", type=int, help="the person who remains")
    p.add_argument("other", metavar="B", type=int, help="the person merged into A (their id goes)")
    p = action("split", _cmd_split, "Move one application, with its address, from a person to a new person "
                                    "(audited; undo with `workbench people undo AUDIT_ID`).")
    p.add_argument("person", metavar="PERSON", type=int, help="the person the application was linked to")
    p.add_argument("--application", metavar="ID", type=int, required=True, help="the application to split off")
    p = action("train", _cmd_train, "Retrain the model that recognises returning applicants under a new address, "
                                    "on the program's own rounds, and store it for the next import.")
    p.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help="also write the model's JSON to FILE (workbench/people/sample_model.json: the model "
                        "trained on the sample program, which a program uses until it trains its own)")
    p = action("undo", _cmd_undo, "Undo a merge or a split, given the audit entry it printed.")
    p.add_argument("audit_id", metavar="AUDIT_ID", type=int, help="the merge's or split's audit entry")
