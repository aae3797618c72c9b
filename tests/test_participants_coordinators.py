"""The coordinators' side of the participants' pages (issue 19), in AppTest: the Overview shows applications
arriving on the form; the Personal data page lists the requests to be forgotten sent from /me, a director erases
(the file rewritten) or declines them, audited, and no other role may."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.app_support import app_as
from tests.disk_support import found_in_bytes
from workbench import db, privacy, reports
from workbench.access import NotAllowed, User, command_line_user
from workbench.participants import applying, pages


def _form(email: str, name: str) -> dict[str, object]:
    return {"name": name, "email": email, "country": "FRA", "sector": "public", "career_stage": "early",
            "interests": [], "languages": ["French"]}


def test_the_overview_shows_applications_arriving_on_the_form(app_env: Path) -> None:
    con = db.connect(app_env)
    sector, interest = (con.execute(f"SELECT value FROM vocabulary_terms WHERE kind = '{k}' ORDER BY position "
                                    "LIMIT 1").fetchone()[0] for k in ("sector", "interest"))  # type: ignore[index]
    applying.open_for_applications(con, "2099A", by=command_line_user(),
                                   closes_on=dt.date.today() + dt.timedelta(days=10))
    ids = []
    for i, who in enumerate(("Ana Confirmed", "Ben Withdrawn", "Cleo Waiting", "Dan Waiting")):
        answers = {**_form(f"arrival{i}@example.org", who), "sector": sector, "interests": [interest]}
        ids.append(applying.submit(con, "2099A", answers, language="en")[0])
    applying.confirm(con, ids[0])
    pages._withdraw(con, applying.confirm(con, ids[1]), "en")
    arrivals = reports.form_arrivals(con, "2099A")
    assert arrivals is not None and arrivals.is_open
    assert (arrivals.confirmed, arrivals.unconfirmed, arrivals.withdrawn, arrivals.expired) == (1, 2, 1, 0)
    assert reports.form_arrivals(con, "2016B") is None  # never on the form
    con.close()

    at = app_as("coordinator", "pages/overview.py")
    assert [s.value for s in at.subheader][:1] == ["Applications arriving on the form"]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Confirmed"], metrics["Unconfirmed"], metrics["Withdrawn"]) == ("1", "2", "1")
    assert any("2099A open on the form until" in m.value and "2 waiting for the applicant to confirm" in m.value
               for m in at.markdown)


def test_a_director_erases_or_declines_requests_to_be_forgotten(app_env: Path, users: dict[str, User]) -> None:
    con = db.connect(app_env)
    first, second = (int(r[0]) for r in con.execute(
        "SELECT person_id FROM people AS p WHERE (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1 "
        "ORDER BY person_id LIMIT 2").fetchall())
    name, email = con.execute("SELECT name, email FROM people WHERE person_id = ?", [first]).fetchone()  # type: ignore[misc]
    pages._forget(con, first)  # what "forget me" on /me does
    pages._forget(con, second)
    for role in ("coordinator", "country", "analyst", "presenter"):
        with pytest.raises(NotAllowed):
            privacy.decide_forget_request(con, 1, erase=True, by=users[role])
    con.close()

    at = app_as("director", "pages/privacy.py")
    listed = at.dataframe[0].value
    assert listed["person_id"].tolist() == [first, second] and listed["name"].tolist()[0] == name
    assert at.button(key="forget_request_erase").disabled  # not before the confirmation
    at.selectbox(key="forget_request").set_value(1).run()
    at.checkbox(key="forget_request_sure").check().run()
    at.button(key="forget_request_erase").click().run()
    assert not at.exception, at.exception
    done = [s.value for s in at.success if s.value.startswith("Request 1: Erased the personal data of person")]
    assert done and "The database file was rewritten" in done[0], [s.value for s in at.success]
    assert at.dataframe[0].value["person_id"].tolist() == [second]
    at.selectbox(key="forget_request").set_value(2).run()
    at.button(key="forget_request_decline").click().run()
    assert any("Request 2 declined" in s.value for s in at.success)
    assert any("No participant is waiting" in m.value for m in at.markdown)
    assert found_in_bytes(app_env, {name, email}) == set()  # the rewrite: nothing of them in the file's bytes

    con = db.connect(app_env)  # as the app holds it (read-write)
    try:
        assert con.execute("SELECT name FROM people WHERE person_id = ?", [first]).fetchone() == (privacy.ERASED_NAME,)
        assert con.execute("SELECT request_id, status, decided_by FROM forget_requests").fetchall() == [
            (2, "declined", "amorgan")]
        assert con.execute("SELECT actor, action, entity_id FROM audit_log WHERE entity = 'forget_requests' "
                           "ORDER BY audit_id").fetchall() == [("amorgan", "confirm forget request", "1"),
                                                                ("amorgan", "decline forget request", "2")]
    finally:
        con.close()

    refused = app_as("coordinator", "pages/privacy.py", check=False)
    assert any("may not erase a person's data" in e.value for e in refused.error)
    assert not refused.dataframe and [b.key for b in refused.button] == ["sign_out"]
