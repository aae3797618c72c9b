"""``workbench …``: thin argument parsing over the library. Exit 0 done, 1 failed, 2 usage error.

One module per command group, each with ``register(commands)``:

- :mod:`~workbench.cli.database`: ``init``, ``snapshot``, ``views``, ``checks``, ``generate`` (and the
  commands that manage the database file);
- :mod:`~workbench.cli.applications`: ``import applications``, ``open-round``;
- :mod:`~workbench.cli.people`: ``people show|merge|split|undo`` (who is who across rounds);
- :mod:`~workbench.cli.matching`: ``match``, ``candidates``, ``publish``;
- :mod:`~workbench.cli.followup`: ``import checkins``, ``import surveys``.

:mod:`~workbench.cli._common` holds what they share: the one ``--db`` option, opening the database
(:func:`~workbench.cli._common.reading`, :func:`~workbench.cli._common.changing`, which refreshes the
analyst snapshot after a change) and :class:`~workbench.cli._common.UsageError`. A command raises
:class:`~workbench.errors.WorkbenchError` for anything a person must fix; :func:`main` prints its
message (never a trace) and exits with its code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import duckdb

from workbench.cli import (
    accounts,
    applications,
    database,
    exports,
    followup,
    matching,
    outbox,
    people,
    present,
    privacy,
    serve,
    settings,
    vocab,
)
from workbench.cli._common import Commands, first_line
from workbench.errors import WorkbenchError

#: The command groups, in the order ``workbench --help`` lists them.
GROUPS = (database, applications, people, followup, matching, exports, outbox, accounts, privacy, present, vocab,
          settings, serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Coordinator workbench for an international online peer-mentoring program.",
    )
    commands = Commands(parser)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on a usage error
    name = f"workbench {args.command}"
    try:
        return int(args.func(args))
    except WorkbenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return exc.exit_code
    except duckdb.Error as exc:
        print(f"{name}: the database refused the command ({type(exc).__name__}: {first_line(exc)}). "
              "Run `workbench checks` to see the database is consistent, then try again; if it happens again, "
              "report it with the command you ran.", file=sys.stderr)
        return 1
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"{name}: {exc.strerror or exc}{where}. Check the path exists and is writable, then try again.",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


__all__ = ["build_parser", "main"]
