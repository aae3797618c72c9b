"""``workbench present export``: the presenter's deck as one offline HTML file, or one PNG/SVG per slide.

    workbench present export --out deck.html [--round R] [--deck NAME] [--db PATH]
    workbench present export --format png --out DIR [--round R] [--deck NAME] [--db PATH]

Aggregates only, small counts hidden as on the Present page (setting ``small_count_threshold``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from workbench.access import command_line_user
from workbench.cli._common import Commands, UsageError, add_db_option, reading
from workbench.present import deck as decks
from workbench.present import images, slides

FORMATS = ("html", *images.FORMATS)


def register(commands: Commands) -> None:
    """Add ``present export``."""
    top = commands.add("present", _cmd_missing, "Export the Present page's slides (aggregates only).",
                       description="Presenter mode from the command line.")
    what = top.add_subparsers(dest="what", required=True, metavar="WHAT")
    p = what.add_parser(
        "export", help="The deck as one self-contained HTML file, or one PNG/SVG image per slide.",
        description="Write the deck (default: all slides, the current round) as one HTML file that opens offline "
                    "(plotly.js and the map inside), or with --format png|svg one image per slide into a folder.")
    p.set_defaults(func=_cmd_export)
    p.add_argument("--out", required=True, type=Path,
                   help="the HTML file to write (html), or the folder for the images (png, svg)")
    p.add_argument("--format", choices=FORMATS, default="html", help="html (default), png or svg")
    p.add_argument("--round", default=None, help="the round, e.g. 2016B (default: the deck's, else the current round)")
    p.add_argument("--deck", default=None, metavar="NAME",
                   help="a deck saved on the Present page (default: all slides)")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="colours (default: light)")
    add_db_option(p)


def _cmd_missing(args: argparse.Namespace) -> int:
    raise UsageError("Say what to do: `workbench present export --out deck.html`.")


def _cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.format == "html" and out.exists() and out.is_dir():
        raise UsageError(f"{out} is a folder; give --out a file name such as {out / 'deck.html'}.")
    if args.format != "html" and out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; with --format {args.format}, --out is the folder for one image per slide.")
    started = time.perf_counter()
    with reading(args) as con:
        deck = decks.deck_named(con, args.deck)
        if args.format == "html":
            written = [decks.export_html(con, out, deck=deck, round_id=args.round, theme=args.theme)]
        else:
            built = slides.build_slides(con, deck.slides, round_id=args.round or deck.round_id)
            written = images.export_images(built, out, args.format, theme=args.theme, by=command_line_user())
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in written)
    what = "the deck" if args.format == "html" else f"{len(written)} {args.format.upper()} images"
    print(f"Wrote {what} to {out} ({size / 1e6:.1f} MB, {seconds:.1f} s).", file=sys.stderr)
    for path in written:
        print(path)
    return 0
