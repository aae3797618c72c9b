"""Figures for presenter mode: large type, a light and a dark theme, and the suppressed applicant map.

Frame in, figure out, no I/O. :func:`themed` restyles any figure for a conference screen; the colours
were chosen for contrast (text 4.5:1 or more against the background in both themes, measured in
``tests/test_present.py``).
"""

from __future__ import annotations

import copy
import math

import pandas as pd
import plotly.graph_objects as go

from workbench.charts.maps import _GEO, _SCALE, _log_ticks
from workbench.charts.program import PALETTE

#: Text and background per theme (both pass WCAG AA for normal text: see :func:`contrast_ratio`).
THEMES: dict[str, dict[str, str]] = {
    "light": {"background": "#ffffff", "text": "#1d2a33", "muted": "#4a5a66", "grid": "#d5dde2",
              "land": "#e9eef1", "ocean": "#f7fafb", "border": "#ffffff", "hidden": "#b8c4cc"},
    "dark": {"background": "#10181e", "text": "#f2f5f7", "muted": "#b9c6cf", "grid": "#33434f",
             "land": "#26343e", "ocean": "#10181e", "border": "#10181e", "hidden": "#5d6d78"},
}
#: The type size of a slide's chart (axis labels and legends; titles larger).
FONT_SIZE = 18


def contrast_ratio(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def themed(figure: go.Figure, theme: str = "light", *, height: int = 560) -> go.Figure:
    """A copy of ``figure`` for the screen: the theme's colours, large type, no title (the slide has one)."""
    colours = THEMES[theme]
    fig = copy.deepcopy(figure)
    fig.update_layout(
        title=None, height=height, paper_bgcolor=colours["background"], plot_bgcolor=colours["background"],
        font={"size": FONT_SIZE, "color": colours["text"]},
        legend={"font": {"size": FONT_SIZE, "color": colours["text"]}, "bgcolor": "rgba(0,0,0,0)"},
        hoverlabel={"font": {"size": FONT_SIZE}}, margin={"t": 20},
    )
    fig.update_xaxes(gridcolor=colours["grid"], linecolor=colours["muted"], tickfont={"color": colours["text"]},
                     title_font={"color": colours["text"]}, zerolinecolor=colours["grid"])
    fig.update_yaxes(gridcolor=colours["grid"], linecolor=colours["muted"], tickfont={"color": colours["text"]},
                     title_font={"color": colours["text"]}, zerolinecolor=colours["grid"])
    fig.update_geos(landcolor=colours["land"], oceancolor=colours["ocean"], countrycolor=colours["border"],
                    bgcolor="rgba(0,0,0,0)")
    fig.update_traces(textfont={"color": colours["text"]}, selector={"type": "bar"})
    fig.update_traces(textfont={"color": colours["text"]}, selector={"type": "scatter"})
    fig.update_coloraxes(colorbar={"tickfont": {"color": colours["text"]},
                                   "title": {"font": {"color": colours["text"]}}})
    return fig


def suppressed_map(countries: pd.DataFrame, *, hidden_label: str,
                   title: str = "Applicants by country") -> go.Figure:
    """Applicants per country, the hidden ones drawn in one neutral colour with no number.

    ``countries``: ``country_iso3``, ``country``, ``applicants``, ``hidden`` (bool), ``label`` (what the
    public sees for the count), ``in_map``, ``lon``, ``lat``. A hidden country's trace carries no count at all
    (not in the hover, not in the colour), so the figure cannot give it away.
    """
    frame = countries[countries["applicants"] > 0]
    shown = frame[~frame["hidden"].astype(bool)].copy()
    hidden = frame[frame["hidden"].astype(bool)]
    top = int(shown["applicants"].max()) if len(shown) else 1
    shown["z"] = [round(math.log10(max(n, 1)), 4) for n in shown["applicants"]]
    fig = go.Figure()
    for part, dots in ((shown, False), (shown, True)):
        sel = part[part["in_map"].astype(bool) != dots]
        if sel.empty:
            continue
        hover = [f"<b>{c}</b><br>{label} applicants" for c, label in zip(sel["country"], sel["label"], strict=True)]
        if dots:
            fig.add_trace(go.Scattergeo(lon=sel["lon"], lat=sel["lat"], mode="markers", name="Small states",
                                        marker={"size": 10, "color": sel["z"], "coloraxis": "coloraxis"},
                                        text=hover, hovertemplate="%{text}<extra></extra>", showlegend=False))
        else:
            fig.add_trace(go.Choropleth(locations=sel["country_iso3"], locationmode="ISO-3", z=sel["z"],
                                        coloraxis="coloraxis", text=hover, hovertemplate="%{text}<extra></extra>",
                                        name="Applicants", marker={"line": {"width": 0.5}}))
    for dots in (False, True):
        sel = hidden[hidden["in_map"].astype(bool) != dots]
        if sel.empty:
            continue
        hover = [f"<b>{c}</b><br>{hidden_label}" for c in sel["country"]]
        if dots:
            fig.add_trace(go.Scattergeo(lon=sel["lon"], lat=sel["lat"], mode="markers", name=hidden_label,
                                        marker={"size": 10, "color": "#b8c4cc", "line": {"width": 1,
                                                                                         "color": "#5d6d78"}},
                                        text=hover, hovertemplate="%{text}<extra></extra>", showlegend=False))
        else:
            fig.add_trace(go.Choropleth(locations=sel["country_iso3"], locationmode="ISO-3",
                                        z=[0] * len(sel), colorscale=[[0, "#b8c4cc"], [1, "#b8c4cc"]],
                                        showscale=False, text=hover, hovertemplate="%{text}<extra></extra>",
                                        name=hidden_label, marker={"line": {"width": 0.5}}))
    ticks, labels = _log_ticks(top)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"}, geo=_GEO, height=520,
        margin={"l": 0, "r": 0, "t": 40, "b": 0}, showlegend=False, dragmode=False,
        coloraxis={"colorscale": _SCALE, "cmin": 0, "cmax": max(math.log10(max(top, 1)), 0.5),
                   "colorbar": {"title": {"text": "applicants", "side": "top"}, "tickvals": ticks,
                                "ticktext": labels, "orientation": "h", "thickness": 12, "len": 0.5,
                                "x": 0.5, "xanchor": "center", "y": -0.02, "yanchor": "top"}},
    )
    return fig


def method_shares(frame: pd.DataFrame) -> go.Figure:
    """Share of partnerships using each method, all rounds together (``communication_across_rounds``),
    largest first; ``share_of_partnerships`` may be missing where a count is hidden."""
    order = frame.sort_values("share_of_partnerships", ascending=True, na_position="first")
    fig = go.Figure(go.Bar(
        y=order["method"], x=order["share_of_partnerships"], orientation="h", marker_color=PALETTE["primary"],
        text=["" if pd.isna(s) else f"{s:.0%}" for s in order["share_of_partnerships"]], textposition="outside",
        hovertemplate="%{y}: %{x:.0%} of partnerships<extra></extra>", name="share of partnerships"))
    fig.update_layout(title="How partners keep in touch", margin={"t": 60, "b": 40, "l": 160, "r": 40},
                      showlegend=False)
    fig.update_xaxes(tickformat=".0%", range=[0, 1.12])
    return fig
