"""Partnership health: the rules that flag a faltering partnership, and opening cases from the flags.

The rules live in the ``partnership_health`` view (``queries/partnership_health.sql``), so analysts,
pages and this module read the same flags:

- **no contact**: check-ins report no contact for two fortnights running;
- **not replied**: a partner says the other has not replied within a week;
- **low rating**: a check-in rates the partnership 2 or less (of 5).

A flagged partnership that has never had a case can have one opened from its flags
(:func:`open_cases_from_flags`); one whose earlier case was closed is left to a coordinator, who can
open a new case by hand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from workbench import db
from workbench.access import Action, User, country_scope, require
from workbench.followup.interventions import insert_case

#: Flag column of ``partnership_health`` -> the reason written on a case.
FLAG_REASONS: dict[str, str] = {
    "flag_no_contact": "no contact reported for two fortnights",
    "flag_not_replied": "partner has not replied within a week",
    "flag_low_rating": "low rating at check-in",
}
LOW_RATING = 2
SILENT_FORTNIGHTS = 2


def flag_reasons(flags: dict[str, object]) -> list[str]:
    """The reasons for the flags set in a ``partnership_health`` row."""
    return [reason for column, reason in FLAG_REASONS.items() if flags.get(column)]


@dataclass(frozen=True)
class NeedsCase:
    """A flagged partnership without any case: what flagged it and the member whose check-in did."""

    partnership_id: int
    reasons: tuple[str, ...]
    raised_by: int | None
    countries: tuple[str, ...]


def needing_a_case(con: db.Connection, round_id: str, *, countries: Iterable[str] | None = None,
                   partnership_id: int | None = None) -> list[NeedsCase]:
    """Flagged partnerships of the round that have never had a case (optionally with a member in
    ``countries``, or only ``partnership_id``), with the member whose latest check-in showed a warning sign."""
    rows = con.execute(
        f"""
        WITH signs AS (
            SELECT partnership_id, arg_max(application_id, submitted_on) AS raised_by
            FROM checkins
            WHERE round_id = $round AND (NOT contact_made OR partner_replied = false OR rating <= {LOW_RATING})
              {'' if partnership_id is None else 'AND partnership_id = $pid'}
            GROUP BY partnership_id
        ),
        where_from AS (
            SELECT m.partnership_id, list(DISTINCT a.country_iso3 ORDER BY a.country_iso3) AS countries
            FROM partnership_members AS m JOIN applications AS a ON a.application_id = m.application_id
            WHERE a.round_id = $round {'' if partnership_id is None else 'AND m.partnership_id = $pid'}
            GROUP BY m.partnership_id
        )
        SELECT h.partnership_id, h.flag_no_contact, h.flag_not_replied, h.flag_low_rating, s.raised_by,
            w.countries
        FROM partnership_health AS h
        LEFT JOIN signs AS s ON s.partnership_id = h.partnership_id
        JOIN where_from AS w ON w.partnership_id = h.partnership_id
        WHERE h.round_id = $round AND h.is_flagged AND h.interventions = 0 AND h.partnership_status <> 'ended'
          {'' if partnership_id is None else 'AND h.partnership_id = $pid'}
        ORDER BY h.partnership_id
        """, {"round": round_id} | ({} if partnership_id is None else {"pid": partnership_id})).fetchall()
    wanted = None if countries is None else set(countries)
    out = []
    for pid, no_contact, not_replied, low, raised_by, where in rows:
        if wanted is not None and not wanted & set(where):
            continue
        reasons = flag_reasons({"flag_no_contact": no_contact, "flag_not_replied": not_replied,
                                "flag_low_rating": low})
        out.append(NeedsCase(pid, tuple(reasons), raised_by, tuple(where)))
    return out


def open_cases_from_flags(con: db.Connection, round_id: str, *, by: User, countries: Iterable[str] | None = None,
                          coordinator_id: str | None = None, today: dt.date | None = None) -> list[int]:
    """Open a case on every flagged partnership of the round that has never had one, in one transaction.

    A country coordinator opens only the cases of their countries (within ``countries``, if given).
    Returns the new case ids.
    """
    require(by, Action.CASES)
    scope = country_scope(by)
    if scope is not None:
        countries = set(scope) & set(countries) if countries is not None else set(scope)
    ids = []
    with db.transaction(con):
        for need in needing_a_case(con, round_id, countries=countries):
            ids.append(insert_case(con, need.partnership_id, reason="; ".join(need.reasons), by=by,
                                   application_id=need.raised_by, coordinator_id=coordinator_id, opened_on=today,
                                   note="Opened from the health flags."))
    return ids
