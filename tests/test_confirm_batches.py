"""Confirmations arriving together (issue 19): imported in batches, each counted once, and one that cannot be
confirmed (withdrawn meanwhile) gets its own words while the others of its batch go in."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from workbench import db, migrations
from workbench.access import command_line_user
from workbench.errors import WorkbenchError
from workbench.participants import applying

ROUND = "2099A"


def test_concurrent_confirmations_each_go_in_once(writable_db: Path) -> None:
    con = migrations.open_live(writable_db)
    try:
        applying.open_for_applications(con, ROUND, by=command_line_user(), closes_on=dt.date.today()
                                       + dt.timedelta(days=14))
        sector, interest = (con.execute("SELECT value FROM vocabulary_terms WHERE kind = ? ORDER BY position LIMIT 1",
                                        [k]).fetchone()[0] for k in ("sector", "interest"))  # type: ignore[index]
        ids = [applying.submit(con, ROUND, {"name": f"Batch Person {i}", "email": f"batch{i}@confirm.example.org",
                                            "country": "KEN", "sector": sector, "career_stage": "early",
                                            "interests": [interest], "languages": ["English"]}, language="en")[0]
               for i in range(6)]
        with db.transaction(con):
            con.execute("UPDATE form_applications SET status = 'withdrawn' WHERE form_application_id = ?", [ids[3]])

        def confirm(form_id: int) -> str:
            cur = con.cursor()
            try:
                return applying.confirm(cur, form_id).status
            except WorkbenchError as exc:
                return str(exc)
            finally:
                cur.close()

        with ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(confirm, ids + ids[:2]))  # two confirmed twice (a second click)
        assert outcomes[3].startswith("This application was not confirmed in time (or was withdrawn)")
        assert outcomes[:3] + outcomes[4:] == ["confirmed"] * 7
        assert con.execute("SELECT count(*), count(DISTINCT email), count(DISTINCT person_id) FROM applications "
                           "WHERE round_id = ? AND email LIKE 'batch%'", [ROUND]).fetchone() == (5, 5, 5)
        assert con.execute("SELECT count(*) FROM form_applications WHERE status = 'confirmed' AND application_id "
                           "IS NOT NULL").fetchone() == (5,)
        assert applying._waiting == set() and applying._outcomes == {}
        with pytest.raises(WorkbenchError, match="not confirmed in time"):
            applying.confirm(con, ids[3])

        # a form never confirmed expires, and nothing of the person is kept (nobody proved the address)
        late, _ = applying.submit(con, ROUND, {"name": "Late Larkspur", "email": "late@confirm.example.org",
                                              "country": "KEN"}, language="en", earlier_email="old@confirm.example.org")
        assert applying.expire(con, now=dt.datetime.now() + dt.timedelta(days=applying.CONFIRM_DAYS + 1)) == 1
        assert con.execute("SELECT status, name, email, answers, earlier_email FROM form_applications WHERE "
                           "form_application_id = ?", [late]).fetchone() == (
            "expired", "", f"expired-{late}@expired.invalid", "{}", None)
        with pytest.raises(WorkbenchError, match="not confirmed in time"):
            applying.confirm(con, late)
    finally:
        con.close()
