"""The analyst views and data checks on the sample database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench import db

ROOT = Path(__file__).resolve().parents[1]
VIEWS = [v.name for v in db.view_files(ROOT / "queries")]
CHECKS = [c.name for c in db.view_files(ROOT / "queries", checks=True)]

# domain.md, "Rounds and sizes" (figure 29.1), plus 2016B (about 850) and 2017A (not matched yet).
DOMAIN_TABLE = {
    "Pilot": (92, 18), "2013B": (391, 39), "2014A": (764, 76), "2014B": (630, 73), "2015A": (820, 79),
    "2015B": (862, 85), "2016A": (1162, 95), "2016B": (850, 97), "2017A": (0, 0),
}


def test_the_views_promised_by_the_foundation_exist() -> None:
    promised = {"round_summary", "applicants_by_country", "returning_participants", "topic_uptake",
                "communication_methods", "satisfaction_by_round", "impact_by_round", "partnership_health",
                "country_flows", "match_quality"}
    assert promised <= set(VIEWS)


@pytest.mark.parametrize("view", VIEWS)
def test_view_builds_and_returns_rows(con: db.Connection, view: str) -> None:
    rows = con.execute(f"SELECT count(*) FROM {view}").fetchone()
    assert rows is not None and rows[0] > 0


@pytest.mark.parametrize("view", VIEWS)
def test_view_has_its_description_as_comment(con: db.Connection, view: str) -> None:
    (comment,) = con.execute("SELECT comment FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()  # type: ignore[misc]
    description = next(v.description for v in db.view_files(ROOT / "queries") if v.name == view)
    assert comment == description and len(comment) > 30


@pytest.mark.parametrize("view", VIEWS)
def test_view_is_described_in_the_readme(view: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"^\| `{view}` \| .{{20,}}", readme, re.M), f"README lacks a line for view {view}"


@pytest.mark.parametrize("check", CHECKS)
def test_data_check_returns_no_rows(con: db.Connection, check: str) -> None:
    rows = db.run_checks(con, ROOT / "queries")[check]
    assert rows == [], f"{check} found {len(rows)} rows, e.g. {rows[:3]}"


def test_round_summary_reproduces_the_domain_table(con: db.Connection) -> None:
    got = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT round_id, participants, countries FROM round_summary ORDER BY seq").fetchall()}
    assert got == DOMAIN_TABLE
    (total,) = con.execute("SELECT sum(participants) FROM round_summary").fetchone()  # type: ignore[misc]
    assert total > 5500


def test_round_summary_shows_2017A_received_not_matched(con: db.Connection) -> None:
    row = con.execute("SELECT status, applications, accepted, waitlisted, participants, partnerships "
                      "FROM round_summary WHERE round_id = '2017A'").fetchone()
    assert row is not None
    status, applications, accepted, waitlisted, participants, partnerships = row
    assert status == "matching" and 1150 <= applications <= 1250
    assert participants == 0 and partnerships == 0
    assert waitlisted > 0 and accepted + waitlisted <= applications


def test_more_than_130_countries_overall(con: db.Connection) -> None:
    (n,) = con.execute("SELECT count(DISTINCT country_iso3) FROM participants").fetchone()  # type: ignore[misc]
    assert n > 130


def test_no_country_above_a_fifth_of_a_round(con: db.Connection) -> None:
    (worst,) = con.execute(
        "SELECT max(share_of_round) FROM applicants_by_country WHERE round_id <> '2017A'").fetchone()  # type: ignore[misc]
    assert worst <= 0.2
    (worst_participants,) = con.execute("""
        SELECT max(n / total) FROM (
            SELECT count(*) AS n, sum(count(*)) OVER (PARTITION BY round_id) AS total
            FROM participants GROUP BY round_id, country_iso3)""").fetchone()  # type: ignore[misc]
    assert worst_participants <= 0.2


def test_returners_are_at_least_15_percent_after_the_pilot(con: db.Connection) -> None:
    rows = con.execute("SELECT round_id, returning_applicant_share, returning_share "
                       "FROM returning_participants WHERE seq > 1").fetchall()
    for round_id, applicant_share, participant_share in rows:
        assert applicant_share >= 0.15, round_id
        if participant_share is not None:
            assert participant_share >= 0.15, round_id


def test_satisfaction_between_80_and_90_percent_every_round(con: db.Connection) -> None:
    rows = con.execute("SELECT round_id, program_satisfied_share, partner_satisfied_share, respondents, "
                       "program_share_low, program_share_high FROM satisfaction_by_round").fetchall()
    assert len(rows) == 8
    for round_id, program, partner, respondents, low, high in rows:
        assert 0.8 <= program <= 0.9, round_id
        assert 0.79 <= partner <= 0.9, round_id
        assert respondents >= 50 and low < program < high


def test_topic_use_rises_from_about_half_to_about_ninety_percent(con: db.Connection) -> None:
    shares = [r[0] for r in con.execute(
        "SELECT DISTINCT round_seq, share_used_topics FROM topic_uptake WHERE respondents > 0 ORDER BY round_seq"
    ).fetchall() for r in [r[1:]]]
    assert 0.45 <= shares[0] <= 0.55 and 0.85 <= shares[-1] <= 0.95
    assert shares == sorted(shares)


def test_2016A_had_nine_topics_starting_with_getting_to_know_you(con: db.Connection) -> None:
    titles = [r[0] for r in con.execute(
        "SELECT title FROM topic_uptake WHERE round_id = '2016A' ORDER BY topic_seq").fetchall()]
    assert len(titles) == 9 and titles[0] == "Getting to know you"


def test_email_dominates_communication(con: db.Connection) -> None:
    rows = con.execute(
        "SELECT method, avg(share_of_partnerships) FROM communication_methods GROUP BY method").fetchall()
    share = dict(rows)
    assert share["email"] > 0.95
    assert share["email"] > share["video call"] > share["phone"]
    assert share["social media"] < 0.5


def test_impact_shares_close_to_rethinking_mentoring(con: db.Connection) -> None:
    from workbench.sample.vocabularies import IMPACT_SHARES

    rows = con.execute(
        "SELECT code, sum(respondents) / sum(coded_respondents) FROM impact_by_round GROUP BY code").fetchall()
    for code, share in rows:
        assert abs(share - IMPACT_SHARES[code]) < 0.02, code


def test_some_partnerships_falter_and_get_interventions(con: db.Connection) -> None:
    flagged, total, open_cases = con.execute(
        "SELECT count(*) FILTER (WHERE is_flagged), count(*), sum(open_interventions) FROM partnership_health"
    ).fetchone()  # type: ignore[misc]
    assert 0.02 < flagged / total < 0.15
    assert open_cases > 0


def test_country_flows_count_each_partnership_pair(con: db.Connection) -> None:
    (flows,) = con.execute("SELECT sum(partnerships) FROM country_flows WHERE round_id = '2016A'").fetchone()  # type: ignore[misc]
    pairs, trios = con.execute(
        "SELECT count(*) FILTER (WHERE kind = 'pair'), count(*) FILTER (WHERE kind = 'trio') "
        "FROM partnerships WHERE round_id = '2016A'").fetchone()  # type: ignore[misc]
    assert flows == pairs + 3 * trios


def test_match_quality_of_historical_runs(con: db.Connection) -> None:
    rows = con.execute(
        "SELECT round_id, matched, pairs, trios, share_sharing_interest, countries FROM match_quality").fetchall()
    assert len(rows) == 8
    for round_id, matched, pairs, trios, share, countries in rows:
        assert matched == 2 * pairs + 3 * trios, round_id
        assert 0.3 < share <= 1
        assert countries > 10
