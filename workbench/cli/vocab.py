"""The program's vocabularies: ``workbench vocab list|add|rename|merge`` (:mod:`workbench.program.vocabularies`).

``vocab list`` reads; the others change the vocabulary as a director (the command line's user) and, for a
rename or a merge, rewrite every stored use of the value in the same transaction, audited.
"""

from __future__ import annotations

import argparse
import json

from workbench import db
from workbench.access import command_line_user
from workbench.cli._common import Commands, add_db_option, changing, reading
from workbench.program import vocabularies as v


def _kept(con: db.Connection, kind: str, value: str) -> bool:
    """Whether ``value`` is a value an import kept as written (outside the vocabulary), before the change."""
    return value in v.kept_values(con, kind)


def _rewritten(changed: dict[str, int]) -> str:
    used = [f"{n:,} {what}" for what, n in changed.items() if n]
    return "; rewrote " + ", ".join(used) if used else "; nothing stored used it"


def _cmd_list(args: argparse.Namespace) -> int:
    kinds = [args.kind] if args.kind else list(v.KINDS)
    with reading(args) as con:
        tables = {kind: v.terms_table(con, kind) for kind in kinds}
    if args.json:
        print(json.dumps({kind: [{"value": r.value, "label": r.label, "synonyms": list(r.synonyms),
                                  "position": int(r.position), "version": int(r.version), "used": int(r.used)}
                                 for r in frame.itertuples(index=False)] for kind, frame in tables.items()},
                         indent=2, ensure_ascii=False))
        return 0
    for kind, frame in tables.items():
        print(f"{kind} ({len(frame)} {v.KIND_NAMES[kind][1]})")
        for r in frame.itertuples(index=False):
            label = f"  [{r.label}]" if r.label != r.value else ""
            synonyms = f"  also: {', '.join(r.synonyms)}" if len(r.synonyms) else ""
            print(f"  {r.value}{label}  used {int(r.used):,}{synonyms}")
    return 0


def _cmd_add(args: argparse.Namespace) -> int:
    with changing(args) as con:
        term = v.add_term(con, args.kind, args.value, label=args.label, synonyms=args.synonym or (),
                          by=command_line_user())
    also = f" (also: {', '.join(term.synonyms)})" if term.synonyms else ""
    print(f"Added the {v.KIND_NAMES[args.kind][0]} '{term.value}'{also}.")
    return 0


def _cmd_rename(args: argparse.Namespace) -> int:
    with changing(args) as con:
        kept = _kept(con, args.kind, args.old)
        changed = v.rename_term(con, args.kind, args.old, args.new, by=command_line_user())
    if kept:
        print(f"Added the {v.KIND_NAMES[args.kind][0]} '{args.new}' for '{args.old}', which an import kept as "
              f"written{_rewritten(changed)}. '{args.old}' is its synonym, so forms that still say it import.")
        return 0
    print(f"Renamed the {v.KIND_NAMES[args.kind][0]} '{args.old}' to '{args.new}'{_rewritten(changed)}. "
          f"'{args.old}' stays a synonym, so forms that still say it import.")
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    with changing(args) as con:
        kept = _kept(con, args.kind, args.source)
        changed = v.merge_terms(con, args.kind, args.source, args.into, by=command_line_user())
    what = "the value" if kept else f"the {v.KIND_NAMES[args.kind][0]}"
    also = f"; '{args.source}' is now its synonym, so the next import reads it as '{args.into}'" if kept else ""
    print(f"Merged {what} '{args.source}' into '{args.into}'{_rewritten(changed)}{also}.")
    return 0


def register(commands: Commands) -> None:
    """Add ``vocab list|add|rename|merge``."""
    top = commands.add("vocab", _cmd_list, "The program's vocabularies: list, add, rename, merge.",
                       description="Sectors, career stages, areas of interest, working languages, ways of keeping "
                                   "in touch and impact categories: the program's own lists, each value with a "
                                   "label and synonyms. Renaming or merging rewrites every use, in one transaction.")
    sub = top.add_subparsers(dest="vocab_command", required=True, metavar="ACTION")

    def action(name: str, func: object, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_)
        parser.set_defaults(func=func)
        add_db_option(parser)
        return parser

    kind_help = "one of: " + ", ".join(v.KINDS)
    p = action("list", _cmd_list, "List a vocabulary (or all): values, labels, synonyms, how many rows use each.")
    p.add_argument("kind", nargs="?", choices=v.KINDS, metavar="KIND", help=kind_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = action("add", _cmd_add, "Add a value to a vocabulary.")
    p.add_argument("kind", choices=v.KINDS, metavar="KIND", help=kind_help)
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--label", metavar="L", help="what people read (default: the value)")
    p.add_argument("--synonym", action="append", metavar="S", help="another word an import accepts (repeat)")
    p = action("rename", _cmd_rename, "Rename a value everywhere it is used (the old one stays a synonym); a value "
                                      "an import kept as written joins the list under the new name.")
    p.add_argument("kind", choices=v.KINDS, metavar="KIND", help=kind_help)
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p = action("merge", _cmd_merge, "Merge a value (of the list, or kept as written by an import) into another: "
                                    "every use moves, the first leaves the list and becomes a synonym.")
    p.add_argument("kind", choices=v.KINDS, metavar="KIND", help=kind_help)
    p.add_argument("source", metavar="FROM")
    p.add_argument("into", metavar="INTO")
