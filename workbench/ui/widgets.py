"""Widgets shared by the pages, and the two ways participants' text reaches the screen safely.

Streamlit renders Markdown in st.markdown / write / caption / the alerts / headings, in widget labels and
help, radio options, expander and tab labels. A participant's name, survey answer or case reason is text:
put inside such a string it goes through :func:`md_text` (Markdown's special characters escaped, one line),
so ``![x](http://…)`` shows as written instead of making the browser fetch an image. Tables that show
participants' text go through :func:`safe_table`, so their own "Download as CSV" holds no cell a spreadsheet
would run as a formula (the rule is :func:`workbench.exports.safe_cell`'s).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pycountry
import streamlit as st

from workbench import exports, matchstore, reports
from workbench.applications.rounds import all_rounds
from workbench.countries import country_name, main_timezone
from workbench.db import Connection
from workbench.matching.rules import CROSS_BORDER

_ROUND_KEY = "selected_round"

#: Characters that start Markdown syntax Streamlit renders inline: emphasis, code, links and images, HTML and
#: autolinks, math, strikethrough, tables, headings, directives (``:red[…]``) and the backslash itself.
_SPECIALS = re.compile(r"([\\`*_\[\]<>!$~|#{}])")
#: What starts a block (a list, a quote, a numbered item, a setext underline) at the start of a line.
_BLOCK_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
#: Written as character references by :func:`html_text`.
_HTML_SPECIALS = frozenset("&<>\"'\\`*_[]!$~|#{}")


def md_text(value: Any) -> str:
    """``value`` as text inside Markdown: every special character escaped, line breaks made spaces.

    ``![x](http://h/x.png)`` -> ``\\!\\[x\\](http://h/x.png)``, which Streamlit shows as written. Ordinary
    text (letters, digits, spaces, ``.,;:'"()-``) is unchanged. ``None`` -> ``""``.
    """
    if value is None or (isinstance(value, float) and value != value):
        return ""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _SPECIALS.sub(r"\\\1", text)
    return _BLOCK_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def html_text(value: Any) -> str:
    """``value`` as text inside HTML that Streamlit's Markdown renders (``unsafe_allow_html``): on one line (a
    blank line would end the HTML block and start Markdown), with HTML's and Markdown's special characters as
    character references, so nothing in it is read as markup of either kind."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    return "".join(f"&#{ord(c)};" if c in _HTML_SPECIALS else c for c in text)


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for st.dataframe whose text cells a spreadsheet shows as text.

    The table's own "Download as CSV" writes the cells as they are shown, so a cell that starts like a formula
    (``=``, ``+``, ``-``, ``@``, their full-width forms, a tab, a carriage return) gets the leading apostrophe
    of :func:`workbench.exports.safe_cell`. Numbers, dates and lists are left as they are.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        texts = values.dtype == object or pd.api.types.is_string_dtype(values.dtype)
        if texts and any(isinstance(v, str) and v != exports.safe_cell(v) for v in values):
            out[column] = [exports.safe_cell(v) for v in values]
    return out


def round_picker(con: Connection, *, label: str = "Round", matched_only: bool = False,
                 sidebar: bool = True) -> str:
    """A select box of the rounds, remembered across pages; defaults to the newest round.

    The options are the rounds' labels alone: the select box keeps the text of the option chosen, so a status in
    it would stay "open" after the round is published. The chosen round's status is said below it, read afresh on
    every run (:class:`~workbench.applications.round.Round`)."""
    rounds = {r.round_id: r for r in all_rounds(con)}
    if matched_only:
        summary = reports.round_summary(con)
        matched = set(summary.loc[summary["participants"] > 0, "round_id"])
        rounds = {k: r for k, r in rounds.items() if k in matched}
    options = list(rounds)
    remembered = st.session_state.get(_ROUND_KEY)
    index = options.index(remembered) if remembered in options else len(options) - 1
    where = st.sidebar if sidebar else st
    choice = where.selectbox(label, options, index=index, format_func=lambda r: rounds[r].label,
                             key=f"round_picker_{'matched' if matched_only else 'all'}")
    if choice in rounds:
        where.caption(f"{md_text(rounds[choice].label)} is {rounds[choice].status_words}.")
    st.session_state[_ROUND_KEY] = choice
    return str(choice)


#: Countries a coordinator easily confuses, told apart by their full names and capitals when one is to confirm.
_LOOKALIKES = frozenset({"COG", "COD"})


def _full_name(iso3: str) -> str:
    """The country's full name ("Democratic Republic of the Congo"), from pycountry, else the table's."""
    found = pycountry.countries.get(alpha_3=iso3)
    name = str(getattr(found, "official_name", None) or getattr(found, "name", "") or country_name(iso3))
    head, comma, tail = name.partition(", ")  # "Congo, The Democratic Republic of the": turned round
    return f"{tail.removeprefix('The ')} {head}" if comma else name


def _capital(iso3: str) -> str:
    """The city of the country's main time zone in the country table (the capital, for the lookalikes)."""
    return main_timezone(iso3).rsplit("/", 1)[-1].replace("_", " ")


def country_choice(iso3: str, name: str) -> str:
    """An option of a "which country is it" select box: ``Ghana (GHA)``; for Congo and DR Congo, the full name and
    the capital too: ``Democratic Republic of the Congo (Kinshasa) · COD``."""
    if iso3 in _LOOKALIKES:
        return f"{_full_name(iso3)} ({_capital(iso3)}) · {iso3}"
    return f"{name} ({iso3})"


def telling_apart(codes: list[str]) -> str:
    """A line telling the lookalike countries among ``codes`` apart (by full name and capital), else ""."""
    found = [c for c in codes if c in _LOOKALIKES]
    if len(found) < 2:
        return ""
    return "Two countries: " + "; ".join(f"{country_name(c)} is the {_full_name(c)}, capital {_capital(c)}"
                                         for c in found) + ". The rows' time zones and languages help decide."


def cross_border_words(con: Connection) -> str:
    """The program's cross-border rule in its own words (:data:`workbench.matching.rules.CROSS_BORDER`), for a
    page's text: "partners live in different countries", "partners work at different organisations", …"""
    return f"partners {CROSS_BORDER[matchstore.cross_border(con)].must}"


def percent(value: float | None, digits: int = 0) -> str:
    """``0.853`` -> ``85%``; ``None`` -> an em dash."""
    return "—" if value is None else f"{value:.{digits}%}"
