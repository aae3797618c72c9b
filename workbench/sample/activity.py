"""What happens once a round runs: topics, check-ins, faltering pairs, interventions and surveys."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from workbench.sample import geography as geo
from workbench.sample import vocabularies as vocab
from workbench.sample.program import Application, Partnership, RoundSpec
from workbench.sample.texts import IMPACT_PHRASES, INTERVENTION_REASONS, TOPICS, UNCODED_ANSWERS
from workbench.schedule import Topic, send_day

#: Share of survey respondents who used the discussion topics (about half early, about 90% late).
TOPIC_USE = {"Pilot": 0.48, "2013B": 0.52, "2014A": 0.6, "2014B": 0.67, "2015A": 0.74, "2015B": 0.81,
             "2016A": 0.87, "2016B": 0.9}
#: Share satisfied with the program and with the partner (80-90% in every round).
PROGRAM_SATISFIED = {"Pilot": 0.89, "2013B": 0.86, "2014A": 0.84, "2014B": 0.85, "2015A": 0.83,
                     "2015B": 0.86, "2016A": 0.87, "2016B": 0.88}
PARTNER_SATISFIED = {"Pilot": 0.84, "2013B": 0.82, "2014A": 0.81, "2014B": 0.82, "2015A": 0.8,
                     "2015B": 0.83, "2016A": 0.84, "2016B": 0.85}
#: How pairs talk, by round (share of pairs); video calls grow as tools get easier.
METHOD_SHARES = {
    "email": (0.97, 0.97), "video call": (0.32, 0.55), "chat": (0.18, 0.26), "social media": (0.22, 0.31),
    "phone": (0.06, 0.05), "other": (0.05, 0.04),
}
FALTERING_SHARE = 0.06
RESPONSE_RATE = 0.55
CHECKIN_RATE = 0.45
#: Share of a round's check-ins and surveys answered from the link in the program's email (the rest came in a
#: form service's file): the program began sending links in 2016A.
LINK_SHARE = {"2016A": 0.3, "2016B": 0.6}


def topics_for(spec: RoundSpec, first_id: int) -> list[Topic]:
    """The round's fortnightly topics, "Getting to know you" first, one every two weeks."""
    chosen = [TOPICS[0], *TOPICS[1 : spec.topics - 1], TOPICS[-1]] if spec.topics < len(TOPICS) else list(TOPICS)
    chosen = chosen[: spec.topics]
    return [Topic(first_id + i, spec.round_id, i + 1, title, body, send_day(spec.starts_on, i + 1))
            for i, (title, body) in enumerate(chosen)]


def pair_methods(rng: random.Random, spec: RoundSpec, members: list[Application]) -> list[str]:
    """The ways one partnership keeps in touch; video calls are rarer across many time zones."""
    t = (spec.seq - 1) / 7
    offsets = [geo.standard_offset(m.person.timezone) for m in members]
    distance = (max(offsets) - min(offsets)) / 60
    distance = min(distance, 24 - distance)
    methods = []
    for method, (early, late) in METHOD_SHARES.items():
        p = early + (late - early) * t
        if method in {"video call", "phone"}:
            p *= 1.25 if distance <= 3 else (0.7 if distance >= 8 else 1.0)
        if rng.random() < p:
            methods.append(method)
    return methods or ["email"]


@dataclass
class Activity:
    checkins: list[dict]
    surveys: list[dict]
    interventions: list[dict]


def round_activity(rng: random.Random, spec: RoundSpec, partnerships: list[Partnership],
                   topics: list[Topic], ids: dict[str, int], coordinators: list[str]) -> Activity:
    """Check-ins, interventions and end-of-round surveys of one past round."""
    checkins: list[dict] = []
    interventions: list[dict] = []
    faltering_n = round(len(partnerships) * FALTERING_SHARE)
    for p in rng.sample(partnerships, faltering_n):
        p.faltering = True
    uptake = TOPIC_USE[spec.round_id]
    methods_of = {p.partnership_id: pair_methods(rng, spec, p.members) for p in partnerships}
    fortnights = len(topics)
    for p in partnerships:
        quiet_from = rng.randint(2, max(2, fortnights - 3)) if p.faltering else fortnights + 1
        raised = False
        for f in range(1, fortnights + 1):
            for m in p.members:
                if rng.random() > CHECKIN_RATE and not (p.faltering and f in (quiet_from, quiet_from + 1)):
                    continue
                quiet = f >= quiet_from
                contact = (rng.random() < 0.15) if quiet else (rng.random() < 0.985)
                replied = (rng.random() < 0.25) if quiet else (rng.random() < 0.997)
                rating = rng.choice((1, 2, 2, 3)) if quiet else rng.choice((3, 4, 4, 5, 5, 5))
                discussed = []
                if contact and rng.random() < uptake:
                    discussed = [f] if f == 1 or rng.random() < 0.7 else [f - 1, f]
                ids["checkins"] += 1
                checkins.append({
                    "checkin_id": ids["checkins"], "application_id": m.application_id,
                    "partnership_id": p.partnership_id, "round_id": spec.round_id, "fortnight": f,
                    "submitted_on": topics[f - 1].send_on + dt.timedelta(days=rng.randint(10, 13)),
                    "contact_made": contact, "partner_replied": replied,
                    "methods": [x for x in methods_of[p.partnership_id] if rng.random() < 0.8] if contact else [],
                    "topics_discussed": discussed, "rating": rating,
                })
                if quiet and not raised and rng.random() < 0.7:
                    raised = True
                    interventions.append(_intervention(rng, spec, p, m, topics[f - 1].send_on, ids,
                                                       coordinators))
    surveys = _surveys(rng, spec, partnerships, methods_of, ids)
    return Activity(checkins, surveys, interventions)


def _intervention(rng: random.Random, spec: RoundSpec, p: Partnership, raised_by: Application,
                  fortnight_on: dt.date, ids: dict[str, int], coordinators: list[str]) -> dict:
    ids["interventions"] += 1
    opened = fortnight_on + dt.timedelta(days=rng.randint(12, 16))
    late_in_last_round = spec.round_id == "2016B" and opened > spec.ends_on - dt.timedelta(days=40)
    if late_in_last_round:
        status = rng.choice(("open", "contacted"))
    else:
        status = rng.choices(("resolved", "ended"), weights=(0.75, 0.25))[0]
    if status == "ended":
        p.status = "ended"
    closed = None if status in {"open", "contacted"} else opened + dt.timedelta(days=rng.randint(3, 20))
    notes = {
        "open": "",
        "contacted": "Emailed both partners to check in.",
        "resolved": "Partner was travelling; back in touch now.",
        "ended": "Partner left the profession; partnership ended by agreement.",
    }[status]
    return {
        "intervention_id": ids["interventions"], "partnership_id": p.partnership_id,
        "application_id": raised_by.application_id, "round_id": spec.round_id, "opened_on": opened,
        "reason": rng.choice(INTERVENTION_REASONS), "status": status,
        "coordinator_id": None if status == "open" else rng.choice(coordinators), "notes": notes,
        "updated_at": dt.datetime.combine(closed or opened, dt.time(10, 30)), "closed_on": closed,
    }


def _quota(rng: random.Random, items: list, share: float) -> set[int]:
    """Indices of exactly round(share * len(items)) items, chosen at random."""
    k = round(share * len(items))
    return set(rng.sample(range(len(items)), k))


def _surveys(rng: random.Random, spec: RoundSpec, partnerships: list[Partnership],
             methods_of: dict[int, list[str]], ids: dict[str, int]) -> list[dict]:
    members = [(p, m) for p in partnerships for m in p.members]
    respondents = [pm for pm in members if rng.random() < (0.7 if spec.round_id == "Pilot" else RESPONSE_RATE)]
    n = len(respondents)
    satisfied = _quota(rng, respondents, PROGRAM_SATISFIED[spec.round_id])
    partner_ok = _quota(rng, respondents, PARTNER_SATISFIED[spec.round_id])
    used = _quota(rng, respondents, TOPIC_USE[spec.round_id])
    answered = sorted(rng.sample(range(n), round(0.85 * n)))
    codes: dict[int, list[str]] = {i: [] for i in answered}
    for code, share in vocab.IMPACT_SHARES.items():
        for i in rng.sample(answered, round(share * len(answered))):
            codes[i].append(code)
    unconfirmed = set(rng.sample(answered, round(0.15 * len(answered)))) if spec.round_id == "2016B" else set()
    out = []
    for i, (p, m) in enumerate(respondents):
        ids["surveys"] += 1
        program = rng.choice((4, 5, 5)) if i in satisfied else rng.choice((1, 2, 3, 3, 3))
        partner = rng.choice((4, 5, 5)) if i in partner_ok else rng.choice((1, 2, 2, 3))
        text = None
        row_codes: list[str] = []
        if i in codes:
            row_codes = sorted(codes[i], key=list(vocab.IMPACT_SHARES).index)
            parts = [rng.choice(IMPACT_PHRASES[c]) for c in row_codes] or [rng.choice(UNCODED_ANSWERS)]
            text = " ".join(parts)
            if i in unconfirmed:
                row_codes = []
        out.append({
            "survey_id": ids["surveys"], "application_id": m.application_id, "round_id": spec.round_id,
            "submitted_on": spec.ends_on + dt.timedelta(days=rng.randint(1, 21)),
            "program_satisfaction": program, "partner_satisfaction": partner,
            "methods": [x for x in methods_of[p.partnership_id] if x == "email" or rng.random() < 0.9],
            "used_topics": i in used, "would_return": rng.random() < (0.92 if i in satisfied else 0.45),
            "impact_text": text, "impact_codes": row_codes,
            "codes_confirmed": i in codes and i not in unconfirmed,
        })
    return out
