"""How large a file an import reads: bytes, rows, how far an XLSX workbook may inflate, and how long a row
or a cell may be.

The limits are module constants; ``WORKBENCH_IMPORT_MAX_BYTES`` and ``WORKBENCH_IMPORT_MAX_ROWS`` override
the first two, read each time a file is read (so a test or a server can change them without a restart).
An XLSX workbook is a zip: before openpyxl parses it, the sizes its members declare are checked (Python's
zipfile never inflates a member beyond its declared size: a member that does fails its CRC check), so a
small file that would inflate to hundreds of megabytes of XML is refused with a message, not read.

A file's table costs memory for every cell of every row, padded to the widest row, so a few kilobytes of
delimiters can cost gigabytes: one line of 40,000 commas above 20,000 short lines is 800 million cells.
Each row is therefore bounded as it is read, before it is split into cells or kept: at most
:data:`MAX_LINE_CHARS` characters (a CSV row's lines together, quoted line breaks included), at most
:data:`MAX_COLUMNS` cells, each of at most :data:`MAX_CELL_CHARS` characters, and the whole table (rows
times the widest row) at most :data:`MAX_CELLS` cells. A file over one of them is refused whole, with the
row, the column and the limit (:func:`line_too_long`, :func:`too_many_columns`, :func:`cell_too_long`,
:func:`too_many_cells`); a cell under the hard limit but over its column's (``cells.MAX_CELL``,
``cells.MAX_FREE_TEXT``) only rejects its row, as before.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass

from workbench.config import settings
from workbench.errors import ImportTooLarge
from workbench.intake.cells import MAX_FREE_TEXT

__all__ = [
    "MAX_BYTES",
    "MAX_CELLS",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "MAX_COMPRESSION_RATIO",
    "MAX_LINE_CHARS",
    "MAX_ROWS",
    "MAX_XLSX_INFLATED",
    "ImportLimits",
    "cell_too_long",
    "check_size",
    "check_xlsx_archive",
    "column_letter",
    "import_limits",
    "line_too_long",
    "too_many_cells",
    "too_many_columns",
    "too_many_rows",
]

#: Largest file read, in bytes (50 MB: a program's largest export is a few MB).
MAX_BYTES = 50 * 1024 * 1024
#: Most data rows read from one file (the sample program has about 2,000 applications a round).
MAX_ROWS = 100_000
#: Most bytes an XLSX workbook's members may inflate to, together.
MAX_XLSX_INFLATED = 200 * 1024 * 1024
#: Highest inflated / compressed ratio of a workbook member over 1 MB (spreadsheet XML compresses about
#: 5 to 30 times; a zip bomb far more).
MAX_COMPRESSION_RATIO = 100
_RATIO_FLOOR = 1024 * 1024  # members smaller than this inflate as far as they like
#: Most characters in one row of a file: a CSV row's lines together (a quoted cell may hold line breaks), an
#: XLSX row's cells together. A form's row is a few hundred characters; its free-text answers at most 10,000.
MAX_LINE_CHARS = 1_000_000
#: Most cells in one row (a form export has tens of columns).
MAX_COLUMNS = 1_000
#: Longest cell read at all, in characters: ten times the longest free-text answer the import accepts.
MAX_CELL_CHARS = 100_000
#: Most cells in the table a file makes: its rows times its widest row (100,000 rows of 50 columns).
MAX_CELLS = 5_000_000

_MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS
    max_inflated: int = MAX_XLSX_INFLATED
    max_ratio: float = MAX_COMPRESSION_RATIO
    max_line_chars: int = MAX_LINE_CHARS
    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = MAX_CELL_CHARS
    max_cells: int = MAX_CELLS


def import_limits() -> ImportLimits:
    """The limits in force now: the constants, or the environment's overrides (``WORKBENCH_IMPORT_MAX_BYTES``,
    ``WORKBENCH_IMPORT_MAX_ROWS``, read by :mod:`workbench.config`)."""
    conf = settings()
    max_bytes = conf.import_max_bytes or MAX_BYTES
    return ImportLimits(max_bytes=max_bytes, max_rows=conf.import_max_rows or MAX_ROWS,
                        max_inflated=max(MAX_XLSX_INFLATED, 4 * max_bytes))


def _size(n: float) -> str:
    return f"{n / _MB:,.1f} MB" if n >= _MB else f"{n / 1024:,.0f} KB" if n >= 1024 else f"{int(n)} bytes"


def check_size(data: bytes, name: str, limits: ImportLimits) -> None:
    if len(data) > limits.max_bytes:
        raise ImportTooLarge(
            f"{name} is {_size(len(data))}; the workbench reads files of at most {_size(limits.max_bytes)} "
            "(WORKBENCH_IMPORT_MAX_BYTES). Split the file into smaller ones (for example by month) and import "
            "each, or remove columns the import does not use."
        )


def column_letter(position: int) -> str:
    """The spreadsheet name of the column at 0-based ``position``: A, B, … Z, AA, AB, …"""
    letters = ""
    number = position + 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column(position: int, header: list[str] | None) -> str:
    """"column 'Full name' (B)", or "column B" when the header does not name it."""
    title = header[position].strip() if header is not None and position < len(header) else ""
    if len(title) > 60:
        title = title[:59] + "…"
    return f"column '{title}' ({column_letter(position)})" if title else f"column {column_letter(position)}"


def _row(row: int, line: int | None) -> str:
    return f"row {row:,} (line {line:,} of the file)" if line is not None and line != row else f"row {row:,}"


def line_too_long(name: str, limits: ImportLimits, *, row: int, line: int | None = None, column: int | None = None,
                  header: list[str] | None = None, where: str = "") -> ImportTooLarge:
    """A row longer than ``max_line_chars``; ``column`` (0-based) is the cell being read when it passed the
    limit, ``line`` the file's line the row starts on."""
    at = f" (the limit is passed in {_column(column, header)})" if column is not None else ""
    return ImportTooLarge(
        f"{name}{where}: {_row(row, line)} is longer than the {limits.max_line_chars:,} characters the workbench "
        f"reads in one row{at}, so nothing was imported. A row this long is not a form's answers: usually a "
        "value opens a double quote (\") that is never closed, so the lines after it run into one cell, or the "
        f"file is damaged. Open it in a text editor, correct {_row(row, None)} (close the quote, or remove the "
        "row), and import again."
    )


def too_many_columns(name: str, limits: ImportLimits, *, row: int, cells: int, line: int | None = None,
                     header: list[str] | None = None, where: str = "") -> ImportTooLarge:
    """A row of more than ``max_columns`` cells."""
    what = "it is the header row" if header is None else f"the header has {len(header):,} columns"
    return ImportTooLarge(
        f"{name}{where}: {_row(row, line)} has {cells:,} cells ({what}); the workbench reads at most "
        f"{limits.max_columns:,} columns, so nothing was imported (the cells from column "
        f"{column_letter(limits.max_columns)} on are past the limit). A row this wide is a run of stray "
        "delimiters (commas, semicolons or tabs) or a damaged export, not a form's answers. Delete the extra "
        f"cells of {_row(row, None)} (or export the file again from the form) and import again."
    )


def cell_too_long(name: str, limits: ImportLimits, *, row: int, column: int, length: int,
                  header: list[str] | None = None, line: int | None = None, where: str = "") -> ImportTooLarge:
    """A cell longer than ``max_cell_chars`` (0-based ``column``)."""
    return ImportTooLarge(
        f"{name}{where}: {_row(row, line)}, {_column(column, header)} holds {length:,} characters; the workbench "
        f"reads cells of at most {limits.max_cell_chars:,} characters (a free-text answer may have "
        f"{MAX_FREE_TEXT:,}), so nothing was imported. Shorten that cell (or remove the row) and import again."
    )


def too_many_cells(name: str, limits: ImportLimits, *, rows: int, widest: int, widest_row: int, usual: int,
                   where: str = "") -> ImportTooLarge:
    """A table of more than ``max_cells`` cells: ``rows`` rows (the header included) padded to the widest."""
    if widest > usual:
        why = (f"its widest row, row {widest_row:,}, has {widest:,} cells where most rows have {usual:,}, and every "
               f"row is read as wide as the widest")
        fix = (f"Delete the extra cells of row {widest_row:,} (after column {column_letter(usual - 1)}) or split "
               "the file into smaller ones, and import again.")
    else:
        why = f"its rows have {widest:,} cells"
        fix = ("Remove the columns the import does not use, or split the file into smaller ones, and import "
               "each.")
    return ImportTooLarge(
        f"{name}{where} is a table of more than {rows:,} rows × {widest:,} columns: {why}. That is more than "
        f"the {limits.max_cells:,} cells the workbench reads from one file, so nothing was imported. {fix}"
    )


def too_many_rows(name: str, limits: ImportLimits, where: str = "") -> ImportTooLarge:
    return ImportTooLarge(
        f"{name}{where} has more than {limits.max_rows:,} rows; the workbench reads at most {limits.max_rows:,} "
        "rows from one file (WORKBENCH_IMPORT_MAX_ROWS). Split it into smaller files and import each."
    )


def check_xlsx_archive(data: bytes, name: str, limits: ImportLimits) -> None:
    """Refuse a workbook whose members declare more than ``max_inflated`` bytes together, or one member
    that inflates more than ``max_ratio`` times (a zip bomb), before anything is inflated.

    A damaged zip is left for openpyxl to report.
    """
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    total = sum(m.file_size for m in members)
    if total > limits.max_inflated:
        raise ImportTooLarge(
            f"{name} is a {_size(len(data))} workbook that would inflate to {_size(total)} when opened; the "
            f"workbench opens workbooks of at most {_size(limits.max_inflated)}. It may be damaged or built to "
            "exhaust memory. Open it in a spreadsheet program, copy the responses to a new workbook (or save "
            "them as CSV, UTF-8) and import that."
        )
    for member in members:
        if member.file_size <= _RATIO_FLOOR:
            continue
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > limits.max_ratio:
            raise ImportTooLarge(
                f"{name}: its part '{member.filename}' is {_size(member.compress_size)} compressed but would "
                f"inflate to {_size(member.file_size)} ({ratio:,.0f} times; a spreadsheet inflates at most "
                f"about {limits.max_ratio:,.0f} times). The workbook looks built to exhaust memory (a zip "
                "bomb), so it was not opened. Save the responses as CSV (UTF-8) from the program that "
                "made them and import that."
            )
