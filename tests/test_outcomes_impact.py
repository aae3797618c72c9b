"""Impact coding: keyword suggestions, confirming codes, shares per category."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench import db, reports
from workbench.errors import StaleEdit
from workbench.followup import impact


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
        assert suggestion.evidence[code] and impact.LABELS[code].lower() in suggestion.explain()


def test_suggestions_agree_with_the_coordinators_codes(con: db.Connection) -> None:
    agreement = impact.agreement(con).set_index("code")
    assert agreement.loc["all", "coded"] > 2000
    assert agreement.loc["all", "precision"] > 0.9  # exact agreement on the sample's answers
    assert (agreement.drop("all")["recall"] > 0.9).all()


def test_awaiting_answers_come_with_suggestions(con: db.Connection) -> None:
    waiting = reports.impact_answers(con, "2016B")
    assert len(waiting) == 58 and not waiting["codes_confirmed"].any()
    assert waiting["suggested_codes"].map(len).gt(0).mean() > 0.5
    coded = reports.impact_answers(con, "2016B", which="coded", search="NETWORK")
    assert len(coded) > 0 and coded["impact_text"].str.lower().str.contains("network").all()
    progress = reports.coding_progress(con, "2016B")
    assert progress.awaiting == 58 and progress.confirmed + progress.awaiting == progress.answers


def test_confirming_codes_is_versioned_and_counts_in_the_shares(writable_db: Path) -> None:
    con = db.connect(writable_db)
    waiting = reports.impact_answers(con, "2016B")
    before = reports.impact_by_round(con)
    coded_before = int(before[before["round_id"] == "2016B"]["coded_respondents"].iloc[0])
    first = waiting.iloc[0]
    new_version = impact.confirm_codes(con, int(first["survey_id"]), int(first["version"]),
                                       ["networking", "international", "networking"], actor="amorgan")
    assert new_version == int(first["version"]) + 1
    assert con.execute("SELECT impact_codes, codes_confirmed FROM surveys WHERE survey_id = ?",
                       [int(first["survey_id"])]).fetchone() == (["international", "networking"], True)
    with pytest.raises(StaleEdit):
        impact.confirm_codes(con, int(first["survey_id"]), int(first["version"]), ["ideas"], actor="praman")
    with pytest.raises(impact.CodingError, match="not an impact category"):
        impact.confirm_codes(con, int(first["survey_id"]), new_version, ["happiness"], actor="amorgan")
    rest = waiting.iloc[1:]
    stale = [(int(rest.iloc[0]["survey_id"]), 99, [])]
    with pytest.raises(StaleEdit):  # one stale answer: none of the batch is saved
        impact.confirm_many(con, [*((int(r.survey_id), int(r.version), r.suggested_codes)
                                    for r in rest.iloc[1:].itertuples()), *stale], actor="amorgan")
    assert reports.coding_progress(con, "2016B").awaiting == 57
    n = impact.confirm_many(con, zip(rest["survey_id"], rest["version"], rest["suggested_codes"], strict=True),
                            actor="amorgan")
    assert n == 57 and reports.coding_progress(con, "2016B").awaiting == 0
    after = reports.impact_by_round(con)
    assert int(after[after["round_id"] == "2016B"]["coded_respondents"].iloc[0]) == coded_before + 58
    assert (after[after["round_id"] == "2016B"]["awaiting_coding"] == 0).all()
    (logged,) = con.execute("SELECT count(*) FROM audit_log WHERE action = 'code impact answer'").fetchone()  # type: ignore[misc]
    assert logged == 58
    con.close()
