"""Who is who across rounds: linking an import's applications to the program's people with splink.

The model is Fellegi–Sunter (:mod:`splink`), run on DuckDB: each application is compared with the known people
its blocking rules pair it with (the same name key, the same address before the '@', the same surname and
initial, the same given name in the same country), field by field (:data:`FIELDS`), and every pair gets a
match probability with each field's match weight. Term-frequency adjustments weigh a common name (or a
common address before the '@') less than a rare one, so the sample's many namesakes do not link on name.

The bands (:func:`decide`): an exact address of a known person links at once; a candidate at or above the
program's ``link_high`` threshold links automatically, unless a second candidate is plausible too (at or above
``link_low``: review) or the pair agrees on name alone (the name and the address derived from it, nothing else:
review); below ``link_low`` the application is a new person; in between it goes to review.

Training (:mod:`workbench.people.training`) uses the program's own history: applications of one person in
several rounds (the same email, so labels for free) teach the m-probabilities, random pairs the u-probabilities.
The trained model is stored in the database (``link_models``) and reused by every import.

splink works in a scratch in-memory DuckDB of its own (the frames go in as Arrow): it creates tables as it
goes, which a read-only connection (a dry run) cannot, and the live file should not collect.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from workbench import db
from workbench.people import training
from workbench.people.comparisons import BLOCKING, FIELDS, applicant_features, as_arrow, known_people
from workbench.people.model import Candidate, Linked, LinkResult, Review

__all__ = ["decide", "link_applications"]


# --- deciding ----------------------------------------------------------------------------------------


#: Fields a namesake in the same country does not share by being one: a link needs their weight together
#: to reach :data:`DISTINCT_WEIGHT` (a Bayes factor of 8), whatever the name, address and place say.
DISTINCT_FIELDS = ("email domain", "organisation", "sector", "career stage", "interests")
DISTINCT_WEIGHT = 3.0
#: ... and one of them must speak strongly on its own (a Bayes factor of 11: three or more shared interests, the
#: same library's domain, the same organisation), not only sector and career stage, which many share by chance.
STRONG_WEIGHT = 3.5


def _is_name_alone(weights: Mapping[str, float]) -> bool:
    """True when only the name, the address written from it and the place speak for the pair: what a namesake
    in the same country shares with anyone of that name. The rest of the application must speak for it too."""
    distinct = [weights.get(field, 0.0) for field in DISTINCT_FIELDS]
    return sum(distinct) < DISTINCT_WEIGHT or max(distinct) < STRONG_WEIGHT


def decide(row: int, email: str, candidates: Sequence[Candidate], *, high: float, low: float
           ) -> Linked | Review | None:
    """The band of one application: linked, to review, or None (a new person). ``candidates`` most probable
    first."""
    plausible = [c for c in candidates if c.probability >= low]
    if not plausible:
        return None
    top = plausible[0]
    if len(plausible) >= 2:
        return Review(row, email, list(plausible[:3]), why="two plausible candidates")
    if top.probability >= high and not _is_name_alone(top.weights):
        return Linked(row, email, top.person_id, top.probability)
    why = "agrees on the name alone" if top.probability >= high else "between the thresholds"
    return Review(row, email, [top], why=why)


# --- linking -----------------------------------------------------------------------------------------


def link_applications(con: db.Connection, applications: pd.DataFrame, *, model: Mapping[str, Any] | None = None,
                      round_id: str = "", high: float | None = None, low: float | None = None) -> LinkResult:
    """Link an import's ``applications`` (validated rows: source_row, name, email, email_normalised,
    country_iso3, sector, career_stage, interests, languages, timezone, utc_offset_minutes, organisation) to
    the program's people. ``model`` is a trained splink model (None: the stored one, trained now if there is
    none); ``high``/``low`` override the program's thresholds."""
    started = time.perf_counter()
    result = LinkResult()
    if applications.empty:
        return result
    if high is None or low is None:
        stored_high, stored_low = training.thresholds(con)
        high = stored_high if high is None else high
        low = stored_low if low is None else low
    frame = applications.reset_index(drop=True)
    emails = (frame["email_normalised"] if "email_normalised" in frame.columns
              else frame["email"].str.strip().str.lower())
    by_address = training.people_by_address(con, list(emails))
    rest_index = [i for i, e in enumerate(emails) if e not in by_address]
    for i, e in enumerate(emails):
        if e in by_address:
            result.linked.append(Linked(int(frame.at[i, "source_row"]), str(frame.at[i, "email"]),
                                        by_address[e], 1.0, how="email"))
    known = known_people(con, exclude_round=round_id)
    rest = frame.iloc[rest_index]
    pairs = pd.DataFrame()
    if len(rest) and len(known):  # a program with no people yet needs no model
        if model is None:
            model, result.model_id = training.stored_model(con)
        pairs = _predict(model, rest, known)
    by_position = _candidates(pairs, known)  # keyed by the position in ``rest``
    for position, i in enumerate(rest_index):
        record = frame.iloc[i]
        row = int(record["source_row"])
        found = decide(row, str(record["email"]), by_position.get(position, []), high=high, low=low)
        if found is None:
            result.new_people += 1
        elif isinstance(found, Linked):
            result.linked.append(found)
        else:
            result.review.append(Review(found.row, found.email, found.candidates, name=str(record["name"]),
                                        why=found.why))
    result.linked.sort(key=lambda x: x.row)
    result.review.sort(key=lambda r: (-r.candidates[0].probability, r.row))
    result.seconds = time.perf_counter() - started
    return result


def _predict(model: Mapping[str, Any], incoming: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """splink's scored pairs (incoming position ``uid_r``, person ``uid_l``) above a floor of 0.001."""
    import splink  # heavy: imported when an import has rows to link
    from splink import DuckDBAPI

    left = applicant_features(known, id_column="person_id")
    right = applicant_features(incoming.reset_index(drop=True).assign(position=range(len(incoming))),
                               id_column="position")
    settings = dict(model)
    settings["link_type"] = "link_only"
    settings["blocking_rules_to_generate_predictions"] = [{"blocking_rule": b} for b in BLOCKING]
    settings["retain_intermediate_calculation_columns"] = True
    share = float(settings.get("returning_share", 0.3))
    settings["probability_two_random_records_match"] = min(0.5, max(share, 0.01) / max(len(known), 1))
    for key in ("returning_share", "trained_on"):
        settings.pop(key, None)
    api = DuckDBAPI(":memory:")
    try:
        frames = [api.register(as_arrow(left), dataset_display_name="known"),
                  api.register(as_arrow(right), dataset_display_name="incoming")]
        linker = splink.Linker(frames, settings, log_level=None, validate_settings=False)
        predicted = linker.inference.predict(threshold_match_probability=0.001, warning_mode="never")
        pairs = predicted.as_pandas_dataframe()
    finally:
        api.duckdb_con.close()
    if pairs.empty:
        return pairs
    flip = pairs["source_dataset_l"] == "incoming"  # link_only may put either side first
    if flip.any():
        swapped = pairs.loc[flip].rename(columns=lambda c: c[:-2] + "_r" if c.endswith("_l") else
                                         c[:-2] + "_l" if c.endswith("_r") else c)
        pairs = pd.concat([pairs.loc[~flip], swapped], ignore_index=True)
    return pairs


def _candidates(pairs: pd.DataFrame, known: pd.DataFrame) -> dict[int, list[Candidate]]:
    out: dict[int, list[Candidate]] = {}
    if pairs.empty:
        return out
    people = known.set_index("person_id")[["name", "email", "country_iso3", "round_id"]]
    pairs = pairs.assign(odds=[2.0 ** min(float(w), 60.0) for w in pairs["match_weight"]])
    competing = pairs.groupby("uid_r")["odds"].transform("sum")
    pairs = pairs.assign(probability=pairs["odds"] / (1.0 + competing))
    for record in pairs.sort_values(["uid_r", "probability"], ascending=[True, False]).to_dict("records"):
        weights: dict[str, float] = {}
        agree: list[str] = []
        differ: list[str] = []
        for field, column in FIELDS.items():
            weight = (float(record.get(f"mw_{column}", 0.0) or 0.0)
                      + float(record.get(f"mw_tf_adj_{column}", 0.0) or 0.0))
            if weight == 0.0:  # missing on one side: no evidence either way
                continue
            weights[field] = weight
            (agree if weight > 0 else differ).append(field)
        person = int(record["uid_l"])
        known_row = people.loc[person]
        candidate = Candidate(person, str(known_row["name"]), str(known_row["country_iso3"]),
                              float(record["probability"]), agree, differ, weights,
                              email=str(known_row["email"]), last_round=str(known_row["round_id"]))
        out.setdefault(int(record["uid_r"]), []).append(candidate)
    return out
