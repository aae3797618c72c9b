"""Reading and validating an application file: every rule, every encoding, a broken file row by row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from workbench.errors import WorkbenchError
from workbench.intake import (
    CANONICAL,
    REQUIRED,
    ROW_COLUMNS,
    FileUnreadable,
    MissingColumns,
    ValidationReport,
    infer_date_order,
    match_headers,
    parse_date,
    parse_timezone,
    read_applications,
    read_table,
    validate,
)
from workbench.sample import vocabularies as vocab

FIXTURES = Path(__file__).parent / "fixtures" / "intake"

#: A Google Forms export's headers, in the canonical order.
FORM_HEADERS: dict[str, str] = {
    "submitted_at": "Timestamp",
    "name": "Full name",
    "email": "Email Address",
    "country": "Which country do you work in?",
    "sector": "Library sector",
    "career_stage": "Career stage",
    "interests": "Areas of interest",
    "languages": "Languages you can work in",
    "timezone": "Time zone",
    "partner_sector": "Preferred partner sector",
    "partner_stage": "Partner's career stage",
    "partner_interests": "Partner interests",
    "organisation": "Organisation",
}

GOOD: dict[str, str] = {
    "submitted_at": "1/12/2017 14:03:22",
    "name": "Ana García",
    "email": "ana@example.org",
    "country": "Australia",
    "sector": "academic",
    "career_stage": "early",
    "interests": "Library spaces; Reading promotion",
    "languages": "English",
    "timezone": "",
    "partner_sector": "",
    "partner_stage": "",
    "partner_interests": "",
    "organisation": "",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def csv_bytes(rows: list[dict[str, str]], columns: list[str] | None = None, *, encoding: str = "utf-8",
              newline: str = "\n", headers: dict[str, str] | None = None) -> bytes:
    columns = columns or list(CANONICAL)
    headers = headers or FORM_HEADERS
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow([headers.get(c, c) for c in columns])
    for record in rows:
        writer.writerow([record.get(c, "") for c in columns])
    return buffer.getvalue().encode(encoding)


def check(rows: list[dict[str, str]], columns: list[str] | None = None, **kwargs: Any) -> ValidationReport:
    return read_applications(csv_bytes(rows, columns), "applications.csv", **kwargs)


def only_rejection(report: ValidationReport) -> tuple[int, str, str]:
    assert len(report.rejections) == 1, report.rejections
    rejection = report.rejections[0]
    assert rejection.fix  # every rejection says what to do
    return rejection.row, rejection.column, rejection.reason


# ---------------------------------------------------------------------------------------------------
# Reading files


def test_utf8_with_bom() -> None:
    data = "\ufeff".encode() + csv_bytes([row()])
    table = read_table(data, "a.csv")
    assert table.columns[0] == "Timestamp"
    report = read_applications(data, "a.csv")
    assert report.rows["name"].tolist() == ["Ana García"]


def test_utf8_without_bom() -> None:
    report = read_applications(csv_bytes([row(name="Zoë Ødegård")]), "a.csv")
    assert report.rows["name"].tolist() == ["Zoë Ødegård"]


def test_latin1_with_mexico_and_cote_divoire() -> None:
    rows = [row(name="José", country="México"), row(email="b@example.org", country="Côte d'Ivoire")]
    data = csv_bytes(rows, encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = read_applications(data, "latin1.csv")
    assert report.rejections == []
    assert report.rows["country_iso3"].tolist() == ["MEX", "CIV"]
    assert report.rows["name"].tolist()[0] == "José"


def test_cp1252_curly_apostrophe() -> None:
    data = csv_bytes([row(country="Côte d’Ivoire", name="O’Brien")], encoding="cp1252")
    report = read_applications(data, "cp1252.csv")
    assert report.rows["country_iso3"].tolist() == ["CIV"]
    assert report.rows["name"].tolist() == ["O’Brien"]


def test_windows_line_ends_and_a_multiline_cell() -> None:
    rows = [row(), row(email="b@example.org", interests="Library spaces\r\nReading promotion")]
    data = csv_bytes(rows, newline="\r\n")
    assert b"\r\n" in data
    report = read_applications(data, "crlf.csv")
    assert report.rejections == []
    assert report.rows["source_row"].tolist() == [2, 3]
    assert report.rows["interests"].tolist()[1] == ["Library spaces", "Reading promotion"]
    assert not any("\r" in str(v) for v in report.rows["name"])


def test_old_mac_line_ends() -> None:
    data = csv_bytes([row(), row(email="b@example.org")], newline="\r")
    assert read_applications(data, "cr.csv").valid_count == 2


def test_utf16_tab_separated_excel_unicode_text() -> None:
    text = csv_bytes([row(name="Łukasz")]).decode().replace(",", "\t")
    text = text.replace("Library spaces; Reading promotion", "Library spaces")
    report = read_applications(text.encode("utf-16"), "unicode.txt")
    assert report.rows["name"].tolist() == ["Łukasz"]


def test_semicolon_delimited_csv() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(FORM_HEADERS[c] for c in REQUIRED)
    writer.writerow(GOOD[c] for c in REQUIRED)
    report = read_applications(buffer.getvalue().encode(), "excel-eu.csv")
    assert report.rows["interests"].tolist() == [["Library spaces", "Reading promotion"]]


def test_xlsx_first_sheet_dates_and_row_numbers() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([])  # a blank first row: the header is row 2
    sheet.append([FORM_HEADERS[c] for c in CANONICAL])
    sheet.append([dt.datetime(2017, 1, 12, 14, 3, 22), "Ana", "ana@example.org", "México", "University",
                  "Early career", "Library spaces, Reading promotion", None, None, None, None, None])
    sheet.append([])
    sheet.append(["2017-01-13", "Bo", "bo@example.org", "NA", "public", "mid", "Library spaces",
                  "en", 10, "any", None, None])
    other = workbook.create_sheet("Notes")
    other.append(["not", "applications"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = read_table(buffer.getvalue(), "form.xlsx")
    assert table.index.tolist() == [3, 5]
    assert table.index.name == "source_row"
    assert table.iloc[0]["Timestamp"] == "2017-01-12 14:03:22"
    assert table.iloc[1]["Time zone"] == "10"  # a number cell comes back as text

    report = read_applications(buffer.getvalue(), "form.xlsx")
    assert report.rows["source_row"].tolist() == [3, 5]
    assert report.rows["submitted_at"].tolist() == [pd.Timestamp("2017-01-12 14:03:22"), pd.Timestamp("2017-01-13")]
    assert report.rows["country_iso3"].tolist() == ["MEX", "NAM"]
    assert report.rejections == []
    # "10" is no time zone: Namibia's main zone is used, with a warning naming the row and the zone
    assert report.rows["timezone"].tolist()[1] == "Africa/Windhoek"
    assert [(w.row, w.column) for w in report.warnings] == [(5, "Time zone")]
    assert "Africa/Windhoek" in report.warnings[0].reason


@pytest.mark.parametrize(
    ("data", "filename", "words"),
    [
        (b"", "empty.csv", "empty"),
        (b"  \r\n ", "blank.csv", "empty"),
        (b"\x00\x01\x02\x03binary\x00stuff", "photo.jpg", "neither a CSV nor an XLSX"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "neither a CSV nor an XLSX"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", ".xls"),
    ],
)
def test_a_file_that_is_neither_csv_nor_xlsx(data: bytes, filename: str, words: str) -> None:
    with pytest.raises(FileUnreadable, match=words) as caught:
        read_table(data, filename)
    assert isinstance(caught.value, WorkbenchError)
    assert "CSV" in str(caught.value)


def test_the_content_decides_not_the_file_name() -> None:
    report = read_applications(csv_bytes([row()]), "really-a-csv.xlsx")
    assert report.valid_count == 1


def test_header_only_file_has_nothing_to_import() -> None:
    report = read_applications(csv_bytes([]), "empty.csv")
    assert report.total_rows == 0
    assert report.valid_count == 0
    assert report.rejections == []
    assert list(report.rows.columns) == list(ROW_COLUMNS)


def test_blank_rows_are_skipped_but_row_numbers_stay_true() -> None:
    data = csv_bytes([row(), {c: "" for c in CANONICAL}, row(email="b@example.org", name="")])
    report = read_applications(data, "gaps.csv")
    assert report.total_rows == 2
    assert report.rows["source_row"].tolist() == [2]
    assert [r.row for r in report.rejections] == [4]


def test_trailing_delimiters_on_every_row_are_not_a_fault() -> None:
    text = csv_bytes([row(), row(email="b@example.org")]).decode()
    text = "\n".join(line + ",," for line in text.splitlines()) + "\n"
    report = read_applications(text.encode(), "trailing.csv")
    assert report.rejections == []
    assert report.valid_count == 2


def test_a_row_with_an_unquoted_comma_is_rejected_as_a_whole() -> None:
    text = csv_bytes([row()], columns=list(REQUIRED)).decode()
    text += "1/12/2017 10:00,Smith, John,john@example.org,Canada,public,mid,Library spaces\n"
    report = read_applications(text.encode(), "shifted.csv")
    assert report.valid_count == 1
    assert len(report.rejections) == 1
    rejection = report.rejections[0]
    assert (rejection.row, rejection.column) == (3, "(whole row)")
    assert "8 cells" in rejection.reason and "7 columns" in rejection.reason
    assert "quotes" in rejection.fix


# ---------------------------------------------------------------------------------------------------
# Header matching


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Timestamp", "submitted_at"), ("Email Address", "email"), ("Full name", "name"), ("Name", "name"),
        ("Which country do you work in?", "country"), ("Country", "country"), ("Library sector", "sector"),
        ("Sector you work in", "sector"), ("Career stage", "career_stage"), ("Areas of interest", "interests"),
        ("Interests", "interests"), ("Languages you can work in", "languages"), ("Time zone", "timezone"),
        ("Preferred partner sector", "partner_sector"), ("Partner's career stage", "partner_stage"),
        ("Partner interests", "partner_interests"), ("  EMAIL  ", "email"), ("E-mail", "email"),
        ("submitted_at", "submitted_at"), ("Submitted At", "submitted_at"), ("career-stage", "career_stage"),
        ("CAREER_STAGE", "career_stage"), ("Time-zone:", "timezone"), ("Timezone", "timezone"),
        ("What is your email address?", "email"), ("Your full name", "name"),
        ("Areas of interest (choose 3 to 6)", "interests"), ("Which languages can you work in?", "languages"),
        ("What type of library do you work in?", "sector"), ("Preferred career stage of your partner", "partner_stage"),
        ("Interests you would like your partner to share", "partner_interests"),
        ("Time zone (e.g. UTC+10)", "timezone"), ("Pays / Country", "country"),
    ],
)
def test_header_names(header: str, canonical: str) -> None:
    match = match_headers([header])
    assert match.mapping == {canonical: header}
    assert match.unknown == []


def test_google_forms_headers_map_completely() -> None:
    columns = [*FORM_HEADERS.values(), "Anything else you'd like to tell us?"]
    match = match_headers(columns)
    assert match.mapping == FORM_HEADERS
    assert match.unknown == ["Anything else you'd like to tell us?"]
    assert match.missing_required == []
    assert match.ok
    assert match.require() == FORM_HEADERS


def test_names_that_are_not_the_applicants_name() -> None:
    match = match_headers(["Library name", "First name", "Username", "Email"])
    assert "name" not in match.mapping
    assert "name" in match.missing_required
    assert match.mapping.get("organisation") == "Library name"  # the library is where they work
    assert match.unknown == ["First name", "Username"]


def test_the_stronger_header_wins() -> None:
    match = match_headers(["Name of your library's country", "Country", "Name", "Library name"])
    assert match.mapping["country"] == "Country"
    assert match.mapping["name"] == "Name"


def test_missing_required_columns_are_named_with_how_to_map_them() -> None:
    match = match_headers(["Timestamp", "Name", "E-post", "Country", "Sector", "Career stage"])
    assert match.missing_required == ["email", "interests"]
    assert not match.ok
    message = match.message()
    assert "'email'" in message and "'interests'" in message
    assert "E-post" in message and "map" in message.lower()
    with pytest.raises(MissingColumns, match="email") as caught:
        match.require()
    assert caught.value.missing == ("email", "interests")


def test_manual_mapping_maps_unknown_columns_by_hand() -> None:
    columns = ["Timestamp", "Name", "E-post", "Land", "Sector", "Career stage", "Interests", "Notes"]
    match = match_headers(columns, manual={"E-post": "email", "Land": "country", "Notes": None})
    assert match.mapping["email"] == "E-post"
    assert match.mapping["country"] == "Land"
    assert match.missing_required == []
    assert match.unknown == ["Notes"]


def test_manual_mapping_wins_and_can_unmap() -> None:
    match = match_headers(["Name", "Full name", "Country"], manual={"Full name": "name", "Country": ""})
    assert match.mapping["name"] == "Full name"
    assert "country" not in match.mapping
    assert set(match.unknown) == {"Name", "Country"}


@pytest.mark.parametrize(
    ("manual", "words"),
    [({"Nope": "email"}, "no column 'Nope'"), ({"Name": "birthday"}, "not an application column"),
     ({"Name": "name", "Country": "name"}, "Both")],
)
def test_bad_manual_mappings_are_explained(manual: dict[str, str], words: str) -> None:
    with pytest.raises(WorkbenchError, match=words):
        match_headers(["Name", "Country"], manual=manual)


def test_validate_refuses_a_mapping_without_a_required_column() -> None:
    table = read_table(csv_bytes([row()]), "a.csv")
    mapping = match_headers(table.columns).mapping
    del mapping["email"]
    with pytest.raises(MissingColumns, match="'email'") as caught:
        validate(table, mapping)
    assert "Email Address" in str(caught.value)  # the unmapped column it could be


def test_read_applications_with_a_missing_column_says_which() -> None:
    data = csv_bytes([row()], columns=[c for c in CANONICAL if c != "interests"])
    with pytest.raises(MissingColumns, match="interests"):
        read_applications(data, "a.csv")


# ---------------------------------------------------------------------------------------------------
# The clean records


def test_clean_record_shape() -> None:
    report = check([row(), row(email="b@example.org", languages="Spanish, English", timezone="UTC+10",
                            partner_sector="public", partner_stage="senior",
                            partner_interests="Library advocacy")])
    rows = report.rows
    assert list(rows.columns) == list(ROW_COLUMNS)
    assert rows["source_row"].tolist() == [2, 3]
    assert str(rows["submitted_at"].dtype).startswith("datetime64")
    assert rows["utc_offset_minutes"].dtype == "int64"
    first, second = rows.to_dict("records")
    assert first["submitted_at"] == pd.Timestamp("2017-01-12 14:03:22")
    assert first["email"] == "ana@example.org" and first["email_normalised"] == "ana@example.org"
    assert first["country_iso3"] == "AUS"
    assert first["interests"] == ["Library spaces", "Reading promotion"]
    assert first["languages"] == ["English"]
    assert (first["timezone"], first["utc_offset_minutes"]) == ("Australia/Sydney", 600)
    assert first["partner_sector"] is None and first["partner_stage"] is None
    assert first["partner_interests"] == []
    assert second["languages"] == ["Spanish", "English"]
    assert (second["partner_sector"], second["partner_stage"]) == ("public", "senior")
    assert second["partner_interests"] == ["Library advocacy"]
    assert report.summary() == "applications.csv: 2 of 2 rows ready to import."


def test_a_frame_with_missing_values_treats_them_as_blank() -> None:
    frame = pd.DataFrame([{**row(), "timezone": None, "languages": float("nan"), "partner_sector": pd.NA}])
    report = validate(frame, {c: c for c in CANONICAL})
    assert report.rejections == []
    assert report.rows["languages"].tolist() == [["English"]]
    assert report.rows["partner_sector"].tolist() == [None]


def test_plain_frame_rows_are_numbered_from_two() -> None:
    frame = pd.DataFrame([row(), row(email="b@example.org", career_stage="")])
    report = validate(frame, {c: c for c in CANONICAL})
    assert report.rows["source_row"].tolist() == [2]
    assert report.rejections[0].row == 3
    assert report.rejections[0].column == "career_stage"


# ---------------------------------------------------------------------------------------------------
# Rules


@pytest.mark.parametrize("canonical", REQUIRED)
@pytest.mark.parametrize("blank", ["", "   ", "\u00a0\t"])
def test_required_fields_must_not_be_blank(canonical: str, blank: str) -> None:
    report = check([row(**{canonical: blank})])
    number, column, reason = only_rejection(report)
    assert (number, column) == (2, FORM_HEADERS[canonical])
    assert "missing" in reason
    assert report.valid_count == 0


@pytest.mark.parametrize(
    "email", ["ana@example.org", "first.last+tag@sub.example.co.uk", "O'Neil@example.ie", "x_y-z@a-b.io"]
)
def test_good_email_syntax(email: str) -> None:
    assert check([row(email=email)]).valid_count == 1


@pytest.mark.parametrize(
    "email",
    ["ana", "ana@", "@example.org", "ana@example", "ana@@example.org", "ana example@x.org", "ana@exa mple.org",
     ".ana@example.org", "ana.@example.org", "an..a@example.org", "Ana <ana@example.org>", "ana@example.c"],
)
def test_bad_email_syntax(email: str) -> None:
    number, column, reason = only_rejection(check([row(email=email)]))
    assert (number, column) == (2, "Email Address")
    assert "not an email address" in reason


def test_email_is_trimmed_and_normalised() -> None:
    report = check([row(email="  Ana.Garcia@Example.ORG\u00a0")])
    assert report.rows["email"].tolist() == ["Ana.Garcia@Example.ORG"]
    assert report.rows["email_normalised"].tolist() == ["ana.garcia@example.org"]


def test_someone_who_submitted_twice_keeps_the_latest_submission() -> None:
    rows = [row(), row(email="b@example.org"), row(email=" ANA@example.ORG ", name="Ana again",
                                                   submitted_at="1/13/2017 09:00:00")]
    report = check(rows)
    assert report.rejections == []
    assert report.rows["source_row"].tolist() == [3, 4]
    assert report.rows["name"].tolist() == ["Ana García", "Ana again"]
    assert [(r.row, r.column) for r in report.resubmitted] == [(2, "Email Address")]
    assert "row 4" in report.resubmitted[0].reason and "latest" in report.resubmitted[0].reason
    assert "--keep first" in report.resubmitted[0].fix
    assert "1 earlier submission(s) replaced by the latest one" in report.summary()


def test_the_latest_submission_is_decided_by_its_date_not_its_place_in_the_file() -> None:
    rows = [row(name="Ana, corrected", submitted_at="1/20/2017 09:00:00"), row(name="Ana, first try")]
    assert check(rows).rows["name"].tolist() == ["Ana, corrected"]
    assert check(rows, keep="first").rows["name"].tolist() == ["Ana, first try"]


def test_keeping_the_first_submission_instead() -> None:
    rows = [row(), row(name="Ana again", submitted_at="1/13/2017 09:00:00")]
    report = check(rows, keep="first")
    assert report.rows["name"].tolist() == ["Ana García"]
    assert [r.row for r in report.resubmitted] == [3]
    assert "first submission" in report.resubmitted[0].reason
    with pytest.raises(WorkbenchError, match="'latest' or 'first'"):
        check(rows, keep="last")  # type: ignore[arg-type]


def test_a_valid_row_is_kept_when_the_other_submission_is_rejected() -> None:
    report = check([row(name="Ana, corrected", submitted_at="next week"), row()])
    assert report.rows["source_row"].tolist() == [3]
    assert [(r.row, r.column) for r in report.rejections] == [(2, "Timestamp")]
    assert report.resubmitted == []


def test_already_in_the_round_is_reported_not_rejected() -> None:
    rows = [row(), row(email="b@example.org")]
    first = check(rows)
    assert first.valid_count == 2
    second = check(rows, existing_emails=set(first.rows["email_normalised"]))
    assert second.valid_count == 0
    assert second.rejections == []
    assert [(a.row, a.column) for a in second.already_applied] == [(2, "Email Address"), (3, "Email Address")]
    assert all("already applied to this round" in a.reason.lower() for a in second.already_applied)
    assert "2 already applied to this round" in second.summary()
    frame = second.rejections_frame()
    assert frame["row"].tolist() == [2, 3]
    assert second.rejections_frame(include_already_applied=False).empty


def test_existing_emails_are_compared_normalised() -> None:
    report = check([row(email="Ana@Example.org")], existing_emails={"  ANA@example.ORG "})
    assert report.valid_count == 0 and len(report.already_applied) == 1


@pytest.mark.parametrize(
    ("typed", "sector"),
    [("academic", "academic"), ("Academic", "academic"), ("university", "academic"), ("College", "academic"),
     ("Higher Education", "academic"), ("tertiary", "academic"), ("University library", "academic"),
     ("Academic / University", "academic"), ("public", "public"), ("Public Library", "public"),
     ("public libraries", "public"), ("school library", "school"), ("K-12", "school"), ("k12", "school"),
     ("special library", "special"), ("Corporate", "special"), ("government", "special"), ("Law", "special"),
     ("Medical", "special"), ("health", "special"), ("Health library", "special"),
     ("national library", "national"), ("National", "national"), ("other", "other"), ("OTHER", "other")],
)
def test_sector_synonyms(typed: str, sector: str) -> None:
    report = check([row(sector=typed)])
    assert report.rows["sector"].tolist() == [sector], report.rejections


@pytest.mark.parametrize("typed", ["Zoo", "Bookshop", "Public; School"])
def test_an_unknown_sector_is_kept_as_written_not_rejected(typed: str) -> None:
    report = check([row(sector=typed)])
    assert report.rejections == []
    assert report.rows["sector"].tolist() == [typed]
    [unknown] = report.unknown_values
    assert (unknown.column, unknown.source, unknown.value, unknown.rows) == ("sector", "Library sector", typed, (2,))
    assert unknown.suggestion is None and unknown.kept


@pytest.mark.parametrize(
    ("typed", "stage"),
    [("student", "student"), ("Library school student", "student"), ("LIS student", "student"),
     ("early", "early"), ("Early career", "early"), ("early-career", "early"), ("New professional", "early"),
     ("graduate", "early"), ("Early career (0-5 years)", "early"), ("mid", "mid"), ("Mid career", "mid"),
     ("mid-career", "mid"), ("Mid-career librarian", "mid"), ("senior", "senior"), ("Manager", "senior"),
     ("experienced", "senior"), ("Late career", "senior"), ("SENIOR", "senior")],
)
def test_career_stage_synonyms(typed: str, stage: str) -> None:
    report = check([row(career_stage=typed)])
    assert report.rows["career_stage"].tolist() == [stage], report.rejections


def test_an_unknown_career_stage_is_kept_with_a_suggestion() -> None:
    report = check([row(career_stage="Senoir")])
    assert report.rejections == []
    assert report.rows["career_stage"].tolist() == ["Senoir"]
    assert [(u.column, u.value, u.suggestion) for u in report.unknown_values] == [("career_stage", "Senoir", "senior")]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("Library spaces; Reading promotion", ["Library spaces", "Reading promotion"]),
     ("Library spaces, Reading promotion", ["Library spaces", "Reading promotion"]),
     ("library SPACES;reading promotion ;", ["Library spaces", "Reading promotion"]),
     ("Management & leadership", ["Management and leadership"]),
     ("open-access and scholarly communication", ["Open access and scholarly communication"]),
     ("Library spaces; Library spaces", ["Library spaces"])],
)
def test_interests_are_split_and_matched(typed: str, expected: list[str]) -> None:
    report = check([row(interests=typed)])
    assert report.rows["interests"].tolist() == [expected], report.rejections


def test_an_unknown_interest_is_kept_with_the_closest_one() -> None:
    report = check([row(interests="Library spaces; Social meda")])
    assert report.rejections == []
    assert report.rows["interests"].tolist() == [["Library spaces", "Social meda"]]
    assert [(u.value, u.suggestion) for u in report.unknown_values] == [("Social meda", "Social media")]


def test_more_than_ten_interests_is_rejected() -> None:
    report = check([row(interests="; ".join(vocab.INTERESTS[:11]))])
    assert "11 interests" in only_rejection(report)[2]


def test_interests_of_only_separators_are_missing() -> None:
    assert "no area of interest" in only_rejection(check([row(interests=" ; , ")]))[2]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("English", ["English"]), ("english; SPANISH", ["English", "Spanish"]), ("French, German", ["French", "German"]),
     ("es", ["Spanish"]), ("fra", ["French"]), ("zh", ["Chinese"]), ("Mandarin", ["Chinese"]),
     ("Farsi", ["Persian"]), ("English (native)", ["English"]), ("English and Portuguese", ["English", "Portuguese"]),
     ("English/Spanish", ["English", "Spanish"]), ("Filipino", ["Tagalog"]), ("el", ["Greek"]),
     ("", ["English"])],
)
def test_languages(typed: str, expected: list[str]) -> None:
    report = check([row(languages=typed)])
    assert report.rows["languages"].tolist() == [expected], report.rejections


def test_an_unknown_language_is_kept_with_a_suggestion() -> None:
    report = check([row(languages="English; Sapnish")])
    assert report.rejections == []
    assert report.rows["languages"].tolist() == [["English", "Sapnish"]]
    assert [(u.column, u.value, u.suggestion) for u in report.unknown_values] == [("languages", "Sapnish", "Spanish")]


def test_a_real_language_outside_the_program_list_is_kept_without_a_suggestion() -> None:
    report = check([row(languages="Klingon")])
    assert report.rejections == [] and report.rows["languages"].tolist() == [["Klingon"]]
    assert [(u.value, u.suggestion) for u in report.unknown_values] == [("Klingon", None)]


@pytest.mark.parametrize(
    ("typed", "zone", "offset"),
    [("Australia/Sydney", "Australia/Sydney", 600), ("australia/sydney", "Australia/Sydney", 600),
     ("America/New York", "America/New_York", -300), ("Asia/Kolkata", "Asia/Kolkata", 330),
     ("UTC+10", "Australia/Sydney", 600), ("GMT+10", "Australia/Sydney", 600), ("+10:00", "Australia/Sydney", 600),
     ("UTC+8", "Etc/GMT-8", 480), ("GMT-5", "Etc/GMT+5", -300), ("UTC+05:30", "Asia/Kolkata", 330),
     ("UTC+5:45", "Asia/Kathmandu", 345), ("UTC−3", "Etc/GMT+3", -180), ("UTC", "UTC", 0), ("UTC+0", "Etc/UTC", 0),
     ("(GMT+10:00) Canberra, Melbourne, Sydney", "Australia/Sydney", 600), ("AEST", "Australia/Sydney", 600),
     ("UTC+14", "Etc/GMT-14", 840), ("UTC-12", "Etc/GMT+12", -720), ("", "Australia/Sydney", 600),
     ("UTC+11", "Australia/Sydney", 600)],  # Sydney's daylight-saving offset: its standard one is kept
)
def test_time_zones(typed: str, zone: str, offset: int) -> None:
    report = check([row(timezone=typed)])  # an applicant in Australia
    assert report.rows[["timezone", "utc_offset_minutes"]].values.tolist() == [[zone, offset]], report.rejections


@pytest.mark.parametrize("typed", ["UTC+15", "GMT-13", "UTC+05:17", "Mars/Olympus", "Australia/Sidney!", "soon"])
def test_an_unreadable_time_zone_falls_back_to_the_countrys_with_a_warning(typed: str) -> None:
    report = check([row(timezone=typed)])  # an applicant in Australia
    assert report.rejections == []
    assert report.rows[["timezone", "utc_offset_minutes"]].values.tolist() == [["Australia/Sydney", 600]]
    [warning] = report.warnings
    assert (warning.row, warning.column, warning.value) == (2, "Time zone", typed)
    assert "the country's main time zone (Australia/Sydney, UTC+10:00) is used" in warning.reason


def test_time_zone_defaults_to_the_countrys_main_zone() -> None:
    columns = [c for c in CANONICAL if c != "timezone"]
    report = check([row(country="Kosovo"), row(email="b@example.org", country="India")], columns)
    assert report.rows["timezone"].tolist() == ["Europe/Belgrade", "Asia/Kolkata"]
    assert report.rows["utc_offset_minutes"].tolist() == [60, 330]


def test_parse_timezone_directly() -> None:
    value = parse_timezone("UTC+05:30")
    assert not hasattr(value, "reason") and value.offset_minutes == 330  # type: ignore[union-attr]


@pytest.mark.parametrize("wish", ["", "any", "Any", "No preference", "no preference.", "Open to any match",
                                  "n/a", "None", "Any sector"])
def test_no_partner_wish(wish: str) -> None:
    report = check([row(partner_sector=wish, partner_stage=wish, partner_interests=wish)])
    record = report.rows.to_dict("records")[0]
    assert (record["partner_sector"], record["partner_stage"], record["partner_interests"]) == (None, None, [])


def test_partner_wishes_use_the_synonyms() -> None:
    report = check([row(partner_sector="University", partner_stage="Early career",
                        partner_interests="library advocacy, Social media")])
    record = report.rows.to_dict("records")[0]
    assert record["partner_sector"] == "academic"
    assert record["partner_stage"] == "early"
    assert record["partner_interests"] == ["Library advocacy", "Social media"]


@pytest.mark.parametrize(("canonical", "value"), [("partner_sector", "Aquarium"), ("partner_stage", "Ancient"),
                                                 ("partner_interests", "Basket weaving")])
def test_unknown_partner_wishes_are_kept_as_written(canonical: str, value: str) -> None:
    report = check([row(**{canonical: value})])
    assert report.rejections == []
    assert [(u.column, u.source, u.value) for u in report.unknown_values] == [
        (canonical, FORM_HEADERS[canonical], value)]
    stored = report.rows[canonical].tolist()[0]
    assert stored == ([value] if canonical == "partner_interests" else value)


def test_missing_optional_columns_get_defaults() -> None:
    report = check([row(country="Japan")], list(REQUIRED))
    record = report.rows.to_dict("records")[0]
    assert record["languages"] == ["English"]
    assert (record["timezone"], record["utc_offset_minutes"]) == ("Asia/Tokyo", 540)
    assert (record["partner_sector"], record["partner_stage"], record["partner_interests"]) == (None, None, [])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2017-01-12", "2017-01-12 00:00:00"), ("2017-01-12 14:03:22", "2017-01-12 14:03:22"),
     ("2017-01-12T14:03:22", "2017-01-12 14:03:22"), ("2017-01-12T14:03:22Z", "2017-01-12 14:03:22"),
     ("2017-01-12T14:03:22+10:00", "2017-01-12 04:03:22"), ("1/12/2017 14:03:22", "2017-01-12 14:03:22"),
     ("1/12/2017 2:03:22 PM", "2017-01-12 14:03:22"), ("01/12/2017", "2017-01-12 00:00:00"),
     ("12/01/2017", "2017-12-01 00:00:00"), ("1/12/17 9:05", "2017-01-12 09:05:00"),
     ("12.01.2017", "2017-01-12 00:00:00"), ("2017/01/12", "2017-01-12 00:00:00"),
     ("12 January 2017", "2017-01-12 00:00:00"), ("Jan 12, 2017 2:03 pm", "2017-01-12 14:03:00"),
     ("Thursday, 12th January 2017", "2017-01-12 00:00:00")],
)
def test_dates(typed: str, expected: str) -> None:
    report = check([row(submitted_at=typed)])
    assert report.rows["submitted_at"].tolist() == [pd.Timestamp(expected)], report.rejections


@pytest.mark.parametrize("typed", ["next Tuesday", "2017-02-30", "2017-13-01", "1/32/2017", "12/01/2017 25:00",
                                   "42747.5", "yesterday-ish", "1/12/1066", "2017"])
def test_unparseable_dates_are_rejected(typed: str) -> None:
    number, column, reason = only_rejection(check([row(submitted_at=typed)]))
    assert (number, column) == (2, "Timestamp")
    assert "date" in reason


def test_day_first_file_reads_ambiguous_dates_day_first() -> None:
    rows = [row(submitted_at="13/01/2017 10:00"), row(email="b@example.org", submitted_at="12/01/2017 10:00")]
    report = check(rows)
    assert report.date_order == "dmy"
    assert report.rows["submitted_at"].tolist() == [pd.Timestamp("2017-01-13 10:00"),
                                                    pd.Timestamp("2017-01-12 10:00")]


def test_month_first_is_the_default_for_ambiguous_dates() -> None:
    report = check([row(submitted_at="12/01/2017")])
    assert report.date_order == "mdy"
    assert report.rows["submitted_at"].tolist() == [pd.Timestamp("2017-12-01")]


def test_a_date_against_the_files_order_is_rejected() -> None:
    rows = [row(submitted_at="1/13/2017"), row(email="b@example.org", submitted_at="1/14/2017"),
            row(email="c@example.org", submitted_at="15/01/2017")]
    report = check(rows)
    number, column, reason = only_rejection(report)
    assert (number, column) == (4, "Timestamp")
    assert "month first" in reason
    assert "YYYY-MM-DD" in report.rejections[0].fix


def test_the_coordinator_can_set_the_date_order() -> None:
    report = check([row(submitted_at="12/01/2017")], date_order="dmy")
    assert report.rows["submitted_at"].tolist() == [pd.Timestamp("2017-01-12")]


def test_infer_date_order_rule() -> None:
    assert infer_date_order(["1/12/2017", "12/1/2017"]) == "mdy"
    assert infer_date_order(["13/1/2017", "12/1/2017"]) == "dmy"
    assert infer_date_order(["1/13/2017", "13/1/2017", "1/14/2017"]) == "mdy"
    assert infer_date_order(["2017-01-13", "13.01.2017"]) == "mdy"  # ISO and dotted dates do not vote
    assert parse_date("13.01.2017") == dt.datetime(2017, 1, 13)


def test_over_long_name_is_rejected() -> None:
    assert check([row(name="N" * 200)]).valid_count == 1
    number, column, reason = only_rejection(check([row(name="N" * 201)]))
    assert (number, column) == (2, "Full name")
    assert "201" in reason and "200" in reason


def test_over_long_cell_is_rejected() -> None:
    long_interests = "; ".join(["Library spaces"] * 70)  # 1,118 characters
    report = check([row(interests=long_interests)])
    number, column, reason = only_rejection(report)
    assert (number, column) == (2, "Areas of interest")
    assert "1,000" in reason
    assert len(report.rejections[0].value) <= 200  # the report shows a shortened value


def test_whitespace_is_trimmed_everywhere() -> None:
    report = check([row(name="\u00a0  Ana \u2003  García\u202f", country="  u.s.a. ", sector=" public\u00a0",
                        interests="  Library spaces ;  Reading promotion  ")])
    record = report.rows.to_dict("records")[0]
    assert record["name"] == "Ana García"
    assert record["country_iso3"] == "USA"
    assert record["interests"] == ["Library spaces", "Reading promotion"]


def test_unicode_is_nfc_normalised_and_zero_width_characters_dropped() -> None:
    decomposed = unicodedata.normalize("NFD", "José Müller")
    assert decomposed != "José Müller"
    report = check([row(name=decomposed + "\u200b", country=unicodedata.normalize("NFD", "México"))])
    assert report.rows["name"].tolist() == ["José Müller"]
    assert report.rows["country_iso3"].tolist() == ["MEX"]


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_control_characters_are_rejected(control: str) -> None:
    # (a CSV file holding NUL bytes is refused as binary by read_table; a frame may still hold one)
    frame = pd.DataFrame([row(name=f"Ana{control}García")]).rename(columns=FORM_HEADERS)
    report = validate(frame, FORM_HEADERS)
    number, column, reason = only_rejection(report)
    assert (number, column) == (2, "Full name")
    assert "control character" in reason
    assert control not in report.rejections[0].value  # shown as <U+XXXX>


def test_namibia_na_is_not_a_missing_value() -> None:
    report = check([row(country="NA"), row(email="b@example.org", country="na", partner_sector="N/A")])
    assert report.rows["country_iso3"].tolist() == ["NAM", "NAM"]
    assert report.rows["partner_sector"].tolist() == [None, None]


def test_country_suggestion_is_rejected_until_confirmed() -> None:
    rows = [row(country="Austrailia"), row(email="b@example.org", country="Austrailia")]
    report = check(rows)
    assert report.valid_count == 0
    assert [s.row for s in report.suggestions] == [2, 3]
    assert report.suggested_countries()["Austrailia"][0] == ("AUS", "Australia")
    assert all("Australia (AUS)" in r.reason for r in report.rejections)
    assert "1 country spelling(s) to confirm" in report.summary()

    confirmed = check(rows, confirmed_countries={"Austrailia": "aus"})
    assert confirmed.rejections == [] and confirmed.suggestions == []
    assert confirmed.rows["country_iso3"].tolist() == ["AUS", "AUS"]


def test_confirming_a_country_that_does_not_exist_is_refused() -> None:
    with pytest.raises(WorkbenchError, match="ZZZ"):
        check([row(country="Austrailia")], confirmed_countries={"Austrailia": "ZZZ"})


def test_unknown_country_is_rejected() -> None:
    report = check([row(country="Atlantis")])
    number, column, reason = only_rejection(report)
    assert (number, column) == (2, "Which country do you work in?")
    assert "Atlantis" in reason
    assert report.suggestions == []


def test_a_row_with_several_faults_reports_each() -> None:
    report = check([row(email="nope", submitted_at="soon", country="Atlantis")])
    assert [r.column for r in report.rejections] == ["Timestamp", "Email Address", "Which country do you work in?"]
    assert report.rejected_rows == [2]


def test_rejections_frame_for_download() -> None:
    report = check([row(name="=HYPERLINK(\"http://x\")", email="bad"), row(email="b@example.org", country="Zoo")])
    frame = report.rejections_frame()
    assert list(frame.columns) == ["row", "column", "value", "reason", "fix"]
    assert frame["row"].tolist() == [2, 3]
    assert frame["value"].tolist()[0] == "bad"
    raw = check([row(name="=1+1", country="Zoo")]).rejections_frame()
    assert raw["value"].tolist() == ["Zoo"]
    formula = check([row(country="=1+1")])
    assert formula.rejections_frame()["value"].tolist() == ["'=1+1"]
    assert formula.rejections_frame(escape_formulas=False)["value"].tolist() == ["=1+1"]
    assert frame.to_csv(index=False).startswith("row,column,value,reason,fix")


def test_garbage_never_raises() -> None:
    rng = random.Random(7)
    alphabet = "abcXYZ019 ;,./:@+-()&'\"\u00a0\u200bé\x07\t\nUTCGMT"
    rows = [{c: "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for c in CANONICAL}
            for _ in range(300)]
    report = check(rows)
    assert report.total_rows == report.valid_count + len(report.rejected_rows)  # every row accounted for
    for rejection in report.rejections:
        assert rejection.reason and rejection.fix
        assert rejection.row >= 2


def test_ten_thousand_rows_validate() -> None:
    """10,000 rows (no timed assertion: about 0.3 s here; see the module notes)."""
    rng = random.Random(1)
    places = ["Australia", "USA", "UK", "India", "Nigeria", "México", "Kosovo", "Viet Nam", "Austrailia"]
    rows = []
    for i in range(10_000):
        rows.append(row(
            submitted_at=f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2016 {rng.randint(0, 23)}:{rng.randint(10, 59)}",
            name=f"Person {i}", email=f"p{i}@example.org", country=rng.choice(places),
            sector=rng.choice(["University", "public", "school library", "special"]),
            career_stage=rng.choice(["early career", "mid", "senior", "student"]),
            interests="; ".join(rng.sample(vocab.INTERESTS, 4)), languages=rng.choice(["English", "en, fr", ""]),
            timezone=rng.choice(["", "UTC+10", "Europe/London"]), partner_sector=rng.choice(["", "any", "academic"]),
        ))
    report = check(rows)
    suggested = sum(1 for r in rows if r["country"] == "Austrailia")
    assert report.valid_count == 10_000 - suggested
    assert len(report.suggestions) == suggested
    assert report.rows["source_row"].is_monotonic_increasing


# ---------------------------------------------------------------------------------------------------
# A deliberately broken file, one fault per row


#: (file row, column as in the file, words of the reason) for each faulty row of the fixture.
BROKEN_EXPECTED: list[tuple[int, str, str]] = [
    (3, "Full name", "name is missing"),
    (4, "Email Address", "not an email address"),
    (12, "Timestamp", "'next Tuesday' is not a date"),
    (13, "Timestamp", "'2017-02-30 09:00:00' is not a date that exists"),
    (14, "Full name", "250 characters; the limit is 200"),
    (15, "Partner interests", "the limit is 1,000"),
    (16, "Full name", "control character (U+0007)"),
    (17, "Which country do you work in?", "'Atlantis' is not a country"),
    (18, "Which country do you work in?", "it may be Australia (AUS)"),
    (19, "Timestamp", "cannot be read month first"),
    (21, "(whole row)", "13 cells but the header has 12 columns"),
    (24, "Which country do you work in?", "country is missing"),
    (25, "Areas of interest", "11 interests"),
]


@pytest.fixture(scope="module")
def broken() -> ValidationReport:
    data = (FIXTURES / "broken_applications.csv").read_bytes()
    return read_applications(data, "broken_applications.csv")


def test_broken_file_is_rejected_row_by_row(broken: ValidationReport) -> None:
    found = [(r.row, r.column, r.reason) for r in broken.rejections]
    assert [(n, c) for n, c, _ in found] == [(n, c) for n, c, _ in BROKEN_EXPECTED]
    for (number, column, reason), (_, _, words) in zip(found, BROKEN_EXPECTED, strict=True):
        assert words in reason, (number, column, reason)
    assert all(r.fix for r in broken.rejections)


def test_broken_file_keeps_its_good_rows(broken: ValidationReport) -> None:
    assert broken.total_rows == 23  # 24 data rows, one of them blank
    # row 5 resubmits row 2's email at the same time: the later row is the latest submission
    assert broken.rows["source_row"].tolist() == [5, 6, 7, 8, 9, 10, 11, 20, 23]
    assert [(r.row, r.column) for r in broken.resubmitted] == [(2, "Email Address")]
    records = broken.rows.to_dict("records")
    ana, bob = records[0], records[-1]
    assert (ana["name"], ana["country_iso3"], ana["languages"]) == ("Ana again", "AUS", ["English"])
    assert (bob["name"], bob["email"], bob["country_iso3"]) == ("Bob Smith", "bob@example.org", "USA")
    assert (bob["sector"], bob["career_stage"]) == ("public", "senior")
    assert bob["interests"] == ["Library advocacy", "Social media"]
    assert (bob["timezone"], bob["utc_offset_minutes"]) == ("Etc/GMT-10", 600)
    assert (bob["partner_sector"], bob["partner_stage"], bob["partner_interests"]) == (None, None, [])


def test_broken_file_values_outside_the_lists_and_time_zones_are_kept(broken: ValidationReport) -> None:
    assert [(u.column, u.value, u.rows, u.suggestion) for u in broken.unknown_values] == [
        ("sector", "Zoo", (6,), None), ("career_stage", "Astronaut", (7,), None),
        ("interests", "Library spacez", (8,), "Library spaces"), ("languages", "Klingon", (9,), None),
        ("partner_sector", "Aquarium", (20,), None)]
    assert [(w.row, w.value) for w in broken.warnings] == [(10, "UTC+15"), (11, "Mars/Olympus")]
    assert "UTC+15:00 is not a time zone anywhere on Earth" in broken.warnings[0].reason


def test_broken_file_suggestions_and_download(broken: ValidationReport) -> None:
    assert [(s.row, s.value) for s in broken.suggestions] == [(18, "Austrailia")]
    frame = broken.rejections_frame()
    assert frame["row"].tolist() == [n for n, _, _ in BROKEN_EXPECTED]
    assert not frame.isna().any().any()


def test_broken_file_imported_twice_adds_nothing(broken: ValidationReport) -> None:
    data = (FIXTURES / "broken_applications.csv").read_bytes()
    again = read_applications(data, "broken_applications.csv",
                              existing_emails=set(broken.rows["email_normalised"]))
    assert again.valid_count == 0
    assert [a.row for a in again.already_applied] == [2, 5, 6, 7, 8, 9, 10, 11, 20, 23]  # row 2 = row 5's email
    assert [r.row for r in again.rejections] == [n for n, _, _ in BROKEN_EXPECTED]
