"""The sample program generator: deterministic, and faithful to domain.md."""

from __future__ import annotations

import filecmp
from pathlib import Path

from workbench import db
from workbench.sample import generate

ROOT = Path(__file__).resolve().parents[1]


def test_generator_is_deterministic_and_matches_the_committed_csvs(tmp_path: Path) -> None:
    counts = generate(tmp_path)
    committed = sorted(p.name for p in (ROOT / "sample_data").glob("*.csv"))
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == committed
    _, mismatch, errors = filecmp.cmpfiles(ROOT / "sample_data", tmp_path, committed, shallow=False)
    assert mismatch == [] and errors == [], "sample_data/ is stale: run `workbench generate`"
    assert counts["applications"] > 7000


def test_a_different_seed_gives_a_different_program(tmp_path: Path) -> None:
    generate(tmp_path, seed=7)
    assert not filecmp.cmp(ROOT / "sample_data" / "applications.csv", tmp_path / "applications.csv", shallow=False)


def test_veterans_took_part_four_times_each_with_a_new_partner_country(con: db.Connection) -> None:
    rows = con.execute("""
        WITH partner_countries AS (
            SELECT a.person_id, a.round_id, b.country_iso3 AS partner_country
            FROM participants AS a JOIN participants AS b
              ON a.partnership_id = b.partnership_id AND a.person_id <> b.person_id
            WHERE a.kind = 'pair'
        )
        SELECT person_id, count(DISTINCT round_id) AS rounds, count(DISTINCT partner_country) AS countries
        FROM partner_countries GROUP BY person_id HAVING count(DISTINCT round_id) >= 4
    """).fetchall()
    assert len(rows) >= 10
    varied = [r for r in rows if r[1] == r[2]]
    assert len(varied) >= 10


def test_applications_have_three_to_six_interests_and_about_half_state_no_wish(con: db.Connection) -> None:
    lo, hi, no_wish = con.execute("""
        SELECT min(len(interests)), max(len(interests)),
            avg((partner_sector IS NULL AND partner_stage IS NULL AND len(partner_interests) = 0)::INTEGER)
        FROM applications""").fetchone()  # type: ignore[misc]
    assert (lo, hi) == (3, 6)
    assert 0.45 <= no_wish <= 0.55
    (n_interests,) = con.execute("SELECT count(DISTINCT i) FROM applications, unnest(interests) AS u(i)").fetchone()  # type: ignore[misc]
    assert 20 <= n_interests <= 30


def test_returners_are_one_person_across_rounds(con: db.Connection) -> None:
    (variants,) = con.execute("""
        SELECT count(*) FROM applications AS a JOIN people AS p USING (person_id)
        WHERE a.email <> p.email AND lower(trim(a.email)) = p.email""").fetchone()  # type: ignore[misc]
    assert variants > 0  # some typed their email differently, still one person
    (mismatched,) = con.execute("""
        SELECT count(*) FROM applications AS a JOIN people AS p USING (person_id)
        WHERE lower(trim(a.email)) <> p.email""").fetchone()  # type: ignore[misc]
    assert mismatched == 0


def test_a_few_trios_and_no_one_unplaced_twice(con: db.Connection) -> None:
    (trios,) = con.execute("SELECT sum(trios) FROM round_summary").fetchone()  # type: ignore[misc]
    assert 5 <= trios <= 20
