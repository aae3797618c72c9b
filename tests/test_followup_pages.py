"""The Topics, Follow-up, Outcomes and Impact coding pages in Streamlit's AppTest, signed in as each role,
with real figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as
from workbench import db, snapshots


@pytest.fixture(autouse=True)
def _app_test_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Background snapshots finish before the test ends."""
    yield
    assert snapshots.wait_for_snapshots(60)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def widget(elements: object, label: str) -> object:
    return next(w for w in elements if w.label == label)  # type: ignore[attr-defined]


def actors(path: Path, action: str) -> list[str]:
    """Who the audit log names for ``action`` (a connection configured as the app's, in the same process)."""
    con = db.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT actor FROM audit_log WHERE action = ? ORDER BY audit_id",
                                          [action]).fetchall()]
    finally:
        con.close()


def test_topics_page_plans_and_reports_uptake(app_env: Path) -> None:
    at = app_as("coordinator", "pages/topics.py")
    assert at.title[0].value == "Fortnightly topics"
    assert metrics(at)["Topics"] == "9"
    assert len(at.expander) == 18  # nine to edit, nine messages to send
    assert "Acting as" not in [s.label for s in at.sidebar.selectbox]  # the signed-in user acts
    at.sidebar.selectbox[0].set_value("2016A").run()
    shown = metrics(at)
    assert shown["Used the topics"] == "87%" and shown["Topics"] == "9"
    assert at.dataframe[0].value["title"].iloc[0] == "Getting to know you"
    # Edit the first topic's title: saved, versioned, shown, and logged under the signed-in coordinator.
    widget(at.text_input, "Title").set_value("Getting to know you!")
    widget(at.button, "Save").click().run()
    assert not at.exception, at.exception
    assert "Saved topic 1." in [s.value for s in at.success]
    assert widget(at.text_input, "Title").value == "Getting to know you!"
    assert any("first topic" in w.value for w in at.warning)
    assert actors(app_env, "edit topic") == ["tortega"]


@pytest.mark.parametrize(("role", "page"), [("country", "pages/topics.py"), ("country", "pages/impact.py"),
                                            ("analyst", "pages/followup.py"), ("presenter", "pages/followup.py"),
                                            ("analyst", "pages/impact.py"), ("presenter", "pages/outcomes.py")])
def test_a_page_outside_the_role_shows_the_refusal_and_no_data(app_env: Path, role: str, page: str) -> None:
    at = app_as(role, page)
    assert any("may not" in e.value for e in at.error), [e.value for e in at.error]
    assert len(at.dataframe) == 0 and len(at.metric) == 0
    assert [b.label for b in at.button] == ["Sign out"]


def test_followup_page_resolves_a_case(app_env: Path) -> None:
    at = app_as("director", "pages/followup.py")
    assert at.title[0].value == "Follow-up"
    assert "all countries" in at.caption[0].value
    before = metrics(at)
    assert before == {"Partnerships": "424", "Flagged": "26", "Open cases": "11", "Flagged, no case yet": "1",
                      "Closed cases": "14"}
    assert len(at.dataframe[0].value) == 11
    assert [t.label for t in at.tabs] == ["Intervention queue", "Flagged partnerships", "Re-match", "Check-ins",
                                          "Import check-ins and surveys"]
    rates = next(d.value for d in at.dataframe if "answered_by_link" in d.value.columns)  # the Check-ins tab
    assert rates.iloc[0][["fortnight", "participants", "answered", "answered_by_link", "answered_by_import",
                          "not_answered"]].tolist() == [1, 850, 391, 224, 167, 459]
    widget(at.selectbox, "Status").set_value("resolved")
    widget(at.text_area, "Add a note").input("Partner was ill; back in touch.")
    widget(at.button, "Save case").click().run()
    assert not at.exception, at.exception
    assert any("resolved" in s.value for s in at.success)
    after = metrics(at)
    assert after["Open cases"] == "10" and after["Closed cases"] == "15"
    assert len(at.dataframe[0].value) == 10
    assert actors(app_env, "case resolved") == ["amorgan"]


def test_the_case_coordinator_is_kept_taken_or_cleared_without_a_list_of_accounts(app_env: Path) -> None:
    at = app_as("coordinator", "pages/followup.py")
    chooser = widget(at.selectbox, "Coordinator")
    assert chooser.options == ["(nobody)", "Tomás Ortega (me)"]  # type: ignore[attr-defined]
    chooser.set_value("tortega")  # type: ignore[attr-defined]
    widget(at.button, "Save case").click().run()
    assert not at.exception, at.exception
    con = db.connect(app_env)
    try:
        assert con.execute("SELECT count(*) FROM interventions WHERE coordinator_id = 'tortega' AND status = 'open'"
                           ).fetchone() == (1,)
    finally:
        con.close()


def test_followup_page_opens_cases_from_flags(app_env: Path) -> None:
    at = app_as("coordinator", "pages/followup.py")
    widget(at.button, "Open cases for 1 flagged partnership(s)").click().run()
    assert not at.exception, at.exception
    assert metrics(at)["Open cases"] == "12" and metrics(at)["Flagged, no case yet"] == "0"
    assert actors(app_env, "open case") == ["tortega"]


def test_a_country_coordinator_sees_their_queue_only(app_env: Path) -> None:
    at = app_as("country", "pages/followup.py")
    assert "Ngozi Okafor: NGA, GHA, CMR" in at.caption[0].value
    assert metrics(at) == {"Partnerships": "53", "Flagged": "2", "Open cases": "1", "Flagged, no case yet": "0",
                           "Closed cases": "1"}
    queue = at.dataframe[0].value
    assert list(queue["intervention_id"]) == [151]
    members = at.dataframe[1].value.set_index("name")  # the case's partnership: Kenya is not theirs
    assert members.loc["Emeka Phiri", "email"] == "emeka.phiri@lib3.gh.example.org"
    assert members.loc["Thandiwe Phiri", "country"] == "Kenya" and members["email"].isna().sum() == 1
    assert "Import check-ins and surveys" not in [t.label for t in at.tabs]  # imports are for coordinators
    stranded = widget(at.selectbox, "Re-match")
    assert [o.split(" · ")[0] for o in stranded.options] == [  # type: ignore[attr-defined]
        "Emeka Phiri (Ghana)", "Abena Mwangi (Nigeria)"]


def test_outcomes_page(app_env: Path) -> None:
    at = app_as("analyst", "pages/outcomes.py")
    assert at.title[0].value == "Outcomes across rounds"
    shown = metrics(at)
    assert shown["Satisfied: program"] == "86%" and shown["Satisfied: partner"] == "83%"
    assert shown["Returners satisfied"] == "86%" and shown["Newcomers satisfied"] == "86%"
    assert shown["Back the next round"] == "13.7%"
    satisfaction = at.dataframe[0].value
    assert len(satisfaction) == 8 and satisfaction["program_satisfied_share"].between(0.8, 0.9).all()
    groups = at.dataframe[1].value
    assert list(groups["participant_group"]) == ["new", "returning"]
    assert "58 answers are waiting" in at.info[0].value
    assert "Impact coding page" not in at.info[0].value  # not a page the analyst can open
    assert "Impact coding page" in app_as("coordinator", "pages/outcomes.py").info[0].value


def test_impact_coding_page_confirms_codes(app_env: Path) -> None:
    at = app_as("coordinator", "pages/impact.py")
    assert at.title[0].value == "Impact coding"
    assert metrics(at)["Awaiting coding"] == "58"
    first = at.multiselect[0]
    assert first.value  # a suggestion is filled in
    widget(at.button, "Confirm these 10 answers").click().run()
    assert not at.exception, at.exception
    assert metrics(at)["Awaiting coding"] == "48"
    widget(at.button, "Accept the suggestions for all 48 answers").click().run()
    assert metrics(at)["Awaiting coding"] == "0" and "Every answer of 2016B is coded." in at.info[0].value
    assert set(actors(app_env, "code impact answer")) == {"tortega"}


def test_impact_coding_page_clears_an_answer_for_public_use(app_env: Path) -> None:
    at = app_as("director", "pages/impact.py")
    assert metrics(at)["Cleared for public use"] == "0"
    picked = widget(at.selectbox, "Change the codes of").value  # type: ignore[attr-defined]
    box = widget(at.checkbox, "cleared for public use")
    assert box.value is False  # type: ignore[attr-defined]
    box.check()  # type: ignore[attr-defined]
    widget(at.button, "Save").click().run()
    assert not at.exception, at.exception
    assert f"Answer {picked}: cleared for public use." in [s.value for s in at.success]
    assert metrics(at)["Cleared for public use"] == "1"
    assert widget(at.checkbox, "cleared for public use").value is True  # type: ignore[attr-defined]
    assert actors(app_env, "clear answer for public use") == ["amorgan"]
    widget(at.checkbox, "cleared for public use").uncheck()  # type: ignore[attr-defined]
    widget(at.button, "Save").click().run()
    assert metrics(at)["Cleared for public use"] == "0"


def test_followup_page_rematches_a_stranded_participant(app_env: Path) -> None:
    at = app_as("director", "pages/followup.py")
    person = widget(at.selectbox, "Re-match")
    assert "ended" in person.format_func(person.value) or "case" in person.format_func(person.value)
    assert "New partner" in [s.label for s in at.selectbox]
    assert "not forbidden by a coordinator" in " ".join(c.value for c in at.caption)
    widget(at.text_input, "Note for the case").input("Both agreed by email.")
    widget(at.button, "Re-match").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("New partnership") for s in at.success)
    assert metrics(at)["Partnerships"] == "425"
    assert actors(app_env, "rematch") == ["amorgan"]
