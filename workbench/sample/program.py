"""The synthetic program's rounds, people, applications and partnerships (domain.md's figures)."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from workbench.sample import geography as geo
from workbench.sample import vocabularies as vocab
from workbench.sample.cap import apply_cap, cap_limit
from workbench.sample.texts import FAMILY, GIVEN
from workbench.schedule import RoundDates


@dataclass(frozen=True)
class RoundSpec(RoundDates):
    """A round of the sample program: its dates and domain.md's figures."""

    status: str
    participants: int  # people in a partnership (0 for a round not yet matched)
    countries: int  # distinct countries of those participants (of applicants for 2017A)
    topics: int
    applications: int = 0  # only for a round not yet matched


D = dt.date
#: domain.md's table, plus 2016B (an estimate: about 850) and 2017A, received and not yet matched.
ROUNDS: tuple[RoundSpec, ...] = (
    RoundSpec("Pilot", "Pilot (2013)", 1, D(2013, 3, 4), D(2013, 5, 6), D(2013, 8, 30), "closed", 92, 18, 7),
    RoundSpec("2013B", "2013B", 2, D(2013, 8, 5), D(2013, 9, 16), D(2013, 12, 20), "closed", 391, 39, 8),
    RoundSpec("2014A", "2014A", 3, D(2014, 1, 13), D(2014, 3, 3), D(2014, 6, 27), "closed", 764, 76, 8),
    RoundSpec("2014B", "2014B", 4, D(2014, 7, 7), D(2014, 8, 25), D(2014, 12, 12), "closed", 630, 73, 8),
    RoundSpec("2015A", "2015A", 5, D(2015, 1, 12), D(2015, 3, 2), D(2015, 6, 26), "closed", 820, 79, 9),
    RoundSpec("2015B", "2015B", 6, D(2015, 7, 6), D(2015, 8, 24), D(2015, 12, 11), "closed", 862, 85, 9),
    RoundSpec("2016A", "2016A", 7, D(2016, 1, 4), D(2016, 2, 22), D(2016, 5, 27), "closed", 1162, 95, 9),
    RoundSpec("2016B", "2016B", 8, D(2016, 7, 4), D(2016, 8, 22), D(2016, 12, 9), "closed", 850, 97, 9),
    RoundSpec("2017A", "2017A", 9, D(2017, 1, 9), D(2017, 2, 27), D(2017, 6, 16), "matching", 0, 101, 9,
              applications=1200),
)
#: Share of each round's applications from people who applied before (after the pilot).
RETURN_TARGET = {"2013B": 0.25, "2014A": 0.22, "2014B": 0.25, "2015A": 0.25, "2015B": 0.26,
                 "2016A": 0.25, "2016B": 0.27, "2017A": 0.27}
#: Trios per round (the rest are pairs): "occasionally three".
TRIOS = {"Pilot": 0, "2013B": 1, "2014A": 2, "2014B": 2, "2015A": 2, "2015B": 2, "2016A": 2, "2016B": 2}
PARTICIPANT_CAP = 0.19  # keep every country under 20% of a round's participants


@dataclass
class Person:
    person_id: int
    name: str
    email: str
    country: str
    family: str
    sector: str
    stage: str
    interests: list[str]
    languages: list[str]
    timezone: str
    created_at: dt.datetime
    rounds: int = 0  # rounds taken part in (in a partnership)
    applied: int = 0
    partners: set[int] = field(default_factory=set)
    partner_countries: set[str] = field(default_factory=set)


@dataclass
class Application:
    application_id: int
    round_id: str
    person: Person
    submitted_at: dt.datetime
    email: str
    interests: list[str]
    languages: list[str]
    sector: str
    stage: str
    partner_sector: str | None
    partner_stage: str | None
    partner_interests: list[str]
    status: str
    status_reason: str | None
    is_participant: bool = False


@dataclass
class Partnership:
    partnership_id: int
    round_id: str
    members: list[Application]
    status: str = "completed"
    faltering: bool = False


SECTOR_WEIGHTS = {"academic": 42, "public": 22, "school": 10, "special": 13, "national": 4, "other": 9}
STAGE_WEIGHTS = {"student": 8, "early": 33, "mid": 37, "senior": 22}
SECTOR_INTERESTS = {
    "academic": ("Research support", "Information literacy", "Open access and scholarly communication",
                 "Research data management", "Teaching and learning"),
    "public": ("Community engagement", "Children and young people", "Library spaces", "Reading promotion"),
    "school": ("Children and young people", "Reading promotion", "Teaching and learning",
               "Information literacy"),
    "special": ("Health information", "Law libraries", "Reference services", "Copyright and licensing"),
    "national": ("Digital collections", "Archives and special collections", "Cataloguing and metadata"),
    "other": ("Library technology", "Archives and special collections", "Social media"),
}


class Program:
    """Builds the rounds one after another, remembering people and their partners across rounds."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people: list[Person] = []
        self.by_country: dict[str, list[Person]] = {}
        self.applications: list[Application] = []
        self.partnerships: list[Partnership] = []
        self.used_emails: set[str] = set()
        self.weights = geo.candidate_weights()
        self.ever_countries: set[str] = set()
        self.round_countries: list[str] = []

    # --- people ---------------------------------------------------------------------------------

    def _covered(self, languages: list[str], country: str) -> bool:
        """Can someone speaking ``languages`` find partners in at least two other countries of the round?"""
        if "English" in languages:
            return True
        speaking = [c for c in self.round_countries
                    if c != country and not set(languages).isdisjoint(geo.LANGUAGES.get(c, ()))]
        return len(speaking) >= 2

    def _new_person(self, country: str, when: dt.datetime) -> Person:
        rng = self.rng
        family = geo.name_family(country)
        given, surname = rng.choice(GIVEN[family]), rng.choice(FAMILY[family])
        base = _ascii(f"{given}.{surname}").lower()
        email = f"{base}@lib{rng.randint(1, 40)}.{geo.countries().loc[country, 'iso2'].lower()}.example.org"
        n = 2
        while email in self.used_emails:
            email = email.replace("@", f"{n}@", 1) if n == 2 else email.replace(f"{n - 1}@", f"{n}@", 1)
            n += 1
        self.used_emails.add(email)
        sector = _weighted(rng, SECTOR_WEIGHTS)
        native = list(geo.LANGUAGES.get(country, ()))
        if country in geo.ANGLO or not native:
            languages = ["English"]
            if native and rng.random() < 0.15:
                languages.append(native[0])
        else:
            speaks_english = rng.random() < (0.8 if native[0] in {"Spanish", "Portuguese", "French"} else 0.9)
            languages = ["English"] if speaks_english else []
            languages += [lang for i, lang in enumerate(native) if not languages or rng.random() < 0.7 / (i + 1)]
            if not languages:
                languages = [native[0]]
            if not self._covered(languages, country):
                languages = ["English", *languages]
        if country in geo.MULTI_ZONE:
            zones = dict(geo.MULTI_ZONE[country])
            timezone = _weighted(rng, zones)
        else:
            timezone = str(geo.countries().loc[country, "timezone"])
        person = Person(
            person_id=len(self.people) + 1, name=f"{given} {surname}", email=email, country=country,
            family=family, sector=sector, stage=_weighted(rng, STAGE_WEIGHTS),
            interests=self._draw_interests(sector), languages=languages, timezone=timezone, created_at=when,
        )
        self.people.append(person)
        self.by_country.setdefault(country, []).append(person)
        return person

    def _draw_interests(self, sector: str) -> list[str]:
        rng = self.rng
        k = rng.choice((3, 3, 4, 4, 4, 5, 5, 6))
        boosted = SECTOR_INTERESTS[sector]
        weights = {name: (4.0 if name in boosted else 1.0) / (1 + 0.06 * i)
                   for i, name in enumerate(vocab.INTERESTS)}
        chosen: list[str] = []
        while len(chosen) < k:
            pick = _weighted(rng, {n: w for n, w in weights.items() if n not in chosen})
            chosen.append(pick)
        return sorted(chosen, key=vocab.INTERESTS.index)

    def _wishes(self, person: Person) -> tuple[str | None, str | None, list[str]]:
        rng = self.rng
        if rng.random() < 0.5:  # about half state no wish at all
            return None, None, []
        sector = stage = None
        interests: list[str] = []
        while sector is None and stage is None and not interests:
            if rng.random() < 0.5:
                sector = person.sector if rng.random() < 0.6 else _weighted(rng, SECTOR_WEIGHTS)
            if rng.random() < 0.4:
                stage = _weighted(rng, {"early": 2, "mid": 3, "senior": 4, "student": 0.5})
            if rng.random() < 0.5:
                interests = sorted(rng.sample(person.interests, min(len(person.interests), rng.randint(1, 2))),
                                   key=vocab.INTERESTS.index)
        return sector, stage, interests

    # --- rounds ---------------------------------------------------------------------------------

    def choose_countries(self, spec: RoundSpec) -> list[str]:
        """The round's countries: the largest communities plus a tail that changes from round to round."""
        rng = self.rng
        ranked = sorted(self.weights, key=lambda c: (-self.weights[c], c))
        core_n = math.ceil(spec.countries * (0.8 if spec.countries < 50 else 0.7))
        core = ranked[:core_n]
        rest = ranked[core_n:]
        chosen = list(core)
        while len(chosen) < spec.countries:
            # Favour countries never seen yet, so the program reaches more than 130 over its life.
            pool = {c: self.weights[c] * (1.5 if c not in self.ever_countries else 1.0)
                    for c in rest if c not in chosen}
            chosen.append(_weighted(rng, pool))
        self.ever_countries.update(chosen)
        return chosen

    def allocate(self, countries: list[str], total: int, cap_share: float, spread: float) -> dict[str, int]:
        """Split ``total`` people over ``countries`` by weight: at least one each, none above the cap."""
        rng = self.rng
        cap = cap_limit(cap_share, total)
        w = {c: self.weights[c] ** spread * rng.uniform(0.8, 1.25) for c in countries}
        alloc = {c: 1 for c in countries}
        remaining = total - len(countries)
        while remaining > 0:
            open_ = {c: w[c] for c in countries if alloc[c] < cap}
            wsum = sum(open_.values())
            shares = {c: remaining * v / wsum for c, v in open_.items()}
            floors = {c: min(int(s), cap - alloc[c]) for c, s in shares.items()}
            given = sum(floors.values())
            for c, f in floors.items():
                alloc[c] += f
            left = remaining - given
            if left == 0:
                break
            by_frac = sorted(open_, key=lambda c: (-(shares[c] - int(shares[c])), c))
            for c in by_frac:
                if left == 0:
                    break
                if alloc[c] < cap:
                    alloc[c] += 1
                    left -= 1
            remaining = left
        return alloc

    def run_round(self, spec: RoundSpec) -> None:
        rng = self.rng
        countries = self.choose_countries(spec)
        self.round_countries = countries
        past = spec.participants > 0
        if past:
            alloc = self.allocate(countries, spec.participants, PARTICIPANT_CAP, 1.0)
            n_extra = round(spec.participants * rng.uniform(0.04, 0.07))
            extra_alloc = _spread(rng, alloc, n_extra)
        else:  # the round being matched: Australia above the cap, so admission has work to do
            alloc = self.allocate(countries, spec.applications, 0.215, 1.0)
            top = max(alloc, key=lambda c: (alloc[c], c))
            alloc[top] = math.ceil(0.215 * spec.applications)
            diff = sum(alloc.values()) - spec.applications
            for c in sorted(alloc, key=lambda c: (-alloc[c], c))[1:]:
                if diff == 0:
                    break
                take = min(diff, alloc[c] - 1)
                alloc[c] -= take
                diff -= take
            extra_alloc = {c: 0 for c in alloc}
        window_end = dt.datetime.combine(spec.starts_on - dt.timedelta(days=10), dt.time(18))
        window_start = dt.datetime.combine(spec.opens_on, dt.time(8))
        span = (window_end - window_start).total_seconds()
        target = RETURN_TARGET.get(spec.round_id, 0.0)
        round_apps: list[Application] = []
        for country in countries:
            slots = alloc[country] + extra_alloc[country]
            pool = [p for p in self.by_country.get(country, []) if p.applied > 0]
            quota = min(len(pool), round(slots * target * rng.uniform(0.85, 1.25)))
            returners = _weighted_sample(rng, pool, [1 + 2 * p.rounds for p in pool], quota)
            fresh = slots - len(returners)
            applicants = list(returners)
            for _ in range(fresh):
                applicants.append(self._new_person(country, window_start))
            rng.shuffle(applicants)
            for i, person in enumerate(applicants):
                is_returner = person.applied > 0
                frac = rng.random() ** (1.6 if is_returner else 1.0)
                when = window_start + dt.timedelta(seconds=int(frac * span))
                if person.applied == 0:
                    person.created_at = when
                app = self._apply(spec, person, when)
                if past:
                    if i < extra_alloc[country]:
                        if rng.random() < 0.6:
                            app.status, app.status_reason = "withdrawn", "withdrew before matching"
                        else:
                            app.status_reason = "no suitable partner: contacted by a coordinator"
                    else:
                        app.is_participant = True
                round_apps.append(app)
        round_apps.sort(key=lambda a: (a.submitted_at, a.person.person_id))
        if not past:
            self._admit(round_apps)
        for app in round_apps:
            app.application_id = len(self.applications) + 1
            self.applications.append(app)
        if past:
            self._pair(spec, [a for a in round_apps if a.is_participant])

    def _apply(self, spec: RoundSpec, person: Person, when: dt.datetime) -> Application:
        rng = self.rng
        if person.applied > 0:  # a returner's profile moves on a little between rounds
            if rng.random() < 0.15 and person.stage != "senior":
                person.stage = vocab.CAREER_STAGES[vocab.CAREER_STAGES.index(person.stage) + 1]
            if rng.random() < 0.3:
                drop = rng.choice(person.interests)
                options = [i for i in vocab.INTERESTS if i not in person.interests]
                person.interests = sorted([i for i in person.interests if i != drop] + [rng.choice(options)],
                                          key=vocab.INTERESTS.index)
        person.applied += 1
        if not self._covered(person.languages, person.country):  # learnt English since last time
            person.languages = ["English", *person.languages]
        email = person.email
        if person.applied > 1 and rng.random() < 0.1:  # typed differently this time
            local, domain = email.split("@")
            email = f"{local.title()}@{domain.capitalize()}"
        sector, stage, interests = self._wishes(person)
        return Application(
            application_id=0, round_id=spec.round_id, person=person, submitted_at=when, email=email,
            interests=list(person.interests), languages=list(person.languages), sector=person.sector,
            stage=person.stage, partner_sector=sector, partner_stage=stage, partner_interests=interests,
            status="accepted", status_reason=None,
        )

    def _admit(self, apps: list[Application]) -> None:
        import pandas as pd

        rng = self.rng
        for app in apps:
            if rng.random() < 0.01:
                app.status, app.status_reason = "withdrawn", "withdrew: cannot take part this round"
        frame = pd.DataFrame({"country_iso3": [a.person.country for a in apps],
                              "submitted_at": [a.submitted_at for a in apps],
                              "status": [a.status for a in apps]})
        for app, status in zip(apps, apply_cap(frame), strict=True):
            if status == "waitlisted":
                app.status = "waitlisted"
                app.status_reason = "country above the 20% cap: offered the next round"

    # --- partnerships ---------------------------------------------------------------------------

    def _pair(self, spec: RoundSpec, apps: list[Application]) -> None:
        for attempt in range(200):
            groups = self._try_pair(apps, TRIOS[spec.round_id], random.Random(f"{spec.round_id}-{attempt}"))
            if groups is not None:
                break
        else:  # pragma: no cover - the sizes above always pair
            raise RuntimeError(f"could not pair round {spec.round_id}")
        for group in groups:
            pid = len(self.partnerships) + 1
            self.partnerships.append(Partnership(pid, spec.round_id, group))
            for a in group:
                a.person.rounds += 1
                for b in group:
                    if b is not a:
                        a.person.partners.add(b.person.person_id)
                        a.person.partner_countries.add(b.person.country)

    @staticmethod
    def _fits(a: Application, b: Application) -> bool:
        return (a.person.country != b.person.country
                and not set(a.languages).isdisjoint(b.languages)
                and b.person.person_id not in a.person.partners)

    def _try_pair(self, apps: list[Application], trios: int, rng: random.Random) -> list[list[Application]] | None:
        buckets: dict[str, list[Application]] = {}
        for a in apps:
            buckets.setdefault(a.person.country, []).append(a)
        for b in buckets.values():
            rng.shuffle(b)
        left = len(apps)
        groups: list[list[Application]] = []

        def take_anchor() -> Application:
            scarce = [a for bucket in buckets.values() for a in bucket if "English" not in a.languages]
            if scarce:
                a = min(scarce, key=lambda x: x.application_id if x.application_id else id(x))
                buckets[a.person.country].remove(a)
                return a
            country = max(buckets, key=lambda c: (len(buckets[c]), c))
            return buckets[country].pop()

        def best_partner(group: list[Application]) -> Application | None:
            best, best_score = None, -1.0
            seen = 0
            countries = sorted(buckets, key=lambda c: -len(buckets[c]))
            for c in countries:
                for b in buckets[c]:
                    if not all(self._fits(a, b) for a in group):
                        continue
                    score = len(buckets[c]) * 0.05 + rng.random()
                    for a in group:
                        score += len(set(a.interests) & set(b.interests))
                        if b.person.country not in a.person.partner_countries:
                            score += 3
                        if a.person.country not in b.person.partner_countries:
                            score += 3
                    if score > best_score:
                        best, best_score = b, score
                    seen += 1
                    if seen >= 60:
                        return best
            return best

        while left > 0:
            size = 3 if len(groups) < trios else 2
            anchor = take_anchor()
            group = [anchor]
            for _ in range(size - 1):
                partner = best_partner(group)
                if partner is None and "English" not in anchor.languages and len(group) == 1:
                    # Nobody left shares their language: this applicant said they can work in English.
                    anchor.languages = ["English", *anchor.languages]
                    anchor.person.languages = list(anchor.languages)
                    partner = best_partner(group)
                if partner is None:
                    return None
                buckets[partner.person.country].remove(partner)
                group.append(partner)
            for c in [c for c, b in buckets.items() if not b]:
                del buckets[c]
            groups.append(group)
            left -= size
        return groups


def _ascii(text: str) -> str:
    import unicodedata

    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in flat if ch.isalnum() or ch in ".-")


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _weighted_sample(rng: random.Random, items: list[Person], weights: list[float], k: int) -> list[Person]:
    """``k`` distinct items, each drawn with probability proportional to its weight."""
    keyed = sorted(zip(items, weights, strict=True),
                   key=lambda iw: rng.random() ** (1.0 / iw[1]), reverse=True)
    return [item for item, _ in keyed[:k]]


def _spread(rng: random.Random, alloc: dict[str, int], n: int) -> dict[str, int]:
    out = {c: 0 for c in alloc}
    countries = list(alloc)
    for c in rng.choices(countries, weights=[alloc[c] for c in countries], k=n):
        out[c] += 1
    return out
