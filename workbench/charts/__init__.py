"""Plotly figure builders shared by pages and presenter mode: frame in, figure out, no I/O.

One module per area; everything is importable from here.
"""

from workbench.charts.program import PALETTE, growth

__all__ = ["PALETTE", "growth"]

# Following a round and outcomes across rounds (workbench.charts.outcomes).
from workbench.charts.outcomes import (
    impact_overall,
    impact_shares,
    methods_by_round,
    methods_by_timezone,
    new_and_returning,
    retention_heatmap,
    satisfaction,
    satisfaction_returning,
    topic_discussion,
    topic_use,
)

__all__ += [
    "impact_overall",
    "impact_shares",
    "methods_by_round",
    "methods_by_timezone",
    "new_and_returning",
    "retention_heatmap",
    "satisfaction",
    "satisfaction_returning",
    "topic_discussion",
    "topic_use",
]

# World maps of applicants and partnerships (workbench.charts.maps).
from workbench.charts.maps import (  # noqa: E402
    TOPOJSON_FILE,
    TOPOJSON_PATH,
    applicant_map,
    map_config,
    partnership_map,
    selected_country,
)

__all__ += [
    "TOPOJSON_FILE",
    "TOPOJSON_PATH",
    "applicant_map",
    "map_config",
    "partnership_map",
    "selected_country",
]
