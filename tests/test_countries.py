"""Country resolution: messy real-world spellings -> ISO-3, suggestions never accepted silently."""

from __future__ import annotations

import logging

import pytest

from workbench import countries
from workbench.countries import (
    ALIASES,
    country_name,
    country_table,
    main_timezone,
    main_utc_offset,
    resolve_countries,
    resolve_country,
)
from workbench.errors import NotFound, WorkbenchError

MESSY: list[tuple[str, str]] = [
    # the United States
    ("USA", "USA"), ("U.S.A.", "USA"), ("United States of America", "USA"), ("US", "USA"),
    ("United States", "USA"), ("u.s.", "USA"), ("the USA", "USA"),
    # the United Kingdom and its countries
    ("UK", "GBR"), ("U.K.", "GBR"), ("England", "GBR"), ("Scotland", "GBR"), ("Wales", "GBR"),
    ("Northern Ireland", "GBR"), ("Great Britain", "GBR"), ("gb", "GBR"),
    # the forms the issue lists
    ("South Korea", "KOR"), ("Korea (Republic of)", "KOR"), ("Republic of Korea", "KOR"),
    ("Viet Nam", "VNM"), ("Vietnam", "VNM"),
    ("Türkiye", "TUR"), ("Turkey", "TUR"), ("Turkiye", "TUR"),
    ("Ivory Coast", "CIV"), ("Côte d'Ivoire", "CIV"), ("Cote d'Ivoire", "CIV"), ("Côte d’Ivoire", "CIV"),
    ("Czech Republic", "CZE"), ("Czechia", "CZE"),
    ("North Macedonia", "MKD"), ("Macedonia", "MKD"),
    ("Swaziland", "SWZ"), ("Eswatini", "SWZ"), ("Burma", "MMR"), ("Myanmar", "MMR"),
    ("Holland", "NLD"), ("The Netherlands", "NLD"), ("Netherlands", "NLD"),
    ("UAE", "ARE"), ("U.A.E.", "ARE"), ("Deutschland", "DEU"), ("México", "MEX"), ("Mexico", "MEX"),
    ("Russia", "RUS"), ("Russian Federation", "RUS"), ("Iran", "IRN"), ("Tanzania", "TZA"),
    ("DR Congo", "COD"), ("Democratic Republic of the Congo", "COD"), ("DRC", "COD"),
    ("Congo-Brazzaville", "COG"), ("Republic of the Congo", "COG"),
    ("Hong Kong", "HKG"), ("Taiwan", "TWN"), ("Palestine", "PSE"), ("Kosovo", "XKX"),
    ("Bolivia", "BOL"), ("Venezuela", "VEN"), ("Laos", "LAO"), ("Syria", "SYR"), ("Moldova", "MDA"),
    ("Cape Verde", "CPV"), ("East Timor", "TLS"), ("Brunei", "BRN"), ("Bosnia", "BIH"),
    ("Brasil", "BRA"), ("España", "ESP"), ("Aotearoa", "NZL"),
    # codes in any case, stray whitespace, trailing dots, odd case
    ("AUS", "AUS"), ("aus", "AUS"), ("Aus", "AUS"), (" nzl. ", "NZL"), ("de", "DEU"), ("fr.", "FRA"),
    ("XKX", "XKX"), ("xk", "XKX"), ("NA", "NAM"), ("na", "NAM"), ("NAM", "NAM"),
    ("  australia  ", "AUS"), ("NEW ZEALAND", "NZL"), ("new\u00a0zealand", "NZL"), ("Canada.", "CAN"),
    ("\tJapan\n", "JPN"), ("sOUTH aFRICA", "ZAF"), ("Philippines", "PHL"), ("Namibia", "NAM"),
    # country_converter's regular expressions
    ("Sydney, Australia", "AUS"), ("Kingdom of Thailand", "THA"), ("Federal Republic of Nigeria", "NGA"),
]


@pytest.mark.parametrize(("typed", "iso3"), MESSY)
def test_messy_names_resolve(typed: str, iso3: str) -> None:
    result = resolve_country(typed)
    assert result.iso3 == iso3, result.message
    assert result.resolved
    assert result.suggestions == ()
    assert iso3 in result.message


@pytest.mark.parametrize(
    ("typed", "method"),
    [("AUS", "iso3"), ("au", "iso2"), ("UK", "alias"), ("Kosovo", "alias"), ("Australia", "name"),
     ("Sydney, Australia", "country_converter")],
)
def test_the_method_says_how_a_value_resolved(typed: str, method: str) -> None:
    assert resolve_country(typed).method == method


def test_namibia_na_stays_namibia_everywhere() -> None:
    assert resolve_country("NA").iso3 == "NAM"
    table = country_table()
    assert table.loc[table["iso3"] == "NAM", "iso2"].item() == "NA"
    assert not table.isna().any().any()


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("Austrailia", "AUS"), ("Germny", "DEU"), ("Phillipines", "PHL"), ("Columbia", "COL"),
     ("Argentna", "ARG"), ("Virginia", "USA")],
)
def test_typos_are_suggested_never_accepted(typo: str, expected: str) -> None:
    result = resolve_country(typo)
    assert result.iso3 is None
    assert not result.resolved
    assert result.method == "suggestion"
    assert expected in [iso3 for iso3, _ in result.suggestions]
    assert result.suggestions[0][1]  # a name to show the coordinator
    assert "Did you mean" in result.message


def test_austrailia_suggests_australia_first() -> None:
    result = resolve_country("Austrailia")
    assert result.suggestions[0] == ("AUS", "Australia")


@pytest.mark.parametrize(("typed", "options"), [("Congo", {"COG", "COD"}), ("Korea", {"KOR", "PRK"})])
def test_ambiguous_names_are_offered_not_guessed(typed: str, options: set[str]) -> None:
    result = resolve_country(typed)
    assert result.iso3 is None
    assert {iso3 for iso3, _ in result.suggestions} == options
    assert "more than one country" in result.message


def test_two_countries_in_one_cell_are_not_guessed() -> None:
    result = resolve_country("Australia and New Zealand")
    assert result.iso3 is None
    assert {iso3 for iso3, _ in result.suggestions} == {"AUS", "NZL"}


@pytest.mark.parametrize("garbage", ["asdf", "xyzzy qwerty", "12345", "840", "Atlantis", "-", "???"])
def test_garbage_gives_none_with_a_message(garbage: str) -> None:
    result = resolve_country(garbage)
    assert result.iso3 is None
    assert result.suggestions == ()
    assert result.method == "unresolved"
    assert "not a country" in result.message
    assert "ISO code" in result.message


@pytest.mark.parametrize("blank", ["", "   ", "\u00a0"])
def test_blank_is_unresolved(blank: str) -> None:
    result = resolve_country(blank)
    assert result.iso3 is None
    assert "No country" in result.message


def test_kosovo_policy_is_xkx_and_documented() -> None:
    assert resolve_country("Republic of Kosovo").iso3 == "XKX"
    assert country_name("XKX") == "Kosovo"
    assert main_timezone("XKX") == "Europe/Belgrade"
    assert "XKX" in (countries.__doc__ or "")
    assert "World Bank" in (countries.__doc__ or "")


def test_every_alias_points_at_a_known_country() -> None:
    known = set(country_table()["iso3"])
    assert set(ALIASES.values()) <= known


def test_country_lookups() -> None:
    assert country_name("aus") == "Australia"
    assert main_timezone("AUS") == "Australia/Sydney"
    assert main_utc_offset("AUS") == 600
    assert countries.is_country("nzl")
    assert not countries.is_country("ZZZ")
    with pytest.raises(NotFound, match="ZZZ"):
        country_name("ZZZ")
    assert issubclass(NotFound, WorkbenchError)


def test_country_table_is_cached_and_typed() -> None:
    assert country_table() is country_table()
    table = country_table()
    assert list(table.columns) == [
        "iso3", "iso2", "name", "continent", "un_region", "timezone", "utc_offset_minutes",
    ]
    assert table["utc_offset_minutes"].dtype == "int64"
    assert table["iso3"].is_unique


def test_resolve_many_is_once_per_distinct_value() -> None:
    values = ["UK", "UK", "Kosovo", "UK", "Austrailia"]
    results = resolve_countries(values)
    assert list(results) == ["UK", "Kosovo", "Austrailia"]
    assert results["UK"].iso3 == "GBR"
    assert results["Austrailia"].iso3 is None


def test_country_converter_is_quiet(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        resolve_country("Somewhere Not Real At All")
    assert not [r for r in caplog.records if r.name.startswith("country_converter")]


def test_suggestions_stop_after_a_budget_in_bulk() -> None:
    """A wrongly mapped column (names, not countries) must not cost a fuzzy search per row."""
    values = [f"Applicant Number {i}" for i in range(5)] + ["Austrailia"]
    results = resolve_countries(values, suggest_limit=2)
    assert all(r.iso3 is None for r in results.values())
    assert results["Austrailia"].suggestions == ()  # over the budget: no suggestions, still a message
    assert "not a country" in results["Austrailia"].message
    assert resolve_country("Austrailia").suggestions  # the single lookup still suggests
