"""Reports about the program as a whole: rounds, their summary, the Overview's figures."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.db import Connection


def rounds(con: Connection) -> pd.DataFrame:
    """Every round in order: id, label, sequence, dates, status and country cap."""
    return con.execute(
        "SELECT round_id, label, seq, opens_on, starts_on, ends_on, status, country_cap, version "
        "FROM rounds ORDER BY seq"
    ).df()


def round_summary(con: Connection, *, round_id: str | None = None) -> pd.DataFrame:
    """The ``round_summary`` view: applications, participants and countries per round."""
    if round_id is None:
        return con.execute("FROM round_summary ORDER BY seq").df()
    return con.execute("FROM round_summary WHERE round_id = ?", [round_id]).df()


def satisfaction_by_round(con: Connection) -> pd.DataFrame:
    """The ``satisfaction_by_round`` view."""
    return con.execute("FROM satisfaction_by_round ORDER BY round_seq").df()


def returning_participants(con: Connection) -> pd.DataFrame:
    """The ``returning_participants`` view."""
    return con.execute("FROM returning_participants ORDER BY seq").df()


@dataclass(frozen=True)
class RoundGlance:
    """The Overview's figures for one round."""

    round_id: str
    label: str
    status: str
    applications: int
    accepted: int
    waitlisted: int
    applicant_countries: int
    participants: int
    countries: int
    partnerships: int
    returning_share: float | None
    returning_applicant_share: float | None
    satisfied_share: float | None
    respondents: int


def round_glance(con: Connection, round_id: str) -> RoundGlance:
    """Participants, countries, returning share and satisfaction of one round."""
    row = con.execute(
        """
        SELECT s.round_id, s.label, s.status, s.applications, s.accepted, s.waitlisted,
            s.applicant_countries, s.participants, s.countries, s.partnerships, s.returning_share,
            r.returning_applicant_share, sat.program_satisfied_share, coalesce(sat.respondents, 0)
        FROM round_summary AS s
        JOIN returning_participants AS r ON r.round_id = s.round_id
        LEFT JOIN satisfaction_by_round AS sat ON sat.round_id = s.round_id
        WHERE s.round_id = ?
        """,
        [round_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no round {round_id!r}")
    return RoundGlance(*row)


@dataclass(frozen=True)
class ProgramGlance:
    """The whole program so far: participations, people, countries, rounds, satisfaction."""

    rounds_run: int
    participations: int
    people: int
    countries: int
    satisfied_share: float | None


def program_glance(con: Connection) -> ProgramGlance:
    """Totals across every published round."""
    row = con.execute(
        """
        SELECT count(DISTINCT round_id), count(*), count(DISTINCT person_id), count(DISTINCT country_iso3),
            (SELECT avg((program_satisfaction >= 4)::INTEGER) FROM surveys)
        FROM participants
        """
    ).fetchone()
    assert row is not None
    return ProgramGlance(*row)
