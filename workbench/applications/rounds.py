"""Rounds: a round id, opening a round, and carrying the previous round's waitlist into it.

The :class:`~workbench.applications.round.Round` type (``is_open``, ``next_round_id``) and the one function that
loads it live in :mod:`workbench.applications.round`; they are importable from here too."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import duckdb
import pandas as pd

from workbench import db, schedule
from workbench.access import Action, User, require
from workbench.applications.admission import CAP_REASON_PATTERN, program_cap
from workbench.applications.round import Round, all_rounds, find_round, load_round, next_round_id, open_rounds
from workbench.applications.store import insert_application_rows, next_seq, round_row, write_failed
from workbench.errors import WorkbenchError
from workbench.program.settings import round_length

__all__ = ["Round", "RoundOpened", "all_rounds", "check_round_id", "find_round", "load_round", "next_round_id",
           "open_round", "open_rounds"]

_ROUND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _().-]{0,39}$")


def check_round_id(round_id: str) -> str:
    text = str(round_id or "").strip()
    if not _ROUND_ID.fullmatch(text):
        raise WorkbenchError(
            f"'{round_id}' is not a round id the workbench accepts: use letters, digits and . _ - ( ) "
            "(at most 40 characters), for example '2017B'."
        )
    return text


# --- carry-over ------------------------------------------------------------------------------------

_CARRY_COLUMNS = [
    "application_id", "person_id", "submitted_at", "name", "email", "email_normalised", "country_iso3", "sector",
    "career_stage", "interests", "languages", "timezone", "utc_offset_minutes", "partner_sector",
    "partner_stage", "partner_interests", "version", "organisation",
]


def empty_carry() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _CARRY_COLUMNS})


def carry_over_plan(con: db.Connection) -> pd.DataFrame:
    """The latest round's cap-waitlisted applications, to be offered the round about to open."""
    latest = con.execute("SELECT round_id FROM rounds ORDER BY seq DESC LIMIT 1").fetchone()
    if latest is None:
        return empty_carry()
    frame = con.execute(
        """
        SELECT a.application_id, a.person_id, a.submitted_at, a.name, a.email, p.email AS email_normalised,
            a.country_iso3, a.sector, a.career_stage, a.interests, a.languages, a.timezone,
            a.utc_offset_minutes, a.partner_sector, a.partner_stage, a.partner_interests, a.version, a.organisation
        FROM applications AS a JOIN people AS p USING (person_id)
        WHERE a.round_id = ? AND a.status = 'waitlisted' AND regexp_matches(coalesce(a.status_reason, ''), ?)
        ORDER BY a.submitted_at, a.application_id
        """,
        [latest[0], CAP_REASON_PATTERN],
    ).df()
    frame.attrs["from_round"] = str(latest[0])
    return frame


def insert_carried(con: db.Connection, carried: pd.DataFrame, round_id: str, *, by: User) -> None:
    """Add the carried-over applications to ``round_id`` and note on each original where it went."""
    require(by, Action.IMPORT)
    if carried.empty:
        return
    source = carried.attrs.get("from_round", "the previous round")
    ids = db.next_ids(con, "applications", len(carried))
    frame = carried.assign(new_id=ids, round_id=round_id, source=f"carried over from {source}")
    insert_application_rows(con, frame.rename(columns={"application_id": "old_id", "new_id": "application_id"}))
    for record in carried[["application_id", "version"]].itertuples(index=False):
        db.update_versioned(con, "applications", "application_id", int(record.application_id), int(record.version),
                            {"status_reason": f"waitlisted by the country cap; carried over to {round_id}"},
                            actor=by.actor, action="carry over application")


def insert_round(con: db.Connection, round_id: str, seq: int, opens_on: dt.date, cap: float, *, by: User) -> None:
    require(by, Action.IMPORT)
    # the round's dates follow the program's schedule (the setting round_weeks: sixteen weeks by default)
    starts_on, ends_on = schedule.round_dates_from(opens_on, round_length(con))
    con.execute(
        "INSERT INTO rounds (round_id, label, seq, opens_on, starts_on, ends_on, status, country_cap) "
        "VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
        [round_id, round_id, seq, opens_on, starts_on, ends_on, cap],
    )
    db.audit(con, actor=by.actor, action="open round", entity="rounds", entity_id=round_id,
             after={"seq": seq, "opens_on": opens_on, "starts_on": starts_on, "ends_on": ends_on,
                    "country_cap": cap})


@dataclass(frozen=True)
class RoundOpened:
    round_id: str
    seq: int
    carried_over: int
    carried_from: str | None
    #: rounds that were still open (taking applications or being matched) when this one opened
    still_open: tuple[str, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return [still_open_warning(self.still_open, self.round_id)] if self.still_open else []

    def summary(self) -> str:
        carried = (f"; {self.carried_over} applicant(s) waitlisted in {self.carried_from} carried over "
                   "(decided with the round's first import)") if self.carried_over else ""
        return " ".join([f"Opened round {self.round_id}{carried}.", *self.warnings])


def still_open_warning(still_open: tuple[str, ...] | list[str], new_round: str) -> str:
    """Said when ``new_round`` opens while earlier rounds are not matched and published yet."""
    names = ", ".join(still_open)
    one = len(still_open) == 1
    return (f"{names} {'is' if one else 'are'} still open (not matched and published): opening {new_round} now "
            f"leaves {'its' if one else 'their'} accepted applicants without partners until a matching run of "
            f"{'it' if one else 'each'} is published on the Matching page.")


def open_round(con: db.Connection, round_id: str, *, by: User, opens_on: dt.date | None = None,
               cap: float | None = None) -> RoundOpened:
    """Create the next round (status open) and carry the latest round's cap-waitlisted applicants into it.

    ``cap``: the round's per-country cap; None takes the program's (the setting ``country_cap``, 20% by default).

    Refused (:class:`~workbench.access.NotAllowed`) unless ``by`` may import into rounds."""
    require(by, Action.IMPORT)
    round_id = check_round_id(round_id)
    cap = program_cap(con) if cap is None else cap
    if not 0 < cap <= 1:
        raise WorkbenchError(f"The country cap must be a share between 0 and 1 (got {cap}).")
    if round_row(con, round_id) is not None:
        raise WorkbenchError(f"Round {round_id} already exists; choose another id for the new round.")
    still_open = tuple(r.round_id for r in open_rounds(con))
    carried = carry_over_plan(con)
    seq = next_seq(con)
    carried["status"], carried["status_reason"] = "received", None
    try:
        with db.transaction(con):
            insert_round(con, round_id, seq, opens_on or dt.date.today(), cap, by=by)
            insert_carried(con, carried, round_id, by=by)
    except duckdb.Error as exc:
        raise write_failed(exc, round_id) from None
    return RoundOpened(round_id, seq, len(carried), carried.attrs.get("from_round"), still_open)


