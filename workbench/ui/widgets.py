"""Widgets shared by the pages."""

from __future__ import annotations

import streamlit as st

from workbench import reports
from workbench.db import Connection

_ROUND_KEY = "selected_round"


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
