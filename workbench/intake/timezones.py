"""An applicant's time zone, read with their country: the time zone is optional, so it never rejects a row.

:func:`resolve_timezone` reads, in turn,

- an IANA name ("Australia/Sydney", "america/new york");
- an offset: "UTC+10", "GMT-5", "UTC+05:30", "(GMT+10:00) Canberra, Melbourne, Sydney", and decimal hours as
  people write them: "GMT+5.30" and "UTC+9.30" are +05:30 and +09:30, "+5.5" is +05:30;
- an abbreviation, decided by the applicant's country: "IST" is +05:30 in India, Irish summer time in Ireland
  and Israel's standard time in Israel; "AEST", "MYT", "SGT", "WIB", "EAT"… (the tz database's own
  abbreviations for the country's zones first, then a table of the ones it no longer carries);
- a city: the tz database's cities ("Sydney" -> Australia/Sydney, "Kuala Lumpur" -> Asia/Kuala_Lumpur) and a few
  capitals and large cities it does not name ("Delhi", "Canberra", "Beijing"), in the applicant's country first.

Anything else (a misspelling, an impossible offset such as UTC+15, an abbreviation the country does not use)
falls back to the country's main zone, with a warning that names the value and the zone used.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass
from importlib import resources

from workbench import countries
from workbench.intake.fields import TimeZoneValue, parse_timezone, standard_offset, zone_for_offset
from workbench.rejections import Problem

__all__ = ["ZoneReading", "country_zones", "resolve_timezone"]


@dataclass(frozen=True)
class ZoneReading:
    """A time zone as stored: the IANA zone, its standard offset in minutes, and a warning when the value
    could not be read and the country's main zone was used instead."""

    zone: str
    offset_minutes: int
    warning: Problem | None = None


@functools.cache
def _zone_tab() -> dict[str, tuple[str, ...]]:
    """ISO-2 country code -> its zones, from the tz database's zone.tab (the tzdata package, else the system's)."""
    text = ""
    try:
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        for path in ("/usr/share/zoneinfo/zone.tab", "/usr/lib/zoneinfo/zone.tab"):
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
                break
            except OSError:
                continue
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) >= 3:
            out.setdefault(parts[0].upper(), []).append(parts[2].strip())
    return {code: tuple(zones) for code, zones in out.items()}


@functools.lru_cache(maxsize=512)
def country_zones(iso3: str) -> tuple[str, ...]:
    """The country's zones, its main zone first (an unknown country: none)."""
    if not iso3 or not countries.is_country(iso3):
        return ()
    main = countries.main_timezone(iso3)
    iso2 = str(countries.country_table().set_index("iso3").loc[iso3, "iso2"]).upper()
    return (main, *(z for z in _zone_tab().get(iso2, ()) if z != main))


@functools.lru_cache(maxsize=2048)
def _abbreviations(zone: str) -> frozenset[str]:
    """The abbreviations the tz database gives ``zone`` in January and July ("IST", "GMT"; none for "+08")."""
    try:
        info = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return frozenset()
    names = {dt.datetime(2025, month, 15, 12, tzinfo=info).tzname() or "" for month in (1, 7)}
    return frozenset(n.upper() for n in names if n and n[0].isalpha())


#: Abbreviations the tz database no longer carries (it writes "+08"), by the countries that use them.
_REGIONAL: dict[str, dict[str, str]] = {
    "MYT": {"MYS": "Asia/Kuala_Lumpur"}, "SGT": {"SGP": "Asia/Singapore"}, "PHT": {"PHL": "Asia/Manila"},
    "PST": {"PHL": "Asia/Manila"},  # Philippine Standard Time
    "WIB": {"IDN": "Asia/Jakarta"}, "WITA": {"IDN": "Asia/Makassar"}, "WIT": {"IDN": "Asia/Jayapura"},
    "ICT": {"THA": "Asia/Bangkok", "VNM": "Asia/Ho_Chi_Minh", "KHM": "Asia/Phnom_Penh", "LAO": "Asia/Vientiane"},
    "BST": {"BGD": "Asia/Dhaka", "GBR": "Europe/London"}, "BDT": {"BGD": "Asia/Dhaka"},
    "NPT": {"NPL": "Asia/Kathmandu"}, "SLST": {"LKA": "Asia/Colombo"}, "MMT": {"MMR": "Asia/Yangon"},
    "GST": {"ARE": "Asia/Dubai", "OMN": "Asia/Muscat"},
    "AST": {"SAU": "Asia/Riyadh", "KWT": "Asia/Kuwait", "QAT": "Asia/Qatar", "BHR": "Asia/Bahrain",
            "IRQ": "Asia/Baghdad", "YEM": "Asia/Aden"},
    "IRST": {"IRN": "Asia/Tehran"}, "AFT": {"AFG": "Asia/Kabul"}, "UZT": {"UZB": "Asia/Tashkent"},
    "BRT": {"BRA": "America/Sao_Paulo"}, "ART": {"ARG": "America/Argentina/Buenos_Aires"},
    "CLT": {"CHL": "America/Santiago"}, "COT": {"COL": "America/Bogota"}, "PET": {"PER": "America/Lima"},
    "VET": {"VEN": "America/Caracas"}, "ECT": {"ECU": "America/Guayaquil"}, "BOT": {"BOL": "America/La_Paz"},
    "FJT": {"FJI": "Pacific/Fiji"}, "TOT": {"TON": "Pacific/Tongatapu"}, "WST": {"WSM": "Pacific/Apia"},
    "MUT": {"MUS": "Indian/Mauritius"}, "MVT": {"MDV": "Indian/Maldives"}, "GET": {"GEO": "Asia/Tbilisi"},
    "AMT": {"ARM": "Asia/Yerevan"}, "AZT": {"AZE": "Asia/Baku"}, "TRT": {"TUR": "Europe/Istanbul"},
    "EAT": {"KEN": "Africa/Nairobi", "UGA": "Africa/Kampala", "TZA": "Africa/Dar_es_Salaam",
            "ETH": "Africa/Addis_Ababa"},
}

#: Abbreviations that name one offset wherever they are written (the country only picks the zone).
_UNAMBIGUOUS = frozenset({
    "AEST", "AEDT", "ACST", "ACDT", "AWST", "NZST", "NZDT", "JST", "KST", "HKT", "SGT", "MYT", "PHT", "WIB",
    "SAST", "EAT", "WAT", "CAT", "PKT", "NPT", "MSK", "CET", "CEST", "EET", "EEST", "WET", "WEST", "EST", "EDT",
    "PDT", "MST", "MDT", "AKST", "HST", "ICT",
})

#: Cities the tz database does not name, where applicants often write their city (lower case).
_CITIES: dict[str, str] = {
    "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "bombay": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata", "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata", "canberra": "Australia/Sydney", "beijing": "Asia/Shanghai",
    "wellington": "Pacific/Auckland", "ottawa": "America/Toronto", "washington": "America/New_York",
    "washington dc": "America/New_York", "washington d c": "America/New_York", "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles", "boston": "America/New_York", "rio de janeiro": "America/Sao_Paulo",
    "brasilia": "America/Sao_Paulo", "cape town": "Africa/Johannesburg", "pretoria": "Africa/Johannesburg",
    "islamabad": "Asia/Karachi", "lahore": "Asia/Karachi", "abuja": "Africa/Lagos", "hanoi": "Asia/Bangkok",
    "ho chi minh city": "Asia/Ho_Chi_Minh", "saigon": "Asia/Ho_Chi_Minh", "cebu": "Asia/Manila",
    "penang": "Asia/Kuala_Lumpur", "edinburgh": "Europe/London", "glasgow": "Europe/London",
    "manchester": "Europe/London", "munich": "Europe/Berlin", "milan": "Europe/Rome", "geneva": "Europe/Zurich",
}


def _city_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.casefold().replace("_", " ")).strip()


@functools.cache
def _cities() -> dict[str, tuple[str, ...]]:
    """City key -> the zones named after it ("sydney" -> Australia/Sydney)."""
    out: dict[str, list[str]] = {}
    for zone in sorted(zoneinfo.available_timezones()):
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/", "Brazil/", "Canada/", "Chile/",
                                               "Mexico/")):
            continue
        out.setdefault(_city_key(zone.rsplit("/", 1)[1]), []).append(zone)
    for city, zone in _CITIES.items():
        out.setdefault(city, []).append(zone)
    return {k: tuple(v) for k, v in out.items()}


def _city(text: str, zones: tuple[str, ...]) -> str | None:
    """The zone of a city named in ``text`` ("Sydney", "Sydney, Australia", "Sydney time")."""
    key = _city_key(text)
    key = re.sub(r"\b(time|standard time|local time|zone|timezone)\b", " ", key).strip()
    candidates = [key, *[_city_key(part) for part in re.split(r"[,(/]", text) if part.strip()]]
    for candidate in candidates:
        found = _cities().get(re.sub(r"\s+", " ", candidate).strip())
        if found:
            in_country = [z for z in found if z in zones]
            return in_country[0] if in_country else found[0]
    return None


def _abbreviation(text: str, iso3: str, zones: tuple[str, ...]) -> str | int | None:
    """A zone (str) or an offset in minutes (int) for an abbreviation in the applicant's country, else None."""
    key = re.sub(r"[^A-Za-z]", "", text).upper()
    if not 2 <= len(key) <= 5 or key != re.sub(r"[().\s]", "", text).upper():
        return None
    for zone in zones:
        if key in _abbreviations(zone):
            return zone
    regional = _REGIONAL.get(key, {})
    if iso3 in regional:
        return regional[iso3]
    if key in _UNAMBIGUOUS:
        value = parse_timezone(key)
        if isinstance(value, TimeZoneValue):
            return value.offset_minutes
        if len(regional) == 1:
            return next(iter(regional.values()))
    return None


def _fallback(text: str, iso3: str, why: str) -> ZoneReading:
    zone = countries.main_timezone(iso3)
    offset = countries.main_utc_offset(iso3)
    sign = "+" if offset >= 0 else "-"
    shown = f"UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return ZoneReading(zone, offset, Problem(
        f"{why}; the country's main time zone ({zone}, {shown}) is used",
        "Nothing to do unless the applicant lives elsewhere in the country: then correct the time zone in the "
        "file (an IANA name such as 'Australia/Perth' or an offset such as 'UTC+8') and import again."))


@functools.lru_cache(maxsize=20_000)
def resolve_timezone(text: str, iso3: str) -> ZoneReading:
    """The time zone ``text`` names for an applicant in the country ``iso3`` (see the module notes).

    Never fails for a known country: an unreadable value gives the country's main zone with a warning.
    """
    stripped = text.strip()
    zones = country_zones(iso3)
    main = zones[0] if zones else None
    value = parse_timezone(stripped)
    bare = re.sub(r"\s*\([^)]*\)\s*$", "", stripped)  # "GMT+8 (Malaysia)"
    if isinstance(value, Problem) and bare and bare != stripped:
        value = parse_timezone(bare)
    if isinstance(value, TimeZoneValue):
        if value.zone:
            return ZoneReading(value.zone, value.offset_minutes)
        if stripped.upper().strip("()") not in {"IST", "BST", "CST", "AST", "GST", "SST", "AMT", "PST", "ECT"} \
                or not re.fullmatch(r"\(?[A-Za-z]{2,5}\)?", stripped):
            zone, offset = zone_for_offset(value.offset_minutes, prefer=main)
            return ZoneReading(zone, offset)
    found = _abbreviation(stripped, iso3, zones)
    if isinstance(found, str):
        return ZoneReading(found, standard_offset(found))
    if isinstance(found, int):
        zone, offset = zone_for_offset(found, prefer=main)
        return ZoneReading(zone, offset)
    city = _city(stripped, zones)
    if city is not None:
        return ZoneReading(city, standard_offset(city))
    if isinstance(value, Problem) and "anywhere on Earth" in value.reason:
        why = value.reason[0].upper() + value.reason[1:].split(" (offsets")[0]
    elif re.fullmatch(r"\(?[A-Za-z]{2,5}\)?", stripped):
        why = (f"'{stripped}' is an abbreviation that {countries.country_name(iso3)} does not use (or one used "
               "for several time zones)")
    else:
        why = f"'{stripped}' is not a time zone the workbench can read"
    return _fallback(stripped, iso3, why)
