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
from workbench.intake.fields import (
    TimeZoneValue,
    parse_career_stage,
    parse_interests,
    parse_languages,
    parse_partner,
    parse_sector,
    parse_timezone,
    zone_for_offset,
)
from workbench.intake.headers import APPLICATION_COLUMNS, CANONICAL, REQUIRED, MissingColumns, missing_columns_message
from workbench.intake.reading import NOTES_ATTR, OVERFLOW_ATTR, ROW_INDEX
from workbench.rejections import WHOLE_ROW, Problem, Rejection, display_value, rejections_frame

if TYPE_CHECKING:
    from workbench.program.vocabularies import Vocabulary

__all__ = ["ROW_COLUMNS", "WHOLE_ROW", "CountrySuggestion", "Rejection", "ValidationReport", "validate"]

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
    ``suggestions`` the rows whose country needs a coordinator's confirmation.
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
    existing_emails: Collection[str] = frozenset(),
    filename: str = "",
    confirmed_countries: Mapping[str, str] | None = None,
    date_order: Literal["auto", "mdy", "dmy"] = "auto",
    date_window: DateWindow | None = None,
    vocabularies: Mapping[str, Vocabulary] | None = None,
) -> ValidationReport:
    """Check every row of an application file and return clean records and rejections.

    ``mapping`` is canonical column -> the file's column (see :func:`match_headers`); a missing
    required column raises :class:`MissingColumns` naming it and saying how to map it. Row numbers
    come from the frame's ``source_row`` index when it has one (as :func:`read_table` gives), otherwise
    the first row is row 2 (the header being row 1). ``existing_emails`` are the round's applicants;
    ``confirmed_countries`` maps a country as written in the file to the ISO-3 code a coordinator
    confirmed; ``date_order`` overrides the file-wide day/month rule of :func:`infer_date_order`;
    ``date_window`` (the round's, from the import) rejects a submission date outside it.
    ``vocabularies`` are the program's (:func:`workbench.program.vocabularies.vocabularies`, read by the
    import from its database); without them the sample program's defaults apply.
    """
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
    existing = {normalise_email(str(e)) for e in existing_emails}

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

    # 5. Vocabularies.
    def scalar(canonical: str, fn: Callable[[str], Any]) -> dict[int, Any]:
        values: dict[int, Any] = {}
        for position, value in parsed(canonical, fn).items():
            if isinstance(value, Problem):
                report(canonical, position, value)
            else:
                values[position] = value
        return values

    voc = dict(vocabularies) if vocabularies is not None else {}
    sector_voc, stage_voc = voc.get("sector"), voc.get("career_stage")
    interest_voc, language_voc = voc.get("interest"), voc.get("language")
    sectors = scalar("sector", lambda t: parse_sector(t, sector_voc))
    stages = scalar("career_stage", lambda t: parse_career_stage(t, stage_voc))
    interests = scalar("interests", lambda t: parse_interests(t, False, interest_voc))
    languages = scalar("languages", lambda t: parse_languages(t, language_voc)) if "languages" in source else {}
    partner_sectors = scalar("partner_sector", lambda t: parse_partner(t, "sector", sector_voc)) \
        if "partner_sector" in source else {}
    partner_stages = scalar("partner_stage", lambda t: parse_partner(t, "career_stage", stage_voc)) \
        if "partner_stage" in source else {}
    partner_interests = scalar("partner_interests", lambda t: parse_interests(t, True, interest_voc)) \
        if "partner_interests" in source else {}
    for position, value in interests.items():
        if not value:
            report("interests", position, Problem("lists no area of interest",
                                                  "List at least one interest and import again."))
    zones = scalar("timezone", parse_timezone) if "timezone" in source else {}

    # 6. Already in the round (takes precedence: nothing of such a row would be imported anyway).
    already: list[Rejection] = []
    already_positions: set[int] = set()
    for position, value in emails.items():
        if normalise_email(value) in existing:
            already_positions.add(position)
            already.append(Rejection(
                row_numbers[position], source["email"], _display(raw["email"][position]),
                "Already applied to this round (an application with this email is in the round).",
                "Nothing to do: the earlier application is kept. To change it, edit it in the workbench.",
            ))

    # 7. Duplicates inside the file, among the rows that are otherwise fine.
    first_row: dict[str, int] = {}
    for position in range(count):
        if collect.rejected(position) or position in already_positions or position not in emails:
            continue
        key = normalise_email(emails[position])
        if key in first_row:
            earlier = first_row[key]
            collect.add(position, source["email"], raw["email"][position],
                        f"The same email address as row {earlier}: someone applied twice.",
                        f"Only the first application (row {earlier}) is imported. If this later one is "
                        f"the one to keep, delete row {earlier} from the file and import again.")
        else:
            first_row[key] = row_numbers[position]

    # 8. The clean records.
    records: dict[str, list[Any]] = {c: [] for c in ROW_COLUMNS}
    for position in range(count):
        if collect.rejected(position) or position in already_positions:
            continue
        iso3 = countries_found[position]
        zone_value = zones.get(position)
        if isinstance(zone_value, TimeZoneValue):
            if zone_value.zone:
                zone, offset = zone_value.zone, zone_value.offset_minutes
            else:
                zone, offset = zone_for_offset(zone_value.offset_minutes, prefer=countries.main_timezone(iso3))
        else:
            zone, offset = countries.main_timezone(iso3), countries.main_utc_offset(iso3)
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
