"""Every page renders in Streamlit's AppTest without exception, with the right figures (signed in as the
sample director, who may open every page; tests/test_roles_pages.py covers the other roles)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))


def open_app(page: str | None = None) -> AppTest:
    return app_as("director", page)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app_env: Path, page: str) -> None:
    at = open_app(page)
    assert at.title, f"{page} shows no title"


def test_overview_shows_the_round_being_matched_by_default(app_env: Path) -> None:
    at = open_app()
    shown = metrics(at)
    assert shown["Applications"] == "1,200"
    assert shown["Applicant countries"] == "101"
    assert shown["Participations"] == "5,571"
    assert shown["Rounds run"] == "8"
    assert shown["Countries, all rounds"] == "157"
    assert shown["Satisfied, all rounds"] == "86%"
    assert "not matched yet" in at.info[0].value


def test_overview_figures_for_2016A(app_env: Path) -> None:
    at = open_app()
    at.sidebar.selectbox[0].set_value("2016A").run()
    shown = metrics(at)
    assert shown["Participants"] == "1,162"
    assert shown["Countries"] == "95"
    assert shown["Returning"] == "24%"
    assert shown["Satisfied with the program"] == "87%"
    table = at.dataframe[0].value
    assert list(table["participants"])[:7] == [92, 391, 764, 630, 820, 862, 1162]


def test_the_round_choice_is_remembered_across_pages(app_env: Path) -> None:
    at = open_app()
    at.sidebar.selectbox[0].set_value("2015A").run()
    at.switch_page("pages/overview.py").run()
    assert at.sidebar.selectbox[0].value == "2015A"


def test_a_missing_database_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "none.duckdb"))
    at = app_as(None)
    assert "make run" in at.error[0].value and "workbench init" in at.error[0].value
    assert not at.text_input and not at.sidebar.children  # no form without a database, and no navigation
