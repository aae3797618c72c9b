"""Follow-up and outcome views and reports against the sample program's known shares."""

from __future__ import annotations

import pytest

from workbench import accounts, db, reports
from workbench.access import User


def test_topic_use_rises_from_about_half_to_about_ninety_percent(con: db.Connection) -> None:
    use = reports.topic_use_by_round(con)
    shares = list(use["share_used_topics"])
    assert len(shares) == 8
    assert 0.45 <= shares[0] <= 0.55 and 0.85 <= shares[-1] <= 0.95
    assert shares == sorted(shares)
    assert (use["share_partnerships_with_topics"] > 0.9).all()


def test_topic_discussion_shares_of_pairs_and_respondents(con: db.Connection) -> None:
    t = reports.topic_discussion(con, round_id="2016A")
    assert len(t) == 9 and t["title"].iloc[0] == "Getting to know you"
    assert (t["partnerships"] == 580).all()
    assert (t["share_of_partnerships"] == (t["partnerships_discussed"] / t["partnerships"]).round(4)).all()
    assert t["share_of_partnerships"].between(0.3, 1).all()
    assert t["share_of_respondents"].between(0.1, 1).all()
    # Uptake grows: the pilot's first topic reached fewer pairs than 2016A's.
    pilot = reports.topic_discussion(con, round_id="Pilot")
    assert pilot["share_of_partnerships"].mean() < t["share_of_partnerships"].mean()


def test_email_above_95_percent_every_round_and_overall(con: db.Connection) -> None:
    methods = reports.communication_methods(con)
    email = methods[methods["method"] == "email"]
    assert len(email) == 8 and (email["share_of_partnerships"] > 0.95).all()
    across = reports.communication_across_rounds(con).set_index("method")["share_of_partnerships"]
    assert across["email"] > 0.95 > across["video call"] > across["chat"] > across["phone"]


def test_communication_by_timezone_video_calls_fall_with_distance(con: db.Connection) -> None:
    whole = reports.communication_by_timezone(con)
    assert list(whole["distance_band"].unique()) == ["0–3 h", "3½–7½ h", "8–12 h"]
    share = whole.pivot(index="method", columns="band_seq", values="share_of_partnerships")
    assert (share.loc["email"] > 0.95).all()
    assert share.loc["video call", 1] > share.loc["video call", 2] > share.loc["video call", 3]
    # Every reporting partnership of the round falls in exactly one band.
    one = reports.communication_by_timezone(con, round_id="2016A")
    reporting = one.drop_duplicates("band_seq")["partnerships_reporting"].sum()
    (expected,) = con.execute("SELECT partnerships_reporting FROM communication_methods "
                              "WHERE round_id = '2016A' AND method = 'email'").fetchone()  # type: ignore[misc]
    assert reporting == expected


def test_satisfaction_of_returners_and_newcomers(con: db.Connection) -> None:
    by_round = reports.satisfaction_by_returning(con)
    assert set(by_round["participant_group"]) == {"new", "returning"}
    pilot = by_round[by_round["round_id"] == "Pilot"]
    assert (pilot["participant_group"] == "new").all()  # nobody returns to the first round
    totals = by_round.groupby("round_id")["respondents"].sum()
    overall = reports.satisfaction_by_round(con).set_index("round_id")["respondents"]
    assert (totals == overall.loc[totals.index]).all()
    big = by_round[by_round["respondents"] >= 100]
    assert big["program_satisfied_share"].between(0.78, 0.92).all()
    assert (big["program_share_low"] < big["program_satisfied_share"]).all()
    assert (big["program_satisfied_share"] < big["program_share_high"]).all()
    groups = reports.satisfaction_returning_overall(con).set_index("participant_group")
    assert groups["respondents"].sum() == overall.sum()
    for group in ("new", "returning"):
        assert 0.8 <= groups.loc[group, "program_satisfied_share"] <= 0.9
        assert groups.loc[group, "program_share_low"] < groups.loc[group, "program_share_high"]


def test_wilson_interval_matches_the_view(con: db.Connection) -> None:
    row = reports.satisfaction_by_round(con).iloc[0]
    (satisfied,) = con.execute("SELECT count(*) FROM surveys WHERE round_id = ? AND program_satisfaction >= 4",
                               [row["round_id"]]).fetchone()  # type: ignore[misc]
    low, high = con.execute("SELECT wilson_low(?, ?), wilson_high(?, ?)",
                            [satisfied, int(row["respondents"]), satisfied, int(row["respondents"])]).fetchone()  # type: ignore[misc]
    assert low == pytest.approx(row["program_share_low"], abs=1e-4)
    assert high == pytest.approx(row["program_share_high"], abs=1e-4)
    assert con.execute("SELECT wilson_low(0, 0), wilson_high(0, 0)").fetchone() == (None, None)


def test_retention_agrees_with_returning_participants(con: db.Connection) -> None:
    retention = reports.retention(con)
    returning = reports.returning_participants(con).set_index("round_id")
    # Of the pilot's participants, those back in 2013B are all returning participants of 2013B.
    pilot_back = retention[(retention["from_round_id"] == "Pilot") & (retention["to_round_id"] == "2013B")].iloc[0]
    assert pilot_back["cohort"] == 92
    assert pilot_back["took_part"] == returning.loc["2013B", "returning_participants"]
    # Nobody comes back to a round more often than that round has returners.
    for to_round, group in retention.groupby("to_round_id"):
        assert (group["took_part"] <= returning.loc[to_round, "returning_participants"]).all()
    assert (retention["took_part"] <= retention["applied"]).all()
    matrix = reports.retention_matrix(con)
    assert matrix.index[0] == "Pilot (2013)" and "2017A" not in matrix.columns
    assert 0 < matrix.loc["2016A", "2016B"] < 0.2
    assert "2017A" in reports.retention_matrix(con, measure="applied_share").columns


def test_impact_overall_close_to_rethinking_mentoring(con: db.Connection) -> None:
    overall = reports.impact_overall(con)
    assert len(overall) == 7
    assert ((overall["share"] - overall["published_share"]).abs() < 0.02).all()
    per_round = reports.impact_by_round(con)
    assert set(per_round["round_label"]) >= {"Pilot (2013)", "2016B"}


def test_outcomes_glance(con: db.Connection) -> None:
    g = reports.outcomes_glance(con)
    assert g.rounds == 8 and g.respondents == 3049
    assert g.program_satisfied_share is not None and 0.8 < g.program_satisfied_share < 0.9
    assert g.next_round_return_share is not None and 0.05 < g.next_round_return_share < 0.3
    assert g.awaiting_coding == 58


def test_health_summary_and_queue_of_2016B(con: db.Connection, users: dict[str, User]) -> None:
    s = reports.health_summary(con, "2016B")
    assert s.partnerships == 424 and s.flagged == 26 and s.open_cases == 11 and s.contacted_cases == 5
    assert s.flagged_share is not None and 0.02 < s.flagged_share < 0.15
    assert s.flagged_without_case == 1
    director = users["director"]
    queue = reports.intervention_queue(con, by=director, round_id="2016B")
    assert len(queue) == 11 and set(queue["status"]) == {"open", "contacted"}
    assert list(queue["status"][:6]) == ["open"] * 6  # open cases first
    closed = reports.intervention_queue(con, by=director, round_id="2016B", statuses=["resolved", "ended"])
    assert len(closed) == 14 and closed["closed_on"].notna().all()
    everything = reports.intervention_queue(con, by=director, statuses=None)
    assert len(everything) == 168


def test_a_country_coordinator_sees_their_countries_only(con: db.Connection) -> None:
    east_africa = ["KEN", "UGA", "TZA", "RWA"]
    dmensah = accounts.get_user(con, "dmensah")
    assert dmensah is not None and list(dmensah.countries) == east_africa
    queue = reports.intervention_queue(con, by=dmensah, round_id="2016B")
    assert 0 < len(queue) < 11
    assert all(set(c) & set(east_africa) for c in queue["countries"])
    s = reports.health_summary(con, "2016B", countries=east_africa)
    assert s.open_cases == len(queue) and s.partnerships < 424
    health = reports.partnership_health(con, "2016B", by=dmensah, flagged_only=True)
    assert len(health) == s.flagged and health["reasons"].str.len().gt(0).all()
