"""The Topics, Follow-up, Outcomes and Impact coding pages in Streamlit's AppTest, with real figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workbench import db

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _app_test_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Background snapshots finish before the test ends."""
    yield
    assert db.wait_for_snapshots(60)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120).run()
    assert not at.exception, at.exception
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def widget(elements: object, label: str) -> object:
    return next(w for w in elements if w.label == label)  # type: ignore[attr-defined]


def test_topics_page_plans_and_reports_uptake(app_env: Path) -> None:
    at = open_page("pages/topics.py")
    assert at.title[0].value == "Fortnightly topics"
    assert metrics(at)["Topics"] == "9"
    assert len(at.expander) == 18  # nine to edit, nine messages to send
    at.sidebar.selectbox[0].set_value("2016A").run()
    shown = metrics(at)
    assert shown["Used the topics"] == "87%" and shown["Topics"] == "9"
    assert at.dataframe[0].value["title"].iloc[0] == "Getting to know you"
    # Edit the first topic's title: saved, versioned, shown.
    widget(at.text_input, "Title").set_value("Getting to know you!")
    widget(at.button, "Save").click().run()
    assert not at.exception, at.exception
    assert "Saved topic 1." in [s.value for s in at.success]
    assert widget(at.text_input, "Title").value == "Getting to know you!"
    assert any("first topic" in w.value for w in at.warning)


def test_followup_page_resolves_a_case(app_env: Path) -> None:
    at = open_page("pages/followup.py")
    assert at.title[0].value == "Follow-up"
    before = metrics(at)
    assert before == {"Partnerships": "424", "Flagged": "26", "Open cases": "11", "Flagged, no case yet": "1",
                      "Closed cases": "14"}
    assert len(at.dataframe[0].value) == 11
    widget(at.selectbox, "Status").set_value("resolved")
    widget(at.text_area, "Add a note").input("Partner was ill; back in touch.")
    widget(at.button, "Save case").click().run()
    assert not at.exception, at.exception
    assert any("resolved" in s.value for s in at.success)
    after = metrics(at)
    assert after["Open cases"] == "10" and after["Closed cases"] == "15"
    assert len(at.dataframe[0].value) == 10


def test_followup_page_opens_cases_from_flags(app_env: Path) -> None:
    at = open_page("pages/followup.py")
    widget(at.button, "Open cases for 1 flagged partnership(s)").click().run()
    assert not at.exception, at.exception
    assert metrics(at)["Open cases"] == "12" and metrics(at)["Flagged, no case yet"] == "0"


def test_a_country_coordinator_sees_their_queue_and_a_presenter_aggregates(app_env: Path) -> None:
    at = open_page("pages/followup.py")
    widget(at.sidebar.selectbox, "Acting as").set_value("dmensah").run()
    shown = metrics(at)
    assert int(shown["Partnerships"]) < 424 and int(shown["Open cases"]) < 11
    assert "KEN" in at.caption[0].value
    widget(at.sidebar.selectbox, "Acting as").set_value("presenter").run()
    assert not at.exception
    assert "figures only" in at.info[0].value and len(at.dataframe) == 0


def test_outcomes_page(app_env: Path) -> None:
    at = open_page("pages/outcomes.py")
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


def test_impact_coding_page_confirms_codes(app_env: Path) -> None:
    at = open_page("pages/impact.py")
    assert at.title[0].value == "Impact coding"
    assert metrics(at)["Awaiting coding"] == "58"
    first = at.multiselect[0]
    assert first.value  # a suggestion is filled in
    widget(at.button, "Confirm these 10 answers").click().run()
    assert not at.exception, at.exception
    assert metrics(at)["Awaiting coding"] == "48"
    widget(at.button, "Accept the suggestions for all 48 answers").click().run()
    assert metrics(at)["Awaiting coding"] == "0" and "Every answer of 2016B is coded." in at.info[0].value


def test_followup_page_rematches_a_stranded_participant(app_env: Path) -> None:
    at = open_page("pages/followup.py")
    person = widget(at.selectbox, "Re-match")
    assert "ended" in person.format_func(person.value) or "case" in person.format_func(person.value)
    assert "New partner" in [s.label for s in at.selectbox]
    widget(at.text_input, "Note for the case").input("Both agreed by email.")
    widget(at.button, "Re-match").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("New partnership") for s in at.success)
    assert metrics(at)["Partnerships"] == "425"
