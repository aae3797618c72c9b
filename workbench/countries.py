"""Country resolution: whatever an applicant typed -> an ISO 3166-1 alpha-3 code.

The workbench stores every country as ISO-3 (``countries.csv`` in ``workbench/data``). Resolution
goes, for one typed value, in this order and stops at the first answer:

1. **codes**: an ISO-3 or ISO-2 code from the country table, in any case ("aus", "NA" = Namibia);
2. **the project alias table** (:data:`ALIASES`): the real-world spellings coordinators meet
   (USA, U.K., England, Holland, Türkiye, Ivory Coast, Burma, Deutschland, México, DR Congo …),
   then the table's own English names;
3. **country_converter** (its regular expressions know most official and short names);
4. **suggestions only**: pycountry's fuzzy search and a close-spelling match over the names and
   aliases. A suggestion is *never* accepted silently: the result has ``iso3=None`` and the
   candidates for a coordinator to confirm ("Austrailia" -> did you mean Australia?).

Input is compared leniently: stray and non-breaking spaces, trailing dots, odd case, accents
("Mexico" = "México") and punctuation ("U.S.A." = "USA") do not matter.

**Alias policy.** An alias is added when a spelling is common in real applications and means
exactly one country: short forms (UK, UAE, DRC), former names (Swaziland, Burma, Zaire, East Timor),
the UK's constituent countries (England, Scotland, Wales, Northern Ireland -> GBR), native names
(Deutschland, España, Brasil) and territories with their own ISO code (Hong Kong, Macao, Puerto
Rico) keep their own code. A spelling that can mean two countries ("Congo", "Korea", "Virgin
Islands") is not an alias: it gets both as suggestions for a coordinator to choose from.

**Kosovo policy.** ISO 3166-1 assigns Kosovo no code. The workbench uses ``XKX`` (ISO-2 ``XK``),
the user-assigned code the European Union, the IMF and the World Bank use; "Kosovo" resolves to it
and is never folded into Serbia. Its main time zone is Europe/Belgrade (the zone tzdata gives it).
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from workbench.errors import NotFound

if TYPE_CHECKING:
    import country_converter

__all__ = [
    "ALIASES",
    "AMBIGUOUS",
    "CountryResolution",
    "country_name",
    "country_table",
    "is_country",
    "main_timezone",
    "main_utc_offset",
    "resolve_countries",
    "resolve_country",
    "suggest_countries",
]

#: How a value was resolved: a code, the alias table, the country table's own name, country_converter;
#: "suggestion" (not accepted: candidates to confirm) or "unresolved" (nothing found).
Method = Literal["iso3", "iso2", "alias", "name", "country_converter", "suggestion", "unresolved"]

#: Common real-world spellings -> ISO-3. Keys are compared after :func:`_key` normalisation (case,
#: accents, dots and punctuation do not matter), so write them naturally.
ALIASES: dict[str, str] = {
    # United States
    "USA": "USA", "U.S.A.": "USA", "U.S.": "USA", "US": "USA", "United States": "USA",
    "United States of America": "USA", "America": "USA", "The United States": "USA",
    "The US": "USA", "The USA": "USA", "United States (USA)": "USA", "Estados Unidos": "USA",
    # United Kingdom and its constituent countries
    "UK": "GBR", "U.K.": "GBR", "The UK": "GBR", "United Kingdom": "GBR", "Great Britain": "GBR",
    "Britain": "GBR", "GB": "GBR", "England": "GBR", "Scotland": "GBR", "Wales": "GBR", "Cymru": "GBR",
    "Northern Ireland": "GBR", "England, UK": "GBR", "Scotland, UK": "GBR", "Wales, UK": "GBR",
    "United Kingdom of Great Britain and Northern Ireland": "GBR",
    # Korea (the two Koreas are never guessed from a bare "Korea": see AMBIGUOUS)
    "South Korea": "KOR", "Korea, South": "KOR", "Korea (South)": "KOR", "Republic of Korea": "KOR",
    "Korea (Republic of)": "KOR", "Korea, Republic of": "KOR", "Korea Republic": "KOR", "ROK": "KOR",
    "North Korea": "PRK", "Korea, North": "PRK", "DPRK": "PRK", "DPR Korea": "PRK",
    "Democratic People's Republic of Korea": "PRK",
    # Former, native and alternative names
    "Viet Nam": "VNM", "Vietnam": "VNM", "Türkiye": "TUR", "Turkiye": "TUR", "Turkey": "TUR",
    "Ivory Coast": "CIV", "Côte d'Ivoire": "CIV", "Cote dIvoire": "CIV",
    "Czech Republic": "CZE", "Czechia": "CZE", "Česko": "CZE",
    "North Macedonia": "MKD", "Macedonia": "MKD", "Republic of North Macedonia": "MKD",
    "FYROM": "MKD", "Former Yugoslav Republic of Macedonia": "MKD",
    "Swaziland": "SWZ", "Eswatini": "SWZ", "Burma": "MMR", "Myanmar": "MMR",
    "Holland": "NLD", "The Netherlands": "NLD", "Netherlands": "NLD", "Nederland": "NLD",
    "UAE": "ARE", "U.A.E.": "ARE", "Emirates": "ARE", "United Arab Emirates": "ARE",
    "Deutschland": "DEU", "México": "MEX", "Mexico": "MEX", "España": "ESP", "Brasil": "BRA",
    "Italia": "ITA", "Österreich": "AUT", "Schweiz": "CHE", "Suisse": "CHE", "Svizzera": "CHE",
    "Sverige": "SWE", "Norge": "NOR", "Danmark": "DNK", "Suomi": "FIN", "Polska": "POL",
    "Magyarország": "HUN", "Hellas": "GRC", "Éire": "IRL", "Republic of Ireland": "IRL",
    "Nippon": "JPN", "Nihon": "JPN", "Bharat": "IND", "Aotearoa": "NZL", "Aotearoa New Zealand": "NZL",
    "NZ": "NZL", "Perú": "PER", "Panamá": "PAN", "Haïti": "HTI",
    "Russia": "RUS", "Russian Federation": "RUS",
    "Iran": "IRN", "Islamic Republic of Iran": "IRN", "Iran (Islamic Republic of)": "IRN", "Persia": "IRN",
    "Tanzania": "TZA", "United Republic of Tanzania": "TZA",
    "DR Congo": "COD", "D.R. Congo": "COD", "DRC": "COD", "Democratic Republic of the Congo": "COD",
    "Democratic Republic of Congo": "COD", "Congo, Democratic Republic of the": "COD",
    "Congo (Kinshasa)": "COD", "Congo-Kinshasa": "COD", "Zaire": "COD",
    "Republic of the Congo": "COG", "Republic of Congo": "COG", "Congo-Brazzaville": "COG",
    "Congo (Brazzaville)": "COG", "Congo, Republic of the": "COG",
    "Hong Kong": "HKG", "Hong Kong SAR": "HKG", "Hong Kong, China": "HKG", "HK": "HKG",
    "Macau": "MAC", "Macao": "MAC", "Macau SAR": "MAC",
    "Taiwan": "TWN", "Chinese Taipei": "TWN", "Taiwan, Province of China": "TWN", "Taiwan ROC": "TWN",
    "China": "CHN", "PRC": "CHN", "People's Republic of China": "CHN", "Mainland China": "CHN",
    "Palestine": "PSE", "State of Palestine": "PSE", "Palestinian Territories": "PSE",
    "Occupied Palestinian Territory": "PSE", "Palestine, State of": "PSE",
    "Kosovo": "XKX", "Republic of Kosovo": "XKX", "Kosova": "XKX",
    "Bolivia": "BOL", "Plurinational State of Bolivia": "BOL", "Bolivia (Plurinational State of)": "BOL",
    "Venezuela": "VEN", "Bolivarian Republic of Venezuela": "VEN",
    "Venezuela (Bolivarian Republic of)": "VEN",
    "Laos": "LAO", "Lao PDR": "LAO", "Lao People's Democratic Republic": "LAO",
    "Syria": "SYR", "Syrian Arab Republic": "SYR",
    "Moldova": "MDA", "Republic of Moldova": "MDA", "Moldova, Republic of": "MDA",
    "Cape Verde": "CPV", "Cabo Verde": "CPV", "East Timor": "TLS", "Timor-Leste": "TLS", "Timor Leste": "TLS",
    "Brunei": "BRN", "Brunei Darussalam": "BRN",
    "Bosnia": "BIH", "Bosnia and Herzegovina": "BIH", "Bosnia-Herzegovina": "BIH",
    "Bosnia & Herzegovina": "BIH", "BiH": "BIH",
    "KSA": "SAU", "Saudi": "SAU", "Kingdom of Saudi Arabia": "SAU", "RSA": "ZAF", "South Africa": "ZAF",
    "PNG": "PNG", "Micronesia": "FSM", "Federated States of Micronesia": "FSM",
    "Vatican": "VAT", "Vatican City": "VAT", "Holy See": "VAT",
    "St Lucia": "LCA", "St Kitts and Nevis": "KNA", "St Kitts": "KNA",
    "St Vincent and the Grenadines": "VCT", "St Vincent": "VCT",
    "The Gambia": "GMB", "Gambia": "GMB", "The Bahamas": "BHS", "Bahamas": "BHS",
    "Trinidad": "TTO", "Trinidad & Tobago": "TTO", "Antigua": "ATG", "Antigua & Barbuda": "ATG",
    "Sao Tome": "STP", "São Tomé and Príncipe": "STP", "Curacao": "CUW", "Curaçao": "CUW",
    "Reunion": "REU", "Réunion": "REU", "Falklands": "FLK", "Falkland Islands": "FLK",
}

#: Spellings that can mean more than one country: offered as suggestions, never accepted.
AMBIGUOUS: dict[str, tuple[str, ...]] = {
    "Congo": ("COG", "COD"),
    "Korea": ("KOR", "PRK"),
    "Virgin Islands": ("VGB", "VIR"),
}

_DATA_FILE = "countries.csv"
_FUZZY_LIMIT = 5
_NOT_FOUND = "\x00not found"

# Characters removed from keys outright (so "U.S.A." -> "usa", "Côte d'Ivoire" -> "cote divoire").
_DROP = re.compile(r"[.'’‘`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WORDS = re.compile(r"[^\W\d_]+(?:[ '’.,()-]+[^\W\d_]+)*\.?")


def _clean(value: str) -> str:
    """Trim a typed value: NFC, zero-width characters gone, one space between words, no trailing dots."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", str(value)))
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(". ").strip()


def _key(value: str) -> str:
    """A comparison key: accents folded, lower case, dots/apostrophes dropped, other punctuation -> space."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace("ß", "ss").replace("ø", "o").replace("æ", "ae")
    text = _NON_ALNUM.sub(" ", _DROP.sub("", text)).strip()
    if text.startswith("the "):
        text = text[4:]
    return text


@dataclass(frozen=True)
class CountryResolution:
    """The answer for one typed value.

    ``iso3`` is set only when the value was resolved without doubt; ``suggestions`` are
    ``(iso3, name)`` candidates a coordinator may confirm; ``message`` says what happened in words.
    """

    query: str
    iso3: str | None
    method: Method
    suggestions: tuple[tuple[str, str], ...] = field(default=())
    message: str = ""

    @property
    def resolved(self) -> bool:
        return self.iso3 is not None

    @property
    def name(self) -> str | None:
        return country_name(self.iso3) if self.iso3 else None


# --------------------------------------------------------------------------------------------------
# The country table


@functools.cache
def country_table() -> pd.DataFrame:
    """``workbench/data/countries.csv`` as a DataFrame (cached: treat it as read-only).

    Columns: iso3, iso2, name, continent, un_region, timezone (IANA), utc_offset_minutes (int,
    standard offset). Read with ``keep_default_na=False`` so Namibia's ISO-2 code "NA" stays a string.
    """
    with resources.files("workbench").joinpath("data", _DATA_FILE).open("rb") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    frame["utc_offset_minutes"] = frame["utc_offset_minutes"].astype("int64")
    return frame


@functools.cache
def _records() -> dict[str, dict[str, str | int]]:
    return {str(row["iso3"]): dict(row) for row in country_table().to_dict("records")}


@functools.cache
def _iso2() -> dict[str, str]:
    table = country_table()
    return {str(iso2).upper(): str(iso3) for iso3, iso2 in zip(table["iso3"], table["iso2"], strict=True)}


def _record(iso3: str) -> dict[str, str | int]:
    record = _records().get(str(iso3).strip().upper())
    if record is None:
        raise NotFound(
            f"'{iso3}' is not an ISO-3 code in the workbench's country list (workbench/data/{_DATA_FILE})."
        )
    return record


def is_country(iso3: str) -> bool:
    """True when ``iso3`` is a code in the country table."""
    return str(iso3).strip().upper() in _records()


def country_name(iso3: str) -> str:
    """The English short name of an ISO-3 code ("XKX" -> "Kosovo"); NotFound for an unknown code."""
    return str(_record(iso3)["name"])


def main_timezone(iso3: str) -> str:
    """The country's main IANA time zone ("AUS" -> "Australia/Sydney"); NotFound for an unknown code."""
    return str(_record(iso3)["timezone"])


def main_utc_offset(iso3: str) -> int:
    """The standard UTC offset in minutes of the country's main time zone."""
    return int(_record(iso3)["utc_offset_minutes"])


# --------------------------------------------------------------------------------------------------
# Lookup tables


@functools.cache
def _alias_keys() -> dict[str, str]:
    known = _records()
    table = {_key(alias): iso3 for alias, iso3 in ALIASES.items() if iso3 in known}
    return table


@functools.cache
def _name_keys() -> dict[str, str]:
    table = country_table()
    return {_key(name): iso3 for iso3, name in zip(table["iso3"], table["name"], strict=True)}


@functools.cache
def _ambiguous_keys() -> dict[str, tuple[str, ...]]:
    return {_key(text): codes for text, codes in AMBIGUOUS.items()}


@functools.cache
def _fuzzy_index() -> dict[str, str]:
    """Every spelling we know (names, aliases, pycountry names) -> ISO-3, for close-spelling suggestions."""
    import pycountry

    known = _records()
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            text = getattr(country, attr, None)
            if text and country.alpha_3 in known:
                index.setdefault(_key(text), country.alpha_3)
    index.update(_name_keys())
    index.update({k: v for k, v in _alias_keys().items() if len(k) > 3})
    return index


@functools.cache
def _converter() -> country_converter.CountryConverter:
    """country_converter's converter, built once (it is slow to build).

    country_converter 1.3.2 cannot read its own data file under pandas 3 (``TypeError: first
    argument must be string or compiled pattern``), so the file is read here as plain strings
    (``keep_default_na=False`` keeps Namibia's "NA") and blank cells are turned into missing values,
    which the converter's filters (obsolete countries) and lookups expect.
    """
    import country_converter as coco

    logging.getLogger(coco.country_converter.__name__).setLevel(logging.CRITICAL)
    path = Path(coco.country_converter.__file__).with_name("country_data.tsv")
    data = pd.read_csv(path, sep="\t", keep_default_na=False, dtype=str)
    data = data.astype(object).where(data != "", None)
    return coco.CountryConverter(country_data=data)


# --------------------------------------------------------------------------------------------------
# Resolution


def suggest_countries(value: str, limit: int = _FUZZY_LIMIT) -> tuple[tuple[str, str], ...]:
    """Candidates ``(iso3, name)`` for a value that did not resolve: close spellings, then pycountry's
    fuzzy search (which also knows subdivisions: "Virginia" -> United States). Never an answer by itself.
    """
    text = _clean(value)
    key = _key(text)
    found: list[str] = []
    if key:
        for ambiguous in _ambiguous_keys().get(key, ()):
            found.append(ambiguous)
        index = _fuzzy_index()
        for close in difflib.get_close_matches(key, list(index), n=limit, cutoff=0.75):
            found.append(index[close])
        if 4 <= len(text) <= 60 and _WORDS.fullmatch(text):  # words, not codes or junk: worth a search
            found.extend(_pycountry_fuzzy(text))
    known = _records()
    unique: list[str] = []
    for iso3 in found:
        if iso3 in known and iso3 not in unique:
            unique.append(iso3)
    return tuple((iso3, str(known[iso3]["name"])) for iso3 in unique[:limit])


def _pycountry_fuzzy(text: str) -> list[str]:
    import pycountry

    try:
        matches = pycountry.countries.search_fuzzy(text)
    except LookupError:
        return []
    return [str(match.alpha_3) for match in matches[:_FUZZY_LIMIT]]


def _coco(text: str) -> list[str]:
    converter = _converter()
    found: list[str] = []
    key = _key(text)
    attempts = (text,) if key == text.casefold() else (text, key)  # the regexes ignore case already
    for attempt in attempts:
        # A quick look with the converter's own regular expressions first: convert() is slow (pandas
        # work per call) and most values that reach this step match none of them.
        if not attempt or not any(regex.search(attempt) for regex in converter.regexes):
            continue
        result = converter.convert(attempt, to="ISO3", not_found=_NOT_FOUND)
        values = result if isinstance(result, list) else [result]
        found = [str(v).upper() for v in values if v != _NOT_FOUND]
        if found:
            break
    return list(dict.fromkeys(found))


def _resolved(query: str, iso3: str, method: Method, how: str) -> CountryResolution:
    name = country_name(iso3)
    return CountryResolution(query, iso3, method, (), f"'{query}' is {name} ({iso3}), {how}.")


@functools.lru_cache(maxsize=65536)
def resolve_country(value: str, suggest: bool = True) -> CountryResolution:
    """Resolve one typed country to ISO-3 (cached per distinct string).

    With ``suggest=False`` an unresolved value gets no fuzzy suggestions (they cost a few
    milliseconds each; :func:`resolve_countries` stops making them after a budget).

    >>> resolve_country(" u.s.a. ").iso3
    'USA'
    >>> resolve_country("Austrailia").iso3 is None
    True
    """
    query = _clean(value if isinstance(value, str) else "" if value is None else str(value))
    if not query:
        return CountryResolution(
            query, None, "unresolved", (), "No country was given; the country is required."
        )
    key = _key(query)
    compact = key.replace(" ", "").upper()
    records = _records()
    if len(compact) == 3 and compact in records and compact.isalpha() and len(key) == 3:
        return _resolved(query, compact, "iso3", "an ISO-3 code")
    if len(compact) == 2 and compact in _iso2() and len(key) == 2:
        return _resolved(query, _iso2()[compact], "iso2", "an ISO-2 code")
    if key in _alias_keys():
        return _resolved(query, _alias_keys()[key], "alias", "from the workbench's alias table")
    if key in _ambiguous_keys():
        suggestions = suggest_countries(query)
        names = " or ".join(f"{name} ({iso3})" for iso3, name in suggestions)
        return CountryResolution(
            query, None, "suggestion", suggestions,
            f"'{query}' can mean more than one country: {names}. Confirm which one, or write the full name.",
        )
    if key in _name_keys():
        return _resolved(query, _name_keys()[key], "name", "by its English name")
    if len(key) > 3 and not key.replace(" ", "").isdigit():
        found = _coco(query)
        if len(found) == 1 and found[0] in records:
            return _resolved(query, found[0], "country_converter", "recognised by country_converter")
        if found:
            suggestions = tuple((code, country_name(code)) for code in found if code in records)
            if suggestions:
                names = " or ".join(f"{name} ({iso3})" for iso3, name in suggestions)
                return CountryResolution(
                    query, None, "suggestion", suggestions,
                    f"'{query}' names more than one country ({names}). "
                    "Confirm which one, or write one country.",
                )
    suggestions = suggest_countries(query) if suggest else ()
    if suggestions:
        names = ", ".join(f"{name} ({iso3})" for iso3, name in suggestions)
        return CountryResolution(
            query, None, "suggestion", suggestions,
            f"'{query}' is not a country name the workbench knows. Did you mean {names}? "
            "Confirm the right one, or correct the country in the file.",
        )
    return CountryResolution(
        query, None, "unresolved", (),
        f"'{query}' is not a country the workbench recognises. Write the country's English name or its "
        "ISO code (for example 'Australia' or 'AUS').",
    )


def resolve_countries(values: Iterable[str], *, suggest_limit: int | None = 30) -> dict[str, CountryResolution]:
    """Resolve many values at once: one lookup per distinct string, returned as value -> resolution.

    Fuzzy suggestions are made for the first ``suggest_limit`` distinct values that do not resolve
    (None: all). A file whose "country" column is really something else (a wrongly mapped column)
    then costs seconds, not minutes; such values still get a clear "not a country" message.
    """
    results: dict[str, CountryResolution] = {}
    suggested = 0
    for value in dict.fromkeys(values):
        allowed = suggest_limit is None or suggested < suggest_limit
        result = resolve_country(value, allowed)
        suggested += allowed and result.iso3 is None
        results[value] = result
    return results
