"""The program's settings: ``workbench settings show [--json]`` and ``workbench settings set KEY VALUE``
(:mod:`workbench.program.settings`).

``show`` lists every setting with its value, whether it is the default, and who changed it last; ``set``
checks the value (a bad one is refused with what is allowed), stores it as a director (the command line's
user) and records the change in the audit log. Structured settings (the presenter decks) take JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.access import command_line_user
from workbench.cli._common import Commands, add_db_option, changing, reading
from workbench.program import settings as s


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False) if value else "(none)"
    return str(value)


def _cmd_show(args: argparse.Namespace) -> int:
    with reading(args) as con:
        rows = s.all_settings(con)
    if args.json:
        print(json.dumps({r["key"]: {"value": r["value"], "default": r["default"], "label": r["label"],
                                     "version": r["version"], "updated_by": r["updated_by"],
                                     "updated_at": None if r["updated_at"] is None else str(r["updated_at"])}
                          for r in rows}, indent=2, ensure_ascii=False))
        return 0
    width = max(len(r["key"]) for r in rows)
    for r in rows:
        changed = (f"  (set by {r['updated_by']} on {r['updated_at']:%d %b %Y})" if r["version"]
                   else "  (default)")
        print(f"{r['key'].ljust(width)}  {_shown(r['value'])}{changed}")
    return 0


def _cmd_set(args: argparse.Namespace) -> int:
    with changing(args) as con:
        stored = s.set_setting(con, args.key, args.value, by=command_line_user())
    label = s.SETTINGS[args.key].label
    print(f"{label} ({args.key}) is now {_shown(stored)}.")
    return 0


def register(commands: Commands) -> None:
    """Add ``settings show|set``."""
    top = commands.add("settings", _cmd_show, "The program's settings: show them, set one.",
                       description="The program's own settings: its name, languages, per-country cap, round "
                                   "length and topic cadence, the cross-border rule, the survey form link and "
                                   "reply-to address, retention and presenting. Each change is checked, "
                                   "versioned and written to the audit log.")
    sub = top.add_subparsers(dest="settings_command", required=True, metavar="ACTION")

    def action(name: str, func: object, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_)
        parser.set_defaults(func=func)
        add_db_option(parser)
        return parser

    p = action("show", _cmd_show, "List every setting with its value (and whether it is the default).")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = action("set", _cmd_set, "Change a setting (a director's change, audited).")
    p.add_argument("key", choices=list(s.SETTINGS), metavar="KEY", help="one of: " + ", ".join(s.SETTINGS))
    p.add_argument("value", metavar="VALUE",
                   help="the new value; '' or none clears an optional one (e.g. cross_border organisation, "
                        "languages \"French, English\", country_cap 20%%)")
