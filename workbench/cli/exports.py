"""``workbench export partnerships`` and ``workbench export introductions``: the Matching page's downloads.

Each command writes exactly the file the page offers, from the same library function
(:func:`workbench.messages.introductions.partnerships_csv`, :func:`~workbench.messages.introductions.mail_merge_csv`,
:func:`~workbench.messages.introductions.eml_zip`, with the page's default template unless ``--subject`` or
``--body-file`` say otherwise), as :func:`~workbench.access.command_line_user`. An ``.eml`` carries its
own Date and Message-ID, so two zips of the same round differ in those two headers only.
Every CSV goes through :mod:`workbench.exports`, so a participant's text never runs as a spreadsheet formula.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from workbench import files, matchstore
from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, add_db_option, reading
from workbench.errors import WorkbenchError
from workbench.messages import introductions

FORMATS = ("eml", "mail-merge")


def register(commands: Commands) -> None:
    """Add ``export partnerships`` and ``export introductions``."""
    top = commands.add("export", _cmd_missing, "Export a round's published partnerships or introduction emails.",
                       description="Write the files the Matching page downloads.")
    what = top.add_subparsers(dest="what", required=True, metavar="WHAT")

    p = what.add_parser("partnerships", help="One CSV row per member of the round's published partnerships.",
                        description="Write the round's published partnerships as the Matching page's CSV.")
    p.set_defaults(func=_cmd_partnerships)
    p.add_argument("--round", required=True, help="the round, e.g. 2016B")
    p.add_argument("--out", required=True, type=Path, help="CSV file to write")
    add_db_option(p)

    p = what.add_parser("introductions", help="Introduction emails: .eml files in a zip, or a mail-merge CSV.",
                        description="Write one introduction per published partnership of the round, from the "
                                    "default template, as the Matching page's downloads.")
    p.set_defaults(func=_cmd_introductions)
    p.add_argument("--round", required=True, help="the round, e.g. 2016B")
    p.add_argument("--out", required=True, type=Path, help="file to write (a .zip for eml, a .csv for mail-merge)")
    p.add_argument("--format", required=True, choices=FORMATS,
                   help="eml: a zip of .eml messages; mail-merge: one CSV row per partnership")
    p.add_argument("--subject", default=introductions.DEFAULT_SUBJECT,
                   help="the subject template (default: the Matching page's)")
    p.add_argument("--body-file", type=Path, default=None, metavar="FILE",
                   help="a UTF-8 file holding the message template (default: the Matching page's); placeholders: "
                        + ", ".join("{" + name + "}" for name in introductions.PLACEHOLDERS).replace("%", "%%"))
    add_db_option(p)


def _cmd_missing(args: argparse.Namespace) -> int:  # argparse requires WHAT; kept for a clear message
    raise UsageError("Say what to export: `workbench export partnerships` or `workbench export introductions`.")


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, then move it into place (no half-written export)."""
    if path.is_dir():
        raise UsageError(f"--out {path} is a folder; give a file name.")
    files.write_private(path, data)  # owner-only from the first byte, moved into place whole


def _cmd_partnerships(args: argparse.Namespace) -> int:
    with reading(args) as con:
        matchstore.round_row(con, args.round)  # an unknown round is named, with the known ones
        data = introductions.partnerships_csv(con, args.round, by=command_line_user())
    rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1
    if rows <= 0:
        raise WorkbenchError(f"Round {args.round} has no published partnerships yet: publish a matching run first.")
    _write(args.out, data)
    print(f"Wrote {rows:,} partnership members of {args.round} to {args.out}.")
    return 0


def _cmd_introductions(args: argparse.Namespace) -> int:
    body = introductions.DEFAULT_BODY
    if args.body_file is not None:
        if not args.body_file.is_file():
            raise UsageError(f"--body-file {args.body_file} is not a file.")
        body = args.body_file.read_text(encoding="utf-8")
    with reading(args) as con:
        matchstore.round_row(con, args.round)
        intros = introductions.introductions(con, args.round, by=command_line_user(), subject=args.subject,
                                             body=body)
    data = introductions.eml_zip(intros) if args.format == "eml" else introductions.mail_merge_csv(intros)
    _write(args.out, data)
    print(f"Wrote {len(intros):,} introductions of {args.round} to {args.out} ({args.format}).")
    return 0
