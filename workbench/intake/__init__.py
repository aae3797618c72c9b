"""Taking in a file: read it, match its headers, validate every row. The one reader and the one set of
cell parsers of every import: applications (here), check-ins and surveys (:mod:`workbench.followup.checkins`).

- :mod:`~workbench.intake.limits`: how large a file is read (bytes, rows, an XLSX's inflated size);
- :mod:`~workbench.intake.reading`: decoding, CSV or XLSX -> a frame of strings, which sheet was read;
- :mod:`~workbench.intake.headers`: header normalisation and matching, for any import's columns;
- :mod:`~workbench.intake.cells`: the cell rules every import shares (text, lists, emails, yes/no,
  numbers, dates and the round's date window);
- :mod:`~workbench.intake.fields`: application vocabularies and time zones;
- :mod:`~workbench.intake.values`: values outside the program's vocabularies (grouped, suggested when sure,
  mapped, added, dropped or kept as written: never a rejection);
- :mod:`~workbench.intake.timezones`: an applicant's time zone read with their country (decimal hours,
  abbreviations, cities; what cannot be read falls back to the country's main zone with a warning);
- :mod:`~workbench.intake.responses`: check-in and survey vocabularies;
- :mod:`~workbench.intake.validate`: an application file, row by row.

Pure: no database and no Streamlit. The import command and the Import page call, in turn,

>>> table = read_table(data, "applications.csv")          # CSV or XLSX -> frame of strings
>>> header = match_headers(table.columns, manual=None)    # tolerant header matching
>>> report = validate(table, header.require(), existing_emails=round_emails, filename="applications.csv")

or :func:`read_applications` for all three. ``report.rows`` are the clean records to insert,
``report.rejections`` the problems (row, column, value, reason, fix), ``report.already_applied`` the
rows whose email is already in the round, ``report.suggestions`` the countries to confirm.

The rules, each with a :class:`Rejection` saying what to do when broken:

- required (submitted_at, name, email, country, sector, career_stage, interests): present, not blank;
- every cell: Unicode NFC, zero-width characters dropped, whitespace (no-break spaces included)
  collapsed and trimmed; a control character is rejected; a name over 200 characters, an email over
  254, any other cell over 1,000 is rejected;
- email: syntax (name@domain.tld, internationalised addresses included: josé@example.org,
  ivan@пример.рф); the same normalised (trimmed, NFC, lower-case) email twice in the file:
  the later row is rejected naming the earlier; an email already in the round is reported in
  ``already_applied`` (not an error of the file), so importing the same file twice adds nothing;
- country: :func:`workbench.countries.resolve_country`; a fuzzy suggestion is rejected until a
  coordinator confirms it (``confirmed_countries={"Austrailia": "AUS"}``);
- sector and career stage: the vocabulary or a synonym ("university" -> academic, "K-12" -> school,
  "early career" -> early, "manager" -> senior, …);
- interests, languages, partner_interests: separated by ';' or ',' (languages also '/', 'and');
  interests must be among the program's interests (an unknown one is rejected with the closest
  suggested), languages among its languages (ISO 639 names and codes accepted);
- time zone: an IANA name, an offset ("UTC+10", "GMT-5", "UTC+05:30"), or a common abbreviation;
  impossible offsets (UTC+15) and unknown names are rejected;
- defaults for missing optional columns or blank cells: languages English; time zone the country's main
  zone (countries.csv); partner wishes none ("any", "no preference", "open to any match" also mean none);
- submitted_at: ISO, "2017-01-12 14:03:22", Google Forms "1/12/2017 14:03:22" (month first), with a
  month name, … Numeric day/month order is decided per file (see :func:`infer_date_order`): a file
  whose dates can only be day first ("13/01/2017") is read day first, otherwise month first (Google
  Forms' export); a date contradicting its file's order, or one that does not parse, is rejected; with
  a ``date_window`` (the import passes the round's) a date in the future, after the round ended or
  before the program's first round is rejected, naming the round.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

from workbench.intake.cells import (
    MAX_CELL,
    MAX_FREE_TEXT,
    DateWindow,
    normalise_email,
    parse_email,
    parse_int,
    parse_yes_no,
)
from workbench.intake.fields import (
    CAREER_STAGE_SYNONYMS,
    LANGUAGE_ALIASES,
    NO_PREFERENCE,
    SECTOR_SYNONYMS,
    Problem,
    TimeZoneValue,
    infer_date_order,
    parse_career_stage,
    parse_date,
    parse_interests,
    parse_languages,
    parse_partner,
    parse_sector,
    parse_timezone,
    split_values,
)
from workbench.intake.headers import (
    APPLICATION_COLUMNS,
    CANONICAL,
    OPTIONAL,
    REQUIRED,
    ColumnSpec,
    HeaderMatch,
    MissingColumns,
    header_key,
    match_columns,
    match_headers,
    word_rule,
)
from workbench.intake.limits import MAX_BYTES, MAX_ROWS, ImportLimits, import_limits
from workbench.intake.reading import NOTES_ATTR, OVERFLOW_ATTR, ROW_INDEX, FileUnreadable, read_table
from workbench.intake.timezones import ZoneReading, resolve_timezone
from workbench.intake.validate import ROW_COLUMNS, CountrySuggestion, Keep, Rejection, ValidationReport, validate
from workbench.intake.values import ADD, DROP, KEEP, Decisions, UnknownValue, suggest

__all__ = [
    "ADD",
    "APPLICATION_COLUMNS",
    "CANONICAL",
    "CAREER_STAGE_SYNONYMS",
    "DROP",
    "KEEP",
    "LANGUAGE_ALIASES",
    "MAX_BYTES",
    "MAX_CELL",
    "MAX_FREE_TEXT",
    "MAX_ROWS",
    "NOTES_ATTR",
    "NO_PREFERENCE",
    "OPTIONAL",
    "OVERFLOW_ATTR",
    "REQUIRED",
    "ROW_COLUMNS",
    "ROW_INDEX",
    "SECTOR_SYNONYMS",
    "ColumnSpec",
    "CountrySuggestion",
    "DateWindow",
    "Decisions",
    "FileUnreadable",
    "HeaderMatch",
    "ImportLimits",
    "Keep",
    "MissingColumns",
    "Problem",
    "Rejection",
    "TimeZoneValue",
    "UnknownValue",
    "ValidationReport",
    "ZoneReading",
    "header_key",
    "import_limits",
    "infer_date_order",
    "match_columns",
    "match_headers",
    "normalise_email",
    "parse_career_stage",
    "parse_date",
    "parse_email",
    "parse_int",
    "parse_interests",
    "parse_languages",
    "parse_partner",
    "parse_sector",
    "parse_timezone",
    "parse_yes_no",
    "read_applications",
    "read_table",
    "resolve_timezone",
    "split_values",
    "suggest",
    "validate",
    "word_rule",
]


def read_applications(
    data: bytes,
    filename: str = "",
    *,
    manual: Mapping[str, str | None] | None = None,
    existing_emails: Collection[str] = frozenset(),
    confirmed_countries: Mapping[str, str] | None = None,
    date_order: Literal["auto", "mdy", "dmy"] = "auto",
    date_window: DateWindow | None = None,
    decisions: Decisions | None = None,
    keep: Keep = "latest",
) -> ValidationReport:
    """Read, match headers and validate in one call (raises FileUnreadable, ImportTooLarge or MissingColumns)."""
    table = read_table(data, filename)
    mapping = match_headers(table.columns, manual, filename=filename).require()
    return validate(table, mapping, existing_emails=existing_emails, filename=filename,
                    confirmed_countries=confirmed_countries, date_order=date_order, date_window=date_window,
                    decisions=decisions, keep=keep)
