"""The audit log for directors: the report (who, when, what, before and after; filters) and the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.app_support import app_as
from workbench import accounts, db, exports
from workbench.access import ROLES, RULES, Action, NotAllowed, User, command_line_user
from workbench.reports.audit import audit_actions, audit_log, audit_people, readable

PASSWORD = "a long enough password"


@pytest.fixture
def logged(writable_db: Path, users: dict[str, User]) -> Iterator[db.Connection]:
    """A copy of the sample with four changes by two people: the command line and the director."""
    con = db.connect(writable_db)
    accounts.set_password(con, "alex.morgan@coord.example.org", PASSWORD, by=command_line_user())
    accounts.add_user(con, "new.person@example.org", name="=HYPERLINK(\"http://x\")", role="country",
                      countries=["KEN"], by=users["director"])
    accounts.set_active(con, "jess.walker@coord.example.org", False, by=users["director"])
    accounts.authenticate(con, "alex.morgan@coord.example.org", PASSWORD)
    yield con
    con.close()


def test_newest_first_with_names_and_readable_values(logged: db.Connection, users: dict[str, User]) -> None:
    log = audit_log(logged, by=users["director"])
    assert list(log["action"]) == ["sign in", "disable account", "add account", "set password"]
    assert list(log["actor"])[:3] == ["amorgan", "amorgan", "amorgan"]
    assert log["actor"].iloc[3] == command_line_user().actor
    assert list(log["actor_name"])[:3] == ["Alex Morgan"] * 3
    assert log["actor_name"].iloc[3] == command_line_user().actor  # no account: the id stands for the name
    added = log[log["action"] == "add account"].iloc[0]
    assert added["entity"] == "coordinators" and added["entity_id"] == "newperson"
    assert added["after"] == ('email: new.person@example.org; name: =HYPERLINK("http://x"); role: country; '
                              'countries: KEN; password: none')
    disabled = log[log["action"] == "disable account"].iloc[0]
    assert disabled["entity_id"] == "jwalker"
    assert "is_active: yes" in disabled["before"] and "is_active: no" in disabled["after"]
    assert log["logged_at"].is_monotonic_decreasing


def test_filters_by_person_action_and_dates(logged: db.Connection, users: dict[str, User]) -> None:
    director = users["director"]
    assert list(audit_log(logged, by=director, actor=command_line_user().actor)["action"]) == ["set password"]
    assert list(audit_log(logged, by=director, action="add account")["entity_id"]) == ["newperson"]
    assert audit_log(logged, by=director, actor="amorgan", action="set password").empty
    today = audit_log(logged, by=director)["logged_at"].iloc[0].date()
    assert len(audit_log(logged, by=director, since=today, until=today)) == 4
    assert audit_log(logged, by=director, until=today - timedelta(days=1)).empty
    assert audit_log(logged, by=director, since=today + timedelta(days=1)).empty
    assert audit_log(logged, by=director, since=date(2000, 1, 1)).shape[0] == 4
    people = audit_people(logged, by=director)
    assert set(people["actor"]) == {"amorgan", command_line_user().actor}
    assert audit_actions(logged, by=director) == ["add account", "disable account", "set password", "sign in"]


@pytest.mark.parametrize("role", ROLES)
def test_only_directors_read_the_audit_log(logged: db.Connection, users: dict[str, User], role: str) -> None:
    allowed = role in RULES[Action.VIEW_AUDIT]
    assert allowed == (role == "director")
    for read in (audit_log, audit_people, audit_actions):
        if allowed:
            read(logged, by=users[role])
        else:
            with pytest.raises(NotAllowed, match="may not read the audit log"):
                read(logged, by=users[role])


def test_readable_values() -> None:
    assert readable(None) == ""
    assert readable('{"a": [1, 2], "b": null, "c": true, "d": {"e": "f"}}') == "a: 1, 2; b: (none); c: yes; d: e: f"
    assert readable("not json") == "not json"


def test_the_csv_export_neutralises_formulas(logged: db.Connection, users: dict[str, User]) -> None:
    log = audit_log(logged, by=users["director"], action="add account")
    log.loc[:, "after"] = '=HYPERLINK("http://x")'  # a value that starts like a formula
    rows = list(csv.reader(io.StringIO(exports.frame_csv_bytes(log).decode("utf-8-sig"))))
    assert rows[0][:3] == ["audit_id", "logged_at", "actor"]
    assert rows[1][-1] == "'=HYPERLINK(\"http://x\")"


def _entries(path: Path, users: dict[str, User]) -> None:
    con = db.connect(path)
    try:
        accounts.set_password(con, "alex.morgan@coord.example.org", PASSWORD, by=command_line_user())
        accounts.set_active(con, "jess.walker@coord.example.org", False, by=users["director"])
    finally:
        con.close()


def test_the_page_shows_and_filters_the_log(app_env: Path, users: dict[str, User]) -> None:
    _entries(app_env, users)
    at = app_as("director", "pages/audit.py")
    assert at.title[0].value == "Audit log"
    table = at.dataframe[0].value
    assert list(table["action"]) == ["disable account", "set password"]
    assert list(table["actor_name"]) == ["Alex Morgan", command_line_user().actor]
    assert "is_active: no" in table["after"].iloc[0]
    assert any("Download these entries (CSV)" in str(el.proto) for el in at.get("download_button"))

    at.selectbox(key="audit_actor").set_value("amorgan").run()
    assert list(at.dataframe[0].value["action"]) == ["disable account"]
    at.selectbox(key="audit_actor").set_value(None).run()
    at.selectbox(key="audit_action").set_value("set password").run()
    assert list(at.dataframe[0].value["entity_id"]) == ["amorgan"]
    at.date_input(key="audit_until").set_value(date(2011, 1, 1)).run()
    assert not at.dataframe and "No entry matches these filters." in at.info[0].value


def test_the_page_says_when_nothing_has_changed(app_env: Path) -> None:
    at = app_as("director", "pages/audit.py")
    assert at.info[0].value == "Nothing has been changed yet."


@pytest.mark.parametrize("role", ["coordinator", "country", "analyst", "presenter"])
def test_the_page_refuses_other_roles(app_env: Path, users: dict[str, User], role: str) -> None:
    _entries(app_env, users)
    at = app_as(role, "pages/audit.py")
    assert "may not read the audit log" in at.error[0].value
    assert not at.dataframe and not at.get("download_button")
