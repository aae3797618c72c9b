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

    assert at.selectbox(key="undo_pick").options == [
        f"person {earlier} merged into person {lone} (audit entry {audit}, "
        + at.selectbox(key="undo_pick").options[0].split(", ", 1)[1]]
    at.selectbox(key="undo_pick").set_value(audit).run()
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


# --- the Import page's review ----------------------------------------------------------------------


def _metrics(at: Any) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_import_review_counts_agree_answers_by_key_and_imports(app_env: Path, con: Any) -> None:
    from workbench.people.comparisons import known_people
    from workbench.sample.identity_fixture import identity_fixture, to_csv_bytes

    frame, _ = identity_fixture(known_people(con), rows=30, seed=77)
    at = app_as("coordinator", "pages/import.py")
    at.session_state["import_file"] = {"name": "returners.csv", "data": to_csv_bytes(frame), "from_uploader": False}
    at.run()
    assert not at.exception, at.exception
    shown = _metrics(at)
    linked, review, new = (int(shown[k].replace(",", "")) for k in ("Linked to known people", "To review",
                                                                     "New people"))
    assert linked + review + new == int(shown["Ready to import"]) == 30
    assert review > 0 and linked > 0
    sentence = (f"{linked:,} are people the program already knows (linked), {review:,} may be someone known and "
                "wait for your answer")
    assert sum(sentence in m.value for m in at.markdown) == 2  # the check and the review tab say the same
    assert f"Known people ({review:,} to review)" in [t.label for t in at.tabs]
    assert f"{review} applicant(s) may be someone already known" in " ".join(m.value for m in at.markdown)
    listing = table(at, "most likely")
    assert list(listing["probability"]) == sorted(listing["probability"], reverse=True)  # most probable first
    sheet = table(at, "this application")
    assert list(sheet["field"])[:4] == ["name", "email", "organisation", "country"]
    assert any(str(v).startswith(("✓", "✗")) for v in sheet.iloc[:, 2])

    # answer the first row with its first candidate (the "1" key), the second as a new person ("N")
    first_row = int(listing["row"].iloc[0])
    first = at.button(key=next(b.key for b in at.button if b.key and b.key.endswith("_0")))
    person = int(first.label.rsplit(" ", 1)[1])
    first.click().run()
    assert not at.exception, at.exception
    shown = _metrics(at)
    assert (shown["Linked to known people"], shown["To review"]) == (str(linked + 1), str(review - 1))
    at.button(key=next(b.key for b in at.button if b.key and b.key.endswith("_new"))).click().run()
    assert any("1 of" in c.value and "(1 as new people)" in c.value for c in at.caption)

    # the sure ones off: only known addresses and answers are linked
    at.toggle(key=next(t.key for t in at.toggle)).set_value(False).run()
    assert int(_metrics(at)["Linked to known people"]) < linked + 1
    at.toggle(key=next(t.key for t in at.toggle)).set_value(True).run()

    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert query(app_env, "SELECT count(*) FROM applications WHERE round_id = '2017B' AND person_id = ? "
                          "AND source = 'import returners.csv'", [person]) == [(1,)]
    assert query(app_env, "SELECT count(*) FROM applications WHERE round_id = '2017B' AND source = "
                          "'import returners.csv'") == [(30,)]
    assert first_row > 1
