"""Plotly figure builders shared by pages and presenter mode: frame in, figure out, no I/O."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = {"primary": "#1f6f8b", "accent": "#e07a5f", "muted": "#9aa8b1", "good": "#3d9970"}


def growth(summary: pd.DataFrame) -> go.Figure:
    """Participants (bars) and countries (line, right axis) per round, from ``round_summary``.

    Rounds not matched yet show their applications as a lighter bar.
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    matched = summary[summary["participants"] > 0]
    pending = summary[summary["participants"] == 0]
    fig.add_bar(x=matched["label"], y=matched["participants"], name="Participants",
                marker_color=PALETTE["primary"], text=matched["participants"], textposition="outside")
    if not pending.empty:
        fig.add_bar(x=pending["label"], y=pending["applications"], name="Applications (not matched yet)",
                    marker_color=PALETTE["muted"], text=pending["applications"], textposition="outside")
    fig.add_scatter(x=matched["label"], y=matched["countries"], name="Countries", mode="lines+markers",
                    line={"color": PALETTE["accent"], "width": 3}, marker={"size": 9}, secondary_y=True)
    fig.update_layout(
        title="Participants and countries per round", barmode="group", hovermode="x unified",
        legend={"orientation": "h", "y": -0.15}, margin={"t": 60, "b": 40, "l": 40, "r": 40},
        xaxis={"categoryorder": "array", "categoryarray": list(summary["label"])},
    )
    top = max(int(summary["participants"].max()), int(summary["applications"].max()))
    fig.update_yaxes(title_text="participants", range=[0, top * 1.15], secondary_y=False)
    top_countries = max(int(summary["countries"].max()), 1)
    fig.update_yaxes(title_text="countries", range=[0, (top_countries * 1.3 // 20 + 1) * 20], tickmode="auto",
                     secondary_y=True, showgrid=False)
    return fig
