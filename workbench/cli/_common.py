"""What every ``workbench`` command shares: the ``--db`` option, opening the database, the snapshot refresh.

A command module never calls :func:`workbench.db.connect` itself. It opens the database with

- :func:`reading` (read-only; ``checks``, ``candidates``, dry runs),
- :func:`changing` (read-write; on success the analyst snapshot is refreshed and the line saying so is
  printed on stderr, so ``--json`` output on stdout stays one JSON document), or
- :func:`open_database` for the rare command that needs a writable connection but changes nothing
  (``snapshot``).

Errors are raised as :class:`~workbench.errors.WorkbenchError` (message, exit code);
:func:`workbench.cli.main` prints them. Nothing here formats a path or a value into SQL.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb

from workbench import db, migrations, snapshots
from workbench.config import settings
from workbench.errors import WorkbenchError

#: The one help text of ``--db``, on every command that takes it.
DB_HELP = "the workbench database file (default: $WORKBENCH_DB, or data/workbench.duckdb in the project)"

Command = Callable[[argparse.Namespace], int]


class UsageError(WorkbenchError):
    """A malformed option or a file that is not there: exit 2, as argparse's own usage errors."""

    exit_code = 2


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--db PATH``; unset, it means the configured database (``WORKBENCH_DB``), read when used."""
    parser.add_argument("--db", type=Path, default=None, metavar="PATH", help=DB_HELP)


def db_path(args: argparse.Namespace) -> Path:
    """The database a command works on: ``--db``, else the configured one."""
    return Path(args.db) if args.db is not None else settings().db_path


class Commands:
    """The ``workbench`` sub-commands. Each group module's ``register(commands)`` adds its own with
    :meth:`add` (``workbench NAME``) or :meth:`add_import` (``workbench import WHAT``)."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self._top = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        self._imports: Any = None

    def add(self, name: str, func: Command, help_: str, *, description: str | None = None,
            takes_db: bool = False) -> argparse.ArgumentParser:
        """Add ``workbench NAME`` running ``func(args)``; ``takes_db`` adds the shared ``--db`` option."""
        parser = self._top.add_parser(name, help=help_, description=description or help_)
        return self._setup(parser, func, takes_db)

    def add_import(self, what: str, func: Command, help_: str, *,
                   description: str | None = None) -> argparse.ArgumentParser:
        """Add ``workbench import WHAT`` (every import takes ``--db``)."""
        if self._imports is None:
            imports = self._top.add_parser(
                "import", help="Import a file into a round (applications, check-ins, surveys).",
                description="Import a file into a round.")
            self._imports = imports.add_subparsers(dest="what", required=True, metavar="WHAT")
        parser = self._imports.add_parser(what, help=help_, description=description or help_)
        return self._setup(parser, func, True)

    @staticmethod
    def _setup(parser: argparse.ArgumentParser, func: Command, takes_db: bool) -> argparse.ArgumentParser:
        parser.set_defaults(func=func)
        if takes_db:
            add_db_option(parser)
        return parser


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def open_database(args: argparse.Namespace, *, read_only: bool = False) -> db.Connection:
    """Open ``--db`` (or the configured database); DuckDB's own failures become a plain message."""
    path = db_path(args)
    try:
        return db.connect(path, read_only=True) if read_only else migrations.open_live(path)
    except duckdb.Error as exc:
        raise WorkbenchError(
            f"Cannot open the database {path}: {first_line(exc)}. Check that --db names a workbench "
            "database (build one with `workbench init --db PATH`)."
        ) from None


@contextlib.contextmanager
def reading(args: argparse.Namespace) -> Iterator[db.Connection]:
    """The database, read-only, for a command that changes nothing."""
    con = open_database(args, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextlib.contextmanager
def changing(args: argparse.Namespace) -> Iterator[db.Connection]:
    """The database, read-write, for a command that changes it; the analyst snapshot follows the change.

    When the block ends without an exception the snapshot is refreshed (if ``--db`` is the configured
    database; see :func:`workbench.snapshots.refresh_snapshot_after_command`) and the line saying what happened
    is printed on stderr. A snapshot that cannot be refreshed does not undo the command: the change is
    saved, so a warning is printed and the command's exit code stands.
    """
    con = open_database(args)
    try:
        yield con
        try:
            note = snapshots.refresh_snapshot_after_command(con, args.db)
        except (WorkbenchError, duckdb.Error, OSError) as exc:
            note = (f"The change was saved, but the analyst snapshot was not refreshed: {first_line(exc)} "
                    "Run `workbench snapshot` to publish it.")
        print(note, file=sys.stderr)
    finally:
        con.close()
