"""Who may import, open rounds, decide on applications, apply or change the cap, and list applicants.

Every write of ``workbench.applications`` is tried as each of the five sample accounts: the roles
``access.RULES`` allows do it (and the audit log names them); the others are refused with
:class:`~workbench.access.NotAllowed` and nothing changes. The list of applicants (names and emails) is
limited to a country coordinator's countries and refused to the analyst and the presenter; the counts
per country stay open to every role that reads reports.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from workbench import applications, db, reports
from workbench.access import ROLES, RULES, Action, NotAllowed, User
from workbench.applications.admission import apply_changes
from workbench.applications.rounds import carry_over_plan, insert_carried, insert_round
from workbench.exports import frame_csv_bytes

ROUND_FILE = Path(__file__).parent / "fixtures" / "applications" / "round_2017B.csv"
ROUND = "2017A"  # the sample's round being matched: admission is still open
STAFF = {"director", "coordinator"}  # may import and decide (access.RULES)
THEIRS = ("NGA", "GHA", "CMR")  # the sample country coordinator's countries (nokafor)


@pytest.fixture
def live(writable_db: Path) -> Iterator[db.Connection]:
    """A connection to a private, writable copy of the sample database."""
    con = db.connect(writable_db)
    yield con
    con.close()


def test_the_rules_these_tests_assume() -> None:
    assert RULES[Action.IMPORT] == RULES[Action.ADMIT] == STAFF
    assert RULES[Action.VIEW_PERSONAL] == {"director", "coordinator", "country"}


def audit_count(con: db.Connection) -> int:
    return int(con.execute("SELECT count(*) FROM audit_log").fetchone()[0])  # type: ignore[index]


def table_counts(con: db.Connection) -> tuple[Any, ...]:
    return con.execute(
        "SELECT (SELECT count(*) FROM rounds), (SELECT count(*) FROM people), (SELECT count(*) FROM applications), "
        "(SELECT count(*) FROM audit_log), (SELECT sum(version) FROM applications), "
        "(SELECT sum(version) FROM rounds)").fetchone()  # type: ignore[return-value]


def first_application(con: db.Connection, status: str, country: str) -> tuple[int, int, str]:
    row = con.execute("SELECT application_id, version, name FROM applications WHERE round_id = ? AND status = ? "
                      "AND country_iso3 = ? ORDER BY submitted_at, application_id LIMIT 1",
                      [ROUND, status, country]).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), str(row[2])


def refused(role: str, action: Action, call: Any, con: db.Connection, user: User) -> None:
    """``call()`` is refused for ``role`` with a message naming them and the action; nothing changes."""
    before = table_counts(con)
    with pytest.raises(NotAllowed) as caught:
        call()
    message = str(caught.value)
    assert user.name in message and action.value in message and "Ask a director" in message
    assert table_counts(con) == before


# --- writes, role by role ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_importing_applications(live: db.Connection, users: dict[str, User], role: str) -> None:
    user = users[role]

    def run() -> applications.ImportReport:
        return applications.import_applications(live, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=user)

    if role not in STAFF:
        refused(role, Action.IMPORT, run, live, user)
        return
    report = run()
    assert (report.imported, report.returning, report.carried_over) == (12, 3, 20)
    actors = live.execute("SELECT action, actor, count(*) FROM audit_log WHERE action IN ('open round', "
                          "'carry over application', 'import applications') GROUP BY ALL ORDER BY action").fetchall()
    assert actors == [("carry over application", user.id, 20), ("import applications", user.id, 1),
                      ("open round", user.id, 1)]


@pytest.mark.parametrize("role", ROLES)
def test_the_import_preview_needs_the_right_to_import(live: db.Connection, users: dict[str, User],
                                                      role: str) -> None:
    """The dry run writes nothing, but its report names known people with their emails (near-matches)."""
    user = users[role]

    def run() -> applications.ImportReport:
        return applications.import_applications(live, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=user,
                                                dry_run=True)

    if role not in STAFF:
        refused(role, Action.IMPORT, run, live, user)
        return
    before = table_counts(live)
    report = run()
    assert report.imported == 12 and report.near_matches[0].known_email == "samuel.fraser@lib5.ca.example.org"
    assert table_counts(live) == before


@pytest.mark.parametrize("role", ROLES)
def test_opening_a_round(live: db.Connection, users: dict[str, User], role: str) -> None:
    user = users[role]

    def run() -> applications.RoundOpened:
        return applications.open_round(live, "2017B", by=user, opens_on=dt.date(2017, 7, 3))

    if role not in STAFF:
        refused(role, Action.IMPORT, run, live, user)
        assert live.execute("SELECT count(*) FROM rounds WHERE round_id = '2017B'").fetchone() == (0,)
        return
    opened = run()
    assert (opened.round_id, opened.carried_over, opened.carried_from) == ("2017B", 20, "2017A")
    assert live.execute("SELECT actor FROM audit_log WHERE action = 'open round'").fetchall() == [(user.id,)]


@pytest.mark.parametrize("role", ROLES)
def test_the_round_helpers_of_an_import_ask_too(live: db.Connection, users: dict[str, User], role: str) -> None:
    """insert_round and insert_carried (what import and open_round share) refuse on their own as well."""
    user = users[role]
    carried = carry_over_plan(live)
    carried["status"], carried["status_reason"] = "received", None

    def run() -> None:
        with db.transaction(live):
            insert_round(live, "2017B", 10, dt.date(2017, 7, 3), 0.2, by=user)
            insert_carried(live, carried, "2017B", by=user)

    if role not in STAFF:
        refused(role, Action.IMPORT, run, live, user)
        return
    run()
    assert live.execute("SELECT count(*) FROM applications WHERE round_id = '2017B'").fetchone() == (20,)


@pytest.mark.parametrize("role", ROLES)
def test_deciding_on_an_application(live: db.Connection, users: dict[str, User], role: str) -> None:
    user = users[role]
    app_id, version, name = first_application(live, "accepted", "NGA")

    def run() -> applications.Decision:
        return applications.decide(live, app_id, "waitlisted", version=version, reason="asked to join next round",
                                   by=user)

    if role not in STAFF:
        refused(role, Action.ADMIT, run, live, user)
        assert live.execute("SELECT status, version FROM applications WHERE application_id = ?",
                            [app_id]).fetchone() == ("accepted", version)
        return
    done = run()
    assert done.message == f"{name} (Nigeria) is now waitlisted: asked to join next round."
    actor, after = live.execute("SELECT actor, after FROM audit_log WHERE entity = 'applications' AND entity_id = ?",
                                [str(app_id)]).fetchone()  # type: ignore[misc]
    assert actor == user.id and json.loads(after)["status"] == "waitlisted"


def test_a_country_coordinator_may_not_decide_even_in_their_own_country(live: db.Connection,
                                                                       users: dict[str, User]) -> None:
    """Admission weighs countries against each other under one cap: coordinators and directors decide."""
    country = users["country"]
    assert country.countries == THEIRS
    app_id, version, _ = first_application(live, "accepted", "NGA")
    with pytest.raises(NotAllowed, match="needs the coordinator or director role"):
        applications.decide(live, app_id, "withdrawn", version=version, reason="left", by=country)


@pytest.mark.parametrize("role", ROLES)
def test_applying_the_cap_again(live: db.Connection, users: dict[str, User], role: str) -> None:
    user = users[role]
    # Five NGA withdrawals leave Australia above the cap: 1,183 live applications, a cap of 236 for its 237.
    director = users["director"]
    for _ in range(5):
        app_id, version, _ = first_application(live, "accepted", "NGA")
        applications.decide(live, app_id, "withdrawn", version=version, reason="left", by=director)
    assert applications.over_cap(live, ROUND) == ["AUS"]

    def run() -> applications.AdmissionResult:
        return applications.admit(live, ROUND, by=user)

    if role not in STAFF:
        refused(role, Action.ADMIT, run, live, user)
        assert applications.over_cap(live, ROUND) == ["AUS"]
        return
    result = run()
    assert (result.accepted, result.waitlisted) == (0, 1)
    assert applications.over_cap(live, ROUND) == []
    assert live.execute("SELECT actor FROM audit_log WHERE action = 'admit application'").fetchall() == [(user.id,)]


@pytest.mark.parametrize("role", ROLES)
def test_changing_the_cap(live: db.Connection, users: dict[str, User], role: str) -> None:
    user = users[role]
    (version,) = live.execute("SELECT version FROM rounds WHERE round_id = ?", [ROUND]).fetchone()  # type: ignore[misc]

    def run() -> applications.AdmissionResult:
        return applications.set_country_cap(live, ROUND, 0.25, version=version, by=user)

    if role not in STAFF:
        refused(role, Action.ADMIT, run, live, user)
        assert live.execute("SELECT country_cap FROM rounds WHERE round_id = ?", [ROUND]).fetchone() == (0.2,)
        return
    result = run()
    assert result.accepted == 20  # the 20 Australians the 20% cap waitlisted now fit
    assert live.execute("SELECT country_cap, version FROM rounds WHERE round_id = ?",
                        [ROUND]).fetchone() == (0.25, version + 1)
    assert live.execute("SELECT DISTINCT actor FROM audit_log WHERE action IN ('set country cap', "
                        "'admit application')").fetchall() == [(user.id,)]


@pytest.mark.parametrize("role", ROLES)
def test_writing_the_caps_decisions(live: db.Connection, users: dict[str, User], role: str) -> None:
    """apply_changes, which import and the cap share, refuses on its own too."""
    user = users[role]
    app_id, version, _ = first_application(live, "waitlisted", "AUS")

    def run() -> None:
        with db.transaction(live):
            apply_changes(live, [(app_id, version, "accepted", None)], by=user)

    if role not in STAFF:
        refused(role, Action.ADMIT, run, live, user)
        return
    run()
    assert live.execute("SELECT status, version FROM applications WHERE application_id = ?",
                        [app_id]).fetchone() == ("accepted", version + 1)


# --- reading applicants ---------------------------------------------------------------------------------


def counts_by_country(con: db.Connection) -> dict[str, int]:
    rows = con.execute("SELECT country_iso3, count(*) FROM applications WHERE round_id = ? GROUP BY ALL",
                       [ROUND]).fetchall()
    return {str(c): int(n) for c, n in rows}


@pytest.mark.parametrize("role", ["director", "coordinator"])
def test_staff_list_every_countrys_applicants(con: db.Connection, users: dict[str, User], role: str) -> None:
    listing = reports.applicant_list(con, by=users[role], round_id=ROUND, limit=2000)
    assert listing.total == 1200 == len(listing.rows)
    assert listing.rows["country_iso3"].nunique() == 101
    kenya = reports.applicant_list(con, by=users[role], round_id=ROUND, country_iso3="KEN")
    assert kenya.total == counts_by_country(con)["KEN"] == 34


def test_a_country_coordinator_lists_only_their_countries(con: db.Connection, users: dict[str, User]) -> None:
    country = users["country"]
    expected = counts_by_country(con)
    assert [expected[c] for c in THEIRS] == [55, 20, 11]
    listing = reports.applicant_list(con, by=country, round_id=ROUND, limit=2000)
    assert listing.total == 86 == len(listing.rows)
    assert listing.rows["country_iso3"].value_counts().to_dict() == {"NGA": 55, "GHA": 20, "CMR": 11}
    emails = set(con.execute("SELECT email FROM applications WHERE round_id = ? AND country_iso3 IN ('NGA', 'GHA', "
                             "'CMR')", [ROUND]).fetchall())
    assert {(e,) for e in listing.rows["email"]} == emails
    # Filters and pages keep to their countries too.
    ((n_accepted,),) = con.execute("SELECT count(*) FROM applications WHERE round_id = ? AND status = 'accepted' "
                                   "AND country_iso3 IN ('NGA', 'GHA', 'CMR')", [ROUND]).fetchall()
    accepted = reports.applicant_list(con, by=country, round_id=ROUND, statuses=["accepted"], limit=10, offset=80)
    assert accepted.total == n_accepted == 85 and len(accepted.rows) == 5
    assert set(accepted.rows["country_iso3"]) <= set(THEIRS) and set(accepted.rows["status"]) == {"accepted"}
    ghana = reports.applicant_list(con, by=country, round_id=ROUND, country_iso3="GHA")
    assert ghana.total == 20 and set(ghana.rows["country"]) == {"Ghana"}


def test_another_country_is_outside_a_country_coordinators_countries(con: db.Connection,
                                                                    users: dict[str, User]) -> None:
    with pytest.raises(NotAllowed) as caught:
        reports.applicant_list(con, by=users["country"], round_id=ROUND, country_iso3="KEN")
    assert str(caught.value) == (
        "The list of applicants from Kenya involves KEN, outside Ngozi Okafor's countries (NGA, GHA, CMR). "
        "A director or that country's coordinator can act on it.")


def test_a_country_coordinator_without_countries_lists_nobody(con: db.Connection) -> None:
    nobody = User(id="x", email="x@example.org", name="No Countries", role="country", countries=())
    assert reports.applicant_list(con, by=nobody, round_id=ROUND).total == 0


@pytest.mark.parametrize("role", ["analyst", "presenter"])
def test_the_analyst_and_the_presenter_list_nobody(con: db.Connection, users: dict[str, User], role: str) -> None:
    with pytest.raises(NotAllowed, match="may not see participants' names and contact details"):
        reports.applicant_list(con, by=users[role], round_id=ROUND)
    with pytest.raises(NotAllowed):
        reports.applicant_list(con, by=users[role], round_id=ROUND, country_iso3="NGA")


def test_the_counts_per_country_take_no_user_and_hold_no_person(con: db.Connection) -> None:
    """The map's aggregates: every role that reads reports gets the same numbers, and no name or email."""
    countries = reports.applicant_countries(con, round_id=ROUND)
    assert int(countries["applicants"].sum()) == 1200 and len(countries) == 101
    assert not {"name", "email", "application_id"} & set(countries.columns)
    nigeria = countries.set_index("country_iso3").loc["NGA"]
    assert int(nigeria["applicants"]) == 55
    admission = reports.round_admission(con, ROUND)
    assert (admission.applications, admission.cap) == (1200, 237)


# --- the rejections download ---------------------------------------------------------------------------


def test_the_rejections_csv_neutralises_formulas(live: db.Connection, users: dict[str, User]) -> None:
    """The Import page shows the rejections as written and downloads them through workbench.exports."""
    data = (b"Timestamp,Full name,Email Address,Country,Sector,Career stage,Interests\n"
            b'2017-02-20 10:00,Ana,=HYPERLINK("http://x.example"),Chile,public,mid,Library spaces\n')
    report = applications.import_applications(live, data, "formula.csv", ROUND, by=users["coordinator"],
                                              dry_run=True)
    shown = report.rejections_frame(escape_formulas=False)
    assert shown["value"].tolist() == ['=HYPERLINK("http://x.example")']
    text = frame_csv_bytes(shown).decode("utf-8-sig")
    row = pd.read_csv(io.StringIO(text))
    assert row["value"].tolist() == ['\'=HYPERLINK("http://x.example")']
