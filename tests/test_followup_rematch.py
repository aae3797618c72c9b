"""Re-matching a stranded participant keeps the matching's hard rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import accounts, db, matchstore, reports
from workbench.access import NotAllowed, User, command_line_user
from workbench.followup import interventions, rematch
from workbench.people import identity

ROUND = "2016B"
#: The command line acts as a director; the role tests are in tests/test_access_followup.py.
BY = command_line_user()


@pytest.fixture
def sample(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def add_applicant(con: db.Connection, *, country: str, languages: list[str], status: str = "waitlisted",
                  person_id: int | None = None, offset: int = 0) -> int:
    """A new application to 2016B (a new person unless ``person_id``)."""
    if person_id is None:
        (person_id,) = db.next_ids(con, "people")
        con.execute("INSERT INTO people VALUES (?, ?, ?, now())", [person_id, f"new{person_id}@x.org", "New Person"])
        identity.add_address(con, person_id, f"new{person_id}@x.org", seen_at=dt.datetime.now(), source="test")
    (app_id,) = db.next_ids(con, "applications")
    con.execute(
        "INSERT INTO applications (application_id, round_id, person_id, submitted_at, name, email, country_iso3, "
        "sector, career_stage, interests, languages, timezone, utc_offset_minutes, status, source) "
        "VALUES (?, ?, ?, now(), ?, ?, ?, 'public', 'mid', ['Library spaces'], ?, 'UTC', ?, ?, 'test')",
        [app_id, ROUND, person_id, f"Applicant {app_id}", f"a{app_id}@x.org", country, languages, offset, status])
    return app_id


def stranded_with_open_case(con: db.Connection) -> rematch.Person:
    frame = reports.stranded_participants(con, ROUND, by=BY)
    row = frame[frame["reason"].str.startswith("case")].iloc[0]
    return rematch.get_person(con, int(row["application_id"]), by=BY)


def test_stranded_and_waitlist_of_2016B(con: db.Connection) -> None:
    stranded = reports.stranded_participants(con, ROUND, by=BY)
    # Both members of the 11 partnerships with an open case, and of the 5 ended ones.
    assert len(stranded) == 32
    assert stranded["reason"].str.startswith("case").sum() == 22
    assert stranded["reason"].str.contains("ended").sum() == 10
    waiting = reports.waitlist(con, ROUND, by=BY)
    assert len(waiting) == 27 and (waiting["source"] == "waitlist").all()
    with pytest.raises(rematch.NotFound, match="no published matching"):
        reports.stranded_participants(con, "2017A", by=BY)


def test_a_rematch_keeps_every_rule_and_closes_the_case(sample: db.Connection) -> None:
    person = stranded_with_open_case(sample)
    options = reports.rematch_candidates(sample, person.application_id, by=BY)
    assert options["feasible"].iloc[0] and not options["feasible"].is_monotonic_increasing
    assert (options.loc[~options["feasible"], "problems"].str.len() > 0).all()
    first_waiting = int(options[options["source"] == "waitlist"].iloc[0]["application_id"])
    partner = rematch.get_person(sample, first_waiting, by=BY)
    (old,) = person.faltering
    (case_id,) = sample.execute("SELECT intervention_id FROM interventions WHERE partnership_id = ? "
                                "AND status IN ('open', 'contacted')", [old]).fetchone()  # type: ignore[misc]
    before = reports.health_summary(sample, ROUND)
    new = rematch.rematch(sample, person.application_id, partner.application_id, by=BY,
                          note="Both keen to start again.", today=dt.date(2016, 11, 20))
    members = sorted(r[0] for r in sample.execute(
        "SELECT application_id FROM partnership_members WHERE partnership_id = ?", [new]).fetchall())
    assert members == sorted([person.application_id, partner.application_id])
    assert sample.execute("SELECT status, kind, round_id FROM partnerships WHERE partnership_id = ?",
                          [new]).fetchone() == ("active", "pair", ROUND)
    assert sample.execute("SELECT status FROM partnerships WHERE partnership_id = ?", [old]).fetchone() == ("ended",)
    case = interventions.get_case(sample, case_id, by=BY)
    assert case.status == "rematched" and case.closed_on == dt.date(2016, 11, 20)
    assert f"partnership {new}" in case.notes and "Both keen" in case.notes
    assert all(rows == [] for rows in db.run_checks(sample).values()), db.run_checks(sample)
    after = reports.health_summary(sample, ROUND)
    assert after.open_cases == before.open_cases - 1 and after.partnerships == before.partnerships + 1
    # The re-matched person is no longer stranded, nor is their new partner waiting.
    assert person.application_id not in set(reports.stranded_participants(sample, ROUND, by=BY)["application_id"])
    assert partner.application_id not in set(reports.waitlist(sample, ROUND, by=BY)["application_id"])
    # Their old partner is still stranded (the partnership they shared has ended).
    (left_behind,) = [a for a in sample.execute("SELECT application_id FROM partnership_members "
                                                "WHERE partnership_id = ?", [old]).fetchall()
                      if a[0] != person.application_id]
    assert left_behind[0] in set(reports.stranded_participants(sample, ROUND, by=BY)["application_id"])


def test_a_waitlisted_applicant_is_admitted_by_the_rematch(sample: db.Connection) -> None:
    person = stranded_with_open_case(sample)
    other_country = "ISL" if person.country_iso3 != "ISL" else "NOR"
    waiting = add_applicant(sample, country=other_country, languages=["English"])
    rematch.rematch(sample, person.application_id, waiting, by=BY)
    assert sample.execute("SELECT status, status_reason FROM applications WHERE application_id = ?",
                          [waiting]).fetchone() == ("accepted", "admitted by a re-match")
    assert db.run_checks(sample)["country_over_cap"] == []


def returner_with_open_case(con: db.Connection) -> rematch.Person:
    """A stranded participant who had a partner in an earlier round."""
    frame = reports.stranded_participants(con, ROUND, by=BY)
    for app in frame[frame["reason"].str.startswith("case")]["application_id"]:
        person = rematch.get_person(con, int(app), by=BY)
        if any(r != ROUND for r, _ in rematch._past_partners(con, person.person_id).values()):
            return person
    raise AssertionError("the sample has no stranded returner")


def test_each_hard_rule_has_its_message(sample: db.Connection) -> None:
    person = returner_with_open_case(sample)
    same_country = add_applicant(sample, country=person.country_iso3, languages=list(person.languages))
    no_language = add_applicant(sample, country="JPN" if person.country_iso3 != "JPN" else "KOR",
                                languages=["Japanese"])
    past_partner = sample.execute(
        """SELECT b.person_id, p.round_id FROM partnership_members AS ma
           JOIN applications AS a ON a.application_id = ma.application_id
           JOIN partnerships AS p ON p.partnership_id = ma.partnership_id
           JOIN partnership_members AS mb
               ON mb.partnership_id = ma.partnership_id AND mb.application_id <> ma.application_id
           JOIN applications AS b ON b.application_id = mb.application_id
           WHERE a.person_id = ? AND p.round_id <> ? LIMIT 1""", [person.person_id, ROUND]).fetchone()
    healthy = int(sample.execute(
        "SELECT application_id FROM participants AS p WHERE round_id = ? AND partnership_id NOT IN "
        "(SELECT partnership_id FROM interventions) AND country_iso3 <> ? LIMIT 1",
        [ROUND, person.country_iso3]).fetchone()[0])  # type: ignore[index]
    withdrawn = add_applicant(sample, country="ISL", languages=["English"], status="withdrawn")
    (current_partner,) = [a for a in sample.execute("SELECT application_id FROM partnership_members "
                                                    "WHERE partnership_id = ?", [person.faltering[0]]).fetchall()
                          if a[0] != person.application_id]
    other_round = int(sample.execute("SELECT min(application_id) FROM applications WHERE round_id = '2016A'")
                      .fetchone()[0])  # type: ignore[index]
    cases = {
        same_country: "both live in",
        no_language: "at least one working language in common",
        healthy: "which has no open case: they are not stranded",
        withdrawn: "withdrew their application",
        current_partner[0]: "were partners in 2016B",
        other_round: "not 2016B",
        person.application_id: "two different people",
    }
    assert past_partner is not None
    if past_partner is not None:
        returning = add_applicant(sample, country="ISL" if person.country_iso3 != "ISL" else "NOR",
                                  languages=list(person.languages), person_id=past_partner[0])
        cases[returning] = f"were partners in {past_partner[1]}"
    forbidden = add_applicant(sample, country="ISL" if person.country_iso3 != "ISL" else "NOR",
                              languages=list(person.languages))
    matchstore.add_rule(sample, ROUND, "forbid", person.application_id, forbidden, by=BY, reason="test")
    cases[forbidden] = "A coordinator forbade pairing"
    for partner, message in cases.items():
        found = rematch.problems(sample, person.application_id, partner, by=BY)
        assert any(message in p for p in found), (message, found)
        with pytest.raises(rematch.RematchRefused, match="breaks the matching's rules") as refused:
            rematch.rematch(sample, person.application_id, partner, by=BY)
        assert refused.value.problems == found
    assert {k: v for k, v in db.run_checks(sample).items() if v} == {}


def test_the_country_cap_holds_for_someone_joining_from_the_waitlist(sample: db.Connection) -> None:
    person = stranded_with_open_case(sample)
    biggest, accepted = sample.execute(
        "SELECT country_iso3, count(*) FROM applications WHERE round_id = ? AND status = 'accepted' "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1", [ROUND]).fetchone()  # type: ignore[misc]
    assert (biggest, accepted) == ("USA", 80) and person.country_iso3 != biggest
    waiting = add_applicant(sample, country=biggest, languages=list(person.languages))
    # The base is the round's live applications (877 accepted + the one waiting), not its participants.
    (live,) = sample.execute("SELECT count(*) FROM applications WHERE round_id = ? AND status <> 'withdrawn'",
                             [ROUND]).fetchone()  # type: ignore[misc]
    assert live == 878
    sample.execute("UPDATE rounds SET country_cap = ? WHERE round_id = ?", [accepted / live, ROUND])
    (problem,) = rematch.problems(sample, person.application_id, waiting, by=BY)
    assert problem.startswith(f"Applicant {waiting} is on the waitlist")
    assert "81 accepted applicants, above the round's cap of 80 (9% of 878 live applications)" in problem
    # One more place, and the same person fits.
    sample.execute("UPDATE rounds SET country_cap = ? WHERE round_id = ?", [(accepted + 1) / live, ROUND])
    assert rematch.problems(sample, person.application_id, waiting, by=BY) == []
    rematch.rematch(sample, person.application_id, waiting, by=BY)
    assert db.run_checks(sample)["country_over_cap"] == []


def test_someone_accepted_but_unplaced_takes_no_new_place_under_the_cap(sample: db.Connection) -> None:
    person = stranded_with_open_case(sample)
    waiting = reports.waitlist(sample, ROUND, by=BY)
    other = waiting[waiting["country_iso3"] != person.country_iso3].iloc[0]
    # 2016B's waitlist holds accepted applicants placed in no partnership: admitting them changes nothing,
    # so even the smallest cap does not stand in the way.
    sample.execute("UPDATE rounds SET country_cap = 0.01 WHERE round_id = ?", [ROUND])
    found = rematch.problems(sample, person.application_id, int(other["application_id"]), by=BY)
    assert not any("cap" in p for p in found), found


def test_only_coordinators_of_the_countries_may_rematch(sample: db.Connection, users: dict[str, User]) -> None:
    person = stranded_with_open_case(sample)
    options = reports.rematch_candidates(sample, person.application_id, by=BY)
    partner = options[options["feasible"]].iloc[0]
    countries = {person.country_iso3, partner["country_iso3"]}
    outsider = next(cid for cid, mine in sample.execute(
        "SELECT coordinator_id, countries FROM coordinators WHERE role = 'country' ORDER BY 1").fetchall()
        if not set(mine) & countries)
    outsider_user = accounts.get_user(sample, outsider)
    assert outsider_user is not None
    with pytest.raises(NotAllowed, match="outside"):
        rematch.rematch(sample, person.application_id, int(partner["application_id"]), by=outsider_user)
    with pytest.raises(NotAllowed, match="presenter"):
        rematch.rematch(sample, person.application_id, int(partner["application_id"]), by=users["presenter"])
    assert sample.execute("SELECT count(*) FROM audit_log WHERE action = 'rematch'").fetchone() == (0,)
