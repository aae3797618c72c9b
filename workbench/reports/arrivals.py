"""Applications arriving on the participants' form (issue 19), for the Overview: counts only, no one's data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench import db
from workbench.participants import applying


@dataclass(frozen=True)
class Arrivals:
    """A round's applications on the form: its window and the form applications by status."""

    round_id: str
    opens_on: dt.date
    closes_on: dt.date
    is_open: bool  #: taking applications today (not closed, today within its dates)
    confirmed: int
    unconfirmed: int  #: waiting for the applicant to follow the emailed link (they count only once confirmed)
    withdrawn: int
    expired: int

    def summary(self) -> str:
        when = (f"open on the form until {self.closes_on:%d %B %Y}" if self.is_open
                else f"took applications on the form from {self.opens_on:%d %B %Y} to {self.closes_on:%d %B %Y}")
        return (f"{self.round_id} {when}: {self.confirmed:,} confirmed, {self.unconfirmed:,} waiting for the "
                f"applicant to confirm, {self.withdrawn:,} withdrawn, {self.expired:,} expired unconfirmed.")


def form_arrivals(con: db.Connection, round_id: str, *, today: dt.date | None = None) -> Arrivals | None:
    """The round's applications on the form by status (:func:`workbench.participants.applying.arriving`), or None
    when the round never took applications on the form."""
    row = con.execute("SELECT opens_on, closes_on, closed_at FROM application_windows WHERE round_id = ?",
                      [round_id]).fetchone()
    if row is None:
        return None
    opens_on, closes_on, closed_at = row
    day = today or dt.date.today()
    counts = applying.arriving(con, round_id)
    return Arrivals(round_id, opens_on, closes_on, closed_at is None and opens_on <= day <= closes_on,
                    counts["confirmed"], counts["unconfirmed"], counts["withdrawn"], counts["expired"])


__all__ = ["Arrivals", "form_arrivals"]
