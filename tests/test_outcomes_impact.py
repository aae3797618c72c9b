"""Impact coding: keyword suggestions, confirming codes, shares per category."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import accounts, db, reports
from workbench.access import User
from workbench.errors import NotFound, StaleEdit
from workbench.followup import impact
from workbench.reports.outcomes import cleared_quotes


@pytest.mark.parametrize(("text", "codes"), [
    ("I now see my work in an international context.", ["international"]),
    ("I started building an international network.", ["networking"]),
    ("My English improved and I feel more confident presenting.", ["confidence", "skill"]),
    ("I made lasting friendships with colleagues overseas.", ["networking"]),
    ("We compared how libraries work in other countries and cultures.", ["international"]),
    ("It gave me ideas for our makerspace. It broadened my view of the profession.", ["awareness", "ideas"]),
    ("Professional development I could not otherwise afford.", ["development"]),
    ("Too early to say.", []),
    ("", []),
    (None, []),
])
def test_keyword_suggestions(text: str | None, codes: list[str]) -> None:
    suggestion = impact.suggest(text)
    assert list(suggestion.codes) == codes
    for code in codes:
        assert suggestion.evidence[code] and suggestion.labels[code].lower() in suggestion.explain()


def test_suggestions_agree_with_the_coordinators_codes(con: db.Connection) -> None:
    agreement = impact.agreement(con).set_index("code")
    assert agreement.loc["all", "coded"] > 2000
    assert agreement.loc["all", "precision"] > 0.9  # exact agreement on the sample's answers
    assert (agreement.drop("all")["recall"] > 0.9).all()


def test_awaiting_answers_come_with_suggestions(con: db.Connection, users: dict[str, User]) -> None:
    waiting = reports.impact_answers(con, "2016B", by=users["coordinator"])
    assert len(waiting) == 58 and not waiting["codes_confirmed"].any() and not waiting["is_cleared"].any()
    assert waiting["suggested_codes"].map(len).gt(0).mean() > 0.5
    coded = reports.impact_answers(con, "2016B", by=users["coordinator"], which="coded", search="NETWORK")
    assert len(coded) > 0 and coded["impact_text"].str.lower().str.contains("network").all()
    progress = reports.coding_progress(con, "2016B")
    assert progress.awaiting == 58 and progress.confirmed + progress.awaiting == progress.answers
    assert progress.cleared == 0  # nothing is cleared for public use until a coordinator says so


def test_confirming_codes_is_versioned_and_counts_in_the_shares(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    by = users["director"]
    other = accounts.get_user(con, "praman")
    waiting = reports.impact_answers(con, "2016B", by=by)
    before = reports.impact_by_round(con)
    coded_before = int(before[before["round_id"] == "2016B"]["coded_respondents"].iloc[0])
    first = waiting.iloc[0]
    new_version = impact.confirm_codes(con, int(first["survey_id"]), int(first["version"]),
                                       ["networking", "international", "networking"], by=by)
    assert new_version == int(first["version"]) + 1
    assert con.execute("SELECT impact_codes, codes_confirmed FROM surveys WHERE survey_id = ?",
                       [int(first["survey_id"])]).fetchone() == (["international", "networking"], True)
    with pytest.raises(StaleEdit):
        impact.confirm_codes(con, int(first["survey_id"]), int(first["version"]), ["ideas"], by=other)
    with pytest.raises(impact.CodingError, match="not an impact category"):
        impact.confirm_codes(con, int(first["survey_id"]), new_version, ["happiness"], by=by)
    rest = waiting.iloc[1:]
    stale = [(int(rest.iloc[0]["survey_id"]), 99, [])]
    with pytest.raises(StaleEdit):  # one stale answer: none of the batch is saved
        impact.confirm_many(con, [*((int(r.survey_id), int(r.version), r.suggested_codes)
                                    for r in rest.iloc[1:].itertuples()), *stale], by=by)
    assert reports.coding_progress(con, "2016B").awaiting == 57
    n = impact.confirm_many(con, zip(rest["survey_id"], rest["version"], rest["suggested_codes"], strict=True),
                            by=users["coordinator"])
    assert n == 57 and reports.coding_progress(con, "2016B").awaiting == 0
    after = reports.impact_by_round(con)
    assert int(after[after["round_id"] == "2016B"]["coded_respondents"].iloc[0]) == coded_before + 58
    assert (after[after["round_id"] == "2016B"]["awaiting_coding"] == 0).all()
    logged = con.execute("SELECT actor, count(*) FROM audit_log WHERE action = 'code impact answer' "
                         "GROUP BY actor ORDER BY actor").fetchall()
    assert logged == [("amorgan", 1), ("tortega", 57)]
    con.close()


def test_only_cleared_answers_are_quoted(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    by = users["coordinator"]
    assert cleared_quotes(con).empty
    answers = reports.impact_answers(con, "2016B", by=by, which="coded", limit=3)
    first, second, third = (answers.iloc[i] for i in range(3))
    v1 = impact.set_cleared(con, int(first["survey_id"]), int(first["version"]), True, by=by)
    assert v1 == int(first["version"]) + 1
    impact.set_cleared(con, int(second["survey_id"]), int(second["version"]), True, by=by)
    with pytest.raises(StaleEdit):  # someone changed the answer since it was loaded
        impact.set_cleared(con, int(first["survey_id"]), int(first["version"]), False, by=by)
    assert impact.set_cleared(con, int(first["survey_id"]), v1, True, by=by) == v1  # nothing to change
    quotes = cleared_quotes(con)
    assert sorted(quotes["impact_text"]) == sorted([first["impact_text"], second["impact_text"]])
    assert third["impact_text"] not in set(quotes["impact_text"])
    assert list(quotes.columns) == ["round_id", "round_label", "country_iso3", "country", "impact_text",
                                    "impact_codes", "labels"]  # nothing that names the person
    assert set(quotes["round_id"]) == {"2016B"} and set(quotes["country_iso3"]) == {
        first["country_iso3"], second["country_iso3"]}
    assert cleared_quotes(con, round_id="2016A").empty
    assert reports.coding_progress(con, "2016B").cleared == 2
    # Withdrawing the clearance takes the answer out of every public quote.
    impact.set_cleared(con, int(second["survey_id"]), int(second["version"]) + 1, False, by=by)
    assert list(cleared_quotes(con)["impact_text"]) == [first["impact_text"]]
    logged = con.execute("SELECT action, actor, before, after FROM audit_log WHERE entity = 'surveys' "
                         "ORDER BY audit_id").fetchall()
    assert [(a, who) for a, who, _, _ in logged] == [
        ("clear answer for public use", "tortega"), ("clear answer for public use", "tortega"),
        ("withdraw public clearance", "tortega")]
    assert '"is_cleared": false' in logged[0][2] and '"is_cleared": true' in logged[0][3]
    con.close()


def test_an_answer_without_text_cannot_be_cleared(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    (survey_id, version) = con.execute("SELECT survey_id, version FROM surveys WHERE impact_text IS NULL "
                                       "ORDER BY survey_id LIMIT 1").fetchone()  # type: ignore[misc]
    with pytest.raises(impact.CodingError, match="no text to quote"):
        impact.set_cleared(con, survey_id, version, True, by=users["director"])
    with pytest.raises(NotFound, match="no survey answer 999999"):
        impact.set_cleared(con, 999999, 1, True, by=users["director"])
    con.close()
