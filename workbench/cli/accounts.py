"""``workbench user …``: the accounts that sign in to the workbench (``workbench.accounts``).

- ``user add EMAIL --name NAME --role ROLE [--countries KEN,NGA] [--password-stdin]``
- ``user list [--json]`` (never a password hash), ``user disable EMAIL``, ``user set-password EMAIL``
- ``user first-director --email E --name N``: when no director can sign in yet, make one with a random
  password, printed once (what ``make run`` calls).

A password never comes from the command line's arguments (they show in ``ps`` and the shell's history):
it is typed at a prompt (twice) when a terminal is attached, or read as one line from stdin with
``--password-stdin``. The command line acts as :func:`workbench.access.command_line_user`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from workbench import accounts
from workbench.access import ROLES, command_line_user
from workbench.cli._common import Commands, UsageError, add_db_option, changing, reading


def _stdin_password() -> str:
    line = sys.stdin.readline()
    if not line:
        raise UsageError("--password-stdin: stdin was empty. Pipe the password as one line, e.g. from a password "
                         "manager.")
    return line.rstrip("\r\n")


def _prompted_password(email: str) -> str:
    first = getpass.getpass(f"Password for {email}: ")
    accounts.check_password(first)
    again = getpass.getpass("The same password again: ")
    if again != first:
        raise UsageError("The two passwords differ; nothing was changed. Run the command again.")
    return first


def _password(args: argparse.Namespace, *, required: bool) -> str | None:
    """The password from stdin (--password-stdin) or a prompt; None when neither is possible and not
    ``required``."""
    if args.password_stdin:
        return _stdin_password()
    if sys.stdin.isatty():
        return _prompted_password(args.email)
    if required:
        raise UsageError("No terminal to type the password in: give it on stdin with --password-stdin "
                         "(never as an argument).")
    return None


def _countries(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


def _cmd_add(args: argparse.Namespace) -> int:
    password = _password(args, required=False)
    with changing(args) as con:
        user = accounts.add_user(con, args.email, name=args.name, role=args.role, by=command_line_user(),
                                 countries=_countries(args.countries), password=password)
    scope = f" for {', '.join(user.countries)}" if user.countries else ""
    how = ("with the password given" if password is not None else
           "without a password (they sign in through the identity provider, or set one with "
           f"`workbench user set-password {user.email}`)")
    print(f"Added {user.name} <{user.email}> as {user.role}{scope} (account {user.id}), {how}.")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    with reading(args) as con:
        frame = accounts.list_users(con, by=command_line_user())
    records = []
    for row in frame.to_dict("records"):
        records.append({
            "id": row["coordinator_id"], "email": row["email"], "name": row["name"], "role": row["role"],
            "countries": list(row["countries"] if row["countries"] is not None else []),
            "active": bool(row["is_active"]), "has_password": bool(row["has_password"]),
            "failed_sign_ins": int(row["failed_sign_ins"]),
            "locked_until": None if row["locked_until"] is None or str(row["locked_until"]) == "NaT"
            else str(row["locked_until"]),
            "last_sign_in_at": None if row["last_sign_in_at"] is None or str(row["last_sign_in_at"]) == "NaT"
            else str(row["last_sign_in_at"]),
        })
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    width = max((len(r["email"]) for r in records), default=5)
    for r in records:
        flags = [] if r["active"] else ["disabled"]
        if not r["has_password"]:
            flags.append("no password")
        if r["locked_until"]:
            flags.append(f"locked until {r['locked_until']}")
        scope = f" ({', '.join(r['countries'])})" if r["countries"] else ""
        print(f"{r['email'].ljust(width)}  {r['role']:<11} {r['name']}{scope}"
              + (f"  [{'; '.join(flags)}]" if flags else ""))
    return 0


def _cmd_disable(args: argparse.Namespace) -> int:
    with changing(args) as con:
        accounts.disable_user(con, args.email, by=command_line_user())
    print(f"Disabled {args.email}: it can no longer sign in, by password or identity provider.")
    return 0


def _cmd_set_password(args: argparse.Namespace) -> int:
    password = _password(args, required=True)
    assert password is not None
    with changing(args) as con:
        accounts.set_password(con, args.email, password, by=command_line_user())
    print(f"Set a new password for {args.email} (any lock after failed sign-ins is lifted).")
    return 0


def _cmd_first_director(args: argparse.Namespace) -> int:
    with changing(args) as con:
        made = accounts.create_first_director(con, args.email, args.name)
    if made is None:
        print("A director can already sign in; nothing was changed. (`workbench user list` shows the accounts.)")
        return 0
    user, password = made
    print(f"Director {user.name} <{user.email}> can sign in with this password, shown only this once:\n\n"
          f"    {password}\n\nChange it with `workbench user set-password {user.email}`.")
    return 0


def register(commands: Commands) -> None:
    """Add ``user add``, ``user list``, ``user disable``, ``user set-password`` and ``user first-director``."""
    top = commands.add("user", _cmd_list, "Manage the accounts that sign in (add, list, disable, set-password).",
                       description="Manage the accounts that sign in to the workbench. Passwords are typed at a "
                                   "prompt or given on stdin (--password-stdin), never as arguments.")
    sub = top.add_subparsers(dest="user_command", required=True, metavar="ACTION")

    def action(name: str, func: object, help_: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_)
        parser.set_defaults(func=func)
        add_db_option(parser)
        return parser

    p = action("add", _cmd_add, "Add an account (the password is prompted for, or read from stdin).")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--name", required=True, help='the person\'s name, e.g. "Alex Morgan"')
    p.add_argument("--role", required=True, choices=ROLES, help="what they may do (see the README's table)")
    p.add_argument("--countries", metavar="KEN,NGA", help="the country role's countries (ISO-3 codes)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password as one line from stdin (without it: a prompt when a terminal is "
                        "attached, else no password)")

    p = action("list", _cmd_list, "List the accounts (never their password hashes).")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = action("disable", _cmd_disable, "Disable an account: it can no longer sign in.")
    p.add_argument("email", metavar="EMAIL")

    p = action("set-password", _cmd_set_password, "Set an account's password (and lift any lock).")
    p.add_argument("email", metavar="EMAIL")
    p.add_argument("--password-stdin", action="store_true", help="read the password as one line from stdin")

    p = action("first-director", _cmd_first_director,
               "When no director can sign in yet, add one with a random password, printed once.")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
