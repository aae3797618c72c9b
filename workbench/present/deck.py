"""Named decks (slides in order and a round) and the deck as one self-contained HTML file.

Decks live in the program's settings (``present_decks``: name -> ``{"slides": [...], "round": ...}``),
changed through :func:`workbench.program.set_setting`, so each save is versioned and audited. Saving and
deleting a deck is for the roles that prepare the program's talks (``Action.EDIT_DECKS``: directors,
coordinators, presenters); an analyst or a country coordinator shows decks but may not overwrite or wipe them.

The HTML file asks for nothing outside itself: plotly.js is inlined, and so is the world map geometry
(``static/topojson/world_110m.json``), registered with plotly.js before any chart draws
(``window.PlotlyGeoAssets.topojson["world_110m"]``: plotly.js fetches a topology only when it is not there
already). No web font, no image, no link out.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from workbench import files, program
from workbench.access import RULES, Action, NotAllowed, User, may, require
from workbench.charts.present import THEMES, themed
from workbench.db import Connection
from workbench.errors import NotFound
from workbench.present.slides import SLIDES, Slide, build_slides, check_keys, context

ROOT = Path(__file__).resolve().parents[2]
TOPOJSON = ROOT / "static" / "topojson" / "world_110m.json"
#: The name plotly.js gives the world topology at 1:110m (scope "world", resolution 110).
TOPOJSON_NAME = "world_110m"


@dataclass(frozen=True)
class Deck:
    """A presenter's deck: the slides in order and the round (None: the current round)."""

    name: str
    slides: tuple[str, ...]
    round_id: str | None = None


#: What the Present page and the export show when no deck is named.
ALL_SLIDES = Deck("All slides", tuple(SLIDES), None)


def decks(con: Connection) -> dict[str, Deck]:
    """The saved decks by name (the built-in "All slides" first)."""
    stored = program.get_setting(con, "present_decks") or {}
    found = {ALL_SLIDES.name: ALL_SLIDES}
    for name, deck in stored.items():
        found[name] = Deck(name, tuple(s for s in deck["slides"] if s in SLIDES), deck.get("round"))
    return found


def deck_named(con: Connection, name: str | None) -> Deck:
    """The deck called ``name`` (None: all slides); NotFound names the decks there are."""
    if name is None:
        return ALL_SLIDES
    found = decks(con)
    if name not in found:
        raise NotFound(f"There is no deck {name!r}; the decks are: {', '.join(found)}. Save one on the Present page.")
    return found[name]


def may_edit_decks(user: User | None) -> bool:
    """May ``user`` save and delete the program's decks?"""
    return may(user, Action.EDIT_DECKS)


def _require_deck_editor(user: User | None, what: str) -> User:
    require(user, Action.PRESENT)
    assert user is not None  # require refuses None
    if not may_edit_decks(user):
        allowed = " or ".join(sorted(RULES[Action.EDIT_DECKS]))
        raise NotAllowed(f"{user.describe()} may not {what} the program's decks: that needs the {allowed} role. "
                         "Show a saved deck, or ask a coordinator to save this one.")
    return user


def save_deck(con: Connection, name: str, slides: Sequence[str], round_id: str | None, *, by: User) -> Deck:
    """Save (or replace) the deck ``name``: the slides in this order, for ``round_id`` (None: current round).
    For the roles of ``Action.EDIT_DECKS`` only."""
    _require_deck_editor(by, "save")
    name = name.strip()
    if not name:
        raise NotFound("Give the deck a name before saving it.")
    if name == ALL_SLIDES.name:
        raise NotFound(f"“{ALL_SLIDES.name}” is built in; save your deck under another name.")
    keys = check_keys(list(slides))
    if round_id is not None:
        context(con, round_id)  # the round exists
    stored = dict(program.get_setting(con, "present_decks") or {})
    stored[name] = {"slides": keys, "round": round_id}
    program.set_setting(con, "present_decks", stored, by=by)
    return Deck(name, tuple(keys), round_id)


def delete_deck(con: Connection, name: str, *, by: User) -> None:
    """Delete the saved deck ``name``. For the roles of ``Action.EDIT_DECKS`` only."""
    _require_deck_editor(by, "delete")
    stored = dict(program.get_setting(con, "present_decks") or {})
    if name not in stored:
        raise NotFound(f"There is no saved deck {name!r}.")
    del stored[name]
    program.set_setting(con, "present_decks", stored, by=by)


# -- the HTML file ------------------------------------------------------------------------------------


def topojson_script() -> str:
    """JavaScript registering the vendored world map with plotly.js, so it never fetches one."""
    topology = TOPOJSON.read_text(encoding="utf-8")
    return ("(window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}}).topojson = "
            f"Object.assign(window.PlotlyGeoAssets.topojson || {{}}, {{{json.dumps(TOPOJSON_NAME)}: {topology}}});")


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


_CSS = """
:root {{ color-scheme: {scheme}; }}
body {{ margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       background: {background}; color: {text}; font-size: 20px; line-height: 1.45; }}
header.deck {{ padding: 1rem 2rem; border-bottom: 1px solid {grid}; display: flex; gap: 1rem; align-items: center; }}
header.deck h1 {{ font-size: 1.4rem; margin: 0; flex: 1; }}
section.slide {{ min-height: 100vh; box-sizing: border-box; padding: 2rem 3rem; border-bottom: 1px solid {grid}; }}
section.slide h2 {{ font-size: 2.4rem; margin: 0 0 1rem; }}
p.takeaway {{ font-size: 1.6rem; margin: 1rem 0; }}
blockquote {{ font-size: 1.3rem; border-left: 4px solid {muted}; margin: 1rem 0; padding-left: 1rem; }}
details {{ margin-top: 1rem; }} summary {{ cursor: pointer; font-size: 1.1rem; }}
table {{ border-collapse: collapse; margin-top: .5rem; font-size: 1rem; }}
caption {{ text-align: left; font-weight: 600; padding: .3rem 0; }}
th, td {{ border: 1px solid {grid}; padding: .25rem .6rem; text-align: left; }}
button {{ font-size: 1rem; padding: .4rem 1rem; background: {background}; color: {text};
          border: 1px solid {text}; border-radius: .3rem; cursor: pointer; }}
.slide-number {{ color: {muted}; font-size: 1rem; }}
"""

_SCRIPT = """
(function () {
  var slides = Array.prototype.slice.call(document.querySelectorAll('section.slide'));
  var current = 0;
  function go(i) {
    current = Math.max(0, Math.min(slides.length - 1, i));
    slides[current].scrollIntoView({behavior: 'instant', block: 'start'});
    slides[current].focus({preventScroll: true});
  }
  document.getElementById('previous').addEventListener('click', function () { go(current - 1); });
  document.getElementById('next').addEventListener('click', function () { go(current + 1); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight' || e.key === 'PageDown') { go(current + 1); e.preventDefault(); }
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') { go(current - 1); e.preventDefault(); }
  });
})();
"""


def _table_html(slide: Slide, index: int) -> str:
    table = slide.table.to_html(index=False, escape=True, border=0, na_rep="")
    caption = f"<caption>{html.escape(slide.caption)}</caption>"
    table = table.replace('<table class="dataframe">', f'<table id="table-{index}">{caption}', 1)
    return f"<details><summary>The numbers behind the chart</summary>{table}</details>"


def deck_html(slides: Sequence[Slide], *, title: str, theme: str = "light") -> str:
    """The deck as one HTML document: every slide's title, chart, takeaway, quote and table."""
    colours = THEMES[theme]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS.format(scheme=theme, **colours)}</style>",
        f"<script>{topojson_script()}</script>",
        f"<script>{plotly_js()}</script>",
        "</head><body>",
        f'<header class="deck"><h1>{html.escape(title)}</h1>'
        '<button id="previous" type="button">Previous</button><button id="next" type="button">Next</button></header>',
        "<main>",
    ]
    config = {"displaylogo": False, "responsive": True}
    for i, slide in enumerate(slides, start=1):
        chart = themed(slide.figure, theme).to_html(full_html=False, include_plotlyjs=False, config=config,
                                                    div_id=f"chart-{i}", default_width="100%")
        quote = f"<blockquote>{html.escape(slide.quote)}</blockquote>" if slide.quote else ""
        parts.append(
            f'<section class="slide" id="slide-{i}" tabindex="-1" aria-labelledby="title-{i}">'
            f'<p class="slide-number">{i} / {len(slides)}</p>'
            f'<h2 id="title-{i}">{html.escape(slide.title)}</h2>'
            f'<figure role="group" aria-label="{html.escape(slide.title)}: chart" '
            f'aria-describedby="takeaway-{i}" style="margin:0">{chart}</figure>'
            f'<p class="takeaway" id="takeaway-{i}">{html.escape(slide.takeaway)}</p>'
            f"{quote}{_table_html(slide, i)}</section>")
    parts += ["</main>", f"<script>{_SCRIPT}</script>", "</body></html>"]
    return "\n".join(parts)


def export_html(con: Connection, out: Path, *, deck: Deck | None = None, round_id: str | None = None,
                theme: str = "light") -> Path:
    """Write the deck (default: all slides) for ``round_id`` (default: the deck's, else the current round)."""
    deck = deck or ALL_SLIDES
    ctx = context(con, round_id or deck.round_id)
    slides = build_slides(con, deck.slides, round_id=ctx.round_id)
    title = f"{deck.name} · {ctx.round_label}"
    return files.write_private(Path(out), deck_html(slides, title=title, theme=theme).encode("utf-8"))
