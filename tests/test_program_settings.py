"""The program's settings: defaults, typed values, a director's audited and versioned changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench import db, migrations, program
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
    snap = db.connect(db.publish_snapshot(live, tmp_path / "analytics.duckdb"), read_only=True)
    assert program.retention_years(snap) == 6
    snap.close()


def test_schema_step_5_adds_the_settings_table() -> None:
    step = migrations.STEPS[3]
    assert step.version == 5 and "settings" in step.description
    assert "settings" in db.TABLE_ORDER
