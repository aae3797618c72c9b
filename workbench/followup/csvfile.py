"""Reading a check-in or survey export: the CSV, its headers, and one cell at a time.

Pure: no database. Each cell parser returns the value or a :class:`Problem` saying what is wrong and
what to do, in the words a coordinator reads in the import report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from workbench import vocab
from workbench.errors import WorkbenchError
from workbench.intake.fields import DateOrder
from workbench.intake.reading import FileUnreadable, decode_text, sniff_delimiter
from workbench.rejections import Problem

MAX_CELL = 1000
MAX_TEXT = 4000


class ImportFileError(WorkbenchError):
    """The file as a whole cannot be imported (unreadable, empty, a required column missing)."""


@dataclass(frozen=True)
class Table:
    """A CSV file's header and rows of strings; ``numbers`` are the rows' numbers in the file (header = 1)."""

    columns: list[str]
    rows: list[list[str]]
    numbers: list[int]
    long_rows: dict[int, int]  # row number -> cells, for rows with more cells than the header


# --- the file ----------------------------------------------------------------------------------


def read_csv(data: bytes, filename: str = "") -> Table:
    """A CSV file (UTF-8 with or without BOM, UTF-16, or Windows-1252; comma, semicolon or tab), decoded
    and its delimiter found as for an application file (:mod:`workbench.intake.reading`)."""
    name = filename or "the file"
    if not data or not data.strip():
        raise ImportFileError(f"{name} is empty. Export the responses again as CSV and import that.")
    try:
        text = decode_text(data, name, binary_message=(
            f"{name} is not a CSV file (it holds binary data, perhaps a spreadsheet). "
            "Export the responses as CSV (UTF-8) and import that."))
    except FileUnreadable as exc:
        raise ImportFileError(str(exc)) from exc
    delimiter = sniff_delimiter(text.lstrip())  # the first line that is not blank
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    while records and not any(c.strip() for c in records[0]):
        records.pop(0)
    if not records:
        raise ImportFileError(f"{name} has no header row. The first row must name the columns.")
    header = [clean(c)[0] for c in records[0]]
    rows, numbers, long_rows = [], [], {}
    for index, record in enumerate(records[1:], start=2):
        if not any(c.strip() for c in record):
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            long_rows[index] = len(record)
        rows.append((record + [""] * len(header))[: len(header)])
        numbers.append(index)
    if not rows:
        raise ImportFileError(f"{name} has a header but no rows to import.")
    return Table(header, rows, numbers, long_rows)


# --- headers -----------------------------------------------------------------------------------


def header_key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^0-9a-z]+", " ", folded).strip()


@dataclass(frozen=True)
class Column:
    """A column the import knows: its name, what it holds, the headers that mean it, and the words
    that identify a longer form question (all of one tuple must appear)."""

    name: str
    label: str
    required: bool
    aliases: tuple[str, ...]
    words: tuple[tuple[str, ...], ...]


def match_columns(header: Sequence[str], columns: Sequence[Column], filename: str) -> dict[str, int]:
    """The position of each known column in the file: exact names first, then a form question's words.

    A missing required column raises :class:`ImportFileError` naming it, what it holds and the file's
    columns.
    """
    keys = [header_key(h) for h in header]
    found: dict[str, int] = {}
    used: set[int] = set()
    for col in columns:
        names = {header_key(col.name), *(header_key(a) for a in col.aliases)}
        for i, key in enumerate(keys):
            if i not in used and key in names:
                found[col.name] = i
                used.add(i)
                break
    for col in columns:  # the order of ``columns`` is the priority of the word rules
        if col.name in found:
            continue
        for i, key in enumerate(keys):
            if i not in used and any(all(w in key for w in words) for words in col.words):
                found[col.name] = i
                used.add(i)
                break
    missing = [c for c in columns if c.required and c.name not in found]
    if missing:
        what = "; ".join(f"'{c.name}' ({c.label})" for c in missing)
        raise ImportFileError(
            f"{filename or 'The file'} has no column for {what}. Its columns are: "
            + ", ".join(f"'{h}'" for h in header)
            + f". Rename the column that holds it to '{missing[0].name}' (or add it) and import again."
        )
    return found


# --- cells -------------------------------------------------------------------------------------

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean(value: str, *, limit: int = MAX_CELL) -> tuple[str, Problem | None]:
    """NFC, zero-width characters dropped, whitespace collapsed; a control character or an overlong
    cell is a problem."""
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", value))
    control = _CONTROL.search(text)
    text = re.sub(r"\s+", " ", text).strip()
    if control:
        return text, Problem(f"contains an invisible control character (U+{ord(control.group()):04X})",
                             "Delete the stray character (retype the value) and import again.")
    if len(text) > limit:
        return text, Problem(f"holds {len(text):,} characters; the limit is {limit:,}",
                             f"Shorten it to at most {limit:,} characters and import again.")
    return text, None


_YES = {"yes", "y", "true", "t", "1", "oui", "si", "sí", "ja"}
_NO = {"no", "n", "false", "f", "0", "non", "nein"}


def parse_yes_no(text: str) -> bool | Problem:
    key = header_key(text)
    first = key.split(" ")[0] if key else ""
    if key in _YES or first in {"yes", "y"}:
        return True
    if key in _NO or first in {"no", "n", "not"}:
        return False
    return Problem(f"'{text}' is not yes or no", "Write yes or no (true/false and 1/0 also work).")


_INT = re.compile(r"(?i)^(?:fortnight|week|topic|no\.?|#)?\s*(\d{1,3})(?:\.0+)?(?=$|\s|[-–:(/])")


def parse_int(text: str, low: int, high: int, what: str) -> int | Problem:
    """A whole number in a range: "3", "3.0", "Fortnight 3", "4 - good" are read; "3.5", "three" are not."""
    match = _INT.match(text.strip())
    if match is None:
        return Problem(f"'{text}' is not a {what}", f"Write a whole number from {low} to {high}.")
    value = int(match.group(1))
    if not low <= value <= high:
        return Problem(f"{value} is not a {what} (from {low} to {high})", f"Write a number from {low} to {high}.")
    return value


#: Words participants write for the ways they keep in touch -> workbench.vocab.METHODS.
METHOD_SYNONYMS: dict[str, str] = {
    **{m: m for m in vocab.METHODS},
    "e mail": "email", "mail": "email", "gmail": "email", "emails": "email", "outlook": "email",
    "video": "video call", "video calls": "video call", "videocall": "video call", "skype": "video call",
    "zoom": "video call", "google hangouts": "video call", "hangouts": "video call", "adobe connect": "video call",
    "anymeeting": "video call", "facetime": "video call", "webex": "video call", "teams": "video call",
    "video chat": "video call", "whatsapp": "chat", "instant messaging": "chat", "im": "chat",
    "messenger": "chat", "wechat": "chat", "viber": "chat", "telegram": "chat", "text": "chat",
    "sms": "chat", "facebook": "social media", "twitter": "social media", "linkedin": "social media",
    "instagram": "social media", "social": "social media", "telephone": "phone", "phone call": "phone",
    "phone calls": "phone", "mobile": "phone", "post": "other", "letter": "other", "letters": "other",
    "in person": "other", "met in person": "other",
}
_METHOD_HINT = ("Use email, video call, chat, social media, phone or other (Skype, Zoom -> video call; "
                "WhatsApp -> chat; Facebook, Twitter -> social media).")
_SPLIT = re.compile(r"\s*(?:[;,/|+]|\band\b|&)\s*")


def split_values(text: str) -> list[str]:
    return list(dict.fromkeys(v for v in _SPLIT.split(text) if v))


def parse_methods(text: str) -> list[str] | Problem:
    out: list[str] = []
    for item in split_values(text):
        key = header_key(item)
        if key in {"none", "nothing", "n a", "na"}:
            continue
        method = METHOD_SYNONYMS.get(key) or METHOD_SYNONYMS.get(key.rstrip("s"))
        if method is None:
            return Problem(f"'{item}' is not a way of keeping in touch the workbench knows", _METHOD_HINT)
        if method not in out:
            out.append(method)
    return sorted(out, key=vocab.METHODS.index)


def parse_topics(text: str, titles: dict[str, int], round_id: str) -> list[int] | Problem:
    """Topic numbers ("1; 3", "Topic 2") or titles -> the round's topic numbers."""
    out: list[int] = []
    if header_key(text) in {"none", "no", "nothing", "n a", "na", "0"}:
        return out
    numbers = set(titles.values())
    whole = header_key(text)
    items = [text] if whole in titles else [v for v in re.split(r"\s*[;,|]\s*", text) if v]
    for item in items:
        key = header_key(item)
        number = re.fullmatch(r"(?:topic |no |fortnight )?(\d+)", key)
        if number and int(number.group(1)) in numbers:
            seq = int(number.group(1))
        elif key in titles:
            seq = titles[key]
        else:
            listed = ", ".join(str(n) for n in sorted(numbers)) or "none yet"
            return Problem(f"'{item}' is not one of {round_id}'s topics (numbers {listed})",
                           "Write the topic numbers or titles separated by ';' (for example '1; 2'), or "
                           "leave the cell blank if no topic was discussed.")
        if seq not in out:
            out.append(seq)
    return sorted(out)


def parse_codes(text: str) -> list[str] | Problem:
    by_key = {header_key(code): code for code, _, _ in vocab.IMPACT_CATEGORIES}
    by_key.update({header_key(label): code for code, label, _ in vocab.IMPACT_CATEGORIES})
    out: list[str] = []
    for item in re.split(r"\s*[;|]\s*", text):
        if not item:
            continue
        code = by_key.get(header_key(item))
        if code is None:
            return Problem(f"'{item}' is not an impact category",
                           "Use the codes " + ", ".join(c for c, _, _ in vocab.IMPACT_CATEGORIES)
                           + " (or their labels), separated by ';'.")
        if code not in out:
            out.append(code)
    return sorted(out, key=[c for c, _, _ in vocab.IMPACT_CATEGORIES].index)


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                       "nov", "dec"), start=1)}
_NUMERIC = re.compile(r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{2,4})(?:[ T].*)?$")
_NAMED = re.compile(r"^(?:(\d{1,2}) ([a-z]+)|([a-z]+) (\d{1,2})) (\d{4})(?: .*)?$")


def infer_date_order(values: Sequence[str]) -> DateOrder:
    """Day first if any numeric date in the file can only be day first (13/01/2017), else month first
    (Google Forms' export)."""
    for v in values:
        m = _NUMERIC.match(v.strip())
        if m and len(m.group(1)) <= 2 and int(m.group(1)) > 12:
            return "dmy"
    return "mdy"


def parse_day(text: str, order: DateOrder) -> dt.date | Problem:
    value = text.strip()
    fix = "Write the date as 2016-09-18 (year-month-day), or as the form exported it, and import again."
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        pass
    m = _NUMERIC.match(value)
    try:
        if m:
            a, b, c = (int(x) for x in m.groups())
            if len(m.group(1)) == 4:
                return dt.date(a, b, c)
            year = c + 2000 if c < 100 else c
            if order == "mdy" and a > 12:
                return Problem(f"'{text}' is day first, but the file's other dates are month first",
                               "Write every date in the file the same way (best: 2016-09-18) and import again.")
            month, day = (a, b) if order == "mdy" else (b, a)
            return dt.date(year, month, day)
        n = _NAMED.match(header_key(value).replace(" at ", " "))
        if n:
            day_s, month_s = (n.group(1), n.group(2)) if n.group(1) else (n.group(4), n.group(3))
            named_month = _MONTHS.get(month_s[:3])
            if named_month is not None:
                return dt.date(int(n.group(5)), named_month, int(day_s))
    except ValueError:
        return Problem(f"'{text}' is not a date in the calendar", fix)
    return Problem(f"'{text}' is not a date the workbench can read", fix)
