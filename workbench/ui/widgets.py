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
import streamlit as st

from workbench import exports, reports
from workbench.db import Connection

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
    """A select box of the rounds, remembered across pages; defaults to the newest round."""
    table = reports.rounds(con)
    if matched_only:
        summary = reports.round_summary(con)
        table = table[table["round_id"].isin(summary.loc[summary["participants"] > 0, "round_id"])]
    options = list(table["round_id"])
    labels = dict(zip(table["round_id"], table["label"] + "  ·  " + table["status"], strict=True))
    remembered = st.session_state.get(_ROUND_KEY)
    index = options.index(remembered) if remembered in options else len(options) - 1
    where = st.sidebar if sidebar else st
    choice = where.selectbox(label, options, index=index, format_func=labels.__getitem__,
                             key=f"round_picker_{'matched' if matched_only else 'all'}")
    st.session_state[_ROUND_KEY] = choice
    return str(choice)


def percent(value: float | None, digits: int = 0) -> str:
    """``0.853`` -> ``85%``; ``None`` -> an em dash."""
    return "—" if value is None else f"{value:.{digits}%}"
