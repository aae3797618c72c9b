"""Validating an application file row by row: clean records, or rejections that say what to do."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pandas as pd

from workbench import countries
from workbench.errors import WorkbenchError
from workbench.intake.cells import (
    MAX_CELL,
    DateOrder,
    DateWindow,
    clean_text,
    infer_date_order,
    normalise_email,
    parse_date,
    parse_email,
    too_long,
)
from workbench.intake.fields import MAX_INTERESTS, default_vocabularies
from workbench.intake.headers import APPLICATION_COLUMNS, CANONICAL, REQUIRED, MissingColumns, missing_columns_message
from workbench.intake.reading import NOTES_ATTR, OVERFLOW_ATTR, ROW_INDEX
from workbench.intake.timezones import resolve_timezone
from workbench.intake.values import (
    ADD,
    COLUMN_KINDS,
    DROP,
    KEEP,
    Decisions,
    UnknownValue,
    read_choice,
    read_list,
    suggest,
    value_key,
)
from workbench.rejections import WHOLE_ROW, Problem, Rejection, display_value, rejections_frame

if TYPE_CHECKING:
    from workbench.program.vocabularies import Vocabulary

__all__ = ["ROW_COLUMNS", "WHOLE_ROW", "CountrySuggestion", "Keep", "Rejection", "ValidationReport", "validate"]

#: Which of someone's submissions in one file is imported: the latest (forms are resubmitted to correct
#: answers) or the first.
Keep = Literal["latest", "first"]

T = TypeVar("T")

#: Columns of :attr:`ValidationReport.rows`, in order.
ROW_COLUMNS: tuple[str, ...] = (
    "source_row", "submitted_at", "name", "email", "email_normalised", "country_iso3", "sector",
    "career_stage", "interests", "languages", "timezone", "utc_offset_minutes", "partner_sector",
    "partner_stage", "partner_interests", "organisation",
)

#: Longest text accepted: a name, an email address (RFC 5321); any other cell: cells.MAX_CELL.
MAX_NAME = 200
MAX_EMAIL = 254

_LABELS: dict[str, str] = {
    "submitted_at": "submission date", "name": "name", "email": "email address", "country": "country",
    "sector": "sector", "career_stage": "career stage", "interests": "interests", "languages": "languages",
    "timezone": "time zone", "partner_sector": "partner's sector", "partner_stage": "partner's career stage",
    "partner_interests": "partner's interests", "organisation": "organisation",
}
_MULTI = frozenset({"interests", "languages", "partner_interests"})
_PLURAL = _MULTI


@dataclass(frozen=True)
class CountrySuggestion:
    """A row whose country only has fuzzy candidates ``(iso3, name)``: rejected until a coordinator
    confirms one (pass ``confirmed_countries={value: iso3}`` to :func:`validate`)."""

    row: int
    column: str
    value: str
    candidates: tuple[tuple[str, str], ...]
    message: str


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`.

    ``rows`` holds the clean records (columns :data:`ROW_COLUMNS`), ``rejections`` the problems of the
    rejected rows (a row may have several), ``already_applied`` the rows whose email already applied
    to this round (not an error of the file: importing the same file twice adds nothing), and
    ``suggestions`` the rows whose country needs a coordinator's confirmation. ``unknown_values`` are the values
    outside the program's vocabularies (column -> value -> rows, with what was decided), ``warnings`` what was
    read with a fallback (a time zone the country's main one replaced), ``resubmitted`` the rows set aside
    because the same person submitted again in the file (``keep`` says which submission was kept).
    """

    rows: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    already_applied: list[Rejection] = field(default_factory=list)
    suggestions: list[CountrySuggestion] = field(default_factory=list)
    filename: str = ""
    total_rows: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    date_order: DateOrder = "mdy"
    notes: list[str] = field(default_factory=list)
    unknown_values: list[UnknownValue] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    resubmitted: list[Rejection] = field(default_factory=list)
    keep: Keep = "latest"

    def kept_values(self) -> list[UnknownValue]:
        """The values outside the vocabularies that go into the applications as written."""
        return [u for u in self.unknown_values if u.kept]

    @property
    def rejected_rows(self) -> list[int]:
        """File row numbers of the rejected rows, in order."""
        return sorted({r.row for r in self.rejections})

    @property
    def valid_count(self) -> int:
        return len(self.rows)

    def suggested_countries(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Each distinct country value awaiting confirmation -> its candidates ``(iso3, name)``."""
        return {s.value: s.candidates for s in self.suggestions}

    def rejections_frame(self, *, include_already_applied: bool = True, escape_formulas: bool = True
                         ) -> pd.DataFrame:
        """Rejections (and, by default, the already-applied rows) as a frame for a CSV download:
        columns row, column, value, reason, fix, sorted by row. With ``escape_formulas`` a value that a
        spreadsheet would run as a formula (starting with = + - @) is prefixed with an apostrophe.
        """
        items = [*self.rejections, *(self.already_applied if include_already_applied else [])]
        return rejections_frame(items, escape_formulas=escape_formulas)

    def summary(self) -> str:
        """One sentence: how many rows are ready, rejected, already in the round, awaiting confirmation."""
        name = f"{self.filename}: " if self.filename else ""
        parts = [f"{self.valid_count} of {self.total_rows} rows ready to import"]
        if self.rejected_rows:
            parts.append(f"{len(self.rejected_rows)} rejected")
        if self.already_applied:
            parts.append(f"{len(self.already_applied)} already applied to this round")
        waiting = {s.value for s in self.suggestions}
        if waiting:
            parts.append(f"{len(waiting)} country spelling(s) to confirm")
        if self.resubmitted:
            parts.append(f"{len(self.resubmitted)} earlier submission(s) replaced by the {self.keep} one"
                         if self.keep == "latest" else
                         f"{len(self.resubmitted)} later submission(s) set aside for the first one")
        kept = self.kept_values()
        if kept:
            parts.append(f"{len(kept)} value(s) outside the program's lists kept as written")
        return " ".join([name + ", ".join(parts) + ".", *self.notes])


_display = display_value


def _as_text(value: object) -> str:
    """A cell as text: missing values (None, NaN, pd.NA in a frame not from read_table) are blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _per_distinct(values: list[str], fn: Callable[[str], T]) -> list[T]:
    """``fn`` applied once per distinct value, broadcast back to every row."""
    cache: dict[str, T] = {}
    out: list[T] = []
    for value in values:
        result = cache.get(value)
        if result is None and value not in cache:
            result = cache[value] = fn(value)
        out.append(result)  # type: ignore[arg-type]
    return out


class _Collector:
    """Gathers rejections per row position while the columns are checked one after another."""

    def __init__(self, row_numbers: list[int]) -> None:
        self.row_numbers = row_numbers
        self.by_position: dict[int, list[Rejection]] = {}

    def add(self, position: int, column: str, value: str, reason: str, fix: str) -> None:
        rejection = Rejection(self.row_numbers[position], column, _display(value), reason, fix)
        self.by_position.setdefault(position, []).append(rejection)

    def rejected(self, position: int) -> bool:
        return position in self.by_position


def validate(
    df: pd.DataFrame,
    mapping: Mapping[str, str],
    *,
    existing_emails: Collection[str] | Mapping[str, dt.datetime | None] = frozenset(),
    filename: str = "",
    confirmed_countries: Mapping[str, str] | None = None,
    date_order: Literal["auto", "mdy", "dmy"] = "auto",
    date_window: DateWindow | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
    decisions: Decisions | None = None,
    keep: Keep = "latest",
) -> ValidationReport:
    """Check every row of an application file and return clean records and rejections.

    ``mapping`` is canonical column -> the file's column (see :func:`match_headers`); a missing
    required column raises :class:`MissingColumns` naming it and saying how to map it. Row numbers
    come from the frame's ``source_row`` index when it has one (as :func:`read_table` gives), otherwise
    the first row is row 2 (the header being row 1). ``existing_emails`` are the round's applicants (a mapping
    gives when each last applied: a row submitted later is their new submission, and is not "already applied");
    ``confirmed_countries`` maps a country as written in the file to the ISO-3 code a coordinator
    confirmed; ``date_order`` overrides the file-wide day/month rule of :func:`infer_date_order`;
    ``date_window`` (the round's, from the import) rejects a submission date outside it.
    ``vocabularies`` are the program's (:func:`workbench.program.vocabularies.vocabularies`, read by the
    import from its database); without them the sample program's defaults apply. A value outside them never
    rejects a row: it is kept as written unless ``decisions`` map it to a known value or drop it
    (:mod:`workbench.intake.values`). A time zone that cannot be read gives the country's main zone and a
    warning. Someone who submitted twice (the same normalised email) keeps their latest submission, or with
    ``keep="first"`` their first; the others are listed in ``resubmitted``.
    """
    if keep not in ("latest", "first"):
        raise WorkbenchError(f"keep is 'latest' or 'first' (which of someone's submissions to import), not {keep!r}.")
    mapping = {c: s for c, s in mapping.items() if s}
    unknown_canonical = [c for c in mapping if c not in CANONICAL]
    if unknown_canonical:
        raise WorkbenchError(
            f"{', '.join(repr(c) for c in unknown_canonical)} is not an application column; the columns are: "
            + ", ".join(CANONICAL) + "."
        )
    absent = [s for s in mapping.values() if s not in df.columns]
    if absent:
        raise WorkbenchError(
            f"The file has no column {', '.join(repr(s) for s in absent)}; map one of its columns instead: "
            + ", ".join(repr(str(c)) for c in df.columns) + "."
        )
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        used = set(mapping.values())
        raise MissingColumns(missing_columns_message(
            missing, [str(c) for c in df.columns], [str(c) for c in df.columns if c not in used],
            labels={spec.name: spec.label for spec in APPLICATION_COLUMNS}, filename=filename), missing)
    confirmed = _confirmed(confirmed_countries or {})
    existing: dict[str, dt.datetime | None] = {  # normalised address -> when they last applied (None: unknown)
        normalise_email(str(e)): existing_emails[e] if isinstance(existing_emails, Mapping) else None
        for e in existing_emails}

    count = len(df)
    from_file = df.index.name == ROW_INDEX
    row_numbers = [int(i) for i in df.index] if from_file else list(range(2, count + 2))
    collect = _Collector(row_numbers)
    source = {canonical: str(column) for canonical, column in mapping.items()}

    # 1. Clean every mapped cell (trim, NFC, control characters, length).
    raw: dict[str, list[str]] = {}
    text: dict[str, list[str]] = {}
    bad: dict[str, set[int]] = {}
    for canonical, column in source.items():
        values = [_as_text(v) for v in df[column].tolist()]
        multiline = canonical in _MULTI
        cleaned = _per_distinct(values, functools.partial(clean_text, multiline=multiline))
        limit = MAX_NAME if canonical in ("name", "organisation") else MAX_EMAIL if canonical == "email" else MAX_CELL
        raw[canonical] = values
        text[canonical] = [c[0] for c in cleaned]
        flagged: set[int] = set()
        for position, (clean, problem) in enumerate(cleaned):
            if problem is not None:
                collect.add(position, column, values[position], f"The {_LABELS[canonical]} {problem.reason}.",
                            problem.fix)
                flagged.add(position)
            elif len(clean) > limit:
                long = too_long(len(clean), limit)
                collect.add(position, column, values[position], f"The {_LABELS[canonical]} cell {long.reason}.",
                            long.fix)
                flagged.add(position)
            elif not clean and canonical in REQUIRED:
                verb = "are" if canonical in _PLURAL else "is"
                collect.add(position, column, values[position], f"The {_LABELS[canonical]} {verb} missing.",
                            f"Fill in the {_LABELS[canonical]} (column '{column}') and import again.")
                flagged.add(position)
        bad[canonical] = flagged

    def each(canonical: str) -> list[tuple[int, str]]:
        """(position, cleaned text) of a column's cells that are present and passed cleaning."""
        skip = bad.get(canonical, set())
        return [(p, t) for p, t in enumerate(text.get(canonical, [""] * count)) if t and p not in skip]

    def parsed(canonical: str, fn: Callable[[str], T]) -> dict[int, T | Problem]:
        cells = each(canonical)
        results = _per_distinct([t for _, t in cells], fn)
        return {p: r for (p, _), r in zip(cells, results, strict=True)}

    def report(canonical: str, position: int, problem: Problem) -> None:
        collect.add(position, source[canonical], raw[canonical][position],
                    problem.reason[0].upper() + problem.reason[1:] + ".", problem.fix)

    # Rows with more cells than the header (read_table notes them): usually an unquoted comma.
    overflow = df.attrs.get(OVERFLOW_ATTR) or {}
    long_rows: dict[int, int] = overflow.get("rows", {})
    shifted: set[int] = set()
    if long_rows:
        whole_rows = df.astype(str).agg(", ".join, axis=1).tolist()
        for position, number in enumerate(row_numbers):
            if number in long_rows:
                shifted.add(position)
                collect.add(position, WHOLE_ROW, whole_rows[position],
                            f"This row has {long_rows[number]} cells but the header has "
                            f"{overflow['header_width']} columns: a value holding an unquoted comma "
                            "probably shifted the cells after it.",
                            "Put double quotes around the value that holds the comma (or export the file "
                            "again from the form) and import again.")

    # 2. Dates.
    order: DateOrder = infer_date_order(list(dict.fromkeys(text["submitted_at"]))) if date_order == "auto" \
        else date_order
    submitted: dict[int, dt.datetime] = {}
    for position, stamp in parsed("submitted_at", lambda t: parse_date(t, order)).items():
        if isinstance(stamp, Problem):
            report("submitted_at", position, stamp)
        elif date_window is not None and (outside := date_window.problem(stamp, text["submitted_at"][position])):
            report("submitted_at", position, outside)
        else:
            submitted[position] = stamp

    # 3. Emails.
    emails: dict[int, str] = {}
    for position, email in parsed("email", parse_email).items():
        if isinstance(email, Problem):
            report("email", position, email)
        else:
            emails[position] = email

    # 4. Countries.
    countries_found: dict[int, str] = {}
    suggestions: list[CountrySuggestion] = []
    cells = each("country")
    distinct = dict.fromkeys(t for _, t in cells if t not in confirmed)
    resolutions = countries.resolve_countries(distinct)
    for position, value in cells:
        if value in confirmed:
            countries_found[position] = confirmed[value]
            continue
        resolution = resolutions[value]
        if resolution.iso3 is not None:
            countries_found[position] = resolution.iso3
            continue
        if resolution.suggestions:
            names = ", ".join(f"{name} ({iso3})" for iso3, name in resolution.suggestions)
            suggestions.append(CountrySuggestion(row_numbers[position], source["country"], value,
                                                 resolution.suggestions, resolution.message))
            collect.add(position, source["country"], raw["country"][position],
                        f"'{value}' is not a country name the workbench recognises; it may be {names}.",
                        "Confirm the right country on the Import page (or correct the country in the file) "
                        "and import again.")
        else:
            collect.add(position, source["country"], raw["country"][position],
                        f"'{_display(value, 80)}' is not a country the workbench recognises.",
                        "Write the country's English name or its ISO code (for example 'Australia' or 'AUS') "
                        "and import again.")

    # 5. Vocabularies: a value outside them is kept as written, mapped or dropped; it never rejects the row.
    voc = dict(default_vocabularies())
    voc.update(vocabularies or {})
    decided = decisions if decisions is not None else Decisions()
    found: dict[str, dict[int, tuple[list[str], list[str]]]] = {}
    for canonical, kind in COLUMN_KINDS.items():
        if canonical not in source:
            continue
        vocabulary, partner = voc[kind], canonical.startswith("partner_")
        if canonical in _MULTI:
            reader: Callable[[str], tuple[list[str], list[str]]] = functools.partial(
                read_list, vocabulary=vocabulary, partner=partner)
        else:
            def reader(t: str, vocabulary: Vocabulary = vocabulary, partner: bool = partner
                       ) -> tuple[list[str], list[str]]:
                value, unknown = read_choice(t, vocabulary, partner=partner)
                return ([value] if value else []), unknown
        found[canonical] = parsed(canonical, reader)  # type: ignore[assignment]  # readers return no Problem
    # One spelling per unknown value and vocabulary (the first one met), so "Advocacy" and "advocacy" are one.
    spelling: dict[tuple[str, str], str] = {}
    for canonical, cells_found in found.items():
        for position in sorted(cells_found):
            for item in cells_found[position][1]:
                spelling.setdefault((COLUMN_KINDS[canonical], value_key(item)), item)
    unknown_at: dict[tuple[str, str], list[int]] = {}
    chosen: dict[str, dict[int, list[str]]] = {}
    for canonical, cells_found in found.items():
        kind = COLUMN_KINDS[canonical]
        out: dict[int, list[str]] = {}
        for position, (known, unknown) in cells_found.items():
            values = list(known)
            for item in unknown:
                key = value_key(item)
                unknown_at.setdefault((canonical, key), []).append(position)
                decision = decided.decision(canonical, item)
                if decision == DROP:
                    continue
                values.append(spelling[(kind, key)] if decision in (KEEP, ADD) else decision)
            out[position] = list(dict.fromkeys(values))
        chosen[canonical] = out

    def single(canonical: str) -> dict[int, str | None]:
        return {p: (v[0] if v else None) for p, v in chosen.get(canonical, {}).items()}

    sectors, stages = single("sector"), single("career_stage")
    for canonical, values_at in (("sector", sectors), ("career_stage", stages)):
        for position, choice in values_at.items():
            if choice is None:
                report(canonical, position, Problem(
                    f"the {_LABELS[canonical]} '{text[canonical][position]}' was dropped at the check, so the row "
                    f"has no {_LABELS[canonical]}",
                    f"Map the value to a {_LABELS[canonical]} of the program, or keep it, and import again."))
    interests = chosen.get("interests", {})
    for position, listed in interests.items():
        if not listed:
            report("interests", position, Problem("lists no area of interest (every value was dropped)"
                                                  if found["interests"][position][1] else "lists no area of interest",
                                                  "List at least one interest and import again."))
        elif len(listed) > MAX_INTERESTS:
            report("interests", position, Problem(
                f"lists {len(listed)} interests; at most {MAX_INTERESTS} are allowed",
                f"Keep the {MAX_INTERESTS} that matter most to the applicant and import again."))
    languages = chosen.get("languages", {})
    partner_sectors, partner_stages = single("partner_sector"), single("partner_stage")
    partner_interests = chosen.get("partner_interests", {})
    for position, listed in partner_interests.items():
        if len(listed) > MAX_INTERESTS:
            report("partner_interests", position, Problem(
                f"lists {len(listed)} interests; at most {MAX_INTERESTS} are allowed",
                f"Keep the {MAX_INTERESTS} that matter most to the applicant and import again."))

    # Time zones (optional): read with the applicant's country; what cannot be read gives the country's main
    # zone and a warning, never a rejection.
    zones: dict[int, tuple[str, int]] = {}
    warnings_at: dict[int, Rejection] = {}
    if "timezone" in source:
        for position, zone_text in each("timezone"):
            iso3 = countries_found.get(position)
            if iso3 is None:
                continue
            reading = resolve_timezone(zone_text, iso3)
            zones[position] = (reading.zone, reading.offset_minutes)
            if reading.warning is not None:
                warnings_at[position] = Rejection(
                    row_numbers[position], source["timezone"], _display(raw["timezone"][position]),
                    reading.warning.reason[0].upper() + reading.warning.reason[1:] + ".", reading.warning.fix)

    # 6. Already in the round (takes precedence: nothing of such a row would be imported anyway), unless submitted
    # after their application there: the later submission is their new answers (the import replaces them).
    already: list[Rejection] = []
    already_positions: set[int] = set()
    for position, value in emails.items():
        key = normalise_email(value)
        last = existing.get(key)
        later = last is not None and position in submitted and submitted[position] > last
        if key in existing and not later:
            already_positions.add(position)
            already.append(Rejection(
                row_numbers[position], source["email"], _display(raw["email"][position]),
                "Already applied to this round (an application with this email, submitted at the same time or "
                "later, is in the round).",
                "Nothing to do: the application in the round is kept (a later submission would replace its "
                "answers). To change it, edit it in the workbench.",
            ))

    # 7. Someone who submitted twice in the file (the same normalised email, among the rows otherwise fine):
    # the latest submission is kept (or, with keep="first", the first); the others are set aside and listed.
    by_email: dict[str, list[int]] = {}
    for position in range(count):
        if collect.rejected(position) or position in already_positions or position not in emails:
            continue
        by_email.setdefault(normalise_email(emails[position]), []).append(position)
    superseded: dict[int, Rejection] = {}
    for positions in by_email.values():
        if len(positions) < 2:
            continue
        ordered = sorted(positions, key=lambda p: (submitted[p], p))
        kept = ordered[-1] if keep == "latest" else ordered[0]
        when = f"{submitted[kept]:%d %b %Y %H:%M}"
        for position in positions:
            if position == kept:
                continue
            if keep == "latest":
                why = (f"Submitted again: row {row_numbers[kept]} ({when}) is the latest submission of this email, "
                       "and it is the one imported.")
                fix = ("Nothing to do: forms are resubmitted to correct answers. To import the first submission "
                       "instead, choose 'the first submission' on the Import page (or --keep first).")
            else:
                why = (f"Submitted again: row {row_numbers[kept]} ({when}) is the first submission of this email, "
                       "and it is the one imported (as asked).")
                fix = "To import the latest submission instead, choose 'the latest submission' (or --keep latest)."
            superseded[position] = Rejection(row_numbers[position], source["email"],
                                             _display(raw["email"][position]), why, fix)

    # 8. The clean records.
    records: dict[str, list[Any]] = {c: [] for c in ROW_COLUMNS}
    for position in range(count):
        if collect.rejected(position) or position in already_positions or position in superseded:
            continue
        iso3 = countries_found[position]
        zone, offset = zones.get(position) or (countries.main_timezone(iso3), countries.main_utc_offset(iso3))
        email = emails[position]
        records["source_row"].append(row_numbers[position])
        records["submitted_at"].append(submitted[position])
        records["name"].append(text["name"][position])
        records["email"].append(email)
        records["email_normalised"].append(normalise_email(email))
        records["country_iso3"].append(iso3)
        records["sector"].append(sectors[position])
        records["career_stage"].append(stages[position])
        records["interests"].append(list(interests[position]))
        records["languages"].append(list(languages.get(position) or ["English"]))
        records["timezone"].append(zone)
        records["utc_offset_minutes"].append(int(offset))
        records["partner_sector"].append(partner_sectors.get(position))
        records["partner_stage"].append(partner_stages.get(position))
        records["partner_interests"].append(list(partner_interests.get(position) or []))
        records["organisation"].append(text["organisation"][position] or None if "organisation" in text else None)

    rejections = [
        r for position in sorted(collect.by_position) if position not in already_positions
        for r in collect.by_position[position]
        # a shifted row: only the shift is reported (its other cells are misplaced, not wrong)
        if position not in shifted or r.column == WHOLE_ROW
    ]
    suggestions = [s for s in suggestions if s.row not in {a.row for a in already}]
    imported = {p for p in range(count)
                if not collect.rejected(p) and p not in already_positions and p not in superseded}
    unknown_values = []
    for (canonical, key), positions in unknown_at.items():
        rows = tuple(sorted({row_numbers[p] for p in positions if p in imported}))
        if not rows:
            continue
        value = spelling[(COLUMN_KINDS[canonical], key)]
        unknown_values.append(UnknownValue(
            canonical, source[canonical], COLUMN_KINDS[canonical], value, rows,
            suggest(value, voc[COLUMN_KINDS[canonical]]), decided.decision(canonical, value)))
    unknown_values.sort(key=lambda u: (list(COLUMN_KINDS).index(u.column), -len(u.rows), value_key(u.value)))
    used = set(source.values())
    return ValidationReport(
        rows=_frame(records),
        rejections=rejections,
        already_applied=already,
        suggestions=suggestions,
        filename=filename,
        total_rows=count,
        mapping=dict(source),
        ignored_columns=[str(c) for c in df.columns if str(c) not in used],
        date_order=order,
        notes=list(df.attrs.get(NOTES_ATTR) or []),
        unknown_values=unknown_values,
        warnings=[w for p, w in sorted(warnings_at.items()) if p in imported],
        resubmitted=sorted(superseded.values(), key=lambda r: r.row),
        keep=keep,
    )


def _confirmed(confirmed: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for value, iso3 in confirmed.items():
        code = str(iso3).strip().upper()
        if not countries.is_country(code):
            raise WorkbenchError(
                f"'{iso3}' (confirmed for the country '{value}') is not an ISO-3 code in the workbench's "
                "country list; choose one of the suggested countries."
            )
        out[clean_text(str(value))[0]] = code
    return out


def _frame(records: dict[str, list[Any]]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "source_row": pd.Series(records["source_row"], dtype="int64"),
        "submitted_at": pd.Series(pd.to_datetime(records["submitted_at"]), dtype="datetime64[us]"),
        **{c: pd.Series(records[c], dtype=object) for c in ROW_COLUMNS[2:]},
    })
    frame["utc_offset_minutes"] = frame["utc_offset_minutes"].astype("int64")
    for column in ("name", "email", "email_normalised", "country_iso3", "sector", "career_stage", "timezone"):
        frame[column] = frame[column].astype("str")
    return frame[list(ROW_COLUMNS)]
