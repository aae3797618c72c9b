"""Presenter mode: live, anonymous slides for a conference screen, a self-contained HTML deck, PNG/SVG images.

- :mod:`~workbench.present.slides`: the slide list; each slide a title, one chart, a takeaway sentence and
  the numbers behind the chart, built from ``workbench.reports`` and ``workbench.charts``;
- :mod:`~workbench.present.suppression`: small counts hidden ("fewer than 5"), with complementary
  suppression so no hidden count comes back by subtraction;
- :mod:`~workbench.present.deck`: named decks (slides in order and a round, in the program's settings) and
  the one-file HTML export (plotly.js and the map geometry inside);
- :mod:`~workbench.present.images`: PNG and SVG per slide through kaleido and the system Chromium.

The program settings this mode reads are declared with the others in :mod:`workbench.program.settings`:
``present_published`` (the Present page opens without sign-in), ``small_count_threshold`` (default 5) and
``present_decks`` (the named decks).
"""

from __future__ import annotations

from typing import Any

from workbench import program


def is_published(con: Any) -> bool:
    """Does the program publish the Present page (no sign-in needed for it)?"""
    return bool(program.get_setting(con, "present_published"))


__all__ = ["is_published"]
