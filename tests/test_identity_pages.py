"""The Applicants page's person view (issue 18) in AppTest, for the roles that may use it: every round and every
address of one person; merge, split and undo for a coordinator; reading only, within their countries, for a
country coordinator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from tests.app_support import app_as


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db_path))
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def table(at: Any, column: str) -> Any:
    """The page's dataframe with ``column`` (AppTest finds dataframes by position, not key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_a_coordinator_finds_a_person_merges_and_undoes(app_env: Path) -> None:
    (lone, lone_name), = query(app_env, """
        SELECT p.person_id, p.name FROM people AS p JOIN applications AS a USING (person_id)
        WHERE a.round_id = '2017A' AND a.status = 'accepted' AND p.person_id NOT IN (
            SELECT person_id FROM applications WHERE round_id <> '2017A')
          AND (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1
        ORDER BY p.person_id LIMIT 1""")
    (earlier,), = query(app_env, """
        SELECT min(person_id) FROM participants WHERE round_id = '2016B'
          AND person_id NOT IN (SELECT person_id FROM applications WHERE round_id = '2017A')""")
    at = app_as("coordinator", "pages/applicants.py")
    at.text_input(key="person_query").input(lone_name).run()
    assert not at.exception, at.exception
    assert lone_name in at.selectbox(key="person_pick").options[0]
    assert any(f"(person {lone})" in t.value for t in at.text)
    rounds = table(at, "partners")
    assert list(rounds["round_id"]) == ["2017A"]

    at.number_input(key="merge_other").set_value(earlier).run()
    assert at.button(key="merge_go").disabled  # not before the confirmation
    at.checkbox(key="merge_sure").check().run()
    at.button(key="merge_go").click().run()
    assert not at.exception, at.exception
    message = " ".join(s.value for s in at.success)
    assert f"Merged person {earlier} into person {lone}" in message
    audit = int(message.split("workbench people undo ")[1].split("`")[0])
    assert query(app_env, "SELECT count(*) FROM people WHERE person_id = ?", [earlier]) == [(0,)]
    rounds = table(at, "partners")
    assert "2016B" in set(rounds["round_id"]) and "2017A" in set(rounds["round_id"])
    assert table(at, "is_latest")["is_latest"].tolist().count(True) == 1

    at.number_input(key="undo_entry").set_value(audit).run()
    at.button(key="undo_go").click().run()
    assert not at.exception, at.exception
    assert f"person {earlier} and person {lone} are as they were" in " ".join(s.value for s in at.success)
    assert query(app_env, "SELECT count(*) FROM applications WHERE person_id = ?", [earlier])[0][0] >= 1


def test_a_country_coordinator_reads_people_of_their_countries_and_cannot_merge(app_env: Path) -> None:
    (inside, name), = query(app_env, """
        SELECT p.person_id, p.name FROM people AS p WHERE (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1
          AND EXISTS (SELECT 1 FROM applications AS a WHERE a.person_id = p.person_id AND a.country_iso3 = 'NGA')
        ORDER BY p.person_id LIMIT 1""")
    (outside,), = query(app_env, """
        SELECT p.name FROM people AS p WHERE NOT EXISTS (SELECT 1 FROM applications AS a
            WHERE a.person_id = p.person_id AND a.country_iso3 IN ('NGA', 'GHA', 'CMR'))
          AND (SELECT count(*) FROM people AS q WHERE q.name = p.name) = 1 ORDER BY p.person_id LIMIT 1""")
    at = app_as("country", "pages/applicants.py")
    at.text_input(key="person_query").input(outside).run()
    assert any("Nobody matches" in i.value and "in your countries" in i.value for i in at.info)
    at.text_input(key="person_query").input(name).run()
    assert not at.exception, at.exception
    assert any(f"(person {inside})" in t.value for t in at.text)
    assert any("not merge or split people" in c.value for c in at.caption)
    assert [b for b in at.button if b.key in ("merge_go", "split_go", "undo_go")] == []
