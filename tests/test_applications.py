"""Importing applications into the database, the per-country cap, decisions by hand, opening rounds."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app_support import SAMPLE_ACCOUNTS
from workbench import accounts, applications, db
from workbench.access import User
from workbench.applications import CapReached, import_applications, importing
from workbench.errors import StaleEdit, WorkbenchError
from workbench.intake import MissingColumns

FIXTURES = Path(__file__).parent / "fixtures" / "applications"
ROUND_FILE = FIXTURES / "round_2017B.csv"
COLUMNS = ["submitted_at", "name", "email", "country", "sector", "career_stage", "interests"]


@pytest.fixture
def con(writable_db: Path) -> Iterator[db.Connection]:
    connection = db.connect(writable_db)
    yield connection
    connection.close()


@pytest.fixture
def users(con: db.Connection) -> dict[str, User]:
    """The sample account of each role (here from the writable copy: this module's ``con`` is not the
    session's read-only one the shared fixture uses)."""
    found = {role: accounts.get_user(con, account) for role, account in SAMPLE_ACCOUNTS.items()}
    assert all(found.values()), found
    return found  # type: ignore[return-value]


@pytest.fixture
def staff(users: dict[str, User]) -> User:
    """The sample coordinator (Tomás Ortega): may import, decide and change the cap."""
    return users["coordinator"]


def csv_file(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def applicant(i: int, country: str, when: dt.datetime, **changes: str) -> dict[str, str]:
    return {"submitted_at": when.isoformat(sep=" "), "name": f"Test Person {i}", "email": f"person{i}@test.example.org",
            "country": country, "sector": "public", "career_stage": "mid", "interests": "Library spaces", **changes}


def counts(con: db.Connection) -> dict[str, int]:
    tables = ("rounds", "people", "applications", "audit_log")
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]


def statuses(con: db.Connection, round_id: str) -> dict[str, int]:
    rows = con.execute("SELECT status, count(*) FROM applications WHERE round_id = ? GROUP BY status",
                       [round_id]).fetchall()
    return {str(s): int(n) for s, n in rows}


# ---------------------------------------------------------------------------------------------------
# The import, end to end


def test_import_into_a_new_round_end_to_end(con: db.Connection, staff: User) -> None:
    before = counts(con)
    report = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)

    assert report.round_created and report.carried_over == 20 and report.carried_from == "2017A"
    assert "Round 2017B did not exist" in report.summary()
    assert report.total_rows == 20
    assert report.imported == 12
    assert report.rejected_rows == [12, 13, 15, 16, 17, 18]
    # Drita Berisha submitted again (row 14, later, from "Kosovo"): her latest submission is the one imported
    assert [(r.row, r.value) for r in report.resubmitted] == [(2, "drita.berisha@biblioteka.example.org")]
    assert "1 applicant(s) submitted more than once: the latest submission of each is imported" in report.summary()
    # Amelia Campbell, carried over from 2017A's waitlist, applied again at the same address: one application, the
    # carried one, with her new answers (not counted as imported)
    assert report.already_applied == [] and report.applied_again == [8]
    assert "1 applicant(s) already in 2017B applied again" in report.summary()
    assert con.execute("SELECT count(*), any_value(source), any_value(submitted_at) FROM applications "
                       "WHERE round_id = '2017B' AND email = 'amelia.campbell@lib3.au.example.org'").fetchone() == (
        1, "import round_2017B.csv", dt.datetime(2017, 7, 5, 9, 0))
    assert report.returning == 3  # Hannah Murphy (email in another case), Kavya Patel, Arjun Reddy
    assert report.new_people == 9
    # Sam Fraser at a home address: of the two Samuel Frasers in Canada, the one whose answers agree is offered
    assert [m.row for m in report.near_matches] == [7]
    assert report.near_matches[0].last_round == "2016B"

    after = counts(con)
    assert after["rounds"] == before["rounds"] + 1
    assert after["people"] == before["people"] + 9
    assert after["applications"] == before["applications"] + 12 + 20
    round_row = con.execute("SELECT status, seq, country_cap, opens_on FROM rounds WHERE round_id = '2017B'").fetchone()
    assert round_row == ("open", 10, 0.2, dt.date(2017, 7, 3))
    stored = con.execute(
        "SELECT a.name, a.country_iso3, a.sector, a.career_stage, a.languages, a.timezone, p.email "
        "FROM applications AS a JOIN people AS p USING (person_id) WHERE a.round_id = '2017B' "
        "AND a.application_id IN (SELECT unnest(?::BIGINT[])) ORDER BY a.submitted_at", [report.application_ids]
    ).fetchall()
    assert [r[1] for r in stored] == ["VNM", "CAN", "IND", "IND", "CAN", "TUR", "GBR", "COD", "XKX", "DEU", "NGA",
                                      "MEX"]
    kosovo = stored[8]
    assert kosovo[:5] == ("Drita Again", "XKX", "academic", "early", ["English"])
    assert kosovo[5] == "Europe/Belgrade"
    hannah = next(r for r in stored if r[0] == "Hannah Murphy")
    assert hannah[6] == "hannah.murphy@lib23.ca.example.org"  # the known person, not a new one
    (audit,) = con.execute("SELECT after FROM audit_log WHERE action = 'import applications'").fetchone()  # type: ignore[misc]
    assert json.loads(audit)["imported"] == 12


def test_returning_people_keep_their_person_and_history(con: db.Connection, staff: User) -> None:
    (person_before,) = con.execute(
        "SELECT person_id FROM people WHERE email = 'kavya.patel@lib10.in.example.org'").fetchone()  # type: ignore[misc]
    import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    rounds = con.execute("SELECT list(round_id ORDER BY round_id) FROM applications WHERE person_id = ?",
                         [person_before]).fetchone()[0]  # type: ignore[index]
    assert "2016B" in rounds and "2017B" in rounds


def test_a_near_match_is_offered_not_merged_and_can_be_confirmed(con: db.Connection, staff: User,
                                                                 writable_db: Path) -> None:
    preview = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff, dry_run=True)
    offered = preview.near_matches[0]
    assert (offered.email, offered.known_email) == ("sam.fraser@home.example.net",
                                                    "samuel.fraser@lib5.ca.example.org")
    assert "may be Samuel Fraser" in offered.describe()

    report = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff,
                                 confirmed_people={"Sam.Fraser@home.example.net": offered.person_id})
    assert report.linked == 1 and report.new_people == 8 and report.returning == 4
    assert report.near_matches == []
    (person,) = con.execute(
        "SELECT person_id FROM applications WHERE round_id = '2017B' AND email = 'sam.fraser@home.example.net'"
    ).fetchone()  # type: ignore[misc]
    assert person == offered.person_id
    # one person, who keeps both addresses; the new one is the latest, where messages go (issue 18)
    assert con.execute("SELECT person_id FROM people WHERE email = 'sam.fraser@home.example.net'").fetchall() == [
        (offered.person_id,)]
    assert con.execute("SELECT list(email ORDER BY email) FROM person_addresses WHERE person_id = ?",
                       [offered.person_id]).fetchone() == (["sam.fraser@home.example.net",
                                                            "samuel.fraser@lib5.ca.example.org"],)


def test_without_confirmation_a_near_match_becomes_a_new_person(con: db.Connection, staff: User) -> None:
    import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    assert con.execute("SELECT count(*) FROM people WHERE email = 'sam.fraser@home.example.net'").fetchone() == (1,)


def test_confirming_an_unknown_person_is_refused(con: db.Connection, staff: User) -> None:
    with pytest.raises(WorkbenchError, match="No person with id 999999"):
        import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "2017B", by=staff,
                            confirmed_people={"sam.fraser@home.example.net": 999999})


def test_a_confirmed_country_is_imported(con: db.Connection, staff: User) -> None:
    report = import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "2017B", by=staff,
                                 confirmed_countries={"Austrailia": "AUS"})
    assert 17 not in report.rejected_rows and report.imported == 13


def test_the_same_file_twice_adds_nothing_and_says_so(con: db.Connection, staff: User) -> None:
    import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    before = counts(con)
    again = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    assert again.imported == 0 and not again.round_created and again.carried_over == 0
    # The 12 imported, the carried-over one, and row 14 (a repeat of row 2's email) now already applied.
    assert len(again.already_applied) == 14
    assert again.rejected_rows == [12, 13, 15, 16, 17, 18]
    assert "already applied to 2017B" in again.summary()
    assert counts(con) == before  # not even an audit line


def test_a_file_already_imported_says_nothing_new(con: db.Connection, staff: User) -> None:
    rows = [applicant(i, "Kenya", dt.datetime(2017, 2, 20, 9, i)) for i in range(3)]  # 2017A ends 16 Jun 2017
    import_applications(con, csv_file(rows), "three.csv", "2017A", by=staff)
    again = import_applications(con, csv_file(rows), "three.csv", "2017A", by=staff)
    assert again.summary().startswith("Nothing new: all 3 applicant(s) of three.csv already applied to 2017A")


def test_a_failure_mid_import_leaves_the_database_as_it_was(con: db.Connection, staff: User,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(con)
    snapshot = con.execute("SELECT application_id, status, status_reason, version FROM applications "
                           "ORDER BY application_id").fetchall()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full (injected)")

    # After the round, its carried-over applicants, the new people and the applications are written.
    monkeypatch.setattr(importing, "_record_import", fail)
    with pytest.raises(RuntimeError, match="injected"):
        import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    assert counts(con) == before
    assert con.execute("SELECT count(*) FROM rounds WHERE round_id = '2017B'").fetchone() == (0,)
    assert con.execute("SELECT application_id, status, status_reason, version FROM applications "
                       "ORDER BY application_id").fetchall() == snapshot
    monkeypatch.undo()
    report = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    assert report.imported == 12  # and it works once the fault is gone


def test_a_database_error_mid_import_is_a_plain_message(con: db.Connection, staff: User,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = counts(con)
    real = db.next_ids

    def clashing(connection: db.Connection, table: str, n: int = 1) -> list[int]:
        ids = real(connection, table, n)
        return [1, *ids[1:]] if table == "applications" and n == 12 else ids  # id 1 exists: a key clash

    monkeypatch.setattr(db, "next_ids", clashing)
    with pytest.raises(WorkbenchError, match="Nothing was saved") as caught:
        import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    assert "Traceback" not in str(caught.value)
    assert counts(con) == before


def test_a_missing_required_column_is_named(con: db.Connection, staff: User) -> None:
    data = b"Timestamp,Full name,Email Address,Sector,Career stage,Interests\n1/1/2017 10:00,A,a@b.org,public,mid,x\n"
    with pytest.raises(MissingColumns, match="'country'"):
        import_applications(con, data, "no-country.csv", "2017A", by=staff)


def test_a_column_mapped_by_hand(con: db.Connection, staff: User) -> None:
    data = (b"Timestamp,Full name,Email Address,Where I work,Sector,Career stage,Interests\n"
            b"1/9/2017 10:00,Ana Maria,ana.maria@test.example.org,Chile,public,mid,Library spaces\n")
    report = import_applications(con, data, "f.csv", "2017A", by=staff, manual={"Where I work": "country"})
    assert report.imported == 1 and report.mapping["country"] == "Where I work"


def test_a_closed_round_takes_no_applications(con: db.Connection, staff: User) -> None:
    with pytest.raises(WorkbenchError, match="2016A is closed"):
        import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "2016A", by=staff)


def test_a_bad_round_id_is_refused(con: db.Connection, staff: User) -> None:
    with pytest.raises(WorkbenchError, match="not a round id"):
        import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "'; drop table rounds; --", by=staff)


def test_an_import_with_nothing_valid_creates_no_round(con: db.Connection, staff: User) -> None:
    before = counts(con)
    rows = [applicant(1, "Atlantis", dt.datetime(2017, 7, 1))]
    report = import_applications(con, csv_file(rows), "bad.csv", "2017B", by=staff)
    assert report.imported == 0 and report.nothing_imported and not report.round_created
    assert counts(con) == before


def test_report_json_has_the_promised_keys(con: db.Connection, staff: User) -> None:
    report = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff, dry_run=True)
    body = report.as_json()
    assert {"imported", "rejected", "returning", "waitlisted"} <= set(body)
    assert body["rejected"][0] == {"row": 12, "column": "Full name", "value": "", "reason": "The name is missing.",
                                   "fix": "Fill in the name (column 'Full name') and import again."}
    json.dumps(body)  # serialisable as it is


def test_the_rejections_download_has_row_column_value_reason_and_fix(con: db.Connection, staff: User) -> None:
    report = import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "2017B", by=staff, dry_run=True)
    frame = report.rejections_frame()
    assert list(frame.columns) == ["row", "column", "value", "reason", "fix"]
    assert frame["row"].tolist() == [12, 13, 15, 16, 17, 18]  # row 8 applied again: not a rejection


def test_a_dry_run_writes_nothing(con: db.Connection, staff: User) -> None:
    before = counts(con)
    report = import_applications(con, ROUND_FILE.read_bytes(), "f.csv", "2017B", by=staff, dry_run=True)
    assert report.imported == 12 and report.round_created and "would be created" in report.summary()
    assert counts(con) == before


# ---------------------------------------------------------------------------------------------------
# The cap


def test_the_cap_accepts_the_earliest_of_a_country_and_waitlists_the_rest(con: db.Connection, staff: User) -> None:
    # Make room in 2017A first (so nobody is carried over): a 25% cap accepts its waitlisted Australians.
    (version,) = con.execute("SELECT version FROM rounds WHERE round_id = '2017A'").fetchone()  # type: ignore[misc]
    raised = applications.set_country_cap(con, "2017A", 0.25, version=version, by=staff)
    assert raised.accepted == 20 and statuses(con, "2017A").get("waitlisted", 0) == 0

    start = dt.datetime(2017, 7, 1, 9, 0)
    rows = [applicant(100 + i, "Australia", start + dt.timedelta(hours=10 - i)) for i in range(10)]  # newest first
    others = ["Kenya", "Chile", "Japan", "Norway", "Ghana"]
    rows += [applicant(200 + i, others[i % 5], start + dt.timedelta(minutes=i)) for i in range(20)]
    report = import_applications(con, csv_file(rows), "cap.csv", "2017B", by=staff)
    assert report.carried_over == 0
    # 30 applications, a cap of 20% = 6: the six earliest Australians (the file's last six rows) get in.
    assert (report.accepted, report.waitlisted, report.waitlisted_by_country) == (26, 4, {"AUS": 4})
    decided = con.execute(
        "SELECT email, status, status_reason FROM applications WHERE round_id = '2017B' AND country_iso3 = 'AUS' "
        "ORDER BY submitted_at").fetchall()
    assert [s for _, s, _ in decided] == ["accepted"] * 6 + ["waitlisted"] * 4
    assert [e for e, _, _ in decided[:6]] == [f"person{100 + i}@test.example.org" for i in range(9, 3, -1)]
    assert decided[-1][2] == "country above the 20% cap: offered the next round"
    assert db.run_checks(con)["country_over_cap"] == []


def test_more_applications_make_room_for_the_earliest_waitlisted(con: db.Connection, staff: User) -> None:
    waitlisted = con.execute(
        "SELECT application_id FROM applications WHERE round_id = '2017A' AND status = 'waitlisted' "
        "ORDER BY submitted_at, application_id").fetchall()
    rows = [applicant(300 + i, "Brazil", dt.datetime(2017, 2, 1, 9, i)) for i in range(5)]
    report = import_applications(con, csv_file(rows), "more.csv", "2017A", by=staff)
    # 1,188 + 5 live applications: a cap of 238, one more Australian than before.
    assert report.promoted == 1 and "now accepted" in report.summary()
    (status,) = con.execute("SELECT status FROM applications WHERE application_id = ?", waitlisted[0]).fetchone()  # type: ignore[misc]
    assert status == "accepted"
    assert db.run_checks(con)["country_over_cap"] == []


def test_later_applicants_of_a_capped_country_are_waitlisted(con: db.Connection, staff: User) -> None:
    rows = [applicant(400 + i, "AUS", dt.datetime(2017, 2, 26, 10, i)) for i in range(3)]  # after all the others
    report = import_applications(con, csv_file(rows), "late.csv", "2017A", by=staff)
    assert report.waitlisted == 3 and report.waitlisted_by_country == {"AUS": 3}


def test_opening_the_next_round_carries_the_waitlist_over(con: db.Connection, staff: User) -> None:
    waitlisted = con.execute(
        "SELECT person_id, submitted_at FROM applications WHERE round_id = '2017A' AND status = 'waitlisted' "
        "ORDER BY person_id").fetchall()
    opened = applications.open_round(con, "2017B", by=staff, opens_on=dt.date(2017, 7, 3))
    assert (opened.carried_over, opened.carried_from) == (20, "2017A")
    assert "carried over" in opened.summary()
    carried = con.execute(
        "SELECT person_id, submitted_at, status, source FROM applications WHERE round_id = '2017B' ORDER BY person_id"
    ).fetchall()
    assert [(p, s) for p, s, _, _ in carried] == waitlisted  # the same people, keeping their place in line
    assert {(st, src) for _, _, st, src in carried} == {("received", "carried over from 2017A")}
    reasons = con.execute("SELECT DISTINCT status_reason FROM applications WHERE round_id = '2017A' "
                          "AND status = 'waitlisted'").fetchall()
    assert reasons == [("waitlisted by the country cap; carried over to 2017B",)]
    with pytest.raises(WorkbenchError, match="already exists"):
        applications.open_round(con, "2017B", by=staff)

    # The round's first import decides them with the rest, earliest first: 40 + 20 = 60, a cap of 12.
    rows = [applicant(500 + i, ["Kenya", "Chile", "Japan", "Norway"][i % 4], dt.datetime(2017, 7, 5, 9, i))
            for i in range(40)]
    report = import_applications(con, csv_file(rows), "first.csv", "2017B", by=staff)
    assert report.imported == 40 and report.waitlisted == 0
    assert statuses(con, "2017B") == {"accepted": 52, "waitlisted": 8}
    assert db.run_checks(con)["country_over_cap"] == []


# ---------------------------------------------------------------------------------------------------
# Decisions by hand


def application(con: db.Connection, status: str, country: str = "AUS") -> tuple[int, int]:
    found = con.execute(
        "SELECT application_id, version FROM applications WHERE round_id = '2017A' AND status = ? "
        "AND country_iso3 = ? ORDER BY submitted_at LIMIT 1", [status, country]).fetchone()
    assert found is not None
    return int(found[0]), int(found[1])


def test_waitlisting_by_hand_records_the_reason_and_audits(con: db.Connection, users: dict[str, User]) -> None:
    app_id, version = application(con, "accepted", "NGA")
    done = applications.decide(con, app_id, "waitlisted", version=version, reason="asked to join next round",
                               by=users["director"])
    assert done.version == version + 1 and "waitlisted" in done.message
    row = con.execute("SELECT status, status_reason, version FROM applications WHERE application_id = ?",
                      [app_id]).fetchone()
    assert row == ("waitlisted", "asked to join next round", version + 1)
    actor, action, before, after = con.execute(
        "SELECT actor, action, before, after FROM audit_log WHERE entity = 'applications' AND entity_id = ?",
        [str(app_id)]).fetchone()  # type: ignore[misc]
    assert (actor, action) == ("amorgan", "waitlist application")
    assert json.loads(before)["status"] == "accepted"
    assert json.loads(after)["status_reason"] == "asked to join next round"
    # Waitlisted by hand: applying the cap again leaves it alone.
    applications.admit(con, "2017A", by=users["coordinator"])
    assert con.execute("SELECT status FROM applications WHERE application_id = ?", [app_id]).fetchone() == (
        "waitlisted",)


def test_a_stale_decision_is_refused_and_nothing_changes(con: db.Connection, users: dict[str, User]) -> None:
    app_id, version = application(con, "accepted", "NGA")
    applications.decide(con, app_id, "withdrawn", version=version, reason="changed jobs", by=users["director"])
    with pytest.raises(StaleEdit, match="changed by someone else"):
        applications.decide(con, app_id, "waitlisted", version=version, reason="stale", by=users["coordinator"])
    row = con.execute("SELECT status, status_reason FROM applications WHERE application_id = ?", [app_id]).fetchone()
    assert row == ("withdrawn", "changed jobs")


def test_waitlisting_or_withdrawing_needs_a_reason(con: db.Connection, staff: User) -> None:
    app_id, version = application(con, "accepted", "NGA")
    with pytest.raises(WorkbenchError, match="Say why"):
        applications.decide(con, app_id, "withdrawn", version=version, reason="  ", by=staff)


def test_accepting_above_the_cap_is_refused(con: db.Connection, staff: User) -> None:
    app_id, version = application(con, "waitlisted", "AUS")
    with pytest.raises(CapReached, match="Australia already has 237 accepted"):
        applications.decide(con, app_id, "accepted", version=version, reason="", by=staff)
    assert con.execute("SELECT status FROM applications WHERE application_id = ?", [app_id]).fetchone() == (
        "waitlisted",)


def test_the_room_under_the_cap_comes_from_the_macro(con: db.Connection) -> None:
    # 2017A: 1,188 live applications, a cap of 20% = country_cap_limit(0.2, 1188) = 237.
    assert applications.cap_limit(con, 0.2, 1188) == 237
    aus, nga = applications.cap_room(con, "2017A", ["NGA", "AUS", "NGA"])
    assert (aus.country_iso3, aus.live, aus.limit, aus.accepted, aus.admitting, aus.fits) == (
        "AUS", 1188, 237, 237, 1, False)
    assert (nga.country_iso3, nga.limit, nga.accepted, nga.admitting, nga.fits) == ("NGA", 237, 55, 2, True)
    # Accepting a withdrawn application makes the round one larger: 1,189 live, still 237.
    (joining,) = applications.cap_room(con, "2017A", ["AUS"], joining=1)
    assert (joining.live, joining.limit, joining.fits) == (1189, 237, False)
    assert applications.cap_room(con, "2017A", []) == []


def test_a_withdrawal_that_leaves_a_country_above_the_cap_is_named_and_rebalanced(con: db.Connection,
                                                                                  staff: User) -> None:
    for _ in range(5):  # 1,188 -> 1,183 live applications: a cap of 236 for Australia's 237 accepted
        app_id, version = application(con, "accepted", "NGA")
        done = applications.decide(con, app_id, "withdrawn", version=version, reason="left", by=staff)
    assert done.over_cap == ("AUS",) and "Australia now is above the cap" in done.message
    result = applications.admit(con, "2017A", by=staff)
    assert (result.accepted, result.waitlisted) == (0, 1)
    assert applications.over_cap(con, "2017A") == []
    assert db.run_checks(con)["country_over_cap"] == []


def test_decisions_in_a_closed_round_are_refused(con: db.Connection, staff: User) -> None:
    (app_id, version) = con.execute(
        "SELECT application_id, version FROM applications WHERE round_id = '2016A' LIMIT 1").fetchone()  # type: ignore[misc]
    with pytest.raises(WorkbenchError, match="2016A is closed"):
        applications.decide(con, app_id, "withdrawn", version=version, reason="x", by=staff)


def test_changing_the_cap_is_versioned(con: db.Connection, staff: User) -> None:
    (version,) = con.execute("SELECT version FROM rounds WHERE round_id = '2017A'").fetchone()  # type: ignore[misc]
    applications.set_country_cap(con, "2017A", 0.3, version=version, by=staff)
    with pytest.raises(StaleEdit):
        applications.set_country_cap(con, "2017A", 0.1, version=version, by=staff)
    assert con.execute("SELECT country_cap FROM rounds WHERE round_id = '2017A'").fetchone() == (0.3,)
    with pytest.raises(WorkbenchError, match="between 0 and 1"):
        applications.set_country_cap(con, "2017A", 20, version=version + 1, by=staff)


# ---------------------------------------------------------------------------------------------------
# The fixture file, row by row; the same file as XLSX; the library without Streamlit

#: (file row, column as in the file, words of the reason) for each faulty row of round_2017B.csv.
FIXTURE_FAULTS = [
    (12, "Full name", "name is missing"),
    (13, "Email Address", "'broken-at-example.org' is not an email address"),
    (15, "Career stage", "career stage is missing"),
    (16, "Which country do you work in?", "'Atlantis' is not a country"),
    (17, "Which country do you work in?", "it may be Australia (AUS)"),
    (18, "Timestamp", "'yesterday' is not a date"),
]


def test_the_fixture_is_rejected_row_by_row_and_its_good_rows_stored(con: db.Connection, staff: User) -> None:
    report = import_applications(con, ROUND_FILE.read_bytes(), "round_2017B.csv", "2017B", by=staff)
    found = [(r.row, r.column, r.reason) for r in report.rejected]
    assert [(n, c) for n, c, _ in found] == [(n, c) for n, c, _ in FIXTURE_FAULTS]
    for (_, _, reason), (row, _, words) in zip(found, FIXTURE_FAULTS, strict=True):
        assert words in reason, (row, reason)
    assert all(r.fix for r in report.rejected)
    assert [c.value for c in report.country_suggestions] == ["Austrailia"]
    stored = {r[0]: r[1:] for r in con.execute(
        "SELECT name, country_iso3, sector, career_stage, languages, timezone, utc_offset_minutes, partner_sector, "
        "partner_stage, partner_interests FROM applications WHERE round_id = '2017B' AND source LIKE 'import%'"
    ).fetchall()}
    assert stored["Nguyễn Thị Lan"][:4] == ("VNM", "public", "mid", ["Vietnamese", "English"])
    assert stored["Nguyễn Thị Lan"][4:7] == ("Asia/Ho_Chi_Minh", 420, "academic")  # UTC+7: the country's zone
    assert stored["Rhiannon Pryce"][0] == "GBR"  # Wales
    assert stored["Mbuyi Kalala"][0] == "COD"    # DR Congo
    assert stored["Arjun Reddy"][0] == "IND" and stored["Arjun Reddy"][7] == "early"  # Bharat; a partner wish
    assert stored["Lucía Hernández"][1:3] == ("public", "early")
    assert stored["Lucía Hernández"][7:] == ("senior", ["Management and leadership"])
    assert stored["Jonas Weber"][4:6] == ("Europe/Berlin", 60)


def test_the_same_file_as_xlsx(con: db.Connection, staff: User) -> None:
    import openpyxl

    with ROUND_FILE.open(encoding="utf-8", newline="") as handle:
        records = list(csv.reader(handle))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for record in records:
        sheet.append(record)
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_applications(con, buffer.getvalue(), "round_2017B.xlsx", "2017B", by=staff)
    assert (report.imported, report.rejected_rows, report.returning) == (12, [12, 13, 15, 16, 17, 18], 3)
