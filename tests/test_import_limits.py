"""Import limits and faults, with real files: a zip bomb, a workbook of three sheets, a 100,000-character
cell (the longest read at all: tests/test_import_bounds.py refuses longer ones, and rows and tables too large),
too many rows or bytes, internationalised emails end to end, dates outside the round."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from workbench import db
from workbench.access import User
from workbench.applications import import_applications
from workbench.applications.importing import date_window
from workbench.errors import ImportFileError, ImportTooLarge, WorkbenchError
from workbench.followup import checkins as ck
from workbench.intake import (
    MAX_CELL,
    DateWindow,
    normalise_email,
    parse_email,
    read_applications,
    read_table,
)
from workbench.rejections import Problem

HEADER = ["Timestamp", "Full name", "Email Address", "Country", "Sector", "Career stage", "Interests"]
FOLLOWUP = Path(__file__).parent / "fixtures" / "followup"


def application_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def applicant(email: str, when: str = "2017-07-03 10:00:00", name: str = "Ana García") -> list[str]:
    return [when, name, email, "Chile", "public", "mid", "Library spaces"]


def count(con: db.Connection, sql: str, *params: object) -> int:
    (n,) = con.execute(sql, list(params)).fetchone()  # type: ignore[misc]
    return int(n)


# ---------------------------------------------------------------------------------------------------
# Size, rows and zip bombs


def zip_bomb_xlsx() -> bytes:
    """A real workbook whose sheet XML is 40 MB of one repeated cell, deflated to about 40 KB."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    plain = io.BytesIO()
    book.save(plain)
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                row = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
                data = data.replace(b"</sheetData>", row * (40 * 1024 * 1024 // len(row)) + b"</sheetData>")
            bomb.writestr(item, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_opened() -> None:
    data = zip_bomb_xlsx()
    assert len(data) < 1024 * 1024  # small on disk
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        inflated = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    assert inflated > 40_000_000  # … but 40 MB of XML once inflated
    with pytest.raises(ImportTooLarge, match=r"bomb\.xlsx: its part 'xl/worksheets/sheet1\.xml'") as caught:
        read_table(data, "bomb.xlsx")
    message = str(caught.value)
    assert "zip bomb" in message and "CSV" in message and "times" in message
    assert isinstance(caught.value, ImportFileError) and isinstance(caught.value, WorkbenchError)


def test_the_zip_bomb_is_refused_by_the_check_in_import_too(con: db.Connection, users: dict[str, User]) -> None:
    with pytest.raises(ImportTooLarge, match="zip bomb"):
        ck.validate_checkins(con, zip_bomb_xlsx(), "2016B", filename="bomb.xlsx", by=users["coordinator"])


def test_a_file_over_the_byte_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = application_csv([applicant(f"p{i}@example.org") for i in range(40)])
    assert read_applications(data, "ok.csv").valid_count == 40
    monkeypatch.setenv("WORKBENCH_IMPORT_MAX_BYTES", "2000")
    with pytest.raises(ImportTooLarge, match=r"big\.csv is 3 KB; .* at most 2 KB \(WORKBENCH_IMPORT_MAX_BYTES\)"):
        read_table(data, "big.csv")


def test_a_file_over_the_row_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_IMPORT_MAX_ROWS", "5")
    five = application_csv([applicant(f"p{i}@example.org") for i in range(5)])
    assert read_applications(five, "five.csv").valid_count == 5
    with pytest.raises(ImportTooLarge, match=r"six\.csv has more than 5 rows.*WORKBENCH_IMPORT_MAX_ROWS"):
        read_table(application_csv([applicant(f"p{i}@example.org") for i in range(6)]), "six.csv")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for values in [HEADER, *[applicant(f"p{i}@example.org") for i in range(6)]]:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(ImportTooLarge, match=r"six\.xlsx \(sheet 'Sheet'\) has more than 5 rows"):
        read_table(buffer.getvalue(), "six.xlsx")


def test_a_bad_limit_setting_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKBENCH_IMPORT_MAX_ROWS", "lots")
    with pytest.raises(WorkbenchError, match="WORKBENCH_IMPORT_MAX_ROWS='lots' is not a positive whole number"):
        read_table(application_csv([applicant("a@example.org")]), "a.csv")


def test_a_refused_file_writes_nothing(writable_db: Path, users: dict[str, User],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(writable_db)
    before = count(con, "SELECT count(*) FROM applications")
    rounds = count(con, "SELECT count(*) FROM rounds")
    monkeypatch.setenv("WORKBENCH_IMPORT_MAX_ROWS", "2")
    data = application_csv([applicant(f"p{i}@example.org") for i in range(3)])
    with pytest.raises(ImportTooLarge):
        import_applications(con, data, "three.csv", "2017B", by=users["coordinator"])
    assert count(con, "SELECT count(*) FROM applications") == before
    assert count(con, "SELECT count(*) FROM rounds") == rounds  # the new round was not half-created
    con.close()


# ---------------------------------------------------------------------------------------------------
# Several sheets


def three_sheet_workbook() -> bytes:
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "Form responses 1"
    first.append(HEADER)
    first.append(applicant("ana@example.org", when="1/12/2017 14:03:22"))
    book.create_sheet("Notes").append(["remember to check", "the waitlist"])
    book.create_sheet("Lists").append(["public", "academic"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_of_three_sheets_says_which_it_read() -> None:
    data = three_sheet_workbook()
    table = read_table(data, "form.xlsx")
    assert table["Full name"].tolist() == ["Ana García"]
    note = "Read sheet 'Form responses 1' (the first of 3: the others, 'Notes', 'Lists', were not read)."
    (written,) = table.attrs["notes"]
    assert written.startswith(note)
    report = read_applications(data, "form.xlsx")
    assert report.notes == [written] and note in report.summary()
    assert report.rows["email"].tolist() == ["ana@example.org"]


def test_the_sheet_note_reaches_the_application_import_report(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    report = import_applications(con, three_sheet_workbook(), "form.xlsx", "2017A", by=users["coordinator"],
                                 dry_run=True)
    assert report.notes and "Read sheet 'Form responses 1' (the first of 3" in report.summary()
    assert report.as_json()["notes"] == report.notes
    con.close()


def test_a_one_sheet_workbook_has_no_note() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    buffer = io.BytesIO()
    book.save(buffer)
    assert "notes" not in read_table(buffer.getvalue(), "one.xlsx").attrs


def test_check_ins_can_come_as_a_workbook(con: db.Connection, users: dict[str, User]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in csv.reader(io.StringIO((FOLLOWUP / "broken_checkins.csv").read_text())):
        sheet.append(line)
    book.create_sheet("Summary")
    buffer = io.BytesIO()
    book.save(buffer)
    report = ck.validate_checkins(con, buffer.getvalue(), "2016B", filename="checkins.xlsx", by=users["coordinator"])
    assert [(r["row"], r["fortnight"]) for r in report.records] == [(2, 2), (3, 3)]
    assert "Read sheet 'Sheet' (the first of 2" in report.summary()


# ---------------------------------------------------------------------------------------------------
# A 100,000-character cell: the longest a file may hold; it rejects its row, not the file


def test_a_100000_character_cell_rejects_its_row_not_the_file(con: db.Connection, users: dict[str, User]) -> None:
    lines = (FOLLOWUP / "broken_checkins.csv").read_text().splitlines()
    header = next(csv.reader([lines[0]]))
    good = next(csv.reader([lines[1]]))
    huge = list(good)
    huge[header.index("Which topics did you discuss?")] = "x" * 100_000
    huge[header.index("Fortnight")] = "4"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, good, huge])
    data = buffer.getvalue().encode()
    assert len(data) > 100_000
    report = ck.validate_checkins(con, data, "2016B", filename="huge.csv", by=users["coordinator"])  # no _csv.Error
    assert [r["row"] for r in report.records] == [2]
    (rejection,) = report.rejections
    assert (rejection.row, rejection.column) == (3, "Which topics did you discuss?")
    assert rejection.reason == f"The cell holds 100,000 characters; the limit is {MAX_CELL:,}."
    assert "Shorten it to at most 1,000 characters" in rejection.fix
    assert len(rejection.value) == 200  # the report shows the start of the cell, not all of it


def test_free_text_may_run_to_ten_thousand_characters(con: db.Connection, users: dict[str, User]) -> None:
    lines = (FOLLOWUP / "broken_surveys.csv").read_text().splitlines()
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[1]]))
    impact = header.index("What impact has your involvement had on your work or professional activities?")
    for length, accepted in ((10_000, True), (10_001, False)):
        row[impact] = "y" * length
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([header, row])
        report = ck.validate_surveys(con, buffer.getvalue().encode(), "2016B", by=users["coordinator"])
        assert (len(report.records) == 1) is accepted, length
        if not accepted:
            assert "10,001 characters; the limit is 10,000" in report.rejections[0].reason


def test_a_100000_character_cell_in_an_application_file_rejects_its_row() -> None:
    data = application_csv([applicant("a@example.org"), applicant("b@example.org", name="N" * 100_000)])
    report = read_applications(data, "huge.csv")
    assert report.rows["email"].tolist() == ["a@example.org"]
    (rejection,) = report.rejections
    assert (rejection.row, rejection.column) == (3, "Full name")
    assert "100,000 characters; the limit is 200" in rejection.reason


# ---------------------------------------------------------------------------------------------------
# Internationalised email addresses


@pytest.mark.parametrize("email", ["josé@example.org", "ivan@пример.рф", "用户@例子.广告", "ivan@xn--e1afmkfd.xn--p1ai",
                                   "Zoë.Ødegård@bibliotek.no"])
def test_internationalised_addresses_are_valid(email: str) -> None:
    assert parse_email(email) == email
    assert read_applications(application_csv([applicant(email)]), "idn.csv").valid_count == 1


@pytest.mark.parametrize("email", ["josé@", "ivan@пример", "ivan@пример.р", "jo sé@example.org", "ivan@-пример.рф",
                                   "ivan@пример..рф"])
def test_internationalised_lookalikes_of_bad_addresses_are_still_refused(email: str) -> None:
    assert isinstance(parse_email(email), Problem)


def test_the_normalised_email_is_nfc_lower_case_and_unicode() -> None:
    decomposed = "Jose\u0301@Example.ORG"  # e + combining acute
    assert normalise_email(decomposed) == "josé@example.org" == normalise_email(" JOSÉ@example.org ")
    assert normalise_email("Ivan@XN--E1AFMKFD.XN--P1AI") == "ivan@пример.рф" == normalise_email("IVAN@ПРИМЕР.РФ")


def test_idn_emails_end_to_end_recognise_returners_and_check_ins(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    first = application_csv([applicant("José@Example.org"), applicant("Ivan@Пример.РФ", name="Иван Петров")])
    report = import_applications(con, first, "idn.csv", "2017B", by=users["coordinator"])
    assert report.imported == 2 and report.rejected == [] and report.new_people == 2
    stored = con.execute("SELECT email FROM people WHERE email IN ('josé@example.org', 'ivan@пример.рф') "
                         "ORDER BY email").fetchall()
    assert stored == [("ivan@пример.рф",), ("josé@example.org",)]
    # The same people again, the address written decomposed and in punycode: already in the round.
    again = application_csv([applicant("jose\u0301@example.org"), applicant("ivan@xn--e1afmkfd.xn--p1ai")])
    second = import_applications(con, again, "idn-again.csv", "2017B", by=users["coordinator"])
    assert second.imported == 0 and [a.row for a in second.already_applied] == [2, 3]
    # … and recognised as returners in the next round.
    con.execute("UPDATE rounds SET status = 'closed' WHERE round_id = '2017B'")
    later = application_csv([applicant("JOSÉ@example.org", when="2018-01-08 09:00:00")])
    third = import_applications(con, later, "idn-2018.csv", "2018A", by=users["coordinator"])
    assert third.imported == 1 and third.returning == 1 and third.new_people == 0
    con.close()


# ---------------------------------------------------------------------------------------------------
# Dates against the round


def test_application_dates_outside_an_existing_round_are_rejected(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    rows = [applicant("in@example.org", when="2017-02-20 10:00:00"),
            applicant("after@example.org", when="2017-07-20 10:00:00"),
            applicant("future@example.org", when=f"{dt.date.today().year + 1}-01-05 10:00:00"),
            applicant("before@example.org", when="2012-05-01 10:00:00")]
    report = import_applications(con, application_csv(rows), "dates.csv", "2017A", by=users["coordinator"],
                                 dry_run=True)
    assert report.imported == 1
    by_row = {r.row: r for r in report.rejected}
    assert sorted(by_row) == [3, 4, 5] and all(r.column == "Timestamp" for r in by_row.values())
    assert by_row[3].reason == ("'2017-07-20 10:00:00' (20 Jul 2017) is outside 2017A: it is after 2017A ends "
                                "(16 Jun 2017).")
    assert "is in the future (today is" in by_row[4].reason and "outside 2017A" in by_row[4].reason
    assert by_row[5].reason == ("'2012-05-01 10:00:00' (01 May 2012) is outside 2017A: it is before the "
                                "program's first round (Pilot) opened on 04 Mar 2013.")
    assert all("day/month order" in r.fix for r in by_row.values())
    con.close()


def test_a_new_round_cannot_predate_the_latest_round(con: db.Connection) -> None:
    window = date_window(con, "2017B", today=dt.date(2017, 8, 1))
    assert (window.earliest, window.latest) == (dt.date(2017, 1, 9), None)
    problem = window.problem(dt.datetime(2016, 12, 1), "12/1/2016")
    assert problem is not None and "the latest round, 2017A, opened (09 Jan 2017)" in problem.reason
    assert window.problem(dt.datetime(2017, 7, 3), "7/3/2017") is None
    assert window.problem(dt.datetime(2017, 8, 2), "8/2/2017") is None  # a day's grace for time zones
    assert "in the future" in window.problem(dt.datetime(2017, 8, 3), "8/3/2017").reason  # type: ignore[union-attr]


def test_check_in_dates_in_the_future_are_rejected(con: db.Connection, users: dict[str, User]) -> None:
    window = DateWindow("2099A", earliest=dt.date(2000, 1, 1), latest=dt.date(2200, 1, 1),
                        today=dt.date(2024, 5, 1))
    assert window.problem(dt.date(2024, 5, 2), "2024-05-02") is None
    assert "in the future (today is 01 May 2024)" in window.problem(dt.date(2024, 5, 3), "x").reason  # type: ignore[union-attr]
    future = dt.date.today() + dt.timedelta(days=30)
    data = f"Timestamp,Email Address,Fortnight,Contact\n{future:%Y-%m-%d},isla.young@lib26.us.example.org,9,Yes\n"
    report = ck.validate_checkins(con, data.encode(), "2016B", by=users["coordinator"])
    (rejection,) = report.rejections
    assert rejection.column == "Timestamp" and "outside 2016B" in rejection.reason
    assert "in the future" in rejection.reason
