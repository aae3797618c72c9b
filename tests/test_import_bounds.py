"""An import's memory is bounded by what it reads: rows, cells per row, characters per row and per cell, and
the table's cells. Small crafted files that cost the old reader hundreds of megabytes (a header of thousands
of columns, one line of thousands of delimiters, a quote never closed) are refused with the file, the row,
the column and the limit, in a few hundred kilobytes, and nothing is imported."""

from __future__ import annotations

import csv
import io
import random
import string
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from workbench import db
from workbench.access import User
from workbench.applications import import_applications
from workbench.errors import ImportFileError, ImportTooLarge
from workbench.followup import checkins as ck
from workbench.intake import read_applications, read_table
from workbench.intake.limits import MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_LINE_CHARS, column_letter

HEADER = ["Timestamp", "Full name", "Email Address", "Country", "Sector", "Career stage", "Interests"]
#: What the reader may take, at most, to refuse any file below (the old reader took 120 MB to 1 GB).
SMALL = 8 * 1024 * 1024


def applicant(i: int, name: str = "Ana García") -> list[str]:
    return ["2017-07-03 10:00:00", name, f"p{i}@example.org", "Chile", "public", "mid", "Library spaces"]


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode()


def refused(read: Callable[[], object]) -> tuple[str, int]:
    """The message ``read`` is refused with, and the peak memory it took (bytes, tracemalloc)."""
    tracemalloc.start()
    try:
        with pytest.raises(ImportTooLarge) as caught:
            read()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(caught.value, ImportFileError)
    return str(caught.value), peak


def test_a_header_of_thousands_of_columns_is_refused_in_little_memory() -> None:
    # 42 KB: a header of 2,001 columns above 20,000 one-cell rows. The old reader padded every row to the
    # header's width (40 million cells) and peaked at 966 MB.
    data = ("Timestamp" + "," * 2000 + "\n" + "a\n" * 20_000).encode()
    assert len(data) < 50_000
    message, peak = refused(lambda: read_table(data, "wide.csv"))
    assert peak < SMALL, f"{peak / 1e6:.1f} MB"
    assert message.startswith("wide.csv: row 1 has 2,001 cells (it is the header row); the workbench reads at most "
                              f"{MAX_COLUMNS:,} columns, so nothing was imported (the cells from column ALM on")
    assert column_letter(MAX_COLUMNS) == "ALM" and column_letter(0) == "A" and column_letter(26) == "AA"
    assert "Delete the extra cells of row 1" in message


def test_one_line_of_thousands_of_delimiters_is_refused_with_its_row() -> None:
    # 0.3 MB: a good file but for row 5, 5,000 commas long (the old reader: 10 million cells, 240 MB).
    data = (csv_bytes([HEADER, *[applicant(i) for i in range(3)]]) + b"x" + b"," * 5000 + b"\n"
            + csv_bytes([applicant(i) for i in range(3, 2003)]))
    message, peak = refused(lambda: read_table(data, "form.csv"))
    assert peak < SMALL, f"{peak / 1e6:.1f} MB"
    assert message.startswith("form.csv: row 5 has 5,001 cells (the header has 7 columns); the workbench reads at "
                              f"most {MAX_COLUMNS:,} columns, so nothing was imported")
    assert "stray delimiters" in message and "Delete the extra cells of row 5" in message


def test_a_cell_over_the_limit_is_refused_with_its_row_and_column() -> None:
    data = csv_bytes([HEADER, applicant(1), applicant(2, name="N" * (MAX_CELL_CHARS + 50_000)), applicant(3)])
    message, peak = refused(lambda: read_applications(data, "long.csv"))
    assert peak < SMALL, f"{peak / 1e6:.1f} MB"
    assert message == (
        "long.csv: row 3, column 'Full name' (B) holds 150,000 characters; the workbench reads cells of at most "
        "100,000 characters (a free-text answer may have 10,000), so nothing was imported. Shorten that cell (or "
        "remove the row) and import again.")


def test_a_quote_never_closed_is_refused_at_the_row_it_opens() -> None:
    # The name on line 3 opens a quote that never closes: every line after it runs into that one cell.
    lines = [",".join(HEADER), ",".join(applicant(1)), '2017-07-03 10:00:00,"Ana García,ana@example.org,Chile,'
             'public,mid,Library spaces', *(",".join(applicant(i)) for i in range(2, 20_002))]
    data = ("\n".join(lines) + "\n").encode()
    assert MAX_LINE_CHARS < len(data) < 2 * MAX_LINE_CHARS
    message, peak = refused(lambda: read_table(data, "quote.csv"))
    # What is read of a row is bounded: its million characters, which the csv module holds four bytes each
    # (the old reader read the whole file into the cell, then rejected only its row).
    assert peak < 32 * MAX_LINE_CHARS, f"{peak / 1e6:.1f} MB"
    assert message.startswith(f"quote.csv: row 3 is longer than the {MAX_LINE_CHARS:,} characters the workbench "
                              "reads in one row (the limit is passed in column 'Full name' (B)), so nothing was "
                              "imported.")
    assert "a double quote (\") that is never closed" in message and "correct row 3" in message


def test_the_row_and_its_first_line_are_both_named_when_they_differ() -> None:
    # Row 3 starts on line 4 (row 2's cell holds a line break); then it runs past the limit.
    text = (",".join(HEADER) + "\n" + '2017-07-03 10:00:00,"Ana\nGarcía",a@example.org,Chile,public,mid,x\n'
            + "2017-07-03 10:00:00," + "y" * (MAX_LINE_CHARS + 10) + "\n")
    message, _ = refused(lambda: read_table(text.encode(), "lines.csv"))
    assert message.startswith("lines.csv: row 3 (line 4 of the file) is longer than the 1,000,000 characters the "
                              "workbench reads in one row (the limit is passed in column 'Full name' (B))")


def test_a_table_too_large_for_its_rows_is_refused() -> None:
    # 900 columns (within the limit) over 6,000 rows of seven cells: 5.4 million cells once padded.
    header = [*HEADER, *(f"Question {i}" for i in range(893))]
    data = csv_bytes([header, *[applicant(i) for i in range(6000)]])
    message, peak = refused(lambda: read_table(data, "sparse.csv"))
    assert peak < SMALL, f"{peak / 1e6:.1f} MB"
    rows = MAX_CELLS // 900 + 1
    assert message.startswith(
        f"sparse.csv is a table of more than {rows:,} rows × 900 columns: its widest row, row 1, has 900 cells "
        f"where most rows have 7, and every row is read as wide as the widest. That is more than the "
        f"{MAX_CELLS:,} cells the workbench reads from one file, so nothing was imported.")
    assert "after column G" in message


def test_a_workbook_row_is_bounded_too() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Responses"
    sheet.append([*HEADER, *(f"Q{i}" for i in range(1500))])
    sheet.append(applicant(1))
    buffer = io.BytesIO()
    book.save(buffer)
    message, _ = refused(lambda: read_table(buffer.getvalue(), "wide.xlsx"))
    assert message.startswith("wide.xlsx (sheet 'Responses'): row 1 has 1,507 cells (it is the header row)")

    # A workbook cell holds at most 32,767 characters, but a row of 37 such cells is over the row limit.
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([*HEADER, *(f"Q{i}" for i in range(30))])
    sheet.append(applicant(1))
    letters = random.Random(16)  # varied text: a workbook of one repeated letter would look like a zip bomb
    sheet.append(["".join(letters.choices(string.ascii_letters, k=32_000)) for _ in range(37)])
    buffer = io.BytesIO()
    book.save(buffer)
    message, _ = refused(lambda: read_table(buffer.getvalue(), "long.xlsx"))
    assert message.startswith("long.xlsx (sheet 'Sheet'): row 3 is longer than the 1,000,000 characters the "
                              "workbench reads in one row (the limit is passed in column 'Q24' (AF))")


def test_files_at_the_limits_are_read() -> None:
    # A thousand columns, a row of cells of the longest length, trailing empty cells of a workbook: all read.
    header = [*HEADER, *(f"Question {i}" for i in range(MAX_COLUMNS - len(HEADER)))]
    table = read_table(csv_bytes([header, applicant(1), applicant(2, name="N" * MAX_CELL_CHARS)]), "edge.csv")
    assert table.shape == (2, MAX_COLUMNS)
    assert table["Full name"].str.len().tolist() == [len("Ana García"), MAX_CELL_CHARS]
    assert table.index.tolist() == [2, 3]
    report = read_applications(csv_bytes([HEADER, applicant(1), applicant(2, name="N" * MAX_CELL_CHARS)]), "e.csv")
    assert report.valid_count == 1 and "100,000 characters; the limit is 200" in report.rejections[0].reason


def test_a_refused_file_imports_nothing(writable_db: Path, users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    before = con.execute("SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM rounds)").fetchone()
    data = csv_bytes([HEADER, applicant(1), ["2017-07-03 10:00:00", "Bo", "bo@example.org", "Chile", "public", "mid",
                                             "x" * (MAX_CELL_CHARS + 1)]])
    with pytest.raises(ImportTooLarge, match=r"row 3, column 'Interests' \(G\) holds 100,001 characters"):
        import_applications(con, data, "long.csv", "2017B", by=users["coordinator"])
    after = con.execute("SELECT (SELECT count(*) FROM applications), (SELECT count(*) FROM rounds)").fetchone()
    assert after == before
    con.close()


def test_the_check_in_import_and_the_command_line_refuse_it_too(
        con: db.Connection, users: dict[str, User], writable_db: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    wide = ("Timestamp" + "," * 2000 + "\n" + "a\n" * 100).encode()
    with pytest.raises(ImportTooLarge, match=r"checkins\.csv: row 1 has 2,001 cells"):
        ck.validate_checkins(con, wide, "2016B", filename="checkins.csv", by=users["coordinator"])

    from workbench.cli import main

    path = tmp_path / "wide form.csv"
    path.write_bytes(wide)
    rw = db.connect(writable_db)
    (applications,) = rw.execute("SELECT count(*) FROM applications").fetchone()  # type: ignore[misc]
    rw.close()
    assert main(["import", "applications", str(path), "--round", "2017B", "--db", str(writable_db)]) == 1
    err = capsys.readouterr().err
    assert "wide form.csv: row 1 has 2,001 cells" in err and "nothing was imported" in err and "Traceback" not in err
    rw = db.connect(writable_db)
    assert rw.execute("SELECT count(*) FROM applications").fetchone() == (applications,)
    rw.close()
