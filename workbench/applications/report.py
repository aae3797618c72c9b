"""What an import did: :class:`ImportReport` and the near-matches it offers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from workbench.countries import country_name
from workbench.intake import CountrySuggestion
from workbench.rejections import Rejection, rejections_frame

__all__ = ["ImportReport", "NearMatch"]


@dataclass(frozen=True)
class NearMatch:
    """A new email whose name and country are close to someone already known: perhaps the same person.

    Confirm with ``confirmed_people={email: person_id}``; otherwise a new person is created."""

    row: int
    name: str
    email: str
    country_iso3: str
    person_id: int
    known_name: str
    known_email: str
    last_round: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (f"Row {self.row}: {self.name} <{self.email}> ({country_name(self.country_iso3)}) may be "
                f"{self.known_name} <{self.known_email}>, who applied to {self.last_round}.")


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``imported`` counts the applications added; ``rejected`` the problems of the rejected rows (row,
    column, value, reason, fix); ``already_applied`` the rows whose person is already in the round;
    ``returning`` the imported applicants who applied in an earlier round; ``accepted`` and
    ``waitlisted`` the cap's decisions on them; ``near_matches`` the people to confirm.
    """

    filename: str
    round_id: str
    dry_run: bool
    round_created: bool
    total_rows: int
    imported: int
    rejected: list[Rejection]
    already_applied: list[Rejection]
    returning: int
    new_people: int
    linked: int
    accepted: int
    waitlisted: int
    carried_over: int = 0
    carried_from: str | None = None
    promoted: int = 0
    waitlisted_by_country: dict[str, int] = field(default_factory=dict)
    near_matches: list[NearMatch] = field(default_factory=list)
    country_suggestions: list[CountrySuggestion] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    application_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    @property
    def nothing_imported(self) -> bool:
        """True when the file had rows but none could go in (every row rejected)."""
        return self.imported == 0 and bool(self.rejected) and not self.already_applied

    def summary(self) -> str:
        """What happened, in a sentence or three."""
        verb = "would import" if self.dry_run else "imported"
        parts = []
        if self.round_created:
            created = "would be created" if self.dry_run else "was created"
            carried = (f", carrying over {self.carried_over} waitlisted applicant(s) from {self.carried_from}"
                       if self.carried_over else "")
            parts.append(f"Round {self.round_id} did not exist: it {created}{carried}.")
        if self.total_rows == 0:
            parts.append(f"{self.filename or 'The file'} has no application rows.")
        elif self.imported == 0 and self.already_applied and not self.rejected:
            parts.append(f"Nothing new: all {len(self.already_applied)} applicant(s) of {self.filename or 'the file'} "
                         f"already applied to {self.round_id}; nothing was added.")
        else:
            text = f"{self.filename or 'The file'}: {verb} {self.imported} of {self.total_rows} application(s)"
            text += f" into {self.round_id}"
            details = []
            if self.returning:
                details.append(f"{self.returning} returning")
            if self.waitlisted:
                details.append(f"{self.waitlisted} waitlisted by the per-country cap")
            if details:
                text += " (" + ", ".join(details) + ")"
            parts.append(text + ".")
            if self.promoted:
                parts.append(f"The round grew, so {self.promoted} applicant(s) waitlisted by the cap "
                             f"{'would be' if self.dry_run else 'are now'} accepted.")
            if self.rejected:
                parts.append(f"{len(self.rejected_rows)} row(s) rejected: see the reasons and what to do.")
            if self.already_applied:
                parts.append(f"{len(self.already_applied)} row(s) already applied to {self.round_id} "
                             "(kept as they were).")
        if self.near_matches:
            parts.append(f"{len(self.near_matches)} applicant(s) may be someone already known under another email: "
                         "confirm or leave them as new people.")
        return " ".join([*parts, *self.notes])

    def rejections_frame(self, *, include_already_applied: bool = True, escape_formulas: bool = True) -> pd.DataFrame:
        """Rejections (and already-applied rows): row, column, value, reason, fix. Values a spreadsheet
        would run as a formula are prefixed with an apostrophe unless ``escape_formulas`` is False (for a
        table on screen; a CSV of that frame goes through :func:`workbench.exports.frame_csv_bytes`)."""
        items = [*self.rejected, *(self.already_applied if include_already_applied else [])]
        return rejections_frame(items, escape_formulas=escape_formulas)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "round": self.round_id,
            "dry_run": self.dry_run,
            "round_created": self.round_created,
            "carried_over": self.carried_over,
            "promoted_from_waitlist": self.promoted,
            "rows": self.total_rows,
            "imported": self.imported,
            "rejected": [r.as_dict() for r in self.rejected],
            "rejected_rows": len(self.rejected_rows),
            "already_applied": [r.as_dict() for r in self.already_applied],
            "returning": self.returning,
            "new_people": self.new_people,
            "linked_people": self.linked,
            "accepted": self.accepted,
            "waitlisted": self.waitlisted,
            "waitlisted_by_country": self.waitlisted_by_country,
            "near_matches": [m.as_dict() for m in self.near_matches],
            "country_suggestions": [
                {"row": s.row, "column": s.column, "value": s.value,
                 "candidates": [{"iso3": c, "name": n} for c, n in s.candidates]}
                for s in self.country_suggestions
            ],
            "mapping": self.mapping,
            "ignored_columns": self.ignored_columns,
            "notes": self.notes,
            "summary": self.summary(),
        }


