"""Reading one cell of an application: its vocabularies (sector, career stage, interests, languages,
partner wishes) and time zones.

The vocabularies are the program's own (:class:`~workbench.program.vocabularies.Vocabulary`, read from the
database by the import and passed in); without one, a parser uses the sample program's defaults
(``workbench/sample/vocabularies.py``), which is what a new database is seeded with.

The rules every import shares (text cleaning, multi-value cells, emails, dates) live in
:mod:`workbench.intake.cells` and are re-exported here. Each parser takes one cleaned cell and returns the
value or a :class:`Problem` (what is wrong and what to do). They are pure and cached per distinct value,
so a column of 10,000 rows costs one call per distinct cell.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from workbench.countries import country_table
from workbench.intake.cells import (
    DateOrder,
    clean_text,
    infer_date_order,
    parse_date,
    split_values,
)
from workbench.intake.cells import vocab_key as _key
from workbench.program.vocabularies import Vocabulary, term_key
from workbench.program.vocabularies import default_vocabularies as program_defaults
from workbench.rejections import Problem
from workbench.sample import vocabularies as sample_vocabularies

__all__ = [
    "CAREER_STAGE_SYNONYMS",
    "LANGUAGE_ALIASES",
    "NO_PREFERENCE",
    "SECTOR_SYNONYMS",
    "DateOrder",
    "Problem",
    "TimeZoneValue",
    "clean_text",
    "infer_date_order",
    "parse_career_stage",
    "parse_date",
    "parse_interests",
    "parse_languages",
    "parse_partner",
    "parse_sector",
    "parse_timezone",
    "split_values",
    "standard_offset",
    "zone_for_offset",
]

MAX_INTERESTS = 10  # the schema's CHECK (len(interests) BETWEEN 1 AND 10)


@functools.cache
def default_vocabularies() -> Mapping[str, Vocabulary]:
    """The sample program's vocabularies (``workbench/sample/vocabularies.py``): what a parser uses when given none."""
    return program_defaults()


def _vocabulary(kind: str, given: Vocabulary | None) -> Vocabulary:
    return given if given is not None else default_vocabularies()[kind]


def _term_key(text: str) -> str:
    return term_key(text)


def _closest(key: str, choices: Mapping[str, str], cutoff: float = 0.6) -> str | None:
    """The choice closest to ``key``: a whole-word containment first, then difflib."""
    if not key:
        return None
    contained = [label for k, label in choices.items() if re.search(rf"\b{re.escape(key)}\b", k)]
    if len(set(contained)) == 1:
        return contained[0]
    close = difflib.get_close_matches(key, list(choices), n=1, cutoff=cutoff)
    return choices[close[0]] if close else None


# --------------------------------------------------------------------------------------------------
# Sector and career stage


def _word_table(kind: str) -> dict[str, str]:
    return {_key(word): value for value, _, words in sample_vocabularies.default_terms()[kind]
            for word in (value, *words)}


#: The sample program's words for a sector -> the sector (workbench.sample.vocabularies; a program's own are in
#: its database).
SECTOR_SYNONYMS: dict[str, str] = _word_table("sector")

#: The sample program's words for a career stage -> the stage.
CAREER_STAGE_SYNONYMS: dict[str, str] = _word_table("career_stage")

#: Answers that mean "no wish about my partner".
NO_PREFERENCE: frozenset[str] = frozenset({
    "any", "anyone", "anybody", "all", "no preference", "open to any match", "open to any", "open",
    "none", "no", "n a", "na", "not applicable", "nil", "doesnt matter", "does not matter", "dont mind",
    "do not mind", "either", "whatever", "no particular preference", "not important", "any match",
    "happy with any", "no wish", "no preferences", "not sure", "unsure", "dont know",
})

_WHITESPACE = re.compile(r"\s+")
_FILLER = re.compile(r"\b(library|libraries|librarian|librarians|librarianship|sector|career|level|stage|"
                     r"professional|i am|i m|im|a|an|the|in|at|of)\b")


def _vocab_match(text: str, vocabulary: Vocabulary) -> str | tuple[str, ...] | None:
    """A value of ``vocabulary``: its value, label or a synonym, then the same without filler words
    ("library", "sector", "I am"…), then one phrase of the vocabulary found in the text.

    Returns the value, None (nothing found) or a tuple of the several values the text names.
    """
    found = vocabulary.lookup(text)
    if found is not None:
        return found
    key = _key(text)
    bare = _WHITESPACE.sub(" ", _FILLER.sub(" ", key)).strip()
    found = vocabulary.lookup(bare) if bare else None
    if found is not None:
        return found
    padded = f" {key} "
    hits = [value for phrase, value in vocabulary.index.items() if f" {phrase} " in padded
            or f" {phrase}s " in padded]
    distinct = tuple(dict.fromkeys(hits))
    if len(distinct) == 1:
        return distinct[0]
    return distinct or None


def _parse_choice(text: str, vocabulary: Vocabulary, what: str) -> str | Problem:
    found = _vocab_match(text, vocabulary)
    if isinstance(found, str):
        return found
    listed = ", ".join(vocabulary.values())
    if isinstance(found, tuple):
        return Problem(f"names more than one {what} ({', '.join(found)})",
                       f"Choose one {what}: one of {listed}.")
    guess = _closest(_term_key(text), vocabulary.index)
    hint = f"Did you mean '{guess}'? " if guess else ""
    return Problem(f"'{text}' is not a {what} the workbench knows", f"{hint}Use one of: {listed}.")


@functools.lru_cache(maxsize=4096)
def parse_sector(text: str, vocabulary: Vocabulary | None = None) -> str | Problem:
    """"University" -> "academic", "K-12" -> "school" … or a Problem naming the valid sectors."""
    return _parse_choice(text, _vocabulary("sector", vocabulary), "sector")


@functools.lru_cache(maxsize=4096)
def parse_career_stage(text: str, vocabulary: Vocabulary | None = None) -> str | Problem:
    """"Early career" -> "early", "Library school student" -> "student" … or a Problem."""
    return _parse_choice(text, _vocabulary("career_stage", vocabulary), "career stage")


def _no_preference(text: str) -> bool:
    key = _key(text)
    return (not key or key in NO_PREFERENCE or key.startswith(("any ", "no preference", "open to any"))
            or key.endswith(" any"))


@functools.lru_cache(maxsize=4096)
def parse_partner(text: str, kind: Literal["sector", "career_stage"],
                  vocabulary: Vocabulary | None = None) -> str | Problem | None:
    """A partner wish: blank or "any" / "no preference" / "open to any match" -> None (no wish)."""
    if _no_preference(text):
        return None
    problem_or_value = parse_sector(text, vocabulary) if kind == "sector" else parse_career_stage(text, vocabulary)
    if isinstance(problem_or_value, Problem):
        return Problem(f"{problem_or_value.reason} (a partner wish)",
                       problem_or_value.fix.rstrip(".") + ", or leave it blank for no preference.")
    return problem_or_value


# --------------------------------------------------------------------------------------------------
# Interests and languages

@functools.lru_cache(maxsize=50_000)
def parse_interests(text: str, partner: bool = False, vocabulary: Vocabulary | None = None) -> list[str] | Problem:
    """Interests separated by ';' or ',', matched to the program's areas of interest (values, labels or
    synonyms, ignoring case, spacing, punctuation and a plural 's'). An unknown interest is a Problem naming
    the closest valid one. With ``partner`` (partner_interests), "any" / "no preference" means no wish: [].
    """
    if partner and _no_preference(text):
        return []
    interests = _vocabulary("interest", vocabulary)
    labels: list[str] = []
    for item in split_values(text):
        label = interests.lookup(item)
        if label is None:
            guess = _closest(_term_key(item), interests.index, cutoff=0.5)
            hint = f"Did you mean '{guess}'? " if guess else ""
            return Problem(f"'{item}' is not one of the program's areas of interest",
                           f"{hint}Use the interests as the form lists them (separated by ';' or ','), "
                           "for example 'Library spaces; Reading promotion'.")
        if label not in labels:
            labels.append(label)
    if len(labels) > MAX_INTERESTS:
        return Problem(f"lists {len(labels)} interests; at most {MAX_INTERESTS} are allowed",
                       f"Keep the {MAX_INTERESTS} that matter most to the applicant and import again.")
    return labels


#: The sample program's other names of the working languages -> the language (workbench.sample.vocabularies).
LANGUAGE_ALIASES: dict[str, str] = {word: value for value, words in sample_vocabularies.LANGUAGE_SYNONYMS.items()
                                    for word in words}
_PARENS = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")


def _language(item: str, languages: Vocabulary) -> str | None:
    found = languages.lookup(item)
    if found is not None:
        return found
    bare = _PARENS.sub(" ", item)  # "English (native)", "Chinese (Mandarin)"
    found = languages.lookup(bare) if bare.strip() else None
    if found is not None:
        return found
    language = _iso639(item.strip())
    if language is None:
        return None
    name = _PARENS.sub(" ", language)
    found = languages.lookup(name)
    if found is not None:
        return found
    words = set(_term_key(name).split()) | set(_key(name).split())
    hits = [t.value for t in languages.terms if _term_key(t.value) in words]
    return hits[0] if len(hits) == 1 else None


@functools.cache
def _iso639_index() -> dict[str, str]:
    """ISO 639 codes and names (pycountry) -> the language's ISO name, built once.

    Looking names up here rather than with ``pycountry.languages.lookup`` (a scan of ~8,000 entries
    per call) keeps a column of unusual values fast.
    """
    import pycountry

    index: dict[str, str] = {}
    for language in pycountry.languages:
        name = str(language.name)
        for attr in ("alpha_2", "alpha_3", "bibliographic"):
            code = getattr(language, attr, None)
            if code:
                index.setdefault(f"code:{str(code).lower()}", name)
        for attr in ("name", "common_name", "inverted_name"):
            text = getattr(language, attr, None)
            if text:
                index.setdefault(f"name:{_key(str(text))}", name)
    return index


def _iso639(text: str) -> str | None:
    """The ISO 639 name of a code ("es", "fra", "ger") or a name; None when unknown."""
    index = _iso639_index()
    code = text.strip().lower()
    if len(code) in (2, 3) and code.isalpha():
        return index.get(f"code:{code}")
    return index.get(f"name:{_key(text)}")


@functools.lru_cache(maxsize=20_000)
def parse_languages(text: str, vocabulary: Vocabulary | None = None) -> list[str] | Problem:
    """Working languages separated by ';', ',', '/' or 'and', matched to the program's working languages;
    ISO 639 names and codes ("es", "fra") are accepted where they map into that list.
    """
    languages = _vocabulary("language", vocabulary)
    labels: list[str] = []
    for item in split_values(_PARENS.sub(" ", text), names=True):  # "Chinese (Mandarin, Cantonese)"
        label = _language(item, languages)
        if label is None:
            guess = _closest(_term_key(item), languages.index, cutoff=0.7)
            hint = f"Did you mean '{guess}'? " if guess else ""
            return Problem(f"'{item}' is not one of the program's working languages",
                           f"{hint}Use languages from the program's list, separated by ';' (for example "
                           "'English; Spanish'), or remove it.")
        if label not in labels:
            labels.append(label)
    return labels


# --------------------------------------------------------------------------------------------------
# Time zones


@dataclass(frozen=True)
class TimeZoneValue:
    """A parsed time zone: an IANA name, or only an offset ("UTC+10": ``zone`` is None)."""

    zone: str | None
    offset_minutes: int


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _table_offsets() -> dict[str, int]:
    table = country_table()
    offsets: dict[str, int] = {}
    for zone, offset in zip(table["timezone"], table["utc_offset_minutes"], strict=True):
        offsets.setdefault(str(zone), int(offset))
    return offsets


@functools.lru_cache(maxsize=1024)
def standard_offset(zone: str) -> int:
    """A zone's standard offset in minutes: the country table's figure for a country's main zone,
    otherwise the smaller of its January and July offsets (daylight saving moves clocks forward).
    """
    if zone in _table_offsets():
        return _table_offsets()[zone]
    info = zoneinfo.ZoneInfo(zone)
    offsets = []
    for month in (1, 7):
        delta = dt.datetime(2025, month, 15, 12, tzinfo=info).utcoffset()
        offsets.append(int(delta.total_seconds() // 60) if delta is not None else 0)
    return min(offsets)


#: Representative zones for offsets that are not whole hours (whole hours use Etc/GMT±N).
_FRACTIONAL_ZONES: dict[int, str] = {
    -570: "Pacific/Marquesas", -210: "America/St_Johns", 210: "Asia/Tehran", 270: "Asia/Kabul",
    330: "Asia/Kolkata", 345: "Asia/Kathmandu", 390: "Asia/Yangon", 525: "Australia/Eucla",
    570: "Australia/Darwin", 630: "Australia/Lord_Howe", 765: "Pacific/Chatham",
}


@functools.lru_cache(maxsize=1024)
def _summer_offset(zone: str) -> int:
    info = zoneinfo.ZoneInfo(zone)
    offsets = [dt.datetime(2025, month, 15, 12, tzinfo=info).utcoffset() for month in (1, 7)]
    return max(int(o.total_seconds() // 60) for o in offsets if o is not None)


def zone_for_offset(offset_minutes: int, prefer: str | None = None) -> tuple[str, int]:
    """An IANA zone and standard offset for a bare offset ("UTC+11").

    ``prefer`` (the country's main zone) is used when the offset is its standard offset or its
    daylight-saving offset (an Australian writing UTC+11 in January: Australia/Sydney, standard
    +10:00). Otherwise Etc/GMT±N for whole hours (note the inverted POSIX sign) or a representative
    zone for the half and quarter hours, with the offset as given.
    """
    if prefer:
        standard = standard_offset(prefer)
        if offset_minutes == standard or offset_minutes == _summer_offset(prefer):
            return prefer, standard
    if offset_minutes % 60 == 0:
        hours = offset_minutes // 60
        return ("Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"), offset_minutes
    return _FRACTIONAL_ZONES.get(offset_minutes, "Etc/UTC"), offset_minutes


_OFFSET = re.compile(
    r"^\(?\s*(?P<prefix>utc|gmt|z)?\s*(?:(?P<sign>[+\-−–])\s*(?P<hours>\d{1,2})"
    r"(?:(?:\s*[:h]\s*|)(?P<minutes>\d{2})|\.(?P<fraction>\d{1,2}))?)?\s*\)?(?P<rest>.*)$",
    re.IGNORECASE,
)
_ABBREVIATIONS: dict[str, int] = {
    "aest": 600, "aedt": 600, "acst": 570, "acdt": 570, "awst": 480, "nzst": 720, "nzdt": 720,
    "est": -300, "edt": -300, "pst": -480, "pdt": -480, "mst": -420, "mdt": -420, "akst": -540,
    "hst": -600, "cet": 60, "cest": 60, "eet": 120, "eest": 120, "wet": 0, "west": 0, "jst": 540,
    "kst": 540, "hkt": 480, "sgt": 480, "wib": 420, "pht": 480, "sast": 120, "eat": 180, "wat": 60,
    "cat": 120, "pkt": 300, "npt": 345, "msk": 180,
}


#: What follows the dot of an offset: minutes as people write them ("GMT+5.30", "UTC+9.30", "+5.45") or a
#: decimal fraction of an hour ("+5.5", "+9.50", "+5.75").
_FRACTIONS: dict[str, int] = {"0": 0, "00": 0, "30": 30, "45": 45, "5": 30, "50": 30, "75": 45}


def _fraction_minutes(fraction: str) -> int:
    """The minutes of "5.30" (30), "5.5" (30) or "5.75" (45); anything else (-1) is not an offset."""
    return _FRACTIONS.get(fraction, -1)


def _offset_value(text: str) -> TimeZoneValue | Problem | None:
    match = _OFFSET.match(text)
    if not match or not (match.group("prefix") or match.group("sign")):
        return None
    rest = match.group("rest")
    if rest and not rest[0].isspace() and not text.startswith("("):
        return None
    if not match.group("sign"):
        return TimeZoneValue(None, 0) if not rest.strip() or text.startswith("(") else None
    hours = int(match.group("hours"))
    if match.group("fraction") is not None:
        minutes = _fraction_minutes(match.group("fraction"))
    else:
        minutes = int(match.group("minutes") or 0)
    total = hours * 60 + minutes
    sign = -1 if match.group("sign") in "-−–" else 1
    offset = sign * total
    if minutes not in (0, 30, 45) or not -720 <= offset <= 840:
        shown = f"UTC{'+' if sign > 0 else '-'}{hours:02d}:{minutes:02d}" if minutes >= 0 else f"'{text}'"
        return Problem(f"{shown} is not a time zone anywhere on Earth (offsets run from UTC-12:00 to "
                       "UTC+14:00, in whole or half hours or UTC+05:45-style quarters)",
                       "Write the applicant's time zone as an IANA name such as 'Australia/Sydney' or an "
                       "offset such as 'UTC+10', or leave it blank to use the country's main time zone.")
    return TimeZoneValue(None, offset)


@functools.lru_cache(maxsize=4096)
def parse_timezone(text: str) -> TimeZoneValue | Problem:
    """An IANA name (any case, spaces for underscores: "america/new york"), an offset ("UTC+10",
    "GMT-5", "UTC+05:30", "+10:00", "(GMT+10:00) Canberra, Melbourne, Sydney") or a common
    abbreviation ("AEST"). Impossible offsets (UTC+15) and unknown names ("Mars/Olympus") are Problems.
    """
    stripped = text.strip()
    zone = _zone_names().get(stripped.replace(" ", "_").lower())
    if zone is not None:
        return TimeZoneValue(zone, standard_offset(zone))
    offset = _offset_value(stripped)
    if offset is not None:
        return offset
    abbreviation = _ABBREVIATIONS.get(stripped.lower().strip("()"))
    if abbreviation is not None:
        return TimeZoneValue(None, abbreviation)
    wanted = stripped.replace(" ", "_").lower()
    # Only something shaped like an IANA name ("Europe/Lodnon") is worth a close-spelling search.
    close = difflib.get_close_matches(wanted, list(_zone_names()), n=1, cutoff=0.8) if "/" in wanted else []
    hint = f"Did you mean '{_zone_names()[close[0]]}'? " if close else ""
    return Problem(f"'{text}' is not a time zone",
                   f"{hint}Write an IANA time zone such as 'Australia/Sydney' or an offset such as 'UTC+10', "
                   "or leave it blank to use the country's main time zone.")
