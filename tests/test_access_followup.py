"""Follow-up under the access rules: every write allowed or refused for each role exactly as
``workbench.access.RULES`` says, and every personal-data read kept to a country coordinator's countries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from workbench import db, reports
from workbench.access import ROLES, RULES, Action, NotAllowed, User, may
from workbench.followup import checkins, health, impact, interventions, rematch, topics
from workbench.reports.outcomes import cleared_quotes

FIXTURES = Path(__file__).parent / "fixtures" / "followup"
ROUND = "2016B"
# From the sample program (2016B):
CASE_GHA_KEN = 151        # contacted; partnership 2533 (Thandiwe Phiri, KEN; Emeka Phiri, GHA)
PARTNERSHIP_GHA_KEN = 2533
CASE_CAN_NZL = 148        # open; partnership 2490, outside Ngozi Okafor's countries (NGA, GHA, CMR)
PARTNERSHIP_AUS_NGA = 2435  # no case ever
EMEKA = 5699              # GHA, stranded by case 151
CHARLOTTE = 5451          # IRL, stranded by case 150 (partnership 2530, IRL-UGA)
IMRAN = 5406              # IND, on the waitlist
KWAME = 5015              # NGA, on the waitlist
SURVEY = 2592             # a 2016B impact answer awaiting coding (MEX)
TOPIC = 69                # 2017A's second topic (2017A has no check-ins yet)


@pytest.fixture
def sample(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def audit_entries(con: db.Connection) -> list[tuple[str, str]]:
    return con.execute("SELECT actor, action FROM audit_log ORDER BY audit_id").fetchall()


def version(con: db.Connection, table: str, key: str, value: int) -> int:
    (v,) = con.execute(f"SELECT version FROM {table} WHERE {key} = ?", [value]).fetchone()  # type: ignore[misc]
    return int(v)


def in_transaction(con: db.Connection, step: Callable[[], object]) -> object:
    with db.transaction(con):
        return step()


def start_topics(con: db.Connection, by: User) -> object:
    con.execute("DELETE FROM topics WHERE round_id = '2017A'")
    return topics.start_from_previous(con, "2017A", by=by)


def read_file(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass(frozen=True)
class Write:
    action: Action
    countries: tuple[str, ...] | None  # the countries the write involves (None: the role alone decides)
    run: Callable[[db.Connection, User], object]
    audited: bool = True


WRITES: dict[str, Write] = {
    "open_case": Write(Action.CASES, ("AUS", "NGA"), lambda con, by: interventions.open_case(
        con, PARTNERSHIP_AUS_NGA, reason="A partner wrote", by=by)),
    "insert_case": Write(Action.CASES, ("AUS", "NGA"), lambda con, by: in_transaction(con, lambda: (
        interventions.insert_case(con, PARTNERSHIP_AUS_NGA, reason="A partner wrote", by=by)))),
    "update_case": Write(Action.CASES, ("GHA", "KEN"), lambda con, by: interventions.update_case(
        con, CASE_GHA_KEN, version(con, "interventions", "intervention_id", CASE_GHA_KEN), by=by,
        status="resolved", note="Back in touch.")),
    "end_partnership": Write(Action.CASES, ("GHA", "KEN"), lambda con, by: in_transaction(con, lambda: (
        interventions.end_partnership(con, PARTNERSHIP_GHA_KEN, by=by)))),
    "open_cases_from_flags": Write(Action.CASES, None, lambda con, by: health.open_cases_from_flags(
        con, ROUND, by=by), audited=False),  # a country coordinator's countries have no flagged case to open
    "rematch": Write(Action.CASES, ("GHA", "IND"), lambda con, by: rematch.rematch(con, EMEKA, IMRAN, by=by)),
    "start_from_previous": Write(Action.TOPICS, None, start_topics),
    "add_topic": Write(Action.TOPICS, None, lambda con, by: topics.add_topic(
        con, "2017A", title="Library advocacy", body="", by=by)),
    "update_topic": Write(Action.TOPICS, None, lambda con, by: topics.update_topic(
        con, TOPIC, version(con, "topics", "topic_id", TOPIC), title="Your users", body="Who comes?",
        send_on=topics.get_topic(con, TOPIC).send_on, by=by)),
    "delete_topic": Write(Action.TOPICS, None, lambda con, by: topics.delete_topic(
        con, TOPIC, version(con, "topics", "topic_id", TOPIC), by=by)),
    "confirm_codes": Write(Action.IMPACT_CODING, None, lambda con, by: impact.confirm_codes(
        con, SURVEY, 1, ["networking"], by=by)),
    "confirm_many": Write(Action.IMPACT_CODING, None, lambda con, by: impact.confirm_many(
        con, [(SURVEY, 1, ["networking"])], by=by)),
    "set_cleared": Write(Action.IMPACT_CODING, None, lambda con, by: impact.set_cleared(con, SURVEY, 1, True, by=by)),
    "import_checkins": Write(Action.IMPORT, None, lambda con, by: checkins.import_checkins(
        con, read_file("broken_checkins.csv"), ROUND, by=by)),
    "import_surveys": Write(Action.IMPORT, None, lambda con, by: checkins.import_surveys(
        con, read_file("broken_surveys.csv"), ROUND, by=by)),
    "import_responses": Write(Action.IMPORT, None, lambda con, by: checkins.import_responses(
        con, "checkins", read_file("broken_checkins.csv"), ROUND, by=by)),
    "validate_checkins": Write(Action.IMPORT, None, lambda con, by: checkins.validate_checkins(
        con, read_file("broken_checkins.csv"), ROUND, by=by), audited=False),
    "validate_surveys": Write(Action.IMPORT, None, lambda con, by: checkins.validate_surveys(
        con, read_file("broken_surveys.csv"), ROUND, by=by), audited=False),
}


def test_each_write_is_for_some_roles_and_not_others(users: dict[str, User]) -> None:
    """The table below is not vacuous: every write is allowed to some roles and refused to others."""
    for name, write in WRITES.items():
        allowed = {role for role in ROLES if may(users[role], write.action, write.countries)}
        assert {"director"} <= allowed < set(ROLES), name
        assert "analyst" not in allowed and "presenter" not in allowed, name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(WRITES))
def test_every_write_is_allowed_or_refused_as_the_rules_say(sample: db.Connection, users: dict[str, User],
                                                           name: str, role: str) -> None:
    write, user = WRITES[name], users[role]
    before = audit_entries(sample)
    if may(user, write.action, write.countries):
        write.run(sample, user)
        after = audit_entries(sample)
        if write.audited:
            new = after[len(before):]
            assert new and all(actor == user.id for actor, _ in new), new  # the signed-in user is the actor
    else:
        with pytest.raises(NotAllowed) as refused:
            write.run(sample, user)
        message = str(refused.value)  # who, and what was refused: the role's action or the countries
        assert user.name in message and (f"may not {write.action.value}" in message or "outside" in message)
        assert audit_entries(sample) == before  # nothing was done


def test_the_roles_of_each_kind_of_write(users: dict[str, User]) -> None:
    """What the parametrized test above checks, stated: cases for the country's coordinator too."""
    assert RULES[Action.CASES] == {"director", "coordinator", "country"}
    for action in (Action.TOPICS, Action.IMPACT_CODING, Action.IMPORT):
        assert RULES[action] == {"director", "coordinator"}
    assert may(users["country"], Action.CASES, ["GHA", "KEN"])
    assert not may(users["country"], Action.CASES, ["CAN", "NZL"])


def test_a_country_coordinator_acts_on_their_countries_cases_only(sample: db.Connection,
                                                                  users: dict[str, User]) -> None:
    nokafor = users["country"]
    case = interventions.get_case(sample, CASE_CAN_NZL, by=users["director"])
    with pytest.raises(NotAllowed, match=r"Partnership 2490 involves CAN, NZL, outside Ngozi Okafor's countries"):
        interventions.update_case(sample, CASE_CAN_NZL, case.version, by=nokafor, note="Mine?")
    with pytest.raises(NotAllowed, match="outside"):
        interventions.open_case(sample, 2490, reason="Mine?", by=nokafor)
    # Re-matching Emeka (GHA) with Charlotte (IRL) would end her IRL-UGA partnership, which is not theirs.
    with pytest.raises(NotAllowed, match="Partnership 2530 involves IRL, UGA"):
        rematch.rematch(sample, EMEKA, CHARLOTTE, by=nokafor)
    assert audit_entries(sample) == []
    # Their countries' flagged partnerships all have cases; the coordinator opens the round's one other.
    assert health.open_cases_from_flags(sample, ROUND, by=nokafor) == []
    assert len(health.open_cases_from_flags(sample, ROUND, by=users["coordinator"])) == 1
    # Someone may be given a case only if they may work it.
    with pytest.raises(interventions.CaseError, match=r"Jess Walker .* may not work on partnership 2533"):
        interventions.update_case(sample, CASE_GHA_KEN, version(sample, "interventions", "intervention_id",
                                                                CASE_GHA_KEN), by=nokafor, coordinator_id="jwalker")


# --- personal-data reads ------------------------------------------------------------------------------

READS: dict[str, Callable[[db.Connection, User], object]] = {
    "intervention_queue": lambda con, by: reports.intervention_queue(con, by=by, round_id=ROUND),
    "partnership_health": lambda con, by: reports.partnership_health(con, ROUND, by=by),
    "partnership_members": lambda con, by: reports.partnership_members(con, PARTNERSHIP_GHA_KEN, by=by),
    "case_checkins": lambda con, by: reports.case_checkins(con, PARTNERSHIP_GHA_KEN, by=by),
    "stranded_participants": lambda con, by: reports.stranded_participants(con, ROUND, by=by),
    "waitlist": lambda con, by: reports.waitlist(con, ROUND, by=by),
    "rematch_candidates": lambda con, by: reports.rematch_candidates(con, EMEKA, by=by),
    "get_person": lambda con, by: rematch.get_person(con, EMEKA, by=by),
    "problems": lambda con, by: rematch.problems(con, EMEKA, IMRAN, by=by),
    "get_case": lambda con, by: interventions.get_case(con, CASE_GHA_KEN, by=by),
    "impact_answers": lambda con, by: reports.impact_answers(con, ROUND, by=by),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(READS))
def test_personal_data_is_refused_to_the_analyst_and_the_presenter(con: db.Connection, users: dict[str, User],
                                                                   name: str, role: str) -> None:
    if role in {"analyst", "presenter"}:
        with pytest.raises(NotAllowed, match="may not see participants' names and contact details"):
            READS[name](con, users[role])
    else:
        assert READS[name](con, users[role]) is not None


def test_a_country_coordinator_sees_their_countries_only(con: db.Connection, users: dict[str, User]) -> None:
    director, nokafor = users["director"], users["country"]
    assert len(reports.intervention_queue(con, by=director, round_id=ROUND)) == 11
    queue = reports.intervention_queue(con, by=nokafor, round_id=ROUND)
    assert list(queue["intervention_id"]) == [CASE_GHA_KEN]
    assert queue["members"].iloc[0] == "Thandiwe Phiri (KEN) · Emeka Phiri (GHA)"  # the other member: name, country
    every_case = reports.intervention_queue(con, by=nokafor, statuses=None)
    assert all({"NGA", "GHA", "CMR"} & set(countries) for countries in every_case["countries"])
    assert len(reports.partnership_health(con, ROUND, by=director)) == 424
    assert len(reports.partnership_health(con, ROUND, by=nokafor)) == 53
    assert len(reports.partnership_health(con, ROUND, by=nokafor, flagged_only=True)) == 2
    assert len(reports.stranded_participants(con, ROUND, by=director)) == 32
    assert list(reports.stranded_participants(con, ROUND, by=nokafor)["application_id"]) == [EMEKA, 5874]
    assert len(reports.waitlist(con, ROUND, by=director)) == 27
    assert sorted(reports.waitlist(con, ROUND, by=nokafor)["country_iso3"]) == ["GHA", "NGA", "NGA"]
    assert len(reports.impact_answers(con, ROUND, by=director)) == 58
    assert sorted(reports.impact_answers(con, ROUND, by=nokafor)["country_iso3"]) == ["GHA", "NGA", "NGA"]


def test_the_other_member_shows_by_name_and_country_only(con: db.Connection, users: dict[str, User]) -> None:
    director, nokafor = users["director"], users["country"]
    everything = reports.partnership_members(con, PARTNERSHIP_GHA_KEN, by=director).set_index("name")
    assert everything.loc["Thandiwe Phiri", "email"] and everything.loc["Emeka Phiri", "email"]
    members = reports.partnership_members(con, PARTNERSHIP_GHA_KEN, by=nokafor).set_index("name")
    assert members.loc["Emeka Phiri", "email"] == "emeka.phiri@lib3.gh.example.org"
    assert members.loc["Thandiwe Phiri", "country"] == "Kenya"
    assert members.loc["Thandiwe Phiri", ["email", "languages", "timezone", "sector", "career_stage"]].isna().all()
    answers = reports.case_checkins(con, PARTNERSHIP_GHA_KEN, by=nokafor)
    kenya, ghana = answers[answers["country_iso3"] == "KEN"], answers[answers["country_iso3"] == "GHA"]
    assert len(kenya) == 6 and kenya[["submitted_on", "contact_made", "rating"]].isna().all().all()
    assert ghana["rating"].tolist() == [4, 3, 2, 2, 2, 1]
    assert reports.case_checkins(con, PARTNERSHIP_GHA_KEN, by=director)["rating"].notna().sum() == 12
    options = reports.rematch_candidates(con, EMEKA, by=nokafor).set_index("application_id")
    assert options.loc[KWAME, "sector"] == "special" and options.loc[KWAME, "country_iso3"] == "NGA"
    assert options.loc[CHARLOTTE, "name"] == "Charlotte Murphy" and options.loc[CHARLOTTE, "sector"] is None
    assert reports.rematch_candidates(con, EMEKA, by=director).set_index("application_id").loc[
        CHARLOTTE, "sector"] is not None


def test_what_is_outside_a_country_coordinators_countries_is_refused(con: db.Connection,
                                                                      users: dict[str, User]) -> None:
    nokafor = users["country"]
    with pytest.raises(NotAllowed, match="Case 148 involves CAN, NZL, outside Ngozi Okafor's countries"):
        interventions.get_case(con, CASE_CAN_NZL, by=nokafor)
    with pytest.raises(NotAllowed, match="Partnership 2490 involves CAN, NZL"):
        reports.partnership_members(con, 2490, by=nokafor)
    with pytest.raises(NotAllowed, match="Partnership 2490"):
        reports.case_checkins(con, 2490, by=nokafor)
    with pytest.raises(NotAllowed, match="Charlotte Murphy's application involves IRL"):
        rematch.get_person(con, CHARLOTTE, by=nokafor)
    with pytest.raises(NotAllowed, match="Charlotte Murphy's application"):
        reports.rematch_candidates(con, CHARLOTTE, by=nokafor)
    with pytest.raises(NotAllowed, match="A re-match of Charlotte Murphy involves IND, IRL"):
        rematch.problems(con, CHARLOTTE, IMRAN, by=nokafor)


def test_public_quotes_and_the_case_workers_name_nobody(sample: db.Connection, users: dict[str, User]) -> None:
    """Aggregate reports take no user, so they must carry no personal data."""
    impact.set_cleared(sample, SURVEY, 1, True, by=users["coordinator"])
    quotes = cleared_quotes(sample)
    assert len(quotes) == 1 and quotes["country_iso3"].iloc[0] == "MEX"
    assert not {"name", "email", "application_id", "person_id", "survey_id"} & set(quotes.columns)
    workers = reports.coordinators(sample)
    assert "email" not in workers.columns and "password_hash" not in workers.columns
    assert set(workers["role"]) == {"director", "coordinator", "country"}  # who may work cases, nobody else
    assert workers.set_index("coordinator_id").loc["dmensah", "open_cases"] == 1
    assert reports.coordinator_scope(users["country"]) == "NGA, GHA, CMR"
    assert reports.coordinator_scope(users["director"]) == "all countries"
