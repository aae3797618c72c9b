"""Figures for following a round and for outcomes across rounds: frame in, figure out, no I/O.

Each builder takes the frame of the matching ``workbench.reports`` function.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from workbench.charts.program import PALETTE

#: One colour per communication method and per impact category (colour-blind safe, fixed order).
SERIES = ["#1f6f8b", "#e07a5f", "#3d9970", "#f2cc8f", "#81b29a", "#9a6fb0", "#9aa8b1", "#d62828"]
_PERCENT = {"tickformat": ".0%", "rangemode": "tozero"}
_LAYOUT = {"hovermode": "x unified", "legend": {"orientation": "h", "y": -0.18},
           "margin": {"t": 60, "b": 40, "l": 50, "r": 30}}


def _error(frame: pd.DataFrame, share: str, low: str, high: str) -> dict[str, object]:
    return {"type": "data", "symmetric": False, "array": (frame[high] - frame[share]).tolist(),
            "arrayminus": (frame[share] - frame[low]).tolist(), "thickness": 1.5, "width": 4}


def satisfaction(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> go.Figure:
    """Share satisfied with the program and with the partner per round, with 95% intervals
    (``satisfaction_by_round``)."""
    x = [labels.get(r, r) if labels else r for r in frame["round_id"]]
    fig = go.Figure()
    fig.add_scatter(x=x, y=frame["program_satisfied_share"], name="with the program", mode="lines+markers",
                    line={"color": PALETTE["primary"], "width": 3},
                    error_y=_error(frame, "program_satisfied_share", "program_share_low", "program_share_high"))
    fig.add_scatter(x=x, y=frame["partner_satisfied_share"], name="with their partner", mode="lines+markers",
                    line={"color": PALETTE["accent"], "width": 3, "dash": "dot"},
                    error_y=_error(frame, "partner_satisfied_share", "partner_share_low", "partner_share_high"))
    fig.update_layout(title="Satisfied (4 or 5 of 5), with 95% intervals", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0.5, 1])
    return fig


def satisfaction_returning(frame: pd.DataFrame) -> go.Figure:
    """Returners against newcomers: share satisfied with the program per round, with intervals
    (``satisfaction_by_returning``)."""
    fig = go.Figure()
    for group, colour in (("new", PALETTE["muted"]), ("returning", PALETTE["primary"])):
        part = frame[frame["participant_group"] == group]
        fig.add_bar(x=part["label"], y=part["program_satisfied_share"], name=f"{group} participants",
                    marker_color=colour, error_y=_error(part, "program_satisfied_share", "program_share_low",
                                                        "program_share_high"),
                    customdata=part["respondents"], hovertemplate="%{y:.0%} of %{customdata} respondents")
    fig.update_layout(title="Satisfied with the program: returning participants and newcomers", barmode="group",
                      **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def new_and_returning(frame: pd.DataFrame) -> go.Figure:
    """New and returning participants per round, stacked (``returning_participants`` with labels)."""
    part = frame[frame["participants"] > 0]
    x = part["label"] if "label" in part else part["round_id"]
    fig = go.Figure()
    fig.add_bar(x=x, y=part["new_participants"], name="new", marker_color=PALETTE["muted"])
    fig.add_bar(x=x, y=part["returning_participants"], name="returning", marker_color=PALETTE["primary"],
                text=[f"{s:.0%}" for s in part["returning_share"]], textposition="outside")
    fig.update_layout(title="New and returning participants per round", barmode="stack", **_LAYOUT)
    fig.update_yaxes(title_text="participants")
    return fig


def retention_heatmap(matrix: pd.DataFrame, *, title: str = "Of the participants of a round (rows), the share "
                      "who took part in a later round (columns)") -> go.Figure:
    """A cohort heatmap from :func:`workbench.reports.retention_matrix`."""
    z = matrix.to_numpy(dtype=float)
    text = [["" if pd.isna(v) else f"{v:.0%}" for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=list(matrix.columns), y=list(matrix.index), text=text,
                               texttemplate="%{text}", colorscale="Blues", zmin=0,
                               zmax=max(0.3, float(pd.DataFrame(z).max().max() or 0)),
                               hovertemplate="in %{y}, back in %{x}: %{text}<extra></extra>",
                               colorbar={"tickformat": ".0%"}))
    fig.update_layout(title=title, margin={"t": 60, "b": 40, "l": 90, "r": 30})
    fig.update_yaxes(autorange="reversed", title_text="were in")
    fig.update_xaxes(title_text="came back in", side="bottom")
    return fig


def _line_per_series(frame: pd.DataFrame, *, series: str, order: str, x: str, y: str, title: str) -> go.Figure:
    """One line across rounds per value of ``series`` (in ``order``), coloured from :data:`SERIES`."""
    fig = go.Figure()
    for i, (name, part) in enumerate(frame.sort_values(order).groupby(series, sort=False)):
        fig.add_scatter(x=part[x], y=part[y], name=str(name), mode="lines+markers",
                        line={"color": SERIES[i % len(SERIES)], "width": 2})
    fig.update_layout(title=title, **_LAYOUT)
    return fig


def impact_shares(frame: pd.DataFrame) -> go.Figure:
    """Share of coded respondents per impact category per round (``impact_by_round``)."""
    fig = _line_per_series(frame, series="label", order="category_seq",
                           x="round_label" if "round_label" in frame else "round_id", y="share",
                           title="Impact of taking part: share of coded answers per category")
    fig.update_yaxes(**_PERCENT)
    return fig


def impact_overall(frame: pd.DataFrame) -> go.Figure:
    """All rounds together against the published shares of "Rethinking mentoring" (``impact_overall``)."""
    fig = go.Figure()
    fig.add_bar(y=frame["label"], x=frame["share"], orientation="h", name="this program",
                marker_color=PALETTE["primary"], text=[f"{s:.0%}" for s in frame["share"]], textposition="outside")
    fig.add_scatter(y=frame["label"], x=frame["published_share"], mode="markers", name="Rethinking mentoring",
                    marker={"color": PALETTE["accent"], "size": 12, "symbol": "line-ns-open", "line": {"width": 3}})
    fig.update_layout(title="Impact categories, all rounds", legend={"orientation": "h", "y": -0.15},
                      margin={"t": 60, "b": 40, "l": 220, "r": 30})
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(**_PERCENT)
    return fig


def topic_discussion(frame: pd.DataFrame) -> go.Figure:
    """Per topic of one round: share of partnerships and of check-in respondents who discussed it."""
    x = [f"{s}. {t}" for s, t in zip(frame["topic_seq"], frame["title"], strict=True)]
    fig = go.Figure()
    fig.add_bar(x=x, y=frame["share_of_partnerships"], name="of partnerships", marker_color=PALETTE["primary"])
    fig.add_bar(x=x, y=frame["share_of_respondents"], name="of check-in respondents", marker_color=PALETTE["accent"])
    fig.update_layout(title="Who discussed each topic", barmode="group", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    return fig


def topic_use(frame: pd.DataFrame) -> go.Figure:
    """Share of survey respondents who used the topics at all, per round (``topic_use_by_round``)."""
    fig = go.Figure()
    fig.add_scatter(x=frame["label"], y=frame["share_used_topics"], name="survey respondents who used the topics",
                    mode="lines+markers+text", text=[f"{s:.0%}" for s in frame["share_used_topics"]],
                    textposition="top center", line={"color": PALETTE["primary"], "width": 3})
    fig.update_layout(title="Use of the fortnightly topics across rounds", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig


def methods_by_round(frame: pd.DataFrame) -> go.Figure:
    """Share of reporting partnerships using each method, per round (``communication_methods``)."""
    fig = _line_per_series(frame, series="method", order="method_seq",
                           x="label" if "label" in frame else "round_id", y="share_of_partnerships",
                           title="How partners keep in touch (share of partnerships)")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig


def methods_by_timezone(frame: pd.DataFrame) -> go.Figure:
    """Share of partnerships using each method by how many hours apart the partners live
    (``communication_by_timezone``)."""
    fig = go.Figure()
    colours = [PALETTE["good"], PALETTE["primary"], PALETTE["accent"]]
    for i, (band, part) in enumerate(frame.sort_values("band_seq").groupby("distance_band", sort=False)):
        fig.add_bar(x=part["method"], y=part["share_of_partnerships"], name=f"{band} apart",
                    marker_color=colours[i % len(colours)],
                    customdata=part["partnerships_reporting"],
                    hovertemplate="%{y:.0%} of %{customdata} partnerships")
    fig.update_layout(title="Methods by the time-zone distance between partners", barmode="group", **_LAYOUT)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return fig
