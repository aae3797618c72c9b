"""Taking in an application file: read it, match its headers, validate every row.

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
- email: syntax (name@domain.tld); the same normalised (trimmed, lower-case) email twice in the file:
  the later row is rejected naming the earlier; an email already in the round is reported in
  ``already_applied`` (not an error of the file), so importing the same file twice adds nothing;
- country: :func:`workbench.countries.resolve_country`; a fuzzy suggestion is rejected until a
  coordinator confirms it (``confirmed_countries={"Austrailia": "AUS"}``);
- sector and career stage: the vocabulary or a synonym ("university" -> academic, "K-12" -> school,
  "early career" -> early, "manager" -> senior, …);
- interests, languages, partner_interests: separated by ';' or ',' (languages also '/', 'and');
  interests must be among workbench.vocab.INTERESTS (an unknown one is rejected with the closest
  suggested), languages among workbench.vocab.LANGUAGES (ISO 639 names and codes accepted);
- time zone: an IANA name, an offset ("UTC+10", "GMT-5", "UTC+05:30"), or a common abbreviation;
  impossible offsets (UTC+15) and unknown names are rejected;
- defaults for missing optional columns or blank cells: languages English; time zone the country's main
  zone (countries.csv); partner wishes none ("any", "no preference", "open to any match" also mean none);
- submitted_at: ISO, "2017-01-12 14:03:22", Google Forms "1/12/2017 14:03:22" (month first), with a
  month name, … Numeric day/month order is decided per file (see :func:`infer_date_order`): a file
  whose dates can only be day first ("13/01/2017") is read day first, otherwise month first (Google
  Forms' export); a date contradicting its file's order, or one that does not parse, is rejected.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

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
    CANONICAL,
    OPTIONAL,
    REQUIRED,
    HeaderMatch,
    MissingColumns,
    header_key,
    match_headers,
)
from workbench.intake.reading import ROW_INDEX, FileUnreadable, read_table
from workbench.intake.validate import ROW_COLUMNS, CountrySuggestion, Rejection, ValidationReport, validate

__all__ = [
    "CANONICAL",
    "CAREER_STAGE_SYNONYMS",
    "LANGUAGE_ALIASES",
    "NO_PREFERENCE",
    "OPTIONAL",
    "REQUIRED",
    "ROW_COLUMNS",
    "ROW_INDEX",
    "SECTOR_SYNONYMS",
    "CountrySuggestion",
    "FileUnreadable",
    "HeaderMatch",
    "MissingColumns",
    "Problem",
    "Rejection",
    "TimeZoneValue",
    "ValidationReport",
    "header_key",
    "infer_date_order",
    "match_headers",
    "parse_career_stage",
    "parse_date",
    "parse_interests",
    "parse_languages",
    "parse_partner",
    "parse_sector",
    "parse_timezone",
    "read_applications",
    "read_table",
    "split_values",
    "validate",
]


def read_applications(
    data: bytes,
    filename: str = "",
    *,
    manual: Mapping[str, str | None] | None = None,
    existing_emails: Collection[str] = frozenset(),
    confirmed_countries: Mapping[str, str] | None = None,
    date_order: Literal["auto", "mdy", "dmy"] = "auto",
) -> ValidationReport:
    """Read, match headers and validate in one call (raises FileUnreadable or MissingColumns)."""
    table = read_table(data, filename)
    mapping = match_headers(table.columns, manual).require()
    return validate(table, mapping, existing_emails=existing_emails, filename=filename,
                    confirmed_countries=confirmed_countries, date_order=date_order)
