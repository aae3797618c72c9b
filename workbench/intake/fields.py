"""Reading one cell of an application: its vocabularies (sector, career stage, interests, languages,
partner wishes) and time zones.

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
from dataclasses import dataclass
from typing import Literal

from workbench import vocab
from workbench.intake.cells import (
    DateOrder,
    clean_text,
    infer_date_order,
    parse_date,
    split_values,
)
from workbench.intake.cells import vocab_key as _key
from workbench.rejections import Problem

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


def _closest(key: str, choices: dict[str, str], cutoff: float = 0.6) -> str | None:
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

#: Words applicants write for a sector -> the sector (workbench.vocab.SECTORS).
SECTOR_SYNONYMS: dict[str, str] = {
    **{s: s for s in vocab.SECTORS},
    "university": "academic", "college": "academic", "higher education": "academic", "tertiary": "academic",
    "academic library": "academic", "university library": "academic", "college library": "academic",
    "research library": "academic", "community college": "academic", "polytechnic": "academic",
    "public library": "public", "municipal": "public", "municipal library": "public",
    "city library": "public", "county library": "public", "regional library": "public",
    "school library": "school", "k 12": "school", "k12": "school", "primary school": "school",
    "secondary school": "school", "high school": "school", "teacher librarian": "school",
    "special library": "special", "corporate": "special", "government": "special", "law": "special",
    "legal": "special", "medical": "special", "health": "special", "hospital": "special",
    "museum": "special", "business": "special", "law library": "special", "medical library": "special",
    "health library": "special", "government library": "special", "corporate library": "special",
    "national library": "national", "state library": "national", "parliamentary library": "national",
    "other sector": "other", "none of the above": "other",
}

#: Words applicants write for a career stage -> the stage (workbench.vocab.CAREER_STAGES).
CAREER_STAGE_SYNONYMS: dict[str, str] = {
    **{s: s for s in vocab.CAREER_STAGES},
    "student": "student", "library school student": "student", "lis student": "student",
    "mlis student": "student", "library student": "student", "studying": "student",
    "early career": "early", "new professional": "early", "early career professional": "early",
    "graduate": "early", "new graduate": "early", "recent graduate": "early", "entry level": "early",
    "newly qualified": "early", "beginner": "early", "junior": "early", "new librarian": "early",
    "mid career": "mid", "mid level": "mid", "middle": "mid", "mid career professional": "mid",
    "intermediate": "mid", "established": "mid",
    "senior": "senior", "manager": "senior", "experienced": "senior", "late career": "senior",
    "management": "senior", "director": "senior", "executive": "senior", "senior professional": "senior",
    "senior manager": "senior", "leader": "senior",
}

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


def _vocab_match(text: str, table: dict[str, str]) -> str | tuple[str, ...] | None:
    """A value from ``table``: exact key, then without filler words, then one phrase found in the text.

    Returns the value, None (nothing found) or a tuple of the several values the text names.
    """
    key = _key(text)
    if key in table:
        return table[key]
    bare = _WHITESPACE.sub(" ", _FILLER.sub(" ", key)).strip()
    if bare in table:
        return table[bare]
    found = [value for phrase, value in table.items() if re.search(rf"\b{re.escape(phrase)}\b", key)]
    distinct = tuple(dict.fromkeys(found))
    if len(distinct) == 1:
        return distinct[0]
    return distinct or None


def _parse_choice(text: str, table: dict[str, str], what: str, valid: tuple[str, ...]) -> str | Problem:
    found = _vocab_match(text, table)
    if isinstance(found, str):
        return found
    listed = ", ".join(valid)
    if isinstance(found, tuple):
        return Problem(f"names more than one {what} ({', '.join(found)})",
                       f"Choose one {what}: one of {listed}.")
    guess = _closest(_key(text), table)
    hint = f"Did you mean '{guess}'? " if guess else ""
    return Problem(f"'{text}' is not a {what} the workbench knows", f"{hint}Use one of: {listed}.")


@functools.lru_cache(maxsize=4096)
def parse_sector(text: str) -> str | Problem:
    """"University" -> "academic", "K-12" -> "school" … or a Problem naming the valid sectors."""
    return _parse_choice(text, SECTOR_SYNONYMS, "sector", vocab.SECTORS)


@functools.lru_cache(maxsize=4096)
def parse_career_stage(text: str) -> str | Problem:
    """"Early career" -> "early", "Library school student" -> "student" … or a Problem."""
    return _parse_choice(text, CAREER_STAGE_SYNONYMS, "career stage", vocab.CAREER_STAGES)


def _no_preference(text: str) -> bool:
    key = _key(text)
    return (not key or key in NO_PREFERENCE or key.startswith(("any ", "no preference", "open to any"))
            or key.endswith(" any"))


@functools.lru_cache(maxsize=4096)
def parse_partner(text: str, kind: Literal["sector", "career_stage"]) -> str | Problem | None:
    """A partner wish: blank or "any" / "no preference" / "open to any match" -> None (no wish)."""
    if _no_preference(text):
        return None
    problem_or_value = parse_sector(text) if kind == "sector" else parse_career_stage(text)
    if isinstance(problem_or_value, Problem):
        return Problem(f"{problem_or_value.reason} (a partner wish)",
                       problem_or_value.fix.rstrip(".") + ", or leave it blank for no preference.")
    return problem_or_value


# --------------------------------------------------------------------------------------------------
# Interests and languages

_INTERESTS: dict[str, str] = {_key(label): label for label in vocab.INTERESTS}


@functools.lru_cache(maxsize=50_000)
def parse_interests(text: str, partner: bool = False) -> list[str] | Problem:
    """Interests separated by ';' or ',', matched to workbench.vocab.INTERESTS ignoring case, spacing
    and punctuation. An unknown interest is a Problem naming the closest valid one. With ``partner``
    (partner_interests), "any" / "no preference" means no wish: [].
    """
    if partner and _no_preference(text):
        return []
    labels: list[str] = []
    for item in split_values(text):
        label = _INTERESTS.get(_key(item))
        if label is None:
            guess = _closest(_key(item), _INTERESTS, cutoff=0.5)
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


_LANGUAGES: dict[str, str] = {_key(label): label for label in vocab.LANGUAGES}

#: Other names and native names of the working languages (ISO 639 names and codes come from pycountry).
LANGUAGE_ALIASES: dict[str, str] = {
    "mandarin": "Chinese", "mandarin chinese": "Chinese", "cantonese": "Chinese", "putonghua": "Chinese",
    "farsi": "Persian", "filipino": "Tagalog", "pilipino": "Tagalog", "bahasa indonesia": "Indonesian",
    "bahasa melayu": "Malay", "bahasa malaysia": "Malay", "kiswahili": "Swahili", "bangla": "Bengali",
    "te reo maori": "Maori", "te reo": "Maori", "myanmar": "Burmese", "castilian": "Spanish",
    "espanol": "Spanish", "francais": "French", "deutsch": "German", "portugues": "Portuguese",
    "brazilian portuguese": "Portuguese", "italiano": "Italian", "nederlands": "Dutch", "flemish": "Dutch",
    "bokmal": "Norwegian", "norwegian bokmal": "Norwegian", "nynorsk": "Norwegian", "divehi": "Dhivehi",
    "maldivian": "Dhivehi", "modern greek": "Greek", "nepalese": "Nepali", "sinhalese": "Sinhala",
    "cambodian": "Khmer", "laotian": "Lao", "slovene": "Slovenian", "pushto": "Pashto", "pashtu": "Pashto",
    "ivrit": "Hebrew", "american english": "English", "british english": "English", "us english": "English",
    "uk english": "English", "australian english": "English", "english uk": "English",
    "english us": "English",
    "swiss german": "German", "canadian french": "French", "latin american spanish": "Spanish",
    "dari persian": "Dari", "nihongo": "Japanese", "hangul": "Korean", "russkiy": "Russian",
}
_LANGUAGE_KEYS: dict[str, str] = {**{_key(k): v for k, v in LANGUAGE_ALIASES.items()}, **_LANGUAGES}
_PARENS = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*")


def _language(item: str) -> str | None:
    key = _key(item)
    if key in _LANGUAGE_KEYS:
        return _LANGUAGE_KEYS[key]
    bare = _key(_PARENS.sub(" ", item))  # "English (native)", "Chinese (Mandarin)"
    if bare in _LANGUAGE_KEYS:
        return _LANGUAGE_KEYS[bare]
    language = _iso639(item.strip())
    if language is None:
        return None
    name = _key(_PARENS.sub(" ", language))
    if name in _LANGUAGE_KEYS:
        return _LANGUAGE_KEYS[name]
    words = set(name.split())
    hits = [label for k, label in _LANGUAGES.items() if k in words]
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
def parse_languages(text: str) -> list[str] | Problem:
    """Working languages separated by ';', ',', '/' or 'and', matched to workbench.vocab.LANGUAGES;
    ISO 639 names and codes ("es", "fra") are accepted where they map into that list.
    """
    labels: list[str] = []
    for item in split_values(_PARENS.sub(" ", text), names=True):  # "Chinese (Mandarin, Cantonese)"
        label = _language(item)
        if label is None:
            guess = _closest(_key(item), _LANGUAGE_KEYS, cutoff=0.7)
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
    from workbench.countries import country_table

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
        minutes = round(float("0." + match.group("fraction")) * 60)
    else:
        minutes = int(match.group("minutes") or 0)
    total = hours * 60 + minutes
    sign = -1 if match.group("sign") in "-−–" else 1
    offset = sign * total
    if minutes not in (0, 30, 45) or not -720 <= offset <= 840:
        shown = f"UTC{'+' if sign > 0 else '-'}{hours:02d}:{minutes:02d}"
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
