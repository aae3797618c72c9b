"""Seeded synthetic applicant pools for tests, benchmarks and demos (no real person's data).

``make_pool(n, seed)`` draws an ILN-shaped round: about 90 countries at 1,200 people with a few big
ones (Australia up to ~18%, then the USA, the UK, India, Nigeria), ~92% listing English and the rest
only Spanish, French or Portuguese (plus local languages), 3–6 interests with a popularity skew,
about half with no partner wish, and ~20% returners with earlier partners (some in the same pool).
``make_random_instance`` draws small, deliberately awkward instances (few countries, many languages,
forbids, locks) for the property tests.
"""

from __future__ import annotations

import numpy as np

from workbench.matching.model import Applicant, MatchRules
from workbench.matching.rules import hard_rule_broken
from workbench.sample.vocabularies import CAREER_STAGES, INTERESTS, SECTORS

#: (ISO-3, standard UTC offset in minutes, main language), roughly by how many applicants ILN drew.
COUNTRIES: tuple[tuple[str, int, str], ...] = (
    ("AUS", 600, "English"), ("USA", -300, "English"), ("GBR", 0, "English"), ("IND", 330, "English"),
    ("NGA", 60, "English"), ("CAN", -300, "English"), ("NZL", 720, "English"), ("PHL", 480, "English"),
    ("ZAF", 120, "English"), ("KEN", 180, "English"), ("MYS", 480, "Malay"), ("IRL", 0, "English"),
    ("PAK", 300, "Urdu"), ("GHA", 0, "English"), ("SGP", 480, "English"), ("MEX", -360, "Spanish"),
    ("BRA", -180, "Portuguese"), ("ESP", 60, "Spanish"), ("ARG", -180, "Spanish"), ("COL", -300, "Spanish"),
    ("FRA", 60, "French"), ("UGA", 180, "English"), ("LKA", 330, "Sinhala"), ("BGD", 360, "Bengali"),
    ("NPL", 345, "Nepali"), ("IDN", 420, "Indonesian"), ("CHN", 480, "Chinese"), ("JPN", 540, "Japanese"),
    ("DEU", 60, "German"), ("NLD", 60, "Dutch"), ("ITA", 60, "Italian"), ("SWE", 60, "Swedish"),
    ("FIN", 120, "Finnish"), ("NOR", 60, "Norwegian"), ("DNK", 60, "Danish"), ("PRT", 0, "Portuguese"),
    ("CHL", -240, "Spanish"), ("PER", -300, "Spanish"), ("CMR", 60, "French"), ("SEN", 0, "French"),
    ("CIV", 0, "French"), ("TZA", 180, "Swahili"), ("ZWE", 120, "English"), ("ZMB", 120, "English"),
    ("MWI", 120, "English"), ("BWA", 120, "English"), ("ETH", 180, "Amharic"), ("EGY", 120, "Arabic"),
    ("JOR", 120, "Arabic"), ("ARE", 240, "Arabic"), ("SAU", 180, "Arabic"), ("TUR", 180, "Turkish"),
    ("IRN", 210, "Persian"), ("GRC", 120, "Greek"), ("POL", 60, "Polish"), ("CZE", 60, "Czech"),
    ("ROU", 120, "Romanian"), ("HUN", 60, "Hungarian"), ("UKR", 120, "Ukrainian"), ("RUS", 180, "Russian"),
    ("SRB", 60, "Serbian"), ("HRV", 60, "Croatian"), ("ISR", 120, "Hebrew"), ("THA", 420, "Thai"),
    ("VNM", 420, "Vietnamese"), ("KOR", 540, "Korean"), ("TWN", 480, "Chinese"), ("HKG", 480, "Chinese"),
    ("FJI", 720, "English"), ("PNG", 600, "English"), ("WSM", 780, "Samoan"), ("TON", 780, "Tongan"),
    ("MDV", 300, "Dhivehi"), ("AFG", 270, "Dari"), ("JAM", -300, "English"), ("TTO", -240, "English"),
    ("BRB", -240, "English"), ("CUB", -300, "Spanish"), ("URY", -180, "Spanish"), ("ECU", -300, "Spanish"),
    ("BOL", -240, "Spanish"), ("VEN", -240, "Spanish"), ("CRI", -360, "Spanish"), ("GTM", -360, "Spanish"),
    ("MOZ", 120, "Portuguese"), ("AGO", 60, "Portuguese"), ("RWA", 120, "English"), ("NAM", 60, "English"),
    ("MUS", 240, "English"), ("MAR", 0, "French"), ("TUN", 60, "French"), ("DZA", 60, "French"),
    ("BEL", 60, "French"), ("CHE", 60, "German"), ("AUT", 60, "German"), ("ISL", 0, "Icelandic"),
    ("EST", 120, "Estonian"), ("LVA", 120, "Latvian"), ("LTU", 120, "Lithuanian"), ("SVK", 60, "Slovak"),
    ("SVN", 60, "Slovenian"), ("BGR", 120, "Bulgarian"), ("ALB", 60, "Albanian"), ("GEO", 240, "Georgian"),
    ("ARM", 240, "Armenian"), ("KAZ", 360, "Kazakh"), ("MNG", 480, "Mongolian"), ("KHM", 420, "Khmer"),
    ("MMR", 390, "Burmese"), ("LAO", 420, "Lao"), ("BTN", 360, "English"), ("LBN", 120, "Arabic"),
    ("QAT", 180, "Arabic"), ("OMN", 240, "Arabic"), ("KWT", 180, "Arabic"), ("SDN", 180, "Arabic"),
    ("SLE", 0, "English"), ("LBR", 0, "English"), ("GMB", 0, "English"), ("SSD", 180, "English"),
    ("SOM", 180, "Arabic"), ("COD", 60, "French"), ("MDG", 180, "French"), ("HTI", -300, "French"),
    ("DOM", -240, "Spanish"), ("PAN", -300, "Spanish"), ("PRY", -240, "Spanish"), ("SLV", -360, "Spanish"),
    ("HND", -360, "Spanish"), ("NIC", -360, "Spanish"), ("LUX", 60, "French"), ("MLT", 60, "English"),
    ("CYP", 120, "Greek"), ("GUY", -240, "English"), ("BLZ", -360, "English"), ("SLB", 660, "English"),
    ("VUT", 660, "English"), ("KIR", 720, "English"),
)
#: Shares of the biggest countries in a round (the program capped a country at 20%).
BIG_SHARES: dict[str, float] = {"AUS": 0.18, "USA": 0.12, "GBR": 0.08, "IND": 0.07, "NGA": 0.06}
_ONLY_LOCAL = ("Spanish", "French", "Portuguese")


def _countries_for(n: int) -> int:
    """About 18 countries at 92 people, 95 at 1,162 (the program's rounds), capped by the table."""
    return int(min(len(COUNTRIES), max(2, round(0.93 * n ** 0.656))))


def make_pool(n: int, seed: int = 0, *, first_id: int = 1) -> list[Applicant]:
    """An ILN-shaped pool of ``n`` applicants, deterministic for a given seed.

    Application ids are ``first_id..first_id+n-1``, person ids ``100000 + application id``; earlier
    partners point both at people in the pool (so "no repeat" bites) and at people who are not.
    """
    rng = np.random.default_rng(seed)
    m = _countries_for(n)
    table = COUNTRIES[:m]
    big = {c: share for c, share in BIG_SHARES.items() if n >= 200}  # tiny pools: no giants
    small = [c for c, _, _ in table if c not in big]
    zipf = 1.0 / np.arange(1, len(small) + 1) ** 0.9
    zipf = zipf / zipf.sum() * (1.0 - sum(big.get(c, 0.0) for c, _, _ in table))
    weights = np.array([big[c] if c in big else float(zipf[small.index(c)]) for c, _, _ in table])
    weights /= weights.sum()
    # every country appears at least once, the rest by weight
    country_of = np.concatenate([np.arange(min(m, n)), rng.choice(m, size=max(0, n - m), p=weights)])
    rng.shuffle(country_of)
    popularity = 1.0 / np.arange(1, len(INTERESTS) + 1) ** 0.8
    popularity /= popularity.sum()
    sector_p = np.array([0.45, 0.25, 0.08, 0.12, 0.05, 0.05])
    stage_p = np.array([0.10, 0.30, 0.35, 0.25])
    people: list[dict] = []
    for i in range(n):
        iso3, offset, local = table[int(country_of[i])]
        if local == "English":
            langs = {"English"}
            if rng.random() < 0.1:
                langs.add(str(rng.choice(["French", "Spanish", "Hindi", "Swahili", "Yoruba", "Maori"])))
        elif local not in _ONLY_LOCAL:  # the program ran in English: elsewhere most people list it
            roll = rng.random()
            langs = {"English", local} if roll < 0.65 else {"English"} if roll < 0.96 else {local}
        elif rng.random() < 0.3:
            langs = {"English", local}
        else:  # Spanish-, French- or Portuguese-only applicants
            langs = {local}
        k = int(rng.integers(3, 7))
        interests = frozenset(INTERESTS[j] for j in rng.choice(len(INTERESTS), size=k, replace=False,
                                                                p=popularity))
        wish_sector = wish_stage = None
        wish_int: frozenset[str] = frozenset()
        if rng.random() < 0.5:
            while wish_sector is None and wish_stage is None and not wish_int:
                if rng.random() < 0.5:
                    wish_sector = str(rng.choice(SECTORS, p=sector_p))
                if rng.random() < 0.4:
                    wish_stage = str(rng.choice(CAREER_STAGES, p=stage_p))
                if rng.random() < 0.5:
                    wish_int = frozenset(INTERESTS[j] for j in rng.choice(
                        len(INTERESTS), size=int(rng.integers(1, 4)), replace=False, p=popularity))
        people.append(dict(
            application_id=first_id + i, person_id=100000 + first_id + i, name=f"Applicant {first_id + i}",
            country=iso3, sector=str(rng.choice(SECTORS, p=sector_p)),
            career_stage=str(rng.choice(CAREER_STAGES, p=stage_p)), interests=interests,
            languages=frozenset(langs), utc_offset_minutes=offset, partner_sector=wish_sector,
            partner_stage=wish_stage, partner_interests=wish_int, past=set(), past_countries=set(),
        ))
    for i in range(n):  # returners: earlier partners in the pool or gone
        if rng.random() >= 0.13:
            continue
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5 and n > 1:
                j = int(rng.integers(n))
                if j == i or people[j]["country"] == people[i]["country"]:
                    continue
                people[i]["past"].add(people[j]["person_id"])
                people[i]["past_countries"].add(people[j]["country"])
                people[j]["past"].add(people[i]["person_id"])
                people[j]["past_countries"].add(people[i]["country"])
            else:
                other = table[int(rng.choice(m, p=weights))][0]
                if other != people[i]["country"]:
                    people[i]["past"].add(int(rng.integers(10**7, 2 * 10**7)))
                    people[i]["past_countries"].add(other)
    return [
        Applicant(**{k: v for k, v in p.items() if k not in ("past", "past_countries")},
                  past_partners=frozenset(p["past"]), past_partner_countries=frozenset(p["past_countries"]))
        for p in people
    ]


def make_random_instance(n: int, seed: int, *, n_countries: int = 4, rules: bool = True,
                         odd_languages: bool = True) -> tuple[list[Applicant], MatchRules]:
    """A small awkward instance: few countries, mixed languages, earlier partners, forbids and locks.

    The locks drawn are always legal (different countries, a shared language, no repeat, not forbidden).
    """
    rng = np.random.default_rng(seed)
    countries = ["AUS", "USA", "NGA", "MEX", "FRA", "IND", "BRA", "JPN"][:n_countries]
    offsets = {"AUS": 600, "USA": -300, "NGA": 60, "MEX": -360, "FRA": 60, "IND": 330, "BRA": -180,
               "JPN": 540}
    lang_pool = ["English", "Spanish", "French", "Portuguese"] if odd_languages else ["English"]
    apps: list[Applicant] = []
    for i in range(n):
        country = countries[int(rng.integers(len(countries)))]
        langs = frozenset(str(x) for x in rng.choice(lang_pool, size=int(rng.integers(1, 3)),
                                                     replace=True, p=None))
        interests = frozenset(INTERESTS[j] for j in rng.choice(8, size=int(rng.integers(1, 5)), replace=False))
        apps.append(Applicant(
            application_id=10 + i, person_id=500 + i, name=f"P{10 + i}", country=country,
            sector=str(rng.choice(SECTORS)), career_stage=str(rng.choice(CAREER_STAGES)),
            interests=interests, languages=langs,
            utc_offset_minutes=offsets[country] + int(rng.choice([0, 0, 60, -60])),
            partner_sector=str(rng.choice(SECTORS)) if rng.random() < 0.3 else None,
            partner_stage=str(rng.choice(CAREER_STAGES)) if rng.random() < 0.3 else None,
            partner_interests=frozenset([INTERESTS[int(rng.integers(8))]]) if rng.random() < 0.3 else frozenset(),
            past_partners=frozenset(500 + int(j) for j in rng.integers(0, n, size=2)) if rng.random() < 0.2
            else frozenset(),
            past_partner_countries=frozenset([countries[int(rng.integers(len(countries)))]])
            if rng.random() < 0.2 else frozenset(),
        ))
    if not rules:
        return apps, MatchRules()
    ids = [a.application_id for a in apps]
    forbidden = {frozenset(int(x) for x in rng.choice(ids, size=2, replace=False)) for _ in range(n // 5)}
    excluded = {int(x) for x in rng.choice(ids, size=n // 10, replace=False)} if n >= 10 else set()
    locks: list[tuple[int, ...]] = []
    used = set(excluded)
    for _ in range(max(1, n // 12)):
        a, b = (apps[int(j)] for j in rng.choice(n, size=2, replace=False))
        if a.application_id in used or b.application_id in used:
            continue
        if hard_rule_broken(a, b, frozenset(forbidden)) is None:
            locks.append((a.application_id, b.application_id))
            used |= {a.application_id, b.application_id}
    return apps, MatchRules.of(locks=locks, forbidden=forbidden, excluded=excluded)
