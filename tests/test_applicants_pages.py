"""The Import and Applicants pages in Streamlit's AppTest: real figures from the sample database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as
from workbench import snapshots

ROOT = Path(__file__).resolve().parents[1]
ROUND_FILE = ROOT / "tests" / "fixtures" / "applications" / "round_2017B.csv"


def open_page(page: str, role: str = "coordinator") -> AppTest:
    """The page, signed in as the sample account of ``role`` (the coordinator unless said otherwise)."""
    return app_as(role, page)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db_path))  # the app's configuration: the same in-process database instance
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def charts(at: AppTest) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(figure spec, config) of each plotly chart on the page."""
    return [(json.loads(el.proto.spec), json.loads(el.proto.config)) for el in at.get("plotly_chart")]


# ---------------------------------------------------------------------------------------------------
# Import


def with_file(at: AppTest, path: Path = ROUND_FILE, name: str | None = None) -> AppTest:
    """Hand the page a file as its uploader would (AppTest cannot drive st.file_uploader)."""
    at.session_state["import_file"] = {"name": name or path.name, "data": path.read_bytes(), "from_uploader": False}
    return at.run()


def test_import_page_asks_for_a_file(app_env: Path) -> None:
    at = open_page("pages/import.py")
    assert at.title[0].value == "Import applications"
    assert "Upload a CSV or XLSX file" in at.info[0].value


def frame_with(at: AppTest, *columns: str) -> Any:
    """The first table on the page with these columns."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def test_import_page_previews_checks_and_imports(app_env: Path) -> None:
    at = open_page("pages/import.py")
    assert at.radio(key="import_target").value == "A new round"  # no round is open: the sample's 2017A is matching
    at.text_input(key="import_new_round").input("2017B").run()
    with_file(at)
    assert not at.exception, at.exception
    assert at.dataframe[0].value.shape == (20, 12)  # the preview
    shown = metrics(at)
    assert shown == {"Ready to import": "12", "Rejected rows": "6", "Already in the round": "1", "Returning": "3",
                     "Waitlisted by the cap": "0", "Linked to known people": "3", "To review": "1",
                     "New people": "8"}
    assert any("Round 2017B did not exist: it would be created, carrying over 20" in m.value for m in at.markdown)
    assert at.button(key="import_confirm").label == "Import 12 application(s) into 2017B"
    assert [t.label for t in at.tabs] == ["Values outside the lists (0)", "Countries to confirm (1)",
                                          "Known people (1 to review)", "Submitted twice (1)", "Time zones (0)",
                                          "Rejected rows (6)"]
    rejections = frame_with(at, "what to do")
    assert list(rejections.columns) == ["row", "column", "value", "reason", "what to do"]
    assert rejections["row"].tolist() == [12, 13, 15, 16, 17, 18]  # the row already in the round is not listed
    assert any("1 applicant(s) already in 2017B applied again (row 8)" in c.value for c in at.caption)
    assert at.get("download_button"), "the rejections can be downloaded"
    # the ambiguous country shows its rows beside the choice
    beside = frame_with(at, "name", "timezone", "languages")
    assert beside.index.tolist() == [17] and beside["name"].tolist() == ["Oz Typo"]
    # Drita Berisha submitted twice: the later submission (row 14) is kept
    assert frame_with(at, "row set aside")["row set aside"].tolist() == [2]
    assert query(app_env, "SELECT count(*) FROM rounds WHERE round_id = '2017B'") == [(0,)]  # nothing written yet

    # Confirm the suggested country and the near-match, then import.
    next(s for s in at.selectbox if s.label == "“Austrailia” is").set_value("AUS").run()
    at.button(key=next(b.key for b in at.button if b.label == "The same as person 58")).click().run()
    assert metrics(at)["Ready to import"] == "13"
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert "imported 13 of 20 application(s) into 2017B (4 returning, 1 waitlisted" in at.success[0].value
    assert "the latest submission of each is imported" in at.success[0].value
    assert query(app_env, "SELECT count(*) FROM applications WHERE round_id = '2017B'") == [(33,)]
    assert query(app_env, "SELECT person_id FROM applications WHERE email = 'sam.fraser@home.example.net'") == [(58,)]
    snapshot = Path(str(app_env).replace("workbench.duckdb", "analytics.duckdb"))
    assert snapshots.wait_for_snapshots(60)
    assert snapshot.exists(), "the analyst snapshot is published after the import"
    # The result is at the top and the form starts again: no file, no check, no questions left.
    assert not at.metric and not at.checkbox and not at.tabs
    assert "Upload a CSV or XLSX file" in at.info[0].value
    assert at.radio(key="import_target").value == "An open round" and at.selectbox(key="import_round").value == "2017B"
    # The same file again has nothing new to add.
    with_file(at)
    assert metrics(at)["Ready to import"] == "0"
    assert metrics(at)["Already in the round"] == "15"  # the 13 imported, the carried-over one, row 2


def test_import_page_maps_an_unknown_column_by_hand(app_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("Timestamp,Full name,Email Address,Where I work,Sector,Career stage,Interests\n"
                    "2/1/2017 10:00,Ana Maria,ana.maria@test.example.org,Chile,public,mid,Library spaces\n",
                    encoding="utf-8")
    at = open_page("pages/import.py")
    with_file(at, path)
    assert "has no column for 'country'" in at.error[0].value and "Where I work" in at.error[0].value
    next(s for s in at.selectbox if s.label == "“Where I work”").set_value("country").run()
    assert not at.error
    assert metrics(at)["Ready to import"] == "1"


def test_import_page_explains_an_unreadable_file(app_env: Path, tmp_path: Path) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    at = open_page("pages/import.py")
    with_file(at, path)
    assert "old Excel (.xls)" in at.error[0].value


# ---------------------------------------------------------------------------------------------------
# Applicants


def test_applicants_page_shows_the_round_being_matched(app_env: Path) -> None:
    at = open_page("pages/applicants.py")
    assert at.title[0].value == "Applicants"
    shown = metrics(at)
    assert shown["Applicants"] == "1,200"
    assert shown["Countries"] == "101"
    assert shown["Countries at the cap"] == "1"
    assert shown["Waitlisted"] == "20"
    table = at.dataframe[0].value
    assert table.iloc[0]["country"] == "Australia" and bool(table.iloc[0]["is_at_cap"])
    assert int(table["applicants"].sum()) == 1200 and len(table) == 101
    assert any("Outlined in orange: at the cap (Australia)" in c.value for c in at.caption)

    (spec, config), (flows_spec, flows_config) = charts(at)
    assert config["topojsonURL"] == "/app/static/topojson/" == flows_config["topojsonURL"]
    choropleth = spec["data"][0]
    assert choropleth["type"] == "choropleth" and choropleth["locationmode"] == "ISO-3"
    at_cap = dict(zip(choropleth["locations"], choropleth["marker"]["line"]["width"], strict=True))
    assert at_cap["AUS"] > at_cap["NGA"]  # the capped country is outlined
    dots = spec["data"][1]
    assert "SGP" in dots["text"] and "AUS" not in dots["text"]  # small states as dots
    assert {t["type"] for t in flows_spec["data"]} == {"scattergeo"}


def test_applicants_page_counts_for_2016A(app_env: Path) -> None:
    at = open_page("pages/applicants.py")
    at.sidebar.selectbox[0].set_value("2016A").run()
    expected = query(app_env, "SELECT count(*), count(DISTINCT country_iso3) FROM applications "
                              "WHERE round_id = '2016A'")[0]
    shown = metrics(at)
    assert shown["Applicants"] == f"{expected[0]:,}" and shown["Countries"] == str(expected[1])
    assert "admission decisions are closed" in " ".join(c.value for c in at.caption)
    assert at.selectbox(key="flows_round_2016A").value == "2016A"


def test_applicants_page_filters(app_env: Path) -> None:
    at = open_page("pages/applicants.py")
    at.multiselect(key="applicants_sector").set_value(["academic"]).run()
    at.selectbox(key="applicants_returning").set_value("Returning").run()
    ((n, countries),) = query(app_env, """
        SELECT count(*), count(DISTINCT country_iso3) FROM applications AS a
        WHERE round_id = '2017A' AND sector = 'academic' AND EXISTS (
            SELECT 1 FROM applications AS b JOIN rounds AS r ON r.round_id = b.round_id
            WHERE b.person_id = a.person_id AND r.seq < 9)""")
    shown = metrics(at)
    assert shown["Applicants"] == f"{n:,}" and shown["Countries"] == str(countries)


def test_choosing_a_country_lists_its_applicants_and_decides_by_hand(app_env: Path) -> None:
    at = open_page("pages/applicants.py")
    at.selectbox(key="applicant_country").set_value("NGA").run()
    assert at.subheader[0].value == "Applicants from Nigeria"
    listing = at.dataframe[1].value
    assert len(listing) == 50 and set(listing["country"]) == {"Nigeria"}
    first = int(listing.iloc[0]["application_id"])
    assert at.selectbox(key="decide_application").value == first
    at.radio(key="decide_status").set_value("waitlisted")
    at.text_input(key="decide_reason").input("asked to join next round")
    at.button(key="decide_save").click().run()
    assert not at.exception, at.exception
    assert "is now waitlisted: asked to join next round" in at.success[0].value
    assert query(app_env, "SELECT status, status_reason, version FROM applications WHERE application_id = ?",
                 [first]) == [("waitlisted", "asked to join next round", 2)]


def test_a_click_on_the_map_selects_the_country(app_env: Path) -> None:
    at = open_page("pages/applicants.py")
    # What Streamlit stores when a country is clicked (selection_mode="points").
    at.session_state["applicant_map"] = {"selection": {"points": [{"location": "KEN", "customdata": ["KEN"]}],
                                                       "point_indices": [5], "box": [], "lasso": []}}
    at.run()
    assert at.selectbox(key="applicant_country").value == "KEN"
    assert at.subheader[0].value == "Applicants from Kenya"


NIGERIA_GHANA_CAMEROON = ("NGA", "GHA", "CMR")  # the sample country coordinator's countries (nokafor)


def test_a_country_coordinator_sees_the_map_and_only_their_countries_applicants(app_env: Path) -> None:
    at = open_page("pages/applicants.py", "country")
    shown = metrics(at)
    assert shown["Applicants"] == "1,200" and shown["Countries"] == "101"  # the map: every country's counts
    assert len(at.dataframe[0].value) == 101
    ((total,),) = query(app_env, "SELECT count(*) FROM applications WHERE round_id = '2017A' AND country_iso3 IN "
                                 "('NGA', 'GHA', 'CMR')")
    assert at.subheader[0].value == "Applicants from your countries"
    assert at.selectbox(key="applicant_country").options[0] == "Your countries (NGA, GHA, CMR)"
    assert f"{total:,} applicant(s)" in " ".join(c.value for c in at.caption)
    listing = at.dataframe[1].value
    assert len(listing) == min(total, 50) and set(listing["country"]) <= {"Nigeria", "Ghana", "Cameroon"}
    emails = set(listing["email"])
    (first,) = query(app_env, "SELECT email FROM applications WHERE round_id = '2017A' AND country_iso3 IN "
                              "('NGA', 'GHA', 'CMR') ORDER BY submitted_at, application_id LIMIT 1")
    assert first[0] in emails
    # Reading, not deciding: no admission controls.
    assert not [b for b in at.button if b.key in ("decide_save", "cap_apply", "cap_change")]
    assert any("can read these applicants but not decide on them" in c.value for c in at.caption)


def test_a_country_coordinator_choosing_another_country_is_told_it_is_outside_theirs(app_env: Path) -> None:
    at = open_page("pages/applicants.py", "country")
    at.selectbox(key="applicant_country").set_value("KEN").run()
    assert not at.exception, at.exception
    (error,) = at.error
    assert "Kenya" in error.value and "KEN" in error.value
    assert "outside Ngozi Okafor's countries (NGA, GHA, CMR)" in error.value
    assert at.subheader[0].value == "Applicants from your countries"  # the list stays on their own countries
    listing = at.dataframe[1].value
    assert "Kenya" not in set(listing["country"]) and set(listing["country"]) <= {"Nigeria", "Ghana", "Cameroon"}
    # One of their countries lists that country.
    at.selectbox(key="applicant_country").set_value("GHA").run()
    assert not at.error and at.subheader[0].value == "Applicants from Ghana"
    assert set(at.dataframe[1].value["country"]) == {"Ghana"}


@pytest.mark.parametrize("role", ["analyst", "presenter"])
def test_the_analyst_and_the_presenter_cannot_open_the_applicants(app_env: Path, role: str) -> None:
    at = open_page("pages/applicants.py", role)
    assert any("may not see participants' names and contact details" in e.value for e in at.error)
    assert not at.dataframe and not at.metric  # no list of people, and nothing else either


@pytest.mark.parametrize("role", ["country", "analyst", "presenter"])
def test_only_coordinators_and_directors_can_open_the_import(app_env: Path, role: str) -> None:
    at = open_page("pages/import.py", role)
    assert any("may not import files into a round" in e.value for e in at.error)
    assert not at.get("file_uploader") and [b.key for b in at.button] == ["sign_out"]


def test_a_director_imports_and_the_audit_log_names_them(app_env: Path) -> None:
    at = open_page("pages/import.py", "director")
    at.text_input(key="import_new_round").input("2017B").run()
    with_file(at)
    at.button(key="import_confirm").click().run()
    assert not at.exception, at.exception
    assert query(app_env, "SELECT DISTINCT actor FROM audit_log WHERE action IN ('import applications', "
                          "'open round', 'carry over application')") == [("amorgan",)]


# ---------------------------------------------------------------------------------------------------
# The vendored map geometry


def test_the_vendored_geometry_is_the_file_plotly_asks_for() -> None:
    """Streamlit's bundled plotly.js fetches ``<topojsonURL>/<scope>_<resolution>m.json``; the app serves
    ``world_110m.json`` from static/ and points topojsonURL at it. A Streamlit upgrade that changes this
    fails here (then re-run the offline browser test and scripts/vendor_map.py)."""
    import streamlit

    from workbench import charts, reports

    bundle = next((Path(streamlit.__file__).parent / "static" / "static" / "js").glob("PlotlyChart*.js"))
    js = bundle.read_text(encoding="utf-8", errors="replace")
    assert "topojsonURL:{valType:`string`,noBlank:!0,dflt:`https://cdn.plot.ly/un/`}" in js
    assert "[e.scope.replace(/ /g,`-`),`_`,e.resolution.toString(),`m`].join(``)" in js

    config = charts.map_config()
    served = ROOT / "static" / config["topojsonURL"].removeprefix("/app/static/") / charts.TOPOJSON_FILE
    assert served == ROOT / "static" / "topojson" / "world_110m.json"
    topology = json.loads(served.read_text(encoding="utf-8"))
    assert {"countries", "land", "ocean", "coastlines", "lakes", "rivers"} <= set(topology["objects"])
    ids = {g.get("id") for g in topology["objects"]["countries"]["geometries"]}
    assert {"XKX", "SRB", "AUS", "USA", "GBR"} <= ids
    centroids = reports.country_centroids()
    assert set(centroids.loc[centroids["in_map"], "iso3"]) == ids - {None}
    assert served.stat().st_size < 200_000
    assert charts.map_config("/workbench/")["topojsonURL"] == "/workbench/app/static/topojson/"
