"""Presenter mode: live, anonymous slides for a conference screen, a self-contained HTML deck, PNG/SVG images.

- :mod:`~workbench.present.slides`: the slide list; each slide a title, one chart, a takeaway sentence and
  the numbers behind the chart, built from ``workbench.reports`` and ``workbench.charts``;
- :mod:`~workbench.present.suppression`: small counts hidden ("fewer than 5"), with complementary
  suppression so no hidden count comes back by subtraction;
- :mod:`~workbench.present.deck`: named decks (slides in order and a round, in the program's settings) and
  the one-file HTML export (plotly.js and the map geometry inside);
- :mod:`~workbench.present.images`: PNG and SVG per slide through kaleido and the system Chromium.

The program settings this mode reads are declared here and registered with :mod:`workbench.program`:
``present_published`` (the Present page opens without sign-in), ``small_count_threshold`` (default 5) and
``present_decks`` (the named decks).
"""

from __future__ import annotations

import json
from typing import Any

from workbench import program
from workbench.present.suppression import DEFAULT_THRESHOLD
from workbench.program import Setting, SettingError


def _published(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "on", "1"}:
        return True
    if text in {"false", "no", "off", "0", ""}:
        return False
    raise SettingError(f"Publishing the Present page is yes or no, not {value!r}.")


def _threshold(value: Any) -> int:
    if isinstance(value, bool):
        raise SettingError("The small-count threshold is a whole number (5 hides counts from 1 to 4).")
    try:
        number = value if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise SettingError(f"The small-count threshold is a whole number, not {value!r}.") from None
    if number < 2 or number > 100:
        raise SettingError(f"The small-count threshold must be between 2 and 100 (got {number}); 5 hides counts "
                           "from 1 to 4.")
    return number


def _decks(value: Any) -> dict[str, dict[str, Any]]:
    from workbench.present.slides import SLIDES

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SettingError(f"The decks setting is JSON: {exc.msg} at character {exc.pos}.") from None
    if not isinstance(value, dict):
        raise SettingError("The decks setting is an object: deck name -> {\"slides\": [...], \"round\": ...}.")
    out: dict[str, dict[str, Any]] = {}
    for name, deck in value.items():
        where = f"Deck {name!r}"
        if not str(name).strip():
            raise SettingError("A deck needs a name.")
        if not isinstance(deck, dict) or not isinstance(deck.get("slides"), list) or not deck["slides"]:
            raise SettingError(f"{where} needs a list of slides (some of: {', '.join(SLIDES)}).")
        unknown = [s for s in deck["slides"] if s not in SLIDES]
        if unknown:
            raise SettingError(f"{where} names unknown slides {', '.join(map(repr, unknown))}; the slides are: "
                               f"{', '.join(SLIDES)}.")
        if len(set(deck["slides"])) != len(deck["slides"]):
            raise SettingError(f"{where} lists a slide twice; list each slide once.")
        round_id = deck.get("round")
        if round_id is not None and not isinstance(round_id, str):
            raise SettingError(f"{where}: the round is a round id such as \"2016B\", or null for the current round.")
        out[str(name).strip()] = {"slides": list(deck["slides"]), "round": round_id}
    return out


#: The settings presenter mode adds to the program's.
SETTINGS = (
    Setting("present_published", "Present page without sign-in",
            "When on, the Present page (aggregates only) opens for anyone who reaches the app, without signing "
            "in; nothing else does.", False, _published),
    Setting("small_count_threshold", "Small-count threshold",
            "Counts below this number show as \"fewer than N\" on the Present page, its exports and the HTML deck "
            "(with complementary suppression).", DEFAULT_THRESHOLD, _threshold),
    Setting("present_decks", "Presenter decks",
            "Named decks of the Present page: the slides in order and the round.", {}, _decks),
)
for _setting in SETTINGS:
    program.SETTINGS.setdefault(_setting.key, _setting)


def is_published(con: Any) -> bool:
    """Does the program publish the Present page (no sign-in needed for it)?"""
    return bool(program.get_setting(con, "present_published"))


__all__ = ["SETTINGS", "is_published"]
