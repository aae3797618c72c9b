"""Reading an uploaded application file (CSV or XLSX) into a frame of strings."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import pandas as pd

from workbench.errors import WorkbenchError

__all__ = ["ROW_INDEX", "FileUnreadable", "read_table"]

#: The name of the index :func:`read_table` gives its frame: the row number in the file, counting
#: the header as row 1 (so the first data row is 2), as a spreadsheet shows it.
ROW_INDEX = "source_row"

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other Office 97 files)
_DELIMITERS = (",", ";", "\t")


class FileUnreadable(WorkbenchError):
    """The upload is not a CSV or XLSX file the workbench can read."""


def read_table(data: bytes, filename: str = "") -> pd.DataFrame:
    """Read a CSV or XLSX application file into a DataFrame of strings.

    CSV may be UTF-8 (with or without a byte-order mark), UTF-16 (Excel's "Unicode text"), or
    Latin-1 / Windows-1252; line ends may be Windows, Unix or old Mac; the delimiter may be a comma,
    semicolon or tab (whichever the header line uses). XLSX is read with openpyxl, first sheet, values
    (not formulas); dates become ISO text ("2017-01-12 14:03:22").

    Every cell is a string (blank cells are ""); all-blank rows and all-blank unnamed columns are
    dropped. The index, named ``source_row``, is each row's number in the file with the header as row 1.
    Anything else raises :class:`FileUnreadable` with a message saying what to do.
    """
    name = filename or "the file"
    if not data or not data.strip():
        raise FileUnreadable(f"{name} is empty. Export the applications again as CSV or XLSX and upload that.")
    lower = filename.lower()
    if data.startswith(_OLE_MAGIC) or lower.endswith(".xls"):
        raise FileUnreadable(
            f"{name} is an old Excel (.xls) workbook, which the workbench does not read. Open it in a "
            "spreadsheet program and save it as .xlsx or CSV (UTF-8), then upload that."
        )
    if data.startswith(_ZIP_MAGIC) or lower.endswith((".xlsx", ".xlsm")):
        frame = _read_xlsx(data, name)
    else:
        frame = _read_csv(data, name)
    return _tidy(frame)


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileUnreadable(f"{name} says it is UTF-16 text but is not. Save it again as CSV (UTF-8).") from exc
    if b"\x00" in data[:4096]:
        raise FileUnreadable(
            f"{name} is neither a CSV nor an XLSX file (it holds binary data). Export the applications "
            "as CSV (UTF-8) or XLSX and upload that."
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _delimiter(text: str) -> str:
    """The delimiter the header line uses most, outside quotes (a comma when in doubt)."""
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


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    text = _decode(data, name)
    if "\x00" in text:
        raise FileUnreadable(f"{name} is neither a CSV nor an XLSX file. Export it as CSV (UTF-8) or XLSX.")
    try:
        frame = pd.read_csv(
            io.StringIO(text, newline=""),
            sep=_delimiter(text),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError as exc:
        raise FileUnreadable(f"{name} has no header row. The first row must name the columns.") from exc
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        raise FileUnreadable(
            f"{name} is not a well-formed CSV file ({_parser_detail(exc)}). Check that row for an extra "
            "delimiter or an unclosed quote, or export the file again as CSV or XLSX."
        ) from exc
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def _parser_detail(exc: Exception) -> str:
    message = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    # pandas says "Expected 12 fields in line 7, saw 13": line 7 is the file's row 7.
    return message.replace("Error tokenizing data. C error: ", "")


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


def _read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileUnreadable(
            f"{name} is neither a CSV nor an XLSX file the workbench can read. Open it in a spreadsheet "
            "program and save it as .xlsx or CSV (UTF-8), then upload that."
        ) from exc
    except Exception as exc:  # openpyxl raises its own types for damaged workbooks
        raise FileUnreadable(f"{name} could not be read as an XLSX workbook ({exc}). Save it again as .xlsx.") from exc
    try:
        if not workbook.worksheets:
            raise FileUnreadable(f"{name} has no worksheet.")
        sheet = workbook.worksheets[0]
        header: list[str] | None = None
        rows: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell(v) for v in values]
            if header is None:
                if any(c.strip() for c in cells):
                    header = cells
                continue
            rows.append(cells)
            numbers.append(number)
    finally:
        workbook.close()
    if header is None:
        raise FileUnreadable(f"The first sheet of {name} is empty. Put the applications on the first sheet.")
    width = max([len(header), *(len(r) for r in rows)])
    header = _unique_headers([*header, *[""] * (width - len(header))])
    body = [[*r, *[""] * (width - len(r))] for r in rows]
    frame = pd.DataFrame(body, columns=header, dtype=object).astype(str)
    frame.index = pd.Index(numbers, dtype="int64")
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
    frame = frame.astype(str)
    frame.columns = [str(c) for c in frame.columns]
    if len(frame.columns):
        blank = frame.apply(lambda col: col.str.strip().eq(""))
        frame = frame.loc[~blank.all(axis=1)]
        unnamed_empty = [
            c for c in frame.columns if c.startswith("Unnamed: ") and blank.loc[frame.index, c].all()
        ]
        frame = frame.drop(columns=unnamed_empty)
    frame.index = pd.Index(frame.index, dtype="int64", name=ROW_INDEX)
    return frame
