"""The cap under the region rule, everywhere it is read: the carry-over to the next round, the applicants report,
the Applicants page's warning and a re-match from the waitlist all count the sides of the program's rule, not
countries (issue 17)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench import applications, migrations, program, reports
from workbench.access import User
from workbench.applications import rounds
from workbench.db import Connection
from workbench.followup import rematch


@pytest.fixture
def regional(writable_db: Path, users: dict[str, User]) -> Iterator[Connection]:
    """The sample under the region rule: 2017A (matching) re-capped per UN sub-region."""
    con = migrations.open_live(writable_db)
    assert len(rounds.carry_over_plan(con)) == 20  # the country rule's waitlist
    program.set_setting(con, "cross_border", "region", by=users["director"])
    yield con
    con.close()


def test_the_region_rules_waitlisted_are_carried_over_and_counted(regional: Connection) -> None:
    con = regional
    (waitlisted,) = con.execute("SELECT count(*) FROM applications WHERE round_id = '2017A' AND status = 'waitlisted' "
                                "AND status_reason LIKE 'sub-region above the%'").fetchone()
    assert waitlisted == 47
    assert len(rounds.carry_over_plan(con)) == 47
    assert int(reports.applicant_countries(con, round_id="2017A")["waitlisted_by_cap"].sum()) == 47


def test_a_rematch_from_the_waitlist_asks_the_room_of_the_sub_region(regional: Connection,
                                                                      users: dict[str, User]) -> None:
    con = regional
    waiting = con.execute(
        "SELECT application_id, country_iso3 FROM applications WHERE round_id = '2017A' AND status = 'waitlisted' "
        "AND status_reason LIKE 'sub-region above the%' ORDER BY application_id LIMIT 1").fetchone()
    assert waiting is not None
    side = applications.application_side(con, waiting[0])
    partner = con.execute(
        "SELECT a.application_id FROM applications AS a JOIN countries AS c ON c.iso3 = a.country_iso3 "
        "WHERE a.round_id = '2017A' AND a.status = 'accepted' AND c.un_region <> ? ORDER BY 1 LIMIT 1",
        [side]).fetchone()
    assert partner is not None
    found = rematch.problems(con, partner[0], waiting[0], by=users["director"])
    label = applications.side_label("region", side)
    assert any(f"would give {label}" in p and "above the round's cap" in p for p in found), found


def test_the_applicants_page_names_the_sub_region_above_the_cap(app_env: Path, users: dict[str, User]) -> None:
    from tests.app_support import app_as

    con = migrations.open_live(app_env)
    program.set_setting(con, "cross_border", "region", by=users["director"])
    # a withdrawal-free way to go over: accept two waitlisted of one sub-region by hand, as a late decision would
    rows = con.execute("SELECT application_id FROM applications WHERE round_id = '2017A' AND status = 'waitlisted' "
                       "ORDER BY application_id LIMIT 3").fetchall()
    con.execute("UPDATE applications SET status = 'accepted', status_reason = NULL WHERE application_id IN ?",
                [[r[0] for r in rows]])
    over = applications.over_cap(con, "2017A")
    con.close()
    assert over
    at = app_as("director", "pages/applicants.py")
    assert not at.exception, at.exception
    warned = [w.value for w in at.warning if "above the cap" in w.value]
    assert warned and applications.side_label("region", over[0]) in warned[0]
