"""The per-country cap for the sample generator, which writes CSV files and has no database.

The cap has one definition: the DuckDB macro ``country_cap_limit(cap_share, live_applications)`` in
``workbench/migrations/macros.sql``, used by the views, the data check, admission and re-match. The generator runs
before any database exists, so :func:`cap_limit` restates that rule for it alone, in the same double
arithmetic; ``tests/test_one_home_rules.py`` proves the two agree for every round of 1 to 5,000 live
applications and every cap from 5% to 100% in steps of 1%. Library code never calls this module: it
asks the database (``workbench.applications.admission.cap_limit``).
"""

from __future__ import annotations

import math

import pandas as pd

#: The sample program's per-country cap (``rounds.country_cap``'s default).
SAMPLE_CAP = 0.2


def cap_limit(cap_share: float, live_applications: int) -> int:
    """``country_cap_limit(cap_share, live_applications)`` without a database (the generator only)."""
    return max(1, math.floor(cap_share * live_applications + 1e-9))


def apply_cap(apps: pd.DataFrame, cap: float = SAMPLE_CAP) -> pd.Series:
    """The admission status of each generated application under the cap: ``accepted`` or ``waitlisted``.

    ``apps`` needs ``country_iso3``, ``submitted_at`` and ``status``; withdrawn applications keep their
    status and do not count. The cap is a share of the round's live applications (withdrawn excluded).
    Within a capped country the earliest submissions are accepted (ties broken by row order).
    """
    status = apps["status"].copy()
    live = apps[status != "withdrawn"]
    limit = cap_limit(cap, len(live))
    order = live.sort_values(["submitted_at"], kind="stable")
    rank = order.groupby("country_iso3").cumcount()
    status.loc[rank.index] = ["accepted" if r < limit else "waitlisted" for r in rank]
    return status
