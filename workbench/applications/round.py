"""A round as the pages, the sidebar and the matching see it: the one home of "a round is open" and of the next id.

A round's status goes ``open`` (taking applications) -> ``matching`` (applications in, being matched) ->
``running`` (its partnerships are published) -> ``closed``. While it is ``open`` or ``matching`` (:data:`OPEN_STATUSES`)
it takes applications and admission decisions, and it can be matched; once published it cannot.

    >>> r = load_round(con, "2017A")
    >>> r.is_open, r.next_round_id
    (True, '2017B')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workbench import db
from workbench.errors import NotFound

#: The statuses of a round that takes applications and admission decisions and can be matched.
OPEN_STATUSES: tuple[str, ...] = ("open", "matching")

#: Each status in words, for the pages and the sidebar.
STATUS_WORDS: dict[str, str] = {
    "open": "open: taking applications",
    "matching": "open: being matched",
    "running": "running: its partnerships are published",
    "closed": "closed",
}

_HALF_YEAR = re.compile(r"(\d{4})([AB])")


def next_round_id(latest: str | None) -> str:
    """The id after ``latest`` when it is a year and a half ("2017A" -> "2017B", "2017B" -> "2018A"), else ""."""
    match = _HALF_YEAR.fullmatch(latest or "")
    if not match:
        return ""
    year, half = int(match.group(1)), match.group(2)
    return f"{year}B" if half == "A" else f"{year + 1}A"


@dataclass(frozen=True)
class Round:
    """One round: id, label, place in the sequence, status, per-country cap and row version."""

    round_id: str
    label: str
    seq: int
    status: str
    country_cap: float
    version: int

    @property
    def is_open(self) -> bool:
        """Takes applications and admission decisions, and can be matched (status open or matching)."""
        return self.status in OPEN_STATUSES

    @property
    def takes_applications(self) -> bool:
        """Open and not yet being matched: where a new file goes first."""
        return self.status == "open"

    @property
    def status_words(self) -> str:
        """``running: its partnerships are published``."""
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def next_round_id(self) -> str:
        """The id the round after this one is offered ("2017B" after "2017A"; "" for an id of another form)."""
        return next_round_id(self.round_id)


_SELECT = "SELECT round_id, label, seq, status, country_cap, version FROM rounds"


def _round(row: tuple[Any, ...]) -> Round:
    return Round(str(row[0]), str(row[1]), int(row[2]), str(row[3]), float(row[4]), int(row[5]))


def all_rounds(con: db.Connection) -> list[Round]:
    """Every round, in order (the pilot first)."""
    return [_round(r) for r in con.execute(f"{_SELECT} ORDER BY seq").fetchall()]


def find_round(con: db.Connection, round_id: str) -> Round | None:
    """The round ``round_id``, or None."""
    row = con.execute(f"{_SELECT} WHERE round_id = ?", [round_id]).fetchone()
    return None if row is None else _round(row)


def load_round(con: db.Connection, round_id: str) -> Round:
    """The round ``round_id``; :class:`NotFound` names the known rounds."""
    found = find_round(con, round_id)
    if found is None:
        known = ", ".join(r.round_id for r in all_rounds(con)) or "none yet"
        raise NotFound(f"There is no round {round_id!r}. Known rounds: {known}.")
    return found


def open_rounds(con: db.Connection) -> list[Round]:
    """The rounds still open (taking applications or being matched), in order."""
    return [r for r in all_rounds(con) if r.is_open]
