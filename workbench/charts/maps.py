"""World maps: applicants by country (a choropleth) and partnerships between countries (arcs).

Pure figure builders (frame in, figure out). Plotly draws geo figures with a topojson file it fetches
in the browser; :func:`map_config` points it at the copy the app serves itself
(``static/topojson/world_110m.json``), so the maps draw with the network cut. Small states the 1:110m
geometry does not draw as shapes (Singapore, Malta, the Maldives …) are drawn as dots at their
centroid, coloured on the same scale.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from workbench.charts.program import PALETTE

#: Where Streamlit serves ``static/topojson/`` (``server.enableStaticServing``), below the base path.
TOPOJSON_PATH = "app/static/topojson/"
#: The file plotly.js fetches for a world map at 1:110m (``<topojsonURL>world_110m.json``).
TOPOJSON_FILE = "world_110m.json"

_SCALE = [[0.0, "#dcebf1"], [0.35, "#8fc0d3"], [0.7, "#3f8aa8"], [1.0, "#0f4c63"]]
_CAP_LINE = PALETTE["accent"]
_SELECTED_LINE = "#1d2a33"
_GEO: dict[str, Any] = {
    "projection_type": "natural earth", "showframe": False, "showcoastlines": False,
    "showcountries": True, "countrycolor": "#ffffff", "countrywidth": 0.5,
    "showland": True, "landcolor": "#e9eef1", "showocean": True, "oceancolor": "#f7fafb",
    "showlakes": False, "lataxis_range": [-57, 84], "bgcolor": "rgba(0,0,0,0)",
}


def map_config(base_url_path: str = "") -> dict[str, Any]:
    """The plotly config for ``st.plotly_chart``: the vendored geometry, served by the app itself.

    ``base_url_path`` is Streamlit's ``server.baseUrlPath`` (empty when the app runs at the root).
    """
    base = base_url_path.strip("/")
    prefix = f"/{base}/" if base else "/"
    return {"topojsonURL": f"{prefix}{TOPOJSON_PATH}", "displaylogo": False,
            "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def _log_ticks(top: int) -> tuple[list[float], list[str]]:
    values = [v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000) if v <= max(top, 1)]
    return [math.log10(v) for v in values], [f"{v:,}" for v in values]


def applicant_map(countries: pd.DataFrame, *, selected: str | None = None,
                  title: str = "Applicants by country") -> go.Figure:
    """A choropleth of applicants per country from :func:`workbench.reports.applicant_countries`.

    Colour: applicants (log scale). Hover: the counts and the country's share. Countries at the cap
    are outlined in the accent colour, the ``selected`` country in dark.
    """
    shown = countries[countries["applicants"] > 0].copy()
    at_cap = countries["is_at_cap"].astype(bool)
    outline_only = countries[at_cap & (countries["applicants"] == 0)]
    shown = pd.concat([shown, outline_only]) if len(outline_only) else shown
    top = int(shown["applicants"].max()) if len(shown) else 1
    shown["z"] = np.log10(shown["applicants"].clip(lower=1).astype(float))
    shown["cap_text"] = np.where(
        shown["is_at_cap"].astype(bool),
        "At the cap: " + shown["round_applications"].map("{:,}".format) + " applications, cap "
        + shown["cap"].map("{:,}".format) + (", " + shown["waitlisted_by_cap"].map("{:,}".format)
                                             + " waitlisted"),
        "",
    )
    custom = shown[["country_iso3", "country", "applicants", "share", "accepted", "waitlisted", "returning",
                    "cap_text"]].to_numpy(dtype=object)
    hover = ("<b>%{customdata[1]}</b><br>%{customdata[2]:,} applicants (%{customdata[3]:.1%})<br>"
             "accepted %{customdata[4]:,} · waitlisted %{customdata[5]:,}<br>returning %{customdata[6]:,}"
             "<br>%{customdata[7]}<extra></extra>")
    line_color = [_SELECTED_LINE if c == selected else _CAP_LINE if cap else "#ffffff"
                  for c, cap in zip(shown["country_iso3"], shown["is_at_cap"], strict=True)]
    line_width = [3.0 if c == selected else 2.2 if cap else 0.5
                  for c, cap in zip(shown["country_iso3"], shown["is_at_cap"], strict=True)]
    fig = go.Figure()
    shapes = shown["in_map"].astype(bool).tolist()
    dots = [not s for s in shapes]

    def part(values: list[Any], keep: list[bool]) -> list[Any]:
        return [v for v, k in zip(values, keep, strict=True) if k]

    fig.add_trace(go.Choropleth(
        locations=part(shown["country_iso3"].tolist(), shapes), locationmode="ISO-3",
        z=part(shown["z"].round(4).tolist(), shapes), coloraxis="coloraxis", customdata=custom[shapes],
        hovertemplate=hover, name="Applicants", unselected={"marker": {"opacity": 1}},
        marker={"line": {"color": part(line_color, shapes), "width": part(line_width, shapes)}},
    ))
    fig.add_trace(go.Scattergeo(
        lon=part(shown["lon"].tolist(), dots), lat=part(shown["lat"].tolist(), dots),
        text=part(shown["country_iso3"].tolist(), dots), mode="markers",
        marker={"size": 8, "color": part(shown["z"].round(4).tolist(), dots), "coloraxis": "coloraxis",
                "line": {"color": part(line_color, dots), "width": [max(w, 1.0) for w in part(line_width, dots)]}},
        customdata=custom[dots], hovertemplate=hover, name="Small states", showlegend=False,
        unselected={"marker": {"opacity": 1}},
    ))
    ticks, labels = _log_ticks(top)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        geo=_GEO, height=440, margin={"l": 0, "r": 0, "t": 40, "b": 0}, showlegend=False,
        coloraxis={"colorscale": _SCALE, "cmin": 0, "cmax": max(math.log10(max(top, 1)), 0.5),
                   "colorbar": {"title": {"text": "applicants", "side": "top"}, "tickvals": ticks,
                                "ticktext": labels, "orientation": "h", "thickness": 10, "len": 0.5,
                                "x": 0.5, "xanchor": "center", "y": -0.02, "yanchor": "top"}},
        clickmode="event+select", dragmode=False,
    )
    return fig


def selected_country(selection: Any) -> str | None:
    """The ISO-3 code of the country clicked on :func:`applicant_map` (a Streamlit plotly selection)."""
    try:
        points = selection["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        custom = point.get("customdata")
        if isinstance(custom, list | tuple) and custom:
            return str(custom[0])
        for key in ("location", "text"):
            if point.get(key):
                return str(point[key])
    return None


def _midpoint(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> tuple[float, float]:
    """The middle of the great circle from a to b (where plotly draws the arc)."""
    la1, lo1, la2, lo2 = map(math.radians, (lat_a, lon_a, lat_b, lon_b))
    bx = math.cos(la2) * math.cos(lo2 - lo1)
    by = math.cos(la2) * math.sin(lo2 - lo1)
    lat = math.atan2(math.sin(la1) + math.sin(la2), math.sqrt((math.cos(la1) + bx) ** 2 + by ** 2))
    lon = lo1 + math.atan2(by, math.cos(la1) + bx)
    return (math.degrees(lon) + 540) % 360 - 180, math.degrees(lat)


def partnership_map(flows: pd.DataFrame, *, title: str = "Partnerships between countries") -> go.Figure:
    """Arcs between country centroids, thicker for more partnerships, from
    :func:`workbench.reports.partnership_flows`; a dot per country sized by its partnerships."""
    fig = go.Figure()
    flows = flows.dropna(subset=["lon_a", "lat_a", "lon_b", "lat_b"])
    if len(flows):
        top = int(flows["partnerships"].max())
        bins = sorted({1, max(2, top // 8), max(3, top // 3), top + 1})
        for low, high in itertools.pairwise(bins):
            part = flows[(flows["partnerships"] >= low) & (flows["partnerships"] < high)]
            if part.empty:
                continue
            lon: list[float | None] = []
            lat: list[float | None] = []
            for r in part.itertuples(index=False):
                lon += [r.lon_a, r.lon_b, None]
                lat += [r.lat_a, r.lat_b, None]
            width = 0.6 + 3.4 * (math.log(low) / math.log(max(top, 2)))
            label = f"{low}" if high - low == 1 else f"{low}–{high - 1}"
            fig.add_trace(go.Scattergeo(
                lon=lon, lat=lat, mode="lines", hoverinfo="skip", name=f"{label} partnerships",
                line={"width": width, "color": PALETTE["primary"]}, opacity=0.25 + 0.6 * width / 4,
            ))
        mids = [_midpoint(r.lon_a, r.lat_a, r.lon_b, r.lat_b) for r in flows.itertuples(index=False)]
        fig.add_trace(go.Scattergeo(
            lon=[m[0] for m in mids], lat=[m[1] for m in mids], mode="markers", name="pairs of countries",
            marker={"size": 6, "color": "rgba(0,0,0,0)"}, showlegend=False,
            text=[f"{a} – {b}: {n:,} partnership{'s' if n != 1 else ''}" for a, b, n in
                  zip(flows["country_a_name"], flows["country_b_name"], flows["partnerships"], strict=True)],
            hovertemplate="%{text}<extra></extra>",
        ))
        ends = pd.concat([
            flows[["country_a", "country_a_name", "lon_a", "lat_a", "partnerships"]].set_axis(
                ["iso3", "name", "lon", "lat", "n"], axis=1),
            flows[["country_b", "country_b_name", "lon_b", "lat_b", "partnerships"]].set_axis(
                ["iso3", "name", "lon", "lat", "n"], axis=1),
        ])
        per = ends.groupby(["iso3", "name", "lon", "lat"], as_index=False).agg(n=("n", "sum"), partners=("n", "size"))
        fig.add_trace(go.Scattergeo(
            lon=per["lon"], lat=per["lat"], mode="markers", name="countries", showlegend=False,
            marker={"size": 4 + 14 * np.sqrt(per["n"] / per["n"].max()), "color": PALETTE["accent"],
                    "line": {"color": "#ffffff", "width": 0.8}},
            customdata=per[["name", "n", "partners"]].to_numpy(dtype=object),
            hovertemplate=("<b>%{customdata[0]}</b><br>%{customdata[1]:,} partnerships with "
                           "%{customdata[2]:,} countries<extra></extra>"),
        ))
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"}, geo=_GEO, height=440,
        margin={"l": 0, "r": 0, "t": 40, "b": 0},
        legend={"orientation": "h", "y": -0.02, "x": 0}, dragmode=False,
    )
    return fig
