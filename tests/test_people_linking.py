"""Recognising people across rounds (issue 18): the bands, the namesake rule, competing candidates, the
reasons, the stored model, the import's --link options and the fixture's precision on a slice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from workbench import cli, db
from workbench.access import command_line_user
from workbench.people import Candidate, Linked, Review, decide, link_applications
from workbench.people.comparisons import BLOCKING, known_people, name_key, name_short, settings_dict
from workbench.people.training import sample_model, save_model, stored_model, train_and_store
from workbench.program.settings import get_setting, setting_version
from workbench.sample.identity_fixture import identity_fixture, to_csv_bytes


@pytest.fixture(scope="module")
def known(con: db.Connection) -> pd.DataFrame:
    return known_people(con)


@pytest.fixture(scope="module")
def offsets(con: db.Connection) -> dict[str, int]:
    return {str(z): int(o) for z, o in con.execute(
        "SELECT timezone, any_value(utc_offset_minutes) FROM applications GROUP BY 1").fetchall()}


@pytest.fixture(scope="module")
def fixture_rows(known: pd.DataFrame) -> tuple[pd.DataFrame, list[int | None]]:
    frame, truth = identity_fixture(known, rows=200, seed=2018)
    return frame, truth


def as_applications(frame: pd.DataFrame, offsets: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({
        "source_row": range(2, len(frame) + 2), "name": frame["name"], "email": frame["email"],
        "email_normalised": frame["email"].str.strip().str.lower(), "country_iso3": frame["country"],
        "sector": frame["sector"], "career_stage": frame["career_stage"],
        "interests": [s.split(";") for s in frame["interests"]],
        "languages": [s.split(";") for s in frame["languages"]], "timezone": frame["timezone"],
        "utc_offset_minutes": [offsets.get(z, 0) for z in frame["timezone"]], "organisation": None,
    })


@pytest.fixture(scope="module")
def linked_slice(con: db.Connection, fixture_rows: tuple[pd.DataFrame, list[int | None]],
                 offsets: dict[str, int]) -> Any:
    frame, _ = fixture_rows
    return link_applications(con, as_applications(frame, offsets), round_id="2017B")


def candidate(person: int, p: float, **weights: float) -> Candidate:
    weights = weights or {"name": 9.0, "email domain": 8.0, "interests": 5.0}
    return Candidate(person, "Ana López", "ESP", p, [k for k, w in weights.items() if w > 0],
                     [k for k, w in weights.items() if w < 0], dict(weights))


def test_the_three_bands_and_the_rules_on_top() -> None:
    high, low = 0.9, 0.05
    assert decide(2, "a@x.org", [candidate(7, 0.97)], high=high, low=low) == Linked(2, "a@x.org", 7, 0.97)
    between = decide(3, "a@x.org", [candidate(7, 0.5)], high=high, low=low)
    assert isinstance(between, Review) and between.why == "between the thresholds"
    assert decide(4, "a@x.org", [candidate(7, 0.04)], high=high, low=low) is None  # a new person
    two = decide(5, "a@x.org", [candidate(7, 0.93), candidate(8, 0.06)], high=high, low=low)
    assert isinstance(two, Review) and [c.person_id for c in two.candidates] == [7, 8]
    assert two.why == "two plausible candidates"
    # A namesake in the same country: name, the address written from it and the place, nothing else that speaks
    # for them (sector, career stage, interests against): never linked, however probable.
    namesake = candidate(9, 0.999, name=9.0, email=8.0, country=4.0, **{"time zone": 5.0, "sector": -5.4,
                                                                       "interests": -2.5})
    alone = decide(6, "a@x.org", [namesake], high=high, low=low)
    assert isinstance(alone, Review) and alone.why == "agrees on the name alone"
    # sector and career stage agreeing by chance (two shared interests say nothing) are not enough either
    chance = candidate(9, 0.999, name=9.0, email=8.0, country=4.0, sector=2.6, **{"career stage": 1.6,
                                                                                 "interests": -0.6})
    assert isinstance(decide(7, "a@x.org", [chance], high=high, low=low), Review)
    kept = candidate(9, 0.999, name=9.0, email=8.0, country=4.0, sector=2.6, interests=8.3)
    assert decide(8, "a@x.org", [kept], high=high, low=low) == Linked(8, "a@x.org", 9, 0.999)


def test_names_written_another_way_share_their_keys() -> None:
    assert name_key("José  GARCÍA-López") == name_key("lopez garcia jose") == "garcia jose lopez"
    assert name_short("Ana María López") == name_short("López, A. M.") == name_short("A. M. Lopez") == "lopez a m"
    assert {b.split(" AND ")[0] for b in BLOCKING} >= {"l.name_key = r.name_key", "l.email_local = r.email_local",
                                                        "l.name_short = r.name_short"}


def test_every_candidate_has_its_reasons(linked_slice: Any) -> None:
    reviewed = [c for r in linked_slice.review for c in r.candidates]
    assert reviewed
    for c in reviewed:
        assert set(c.agree) == {f for f, w in c.weights.items() if w > 0}
        assert set(c.differ) == {f for f, w in c.weights.items() if w < 0}
        assert 0 < c.probability < 1
    fields = {f for c in reviewed for f in c.weights}
    assert {"name", "email domain", "country", "sector", "career stage", "interests", "languages"} <= fields
    shaped = linked_slice.to_json()
    assert set(shaped) == {"linked", "review", "new_people"}
    assert set(shaped["linked"][0]) == {"row", "email", "person_id", "probability"}
    assert set(shaped["review"][0]) == {"row", "email", "candidates"}
    first = shaped["review"][0]["candidates"][0]
    assert {"person_id", "name", "country", "probability", "agree", "differ"} <= set(first)


def test_fixture_slice_within_the_targets(linked_slice: Any, fixture_rows: tuple[pd.DataFrame, list[int | None]]
                                          ) -> None:
    _, truth = fixture_rows
    by_row = dict(zip(range(2, len(truth) + 2), truth, strict=True))
    links = linked_slice.person_for_row()
    reviewed = {r.row for r in linked_slice.review}
    returners = [row for row, t in by_row.items() if t is not None]
    wrong = [row for row, p in links.items() if by_row[row] != p]
    missed = [row for row in returners if row not in links and row not in reviewed]
    assert len(truth) == 200 and len(returners) == 120
    assert wrong == []  # at most 0.5% wrong links: none in 200 rows
    assert sum(1 for row in returners if links.get(row) == by_row[row]) >= 0.7 * len(returners)
    assert len(missed) <= 0.03 * len(returners)
    assert len(linked_slice.review) <= 0.2 * len(truth)
    assert linked_slice.new_people + len(links) + len(reviewed) == len(truth)


def test_the_model_is_stored_reused_and_retrained(writable_db: Path, con: db.Connection) -> None:
    """Until a program trains its own, the model trained on the sample is used; `people train` trains it on the
    program's rounds (the sample's: the same seed, the same data, the same model) and stores it, a versioned and
    audited setting, which the next link uses."""
    shipped = sample_model()
    model, version = stored_model(con)
    assert version is None and model == shipped
    assert [lv["sql_condition"] for c in settings_dict()["comparisons"] for lv in c["comparison_levels"]] == \
        [lv["sql_condition"] for c in shipped["comparisons"] for lv in c["comparison_levels"]], \
        "workbench/people/sample_model.json is older than the comparisons: `workbench people train --out` it again"
    live = db.connect(writable_db)
    try:
        trained = train_and_store(live, by=command_line_user())
        assert trained.labels == 2390 and trained.people == 5378
        assert setting_version(live, "link_model") == 1
        assert get_setting(live, "link_model")["comparisons"] == shipped["comparisons"]
        assert live.execute("SELECT count(*) FROM audit_log WHERE action = 'change setting' "
                            "AND entity_id = 'link_model'").fetchone()[0] == 1
        changed = json.loads(json.dumps(trained.model))
        changed["comparisons"][0]["comparison_levels"][1]["m_probability"] = 0.5
        assert save_model(live, changed, by=command_line_user()) == 2
        assert stored_model(live) == (changed, 2)
        frame = pd.DataFrame([{"source_row": 2, "name": "Nobody Known", "email": "nobody@example.net",
                               "email_normalised": "nobody@example.net", "country_iso3": "FRA",
                               "sector": "public", "career_stage": "mid", "interests": ["Social media"],
                               "languages": ["French"], "timezone": "Europe/Paris", "utc_offset_minutes": 60}])
        assert link_applications(live, frame, round_id="2017B").model_id == 2  # the stored one, reused
    finally:
        live.close()


@pytest.fixture(scope="module")
def import_file(tmp_path_factory: pytest.TempPathFactory, known: pd.DataFrame) -> Path:
    frame, _ = identity_fixture(known, rows=40, seed=77)
    path = tmp_path_factory.mktemp("identity") / "returners.csv"
    path.write_bytes(to_csv_bytes(frame))
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = cli.main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_import_json_with_link_none_and_an_answer(sample_db_path: Path, tmp_path: Path, import_file: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "workbench.duckdb"
    shutil.copy(sample_db_path, target)
    base = ["import", "applications", str(import_file), "--round", "2017B", "--db", str(target), "--json"]
    nobody = run([*base, "--dry-run", "--link", "none"], capsys)
    assert nobody["linked"] == [] and nobody["new_people"] == nobody["imported"] == 40
    sure = run([*base, "--dry-run"], capsys)
    assert sure["linked"] and all(x["probability"] >= 0.9 for x in sure["linked"])
    assert sure["new_people"] == 40 - len(sure["linked"])
    assert sure["review"], "the slice has rows to review"
    question = sure["review"][0]
    answer = question["candidates"][0]["person_id"]
    done = run([*base, "--link", f"{question['row']}={answer}"], capsys)
    assert {"row": question["row"], "email": question["email"], "person_id": answer, "probability": 1.0} \
        in done["linked"]
    assert question["row"] not in {r["row"] for r in done["review"]}
    assert len(done["linked"]) == len(sure["linked"]) + 1 and done["returning"] == len(done["linked"])
    assert done["rejected"] == [] and done["imported"] == 40  # no answer ever rejects a row
    assert done["new_people"] == 40 - len(done["linked"])
    live = db.connect(target, read_only=True)
    try:  # the answered application's address is the person's now, the latest: messages go there
        assert live.execute("SELECT person_id FROM person_addresses WHERE email = ?",
                            [question["email"].lower()]).fetchone() == (answer,)
    finally:
        live.close()


def test_one_person_twice_in_a_file_keeps_the_latest(con: db.Connection, known: pd.DataFrame,
                                                     users: dict[str, Any]) -> None:
    """A returner who sent the form twice from two new addresses is one person in the round: the later
    submission is imported, the earlier reported as resubmitted, no row rejected."""
    from workbench.applications import import_applications

    unique = known[~known["name"].duplicated(keep=False)].sort_values("person_id").iloc[0]
    local = str(unique["email"]).partition("@")[0]
    rows = []
    for hour, domain in ((9, "lib98.zz.example.org"), (15, "lib99.zz.example.org")):
        rows.append({"submitted_at": f"2017-08-02 {hour:02d}:00:00", "name": unique["name"],
                     "email": f"{local}@{domain}", "country": unique["country_iso3"], "sector": unique["sector"],
                     "career_stage": unique["career_stage"], "interests": ";".join(unique["interests"]),
                     "languages": ";".join(unique["languages"]), "timezone": unique["timezone"]})
    report = import_applications(con, to_csv_bytes(pd.DataFrame(rows)), "twice.csv", "2017B",
                                 by=users["coordinator"], dry_run=True)
    assert report.rejected == [] and report.imported == 1 and report.returning == 1
    assert [(r.row, r.value) for r in report.resubmitted] == [(2, f"{local}@lib98.zz.example.org")]
    assert report.people_links is not None
    assert [(x.row, x.person_id) for x in report.people_links.linked] == [(3, int(unique["person_id"]))]
