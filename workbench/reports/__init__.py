"""One function per dataset a page or a notebook shows: ``f(con, *, filters) -> DataFrame``.

Each reads the views of ``queries/`` (or the tables, for row-level screens) and returns a pandas
frame or a small dataclass; the same call works in a Streamlit page, a notebook or a test. The
functions live in one module per area and are all importable from here.
"""

from workbench.reports.program import (
    ProgramGlance,
    RoundGlance,
    program_glance,
    returning_participants,
    round_glance,
    round_summary,
    rounds,
    satisfaction_by_round,
)

__all__ = [
    "ProgramGlance",
    "RoundGlance",
    "program_glance",
    "returning_participants",
    "round_glance",
    "round_summary",
    "rounds",
    "satisfaction_by_round",
]
