"""The health rules on constructed partnerships, and the intervention queue's workflow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import accounts, db, migrations
from workbench.access import NotAllowed, User, command_line_user
from workbench.build import COUNTRIES_CSV
from workbench.errors import StaleEdit
from workbench.followup import health, interventions

START = dt.date(2020, 3, 2)
DIRECTOR = User("dir", "d@x.org", "Dee Rector", "director")
AUS = User("aus", "a@x.org", "Aus Coord", "country", ("AUS",))
GBR = User("gbr", "g@x.org", "Gb Coord", "country", ("GBR",))
ANALYST = User("ana", "n@x.org", "Ana Lyst", "analyst")

# Check-ins of a pair as (fortnight, member 0 or 1, contact made, partner replied, rating).
CASES: dict[str, tuple[list[tuple[int, int, bool, bool | None, int | None]], set[str], int]] = {
    "all well": ([(f, m, True, True, 4) for f in range(1, 6) for m in (0, 1)], set(), 0),
    "no reports at all": ([], set(), 0),
    "two silent fortnights running": (
        [(1, 0, True, True, 4), (2, 0, False, None, 3), (3, 1, False, None, 3), (4, 0, True, True, 4)],
        {"flag_no_contact"}, 2),
    "silences broken by contact": (
        [(1, 0, False, None, 3), (2, 0, True, True, 4), (3, 0, False, None, 3), (4, 1, True, True, 4)], set(), 1),
    "silences broken by a fortnight without reports": (
        [(1, 0, True, True, 4), (2, 0, False, None, 3), (4, 0, False, None, 3)], set(), 1),
    "one partner in touch, the other not": (
        [(2, 0, False, None, 3), (2, 1, True, True, 4), (3, 0, False, None, 3), (3, 1, True, True, 4)], set(), 0),
    "partner did not reply within a week": ([(1, 0, True, True, 4), (2, 1, True, False, 3)], {"flag_not_replied"}, 0),
    "a rating of 2": ([(1, 0, True, True, 2)], {"flag_low_rating"}, 0),
    "a rating of 3 is fine": ([(1, 0, True, True, 3), (2, 1, True, None, 3)], set(), 0),
    "everything at once": ([(1, 0, False, False, 1), (2, 1, False, None, 2)],
                           {"flag_no_contact", "flag_not_replied", "flag_low_rating"}, 2),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[db.Connection]:
    """A round with one pair per constructed case (AUS members with NZL partners), views applied."""
    con = migrations.open_live(tmp_path_factory.mktemp("tiny") / "tiny.duckdb", create=True)
    con.execute("INSERT INTO countries SELECT * FROM read_csv(?, header = true, all_varchar = true)",
                [str(COUNTRIES_CSV)])
    con.execute("INSERT INTO rounds (round_id, label, seq, opens_on, starts_on, ends_on, status) "
                "VALUES ('T', 'Test round', 1, ?, ?, ?, 'running')", [START - dt.timedelta(days=30), START,
                                                                       START + dt.timedelta(days=112)])
    con.execute("INSERT INTO match_runs (run_id, round_id, created_at, created_by, parameters, status, solver_status, "
                "people, matched) VALUES (1, 'T', now(), 'test', '{}', 'published', 'test', ?, ?)",
                [2 * len(CASES), 2 * len(CASES)])
    checkin_id = 0
    for pid, (_, (reports, _, _)) in enumerate(CASES.items(), start=1):
        con.execute("INSERT INTO partnerships (partnership_id, run_id, round_id, kind, status, created_at) "
                    "VALUES (?, 1, 'T', 'pair', 'active', now())", [pid])
        apps = []
        for m, (country, zone, offset) in enumerate((("AUS", "Australia/Sydney", 600),
                                                     ("NZL", "Pacific/Auckland", 720))):
            person = 2 * pid + m
            con.execute("INSERT INTO people VALUES (?, ?, ?, now())", [person, f"p{person}@x.org", f"Person {person}"])
            con.execute(
                "INSERT INTO applications (application_id, round_id, person_id, submitted_at, name, email, "
                "country_iso3, sector, career_stage, interests, languages, timezone, utc_offset_minutes, status, "
                "source) VALUES (?, 'T', ?, now(), ?, ?, ?, 'public', 'mid', ['Library spaces'], ['English'], ?, ?, "
                "'accepted', 'test')", [person, person, f"Person {person}", f"p{person}@x.org", country, zone, offset])
            con.execute("INSERT INTO partnership_members VALUES (?, ?)", [pid, person])
            apps.append(person)
        for fortnight, m, contact, replied, rating in reports:
            checkin_id += 1
            con.execute("INSERT INTO checkins (checkin_id, application_id, partnership_id, round_id, fortnight, "
                        "submitted_on, contact_made, partner_replied, methods, topics_discussed, rating) "
                        "VALUES (?, ?, ?, 'T', ?, ?, ?, ?, [], [], ?)",
                        [checkin_id, apps[m], pid, fortnight, START + dt.timedelta(days=14 * fortnight - 2),
                         contact, replied, rating])
    db.reset_sequences(con)
    db.apply_views(con)
    yield con
    con.close()


@pytest.mark.parametrize("case", list(CASES))
def test_health_rules(tiny: db.Connection, case: str) -> None:
    pid = list(CASES).index(case) + 1
    _, flags, silence = CASES[case]
    row = tiny.execute("SELECT flag_no_contact, flag_not_replied, flag_low_rating, is_flagged, longest_silence "
                       "FROM partnership_health WHERE partnership_id = ?", [pid]).fetchone()
    assert row is not None
    got = {name for name, value in zip(health.FLAG_REASONS, row[:3], strict=True) if value}
    assert got == flags
    assert row[3] == bool(flags)
    assert row[4] == silence


def test_flags_open_cases_once(tiny: db.Connection) -> None:
    needing = health.needing_a_case(tiny, "T")
    flagged = [list(CASES).index(c) + 1 for c, (_, flags, _) in CASES.items() if flags]
    assert [n.partnership_id for n in needing] == flagged
    everything = next(n for n in needing if n.partnership_id == list(CASES).index("everything at once") + 1)
    assert everything.reasons == tuple(health.FLAG_REASONS.values())
    assert everything.raised_by is not None and everything.countries == ("AUS", "NZL")
    assert health.needing_a_case(tiny, "T", countries=["GBR"]) == []
    with pytest.raises(NotAllowed, match="analyst"):
        health.open_cases_from_flags(tiny, "T", by=ANALYST)
    assert health.open_cases_from_flags(tiny, "T", by=GBR) == []  # none of their countries
    ids = health.open_cases_from_flags(tiny, "T", by=AUS, today=START + dt.timedelta(days=30))
    assert len(ids) == len(flagged)
    assert health.needing_a_case(tiny, "T") == []
    assert health.open_cases_from_flags(tiny, "T", by=DIRECTOR) == []
    reasons = tiny.execute("SELECT reason, status, notes FROM interventions ORDER BY intervention_id").fetchall()
    assert all(status == "open" and notes.endswith("aus: Opened from the health flags.")
               for _, status, notes in reasons)
    (actors,) = tiny.execute("SELECT list(DISTINCT actor) FROM audit_log WHERE action = 'open case'").fetchone()  # type: ignore[misc]
    assert actors == ["aus"]
    assert "low rating at check-in" in reasons[-1][0]


@pytest.fixture
def sample(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def open_case_of(con: db.Connection, status: str = "open") -> interventions.Case:
    (case_id,) = con.execute("SELECT min(intervention_id) FROM interventions WHERE status = ?",
                             [status]).fetchone()  # type: ignore[misc]
    return interventions.get_case(con, int(case_id), by=command_line_user())


def test_contact_then_resolve_a_case(sample: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    other_director = accounts.get_user(sample, "praman")
    assert other_director is not None
    case = open_case_of(sample)
    assert case.coordinator_id is None
    day = dt.date(2016, 11, 20)
    v2 = interventions.update_case(sample, case.intervention_id, case.version, by=director, status="contacted",
                                   note="Emailed both partners.", today=day)
    after = interventions.get_case(sample, case.intervention_id, by=director)
    assert after.status == "contacted" and after.closed_on is None and after.coordinator_id == "amorgan"
    assert after.notes.endswith("2016-11-20 amorgan: Emailed both partners.")
    v3 = interventions.update_case(sample, case.intervention_id, v2, by=director, status="resolved",
                                   note="Back in touch.", today=day + dt.timedelta(days=3))
    done = interventions.get_case(sample, case.intervention_id, by=director)
    assert done.status == "resolved" and done.closed_on == dt.date(2016, 11, 23) and done.version == v3
    assert done.notes.count("\n") == 1
    with pytest.raises(StaleEdit):
        interventions.update_case(sample, case.intervention_id, v2, by=other_director, note="too late")
    with pytest.raises(interventions.CaseError, match="can move to open, not to contacted"):
        interventions.update_case(sample, case.intervention_id, v3, by=director, status="contacted")
    v4 = interventions.update_case(sample, case.intervention_id, v3, by=director, status="open", note="Again.")
    assert interventions.get_case(sample, case.intervention_id, by=director).closed_on is None and v4 == v3 + 1
    logged = sample.execute(
        "SELECT action, actor FROM audit_log WHERE entity = 'interventions' ORDER BY audit_id").fetchall()
    assert logged == [("case contacted", "amorgan"), ("case resolved", "amorgan"), ("case open", "amorgan")]


def test_ending_a_case_ends_the_partnership(sample: db.Connection, users: dict[str, User]) -> None:
    case = open_case_of(sample)
    interventions.update_case(sample, case.intervention_id, case.version, by=users["coordinator"], status="ended")
    (status,) = sample.execute("SELECT status FROM partnerships WHERE partnership_id = ?",
                               [case.partnership_id]).fetchone()  # type: ignore[misc]
    assert status == "ended"
    assert sample.execute("SELECT actor FROM audit_log WHERE action = 'end partnership'").fetchall() == [("tortega",)]
    with pytest.raises(interventions.CaseError, match="re-matching"):
        interventions.update_case(sample, case.intervention_id, case.version + 1, by=users["director"],
                                  status="rematched")


def test_a_case_is_given_only_to_someone_who_may_work_it(sample: db.Connection, users: dict[str, User]) -> None:
    case = interventions.get_case(sample, 151, by=users["director"])  # GHA-KEN, contacted, dmensah's
    assert (case.status, case.coordinator_id) == ("contacted", "dmensah")
    assert interventions.partnership_countries(sample, case.partnership_id) == ["GHA", "KEN"]
    with pytest.raises(interventions.CaseError, match="may not work on partnership 2533"):
        interventions.update_case(sample, 151, case.version, by=users["director"], coordinator_id="jwalker")
    with pytest.raises(interventions.CaseError, match="may not work on partnership"):
        interventions.update_case(sample, 151, case.version, by=users["director"], coordinator_id="lnguyen")
    with pytest.raises(interventions.CaseError, match="no active account"):
        interventions.update_case(sample, 151, case.version, by=users["director"], coordinator_id="nobody")
    v = interventions.update_case(sample, 151, case.version, by=users["director"], coordinator_id="nokafor")
    assert interventions.get_case(sample, 151, by=users["country"]).coordinator_id == "nokafor"
    interventions.update_case(sample, 151, v, by=users["country"], coordinator_id=None, note="Back to the pool.")
    after = interventions.get_case(sample, 151, by=users["country"])
    assert after.coordinator_id is None and after.notes.endswith("nokafor: Back to the pool.")
    with pytest.raises(interventions.CaseError, match="already has an open case"):
        interventions.open_case(sample, case.partnership_id, reason="again", by=users["director"])


def test_the_command_line_works_a_case_without_taking_it(sample: db.Connection) -> None:
    """The command line's user has no account, so an unassigned case it works stays unassigned."""
    cli = User(id="cli:tester", email="", name="tester (command line)", role="director")
    case = open_case_of(sample)
    interventions.update_case(sample, case.intervention_id, case.version, by=cli, note="From the command line.")
    after = interventions.get_case(sample, case.intervention_id, by=cli)
    assert after.coordinator_id is None and after.notes.endswith("cli:tester: From the command line.")
