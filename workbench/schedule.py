"""A round's schedule: its dates and its fortnightly discussion topics.

Every round starts with "Getting to know you" and sends one topic every ``topic_cadence_days`` (a fortnight
unless the program says otherwise) from the day it starts; it opens, starts :data:`WEEKS_TO_START` weeks later
and runs ``round_weeks`` weeks (sixteen, about four months, unless the program says otherwise).

The dates are pure (no database): the topic planner (:mod:`workbench.followup.topics`) and the sample
generator (:mod:`workbench.sample`) both follow them. The program's cadence and round length are its settings
(:func:`workbench.program.settings.topic_cadence` and :func:`~workbench.program.settings.round_length`:
``workbench settings set topic_cadence_days 7``), the defaults being the ILN's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["FIRST_BODY", "FIRST_TOPIC", "FORTNIGHT", "WEEKS_TO_START", "RoundDates", "Topic", "round_dates_from",
           "send_day"]

#: The topic every round starts with, and its text.
FIRST_TOPIC = "Getting to know you"
FIRST_BODY = "Introduce yourself, your library and your working day. What made you join?"
#: The time between two topics by default (the setting ``topic_cadence_days``).
FORTNIGHT = dt.timedelta(days=14)
#: A round opens for applications and its partnerships start about seven weeks later (domain.md).
WEEKS_TO_START = 7


def round_dates_from(opens_on: dt.date, length: dt.timedelta) -> tuple[dt.date, dt.date]:
    """(starts_on, ends_on) of a round opening on ``opens_on`` and running ``length`` once started."""
    starts_on = opens_on + dt.timedelta(weeks=WEEKS_TO_START)
    return starts_on, starts_on + length


@dataclass(frozen=True)
class RoundDates:
    """A round as its schedule needs it: applications open, the partnerships start, the round ends."""

    round_id: str
    label: str
    seq: int
    opens_on: dt.date
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class Topic:
    """One fortnightly topic of a round (``seq`` from 1); ``version`` as stored (1 for a new one)."""

    topic_id: int
    round_id: str
    seq: int
    title: str
    body: str
    send_on: dt.date
    version: int = 1


def send_day(starts_on: dt.date, seq: int, cadence: dt.timedelta = FORTNIGHT) -> dt.date:
    """The day topic ``seq`` (1 = the first) is sent: one every ``cadence`` from the day the round starts."""
    return starts_on + (seq - 1) * cadence
