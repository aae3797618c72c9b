"""What a review of the Import page and the pages' texts found (issue 17): the check and the Import button first,
an answer to the review said as such, the report after importing, the uploader's own limit, Congo told
apart, a warning when a round opens while another is unmatched, and the cross-border rule in the pages' words.
AppTest, on a private copy of the sample database."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as
from workbench import db, program
from workbench.access import User
from workbench.applications import rounds
from workbench.intake import import_limits
from workbench.intake.limits import MAX_BYTES
from workbench.matching.rules import CROSS_BORDER, CROSS_BORDER_RULES

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("Timestamp,Full name,Email Address,Which country do you work in?,Library sector,Career stage,"
          "Areas of interest,Languages you can work in\n")
#: A person the sample program knows (sample_data): Samuel Fraser of Canada, person 58.
KNOWN = "Samuel Fraser"
#: 2017A is being matched in the sample: a new round opening now leaves it open.
STILL_OPEN = ("2017A is still open (not matched and published): opening 2017B now leaves its accepted applicants "
              "without partners until a matching run of it is published on the Matching page.")


def _row(name: str, email: str, country: str, minute: int) -> str:
    return f"7/3/2017 09:{minute:02d}:00,{name},{email},{country},academic,mid,Library spaces,English\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(rows)).encode()


#: Two applicants with new emails who look like the known Samuel Fraser (the same name in the same country),
#: and one stranger.
NEAR = _csv(_row(KNOWN, "sam.fraser@home.example.net", "Canada", 1),
            _row(KNOWN, "s.fraser@elsewhere.example.net", "Canada", 2),
            _row("Ines Ortiz", "ines.ortiz@biblioteca.example.org", "Chile", 3))


def _upload(at: AppTest, data: bytes, name: str = "applications.csv") -> AppTest:
    """Hand the page a file as its uploader would (AppTest cannot drive st.file_uploader)."""
    at.session_state["import_file"] = {"name": name, "data": data, "from_uploader": False}
    at.run()
    assert not at.exception, at.exception
    return at


def _import_page(role: str = "coordinator") -> AppTest:
    at = app_as(role, "pages/import.py")
    assert at.radio(key="import_target").value == "A new round"  # 2017A is being matched: none takes applications
    assert at.text_input(key="import_new_round").value == "2017B"
    return at


def _walk(node: Any) -> Iterator[Any]:
    """The page's elements in the order they are drawn (blocks, then what they hold)."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _position(at: AppTest, test: Callable[[Any], bool]) -> int:
    return next(i for i, node in enumerate(_walk(at.main)) if test(node))


def _texts(at: AppTest) -> list[str]:
    """Every text a person reads on the page: titles, captions, markdown, alerts, labels, options, tabs."""
    found: list[str] = []
    for node in _walk(at.main):
        for attr in ("value", "label", "body", "help", "placeholder"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                found.append(value)
        options = getattr(node, "options", None)
        if isinstance(options, list):
            found += [str(o) for o in options]
    return found


def _rejection_reasons(at: AppTest) -> list[str]:
    table = next(d.value for d in at.dataframe if "what to do" in d.value.columns)
    return [str(r) for r in table["reason"]]


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(path))
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


# --- 1. the check and the Import button come first ------------------------------------------------------

def test_the_check_and_the_import_button_come_before_the_file_and_its_columns(app_env: Path) -> None:
    at = _upload(_import_page(), NEAR)
    expanders = [e.label for e in at.expander]
    assert expanders == ["The file: **applications.csv**, 3 rows, 8 columns (the first 20 rows)", "Columns"]
    first_expander = _position(at, lambda n: getattr(n, "type", "") == "expander")
    check = _position(at, lambda n: getattr(n, "type", "") == "subheader" and n.value == "Check")
    summary = _position(at, lambda n: getattr(n, "type", "") == "markdown"
                        and "Round 2017B did not exist" in str(n.value))
    button = _position(at, lambda n: getattr(n, "type", "") == "button" and n.key == "import_confirm")
    metric = _position(at, lambda n: getattr(n, "type", "") == "metric")
    assert check < button < summary < metric < first_expander
    assert at.button(key="import_confirm").label == "Import 3 application(s) into 2017B"


# --- 2. an answer is not "confirmed by hand" (issue 18: the review answers row by row, by key) -----------

def _answer(at: AppTest, person: int) -> AppTest:
    """Answer the review's current row: "the same as person ``person``" (its key, 1 to 3, in the browser)."""
    at.button(key=next(b.key for b in at.button if b.label == f"The same as person {person}")).click().run()
    assert not at.exception, at.exception
    return at


def test_an_answered_row_is_linked_and_not_said_to_be_confirmed_by_hand(app_env: Path) -> None:
    at = _upload(_import_page(), NEAR)
    tab = next(t for t in at.tabs if t.label.startswith("Known people"))
    assert tab.label == "Known people (1 to review)"  # sam.fraser@home: the model's Samuel Fraser, person 242
    _answer(at, 242)
    assert {m.label: m.value for m in at.metric}["Linked to known people"] == "1"
    assert not any("confirmed by hand" in text for text in _texts(at))
    assert {m.label: m.value for m in at.metric}["Ready to import"] == "3"


# --- 3. after importing: how many of the review became new people --------------------------------------

def test_after_importing_the_report_says_how_many_became_new_people_not_to_confirm_them(app_env: Path) -> None:
    at = _upload(_import_page(), NEAR)
    at.button(key="import_confirm").click().run()  # the review row left unanswered: a new person
    assert not at.exception, at.exception
    (done,) = at.success
    assert "imported 3 of 3 application(s) into 2017B" in done.value
    assert "confirm or leave them" not in " ".join(_texts(at))
    assert "1 applicant(s) who looked like someone already known were added as new people." in done.value
    assert _query(app_env, "SELECT a.email, a.person_id IN (58, 242) FROM applications AS a WHERE round_id = "
                           "'2017B' AND a.email LIKE '%fraser%' ORDER BY a.email") == [
        ("s.fraser@elsewhere.example.net", False), ("sam.fraser@home.example.net", False)]


def test_the_report_counts_applicants_who_look_known_not_their_candidates(app_env: Path) -> None:
    """The review counts applicants (rows), the same number in the tab, the figure and the summary."""
    at = _upload(_import_page(), NEAR)
    assert "Known people (1 to review)" in [t.label for t in at.tabs]
    assert {m.label: m.value for m in at.metric}["To review"] == "1"
    (summary,) = [m.value for m in at.markdown if "would import" in m.value]
    assert ("1 applicant(s) may be someone already known under another email: confirm or leave them as new people."
            in summary)


# --- 4. the uploader's label gives the workbench's own limit ----------------------------------------------

def test_the_uploader_says_the_workbench_limit_and_streamlit_is_set_to_it(
        app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_IMPORT_MAX_BYTES", raising=False)
    monkeypatch.delenv("WORKBENCH_IMPORT_MAX_ROWS", raising=False)
    limits = import_limits()
    assert limits.max_bytes == MAX_BYTES == 50 * 2**20
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == 50  # MB: Streamlit's own default (200) would be said instead
    at = _import_page()
    (uploader,) = at.get("file_uploader")
    assert uploader.proto.label == f"Application file (CSV or XLSX, at most 50 MB and {limits.max_rows:,} rows)"
    assert "WORKBENCH_IMPORT_MAX_BYTES" in uploader.proto.help


# --- 5. Congo and DR Congo told apart -------------------------------------------------------------------

def test_a_congo_to_confirm_shows_both_full_names_and_capitals(app_env: Path) -> None:
    at = _upload(_import_page(), _csv(_row("Mbuyi Kalala", "mbuyi.kalala@bibliotheque.example.org", "Congo", 1),
                                      _row("Ines Ortiz", "ines.ortiz@biblioteca.example.org", "Chile", 2)))
    assert "Countries to confirm (1)" in [t.label for t in at.tabs]
    choice = next(s for s in at.selectbox if s.label == "“Congo” is")
    assert choice.options == ["(leave the rows rejected)", "Republic of the Congo (Brazzaville) · COG",
                              "Democratic Republic of the Congo (Kinshasa) · COD"]
    assert ("Two countries: Congo is the Republic of the Congo, capital Brazzaville; DR Congo is the Democratic "
            "Republic of the Congo, capital Kinshasa. The rows' time zones and languages help decide."
            in [c.value for c in at.caption])
    choice.set_value("COD").run()
    assert {m.label: m.value for m in at.metric}["Ready to import"] == "2"


# --- 6. a new round while another is still open -----------------------------------------------------------

def test_a_new_round_while_2017a_is_being_matched_warns_on_the_page(app_env: Path) -> None:
    at = _import_page()
    assert [w.value for w in at.warning] == [STILL_OPEN]
    # An id already taken is an error, not a warning about opening it.
    at.text_input(key="import_new_round").input("2016B").run()
    assert not at.warning and "Round 2016B already exists" in at.error[0].value


def test_opening_a_round_while_2017a_is_being_matched_says_so(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    try:
        opened = rounds.open_round(con, "2017B", by=users["director"])
    finally:
        con.close()
    assert opened.still_open == ("2017A",)
    assert opened.warnings == [STILL_OPEN]
    assert opened.summary().endswith(STILL_OPEN)


# --- 7. the pages' texts follow the cross-border rule -----------------------------------------------------

def _set_rule(path: Path, rule: str, director: User) -> None:
    con = db.connect(path)
    try:
        program.set_setting(con, "cross_border", rule, by=director)
    finally:
        con.close()


@pytest.mark.parametrize("rule", CROSS_BORDER_RULES)
def test_the_applicants_and_followup_pages_say_the_programs_cross_border_rule(
        app_env: Path, users: dict[str, User], rule: str) -> None:
    _set_rule(app_env, rule, users["director"])
    must = CROSS_BORDER[rule].must  # type: ignore[index]

    applicants = app_as("coordinator", "pages/applicants.py", timeout=180)
    flows = next(c.value for c in applicants.caption if "country-to-country links" in c.value)
    assert f"(the program's rule: partners {must}; a trio counts once for each of its three pairs)" in flows

    followup = app_as("coordinator", "pages/followup.py", timeout=180)
    stranded = next(c.value for c in followup.caption if c.value.startswith("Stranded:"))
    assert f"Re-matching keeps the hard rules: partners {must}, a shared language," in stranded

    if rule != "country":
        said = [t for t in [*_texts(applicants), *_texts(followup)] if "different countries" in t]
        assert not said, said


def test_no_page_writes_the_country_rule_into_its_text() -> None:
    """The words come from the rule (CROSS_BORDER), never a page's own copy of the country rule's."""
    copies = [p.name for p in sorted((ROOT / "pages").glob("*.py"))
              if "different countries" in p.read_text(encoding="utf-8")]
    assert copies == []
