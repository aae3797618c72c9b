"""The cross-border rule (the setting ``cross_border``): one function in ``workbench.matching.rules``, followed by
the engine's pool, the matching, its explanations and reasons, re-match and the data check."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import db, matchstore
from workbench.access import command_line_user
from workbench.followup import rematch
from workbench.matching import match
from workbench.matching.model import Applicant, MatchingError, MatchRules, Weights
from workbench.matching.rules import (
    CROSS_BORDER_RULES,
    broken_rules,
    cross_border_break,
    one_side_only,
    organisation_key,
    sub_region,
)
from workbench.matching.scoring import Pool
from workbench.program.settings import set_setting

BY = command_line_user()


def person(app_id: int, country: str, organisation: str | None = None, *, languages: tuple[str, ...] = ("English",),
           offset: int = 0) -> Applicant:
    return Applicant(application_id=app_id, person_id=1000 + app_id, name=f"Person {app_id}", country=country,
                     sector="academic", career_stage="mid", interests=frozenset({"Library spaces"}),
                     languages=frozenset(languages), utc_offset_minutes=offset, organisation=organisation)


def test_the_sub_regions_come_from_the_country_table() -> None:
    assert sub_region("NOR") == sub_region("SWE") == sub_region("GBR") == "Northern Europe"
    assert sub_region("USA") == sub_region("CAN") == "Northern America"
    assert sub_region("MEX") == "Central America" and sub_region("KEN") == "Eastern Africa"
    assert sub_region("XKX") == "Southern Europe"  # Kosovo, with its user-assigned code


def test_each_rule_in_words() -> None:
    nor, swe, ken = person(1, "NOR", "Oslo Public Library"), person(2, "SWE", "oslo public library."), person(3, "KEN")
    assert cross_border_break(nor, swe, "country") is None
    region = cross_border_break(nor, swe, "region")
    assert region is not None and region.rule == "cross_border"
    assert str(region) == ("partners must come from different UN M49 sub-regions (the region rule; both are in "
                           "Northern Europe: NOR and SWE)")
    assert cross_border_break(nor, ken, "region") is None
    colleagues = cross_border_break(nor, swe, "organisation")
    assert str(colleagues) == ("partners must work at different organisations (the organisation rule; both work at "
                               "Oslo Public Library)")
    assert cross_border_break(nor, person(4, "NOR"), "none") is None
    assert str(cross_border_break(nor, person(4, "NOR"), "country")) == (
        "partners must live in different countries (the country rule; both are in NOR)")
    # no organisation given: nothing to compare, so the organisation rule keeps no one from them
    assert cross_border_break(person(5, "USA"), person(6, "USA"), "organisation") is None


@pytest.mark.parametrize(("a", "b"), [
    ("The Boston Public Library", "boston public library."),
    ("Bibliothèque nationale de France", "BIBLIOTHEQUE NATIONALE DE FRANCE"),
    ("Arts & Crafts Library", "arts and crafts library"),
    ("O'Neill Library", "ONeill Library"),
])
def test_organisations_are_compared_normalised(a: str, b: str) -> None:
    assert organisation_key(a) == organisation_key(b) is not None
    assert organisation_key("Boston Public Library") != organisation_key("Boston College Library")
    assert organisation_key("  ") is None and organisation_key(None) is None


#: Letters the old SQL normalisation (strip_accents, lower, an ASCII-only class) read otherwise than the rule.
HARD_LETTERS = [("Straßen Bibliothek", "STRASSEN BIBLIOTHEK"), ("ﬁnance library", "Finance Library"),
                ("Łódź Library", "Lodz Library"), ("Øster Library", "Oster Library"),
                ("Ærø Library", "Aero Library"), ("Библиотека №1", "библиотека 1")]


def test_the_check_compares_the_key_stored_with_each_application(writable_db: Path) -> None:
    """The data check flags exactly the pairs the matching keeps apart, for letters that fold differently."""
    from workbench import applications, migrations
    from workbench.applications.store import insert_application_rows

    con = migrations.open_live(writable_db)
    try:
        set_setting(con, "cross_border", "organisation", by=BY)
        texts = [t for pair in HARD_LETTERS for t in pair]
        people = db.next_ids(con, "people", len(texts))
        ids = db.next_ids(con, "applications", len(texts))
        con.executemany("INSERT INTO people VALUES (?, ?, ?, now())",
                        [[p, f"org{p}@x.org", f"Org Person {p}"] for p in people])
        frame = pd.DataFrame({
            "application_id": ids, "round_id": ROUND, "person_id": people, "submitted_at": pd.Timestamp("2017-01-05"),
            "name": [f"Org Person {p}" for p in people], "email": [f"org{p}@x.org" for p in people],
            "country_iso3": "USA", "sector": "public", "career_stage": "mid",
            "interests": [["Library spaces"]] * len(ids),
            "languages": [["English"]] * len(ids), "timezone": "UTC", "utc_offset_minutes": 0, "partner_sector": None,
            "partner_stage": None, "partner_interests": [[]] * len(ids), "status": "waitlisted", "status_reason": None,
            "source": "test", "organisation": texts})
        insert_application_rows(con, frame)
        stored = dict(con.execute("SELECT organisation, organisation_key FROM applications WHERE application_id IN ?",
                                  [ids]).fetchall())
        assert stored == {t: organisation_key(t) for t in texts}
        assert applications.cap_side("organisation", "USA", "Straßen Bibliothek") == "strassen bibliothek"
        # a run pairing each with its look-alike: the check flags the pairs the rule forbids, and only those
        (run_id,) = db.next_ids(con, "match_runs")
        con.execute("INSERT INTO match_runs VALUES (?, ?, now(), 'test', '{}', 'proposed', 'test', ?, ?, NULL, NULL, "
                    "NULL, NULL, 1)", [run_id, ROUND, len(ids), len(ids)])
        pairs = db.next_ids(con, "partnerships", len(HARD_LETTERS))
        forbidden = set()
        for pid, (i, (x, y)) in zip(pairs, enumerate(HARD_LETTERS), strict=True):
            a, b = ids[2 * i], ids[2 * i + 1]
            con.execute("INSERT INTO partnerships VALUES (?, ?, ?, 'pair', 0, NULL, 'proposed', false, now(), 1)",
                        [pid, run_id, ROUND])
            con.executemany("INSERT INTO partnership_members VALUES (?, ?)", [[pid, a], [pid, b]])
            if cross_border_break(person(a, "USA", x), person(b, "USA", y), "organisation") is not None:
                forbidden.add(pid)
        flagged = {row[1] for row in db.run_checks(con)["same_country_partners"]}
        assert flagged == forbidden
        assert 0 < len(forbidden) < len(HARD_LETTERS)  # some fold together (ß, ﬁ, case), some do not (Ł, Ø)
    finally:
        con.close()


def _pool_round() -> list[Applicant]:
    countries = ["NOR", "SWE", "GBR", "USA", "CAN", "MEX", "KEN", "TZA", "NZL", "AUS"]
    organisations = ["Library A", "library a.", "Library B", None, "Library C"]
    return [person(i, countries[i % len(countries)], organisations[i % len(organisations)],
                   languages=("English",) if i % 7 else ("Spanish",), offset=60 * (i % 12))
            for i in range(1, 41)]


@pytest.mark.parametrize("rule", CROSS_BORDER_RULES)
def test_the_pool_agrees_with_the_rule_function_for_every_pair(rule: str) -> None:
    people = _pool_round()
    pool = Pool(people, Weights(), cross_border=rule)  # type: ignore[arg-type]
    scores = pool.scores(np.arange(len(people)))
    for i, j in itertools.permutations(range(len(people)), 2):
        allowed = not broken_rules(people[i], people[j], cross_border=rule)  # type: ignore[arg-type]
        assert (scores[i, j] >= 0) == allowed, (rule, people[i], people[j])


def test_the_region_rule_refuses_same_sub_region_pairs() -> None:
    # Nordic and British librarians only, plus two Kenyans: under the country rule they pair among themselves;
    # under the region rule all of Northern Europe is one side, so each needs a Kenyan.
    people = [person(1, "NOR"), person(2, "SWE"), person(3, "GBR"), person(4, "DNK"), person(5, "KEN"),
              person(6, "KEN")]
    by_country = match(people, MatchRules(cross_border="country"), odd_policy="waitlist", time_limit=5)
    assert by_country.matched == 6
    by_region = match(people, MatchRules(cross_border="region"), odd_policy="waitlist", time_limit=5)
    assert by_region.matched == 4
    for pair in by_region.pairs:
        regions = {sub_region(p.country) for p in people if p.application_id in pair}
        assert len(regions) == 2, pair
        assert by_region.explanations[pair].links[0].cross_border.startswith("different sub-regions (")
    (left, other) = by_region.unmatched
    assert {left, other} <= {1, 2, 3, 4}  # two of Northern Europe wait: the Kenyans took one each
    reason = by_region.reasons[left]
    assert reason.code == "all_partners_taken"
    assert reason.change == (f"allow a partner in Northern Europe (the region rule forbids it) (then Person {other} "
                             f"in {people[other - 1].country} could partner them: also unmatched)")


def test_a_round_in_one_sub_region_is_one_sided_and_says_which_rule_to_choose() -> None:
    nordic = [person(1, "NOR", "A"), person(2, "SWE", "B"), person(3, "DNK", "C"), person(4, "FIN", "D")]
    found = one_side_only(nordic, "region")
    assert found is not None and str(found) == "all 4 applicants come from Northern Europe"
    assert found.instead == "organisation"
    assert one_side_only(nordic, "country") is None
    one_country = [person(1, "USA", "A"), person(2, "USA", "B")]
    assert str(one_side_only(one_country, "country")) == "all 2 applicants live in the United States"
    colleagues = [person(1, "USA", "The Library"), person(2, "CAN", "library")]
    found = one_side_only(colleagues, "organisation")
    assert found is not None and str(found) == "all 2 applicants work at The Library" and found.instead == "none"
    # the engine still answers such a round: everyone unmatched, each reason naming the rule
    result = match(nordic, MatchRules(cross_border="region"), odd_policy="waitlist", time_limit=5)
    assert result.matched == 0
    assert result.reasons[1].code == "same_region_only"
    assert result.reasons[1].reason == ("everyone else in the round is in Northern Europe (the region rule: partners "
                                        "must come from different UN M49 sub-regions)")
    assert result.reasons[1].change.startswith("allow a partner in Northern Europe (the region rule forbids it)")


def test_none_lets_compatriots_and_colleagues_partner() -> None:
    people = [person(1, "AUS", "Same Library"), person(2, "AUS", "same library"), person(3, "AUS", "Same Library"),
              person(4, "AUS", "Same library")]
    result = match(people, MatchRules(cross_border="none"), odd_policy="waitlist", time_limit=5)
    assert result.matched == 4 and not result.reasons
    for explanation in result.explanations.values():
        assert explanation.links[0].cross_border == ""
        assert explanation.summary().startswith("1 shared interest(s)")
    with pytest.raises(MatchingError, match="one of country, region, organisation, none, not 'nation'"):
        match(people, MatchRules(cross_border="nation"))


def test_organisation_rule_notes_who_gave_no_organisation() -> None:
    people = [person(1, "USA", "A"), person(2, "USA", None), person(3, "USA", "B"), person(4, "USA", "A")]
    result = match(people, MatchRules(cross_border="organisation"), odd_policy="waitlist", time_limit=5)
    assert result.matched == 4
    assert all(frozenset(p) != frozenset((1, 4)) for p in result.pairs)
    assert any(n.startswith("1 applicant(s) gave no organisation (Person 2)") for n in result.notes)


def test_a_lock_across_the_rule_is_refused_naming_it() -> None:
    people = [person(1, "NOR"), person(2, "SWE"), person(3, "KEN"), person(4, "TZA")]
    with pytest.raises(MatchingError, match=r"lock 1–2 breaks a hard rule: .*the region rule; both are in Northern "
                                            r"Europe"):
        match(people, MatchRules.of(locks=[(1, 2)], cross_border="region"))


# --- in the database: the setting, re-match, pairing by hand -----------------------------------------------

ROUND = "2016B"


@pytest.fixture
def sample(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def _stranded(con: db.Connection) -> rematch.Person:
    from workbench import reports

    frame = reports.stranded_participants(con, ROUND, by=BY)
    return rematch.get_person(con, int(frame[frame["reason"].str.startswith("case")].iloc[0]["application_id"]),
                              by=BY)


def _add_applicant(con: db.Connection, country: str, languages: list[str], organisation: str | None = None) -> int:
    (person_id,) = db.next_ids(con, "people")
    con.execute("INSERT INTO people VALUES (?, ?, ?, now())", [person_id, f"new{person_id}@x.org", "New Person"])
    (app_id,) = db.next_ids(con, "applications")
    con.execute(
        "INSERT INTO applications (application_id, round_id, person_id, submitted_at, name, email, country_iso3, "
        "sector, career_stage, interests, languages, timezone, utc_offset_minutes, status, source, organisation) "
        "VALUES (?, ?, ?, now(), ?, ?, ?, 'public', 'mid', ['Library spaces'], ?, 'UTC', 0, 'waitlisted', 'test', ?)",
        [app_id, ROUND, person_id, f"Applicant {app_id}", f"a{app_id}@x.org", country, languages, organisation])
    return app_id


def test_rematch_follows_the_rule(sample: db.Connection) -> None:
    stranded = _stranded(sample)
    region = sub_region(stranded.country_iso3)
    neighbour = sample.execute("SELECT iso3 FROM countries WHERE un_region = ? AND iso3 <> ? ORDER BY iso3 LIMIT 1",
                               [region, stranded.country_iso3]).fetchone()[0]  # type: ignore[index]
    waiting = _add_applicant(sample, neighbour, list(stranded.languages))
    assert rematch.problems(sample, stranded.application_id, waiting, by=BY) == []  # the default: country
    set_setting(sample, "cross_border", "region", by=BY)
    (problem,) = rematch.problems(sample, stranded.application_id, waiting, by=BY)
    assert problem == (f"{stranded.name} ({stranded.country_iso3}) and Applicant {waiting} ({neighbour}) both come "
                       f"from {region}: partners must come from different UN M49 sub-regions (the program's region "
                       "rule).")
    options = rematch.candidates(sample, stranded.application_id, by=BY)
    row = options[options["application_id"] == waiting].iloc[0]
    assert not row["feasible"]
    with pytest.raises(rematch.RematchRefused, match="region rule"):
        rematch.rematch(sample, stranded.application_id, waiting, by=BY)
    # a compatriot colleague: refused under the organisation rule only when they work at the same place
    set_setting(sample, "cross_border", "organisation", by=BY)
    sample.execute("UPDATE applications SET organisation = 'Central Library' WHERE application_id = ?",
                   [stranded.application_id])
    compatriot = _add_applicant(sample, stranded.country_iso3, list(stranded.languages), "the central library")
    (problem,) = rematch.problems(sample, stranded.application_id, compatriot, by=BY)
    assert problem.endswith("both work at Central Library: partners must work at different organisations (the "
                            "program's organisation rule).")
    sample.execute("UPDATE applications SET organisation = 'Another Library' WHERE application_id = ?", [compatriot])
    assert rematch.problems(sample, stranded.application_id, compatriot, by=BY) == []


def test_pairing_by_hand_follows_the_rule(sample: db.Connection) -> None:
    apps = sample.execute("SELECT application_id, country_iso3 FROM applications WHERE round_id = '2017A' AND "
                          "status = 'accepted' ORDER BY application_id").fetchall()
    by_country = {c: a for a, c in apps if sub_region(c) == "Northern Europe"}
    assert len(by_country) >= 2
    a, b = list(by_country.values())[:2]
    assert isinstance(matchstore.check_pairing(sample, "2017A", [a, b], by=BY), list)  # allowed: two countries
    set_setting(sample, "cross_border", "region", by=BY)
    with pytest.raises(matchstore.RuleViolation, match="come from different UN M49 sub-regions \\(the region rule"):
        matchstore.check_pairing(sample, "2017A", [a, b], by=BY)
