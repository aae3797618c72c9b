"""Who is who across rounds, afterwards (issue 18): every address a person used, messages to the latest, merge and
split (audited, undone) moving the returning figures and the no-repeat rule's past partners, and a carried-over
waitlisted applicant who applies again under a new address being one application."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import db, matchstore, privacy, reports
from workbench.access import NotAllowed, User
from workbench.applications import import_applications
from workbench.applications.rounds import open_round
from workbench.cli import main
from workbench.errors import WorkbenchError
from workbench.messages import introductions
from workbench.people import identity

HEADER = ("Timestamp,Full name,Email Address,Which country do you work in?,Library sector,Career stage,"
          "Areas of interest,Languages you can work in,Time zone\n")


@pytest.fixture(scope="module")
def trained(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample (with the linking model it ships) and its views, once for the module."""
    path = tmp_path_factory.mktemp("identity") / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    con = db.connect(path)
    try:
        db.apply_views(con)
    finally:
        con.close()
    return path


@pytest.fixture
def live(trained: Path, tmp_path: Path) -> Iterator[db.Connection]:
    target = tmp_path / "workbench.duckdb"
    shutil.copy(trained, target)
    con = db.connect(target)
    yield con
    con.close()


def _returning_applicants(con: db.Connection, round_id: str) -> int:
    (n,) = con.execute("SELECT returning_applicants FROM returning_participants WHERE round_id = ?",
                       [round_id]).fetchone()  # type: ignore[misc]
    return int(n)


def _applicant(con: db.Connection, round_id: str, person_id: int, user: User) -> matchstore.m.Applicant:
    pool = matchstore.load_pool(con, round_id, by=user)
    return next(a for a in pool.applicants if a.person_id == person_id)


def test_every_person_has_their_address_and_the_checks_hold(con: db.Connection) -> None:
    assert con.execute("SELECT count(*), count(DISTINCT person_id) FROM person_addresses").fetchone() == (5378, 5378)
    assert con.execute("SELECT count(*) FROM people AS p JOIN person_addresses AS a USING (person_id, email)"
                       ).fetchone() == (5378,)
    checks = db.run_checks(con)
    assert {k: checks[k] for k in ("applications_without_person", "person_twice_in_round",
                                   "person_addresses_match_people")} == {
        "applications_without_person": [], "person_twice_in_round": [], "person_addresses_match_people": []}


def test_a_new_address_is_kept_and_messages_go_to_the_latest(live: db.Connection, users: dict[str, User]) -> None:
    members = introductions.published_partnerships(live, "2016B", by=users["director"])
    first = members.iloc[0]
    (person, old) = live.execute("SELECT a.person_id, p.email FROM applications AS a JOIN people AS p "
                                 "USING (person_id) WHERE application_id = ?",
                                 [int(first["application_id"])]).fetchone()  # type: ignore[misc]
    with db.transaction(live):
        # an older address they used once: kept, but not where messages go
        assert identity.add_address(live, person, "Once.Used@Old.Example.org", seen_at=dt.datetime(2001, 1, 1),
                                    source="test") is False
        assert identity.add_address(live, person, "  New.Home@Library.Example.org ", seen_at=dt.datetime(2030, 1, 1),
                                    source="test") is True
    record = identity.person_record(live, person, by=users["coordinator"])
    assert record.email == "new.home@library.example.org"
    assert list(record.addresses["email"]) == ["new.home@library.example.org", old, "once.used@old.example.org"]
    assert list(record.addresses["is_latest"]) == [True, False, False]
    again = introductions.published_partnerships(live, "2016B", by=users["director"])
    assert again.loc[again["application_id"] == first["application_id"], "email"].tolist() == [
        "new.home@library.example.org"]
    other = int(live.execute("SELECT min(person_id) FROM people WHERE person_id <> ?", [person]).fetchone()[0])  # type: ignore[index]
    with pytest.raises(WorkbenchError, match="belongs to one person"), db.transaction(live):
        identity.add_address(live, other, "new.home@library.example.org", seen_at=dt.datetime(2031, 1, 1),
                             source="test")
    found = identity.find_people(live, "once.used@old", by=users["coordinator"])
    assert list(found["person_id"]) == [person]
    assert identity.find_people(live, "once.used@old", by=users["country"]).empty != (
        record.applications["country_iso3"].isin(users["country"].countries).any())
    with pytest.raises(NotAllowed):
        identity.person_record(live, person, by=users["analyst"])


def test_merge_moves_the_returning_figures_and_the_past_partners_and_undo_puts_them_back(
        live: db.Connection, users: dict[str, User]) -> None:
    director, coordinator = users["director"], users["coordinator"]
    # X: new in 2017A (accepted there, no earlier round); Z: partnered in 2016B, not in 2017A
    (x,) = live.execute(
        """SELECT a.person_id FROM applications AS a WHERE a.round_id = '2017A' AND a.status = 'accepted'
           AND (SELECT count(*) FROM applications AS b WHERE b.person_id = a.person_id) = 1
           ORDER BY a.person_id LIMIT 1""").fetchone()  # type: ignore[misc]
    (z,) = live.execute(
        """SELECT min(person_id) FROM participants WHERE round_id = '2016B'
           AND person_id NOT IN (SELECT person_id FROM applications WHERE round_id = '2017A')""").fetchone()  # type: ignore[misc]
    (partners,) = live.execute(
        """SELECT list(DISTINCT y.person_id) FROM participants AS x JOIN participants AS y
           ON y.partnership_id = x.partnership_id AND y.person_id <> x.person_id WHERE x.person_id = ?""",
        [z]).fetchone()  # type: ignore[misc]
    assert partners
    before = _returning_applicants(live, "2017A")
    glance = reports.round_glance(live, "2017A")
    (people,) = live.execute("SELECT count(*) FROM people").fetchone()  # type: ignore[misc]
    assert _applicant(live, "2017A", x, coordinator).past_partners == frozenset()

    with pytest.raises(NotAllowed):
        identity.merge_people(live, x, z, by=users["analyst"])
    merged = identity.merge_people(live, x, z, by=coordinator)
    assert _returning_applicants(live, "2017A") == before + 1
    assert reports.round_glance(live, "2017A").returning_applicant_share > glance.returning_applicant_share  # type: ignore[operator]
    assert live.execute("SELECT count(*) FROM people").fetchone() == (people - 1,)
    assert _applicant(live, "2017A", x, coordinator).past_partners == frozenset(partners)
    assert live.execute("SELECT count(*) FROM people WHERE person_id = ?", [z]).fetchone() == (0,)
    record = identity.person_record(live, x, by=director)
    assert {"2016B", "2017A"} <= set(record.applications["round_id"]) and len(record.addresses) == 2
    assert "merge people" in {r[0] for r in live.execute(
        "SELECT action FROM audit_log WHERE audit_id = ?", [merged.audit_id]).fetchall()}
    assert f"workbench people undo {merged.audit_id}" in merged.summary()

    assert identity.changes_of(live, x, by=coordinator)["audit_id"].tolist() == [merged.audit_id]
    undone = identity.undo_change(live, merged.audit_id, by=coordinator)
    assert identity.changes_of(live, x, by=coordinator).empty
    assert undone.kind == "undo merge"
    assert _returning_applicants(live, "2017A") == before
    assert _applicant(live, "2017A", x, coordinator).past_partners == frozenset()
    assert live.execute("SELECT count(*) FROM people").fetchone() == (people,)
    with pytest.raises(WorkbenchError, match="undone already"):
        identity.undo_change(live, merged.audit_id, by=coordinator)
    with pytest.raises(WorkbenchError, match=f"Application 1 is not person {x}'s"):
        identity.split_person(live, x, 1, by=coordinator)

    # split: the merge again, then the 2017A application split off to a new person, and that undone
    identity.merge_people(live, z, x, by=coordinator)
    (app,) = live.execute("SELECT application_id FROM applications WHERE round_id = '2017A' AND person_id = ?",
                          [z]).fetchone()  # type: ignore[misc]
    assert _returning_applicants(live, "2017A") == before + 1
    split = identity.split_person(live, z, app, by=coordinator)
    assert _returning_applicants(live, "2017A") == before
    assert _applicant(live, "2017A", split.person_id, coordinator).past_partners == frozenset()
    identity.undo_change(live, split.audit_id, by=coordinator)
    assert _returning_applicants(live, "2017A") == before + 1
    assert _applicant(live, "2017A", z, coordinator).past_partners == frozenset(partners)
    assert all(not rows for rows in db.run_checks(live).values())


def test_erasing_a_merged_person_reaches_the_merge_and_every_address(live: db.Connection,
                                                                      users: dict[str, User]) -> None:
    a, b = live.execute("SELECT min(person_id), max(person_id) FROM applications WHERE round_id = '2017A' AND "
                        "person_id NOT IN (SELECT person_id FROM applications WHERE round_id <> '2017A')"
                        ).fetchone()  # type: ignore[misc]
    (b_email,) = live.execute("SELECT email FROM people WHERE person_id = ?", [b]).fetchone()  # type: ignore[misc]
    merged = identity.merge_people(live, a, b, by=users["coordinator"])
    (older,) = live.execute("SELECT email FROM person_addresses WHERE person_id = $a AND email <> (SELECT email "
                            "FROM people WHERE person_id = $a)", {"a": a}).fetchone()  # type: ignore[misc]
    assert privacy.find_person(live, older, by=users["director"]).person_id == a  # by any address they used
    privacy.forget(live, older.upper(), by=users["director"])
    assert live.execute("SELECT count(*) FROM person_addresses WHERE person_id = ?", [a]).fetchone() == (0,)
    (before, after) = live.execute("SELECT before, after FROM audit_log WHERE audit_id = ?",
                                   [merged.audit_id]).fetchone()  # type: ignore[misc]
    assert b_email not in before and json.loads(before) == json.loads(after) == {"erased": True}
    with pytest.raises(WorkbenchError, match="erased since"):
        identity.undo_change(live, merged.audit_id, by=users["coordinator"])


def test_two_partners_of_one_round_cannot_be_merged(live: db.Connection, users: dict[str, User]) -> None:
    a, b = live.execute("SELECT x.person_id, y.person_id FROM participants AS x JOIN participants AS y "
                        "ON y.partnership_id = x.partnership_id AND y.person_id > x.person_id WHERE x.round_id = "
                        "'2016B' ORDER BY 1 LIMIT 1").fetchone()  # type: ignore[misc]
    with pytest.raises(WorkbenchError, match="both took part in round 2016B"):
        identity.merge_people(live, a, b, by=users["coordinator"])
    assert live.execute("SELECT count(*) FROM people WHERE person_id IN (?, ?)", [a, b]).fetchone() == (2,)


def _waitlisted(con: db.Connection) -> tuple[int, int, str, str, str]:
    row = con.execute(
        """SELECT a.person_id, a.application_id, a.name, c.name, a.sector FROM applications AS a
           JOIN countries AS c ON c.iso3 = a.country_iso3
           WHERE a.round_id = '2017A' AND a.status = 'waitlisted' ORDER BY a.application_id LIMIT 1""").fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4])


def _again(name: str, country: str, email: str) -> bytes:
    return (HEADER + f"7/3/2017 09:12:40,{name},{email},{country},Special,Senior,Library spaces,English,\n").encode()


@pytest.mark.parametrize("opened_first", [False, True], ids=["round created by the import", "round opened first"])
def test_a_carried_over_applicant_who_applies_again_is_one_application(
        live: db.Connection, users: dict[str, User], opened_first: bool) -> None:
    person, _, name, country, sector = _waitlisted(live)
    assert sector != "special"
    new_email = "brand.new.address@elsewhere.example.org"
    if opened_first:
        opened = open_round(live, "2017B", by=users["coordinator"], opens_on=dt.date(2017, 7, 1))
        assert opened.carried_over == 20
        (carried_id,) = live.execute("SELECT application_id FROM applications WHERE round_id = '2017B' "
                                     "AND person_id = ?", [person]).fetchone()  # type: ignore[misc]
    report = import_applications(live, _again(name, country, new_email), "again.csv", "2017B",
                                 by=users["coordinator"], confirmed_people={new_email: person})
    assert report.rejected == [] and report.already_applied == []
    rows = live.execute("SELECT application_id, email, sector, career_stage FROM applications "
                        "WHERE round_id = '2017B' AND person_id = ?", [person]).fetchall()
    assert [(r[1], r[2], r[3]) for r in rows] == [(new_email, "special", "senior")]
    if opened_first:
        assert rows[0][0] == carried_id  # the carried application, with the new answers
    assert live.execute("SELECT count(*), count(DISTINCT person_id) FROM applications WHERE round_id = '2017B'"
                        ).fetchone() == (20, 20)
    assert live.execute("SELECT email FROM people WHERE person_id = ?", [person]).fetchone() == (new_email,)
    assert len(identity.person_record(live, person, by=users["director"]).addresses) == 2
    assert all(not rows for rows in db.run_checks(live).values())


@pytest.mark.parametrize("opened_first", [False, True], ids=["round created by the import", "round opened first"])
def test_a_carried_over_applicant_who_applies_again_at_the_same_address_is_one_application(
        live: db.Connection, users: dict[str, User], opened_first: bool) -> None:
    person, _, name, country, _ = _waitlisted(live)
    (email,) = live.execute("SELECT email FROM people WHERE person_id = ?", [person]).fetchone()  # type: ignore[misc]
    if opened_first:
        open_round(live, "2017B", by=users["coordinator"], opens_on=dt.date(2017, 7, 1))
    report = import_applications(live, _again(name, country, email), "again.csv", "2017B", by=users["coordinator"])
    assert report.rejected == [] and report.already_applied == []
    assert live.execute("SELECT sector, career_stage FROM applications WHERE round_id = '2017B' AND person_id = ?",
                        [person]).fetchall() == [("special", "senior")]
    assert live.execute("SELECT count(*), count(DISTINCT person_id) FROM applications WHERE round_id = '2017B'"
                        ).fetchone() == (20, 20)


def test_a_later_submission_in_a_later_file_replaces_the_answers_and_the_same_file_again_adds_nothing(
        live: db.Connection, users: dict[str, User]) -> None:
    coordinator = users["coordinator"]
    person, _, name, country, _ = _waitlisted(live)
    (email,) = live.execute("SELECT email FROM people WHERE person_id = ?", [person]).fetchone()  # type: ignore[misc]
    open_round(live, "2017B", by=coordinator, opens_on=dt.date(2017, 7, 1))
    first = (HEADER + f"7/3/2017 09:12:40,{name},{email},{country},Special,Senior,Library spaces,English,\n").encode()
    import_applications(live, first, "first.csv", "2017B", by=coordinator)
    (application, version) = live.execute("SELECT application_id, version FROM applications WHERE round_id = '2017B' "
                                          "AND person_id = ?", [person]).fetchone()  # type: ignore[misc]
    again = import_applications(live, first, "first.csv", "2017B", by=coordinator)
    assert again.imported == 0 and [r.row for r in again.already_applied] == [2]
    assert "the application in the round is kept" in again.already_applied[0].fix
    later = (HEADER + f"7/9/2017 18:00:00,{name},{email},{country},Academic,Early career,Library spaces,English,"
             "\n").encode()
    report = import_applications(live, later, "later.csv", "2017B", by=coordinator)
    assert report.rejected == [] and report.already_applied == [] and report.imported == 0
    assert report.applied_again == [2] and "applied again" in report.summary()
    assert live.execute("SELECT application_id, sector, career_stage, version FROM applications "
                        "WHERE round_id = '2017B' AND person_id = ?", [person]).fetchall() == [
        (application, "academic", "early", version + 1)]
    report = import_applications(live, first, "first.csv", "2017B", by=coordinator)  # an earlier submission: stays
    assert report.imported == 0 and [r.row for r in report.already_applied] == [2]
    assert live.execute("SELECT sector FROM applications WHERE application_id = ?", [application]).fetchone() == (
        "academic",)
    assert all(not rows for rows in db.run_checks(live).values())


def test_the_command_line_merges_splits_and_undoes(trained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "workbench.duckdb"
    shutil.copy(trained, path)
    monkeypatch.setenv("WORKBENCH_SNAPSHOT", str(tmp_path / "analytics.duckdb"))
    monkeypatch.setenv("WORKBENCH_BACKUP_DIR", str(tmp_path / "backups"))
    con = db.connect(path)
    a, b = con.execute("SELECT min(person_id), max(person_id) FROM applications WHERE round_id = 'Pilot'"
                       ).fetchone()  # type: ignore[misc]
    (lone,) = con.execute("SELECT min(person_id) FROM applications WHERE round_id = '2017A' AND person_id NOT IN "
                          "(SELECT person_id FROM applications WHERE round_id <> '2017A')").fetchone()  # type: ignore[misc]
    con.close()

    def cli(*args: str) -> tuple[int, str, str]:
        code = main(["people", *args, "--db", str(path)])
        out = capsys.readouterr()
        return code, out.out, out.err

    code, _, err = cli("merge", str(a), str(b))
    assert code == 1 and "one person cannot take part twice in a round" in err
    code, out, _ = cli("merge", str(a), str(lone), "--json")
    assert code == 0, out
    merged = json.loads(out)
    assert merged["kind"] == "merge" and merged["person_id"] == a
    code, out, _ = cli("show", str(a), "--json")
    assert "2017A" in {r["round_id"] for r in json.loads(out)["applications"]}
    code, out, _ = cli("undo", str(merged["audit_id"]))
    assert code == 0 and f"person {lone} and person {a} are as they were" in out
    code, _, err = cli("undo", str(merged["audit_id"]))
    assert code == 1 and "undone already" in err


def test_merging_two_applications_of_one_round_keeps_the_latest_and_undo_restores_both(
        live: db.Connection, users: dict[str, User]) -> None:
    coordinator = users["coordinator"]
    person, _, name, country, _ = _waitlisted(live)
    open_round(live, "2017B", by=coordinator, opens_on=dt.date(2017, 7, 1))
    new_email = "another.address@elsewhere.example.org"
    import_applications(live, _again(name, country, new_email), "again.csv", "2017B", by=coordinator, link="none")
    (carried, status) = live.execute("SELECT application_id, status FROM applications WHERE round_id = '2017B' "
                                     "AND person_id = ?", [person]).fetchone()  # type: ignore[misc]
    (newcomer, later, later_status) = live.execute(
        "SELECT person_id, application_id, status FROM applications WHERE email = ?", [new_email]).fetchone()  # type: ignore[misc]
    assert newcomer != person
    merged = identity.merge_people(live, person, newcomer, by=coordinator)
    assert merged.withdrawn == (carried,)
    assert live.execute("SELECT application_id, status FROM applications WHERE round_id = '2017B' AND person_id = ? "
                        "ORDER BY application_id", [person]).fetchall() == [(carried, "withdrawn"),
                                                                            (later, later_status)]
    assert db.run_checks(live)["person_twice_in_round"] == []
    assert live.execute("SELECT email FROM people WHERE person_id = ?", [person]).fetchone() == (new_email,)
    identity.undo_change(live, merged.audit_id, by=coordinator)
    assert live.execute("SELECT person_id, status FROM applications WHERE application_id IN (?, ?) "
                        "ORDER BY application_id", [carried, later]).fetchall() == [(person, status),
                                                                                   (newcomer, later_status)]
    assert all(not rows for rows in db.run_checks(live).values())


def test_merging_a_participant_moves_the_overviews_returning_share(live: db.Connection, users: dict[str, User]) -> None:
    """A 2016B participant new that round, merged with a 2015A participant: 2016B's returning participants (the
    Overview's "Returning") count them."""
    (newcomer,) = live.execute(
        """SELECT min(person_id) FROM participants AS p WHERE round_id = '2016B' AND NOT is_returning
           AND (SELECT count(*) FROM applications AS a WHERE a.person_id = p.person_id) = 1""").fetchone()  # type: ignore[misc]
    (earlier,) = live.execute(
        """SELECT min(person_id) FROM participants WHERE round_id = '2015A' AND person_id NOT IN
           (SELECT person_id FROM applications WHERE round_id >= '2015B')""").fetchone()  # type: ignore[misc]
    before = reports.round_glance(live, "2016B")
    (returning,) = live.execute("SELECT returning_participants FROM returning_participants WHERE round_id = '2016B'"
                                ).fetchone()  # type: ignore[misc]
    identity.merge_people(live, earlier, newcomer, by=users["coordinator"])
    assert live.execute("SELECT returning_participants FROM returning_participants WHERE round_id = '2016B'"
                        ).fetchone() == (returning + 1,)
    assert reports.round_glance(live, "2016B").returning_share > before.returning_share  # type: ignore[operator]
