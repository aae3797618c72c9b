"""Where the synthetic program's librarians come from: country weights, languages, time zones, names."""

from __future__ import annotations

import functools
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

#: Relative size of each country's community in the program (a few large, a long tail). ILN was
#: founded in Australia and was strongest in the English-speaking world, Africa and South Asia.
CORE_WEIGHTS: dict[str, float] = {
    "AUS": 30, "USA": 26, "GBR": 17, "IND": 15, "NGA": 13, "PHL": 10, "CAN": 9, "ZAF": 8.5, "KEN": 8,
    "NZL": 7.5, "MYS": 6, "GHA": 5.5, "PAK": 5.5, "UGA": 5, "ZWE": 4.5, "LKA": 4.5, "IRL": 4, "SGP": 3.8,
    "JAM": 3.5, "TTO": 3, "BGD": 3, "NPL": 3, "TZA": 3, "ZMB": 2.8, "BWA": 2.6, "MWI": 2.5, "CMR": 2.4,
    "ETH": 2.3, "EGY": 2.2, "BRA": 2.2, "MEX": 2.1, "ESP": 2, "DEU": 2, "NLD": 1.9, "ITA": 1.9,
    "GRC": 1.8, "TUR": 1.8, "IRN": 1.7, "IDN": 1.7, "THA": 1.6, "VNM": 1.6, "CHN": 1.6, "JPN": 1.5,
    "KOR": 1.5, "FJI": 1.5, "PNG": 1.4, "ARE": 1.4, "SAU": 1.3, "FRA": 1.3, "SWE": 1.3, "FIN": 1.3,
    "NOR": 1.2, "DNK": 1.2, "POL": 1.2, "PRT": 1.2, "ARG": 1.2, "COL": 1.2, "CHL": 1.1, "PER": 1.1,
    "RWA": 1.1, "NAM": 1.1, "LSO": 1.0, "SWZ": 1.0, "MUS": 1.0, "BRB": 1.0, "BHS": 1.0, "GUY": 1.0,
    "MDV": 1.0, "AFG": 0.9, "WSM": 0.9, "TON": 0.9, "SLB": 0.9, "VUT": 0.9, "HKG": 0.9, "TWN": 0.9,
}

#: Working languages besides English, by country (first = most common).
LANGUAGES: dict[str, tuple[str, ...]] = {
    **{c: ("Spanish",) for c in ("ESP", "MEX", "ARG", "COL", "CHL", "PER", "ECU", "VEN", "BOL", "URY",
                                 "PRY", "CRI", "PAN", "GTM", "HND", "SLV", "NIC", "CUB", "DOM")},
    **{c: ("Portuguese",) for c in ("BRA", "PRT", "AGO", "MOZ", "CPV")},
    **{c: ("French",) for c in ("FRA", "SEN", "CIV", "COD", "COG", "MDG", "BEN", "BFA", "MLI", "TGO",
                                "HTI", "GAB", "NER", "GIN", "LUX", "MCO")},
    **{c: ("Arabic",) for c in ("EGY", "SAU", "ARE", "JOR", "IRQ", "OMN", "QAT", "KWT", "BHR", "SDN",
                                "PSE", "YEM", "LBY")},
    **{c: ("Arabic", "French") for c in ("MAR", "TUN", "DZA", "LBN")},
    "CMR": ("French",), "BEL": ("Dutch", "French"), "CHE": ("German", "French", "Italian"),
    "DEU": ("German",), "AUT": ("German",), "ITA": ("Italian",), "NLD": ("Dutch",),
    "RUS": ("Russian",), "UKR": ("Ukrainian", "Russian"), "KAZ": ("Kazakh", "Russian"), "BLR": ("Russian",),
    "CHN": ("Chinese",), "TWN": ("Chinese",), "HKG": ("Chinese",), "SGP": ("Chinese", "Malay", "Tamil"),
    "JPN": ("Japanese",), "KOR": ("Korean",), "IND": ("Hindi", "Tamil", "Bengali"), "BGD": ("Bengali",),
    "PAK": ("Urdu",), "KEN": ("Swahili",), "TZA": ("Swahili",), "UGA": ("Swahili",), "IDN": ("Indonesian",),
    "MYS": ("Malay", "Chinese"), "BRN": ("Malay",), "PHL": ("Tagalog",), "TUR": ("Turkish",),
    "IRN": ("Persian",), "AFG": ("Dari", "Pashto"), "GRC": ("Greek",), "CYP": ("Greek", "Turkish"),
    "POL": ("Polish",), "CZE": ("Czech",), "SVK": ("Slovak",), "HUN": ("Hungarian",),
    "ROU": ("Romanian",), "MDA": ("Romanian", "Russian"), "BGR": ("Bulgarian",), "SRB": ("Serbian",),
    "HRV": ("Croatian",), "SVN": ("Slovenian",), "ALB": ("Albanian",), "XKX": ("Albanian", "Serbian"),
    "MKD": ("Macedonian",), "EST": ("Estonian",), "LVA": ("Latvian",), "LTU": ("Lithuanian",),
    "ISR": ("Hebrew",), "MLT": ("Maltese",), "ISL": ("Icelandic",), "FIN": ("Finnish", "Swedish"),
    "SWE": ("Swedish",), "NOR": ("Norwegian",), "DNK": ("Danish",), "NPL": ("Nepali",),
    "LKA": ("Sinhala", "Tamil"), "MDV": ("Dhivehi",), "WSM": ("Samoan",), "TON": ("Tongan",),
    "FJI": ("Fijian",), "NZL": ("Maori",), "NGA": ("Yoruba", "Igbo", "Hausa"), "ETH": ("Amharic",),
    "ZAF": ("Afrikaans", "Zulu"), "THA": ("Thai",), "VNM": ("Vietnamese",), "KHM": ("Khmer",),
    "MMR": ("Burmese",), "LAO": ("Lao",), "MNG": ("Mongolian",), "GEO": ("Georgian",),
    "ARM": ("Armenian",), "NAM": ("Afrikaans",), "RWA": ("French",), "MUS": ("French",),
}

#: Countries where an applicant may be in one of several zones (zone, share).
MULTI_ZONE: dict[str, tuple[tuple[str, float], ...]] = {
    "USA": (("America/New_York", 0.45), ("America/Chicago", 0.3), ("America/Denver", 0.08),
            ("America/Los_Angeles", 0.17)),
    "AUS": (("Australia/Sydney", 0.55), ("Australia/Brisbane", 0.15), ("Australia/Adelaide", 0.1),
            ("Australia/Perth", 0.2)),
    "CAN": (("America/Toronto", 0.6), ("America/Vancouver", 0.25), ("America/Edmonton", 0.1),
            ("America/Halifax", 0.05)),
    "BRA": (("America/Sao_Paulo", 0.9), ("America/Manaus", 0.1)),
    "RUS": (("Europe/Moscow", 0.8), ("Asia/Novosibirsk", 0.2)),
    "IDN": (("Asia/Jakarta", 0.8), ("Asia/Makassar", 0.2)),
}

ANGLO = {"AUS", "NZL", "USA", "GBR", "IRL", "CAN", "JAM", "TTO", "BRB", "BHS", "GUY", "BLZ"}
LUSO = {"BRA", "PRT", "AGO", "MOZ", "CPV"}
FRANCO = {"FRA", "SEN", "CIV", "COD", "COG", "MDG", "BEN", "BFA", "MLI", "TGO", "HTI", "GAB", "NER",
          "GIN", "CMR", "BEL", "LUX", "MCO", "RWA", "MUS"}


COUNTRIES_CSV = Path(__file__).resolve().parents[1] / "data" / "countries.csv"


@functools.cache
def countries() -> pd.DataFrame:
    # keep_default_na=False: Namibia's ISO-2 code is "NA".
    return pd.read_csv(COUNTRIES_CSV, keep_default_na=False, dtype={"utc_offset_minutes": int}).set_index("iso3")


def name_family(iso3: str) -> str:
    """Which list of fictional names suits a country."""
    if iso3 in ANGLO:
        return "anglo"
    if iso3 in LUSO:
        return "lusophone"
    if iso3 in FRANCO:
        return "franco"
    langs = LANGUAGES.get(iso3, ())
    if "Spanish" in langs:
        return "hispanic"
    if "Arabic" in langs or iso3 in {"AFG", "IRN"}:
        return "arabic"
    row = countries().loc[iso3]
    region, continent = row["un_region"], row["continent"]
    if region == "Southern Asia":
        return "southasia"
    if region == "Eastern Asia":
        return "eastasia"
    if region == "South-eastern Asia":
        return "seasia"
    if continent == "Africa":
        return "africa"
    if continent == "Oceania":
        return "pacific"
    if continent == "America":
        return "anglo"
    return "europe"


@functools.cache
def standard_offset(zone: str) -> int:
    """The zone's standard UTC offset in minutes (the smaller of January's and July's)."""
    import datetime as dt

    z = ZoneInfo(zone)
    offs = [z.utcoffset(dt.datetime(2026, m, 15, 12)) for m in (1, 7)]
    return int(min(o.total_seconds() for o in offs if o is not None) // 60)


def candidate_weights() -> dict[str, float]:
    """Every country a librarian in the sample may come from, with its relative weight.

    The long tail: countries outside CORE_WEIGHTS get small weights, falling with their position in
    a fixed order so the result is the same on every machine.
    """
    table = countries()
    weights = dict(CORE_WEIGHTS)
    tail = [c for c in sorted(table.index) if c not in weights]
    # Skip tiny territories: places with a zone but rarely a library association of their own.
    skip = {"ATA", "ATF", "BVT", "HMD", "IOT", "UMI", "SGS", "PCN", "NFK", "CXR", "CCK", "TKL", "NIU",
            "WLF", "SPM", "BLM", "MAF", "SJM", "ALA", "ESH", "VAT", "SHN", "FLK", "MSR", "AIA", "IMN",
            "JEY", "GGY", "GIB", "MYT", "REU", "GLP", "MTQ", "GUF", "BES", "SXM", "CUW", "ABW", "TCA",
            "VGB", "VIR", "CYM", "BMU", "GRL", "FRO", "ASM", "GUM", "MNP", "PYF", "NCL", "COK", "NRU",
            "TUV", "PLW", "MHL", "FSM", "KIR", "SMR", "LIE", "AND", "MCO", "PRK", "TKM", "ERI", "SOM",
            "SSD", "CAF", "TCD", "GNQ", "STP", "COM", "DJI"}
    for i, iso3 in enumerate(t for t in tail if t not in skip):
        weights[iso3] = round(0.85 - 0.004 * (i % 100), 3)
    return weights
