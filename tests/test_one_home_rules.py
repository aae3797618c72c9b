"""One home for each rule: the per-country cap is the macro ``country_cap_limit`` everywhere, and the
matching and the re-match ask the same hard-rule function."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import applications, db, matchstore, reports
from workbench.access import User
from workbench.applications import CapReached
from workbench.errors import WorkbenchError
from workbench.followup import rematch
from workbench.matching import rules
from workbench.sample import cap as sample_cap

ROOT = Path(__file__).resolve().parents[1]
ROUND = "2016B"


@pytest.fixture
def sample(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


# --- the per-country cap -------------------------------------------------------------------------------

def test_the_macro_is_the_cap_of_domain_md(con: db.Connection) -> None:
    limit = "SELECT country_cap_limit(?::DOUBLE, ?::BIGINT)"
    assert con.execute(limit, [0.2, 1188]).fetchone() == (237,)  # 2017A: 237.6 rounded down
    assert con.execute(limit, [0.2, 30]).fetchone() == (6,)
    assert con.execute(limit, [0.2, 4]).fetchone() == (1,)  # never below one
    assert con.execute(limit, [0.29, 100]).fetchone() == (29,)  # 0.29 * 100 is 28.999999999999996 in doubles
    assert applications.cap_limit(con, 0.29, 100) == 29
    with pytest.raises(WorkbenchError, match="between 0 and 1"):
        applications.cap_limit(con, 20, 100)


def test_the_generators_cap_agrees_with_the_macro_for_every_round_size_and_cap(con: db.Connection) -> None:
    """The generator has no database; its restatement of the rule is proved equal to the macro."""
    rows = con.execute(
        "SELECT k, n, country_cap_limit(k / 100, n) FROM range(5, 101) AS s(k), range(1, 5001) AS t(n)"
    ).fetchall()
    assert len(rows) == 96 * 5000
    disagree = [(k, n, limit) for k, n, limit in rows if sample_cap.cap_limit(k / 100, n) != limit]
    assert disagree == []


def test_applicants_by_country_shows_the_macros_cap(con: db.Connection) -> None:
    frame = con.execute(
        """
        SELECT v.round_id, v.country_iso3, v.cap, v.is_at_cap, v.applications - v.withdrawn AS live_here,
            country_cap_limit(r.country_cap, (SELECT count(*) FROM applications AS a
                                               WHERE a.round_id = v.round_id AND a.status <> 'withdrawn')) AS limit
        FROM applicants_by_country AS v JOIN rounds AS r USING (round_id)
        """
    ).df()
    assert len(frame) > 500
    assert (frame["cap"] == frame["limit"]).all()
    assert (frame["is_at_cap"] == (frame["live_here"] >= frame["limit"])).all()
    aus = frame[(frame["round_id"] == "2017A") & (frame["country_iso3"] == "AUS")].iloc[0]
    assert (aus["cap"], bool(aus["is_at_cap"])) == (237, True)
    usa = frame[(frame["round_id"] == ROUND) & (frame["country_iso3"] == "USA")].iloc[0]
    assert (usa["cap"], bool(usa["is_at_cap"])) == (175, False)  # 20% of 877 live applications
    # The report the Applicants page shows asks the same macro.
    assert reports.round_admission(con, "2017A").cap == 237


def test_the_check_and_admission_name_the_same_countries(sample: db.Connection) -> None:
    assert db.run_checks(sample)["country_over_cap"] == []
    assert applications.over_cap(sample, "2017A") == []
    # Lower 2017A's cap to 4%: 47 of 1,188 live applications.
    sample.execute("UPDATE rounds SET country_cap = 0.04 WHERE round_id = '2017A'")
    assert applications.cap_limit(sample, 0.04, 1188) == 47
    over = applications.over_cap(sample, "2017A")
    flagged = sorted({c for _, r, c, *_ in db.run_checks(sample)["country_over_cap"] if r == "2017A"})
    expected = sorted(c for (c,) in sample.execute(
        "SELECT country_iso3 FROM applications WHERE round_id = '2017A' AND status = 'accepted' "
        "GROUP BY 1 HAVING count(*) > 47").fetchall())
    assert over == flagged == expected and "AUS" in over and len(over) >= 3
    limits = {row[-1] for row in db.run_checks(sample)["country_over_cap"] if row[1] == "2017A"}
    assert limits == {47}


def add_waitlisted(con: db.Connection, country: str) -> int:
    """A new person waitlisted in 2016B, working in English."""
    (person_id,) = db.next_ids(con, "people")
    con.execute("INSERT INTO people VALUES (?, ?, ?, now())", [person_id, f"w{person_id}@x.org", "Waiting Person"])
    (app_id,) = db.next_ids(con, "applications")
    con.execute(
        "INSERT INTO applications (application_id, round_id, person_id, submitted_at, name, email, country_iso3, "
        "sector, career_stage, interests, languages, timezone, utc_offset_minutes, status, source) "
        "VALUES (?, ?, ?, now(), ?, ?, ?, 'public', 'mid', ['Library spaces'], ['English'], 'UTC', 0, "
        "'waitlisted', 'test')",
        [app_id, ROUND, person_id, f"Waiting {app_id}", f"w{app_id}@x.org", country])
    return app_id


def stranded_outside(con: db.Connection, countries: set[str], by: User) -> rematch.Person:
    for (app_id,) in con.execute(
            "SELECT application_id FROM applications WHERE round_id = ? AND status = 'accepted' "
            "AND list_contains(languages, 'English') ORDER BY application_id", [ROUND]).fetchall():
        person = rematch.get_person(con, app_id, by=by)
        if person.is_stranded and person.country_iso3 not in countries:
            return person
    raise AssertionError("no stranded English speaker outside " + ", ".join(sorted(countries)))


def test_rematch_refuses_exactly_what_admission_refuses(sample: db.Connection, users: dict[str, User]) -> None:
    countries = ["USA", "AUS", "GBR", "NGA"]
    waiting = {add_waitlisted(sample, c): c for c in countries}
    live = 877 + len(waiting)
    # A cap that leaves the United States (80 accepted) no room and Australia (76) room for one.
    sample.execute("UPDATE rounds SET country_cap = ?, status = 'open' WHERE round_id = ?", [77 / live, ROUND])
    assert applications.cap_limit(sample, 77 / live, live) == 77
    person = stranded_outside(sample, set(countries), users["director"])
    refused_by_rematch, refused_by_admission = set(), set()
    for app_id, country in waiting.items():
        if any("above the round's cap" in p
               for p in rematch.problems(sample, person.application_id, app_id, by=users["director"])):
            refused_by_rematch.add(country)
        (version,) = sample.execute("SELECT version FROM applications WHERE application_id = ?",
                                    [app_id]).fetchone()  # type: ignore[misc]
        try:
            applications.decide(sample, app_id, "accepted", version=version, reason="", by=users["coordinator"])
        except CapReached:
            refused_by_admission.add(country)
        else:  # back on the waitlist for the next country's question
            sample.execute("UPDATE applications SET status = 'waitlisted' WHERE application_id = ?", [app_id])
    assert refused_by_rematch == refused_by_admission == {"USA"}
    usa = next(a for a, c in waiting.items() if c == "USA")
    (message,) = [p for p in rematch.problems(sample, person.application_id, usa, by=users["director"]) if "cap" in p]
    assert "81 accepted applicants, above the round's cap of 77" in message
    assert f"of {live} live applications" in message


# --- the hard matching rules ---------------------------------------------------------------------------

def test_every_pair_the_matching_refuses_the_rematch_refuses(sample: db.Connection, users: dict[str, User]) -> None:
    pool = matchstore.load_pool(sample, ROUND, by=users["director"])
    people = pool.by_id()
    stranded = [p for p in rematch._people(sample, ROUND) if p.is_stranded and p.application_id in people]
    assert len(stranded) == 32
    refused = same_round_partners = 0
    for i, a in enumerate(stranded):
        context = rematch._Context.of(sample, a)  # what rematch.problems reads, once per person
        for b in stranded[i + 1:]:
            matching = rules.broken_rules(people[a.application_id], people[b.application_id], pool.rules.forbidden)
            found = rematch._rule_problems(sample, a, b, context)
            if matching:
                refused += 1
                assert found, (a.name, b.name, matching)
            elif found:  # the matching's pool knows earlier rounds only; a re-match also this one
                same_round_partners += 1
                assert all(f"were partners in {ROUND}" in p for p in found), found
    assert refused > 0 and same_round_partners == 16  # the 16 faltering or ended partnerships of 2016B


def test_a_pair_the_coordinators_forbade_is_not_rematched(sample: db.Connection, users: dict[str, User]) -> None:
    by = users["director"]
    person = stranded_outside(sample, set(), by)
    options = rematch.candidates(sample, person.application_id, by=by)
    partner = int(options[options["feasible"]].iloc[0]["application_id"])
    assert rematch.problems(sample, person.application_id, partner, by=by) == []
    matchstore.add_rule(sample, ROUND, "forbid", person.application_id, partner, by=by, reason="test")
    (problem,) = rematch.problems(sample, person.application_id, partner, by=by)
    assert "forbade" in problem and person.name in problem
    with pytest.raises(rematch.RematchRefused):
        rematch.rematch(sample, person.application_id, partner, by=by)


def test_the_rematch_asks_the_matchings_function(sample: db.Connection, monkeypatch: pytest.MonkeyPatch,
                                                 users: dict[str, User]) -> None:
    """Change the matching's rules and the re-match follows: there is no second copy."""
    by = users["director"]
    person = stranded_outside(sample, set(), by)
    options = rematch.candidates(sample, person.application_id, by=by)
    partner = int(options[options["feasible"]].iloc[0]["application_id"])

    def stricter(a: rules.Applicant, b: rules.Applicant, forbidden: frozenset[frozenset[int]] = frozenset(), *,
                 cross_border: rules.CrossBorder = "country") -> list[rules.RuleBreak]:
        return [rules.RuleBreak("forbidden", "a new rule refuses everyone")]

    monkeypatch.setattr(rules, "broken_rules", stricter)
    assert rematch.problems(sample, person.application_id, partner, by=by)
    assert not rematch.candidates(sample, person.application_id, by=by)["feasible"].any()
