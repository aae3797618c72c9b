"""Erasure: a person's name, email, free text and notes go everywhere (audit log included), counts stay,
the erasure is logged without the data, and only a director may do it. Retention erases the same way."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tests.disk_support import all_text, found_in, found_in_bytes, previous_checkpoint
from workbench import backups, db, privacy, program
from workbench.access import ROLES, NotAllowed, User, system_user
from workbench.errors import NotFound

ROOT = Path(__file__).resolve().parents[1]
NAME = "Zoë Ñúñez-O'Brien"  # non-ASCII and an apostrophe: the audit log's JSON escapes them
EMAIL = "hannah.murphy@lib9.au.example.org"  # person 3: Pilot, 2013B, 2014A
ANSWER = "Working with my partner in Accra changed how I run story time."
NOTE = "Zoë said her partner moved to Accra; agreed to wait a fortnight."


def _views(con: db.Connection) -> dict[str, list[tuple]]:
    return {v.name: con.execute(f"SELECT * FROM {v.name} ORDER BY ALL").fetchall() for v in db.view_files()}


def _all_text(con: db.Connection) -> str:
    cols = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns AS c JOIN information_schema.tables AS t "
        "USING (table_catalog, table_schema, table_name) WHERE c.table_catalog = current_database() "
        "AND t.table_type = 'BASE TABLE' AND c.data_type LIKE 'VARCHAR%'").fetchall()
    return "\n".join(str(v) for t, c in cols
                     for (v,) in con.execute(f'SELECT "{c}"::VARCHAR FROM {t} WHERE "{c}" IS NOT NULL').fetchall())


@pytest.fixture
def live(writable_db: Path) -> db.Connection:
    """Person 3 renamed to a name JSON escapes, with an answer, a case note, and copies of all three in the
    audit log, in texts about others and in entries about their own rows."""
    con = db.connect(writable_db)
    db.apply_views(con)
    con.execute("UPDATE people SET name = ? WHERE person_id = 3", [NAME])
    con.execute("UPDATE applications SET name = ? WHERE person_id = 3", [NAME])
    apps = [r[0] for r in con.execute("SELECT application_id FROM applications WHERE person_id = 3 "
                                      "ORDER BY application_id").fetchall()]
    survey = con.execute("SELECT survey_id FROM surveys WHERE application_id IN ? AND impact_text IS NOT NULL "
                         "ORDER BY survey_id LIMIT 1", [apps]).fetchone()[0]  # type: ignore[index]
    con.execute("UPDATE surveys SET impact_text = ?, is_cleared = true WHERE survey_id = ?", [ANSWER, survey])
    case, partnership = con.execute(
        "SELECT intervention_id, partnership_id FROM interventions WHERE partnership_id IN (SELECT partnership_id "
        "FROM partnership_members WHERE application_id IN ?)", [apps]).fetchone()  # type: ignore[misc]
    con.execute("UPDATE interventions SET notes = ? WHERE intervention_id = ?", [NOTE, case])
    partner_app = con.execute("SELECT application_id FROM partnership_members WHERE partnership_id = ? AND "
                              "application_id NOT IN ?", [partnership, apps]).fetchone()[0]  # type: ignore[index]
    other_case = con.execute("SELECT min(intervention_id) FROM interventions WHERE intervention_id <> ? AND "
                             "partnership_id <> ?", [case, partnership]).fetchone()[0]  # type: ignore[index]
    con.execute("UPDATE interventions SET notes = ? WHERE intervention_id = ?",
                [f"Asked {NAME} to introduce them to a partner.", other_case])
    run = con.execute("SELECT run_id FROM match_runs WHERE round_id = '2014A'").fetchone()[0]  # type: ignore[index]
    con.execute("INSERT INTO match_unmatched VALUES (?, ?, 'not_placed', ?, 'pair them by hand')",
                [run, partner_app, f"could partner {NAME} (also unmatched) but was not paired in the time limit"])
    # the audit log: their own rows, their case, and entries about others that copy their data
    db.audit(con, actor="amorgan", action="edit application", entity="applications", entity_id=apps[0],
             before={"status": "accepted"}, after={"status": "withdrawn"})
    db.audit(con, actor="amorgan", action="replace survey", entity="surveys", entity_id=survey,
             before={"impact_text": "old"}, after={"impact_text": ANSWER})
    db.audit(con, actor="amorgan", action="case note", entity="interventions", entity_id=case,
             before={"notes": ""}, after={"notes": NOTE})
    db.audit(con, actor="amorgan", action="rematch", entity="partnerships", entity_id=partnership,
             after={"members": [f"{NAME} ({EMAIL.upper()})", "Someone Else"], "quote": ANSWER})
    db.audit(con, actor="amorgan", action="import surveys", entity="rounds", entity_id="2014A",
             after={"imported": 12, "note": "Nothing about anyone"})
    yield con
    con.close()


def test_forget_erases_the_person_everywhere_and_keeps_every_figure(live: db.Connection,
                                                                    users: dict[str, User]) -> None:
    figures = _views(live)
    (people, entries) = live.execute("SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM audit_log)"
                                     ).fetchone()  # type: ignore[misc]
    unrelated = live.execute("SELECT * FROM audit_log WHERE entity = 'rounds'").fetchall()
    text = _all_text(live)
    assert all(x in text for x in (NAME, EMAIL, ANSWER, NOTE, json.dumps(NAME)[1:-1]))

    done = privacy.forget(live, " Hannah.Murphy@lib9.au.example.org ", by=users["director"])

    assert done.person_ids == (3,) and done.applications == 3 and done.surveys == 2 and done.cases == 1
    text = _all_text(live).replace(f"Asked {NAME} to introduce", "")
    for gone in (NAME, json.dumps(NAME)[1:-1], EMAIL, ANSWER, NOTE, "Ñúñez", "\\u00d1\\u00fa\\u00f1ez"):
        assert gone.lower() not in text.lower(), gone
    assert live.execute("SELECT name, email FROM people WHERE person_id = 3").fetchone() == (
        "Erased person", "erased-3@erased.invalid")
    assert live.execute("SELECT DISTINCT name, email FROM applications WHERE person_id = 3").fetchall() == [
        ("Erased person", "erased-3@erased.invalid")]
    assert live.execute("SELECT count(*) FROM surveys JOIN applications USING (application_id) WHERE person_id = 3 "
                        "AND impact_text <> '[erased]'").fetchone() == (0,)
    # texts about others: only the name went
    assert live.execute("SELECT reason FROM match_unmatched").fetchone() == (
        "could partner [erased] (also unmatched) but was not paired in the time limit",)
    # erased by record, never by a search of everything: another partnership's case note is the coordinator's
    assert live.execute("SELECT count(*) FROM interventions WHERE notes = ?",
                        [f"Asked {NAME} to introduce them to a partner."]).fetchone() == (1,)
    # the audit log: entries about their rows are markers; others lose the copies; unrelated ones are as they were
    marked = live.execute("SELECT entity, before, after FROM audit_log WHERE action IN ('edit application', "
                          "'replace survey', 'case note') ORDER BY audit_id").fetchall()
    assert marked == [(e, privacy.ERASED_JSON, privacy.ERASED_JSON) for e in ("applications", "surveys",
                                                                             "interventions")]
    assert json.loads(live.execute("SELECT after FROM audit_log WHERE action = 'rematch'").fetchone()[0]) == {  # type: ignore[index]
        "members": ["[erased] ([erased])", "Someone Else"], "quote": "[erased]"}
    assert live.execute("SELECT * FROM audit_log WHERE entity = 'rounds'").fetchall() == unrelated
    # the erasure is logged, under the director, without the erased data
    log = live.execute("SELECT actor, entity, entity_id, before, after FROM audit_log WHERE action = 'erase person'"
                       ).fetchall()
    assert [row[:4] for row in log] == [("amorgan", "people", "3", None)]
    assert json.loads(log[0][4]) == {"reason": "request", "applications": 3, "surveys": 2, "cases": 1,
                                     "other_texts": 1, "audit_entries": 4}
    # every figure and count is the same, and the data checks still pass
    assert _views(live) == figures
    assert live.execute("SELECT (SELECT count(*) FROM people), (SELECT count(*) FROM audit_log)").fetchone() == (
        people, entries + 1)
    assert all(not rows for rows in db.run_checks(live).values())
    with pytest.raises(NotFound, match="already erased"):
        privacy.forget(live, EMAIL, by=users["director"])


@pytest.mark.parametrize("role", ROLES)
def test_only_a_director_may_erase(live: db.Connection, users: dict[str, User], role: str) -> None:
    if role == "director":
        privacy.forget(live, EMAIL, by=users[role])
        assert live.execute("SELECT name FROM people WHERE person_id = 3").fetchone() == ("Erased person",)
        return
    with pytest.raises(NotAllowed, match="erase"):
        privacy.forget(live, EMAIL, by=users[role])
    with pytest.raises(NotAllowed):
        privacy.find_person(live, EMAIL, by=users[role])
    assert live.execute("SELECT name FROM people WHERE person_id = 3").fetchone() == (NAME,)
    assert live.execute("SELECT count(*) FROM audit_log WHERE action = 'erase person'").fetchone() == (0,)


def test_an_unknown_email_is_said_plainly(live: db.Connection, users: dict[str, User]) -> None:
    with pytest.raises(NotFound, match=r"No participant has the email nobody@example\.org"):
        privacy.forget(live, "Nobody@example.org", by=users["director"])


def test_find_person_describes_who_will_be_erased(live: db.Connection, users: dict[str, User]) -> None:
    person = privacy.find_person(live, EMAIL, by=users["director"])
    assert (person.person_id, person.name, person.rounds, person.applications, person.surveys_with_text,
            person.cases) == (3, NAME, ("Pilot", "2013B", "2014A"), 3, 2, 1)


# --- retention ---------------------------------------------------------------------------------


def test_retention_erases_everyone_whose_rounds_all_closed_long_ago(live: db.Connection,
                                                                    users: dict[str, User]) -> None:
    director = users["director"]
    assert privacy.apply_retention(live, by=director, today=dt.date(2020, 1, 1)).due.empty  # no period: keep
    program.set_setting(live, "retention_years", 5, by=director)
    figures = _views(live)
    listed = privacy.apply_retention(live, by=director, today=dt.date(2020, 1, 1), dry_run=True)
    assert listed.cutoff == dt.date(2015, 1, 1) and listed.erasure is None
    # independently: people whose every application is in a closed round that ended before 2015
    expected = [r[0] for r in live.execute(
        "SELECT a.person_id FROM applications AS a JOIN rounds AS r USING (round_id) GROUP BY a.person_id "
        "HAVING bool_and(r.status = 'closed' AND r.ends_on < DATE '2015-01-01') ORDER BY 1").fetchall()]
    assert list(listed.due["person_id"]) == expected and len(expected) == 967
    assert 3 in expected
    assert live.execute("SELECT count(*) FROM people WHERE email LIKE 'erased-%'").fetchone() == (0,)  # dry run

    done = privacy.apply_retention(live, by=director, today=dt.date(2020, 1, 1))
    assert done.erasure is not None and done.erasure.person_ids == tuple(expected)
    assert live.execute("SELECT list(person_id ORDER BY person_id) FROM people WHERE name = 'Erased person'"
                        ).fetchone() == (expected,)
    assert NAME.lower() not in _all_text(live).lower()
    assert _views(live) == figures
    assert live.execute("SELECT count(*), count(DISTINCT entity_id) FROM audit_log WHERE action = 'erase person' "
                        "AND after LIKE '%retention%'").fetchone() == (967, 967)
    assert all(not rows for rows in db.run_checks(live).values())
    # a person with a round after the cutoff keeps their data; nobody is due twice
    assert live.execute("SELECT count(*) FROM people WHERE name <> 'Erased person'").fetchone() == (5378 - 967,)
    assert privacy.apply_retention(live, by=director, today=dt.date(2020, 1, 1)).due.empty


@pytest.mark.parametrize("role", ROLES)
def test_only_a_director_applies_retention(live: db.Connection, users: dict[str, User], role: str) -> None:
    program.set_setting(live, "retention_years", 5, by=users["director"])
    if role == "director":
        assert len(privacy.apply_retention(live, by=users[role], today=dt.date(2020, 1, 1)).due) == 967
        return
    with pytest.raises(NotAllowed):
        privacy.apply_retention(live, by=users[role], today=dt.date(2020, 1, 1))
    with pytest.raises(NotAllowed):
        privacy.retention_due(live, by=users[role])
    assert live.execute("SELECT count(*) FROM people WHERE name = 'Erased person'").fetchone() == (0,)


# --- the commands -------------------------------------------------------------------------------


def _cli(db_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_cli([*args, "--db", str(db_path)], stdin=stdin)


def _name(db_path: Path, *, read_only: bool = True) -> str:
    con = db.connect(db_path, read_only=read_only)
    try:
        return con.execute("SELECT name FROM people WHERE person_id = 3").fetchone()[0]  # type: ignore[index]
    finally:
        con.close()


def test_workbench_forget_asks_first(writable_db: Path) -> None:
    no = _cli(writable_db, "forget", EMAIL, stdin="n\n")
    assert no.returncode == 1 and "Hannah Murphy" in no.stdout and "Nothing was erased" in no.stdout
    assert _name(writable_db) == "Hannah Murphy"
    yes = _cli(writable_db, "forget", EMAIL, stdin="y\n")
    assert yes.returncode == 0, yes.stderr
    assert "Erased the personal data of person 3" in yes.stdout
    assert _name(writable_db) == "Erased person"
    again = _cli(writable_db, "forget", EMAIL, "--yes")
    assert again.returncode == 1 and "No participant has the email" in again.stderr


def test_workbench_forget_yes_does_not_ask(writable_db: Path) -> None:
    done = _cli(writable_db, "forget", EMAIL, "--yes")
    assert done.returncode == 0, done.stderr
    assert "Erase?" not in done.stdout and _name(writable_db) == "Erased person"


def test_workbench_retention_set_and_apply(writable_db: Path) -> None:
    assert "kept" in _cli(writable_db, "retention", "show").stdout
    assert _cli(writable_db, "retention", "set", "0").returncode == 1  # at least a year
    assert _cli(writable_db, "retention", "set", "5").returncode == 0
    dry = _cli(writable_db, "retention", "apply", "--dry-run", "--today", "2020-01-01", "--json")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)
    assert listed["years"] == 5 and listed["closed_before"] == "2015-01-01" and len(listed["people"]) == 967
    assert listed["people"][0]["person_id"] == 3 and listed["people"][0]["rounds"] == ["Pilot", "2013B", "2014A"]
    assert _name(writable_db) == "Hannah Murphy"
    applied = _cli(writable_db, "retention", "apply", "--today", "2020-01-01")
    assert applied.returncode == 0 and "Erased the personal data of 967 people" in applied.stdout
    assert _name(writable_db) == "Erased person"


# --- the Personal data page -----------------------------------------------------------------------


def test_a_director_erases_a_person_and_sets_retention_on_the_page(app_env: Path) -> None:
    from tests.app_support import app_as

    con = db.connect(app_env)
    con.execute("UPDATE people SET name = ? WHERE person_id = 3", [NAME])  # a name no one else has
    con.execute("UPDATE applications SET name = ? WHERE person_id = 3", [NAME])
    con.execute("CHECKPOINT")
    # made before: it will still hold her
    dated, _ = backups.keep_dated(con, app_env.parent / "backups", 3, by=system_user("backup keeper"))
    con.close()
    at = app_as("director", "pages/privacy.py")
    assert at.title[0].value == "Personal data"
    assert any("no retention period is set" in m.value for m in at.markdown)
    at.text_input(key="erase_email").input(EMAIL).run()
    assert any(f"{NAME} <hannah.murphy@lib9.au.example.org> (person 3)" in t.value for t in at.text)
    held = at.dataframe[0].value
    assert held["file"].tolist() == [str(dated)] and held["kind"].tolist() == ["dated backup"]
    assert at.button(key="erase_person").disabled  # not before the confirmation
    at.checkbox(key="erase_sure").check().run()
    at.button(key="erase_person").click().run()
    assert not at.exception, at.exception
    done = [s.value for s in at.success if "Erased the personal data of person 3" in s.value]
    assert done and "The database file was rewritten" in done[0]
    assert "1 other copy" in done[0] or "1 dated backup(s)" in done[0]
    assert _name(app_env, read_only=False) == "Erased person"  # the app holds the file open read-write
    # the app's file was rewritten under it: nothing of her in its previous checkpoint or its bytes
    copy = app_env.parent / "now.duckdb"
    shutil.copy(app_env, copy)
    older = previous_checkpoint(copy, app_env.parent / "older.duckdb")
    gone = {NAME, EMAIL}
    assert found_in(all_text(copy), gone) == set()
    assert older is None or found_in(all_text(older), gone) == set()
    assert found_in_bytes(app_env, {NAME}) == set()

    at.number_input(key="retention_years").set_value(5)
    submit = [b for b in at.button if b.label == "Save the retention period"]
    submit[0].click().run()
    assert not at.exception, at.exception
    assert any("Retention set to 5 years" in s.value for s in at.success)
    assert any("would be erased" in m.value for m in at.markdown)  # what apply would erase, listed


def test_the_page_refuses_a_coordinator(app_env: Path, users: dict[str, User]) -> None:
    from streamlit.testing.v1 import AppTest

    from workbench.ui.auth import USER_KEY

    at = AppTest.from_file(str(ROOT / "pages" / "privacy.py"), default_timeout=60)
    at.session_state[USER_KEY] = "tortega"
    at.run()
    assert any("may not erase a person's data" in e.value for e in at.error)
    assert not at.text_input
