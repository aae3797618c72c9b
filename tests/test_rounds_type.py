"""One home for "a round is open" and the next round's id: workbench.applications.round (issue 17)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import db, matchstore
from workbench.access import User
from workbench.applications import rounds, store
from workbench.applications.round import OPEN_STATUSES, Round, all_rounds, load_round, next_round_id
from workbench.errors import NotFound, WorkbenchError
from workbench.followup import interventions
from workbench.reports.applicants import RoundAdmission, round_admission

ROOT = Path(__file__).resolve().parents[1]
STATUSES = ("open", "matching", "running", "closed")  # the CHECK of rounds.status in the schema


@pytest.fixture
def wcon(writable_db: Path) -> Iterator[db.Connection]:
    con = db.connect(writable_db)
    yield con
    con.close()


def _round(status: str) -> Round:
    return Round("2017A", "2017A", 9, status, 0.2, 1)


def test_the_schema_knows_exactly_these_statuses(con: db.Connection) -> None:
    checks = {r[0] for r in con.execute("SELECT expression FROM duckdb_constraints() "
                                        "WHERE table_name = 'rounds' AND constraint_type = 'CHECK'").fetchall()}
    assert "(status IN ('open', 'matching', 'running', 'closed'))" in checks


@pytest.mark.parametrize("status", STATUSES)
def test_every_place_agrees_on_which_rounds_are_open(status: str) -> None:
    expected = status in ("open", "matching")
    admission = RoundAdmission("2017A", "2017A", status, 1, 0.2, 0, 0, 0, 0, 0, 0, 0, 0, ())
    assert _round(status).is_open is expected
    assert admission.is_open is expected  # the Applicants page's decisions
    assert (status in store.OPEN_STATUSES) is expected  # admission and the import
    assert store.OPEN_STATUSES is OPEN_STATUSES


def test_no_other_spelling_of_the_open_statuses_is_left() -> None:
    """The literals the review counted (five places) are gone from the library and the pages."""
    spelled = re.compile(r"""[{(\[]\s*["']open["']\s*,\s*["']matching["']\s*[})\]]""")
    offenders = [str(p.relative_to(ROOT)) for folder in ("workbench", "pages") for p in (ROOT / folder).rglob("*.py")
                 if spelled.search(p.read_text()) and p.name != "round.py"]
    assert offenders == []
    assert (ROOT / "streamlit_app.py").read_text().count("'open'") == 0


def test_the_cases_open_statuses_are_named_for_cases() -> None:
    assert interventions.OPEN_CASE_STATUSES == ("open", "contacted")
    assert not hasattr(interventions, "OPEN_STATUSES")


def test_a_closed_round_is_not_open_and_the_sample_rounds_load(con: db.Connection) -> None:
    closed = load_round(con, "2016B")
    assert (closed.status, closed.is_open, closed.takes_applications) == ("closed", False, False)
    current = load_round(con, "2017A")
    assert (current.status, current.is_open, current.seq, current.label) == ("matching", True, 9, "2017A")
    assert current.status_words == "open: being matched"
    assert [r.round_id for r in all_rounds(con)][:2] == ["Pilot", "2013B"]
    assert round_admission(con, "2016B").is_open is False
    with pytest.raises(NotFound, match=r"There is no round '2099A'\. Known rounds: Pilot, 2013B"):
        load_round(con, "2099A")


def test_next_round_id() -> None:
    assert _round("matching").next_round_id == "2017B"
    assert next_round_id("2017A") == "2017B"
    assert next_round_id("2017B") == "2018A"
    assert next_round_id("Pilot") == next_round_id(None) == ""
    assert rounds.next_round_id is next_round_id  # the import page's suggestion comes from here


def test_matchstore_refuses_a_closed_round_by_the_same_rule(wcon: db.Connection, users: dict[str, User]) -> None:
    with pytest.raises(WorkbenchError, match="Round 2016B is closed: its partnerships are published"):
        matchstore.run_matching(wcon, "2016B", by=users["coordinator"])


def test_opening_a_round_while_one_is_unmatched_warns(wcon: db.Connection, users: dict[str, User]) -> None:
    opened = rounds.open_round(wcon, "2017B", by=users["director"])
    assert opened.still_open == ("2017A",)
    assert opened.warnings == [
        "2017A is still open (not matched and published): opening 2017B now leaves its accepted applicants without "
        "partners until a matching run of it is published on the Matching page."]
    assert opened.summary().startswith("Opened round 2017B; 20 applicant(s) waitlisted in 2017A carried over")
    assert "2017A is still open" in opened.summary()
    assert load_round(wcon, "2017B").is_open
