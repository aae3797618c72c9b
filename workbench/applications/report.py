"""What an import did: :class:`ImportReport` and the near-matches it offers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from workbench.countries import country_name
from workbench.intake import CountrySuggestion
from workbench.intake.values import ADD, UnknownValue
from workbench.people.model import LinkResult
from workbench.rejections import Rejection, rejections_frame

__all__ = ["ImportReport", "NearMatch"]


@dataclass(frozen=True)
class NearMatch:
    """A new email that is perhaps someone already known: the same name and country (``reason`` "name"), or an
    email that differs from theirs by a slip (``reason`` "email": "ana.lopez@" and "ana.lopes@" at one domain).

    Confirm with ``confirmed_people={email: person_id}``; otherwise a new person is created."""

    row: int
    name: str
    email: str
    country_iso3: str
    person_id: int
    known_name: str
    known_email: str
    last_round: str
    reason: str = "name"  #: "model": a candidate of the linking's review list (workbench.people.linking)
    probability: float | None = None
    agree: tuple[str, ...] = ()
    differ: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        """Why they may be the same person, in words."""
        if self.reason == "model":
            agree = ", ".join(self.agree) or "nothing"
            return f"{self.probability or 0:.0%} likely: {agree} agree" + (
                f", {', '.join(self.differ)} differ" if self.differ else "")
        return "the same name and country" if self.reason == "name" else "a near-identical email"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        return (f"Row {self.row}: {self.name} <{self.email}> ({country_name(self.country_iso3)}) may be "
                f"{self.known_name} <{self.known_email}>, who applied to {self.last_round} ({self.why}).")


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``imported`` counts the applications added; ``rejected`` the problems of the rejected rows (row,
    column, value, reason, fix); ``already_applied`` the rows whose person is already in the round;
    ``returning`` the imported applicants who applied in an earlier round; ``accepted`` and
    ``waitlisted`` the cap's decisions on them; ``near_matches`` the people to confirm. ``unknown_values`` are
    the values outside the program's vocabularies with what was decided (``new_values()``: those kept as
    written, for a director to confirm), ``values_added`` the ones added to the vocabularies ("interest:
    advocacy"), ``warnings`` what was read with a fallback (time zones), ``resubmitted`` the earlier (or later,
    with ``keep="first"``) submissions of someone who submitted twice, set aside. ``applied_again`` are the rows
    of people already in the round submitted after their application there: it takes their answers and address
    (one application each), and they are not counted in ``imported``.
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
    people_links: LinkResult | None = None  #: the linking to known people, as decided (linked, review, new)
    country_suggestions: list[CountrySuggestion] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    application_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown_values: list[UnknownValue] = field(default_factory=list)
    values_added: list[str] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    resubmitted: list[Rejection] = field(default_factory=list)
    keep: str = "latest"
    mapping_remembered: bool = False
    applied_again: list[int] = field(default_factory=list)

    def new_values(self) -> list[UnknownValue]:
        """The values outside the vocabularies imported as written (no decision, or "add as new" by someone who
        may not change the vocabularies): a director confirms them on the Settings page."""
        added = set(self.values_added)
        return [u for u in self.unknown_values
                if u.kept and not (u.decision == ADD and f"{u.kind}:{u.value}" in added)]

    @property
    def rejected_rows(self) -> list[int]:
        return sorted({r.row for r in self.rejected})

    @property
    def nothing_imported(self) -> bool:
        """True when the file had rows but none could go in (every row rejected)."""
        return self.imported == 0 and bool(self.rejected) and not self.already_applied and not self.applied_again

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
        elif self.imported == 0 and self.already_applied and not self.rejected and not self.applied_again:
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
            if self.applied_again:
                parts.append(f"{len(self.applied_again)} applicant(s) already in {self.round_id} applied again: their "
                             f"application {'would take' if self.dry_run else 'now has'} the new answers and address "
                             "(one application each, counted once by the cap).")
            if self.already_applied:
                parts.append(f"{len(self.already_applied)} row(s) already applied to {self.round_id} "
                             "(kept as they were).")
            if self.resubmitted:
                which = "latest" if self.keep == "latest" else "first"
                parts.append(f"{len(self.resubmitted)} applicant(s) submitted more than once: the {which} submission "
                             f"of each is {'kept' if self.dry_run else 'imported'}.")
            kept = self.new_values()
            if kept:
                parts.append(f"{len(kept)} value(s) outside the program's lists "
                             f"{'would be' if self.dry_run else 'were'} kept as written.")
            if self.values_added:
                parts.append(f"{len(self.values_added)} new value(s) {'would be' if self.dry_run else 'were'} added "
                             "to the program's lists.")
            if self.warnings:
                parts.append(f"{len(self.warnings)} time zone(s) could not be read: the country's main zone is used.")
        looked_known = len({m.row for m in self.near_matches})  # applicants: a row may have several candidates
        if looked_known and self.dry_run:
            parts.append(f"{looked_known} applicant(s) may be someone already known under another email: "
                         "confirm or leave them as new people.")
        elif looked_known:  # decided: what was not linked to a known person went in as a new person
            parts.append(f"{looked_known} applicant(s) who looked like someone already known were added as "
                         "new people.")
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
            "applied_again": self.applied_again,
            "returning": self.returning,
            "new_people": self.new_people,
            "linked_people": self.linked,
            "accepted": self.accepted,
            "waitlisted": self.waitlisted,
            "waitlisted_by_country": self.waitlisted_by_country,
            "near_matches": [m.as_dict() for m in self.near_matches],
            **(self.people_links.to_json() if self.people_links is not None
               else {"linked": [], "review": [], "new_people": self.new_people}),
            "new_values": [u.as_dict() for u in self.new_values()],
            "values_added": self.values_added,
            "values_decided": [{**u.as_dict(), "decision": u.decision} for u in self.unknown_values
                               if not u.kept],
            "warnings": [w.as_dict() for w in self.warnings],
            "resubmitted": [r.as_dict() for r in self.resubmitted],
            "keep": self.keep,
            "mapping_remembered": self.mapping_remembered,
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


