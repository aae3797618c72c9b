"""A seeded, deterministic generator of a program faithful to domain.md.

``generate(out_dir)`` writes one CSV per table to ``sample_data/``; ``workbench.build`` loads them.
The same seed gives byte-identical files on every machine (no set iteration, no wall clock).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workbench.sample import activity, geography
from workbench.sample.program import ROUNDS, Program

SEED = 2013

COORDINATORS = [
    # coordinator_id, name, email, role, countries
    ("amorgan", "Alex Morgan", "alex.morgan@coord.example.org", "director", []),
    ("praman", "Priya Raman", "priya.raman@coord.example.org", "director", []),
    ("tortega", "Tomás Ortega", "tomas.ortega@coord.example.org", "coordinator", []),
    ("nokafor", "Ngozi Okafor", "ngozi.okafor@coord.example.org", "country", ["NGA", "GHA", "CMR"]),
    ("jwalker", "Jess Walker", "jess.walker@coord.example.org", "country", ["GBR", "IRL"]),
    ("dmensah", "Daniel Mensah", "daniel.mensah@coord.example.org", "country", ["KEN", "UGA", "TZA", "RWA"]),
    ("rkhan", "Rukhsana Khan", "rukhsana.khan@coord.example.org", "country", ["PAK", "IND", "BGD", "LKA", "NPL"]),
    ("mreyes", "Maria Reyes", "maria.reyes@coord.example.org", "country", ["PHL", "MYS", "SGP", "IDN"]),
    ("cbrooks", "Casey Brooks", "casey.brooks@coord.example.org", "country", ["USA", "CAN"]),
    ("lnguyen", "Lan Nguyen", "lan.nguyen@coord.example.org", "analyst", []),
    ("presenter", "Conference screen", "presenter@coord.example.org", "presenter", []),
]


def generate(out_dir: str | Path, seed: int = SEED) -> dict[str, int]:
    """Write the sample program's CSVs into ``out_dir``; returns rows written per table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    program = Program(seed)
    rng = random.Random(seed + 1)
    topics: list[activity.Topic] = []
    ids = {"checkins": 0, "surveys": 0, "interventions": 0}
    checkins: list[dict] = []
    surveys: list[dict] = []
    interventions: list[dict] = []
    runs: list[dict] = []
    coordinator_ids = [c[0] for c in COORDINATORS if c[3] in {"director", "coordinator", "country"}]
    for spec in ROUNDS:
        program.run_round(spec)
        round_topics = activity.topics_for(spec, len(topics) + 1)
        topics += round_topics
        if spec.participants == 0:
            continue
        parts = [p for p in program.partnerships if p.round_id == spec.round_id]
        acts = activity.round_activity(rng, spec, parts, round_topics, ids, coordinator_ids)
        checkins += acts.checkins
        surveys += acts.surveys
        interventions += acts.interventions
        accepted = [a for a in program.applications if a.round_id == spec.round_id and a.status == "accepted"]
        runs.append({
            "run_id": len(runs) + 1, "round_id": spec.round_id,
            "created_at": dt.datetime.combine(spec.starts_on - dt.timedelta(days=7), dt.time(9)),
            "created_by": "historical", "parameters": '{"method": "by hand (historical round)"}',
            "status": "published", "solver_status": "historical", "people": len(accepted),
            "matched": spec.participants, "objective": None, "bound": None, "gap": None, "seconds": None,
        })
    # Answers by link (issue 20): a share of each round's check-ins and surveys, drawn from a stream of their own
    # so every other figure of the sample stays as it was.
    by_link = random.Random(seed + 20)
    for row in [*checkins, *surveys]:
        row["source"] = "link" if by_link.random() < activity.LINK_SHARE.get(row["round_id"], 0.0) else "import"
    run_of = {r["round_id"]: r["run_id"] for r in runs}
    spec_of = {s.round_id: s for s in ROUNDS}

    counts = {}
    counts["rounds"] = _write(out / "rounds.csv", [
        {"round_id": s.round_id, "label": s.label, "seq": s.seq, "opens_on": s.opens_on,
         "starts_on": s.starts_on, "ends_on": s.ends_on, "status": s.status, "country_cap": 0.2}
        for s in ROUNDS])
    counts["people"] = _write(out / "people.csv", [
        {"person_id": p.person_id, "email": p.email, "name": p.name, "created_at": p.created_at}
        for p in program.people])
    counts["applications"] = _write(out / "applications.csv", [
        {"application_id": a.application_id, "round_id": a.round_id, "person_id": a.person.person_id,
         "submitted_at": a.submitted_at, "name": a.person.name, "email": a.email,
         "country_iso3": a.person.country, "sector": a.sector, "career_stage": a.stage,
         "interests": a.interests, "languages": a.languages, "timezone": a.person.timezone,
         "utc_offset_minutes": geography.standard_offset(a.person.timezone),
         "partner_sector": a.partner_sector, "partner_stage": a.partner_stage,
         "partner_interests": a.partner_interests, "status": a.status, "status_reason": a.status_reason,
         "source": "sample"}
        for a in program.applications])
    counts["match_runs"] = _write(out / "match_runs.csv", runs)
    counts["partnerships"] = _write(out / "partnerships.csv", [
        {"partnership_id": p.partnership_id, "run_id": run_of[p.round_id], "round_id": p.round_id,
         "kind": "trio" if len(p.members) == 3 else "pair", "score": None, "score_detail": None,
         "status": p.status, "is_locked": False,
         "created_at": dt.datetime.combine(spec_of[p.round_id].starts_on - dt.timedelta(days=7), dt.time(9))}
        for p in program.partnerships])
    counts["partnership_members"] = _write(out / "partnership_members.csv", [
        {"partnership_id": p.partnership_id, "application_id": m.application_id}
        for p in program.partnerships for m in sorted(p.members, key=lambda m: m.application_id)])
    counts["topics"] = _write(out / "topics.csv", [
        {"topic_id": t.topic_id, "round_id": t.round_id, "seq": t.seq, "title": t.title, "body": t.body,
         "send_on": t.send_on} for t in topics])
    counts["checkins"] = _write(out / "checkins.csv", checkins)
    counts["surveys"] = _write(out / "surveys.csv", surveys)
    counts["coordinators"] = _write(out / "coordinators.csv", [
        {"coordinator_id": c[0], "name": c[1], "email": c[2], "role": c[3], "countries": c[4],
         "password_hash": None} for c in COORDINATORS])
    counts["interventions"] = _write(out / "interventions.csv", interventions)
    return counts


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _write(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    rows = list(rows)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow([_cell(v) for v in row.values()])
    return len(rows)
