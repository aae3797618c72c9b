"""Presenter mode: small-count suppression, the slides' figures and takeaways, no personal data on any slide,
cleared quotes only, decks in the program's settings, theme contrast, and the Present page (AppTest)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.app_support import app_as
from workbench import db, program
from workbench.access import NotAllowed
from workbench.charts.present import THEMES, contrast_ratio
from workbench.errors import NotFound
from workbench.followup import impact
from workbench.present import deck as decks
from workbench.present import slides as slide_list
from workbench.present.suppression import WITHHELD, suppress, suppress_grid
from workbench.program import SettingError


@pytest.fixture(scope="module")
def people(sample_db_path: Path) -> tuple[list[str], list[str]]:
    """Every applicant's name (longer than 6 characters, so not a word of a chart) and email in the sample."""
    con = db.connect(sample_db_path, read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT DISTINCT name FROM applications WHERE length(name) > 6").fetchall()]
        emails = [r[0] for r in con.execute("SELECT DISTINCT email FROM applications").fetchall()]
    finally:
        con.close()
    assert len(names) > 1000 and len(emails) > 5000
    return names, emails


def slide_text(slide: slide_list.Slide) -> str:
    """Everything a slide shows or carries: title, takeaway, quote, table and the figure's JSON (hover text too)."""
    return "\n".join([slide.title, slide.takeaway, slide.quote or "", slide.caption,
                      slide.table.to_csv(index=False), slide.figure.to_json()])


def leaks(text: str, people: tuple[list[str], list[str]]) -> list[str]:
    names, emails = people
    lowered = text.lower()
    return [n for n in names if n in text] + [e for e in emails if e.lower() in lowered]


# -- suppression --------------------------------------------------------------------------------------


def test_a_lone_small_count_takes_the_next_smallest_with_it() -> None:
    s = suppress([120, 3, 40, 9], threshold=5)
    assert s.hidden == [False, True, False, True]
    assert s.labels() == ["120", "fewer than 5", "40", WITHHELD]
    assert not s.total_hidden and s.total_label() == "172"


def test_several_small_counts_need_no_complement_and_zeros_stay() -> None:
    s = suppress([120, 3, 0, 2, 40], threshold=5)
    assert s.hidden == [False, True, False, True, False]
    assert s.labels()[2] == "0"
    assert suppress([7, 8, 9], threshold=5).hidden == [False, False, False]


def test_a_lone_small_count_with_nothing_to_pair_hides_the_total() -> None:
    s = suppress([3, 0], threshold=5)
    assert s.hidden == [True, False] and s.total_hidden and s.total_label() == WITHHELD
    assert suppress([3, 50], threshold=5, has_total=False).hidden == [True, False]  # no total: no complement
    with pytest.raises(ValueError, match="at least 1"):
        suppress([1], threshold=0)


def test_a_real_two_way_table_leaves_no_line_with_a_lone_hidden_cell(con: db.Connection) -> None:
    """The current round's applicants by continent and sector (row and column totals shown)."""
    frame = con.execute("""SELECT c.continent, a.sector, count(*) AS n FROM applications AS a
                           JOIN countries AS c ON c.iso3 = a.country_iso3 WHERE a.round_id = '2017A'
                           GROUP BY ALL""").df()
    table = frame.pivot(index="continent", columns="sector", values="n").fillna(0).astype(int)
    grid = table.to_numpy()
    hidden = suppress_grid(grid, threshold=10)
    small = [(r, c) for r in range(grid.shape[0]) for c in range(grid.shape[1]) if 0 < grid[r, c] < 10]
    assert len(small) >= 3, table  # the sample has small cells here (the test needs them)
    assert all(hidden[r][c] for r, c in small)
    for lines in (hidden, list(map(list, zip(*hidden, strict=True)))):
        assert all(sum(line) != 1 for line in lines), "a line with one hidden cell gives it away by subtraction"
    # Each hidden cell: its row total minus the visible cells is the sum of two or more hidden cells.
    for r, _c in small:
        row_rest = [grid[r, j] for j in range(grid.shape[1]) if hidden[r][j]]
        assert len(row_rest) >= 2


def test_the_map_slide_hides_small_countries_and_their_numbers(con: db.Connection) -> None:
    slide = slide_list.build_slide(slide_list.context(con, "2017A"), "map")
    table = slide.table.set_index("Country")["Applicants"]
    assert table["United States"] == "fewer than 5"  # one applicant in the sample's 2017A
    assert table["Australia"] == "258"
    hidden = table[table.isin(["fewer than 5", WITHHELD])]
    assert len(hidden) == 33 and len(hidden) != 1
    assert list(hidden.index) == sorted(hidden.index)  # hidden countries listed by name, never by size
    assert "33 countries with fewer than 5 applicants are drawn without their number" in slide.takeaway
    # The figure carries no count for a hidden country: its trace has no z, only the neutral colour.
    hidden_traces = [t for t in slide.figure.data if t.name and "fewer than" in t.name]
    assert hidden_traces
    choropleth = next(t for t in hidden_traces if t.type == "choropleth")
    assert "USA" in list(choropleth.locations) and set(choropleth.z) == {0}
    for trace in hidden_traces:
        assert all(text.endswith("fewer than 5 applicants (not shown)") for text in trace.text)
    shown = [t for t in slide.figure.data if t not in hidden_traces]
    assert all(getattr(t, "locations", None) is None or "USA" not in list(t.locations) for t in shown)


def test_a_lone_small_country_takes_a_complement_and_the_total_cannot_recover_it(writable_db: Path,
                                                                                users: dict) -> None:
    """2017A's smallest country count is unique (the United States, 1): with the threshold at 2 it alone is
    small, so the next smallest country (3) is withheld with it."""
    live = db.connect(writable_db)
    try:
        values = sorted(v for v in slide_list.reports.applicant_countries(live, round_id="2017A")["applicants"] if v)
        assert values[:2] == [1, 3]
        program.set_setting(live, "small_count_threshold", 2, by=users["director"])
        slide = slide_list.build_slide(slide_list.context(live, "2017A"), "map")
    finally:
        live.close()
    table = slide.table.set_index("Country")["Applicants"]
    assert table["United States"] == "fewer than 2"
    assert (table == "fewer than 2").sum() == 1 and (table == WITHHELD).sum() == 1
    shown = sum(int(v.replace(",", "")) for v in table if v[0].isdigit())
    total = int(slide.takeaway.split(" applicants")[0].replace(",", ""))
    assert total == 1200 and total - shown == 1 + 3  # two hidden countries together: neither comes back alone


def test_the_threshold_is_a_checked_setting(writable_db: Path, users: dict) -> None:
    live = db.connect(writable_db)
    try:
        assert slide_list.small_count_threshold(live) == 5
        with pytest.raises(SettingError, match="between 2 and 100"):
            program.set_setting(live, "small_count_threshold", 1, by=users["director"])
        with pytest.raises(NotAllowed):
            program.set_setting(live, "small_count_threshold", 10, by=users["presenter"])
        program.set_setting(live, "small_count_threshold", "10", by=users["director"])
        assert slide_list.small_count_threshold(live) == 10
        slide = slide_list.build_slide(slide_list.context(live, "2017A"), "map")
        assert "fewer than 10 applicants are drawn without their number" in slide.takeaway
    finally:
        live.close()


# -- the slides ---------------------------------------------------------------------------------------


def test_every_slide_has_a_computed_takeaway_and_its_numbers(con: db.Connection) -> None:
    built = {s.key: s for s in slide_list.build_slides(con, round_id="2016B")}
    assert list(built) == list(slide_list.SLIDES)
    assert built["growth"].takeaway == ("From 92 participants in 18 countries in Pilot (2013) to 850 in 97 countries "
                                        "in 2016B: 5,571 participations in 8 rounds.")
    assert built["partnerships"].takeaway.startswith("2016B's 424 partnerships joined 283 pairs of countries; the "
                                                     "most between Australia and United States (40)")
    assert built["topics"].takeaway == ("Use of the fortnightly topics went from 48% of survey respondents in Pilot "
                                        "(2013) to 90% in 2016B.")
    assert built["impact"].takeaway.startswith("International perspective came first (30% of 2,533 coded answers")
    assert "Email is used by 98% of partnerships" in built["methods"].takeaway
    assert "with 95%" in built["satisfaction"].title
    for slide in built.values():
        assert slide.figure.data, slide.key
        assert len(slide.table) > 0 and slide.caption, slide.key
        assert slide.takeaway.endswith("."), slide.key
    growth = built["growth"].table.set_index("Round")
    assert growth.loc["2016A", "Participants"] == "1,162" and growth.loc["2016A", "Countries"] == "95"


def test_no_name_email_or_free_text_on_any_slide(con: db.Connection, people: tuple[list[str], list[str]]) -> None:
    texts = [r[0] for r in con.execute("SELECT impact_text FROM surveys WHERE length(impact_text) > 30").fetchall()]
    for round_id in ("2017A", "2016B", "2014A"):
        for slide in slide_list.build_slides(con, round_id=round_id):
            text = slide_text(slide)
            assert not leaks(text, people), (round_id, slide.key, leaks(text, people)[:3])
            assert not [t for t in texts if t in text], (round_id, slide.key)


def test_quotes_appear_only_once_cleared(writable_db: Path, users: dict) -> None:
    live = db.connect(writable_db)
    try:
        answers = live.execute("SELECT survey_id, version, impact_text FROM surveys WHERE impact_text IS NOT NULL "
                               "AND round_id = '2016B' ORDER BY survey_id LIMIT 2").fetchall()
        before = slide_list.build_slide(slide_list.context(live, "2016B"), "impact")
        assert before.quote is None
        impact.set_cleared(live, answers[0][0], answers[0][1], True, by=users["coordinator"])
        after = slide_list.build_slide(slide_list.context(live, "2016B"), "impact")
    finally:
        live.close()
    assert after.quote is not None and answers[0][2].strip() in after.quote
    assert after.quote.endswith(", 2016B") and "a participant from" in after.quote
    assert answers[1][2] not in slide_text(after)


def test_theme_text_contrast_is_at_least_4_5_to_1() -> None:
    for name, colours in THEMES.items():
        for role in ("text", "muted"):
            assert contrast_ratio(colours[role], colours["background"]) >= 4.5, (name, role)
    assert round(contrast_ratio("#000000", "#ffffff"), 1) == 21.0


# -- decks --------------------------------------------------------------------------------------------


def test_a_deck_is_saved_in_the_settings_and_audited(writable_db: Path, users: dict) -> None:
    live = db.connect(writable_db)
    try:
        assert list(decks.decks(live)) == ["All slides"]
        saved = decks.save_deck(live, " Keynote ", ["impact", "map"], "2016B", by=users["director"])
        assert saved == decks.Deck("Keynote", ("impact", "map"), "2016B")
        assert decks.deck_named(live, "Keynote") == saved
        stored = json.loads(live.execute("SELECT value FROM settings WHERE key = 'present_decks'").fetchone()[0])
        assert stored == {"Keynote": {"slides": ["impact", "map"], "round": "2016B"}}
        actor = live.execute("SELECT actor FROM audit_log WHERE entity_id = 'present_decks'").fetchone()[0]
        assert actor == users["director"].actor
        with pytest.raises(NotFound, match="Unknown slide 'quiz'"):
            decks.save_deck(live, "Bad", ["quiz"], None, by=users["director"])
        with pytest.raises(NotFound, match="no round '2099Z'"):
            decks.save_deck(live, "Bad", ["map"], "2099Z", by=users["director"])
        with pytest.raises(NotFound, match="There is no deck 'Nope'; the decks are: All slides, Keynote"):
            decks.deck_named(live, "Nope")
        decks.delete_deck(live, "Keynote", by=users["director"])
        assert list(decks.decks(live)) == ["All slides"]
        # a presenter saves a deck (and no other setting)
        mine = decks.save_deck(live, "Conference", ["growth", "map"], None, by=users["presenter"])
        assert decks.deck_named(live, "Conference") == mine
        with pytest.raises(NotAllowed, match="may not change the program's settings"):
            program.set_setting(live, "small_count_threshold", 7, by=users["presenter"])
    finally:
        live.close()


# -- the page (AppTest) -------------------------------------------------------------------------------


def page_text(at: object) -> str:
    from tests.test_roles_pages import shown_text

    return shown_text(at) + "\n".join(str(t.value) for t in at.table)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_presenter_steps_through_every_slide_and_sees_no_personal_data(
        app_env: Path, people: tuple[list[str], list[str]]) -> None:
    at = app_as("presenter")  # the presenter lands on the Present page
    titles = []
    for _ in slide_list.SLIDES:
        assert not at.exception, at.exception
        titles.append(at.title[0].value)
        text = page_text(at)
        assert not leaks(text, people), leaks(text, people)[:3]
        assert at.table, "each slide has its numbers as a table"
        at.button(key="next").click().run()
    assert titles == [kind.title for kind in slide_list.SLIDES.values()]
    assert at.title[0].value == titles[0]  # past the last slide, the first again
    at.button(key="previous").click().run()
    assert at.title[0].value == titles[-1]


@pytest.mark.parametrize("role", ["director", "coordinator", "country", "analyst", "presenter"])
def test_every_role_opens_the_present_page(app_env: Path, role: str) -> None:
    at = app_as(role, "pages/present.py")
    assert at.title[0].value == "Participants and countries per round"
    assert any("From 92 participants" in m.value for m in at.markdown)
    assert [b.label for b in at.button if b.label in ("Previous", "Next")] == ["Previous", "Next"]
    saving = [t.label for t in at.text_input]
    # directors, coordinators and presenters save decks; an analyst or a country coordinator shows them
    assert saving == (["Save as deck"] if role in ("director", "coordinator", "presenter") else [])


def test_published_the_page_opens_signed_out_and_nothing_else_does(app_env: Path, users: dict) -> None:
    live = db.connect(app_env)
    try:
        program.set_setting(live, "present_published", True, by=users["director"])
    finally:
        live.close()
    at = app_as(None)
    assert at.title[0].value == "Participants and countries per round"
    assert not at.text_input and not at.sidebar.children
    assert "Sign in" in "\n".join(m.value for m in at.markdown)
    for page in ("pages/applicants.py", "pages/overview.py", "pages/outcomes.py"):
        other = app_as(None, page)
        assert [t.value for t in other.title] == ["Sign in"], page
        assert not other.dataframe and not other.table and not other.metric


def test_unpublished_the_page_needs_sign_in(app_env: Path) -> None:
    at = app_as(None, "pages/present.py")
    assert [t.value for t in at.title] == ["Sign in"]
    assert not at.table


def test_decks_frame_round_choice(con: db.Connection) -> None:
    assert slide_list.current_round(con) == "2017A"
    with pytest.raises(NotFound, match="There is no round 'nope'"):
        slide_list.context(con, "nope")
    early = slide_list.build_slide(slide_list.context(con, "2013B"), "growth")
    assert list(early.table["Round"]) == ["Pilot (2013)", "2013B"]
    assert isinstance(early.table, pd.DataFrame)
