"""Training the linking model on the program's own rounds, and keeping it with the program.

The labels are free: applications of one person in several rounds (the same email, the program's key so far)
are matches. splink estimates the u-probabilities from random pairs of the program's people and the
m-probabilities from those labelled pairs. What the labels cannot teach is set from what the program knows:
the labels agree on the email by construction, so the address fields get fixed m-probabilities
(:data:`EMAIL_M`), and a level the labels never showed (a name written another way) keeps a floor
(:data:`M_FLOOR`) instead of an impossible zero. The model is the program setting ``link_model`` (splink's
JSON, versioned and audited like every setting), written by ``workbench people train``; until then the model
trained on the sample program (:data:`SAMPLE_MODEL`) is used. ``link_high`` and ``link_low`` are the bands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from workbench import db
from workbench.access import User
from workbench.people.comparisons import (
    NEUTRAL_COUNTRY,
    NEUTRAL_MOVED,
    NEUTRAL_NAME,
    applicant_features,
    as_arrow,
    settings_dict,
)
from workbench.program.settings import get_setting, set_setting, setting_version

__all__ = [
    "EMAIL_M",
    "M_FLOOR",
    "SAMPLE_MODEL",
    "Trained",
    "people_by_address",
    "sample_model",
    "save_model",
    "stored_model",
    "thresholds",
    "train",
    "train_and_store",
]

#: m-probabilities of the address fields (levels after the null level, in order), which labels made from
#: equal addresses cannot estimate: a returner keeps the part before the '@' about half the time (a new
#: employer writes the same first.last), slips it now and then, keeps the domain less often.
EMAIL_M: dict[str, list[float]] = {
    "email_local": [0.45, 0.08, 0.07, 0.40],  # the same (written from another name), a slip, similar, different
    "email_domain": [0.35, 0.65],
}
NEUTRAL = (NEUTRAL_NAME, NEUTRAL_COUNTRY, NEUTRAL_MOVED)
#: The model trained on the sample program (``workbench people train --out workbench/people/sample_model.json`` on
#: a fresh sample database): the model of a program that has not trained its own.
SAMPLE_MODEL = Path(__file__).with_name("sample_model.json")
#: m- and u-probabilities of a field the program's rounds never filled in (the organisation, before forms asked it).
UNSEEN_M: dict[str, list[float]] = {"organisation": [0.6, 0.1, 0.3]}
UNSEEN_U: dict[str, list[float]] = {"organisation": [0.002, 0.003, 0.995]}
#: The least m-probability of a level: the labels never saw a name written another way, which still happens.
M_FLOOR = 0.02
#: A larger floor where the program's rounds cannot show how often it happens: a move abroad (one in twenty).
FLOORS = {"country": 0.05}


@dataclass(frozen=True)
class Trained:
    """A model trained on the program: splink's JSON, the labelled pairs and people it learnt from."""

    model: dict[str, Any]
    labels: int
    people: int
    applications: int
    seconds: float


def thresholds(con: db.Connection) -> tuple[float, float]:
    """The program's (high, low) linking thresholds."""
    high = float(get_setting(con, "link_high"))
    low = float(get_setting(con, "link_low"))
    return high, min(low, high)


def people_by_address(con: db.Connection, emails: Iterable[str]) -> dict[str, int]:
    """Normalised email -> person_id, for the addresses a known person used (``person_addresses`` when the
    database has it, and each person's ``people.email``)."""
    wanted = sorted({str(e) for e in emails})
    if not wanted:
        return {}
    found: dict[str, int] = {}
    has_addresses = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'person_addresses' AND database_name = "
        "current_database()").fetchone()[0]  # type: ignore[index]
    if has_addresses:
        for email, person in con.execute(
                "SELECT email, person_id FROM person_addresses WHERE email IN (SELECT unnest(?::VARCHAR[]))",
                [wanted]).fetchall():
            found[str(email)] = int(person)
    for email, person in con.execute(
            "SELECT email, person_id FROM people WHERE email IN (SELECT unnest(?::VARCHAR[]))", [wanted]).fetchall():
        found[str(email)] = int(person)  # the person's own address wins
    return found


def _training_rows(con: db.Connection) -> pd.DataFrame:
    return con.execute(
        """
        SELECT a.application_id, a.person_id, a.name, a.email, a.country_iso3, a.sector, a.career_stage,
               a.interests, a.languages, a.timezone, a.utc_offset_minutes, a.organisation
        FROM applications AS a JOIN people AS p USING (person_id)
        WHERE p.email NOT LIKE 'erased-%@erased.invalid'
        ORDER BY a.application_id
        """).df()


def train(con: db.Connection, *, seed: int = 18) -> Trained:
    """Train the model on the program's applications (see the module notes); nothing is stored."""
    import splink  # heavy: only when a model is trained
    from splink import DuckDBAPI

    started = time.perf_counter()
    rows = _training_rows(con)
    features = applicant_features(rows, id_column="application_id")
    features["person_id"] = rows["person_id"].astype("int64").to_numpy()
    people = int(rows["person_id"].nunique())
    per_person = rows.groupby("person_id").size()
    labels = int((per_person * (per_person - 1) // 2).sum())
    returning_share = float((len(rows) - people) / max(len(rows), 1))
    settings = settings_dict(link_type="dedupe_only", probability=max(labels, 1) / max(len(rows) ** 2 / 2, 1))
    api = DuckDBAPI(":memory:")
    try:
        frame = api.register(as_arrow(features), dataset_display_name="applications")
        linker = splink.Linker(frame, settings, log_level=None)
        linker.training.estimate_u_using_random_sampling(max_pairs=400_000, seed=seed)
        if labels:
            linker.training.estimate_m_from_label_column("person_id")
        model = linker.misc.save_model_to_json(out_path=None)
    finally:
        api.duckdb_con.close()
    model = _with_priors(model)
    model["returning_share"] = round(returning_share, 4)
    model["trained_on"] = {"applications": len(rows), "people": people, "labelled_pairs": labels}
    return Trained(model, labels, people, len(rows), time.perf_counter() - started)


def _with_priors(model: dict[str, Any]) -> dict[str, Any]:
    """The address fields' fixed m-probabilities, and the floor under every other level's."""
    for comparison in model["comparisons"]:
        neutral = [lv for lv in comparison["comparison_levels"]
                   if lv.get("label_for_charts") in NEUTRAL]
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level") and lv not in neutral]
        fixed = EMAIL_M.get(comparison["output_column_name"])
        if fixed is None and all(lv.get("u_probability") is None for lv in levels):
            fixed = UNSEEN_M.get(comparison["output_column_name"])
            for level, u in zip(levels, UNSEEN_U.get(comparison["output_column_name"], []), strict=False):
                level["u_probability"] = u
        if fixed is not None and len(fixed) == len(levels):
            for level, m in zip(levels, fixed, strict=True):
                level["m_probability"] = m
            continue
        raw = [float(lv.get("m_probability") or 0.0) for lv in levels]
        floor = FLOORS.get(comparison["output_column_name"], M_FLOOR)
        floored = [max(m, floor) for m in raw]
        total = sum(floored)
        for level, m in zip(levels, floored, strict=True):
            level["m_probability"] = m / total
        for level in levels:
            u = level.get("u_probability")
            if u is None or float(u) <= 0:
                level["u_probability"] = 1e-6
    for comparison in model["comparisons"]:  # after every other level: the fixed ones above skip `continue`
        for level in comparison["comparison_levels"]:
            if level.get("label_for_charts") in NEUTRAL:
                u = float(level.get("u_probability") or 1e-6)
                level["u_probability"] = u
                level["m_probability"] = u  # a Bayes factor of 1: weight 0
    return model


def stored_model(con: db.Connection) -> tuple[dict[str, Any], int | None]:
    """The program's stored model and its setting version; until the program trains its own (``workbench people
    train``), the model trained on the sample program (:data:`SAMPLE_MODEL`, version None)."""
    model = get_setting(con, "link_model")
    if model:
        return dict(model), setting_version(con, "link_model")
    return sample_model(), None


def sample_model() -> dict[str, Any]:
    """The model trained on the sample program, shipped with the workbench: what a program starts from (as the
    sample's vocabularies are every new program's first lists)."""
    return dict(json.loads(SAMPLE_MODEL.read_text(encoding="utf-8")))


def save_model(con: db.Connection, model: Mapping[str, Any], *, by: User) -> int:
    """Store ``model`` as the program's (the setting ``link_model``, audited); returns its version."""
    set_setting(con, "link_model", dict(model), by=by)
    return setting_version(con, "link_model")


def train_and_store(con: db.Connection, *, by: User) -> Trained:
    """Retrain on the program's rounds as they are now and store the model (``workbench people train``)."""
    trained = train(con)
    save_model(con, trained.model, by=by)
    return trained
