"""What the linking model compares: the features of an application or a known person, the splink comparisons
(:data:`FIELDS`), the blocking rules and the settings dictionary (see :mod:`workbench.people.linking`)."""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from typing import Any

import pandas as pd
import pyarrow as pa

from workbench import db
from workbench.matching.rules import organisation_key

__all__ = [
    "BLOCKING", "FIELDS", "NAME_FIELDS", "NEUTRAL_COUNTRY", "NEUTRAL_MOVED", "NEUTRAL_NAME", "applicant_features",
    "as_arrow", "known_people", "name_key", "name_short",
    "settings_dict",
]

#: The fields compared, by the name the reasons use, and the splink comparison's output column.
FIELDS: dict[str, str] = {
    "name": "name", "email": "email_local", "email domain": "email_domain", "organisation": "organisation",
    "country": "country", "sector": "sector", "career stage": "career_stage", "interests": "interests",
    "languages": "languages", "time zone": "time_zone",
}
#: Levels that only repeat what another field said (the address written from the same name, the zone of the same
#: country, or of another country): their weight is fixed at 0 after training, so correlated evidence is not
#: counted twice.
NEUTRAL_NAME = "the same, written from the same name"
NEUTRAL_COUNTRY = "the same zone, in the same country"
NEUTRAL_MOVED = "another zone, in another country"
#: The fields a namesake shares with anyone of that name: agreeing on these alone never links automatically.
NAME_FIELDS = ("name", "email")


# --- features --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=262144)
def _words(name: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return tuple(re.sub(r"[^0-9a-z]+", " ", text).split())


def name_key(name: str) -> str:
    """A name for comparison: accents folded, lower case, punctuation gone, words sorted."""
    return " ".join(sorted(_words(name)))


def name_short(name: str) -> str:
    """The surname and the initials of the other names, sorted: "Ana María López", "A. M. López" and
    "López, Ana María" all give "lopez a m". The surname is the last word, or the first when a comma
    follows it ("López, Ana")."""
    text = str(name)
    if "," in text:
        before, _, after = text.partition(",")
        text = f"{after} {before}"
    words = _words(text)
    if not words:
        return ""
    return " ".join([words[-1], *sorted(w[0] for w in words[:-1])])


def _email_local(email: str) -> str:
    local = str(email).strip().lower().rpartition("@")[0].split("+", 1)[0]
    return re.sub(r"[._-]", "", local)


def _email_domain(email: str) -> str:
    return str(email).strip().lower().rpartition("@")[2]


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v) for v in value]


def applicant_features(frame: pd.DataFrame, *, id_column: str) -> pd.DataFrame:
    """The columns the model compares, from application-shaped rows (name, email, country_iso3, sector,
    career_stage, interests, languages, timezone, utc_offset_minutes, organisation), keyed ``uid`` by
    ``id_column``."""
    names = frame["name"].astype(str)
    emails = frame["email"].astype(str)
    organisation = frame["organisation"] if "organisation" in frame.columns else pd.Series(None, index=frame.index)
    out = pd.DataFrame({
        "uid": frame[id_column].astype("int64").to_numpy(),
        "name_key": [name_key(n) or None for n in names],
        "name_short": [name_short(n) or None for n in names],
        "given": [(_words(n) or ("",))[0] or None for n in names],
        "email_local": [_email_local(e) or None for e in emails],
        "email_domain": [_email_domain(e) or None for e in emails],
        "org_key": [organisation_key(o) if isinstance(o, str) and o.strip() else None for o in organisation],
        "country": frame["country_iso3"].astype(str).to_numpy(),
        "sector": frame["sector"].to_numpy(),
        "career_stage": frame["career_stage"].to_numpy(),
        "interests": [sorted(set(_as_list(v))) for v in frame["interests"]],
        "languages": [sorted(set(_as_list(v))) for v in frame["languages"]],
        "timezone": frame["timezone"].astype(str).to_numpy(),
        "utc_offset": pd.to_numeric(frame["utc_offset_minutes"], errors="coerce").fillna(0).astype("int64").to_numpy(),
    })
    return out.where(out.notna(), None)


def as_arrow(frame: pd.DataFrame) -> pa.Table:
    """The features typed for DuckDB (a column of only missing values is still text)."""
    fields = []
    for column in frame.columns:
        if column in ("uid", "utc_offset", "person_id"):
            fields.append(pa.field(column, pa.int64()))
        elif column in ("interests", "languages"):
            fields.append(pa.field(column, pa.list_(pa.string())))
        else:
            fields.append(pa.field(column, pa.string()))
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


_KNOWN_SQL = """
    SELECT a.person_id, p.name AS name, p.email AS email, a.country_iso3, a.sector, a.career_stage, a.interests,
           a.languages, a.timezone, a.utc_offset_minutes, a.organisation, a.round_id
    FROM applications AS a JOIN people AS p USING (person_id) JOIN rounds AS r USING (round_id)
    WHERE a.round_id <> $exclude
    QUALIFY row_number() OVER (PARTITION BY a.person_id ORDER BY r.seq DESC, a.submitted_at DESC) = 1
"""


def known_people(con: db.Connection, *, exclude_round: str = "") -> pd.DataFrame:
    """One row per known person: their name and address and their latest application's answers (outside
    ``exclude_round``, the round being imported into)."""
    return con.execute(_KNOWN_SQL, {"exclude": exclude_round}).df()


# --- the splink settings ---------------------------------------------------------------------------


def _level(sql: str, label: str, *, null: bool = False, tf: str | None = None) -> dict[str, Any]:
    level: dict[str, Any] = {"sql_condition": sql, "label_for_charts": label}
    if null:
        level["is_null_level"] = True
    if tf:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _null(column: str) -> dict[str, Any]:
    return _level(f'"{column}_l" IS NULL OR "{column}_r" IS NULL', "missing", null=True)


def _else() -> dict[str, Any]:
    return _level("ELSE", "different")


def _comparisons() -> list[dict[str, Any]]:
    return [
        {"output_column_name": "name", "comparison_description": "the name, accents, case and order aside",
         "comparison_levels": [
             _null("name_key"),
             _level("name_key_l = name_key_r", "the same name", tf="name_key"),
             _level("name_short_l = name_short_r", "the same surname and initials"),
             _level("jaro_winkler_similarity(name_key_l, name_key_r) >= 0.92", "nearly the same name"),
             _level("jaro_winkler_similarity(name_key_l, name_key_r) >= 0.8", "a similar name"),
             _else()]},
        {"output_column_name": "email_local", "comparison_description": "the address before the '@'",
         "comparison_levels": [
             _null("email_local"),
             _level("email_local_l = email_local_r AND name_key_l = name_key_r", NEUTRAL_NAME),
             _level("email_local_l = email_local_r", "the same", tf="email_local"),
             _level("damerau_levenshtein(email_local_l, email_local_r) <= 2", "a slip apart"),
             _level("jaro_winkler_similarity(email_local_l, email_local_r) >= 0.88", "similar"),
             _else()]},
        {"output_column_name": "email_domain", "comparison_description": "the address after the '@'",
         "comparison_levels": [
             _null("email_domain"),
             _level("email_domain_l = email_domain_r", "the same", tf="email_domain"),
             _else()]},
        {"output_column_name": "organisation", "comparison_description": "the organisation, normalised",
         "comparison_levels": [
             _null("org_key"),
             _level("org_key_l = org_key_r", "the same"),
             _level("jaro_winkler_similarity(org_key_l, org_key_r) >= 0.9", "similar"),
             _else()]},
        {"output_column_name": "country", "comparison_description": "the country",
         "comparison_levels": [_null("country"), _level("country_l = country_r", "the same"),
                               _else()]},
        {"output_column_name": "sector", "comparison_description": "the sector",
         "comparison_levels": [_null("sector"), _level("sector_l = sector_r", "the same"), _else()]},
        {"output_column_name": "career_stage", "comparison_description": "the career stage",
         "comparison_levels": [_null("career_stage"), _level("career_stage_l = career_stage_r", "the same"),
                               _else()]},
        {"output_column_name": "interests", "comparison_description": "the areas of interest",
         "comparison_levels": [
             _level("len(interests_l) = 0 OR len(interests_r) = 0", "missing", null=True),
             _level("len(list_intersect(interests_l, interests_r)) >= 4", "four or more shared"),
             _level("len(list_intersect(interests_l, interests_r)) = 3", "three shared"),
             _level("len(list_intersect(interests_l, interests_r)) = 2", "two shared"),
             _level("len(list_intersect(interests_l, interests_r)) = 1", "one shared"),
             _else()]},
        {"output_column_name": "languages", "comparison_description": "the working languages",
         "comparison_levels": [
             _level("len(languages_l) = 0 OR len(languages_r) = 0", "missing", null=True),
             _level("languages_l = languages_r", "the same"),
             _level("len(list_intersect(languages_l, languages_r)) >= 1", "some shared"),
             _else()]},
        {"output_column_name": "time_zone", "comparison_description": "the time zone",
         "comparison_levels": [
             _null("timezone"),
             _level("timezone_l = timezone_r AND country_l = country_r", NEUTRAL_COUNTRY),
             _level("timezone_l = timezone_r", "the same zone"),
             _level("abs(utc_offset_l - utc_offset_r) <= 120", "within two hours"),
             _level("country_l <> country_r", NEUTRAL_MOVED),
             _else()]},
    ]


#: Blocking rules: an application is compared only with the people sharing one of these keys.
BLOCKING = [
    "l.name_key = r.name_key",
    "l.email_local = r.email_local",
    "l.name_short = r.name_short",
    "l.given = r.given AND l.country = r.country AND l.sector = r.sector",
]


def settings_dict(*, link_type: str = "link_only", probability: float = 0.0001) -> dict[str, Any]:
    """A splink settings dictionary for the program's model (untrained)."""
    return {
        "link_type": link_type,
        "unique_id_column_name": "uid",
        "probability_two_random_records_match": probability,
        "blocking_rules_to_generate_predictions": [{"blocking_rule": b} for b in BLOCKING],
        "comparisons": _comparisons(),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
    }
