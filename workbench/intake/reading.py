"""Reading an uploaded file (CSV or XLSX) into a frame of strings: the one reader of every import
(applications, check-ins, surveys), within the limits of :mod:`workbench.intake.limits`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zipfile
from collections import Counter
from collections.abc import Iterator

import pandas as pd

from workbench.errors import ImportFileError
from workbench.intake.limits import (
    ImportLimits,
    cell_too_long,
    check_size,
    check_xlsx_archive,
    import_limits,
    line_too_long,
    too_many_cells,
    too_many_columns,
    too_many_rows,
)

__all__ = ["NOTES_ATTR", "OVERFLOW_ATTR", "ROW_INDEX", "FileUnreadable", "decode_text", "read_table",
           "sniff_delimiter"]

#: The name of the index :func:`read_table` gives its frame: the row number in the file, counting
#: the header as row 1 (so the first data row is 2), as a spreadsheet shows it.
ROW_INDEX = "source_row"
#: ``frame.attrs`` key where :func:`read_table` notes CSV rows with more cells than the header:
#: ``{"header_width": int, "rows": {row number: cell count}}``.
OVERFLOW_ATTR = "overflow"
#: ``frame.attrs`` key where :func:`read_table` puts notes for the import report (which sheet it read).
NOTES_ATTR = "notes"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other Office 97 files)
_DELIMITERS = (",", ";", "\t")


class FileUnreadable(ImportFileError):
    """The upload is not a CSV or XLSX file the workbench can read."""


def read_table(data: bytes, filename: str = "", *, what: str = "applications") -> pd.DataFrame:
    """Read a CSV or XLSX file (``what`` it holds: "applications", "check-ins", …) into a DataFrame of strings.

    CSV may be UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text"), or
    Latin-1 / Windows-1252; line ends may be Windows, Unix or old Mac; the delimiter may be a comma,
    semicolon or tab (whichever the header line uses). XLSX is read with openpyxl, first sheet, values
    (not formulas); dates become ISO text ("2017-01-12 14:03:22"). A workbook with several sheets gets a note
    in ``frame.attrs["notes"]`` saying which sheet was read.

    The file may hold at most ``WORKBENCH_IMPORT_MAX_BYTES`` bytes and ``WORKBENCH_IMPORT_MAX_ROWS`` rows
    (:mod:`workbench.intake.limits`); a workbook is checked for a zip bomb before it is opened. Each row is
    bounded as it is read, before it is kept: its characters (``MAX_LINE_CHARS``, checked on a CSV's lines
    before they are split into cells), its cells (``MAX_COLUMNS``), each cell's characters
    (``MAX_CELL_CHARS``), and the table's cells, rows times the widest row (``MAX_CELLS``), so the memory an
    import takes stays in proportion to what it reads. Over a limit raises
    :class:`~workbench.errors.ImportTooLarge` naming the row, the column and the limit. A cell under
    ``MAX_CELL_CHARS`` is read whatever its length (the validation rejects an overlong cell's row, naming its
    length and its column's limit).

    Every cell is a string (blank cells are ""); all-blank rows and all-blank unnamed columns are
    dropped. The index, named ``source_row``, is each row's number in the file with the header as row 1.
    Anything else raises :class:`FileUnreadable` with a message saying what to do.
    """
    name = filename or "the file"
    limits = import_limits()
    check_size(data, name, limits)
    if not data or not data.strip():
        raise FileUnreadable(
            f"{name} is empty. Export the {what} again as CSV or XLSX and upload that."
        )
    # The content decides, not the file name (a CSV saved as "x.xlsx" is still read as CSV).
    if data.startswith(_OLE_MAGIC):
        raise FileUnreadable(
            f"{name} is an old Excel (.xls) workbook, which the workbench does not read. Open it in a "
            "spreadsheet program and save it as .xlsx or CSV (UTF-8), then upload that."
        )
    if data.startswith(_ZIP_MAGIC):
        check_xlsx_archive(data, name, limits)
        frame = _read_xlsx(data, name, what, limits)
    else:
        frame = _read_csv(data, name, what, limits)
    return _tidy(frame)


def decode_text(data: bytes, name: str, *, binary_message: str) -> str:
    """The text of a CSV file: UTF-8 with or without a byte-order mark, UTF-16 with one, otherwise
    Windows-1252 (Latin-1 for the bytes Windows-1252 lacks).

    Data that is not text (a zip, such as an XLSX workbook, or NUL bytes near the start) raises
    :class:`FileUnreadable` with ``binary_message``, which says what to export instead.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileUnreadable(
                f"{name} says it is UTF-16 text but is not. Save it again as CSV (UTF-8)."
            ) from exc
    if data.startswith(_ZIP_MAGIC) or b"\x00" in data[:4096]:
        raise FileUnreadable(binary_message)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) the first line uses most, outside quotes (a comma when
    in doubt)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in text[:20000]:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "\r\n":
            break
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


class _Rows:
    """The non-blank rows of a file as they are read (its row number, its cells), each checked against the
    limits before it is kept: cells per row, characters per cell and per row, rows, and the table's cells
    (rows times the widest row, which is what the frame will hold)."""

    def __init__(self, name: str, limits: ImportLimits, where: str = "", *, lines_bounded: bool = False) -> None:
        self.name, self.limits, self.where = name, limits, where
        self.lines_bounded = lines_bounded  # a CSV's rows were bounded by max_line_chars before they were split
        self.kept: list[tuple[int, list[str]]] = []
        self.widest, self.widest_row = 0, 0
        self.lengths: Counter[int] = Counter()

    @property
    def header(self) -> list[str] | None:
        return self.kept[0][1] if self.kept else None

    def add(self, number: int, cells: list[str], line: int | None = None) -> None:
        if not any(c.strip() for c in cells):
            return  # a blank row is dropped (its length was bounded by the line limit while it was read)
        limits, header, where = self.limits, self.header, self.where
        if len(cells) > limits.max_columns:
            raise too_many_columns(self.name, limits, row=number, cells=len(cells), header=header, line=line,
                                   where=where)
        longest = max(map(len, cells))
        if longest > limits.max_cell_chars:
            column = next(i for i, c in enumerate(cells) if len(c) == longest)
            raise cell_too_long(self.name, limits, row=number, column=column, length=longest, header=header,
                                line=line, where=where)
        if not self.lines_bounded and sum(map(len, cells)) > limits.max_line_chars:  # an XLSX row
            running = itertools.accumulate(map(len, cells))
            column = next(i for i, total in enumerate(running) if total > limits.max_line_chars)
            raise line_too_long(self.name, limits, row=number, column=column, header=header, line=line, where=where)
        self.kept.append((number, cells))
        if len(self.kept) > limits.max_rows + 1:  # the header is one of them
            raise too_many_rows(self.name, limits, self.where)
        self.lengths[len(cells)] += 1
        if len(cells) > self.widest:
            self.widest, self.widest_row = len(cells), number
        if len(self.kept) * self.widest > limits.max_cells:
            usual = self.lengths.most_common(1)[0][0]
            raise too_many_cells(self.name, limits, rows=len(self.kept), widest=self.widest,
                                 widest_row=self.widest_row, usual=usual, where=self.where)


class _BoundedLines:
    """The lines of a CSV text for :func:`csv.reader`, handed over one at a time after checking that the row
    they belong to stays within ``max_line_chars``: a row whose quote never closes, or a line of a million
    delimiters, is refused before the csv module builds its cells.

    :meth:`row_done` is called after each row the reader yields; the lines between two calls are one row
    (several lines when a quoted cell holds line breaks)."""

    def __init__(self, text: str, rows: _Rows, delimiter: str) -> None:
        self.text, self.rows, self.delimiter = text, rows, delimiter
        self.row = 1  # the row being read, numbered as csv.reader yields them (a blank line is a row)
        self.first_line = 1  # the file's line it starts on
        self.line = 0  # lines handed over
        self.pending: list[str] = []  # the row's lines so far (at most max_line_chars characters)
        self.chars = 0

    def row_done(self) -> None:
        self.row += 1
        self.first_line = self.line + 1
        self.pending.clear()
        self.chars = 0

    def __iter__(self) -> Iterator[str]:
        limit = self.rows.limits.max_line_chars
        for line in io.StringIO(self.text, newline=""):
            self.line += 1
            if self.chars + len(line) > limit:
                raise line_too_long(self.rows.name, self.rows.limits, row=self.row, line=self.first_line,
                                    column=self._column_at(line[: limit - self.chars]), header=self.rows.header)
            self.chars += len(line)
            self.pending.append(line)
            yield line

    def _column_at(self, tail: str) -> int | None:
        """The 0-based column of the row's cell that holds its ``max_line_chars``-th character."""
        text = "".join(self.pending) + tail
        try:
            first = next(csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter), None)
        except csv.Error:
            return None
        return max(len(first) - 1, 0) if first is not None else None


def _read_csv(data: bytes, name: str, what: str, limits: ImportLimits) -> pd.DataFrame:
    text = decode_text(data, name, binary_message=(
        f"{name} is neither a CSV nor an XLSX file (it holds binary data). Export the {what} "
        "as CSV (UTF-8) or XLSX and upload that."
    ))
    if "\x00" in text:
        raise FileUnreadable(f"{name} is neither a CSV nor an XLSX file. Export it as CSV (UTF-8) or XLSX.")
    # The csv module refuses a cell over 128 KB with "field larger than field limit"; a row (and so a cell)
    # is bounded by max_line_chars before the csv module reads it, and a cell over max_cell_chars is then
    # refused with its row and column (a message, not a trace).
    if csv.field_size_limit() <= limits.max_line_chars:
        csv.field_size_limit(limits.max_line_chars + 1)
    delimiter = sniff_delimiter(text.lstrip("\r\n"))
    rows = _Rows(name, limits, lines_bounded=True)
    lines = _BoundedLines(text, rows, delimiter)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        for record in reader:
            rows.add(lines.row, record, lines.first_line)
            lines.row_done()
    except csv.Error as exc:
        raise FileUnreadable(
            f"{name} is not a well-formed CSV file (near row {reader.line_num}: {exc}). Export it again "
            "as CSV (UTF-8) or XLSX and upload that."
        ) from exc
    return _frame(rows, name, overflow_is_fault=True)


def _frame(rows: _Rows, name: str, *, overflow_is_fault: bool) -> pd.DataFrame:
    """Header = the first non-blank row; index = row numbers in the file (header = its own row)."""
    if not rows.kept:
        raise FileUnreadable(f"{name} has no header row. The first row must name the columns.")
    (_, header), body = rows.kept[0], rows.kept[1:]
    numbers = [n for n, _ in body]
    width = max([len(header), *(len(r) for _, r in body)])  # rows × width is within max_cells (_Rows.add)
    columns = _unique_headers([*header, *[""] * (width - len(header))])
    cells = [[*r, *[""] * (width - len(r))] for _, r in body]
    frame = pd.DataFrame(cells, columns=columns, dtype=object).astype(str)
    frame.index = pd.Index(numbers, dtype="int64")
    if overflow_is_fault and width > len(header):
        # More cells than the header and than most rows: usually an unquoted comma that shifted the
        # row's cells (validate rejects such rows). Trailing delimiters on every row are not a fault.
        lengths = Counter(len(r) for _, r in body)
        usual = max(len(header), lengths.most_common(1)[0][0] if lengths else 0)
        long_rows = {n: len(r) for n, r in body if len(r) > usual}
        if long_rows:
            frame.attrs[OVERFLOW_ATTR] = {"header_width": len(header), "rows": long_rows}
    return frame


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes, name: str, what: str, limits: ImportLimits) -> pd.DataFrame:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileUnreadable(
            f"{name} is neither a CSV nor an XLSX file the workbench can read. Open it in a spreadsheet "
            "program and save it as .xlsx or CSV (UTF-8), then upload that."
        ) from exc
    except Exception as exc:  # openpyxl raises its own types for damaged workbooks
        raise FileUnreadable(
            f"{name} could not be read as an XLSX workbook ({exc}). Save it again as .xlsx."
        ) from exc
    try:
        if not workbook.worksheets:
            raise FileUnreadable(f"{name} has no worksheet. Put the {what} on the first sheet.")
        sheet = workbook.worksheets[0]
        names = [str(s.title) for s in workbook.worksheets]
        rows = _Rows(name, limits, f" (sheet '{names[0]}')")
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()  # a sheet's rows all reach its last used column: the empty cells at the end go
            rows.add(number, cells)
    finally:
        workbook.close()
    frame = _frame(rows, name, overflow_is_fault=False)
    if len(names) > 1:
        others = ", ".join(f"'{n}'" for n in names[1:])
        frame.attrs[NOTES_ATTR] = [
            f"Read sheet '{names[0]}' (the first of {len(names)}: the others, {others}, were not read). "
            f"If the {what} are on another sheet, move that sheet first (or save it as CSV) and import again."
        ]
    return frame


def _unique_headers(header: list[str]) -> list[str]:
    """Blank headers become "Unnamed: N" and repeats "Name.1" (the names pandas gives in a CSV)."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for position, raw in enumerate(header):
        text = raw.strip() or f"Unnamed: {position}"
        if text in seen:
            seen[text] += 1
            text = f"{text}.{seen[text]}"
        else:
            seen[text] = 0
        out.append(text)
    return out


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop all-blank rows and all-blank unnamed columns; name the index ``source_row``."""
    attrs = dict(frame.attrs)
    if len(frame.columns) and len(frame):
        blank = frame.apply(lambda col: col.str.strip().eq(""))
        keep_rows = ~blank.all(axis=1)
        drop_columns = [
            c for c in frame.columns if c.startswith("Unnamed: ") and blank.loc[keep_rows, c].all()
        ]
        frame = frame.loc[keep_rows].drop(columns=drop_columns)
    frame.index = pd.Index(frame.index, dtype="int64", name=ROW_INDEX)
    overflow = attrs.get(OVERFLOW_ATTR)
    frame.attrs.clear()
    if attrs.get(NOTES_ATTR):
        frame.attrs[NOTES_ATTR] = list(attrs[NOTES_ATTR])
    if overflow:
        long_rows = {n: k for n, k in overflow["rows"].items() if n in frame.index}
        if long_rows:
            frame.attrs[OVERFLOW_ATTR] = {**overflow, "rows": long_rows}
    return frame
