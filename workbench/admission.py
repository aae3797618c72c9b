"""Admission: the per-country cap of a round (domain.md, step 2).

When one country exceeds the cap (by default 20% of the round's applications), its earliest
applicants are accepted and the later ones waitlisted and offered the next round.
"""

from __future__ import annotations

import math

import pandas as pd

DEFAULT_CAP = 0.2


def cap_count(total_applications: int, cap: float = DEFAULT_CAP) -> int:
    """How many applicants one country may have accepted in a round of ``total_applications``."""
    if not 0 < cap <= 1:
        raise ValueError(f"The country cap must be a share between 0 and 1 (got {cap}).")
    return max(1, math.floor(cap * total_applications + 1e-9))


def apply_cap(apps: pd.DataFrame, cap: float = DEFAULT_CAP) -> pd.Series:
    """The admission status of each application under the cap: ``accepted`` or ``waitlisted``.

    ``apps`` needs ``country_iso3``, ``submitted_at`` and ``status``; withdrawn applications keep their
    status and do not count. The cap is a share of the round's applications (withdrawn excluded).
    Within a capped country the earliest submissions are accepted (ties broken by row order).
    """
    status = apps["status"].copy()
    live = apps[status != "withdrawn"]
    limit = cap_count(len(live), cap)
    order = live.sort_values(["submitted_at"], kind="stable")
    rank = order.groupby("country_iso3").cumcount()
    status.loc[rank.index] = ["accepted" if r < limit else "waitlisted" for r in rank]
    return status
