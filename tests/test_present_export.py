"""The deck's exports: one self-contained HTML file (opened in Chromium with every outside request blocked,
every chart drawn), PNG and SVG per slide through kaleido, and `workbench present export`."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium
from workbench import db
from workbench.access import command_line_user
from workbench.present import deck as decks
from workbench.present import images
from workbench.present import slides as slide_list

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def deck_file(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    con = db.connect(sample_db_path, read_only=True)
    try:
        return decks.export_html(con, tmp_path_factory.mktemp("deck") / "deck.html", round_id="2016B")
    finally:
        con.close()


def test_the_html_deck_holds_plotly_the_map_and_no_personal_data(deck_file: Path, sample_db_path: Path) -> None:
    text = deck_file.read_text(encoding="utf-8")
    assert 3_000_000 < deck_file.stat().st_size < 12_000_000  # plotly.js (4.8 MB) and the map (0.14 MB) inside
    assert "plotly.js v" in text and '"world_110m":' in text
    assert text.count('<section class="slide"') == len(slide_list.SLIDES)
    assert "<table" in text and "The numbers behind the chart" in text
    assert "Use of the fortnightly topics went from 48% of survey respondents" in text
    markup = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)  # the page around the scripts
    for attribute in ('src="http', "src='http", 'href="http', "@import", "url(", "<link"):
        assert attribute not in markup, attribute
    con = db.connect(sample_db_path, read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT DISTINCT name FROM applications WHERE length(name) > 6").fetchall()]
        emails = [r[0] for r in con.execute("SELECT DISTINCT email FROM applications").fetchall()]
    finally:
        con.close()
    lowered = text.lower()
    assert not [n for n in names if n in text]
    assert not [e for e in emails if e.lower() in lowered]


@pytest.mark.browser
def test_the_html_deck_draws_every_chart_offline(deck_file: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = require_chromium()
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})

        def guard(route, request):  # type: ignore[no-untyped-def]
            if request.url.startswith(("file://", "data:", "blob:")):
                route.continue_()
            else:
                requested.append(request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(deck_file.as_uri())
        page.wait_for_function("document.querySelectorAll('section.slide .main-svg').length >= "
                               f"{2 * len(slide_list.SLIDES)}", timeout=60_000)
        per_slide = page.eval_on_selector_all("section.slide",
                                              "els => els.map(e => e.querySelectorAll('.main-svg').length)")
        countries = page.locator("#slide-2 path.choroplethlocation").count()
        arcs = page.locator("#slide-3 .scattergeo path").count()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        at = page.evaluate("Math.round(document.getElementById('slide-3').getBoundingClientRect().top)")
        context.close()
        browser.close()
    assert not requested, requested
    assert not errors, errors
    assert len(per_slide) == len(slide_list.SLIDES) and all(n >= 2 for n in per_slide), per_slide
    assert countries > 80  # the map drew its countries from the inlined geometry
    assert arcs > 0
    assert at == 0  # two presses of the right arrow: the third slide at the top


@pytest.mark.slow
def test_png_and_svg_per_slide_offline(sample_db_path: Path, tmp_path: Path, users: dict) -> None:
    require_chromium()
    con = db.connect(sample_db_path, read_only=True)
    try:
        built = slide_list.build_slides(con, ["growth", "map"], round_id="2017A")
    finally:
        con.close()
    pngs = images.export_images(built, tmp_path / "png", "png", by=command_line_user())
    assert [p.name for p in pngs] == ["01-growth.png", "02-map.png"]
    for path in pngs:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 20_000
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (images.WIDTH, images.HEIGHT)
    svgs = images.export_images(built, tmp_path / "svg", "svg", theme="dark", by=command_line_user())
    trees = [ET.parse(p).getroot() for p in svgs]
    assert all(t.tag.endswith("svg") for t in trees)
    map_svg = svgs[1].read_text(encoding="utf-8")
    assert map_svg.count("choroplethlocation") > 80  # the countries, drawn from the vendored geometry
    assert "Participants and countries per round" in svgs[0].read_text(encoding="utf-8")
    with pytest.raises(images.ImageExportFailed, match=r"Chart images are png or svg, not .gif.\."):
        images.render(built, "gif", by=users["director"])


def test_no_chromium_is_said_plainly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WORKBENCH_CHROMIUM", str(tmp_path / "no-browser"))
    with pytest.raises(images.ImageExportFailed, match=r"No Chromium at .*WORKBENCH_CHROMIUM"):
        images.chromium_path()


# -- the command line ---------------------------------------------------------------------------------


def test_cli_exports_the_html_deck(sample_db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    out = tmp_path / "talk" / "deck.html"
    assert main(["present", "export", "--out", str(out), "--round", "2016B", "--db", str(sample_db_path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == str(out)
    assert captured.err.startswith("Wrote the deck to")
    assert "424 partnerships joined 283 pairs of countries" in out.read_text(encoding="utf-8")
    assert main(["present", "export", "--out", str(out), "--deck", "Keynote", "--db", str(sample_db_path)]) == 1
    assert "There is no deck 'Keynote'; the decks are: All slides" in capsys.readouterr().err
    assert main(["present", "export", "--out", str(tmp_path), "--db", str(sample_db_path)]) == 2
    assert "is a folder; give --out a file name" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_exports_one_svg_per_slide_of_a_saved_deck(writable_db: Path, tmp_path: Path, users: dict,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from workbench.cli import main

    require_chromium()
    con = db.connect(writable_db)
    try:
        decks.save_deck(con, "Short", ["impact", "methods"], "2016B", by=users["director"])
    finally:
        con.close()
    out = tmp_path / "images"
    assert main(["present", "export", "--format", "svg", "--out", str(out), "--deck", "Short",
                 "--db", str(writable_db)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01-impact.svg", "02-methods.svg"]
    assert "Wrote 2 SVG images" in capsys.readouterr().err
    for path in out.iterdir():
        ET.parse(path)
