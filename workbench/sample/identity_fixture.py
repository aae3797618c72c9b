"""Application files with a known truth, for recognising people across rounds (issue 18's fixture and export).

From the sample program's known people (one row each: person_id, name, email, country_iso3, sector,
career_stage, interests, languages, timezone), seeded and deterministic:

- :func:`identity_fixture`: returners with new addresses (a new employer, a slip in the address, a new
  address altogether), names written another way (accents, case, order, an initial), moves abroad and
  changed answers; new people, including namesakes of known people (the same name, their own library).
- :func:`returning_export`: an export in which every applicant applied before under another address.

Each returns the file's rows (the form's columns) and the truth: the known person_id of each row, or None
for a new person.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from typing import Any

import pandas as pd

__all__ = ["FIXTURE_SEED", "identity_fixture", "returning_export", "to_csv_bytes"]

FIXTURE_SEED = 1818
STAGES = ["student", "early", "mid", "senior"]
_ACCENTS = {"a": "á", "e": "é", "i": "í", "o": "ó", "u": "ú", "c": "ç", "n": "ñ"}


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _local(name: str) -> str:
    words = _fold(name).lower().replace("'", "").split()
    return ".".join(words) if words else "applicant"


def _domain(rng: random.Random, email: str) -> str:
    """Another library in the same country: lib<N>.<cc>.example.org."""
    domain = email.rpartition("@")[2]
    parts = domain.split(".")
    country = parts[1] if len(parts) > 2 else "xx"
    current = parts[0]
    while True:
        candidate = f"lib{rng.randint(1, 60)}"
        if candidate != current:
            return f"{candidate}.{country}.example.org"


def _slip(rng: random.Random, local: str) -> str:
    letters = [i for i, ch in enumerate(local) if ch.isalpha()]
    i = rng.choice(letters[1:]) if len(letters) > 1 else 0
    kind = rng.choice(["swap", "drop", "double"])
    if kind == "swap" and i + 1 < len(local):
        return local[:i] + local[i + 1] + local[i] + local[i + 2:]
    if kind == "drop":
        return local[:i] + local[i + 1:]
    return local[:i] + local[i] + local[i:]


def _rewrite_name(rng: random.Random, name: str) -> str:
    words = name.split()
    kind = rng.choice(["accent", "case", "order", "initial"])
    if kind == "accent":
        folded = _fold(name)
        if folded != name:
            return folded
        chars = list(name)
        spots = [i for i, ch in enumerate(chars) if ch in _ACCENTS and i > 0]
        if spots:
            i = rng.choice(spots)
            chars[i] = _ACCENTS[chars[i]]
        return "".join(chars)
    if kind == "case":
        return name.upper() if rng.random() < 0.5 else name.lower()
    if kind == "order" and len(words) > 1:
        return f"{words[-1]}, {' '.join(words[:-1])}"
    if len(words) > 1:
        return f"{words[0][0]}. {' '.join(words[1:])}"
    return name


def _changed_answers(rng: random.Random, person: dict[str, Any], vocab: dict[str, list[str]]) -> dict[str, Any]:
    """As the sample's own returners change them between rounds: a career stage a step later now and then (15%),
    an area of interest or two swapped (half of them), the sector rarely (5%)."""
    out = dict(person)
    stage = str(person["career_stage"])
    if stage in STAGES and STAGES.index(stage) < len(STAGES) - 1 and rng.random() < 0.15:
        out["career_stage"] = STAGES[STAGES.index(stage) + 1]
    interests = list(person["interests"])
    swaps = rng.choices([0, 1, 2], weights=[50, 35, 15])[0]
    for _ in range(swaps):
        if interests and vocab["interests"]:
            interests[rng.randrange(len(interests))] = rng.choice(vocab["interests"])
    out["interests"] = list(dict.fromkeys(interests))
    if rng.random() < 0.05:
        out["sector"] = rng.choice(vocab["sectors"])
    return out


def _row(person: dict[str, Any], *, name: str, email: str, submitted: dt.datetime) -> dict[str, Any]:
    return {"submitted_at": submitted.strftime("%Y-%m-%d %H:%M:%S"), "name": name, "email": email,
            "country": person["country_iso3"], "sector": person["sector"], "career_stage": person["career_stage"],
            "interests": ";".join(person["interests"]), "languages": ";".join(person["languages"]),
            "timezone": person["timezone"]}


def _people(known: pd.DataFrame) -> list[dict[str, Any]]:
    records = known.sort_values("person_id").to_dict("records")
    for r in records:
        r["interests"] = [str(x) for x in r["interests"]]
        r["languages"] = [str(x) for x in r["languages"]]
    return records


def _vocab(people: list[dict[str, Any]]) -> dict[str, Any]:
    return {"interests": sorted({i for p in people for i in p["interests"]}),
            "sectors": sorted({str(p["sector"]) for p in people}),
            "places": sorted({(str(p["country_iso3"]), str(p["timezone"]), str(p["email"]).rpartition("@")[2])
                              for p in people}),
            "addresses": {str(p["email"]) for p in people}}


def _returner(rng: random.Random, person: dict[str, Any], vocab: dict[str, Any], submitted: dt.datetime,
              *, rewrite: float, abroad: float) -> dict[str, Any]:
    answers = _changed_answers(rng, person, vocab)
    name = str(person["name"])
    if rng.random() < rewrite:
        name = _rewrite_name(rng, name)
    local, _, domain = str(person["email"]).partition("@")
    kind = rng.random()
    if rng.random() < abroad:  # a move abroad: a library, country and time zone elsewhere
        country, zone, other = rng.choice([p for p in vocab["places"] if p[0] != person["country_iso3"]])
        answers.update(country_iso3=country, timezone=zone)
        email = f"{local}@{other}"
    elif kind < 0.55:  # a new employer at home: the same first.last at another library
        email = f"{local}@{_domain(rng, str(person['email']))}"
    elif kind < 0.75:  # a slip in the address
        email = f"{_slip(rng, local)}@{domain}"
    elif kind < 0.9:  # a personal address
        email = f"{local.replace('.', '')}{rng.randint(1, 99)}@mail.example.com"
    else:  # an address of another shape at another library
        first, _, last = local.partition(".")
        email = f"{first[:1]}{last or first}@{_domain(rng, str(person['email']))}"
    while email in vocab["addresses"]:  # another person's address: that library would not hand it out twice
        email = f"{email.partition('@')[0]}@{_domain(rng, email)}"
    return _row(answers, name=name, email=email, submitted=submitted)


def identity_fixture(known: pd.DataFrame, *, rows: int = 600, seed: int = FIXTURE_SEED,
                     start: dt.datetime = dt.datetime(2017, 8, 1, 9)) -> tuple[pd.DataFrame, list[int | None]]:
    """``rows`` applications (60% returners, 20% new people with new names, 20% namesakes of known people)
    and the truth (the known person_id of each, None for a new person)."""
    rng = random.Random(seed)
    people = _people(known)
    vocab = _vocab(people)
    out: list[dict[str, Any]] = []
    truth: list[int | None] = []
    chosen = rng.sample(people, rows)
    given = sorted({str(p["name"]).split()[0] for p in people})
    surnames = sorted({str(p["name"]).split()[-1] for p in people})
    names = {_fold(str(p["name"])).casefold() for p in people}  # accents and case aside: a new name is new
    for i, person in enumerate(chosen):
        submitted = start + dt.timedelta(minutes=37 * i)
        share = i % 10
        if share < 6:
            out.append(_returner(rng, person, vocab, submitted, rewrite=0.3, abroad=0.08))
            truth.append(int(person["person_id"]))
            continue
        stranger = dict(rng.choice(people))  # someone else's answers
        if share < 8:  # a new name: a given name and a surname no known person has together
            while True:
                name = f"{rng.choice(given)} {rng.choice(surnames)}"
                if _fold(name).casefold() not in names:
                    break
        else:  # a namesake of a known person, in their country, at a library of their own
            name = str(person["name"])
            stranger.update(country_iso3=person["country_iso3"], timezone=person["timezone"])
        email = f"{_local(name)}@{_domain(rng, str(person['email']))}"
        while email in vocab["addresses"]:
            email = f"{email.partition('@')[0]}@{_domain(rng, email)}"
        out.append(_row(stranger, name=name, email=email, submitted=submitted))
        truth.append(None)
    return pd.DataFrame(out), truth


def returning_export(known: pd.DataFrame, *, rows: int = 1200, seed: int = FIXTURE_SEED + 1,
                     start: dt.datetime = dt.datetime(2017, 8, 1, 9)) -> tuple[pd.DataFrame, list[int | None]]:
    """An export of ``rows`` applicants who all applied before under another address (issue 18's 1,200 rows)."""
    rng = random.Random(seed)
    people = _people(known)
    vocab = _vocab(people)
    chosen = rng.sample(people, rows)
    out = [_returner(rng, p, vocab, start + dt.timedelta(minutes=11 * i), rewrite=0.2, abroad=0.05)
           for i, p in enumerate(chosen)]
    return pd.DataFrame(out), [int(p["person_id"]) for p in chosen]


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The rows as a form export's CSV."""
    return frame.to_csv(index=False).encode("utf-8")
