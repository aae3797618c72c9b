"""Matching a file's column headers to the canonical application columns."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workbench.errors import WorkbenchError

__all__ = [
    "CANONICAL",
    "OPTIONAL",
    "REQUIRED",
    "HeaderMatch",
    "MissingColumns",
    "header_key",
    "match_headers",
]

#: The application columns, in the order the workbench shows them.
CANONICAL: tuple[str, ...] = (
    "submitted_at", "name", "email", "country", "sector", "career_stage", "interests",
    "languages", "timezone", "partner_sector", "partner_stage", "partner_interests",
)
#: Columns every file must have (a missing one stops the import: nothing can be checked without it).
REQUIRED: tuple[str, ...] = (
    "submitted_at", "name", "email", "country", "sector", "career_stage", "interests",
)
#: Columns that get a default when the file lacks them (languages: English; timezone: the country's main
#: zone; partner wishes: none).
OPTIONAL: tuple[str, ...] = tuple(c for c in CANONICAL if c not in REQUIRED)

#: Whole headers (after :func:`header_key`) that name a column exactly: form-export names included.
_EXACT: dict[str, tuple[str, ...]] = {
    "submitted_at": ("submitted at", "submitted", "timestamp", "time stamp", "submission date",
                     "submission time", "date submitted", "submitted on", "date", "date time",
                     "completion time", "start time", "created at", "response date"),
    "name": ("name", "full name", "your name", "your full name", "applicant", "applicant name",
             "participant name", "first and last name", "name and surname", "what is your name",
             "what is your full name"),
    "email": ("email", "e mail", "email address", "e mail address", "your email", "your email address",
              "emailaddress", "mail", "contact email", "what is your email address"),
    "country": ("country", "country of work", "country of residence", "your country", "location",
                "which country do you work in", "which country do you live in",
                "in which country do you work", "where do you work", "where are you based"),
    "sector": ("sector", "library sector", "sector you work in", "library type", "type of library",
               "what type of library do you work in", "which sector do you work in", "your sector",
               "what sector do you work in", "workplace type"),
    "career_stage": ("career stage", "career", "stage", "career level", "experience level",
                     "what stage of your career are you at", "your career stage",
                     "stage of career", "level of experience", "professional stage"),
    "interests": ("interests", "areas of interest", "interest areas", "your interests",
                  "professional interests", "topics of interest", "what are your areas of interest",
                  "what are your professional interests", "areas of professional interest"),
    "languages": ("languages", "language", "languages you can work in", "working languages",
                  "languages spoken", "what languages can you work in", "which languages do you speak",
                  "languages you speak"),
    "timezone": ("timezone", "time zone", "your time zone", "tz", "what time zone are you in",
                 "which time zone are you in", "utc offset"),
    "partner_sector": ("partner sector", "preferred partner sector", "partner s sector",
                       "partner library sector", "preferred sector of partner",
                       "which sector would you like your partner to work in"),
    "partner_stage": ("partner stage", "partner career stage", "partner s career stage",
                      "preferred partner career stage", "preferred partner stage",
                      "career stage of partner", "partner experience level"),
    "partner_interests": ("partner interests", "partner s interests", "preferred partner interests",
                          "partner areas of interest", "interests of partner"),
}

# Keyword rules for question-like headers ("Which country do you work in?"); a header that mentions a
# partner is only ever matched to a partner column.
_PARTNER = re.compile(r"\b(partner|partners|mentor|match)\b")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"\b(e ?mail|email address)\b")),
    ("timezone", re.compile(r"\b(time ?zone|utc|gmt)\b")),
    ("submitted_at", re.compile(r"\b(timestamp|submitted|submission)\b")),
    ("languages", re.compile(r"\blanguages?\b")),
    ("country", re.compile(r"\b(country|countries|nation)\b")),
    ("career_stage", re.compile(r"\b(career|stage)\b")),
    ("sector", re.compile(r"\b(sector|type of library|library type|kind of library)\b")),
    ("interests", re.compile(r"\b(interests?|areas|topics)\b")),
    ("name", re.compile(r"\bname\b")),
)
# "Library name", "First name", "Username": names, but not the applicant's full name.
_NOT_A_PERSON = re.compile(
    r"\b(library|institution|organi[sz]ation|employer|workplace|company|school|university|first|last|"
    r"given|family|user|sur|middle|preferred|nick)\b"
)
_PARTNER_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("partner_sector", re.compile(r"\b(sector|type of library|library type|kind of library)\b")),
    ("partner_stage", re.compile(r"\b(career|stage)\b")),
    ("partner_interests", re.compile(r"\b(interests?|areas|topics)\b")),
)


class MissingColumns(WorkbenchError):
    """Required columns are missing: nothing can be imported until they are mapped."""

    def __init__(self, message: str, missing: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.missing = tuple(missing)


def header_key(text: str) -> str:
    """A header for comparison: accents folded, lower case, punctuation and underscores -> one space."""
    folded = unicodedata.normalize("NFKD", str(text))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    folded = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", folded)  # "(choose up to 6)", "[optional]"
    return re.sub(r"[^0-9a-z]+", " ", folded).strip()


@dataclass(frozen=True)
class HeaderMatch:
    """How a file's columns map onto the canonical ones.

    ``mapping`` is canonical -> source column; ``unknown`` the source columns left unmapped (in file
    order); ``missing_required`` the required canonical columns no source column maps to.
    """

    mapping: dict[str, str]
    unknown: list[str] = field(default_factory=list)
    missing_required: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing_required

    def message(self) -> str:
        """What is missing and how to map it, in words ("" when nothing is)."""
        return missing_columns_message(self.missing_required, self.unknown)

    def require(self) -> dict[str, str]:
        """The mapping, or :class:`MissingColumns` naming what is missing and how to map it."""
        if self.missing_required:
            raise MissingColumns(self.message(), self.missing_required)
        return dict(self.mapping)


def missing_columns_message(missing: Iterable[str], unknown: Iterable[str]) -> str:
    missing = list(missing)
    if not missing:
        return ""
    names = ", ".join(f"'{m}'" for m in missing)
    plural = "columns" if len(missing) > 1 else "column"
    unknown = list(unknown)
    if unknown:
        columns = ", ".join(f"'{u}'" for u in unknown[:12])
        hint = (f"Map one of the file's unrecognised columns ({columns}) to it by hand on the Import page, "
                f"or rename the file's column to '{missing[0]}' and import again.")
    else:
        hint = f"Add a column headed '{missing[0]}' to the file and import again."
    return f"The file has no {names} {plural}, which every application needs. {hint}"


def _score(key: str) -> tuple[str | None, int]:
    """(canonical, strength): 3 = canonical name, 2 = a known header, 1 = a keyword rule."""
    for canonical in CANONICAL:
        if key == header_key(canonical):
            return canonical, 3
    for canonical, names in _EXACT.items():
        if key in names:
            return canonical, 2
    rules = _PARTNER_RULES if _PARTNER.search(key) else _RULES
    for canonical, pattern in rules:
        if canonical == "name" and _NOT_A_PERSON.search(key):
            continue
        if pattern.search(key):
            return canonical, 1
    return None, 0


def match_headers(columns: Iterable[str], manual: Mapping[str, str | None] | None = None) -> HeaderMatch:
    """Match source columns to canonical ones, tolerantly (case, spacing, punctuation, form-export names).

    ``manual`` maps source column -> canonical column by hand and wins over the automatic match; a
    value of ``None`` or ``""`` leaves that source column unmapped. When two source columns match the
    same canonical column, the stronger match wins (then the earlier column) and the other is unknown.
    """
    columns = [str(c) for c in columns]
    manual = dict(manual or {})
    for source, canonical in manual.items():
        if source not in columns:
            raise WorkbenchError(
                f"The file has no column '{source}' to map by hand. Its columns are: "
                + ", ".join(f"'{c}'" for c in columns) + "."
            )
        if canonical and canonical not in CANONICAL:
            raise WorkbenchError(
                f"'{canonical}' is not an application column; map '{source}' to one of: "
                + ", ".join(CANONICAL) + "."
            )
    mapping: dict[str, str] = {}
    for source, canonical in manual.items():
        if canonical:
            if canonical in mapping:
                raise WorkbenchError(
                    f"Both '{mapping[canonical]}' and '{source}' are mapped to '{canonical}' by hand; "
                    "map only one of them."
                )
            mapping[canonical] = source
    best: dict[str, tuple[int, int, str]] = {}
    for position, source in enumerate(columns):
        if source in manual:
            continue
        canonical, strength = _score(header_key(source))
        if canonical is None or canonical in mapping:
            continue
        current = best.get(canonical)
        if current is None or (strength, -position) > (current[0], -current[1]):
            best[canonical] = (strength, position, source)
    mapping.update({canonical: source for canonical, (_, _, source) in best.items()})
    used = set(mapping.values())
    unknown = [c for c in columns if c not in used]
    ordered = {c: mapping[c] for c in CANONICAL if c in mapping}
    missing = [c for c in REQUIRED if c not in ordered]
    return HeaderMatch(ordered, unknown, missing)
