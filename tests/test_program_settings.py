"""The program's settings: defaults, typed values, a director's audited and versioned changes."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from workbench import db, migrations, program, snapshots
from workbench.access import ROLES, NotAllowed, User
from workbench.errors import NotFound, StaleEdit


@pytest.fixture
def live(writable_db: Path) -> db.Connection:
    con = db.connect(writable_db)
    yield con
    con.close()


def test_a_setting_never_changed_has_its_default(live: db.Connection) -> None:
    assert program.get_setting(live, "retention_years") is None
    assert program.retention_years(live) is None
    assert program.setting_version(live, "retention_years") == 0
    assert live.execute("SELECT count(*) FROM settings").fetchone() == (0,)
    with pytest.raises(NotFound, match="retention_years"):
        program.get_setting(live, "colour_scheme")


def test_a_change_is_stored_typed_versioned_and_audited(live: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    assert program.set_setting(live, "retention_years", "7", by=director) == 7
    assert program.retention_years(live) == 7 and program.setting_version(live, "retention_years") == 1
    assert program.set_setting(live, "retention_years", 3, by=director, version=1) == 3
    assert live.execute("SELECT value, version, updated_by FROM settings").fetchall() == [("3", 2, "amorgan")]
    entries = live.execute("SELECT actor, action, entity, entity_id, before, after FROM audit_log ORDER BY audit_id"
                           ).fetchall()
    assert [(a, act, e, i, json.loads(b), json.loads(af)) for a, act, e, i, b, af in entries] == [
        ("amorgan", "change setting", "settings", "retention_years", {"retention_years": None},
         {"retention_years": 7}),
        ("amorgan", "change setting", "settings", "retention_years", {"retention_years": 7},
         {"retention_years": 3}),
    ]
    with pytest.raises(StaleEdit, match="changed by someone else"):
        program.set_setting(live, "retention_years", 4, by=director, version=1)
    assert program.retention_years(live) == 3
    assert program.set_setting(live, "retention_years", "none", by=director) is None
    assert program.retention_years(live) is None
    listed = {s["key"]: s for s in program.all_settings(live)}
    assert listed["retention_years"]["value"] is None and listed["retention_years"]["version"] == 3


@pytest.mark.parametrize("value", [0, -1, 101, "abc", True, 2.5])
def test_a_retention_period_must_be_whole_years(live: db.Connection, users: dict[str, User], value: object) -> None:
    with pytest.raises(program.SettingError, match="years"):
        program.set_setting(live, "retention_years", value, by=users["director"])
    assert live.execute("SELECT count(*) FROM settings").fetchone() == (0,)


@pytest.mark.parametrize("role", ROLES)
def test_only_a_director_changes_settings(live: db.Connection, users: dict[str, User], role: str) -> None:
    if role == "director":
        program.set_setting(live, "retention_years", 5, by=users[role])
        assert program.retention_years(live) == 5
        return
    with pytest.raises(NotAllowed, match="change the program's settings"):
        program.set_setting(live, "retention_years", 5, by=users[role])
    assert program.retention_years(live) is None
    assert live.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)


def test_settings_travel_with_backups_and_snapshots(live: db.Connection, users: dict[str, User],
                                                   tmp_path: Path) -> None:
    program.set_setting(live, "retention_years", 6, by=users["director"])
    snap = db.connect(snapshots.publish_snapshot(live, tmp_path / "analytics.duckdb"), read_only=True)
    assert program.retention_years(snap) == 6
    snap.close()


def test_schema_step_5_adds_the_settings_table() -> None:
    step = migrations.STEPS[3]
    assert step.version == 5 and "settings" in step.description
    assert "settings" in db.TABLE_ORDER


# --- the program's own settings (issue 11) ------------------------------------------------------------------


@pytest.mark.parametrize(("key", "value", "message"), [
    ("program_name", "  ", "cannot be blank"),
    ("program_name", "x" * 121, "at most 120 characters"),
    ("languages", "", "at least one language"),
    ("languages", "Frnch, English", "'Frnch' is not one of the program's working languages. Did you mean French?"),
    ("languages", "French, french", "French is listed twice"),
    ("languages", "Klingon", "`workbench vocab add language Klingon`"),
    ("country_cap", "0", "more than 0 and at most 1"),
    ("country_cap", "150%", "more than 0 and at most 1"),
    ("country_cap", "a fifth", "a share such as 0.2 or 20%"),
    ("round_weeks", "3", "between 4 and 52 weeks"),
    ("round_weeks", "four months", "whole number of weeks"),
    ("topic_cadence_days", "40", "between 7 and 31 days"),
    ("cross_border", "nation", "country (partners live in different countries); region"),
    ("survey_form_link", "forms.example.org", "starting with https://"),
    ("reply_to", "coordinators at example", "an email address such as"),
    ("unsubscribe_address", "nobody", "an email address such as"),
])
def test_a_bad_program_setting_is_refused_with_what_is_allowed(live: db.Connection, users: dict[str, User],
                                                               key: str, value: str, message: str) -> None:
    with pytest.raises(program.SettingError) as refused:
        program.set_setting(live, key, value, by=users["director"])
    assert message in str(refused.value)
    assert live.execute("SELECT count(*) FROM settings").fetchone() == (0,)


def test_program_settings_are_normalised(live: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    assert program.set_setting(live, "languages", " french ,ENGLISH", by=director) == "French, English"
    assert program.set_setting(live, "country_cap", "25%", by=director) == 0.25
    assert program.set_setting(live, "country_cap", 1, by=director) == 1.0
    assert program.set_setting(live, "cross_border", "Organization", by=director) == "organisation"
    assert program.set_setting(live, "round_weeks", "12", by=director) == 12
    assert program.set_setting(live, "reply_to", "Coordinators <team@program.example.org>", by=director) == (
        "Coordinators <team@program.example.org>")
    assert program.set_setting(live, "unsubscribe_address", "https://program.example.org/leave", by=director)
    assert program.set_setting(live, "survey_form_link", "", by=director) is None


def test_the_language_setting_is_what_the_messages_read(live: db.Connection, users: dict[str, User]) -> None:
    from workbench.messages import templates

    assert templates.program_languages(live) == ["English"]
    program.set_setting(live, "languages", "Spanish, French", by=users["director"])
    assert templates.program_languages(live) == ["Spanish", "French"]
    choice = templates.choose_language([["French", "Spanish", "English"], ["French", "Spanish"]],
                                       templates.program_languages(live))
    assert choice.language == "Spanish"


def test_new_rounds_take_the_cap_length_and_cadence(live: db.Connection, users: dict[str, User]) -> None:
    import datetime as dt

    from workbench import applications
    from workbench.followup import topics

    director = users["director"]
    applications.open_round(live, "2018A", by=director, opens_on=dt.date(2018, 1, 8))
    assert live.execute("SELECT country_cap, starts_on, ends_on FROM rounds WHERE round_id = '2018A'").fetchone() == (
        0.2, dt.date(2018, 2, 26), dt.date(2018, 6, 18))  # seven weeks to start, sixteen running
    program.set_setting(live, "country_cap", "35%", by=director)
    program.set_setting(live, "round_weeks", 10, by=director)
    program.set_setting(live, "topic_cadence_days", 7, by=director)
    applications.open_round(live, "2018B", by=director, opens_on=dt.date(2018, 7, 2))
    assert live.execute("SELECT country_cap, starts_on, ends_on FROM rounds WHERE round_id = '2018B'").fetchone() == (
        0.35, dt.date(2018, 8, 20), dt.date(2018, 10, 29))
    topics.start_from_previous(live, "2018B", by=director)  # the last round's nine topics, one a week now
    topics.add_topic(live, "2018B", title="Looking back", body="What did you learn?", by=director)
    planned = topics.round_topics(live, "2018B")
    assert len(planned) == 10 and planned[0].send_on == dt.date(2018, 8, 20)
    assert [(b.send_on - a.send_on).days for a, b in itertools.pairwise(planned)] == [7] * 9
    assert topics.plan_warnings(live, "2018B") == []
    program.set_setting(live, "topic_cadence_days", 14, by=director)
    assert topics.plan_warnings(live, "2018B")[0] == "Topic 2 follows topic 1 after 7 days, not a fortnight."


def test_workbench_settings_show_and_set(writable_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    assert main(["settings", "show", "--db", str(writable_db)]) == 0
    shown = capsys.readouterr().out
    assert "cross_border           country  (default)" in shown and "country_cap            0.2  (default)" in shown
    assert main(["settings", "set", "cross_border", "region", "--db", str(writable_db)]) == 0
    assert "Who may be partners (cross_border) is now region." in capsys.readouterr().out
    assert main(["settings", "set", "country_cap", "120%", "--db", str(writable_db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("workbench settings: The country cap must be more than 0 and at most 1 (100%)")
    assert main(["settings", "set", "languages", "Frnch", "--db", str(writable_db)]) == 1
    assert "Did you mean French?" in capsys.readouterr().err
    assert main(["settings", "show", "--json", "--db", str(writable_db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["cross_border"]["value"] == "region" and listed["cross_border"]["version"] == 1
    assert listed["cross_border"]["updated_by"].startswith("cli:")
    assert listed["country_cap"] == {"value": 0.2, "default": 0.2, "label": "Per-country cap (new rounds)",
                                     "version": 0, "updated_by": None, "updated_at": None}
    with pytest.raises(SystemExit):
        main(["settings", "set", "colour", "blue", "--db", str(writable_db)])  # argparse lists the keys


def test_the_program_tab_saves_the_settings_a_director_changes(app_env: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from workbench.ui.auth import USER_KEY

    at = AppTest.from_file(str(Path(__file__).parents[1] / "pages" / "settings.py"), default_timeout=60)
    at.session_state[USER_KEY] = "amorgan"
    at.run()
    assert not at.exception, at.exception
    assert at.tabs[0].label == "Program"
    at.text_input[0].set_value("Mentoring Across America")
    at.selectbox[0].set_value("organisation")
    at.number_input[0].set_value(100)
    at.text_input[1].set_value("English, Spanish")
    next(b for b in at.button if b.label == "Save the program's settings").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        "Saved: program name, languages, per-country cap (new rounds), who may be partners."]
    at.text_input[1].set_value("English, Klingon")
    next(b for b in at.button if b.label == "Save the program's settings").click().run()
    assert any("'Klingon' is not one of the program's working languages" in e.value for e in at.error)
    con = db.connect(app_env)
    assert {k: program.get_setting(con, k) for k in ("program_name", "languages", "country_cap", "cross_border")} == {
        "program_name": "Mentoring Across America", "languages": "English, Spanish", "country_cap": 1.0,
        "cross_border": "organisation"}
    assert con.execute("SELECT DISTINCT actor FROM audit_log WHERE entity = 'settings'").fetchall() == [("amorgan",)]
    con.close()
