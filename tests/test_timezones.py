"""An applicant's time zone read with their country: decimal hours, abbreviations, cities, and a fallback that
never rejects a row."""

from __future__ import annotations

import pytest

from workbench.intake import parse_timezone, resolve_timezone
from workbench.intake.timezones import country_zones


@pytest.mark.parametrize(
    ("typed", "country", "zone", "offset"),
    [
        # decimal hours as people write them: ".30" is half an hour, and so is ".5"
        ("GMT+5.30", "IND", "Asia/Kolkata", 330), ("UTC+9.30", "AUS", "Australia/Darwin", 570),
        ("+5.5", "LKA", "Asia/Colombo", 330), ("UTC+5.45", "NPL", "Asia/Kathmandu", 345),
        ("GMT+9.5", "AUS", "Australia/Darwin", 570), ("UTC-3.30", "CAN", "America/St_Johns", -210),
        # abbreviations, decided by the country
        ("IST", "IND", "Asia/Kolkata", 330), ("IST", "IRL", "Europe/Dublin", 0), ("IST", "ISR", "Asia/Jerusalem", 120),
        ("MYT", "MYS", "Asia/Kuala_Lumpur", 480), ("AEST", "AUS", "Australia/Sydney", 600),
        ("CST", "CHN", "Asia/Shanghai", 480), ("CST", "USA", "America/Chicago", -360),
        ("PST", "PHL", "Asia/Manila", 480), ("PST", "USA", "America/Los_Angeles", -480),
        ("BST", "BGD", "Asia/Dhaka", 360), ("BST", "GBR", "Europe/London", 0), ("WIB", "IDN", "Asia/Jakarta", 420),
        ("EAT", "KEN", "Africa/Nairobi", 180), ("(AEST)", "AUS", "Australia/Sydney", 600),
        # cities, through the tz database (and a few capitals it does not name)
        ("Sydney", "AUS", "Australia/Sydney", 600), ("sydney", "AUS", "Australia/Sydney", 600),
        ("Kuala Lumpur", "MYS", "Asia/Kuala_Lumpur", 480), ("Sydney, Australia", "AUS", "Australia/Sydney", 600),
        ("Perth time", "AUS", "Australia/Perth", 480), ("Delhi", "IND", "Asia/Kolkata", 330),
        ("Canberra", "AUS", "Australia/Sydney", 600), ("Nairobi", "KEN", "Africa/Nairobi", 180),
        # what worked before still does
        ("Australia/Sydney", "AUS", "Australia/Sydney", 600), ("UTC+10", "AUS", "Australia/Sydney", 600),
        ("UTC+11", "AUS", "Australia/Sydney", 600), ("GMT-5", "USA", "America/New_York", -300),
        ("GMT+8 (Malaysia)", "MYS", "Asia/Kuala_Lumpur", 480),
        ("(GMT+10:00) Canberra, Melbourne, Sydney", "AUS", "Australia/Sydney", 600),
    ],
)
def test_time_zones_read_with_the_applicants_country(typed: str, country: str, zone: str, offset: int) -> None:
    reading = resolve_timezone(typed, country)
    assert (reading.zone, reading.offset_minutes) == (zone, offset)
    assert reading.warning is None


def test_decimal_hours_are_no_longer_read_as_fractions_of_an_hour() -> None:
    # "GMT+5.30" was read as 5.30 hours (+05:18) and "UTC+9.30" as +09:18
    assert parse_timezone("GMT+5.30").offset_minutes == 330  # type: ignore[union-attr]
    assert parse_timezone("UTC+9.30").offset_minutes == 570  # type: ignore[union-attr]
    assert parse_timezone("+5.5").offset_minutes == 330  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("typed", "country", "zone", "words"),
    [
        ("UTC+15", "USA", "America/New_York", "UTC+15:00 is not a time zone anywhere on Earth"),
        ("UTC+5.3", "IND", "Asia/Kolkata", "'UTC+5.3' is not a time zone anywhere on Earth"),
        ("IST", "PAK", "Asia/Karachi", "'IST' is an abbreviation that Pakistan does not use"),
        ("Mars/Olympus", "KEN", "Africa/Nairobi", "'Mars/Olympus' is not a time zone the workbench can read"),
        ("after lunch", "GBR", "Europe/London", "'after lunch' is not a time zone"),
    ],
)
def test_what_cannot_be_read_falls_back_to_the_countrys_zone_with_a_warning(typed: str, country: str, zone: str,
                                                                          words: str) -> None:
    reading = resolve_timezone(typed, country)
    assert reading.zone == zone
    assert reading.warning is not None
    assert words in reading.warning.reason
    assert f"the country's main time zone ({zone}," in reading.warning.reason
    assert "Nothing to do" in reading.warning.fix


def test_a_countrys_zones_start_with_its_main_one() -> None:
    zones = country_zones("AUS")
    assert zones[0] == "Australia/Sydney" and "Australia/Perth" in zones and "Australia/Darwin" in zones
    assert country_zones("IND") == ("Asia/Kolkata",)
    assert country_zones("ZZZ") == ()
