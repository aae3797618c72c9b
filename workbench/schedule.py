"""A round's schedule: its dates and its fortnightly discussion topics.

Every round starts with "Getting to know you" and sends one topic a fortnight from the day it starts.
Pure (no database): the topic planner (:mod:`workbench.followup.topics`) and the sample generator
(:mod:`workbench.sample`) both follow it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["FIRST_BODY", "FIRST_TOPIC", "FORTNIGHT", "RoundDates", "Topic", "send_day"]

#: The topic every round starts with, and its text.
FIRST_TOPIC = "Getting to know you"
FIRST_BODY = "Introduce yourself, your library and your working day. What made you join?"
#: The time between two topics.
FORTNIGHT = dt.timedelta(days=14)


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


def send_day(starts_on: dt.date, seq: int) -> dt.date:
    """The day topic ``seq`` (1 = the first) is sent: one a fortnight from the day the round starts."""
    return starts_on + (seq - 1) * FORTNIGHT
