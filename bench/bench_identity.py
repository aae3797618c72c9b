"""Recognising people across rounds (issue 18): how well and how fast an import links applications to people.

Builds the sample database in a temporary folder, trains the program's model on it (the time is printed),
and links, as an import of a new round would:

- the fixture (``workbench.sample.identity_fixture.identity_fixture``, 600 rows with a known truth:
  returners with new addresses, names written another way, slips, moves abroad, changed answers; new
  people, a third of them namesakes of known people);
- the 1,200-row export in which every applicant applied before under another address
  (``returning_export``), against the sample's 5,378 people;
- with ``--large``, 20,000 applications against 100,000 people (the sample's people copied 19 times over
  with other names and libraries; the applications are returners and new people as in the fixture).

For each it prints the precision and recall of the automatic links, the review list's size, the returners
neither linked nor offered for review ("missed"), and seconds; against the targets: at most 0.5% wrong
links, at least 70% of returners linked without review, at most 3% missed, a review list of at most 20% of
the rows, 1,200 against 5,378 in at most 10 s, 20,000 against 100,000 in at most 2 minutes.

    .venv/bin/python bench/bench_identity.py            # fixture and the 1,200-row export
    .venv/bin/python bench/bench_identity.py --large    # and 20,000 against 100,000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench import db  # noqa: E402
from workbench.build import build_database  # noqa: E402
from workbench.people import LinkResult, link_applications, train  # noqa: E402
from workbench.people.comparisons import known_people  # noqa: E402
from workbench.sample.identity_fixture import identity_fixture, returning_export  # noqa: E402


def as_applications(frame: pd.DataFrame, offsets: dict[str, int]) -> pd.DataFrame:
    """The file's rows as the import's validated rows (row numbers from 2, after the header)."""
    return pd.DataFrame({
        "source_row": range(2, len(frame) + 2), "name": frame["name"], "email": frame["email"],
        "email_normalised": frame["email"].str.strip().str.lower(), "country_iso3": frame["country"],
        "sector": frame["sector"], "career_stage": frame["career_stage"],
        "interests": [s.split(";") for s in frame["interests"]],
        "languages": [s.split(";") for s in frame["languages"]],
        "timezone": frame["timezone"], "utc_offset_minutes": [offsets.get(z, 0) for z in frame["timezone"]],
        "organisation": None,
    })


def score(result: LinkResult, truth: list[int | None], seconds: float) -> dict[str, Any]:
    by_row = {row: t for row, t in zip(range(2, len(truth) + 2), truth, strict=True)}
    linked = result.person_for_row()
    reviewed = {r.row: [c.person_id for c in r.candidates] for r in result.review}
    returners = [row for row, t in by_row.items() if t is not None]
    correct = sum(1 for row, p in linked.items() if by_row[row] == p)
    wrong = len(linked) - correct
    offered = sum(1 for row in returners if row not in linked and by_row[row] in reviewed.get(row, []))
    missed = sum(1 for row in returners if row not in linked and row not in reviewed)
    return {
        "rows": len(truth), "returners": len(returners), "linked": len(linked),
        "wrong_links": wrong, "wrong_link_share": round(wrong / max(len(linked), 1), 4),
        "precision": round(correct / max(len(linked), 1), 4),
        "recall": round(correct / max(len(returners), 1), 4),
        "review": len(result.review), "review_share": round(len(result.review) / max(len(truth), 1), 4),
        "returners_offered_in_review": offered,
        "missed": missed, "missed_share": round(missed / max(len(returners), 1), 4),
        "new_people": result.new_people, "seconds": round(seconds, 2),
    }


def run(con: db.Connection, model: dict[str, Any], frame: pd.DataFrame, truth: list[int | None],
        offsets: dict[str, int]) -> dict[str, Any]:
    started = time.perf_counter()
    result = link_applications(con, as_applications(frame, offsets), model=model, round_id="2017B")
    return score(result, truth, time.perf_counter() - started)


def targets(figures: dict[str, Any], limit_seconds: float) -> dict[str, bool]:
    return {"wrong links <= 0.5%": figures["wrong_link_share"] <= 0.005,
            "returners linked >= 70%": figures["recall"] >= 0.70,
            "missed <= 3%": figures["missed_share"] <= 0.03,
            "review <= 20% of rows": figures["review_share"] <= 0.20,
            f"seconds <= {limit_seconds:g}": figures["seconds"] <= limit_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also 20,000 applications against 100,000 people")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "workbench.duckdb"
        build_database(path)
        con = db.connect(path, read_only=True)
        offsets = {str(z): int(o) for z, o in con.execute(
            "SELECT timezone, any_value(utc_offset_minutes) FROM applications GROUP BY 1").fetchall()}
        started = time.perf_counter()
        trained = train(con)
        out["training"] = {"seconds": round(time.perf_counter() - started, 2), "labelled_pairs": trained.labels,
                           "applications": trained.applications, "people": trained.people}
        known = known_people(con)
        frame, truth = identity_fixture(known)
        out["fixture"] = run(con, trained.model, frame, truth, offsets)
        frame, truth = returning_export(known)
        out["export_1200"] = run(con, trained.model, frame, truth, offsets)
        con.close()
    if args.large:
        out["large_20000_vs_100000"] = large(trained.model)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"training on the sample: {out['training']}")
    for key, limit in (("fixture", 10.0), ("export_1200", 10.0), ("large_20000_vs_100000", 120.0)):
        if key not in out:
            continue
        figures = out[key]
        print(f"\n{key}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
        met = targets(figures, limit)
        print("  targets: " + ", ".join(f"{k}: {'met' if ok else 'MISSED'}" for k, ok in met.items()))
    return 0


def large(model: dict[str, Any]) -> dict[str, Any]:
    """20,000 applications against 100,000 people: the sample's people and applications copied 19 times (each
    copy's surnames and addresses end in letters of its own, its libraries are its own, its answers are other
    people's, shuffled, and its areas of interest permuted, so copies are strangers to each other), and a fixture
    of 20,000 rows drawn from them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "workbench.duckdb"
        build_database(path)
        con = db.connect(path)
        offsets = {str(z): int(o) for z, o in con.execute(
            "SELECT timezone, any_value(utc_offset_minutes) FROM applications GROUP BY 1").fetchall()}
        con.execute("DROP TABLE IF EXISTS person_addresses")
        people = con.execute("SELECT * FROM people").df()
        apps = con.execute("SELECT * FROM applications").df()
        copies_p, copies_a = [people], [apps]
        for k in range(1, 19):
            p = people.copy()
            a = apps.copy()
            shift = k * 10_000
            p["person_id"] += shift
            a["person_id"] += shift
            a["application_id"] += shift
            suffix = "q" + chr(ord("a") + k)  # the surname and address of copy k end in its letters: Lopezqb
            p["name"] = p["name"] + suffix
            a["name"] = a["name"] + suffix
            p["email"] = p["email"].str.replace("@", f"{suffix}@", regex=False).str.replace(
                ".example.org", f".example{k}.org", regex=False)
            a["email"] = a["email"].str.replace("@", f"{suffix}@", regex=False).str.replace(
                ".example.org", f".example{k}.org", regex=False)
            answers = ["country_iso3", "sector", "career_stage", "interests", "languages", "timezone",
                       "utc_offset_minutes"]  # each copy's people answer as other people of the sample did
            rng = np.random.default_rng(k)
            a[answers] = a[answers].iloc[rng.permutation(len(a))].to_numpy()
            # and their areas of interest are other words (a permutation of the list), so that no copy repeats
            # another's answers word for word: five interests together nearly name a person in the sample
            terms = sorted({t for v in apps["interests"] for t in v})
            renamed = dict(zip(terms, rng.permutation(terms), strict=True))
            a["interests"] = [[renamed[t] for t in v] for v in a["interests"]]
            copies_p.append(p)
            copies_a.append(a)
        big_people = pd.concat(copies_p, ignore_index=True).head(100_000)
        big_apps = pd.concat(copies_a, ignore_index=True)
        big_apps = big_apps[big_apps["person_id"].isin(big_people["person_id"])]
        con.execute("CREATE TEMP TABLE big_people AS SELECT * FROM big_people")
        con.execute("CREATE TEMP TABLE big_apps AS SELECT * FROM big_apps")
        con.execute("DELETE FROM people WHERE false")
        known = big_apps.merge(big_people[["person_id", "email"]].rename(columns={"email": "pemail"}), on="person_id")
        latest = known.sort_values("submitted_at").drop_duplicates("person_id", keep="last")
        latest = latest.assign(email=latest["pemail"])
        frame, truth = identity_fixture(latest, rows=20_000, seed=7)
        started = time.perf_counter()
        result = _link_against(con, model, frame, offsets, big_people, big_apps)
        figures = score(result, truth, time.perf_counter() - started)
        figures["people"] = len(big_people)
        con.close()
    return figures


def _link_against(con: db.Connection, model: dict[str, Any], frame: pd.DataFrame, offsets: dict[str, int],
                  people: pd.DataFrame, apps: pd.DataFrame) -> LinkResult:
    """Link ``frame`` against a database holding ``people`` and ``apps`` (loaded into a scratch copy)."""
    con.execute("CREATE OR REPLACE TEMP TABLE people AS SELECT * FROM big_people")
    con.execute("CREATE OR REPLACE TEMP TABLE applications AS SELECT * FROM big_apps")
    return link_applications(con, as_applications(frame, offsets), model=model, round_id="2017B")


if __name__ == "__main__":
    sys.exit(main())
