"""Reading one cell of any import (applications, check-ins, surveys): one home for each rule.

- text: Unicode NFC, zero-width characters dropped, whitespace collapsed, control characters refused,
  a length limit per column (:data:`MAX_CELL`, :data:`MAX_FREE_TEXT`);
- multi-value cells: :func:`split_values` (';' and ',' always; '/', '|', '+', '&' and "and" too for lists of
  single names such as languages or ways of keeping in touch; a line break in a multi-value cell is a
  separator, as a form exports its checkbox answers one per line);
- emails: :func:`parse_email` (internationalised addresses such as ``josé@example.org`` and
  ``ivan@пример.рф`` are valid), :func:`normalise_email` (the key that recognises a returner: NFC,
  lower case, an ``xn--`` domain in Unicode); :func:`parse_mailbox` for an address a setting puts in a
  header (the program's reply-to), optionally after a display name;
- booleans (:func:`parse_yes_no`) and whole numbers in a range (:func:`parse_int`);
- dates: :func:`infer_date_order` decides a file's day/month order, :func:`parse_date` reads one, and
  :class:`DateWindow` checks it against a round.

Each parser takes one cleaned cell and returns the value or a :class:`Problem` (what is wrong and what
to do).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from workbench.emails import normalise_email, parse_email, parse_mailbox
from workbench.rejections import Problem

__all__ = [
    "MAX_CELL",
    "MAX_FREE_TEXT",
    "DateOrder",
    "DateWindow",
    "clean_text",
    "infer_date_order",
    "normalise_email",
    "parse_date",
    "parse_email",
    "parse_int",
    "parse_mailbox",
    "parse_yes_no",
    "split_values",
    "too_long",
    "vocab_key",
]

#: Longest cell accepted, in characters: any cell but free text, and a free-text answer (a survey's impact
#: question). A longer cell rejects its row (naming the row, column, length and limit); the file is read.
MAX_CELL = 1000
MAX_FREE_TEXT = 10_000

# --------------------------------------------------------------------------------------------------
# Text

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_WHITESPACE = re.compile(r"\s+")  # str patterns: \s covers no-break and other Unicode spaces


@functools.lru_cache(maxsize=200_000)
def clean_text(value: str, multiline: bool = False) -> tuple[str, Problem | None]:
    """NFC, zero-width characters removed, whitespace (no-break spaces too) collapsed and trimmed.

    A control character (other than tab and line breaks) is a problem: it usually means a damaged or
    mis-encoded file, so the cell is reported rather than guessed at. With ``multiline`` a line break
    separates values (a form's checkbox answers exported one per line) and becomes "; ".
    """
    text = unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", value))
    control = _CONTROL.search(text)
    if multiline:
        text = _NEWLINES.sub("; ", text)
    text = _WHITESPACE.sub(" ", text).strip()
    if control:
        code = f"U+{ord(control.group()):04X}"
        return text, Problem(
            f"contains an invisible control character ({code})",
            "Delete the stray character from the cell (retype the value) and import again.",
        )
    return text, None


def vocab_key(text: str) -> str:
    """Comparison key: accents folded, lower case, '&' -> 'and', punctuation -> one space."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).casefold().replace("&", " and ")
    return re.sub(r"[^0-9a-z]+", " ", folded.replace("'", "").replace("’", "")).strip()


def too_long(length: int, limit: int) -> Problem:
    """A cell over its column's limit."""
    return Problem(f"holds {length:,} characters; the limit is {limit:,}",
                   f"Shorten it to at most {limit:,} characters and import again.")


_SPLIT = re.compile(r"\s*[;,\r\n]\s*")
_SPLIT_NAMES = re.compile(r"\s*(?:[;,/|+&\r\n]|\band\b)\s*", re.IGNORECASE)


def split_values(text: str, *, names: bool = False) -> list[str]:
    """Split a multi-value cell on ';', ',' or a line break (blank items dropped, repeats kept once, in
    order). With ``names`` (a list of single names: languages, ways of keeping in touch) also on '/', '|',
    '+', '&' and the word "and"; interests are not split so ("Open access and scholarly communication")."""
    pattern = _SPLIT_NAMES if names else _SPLIT
    return list(dict.fromkeys(item for item in pattern.split(text) if item))


# --------------------------------------------------------------------------------------------------
# Emails: parse_email, parse_mailbox and normalise_email live in workbench.emails (re-exported here)


# --------------------------------------------------------------------------------------------------
# Booleans and numbers

_YES = frozenset({"yes", "y", "true", "t", "1", "oui", "si", "ja"})
_NO = frozenset({"no", "n", "false", "f", "0", "non", "nein"})


def parse_yes_no(text: str) -> bool | Problem:
    """"Yes", "TRUE", "1", "oui", "sí", "Yes, twice" -> True; "No", "false", "0", "Not yet" -> False."""
    key = vocab_key(text)
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




# --------------------------------------------------------------------------------------------------
# Dates

DateOrder = Literal["mdy", "dmy"]

_ISO = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?)?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"^(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
    r"(?:[ ,T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$"
)
_YMD_SLASH = re.compile(
    r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})"
    r"(?:[ T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)
_TIME_TAIL = re.compile(r"^(?P<date>.*?)(?:[ ,T]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*"
                        r"(?P<ampm>[AaPp]\.?[Mm]\.?)?)?$")
_TEXT_FORMATS = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y", "%Y %B %d", "%Y %b %d",
                 "%A %d %B %Y", "%a %d %b %Y", "%A %B %d %Y", "%a %b %d %Y")
_DATE_FIX = ("Write the date as YYYY-MM-DD HH:MM:SS (for example 2017-01-12 14:03:22) or as the form "
             "exported it (1/12/2017 14:03:22), and import again.")


def infer_date_order(values: Iterable[str]) -> DateOrder:
    """The day/month order of a file's numeric dates ("12/01/2017"), decided by the file as a whole.

    A value whose first number is over 12 can only be day first; one whose second number is over 12
    can only be month first. The order with more such values wins; when none decides (or it is a tie)
    the order is month first, as Google Forms exports timestamps ("1/12/2017 14:03:22"). Dates written
    with dots (12.01.2017) are always day first. Values that contradict the file's order are rejected.
    """
    day_first = month_first = 0
    for value in values:
        match = _NUMERIC.match(value.strip())
        if not match or match.group("sep") == ".":
            continue
        a, b = int(match.group("a")), int(match.group("b"))
        day_first += a > 12 >= b
        month_first += b > 12 >= a
    return "dmy" if day_first > month_first else "mdy"


def _time(match: re.Match[str]) -> tuple[int, int, int] | None:
    hour = int(match.group("H") or 0)
    minute = int(match.group("M") or 0)
    second = int(match.group("S") or 0)
    ampm = (match.groupdict().get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _build(year: int, month: int, day: int, clock: tuple[int, int, int] | None) -> dt.datetime | None:
    if clock is None:
        return None
    try:
        return dt.datetime(year, month, day, *clock)
    except ValueError:
        return None


def _plausible(value: dt.datetime | None, text: str) -> dt.datetime | Problem:
    if value is None:
        return Problem(f"'{text}' is not a date that exists", _DATE_FIX)
    if not 1990 <= value.year <= 2100:
        return Problem(f"'{text}' is not a plausible date (year {value.year})", _DATE_FIX)
    return value


@functools.lru_cache(maxsize=200_000)
def parse_date(text: str, order: DateOrder = "mdy") -> dt.datetime | Problem:
    """A submission timestamp: ISO ("2017-01-12", "2017-01-12 14:03:22", "…T14:03:22Z", with an offset
    converted to UTC), numeric ("1/12/2017 14:03:22", read in ``order``; "12.01.2017" day first),
    "2017/01/12", or with a month name ("12 January 2017", "Jan 12, 2017 2:03 PM").
    """
    match = _ISO.match(text)
    if match:
        clock = _time(match)
        value = _build(int(match["y"]), int(match["m"]), int(match["d"]), clock)
        zone = (match["tz"] or "").upper()
        if value is not None and zone and zone not in ("Z", "UTC", "GMT"):
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
            value = value - dt.timedelta(minutes=sign * minutes)
        return _plausible(value, text)
    match = _NUMERIC.match(text)
    if match:
        a, b = int(match["a"]), int(match["b"])
        year = int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
        day_first = match["sep"] == "." or order == "dmy"
        month, day = (b, a) if day_first else (a, b)
        if month > 12 and day <= 12 and match["sep"] != ".":
            first, second = ("day", "month") if day_first else ("month", "day")
            return Problem(
                f"'{text}' cannot be read {first} first, the order the file's other dates use "
                f"({first}/{second}/year)",
                "Write this date as YYYY-MM-DD (for example 2017-01-13) so its order is clear, "
                "and import again.",
            )
        return _plausible(_build(year, month, day, _time(match)), text)
    match = _YMD_SLASH.match(text)
    if match:
        return _plausible(_build(int(match["y"]), int(match["m"]), int(match["d"]), _time(match)), text)
    match = _TIME_TAIL.match(text)
    if match and re.search(r"[A-Za-z]{3}", match["date"] or ""):
        date_text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", match["date"].replace(",", " "))
        date_text = _WHITESPACE.sub(" ", date_text).strip()
        for pattern in _TEXT_FORMATS:
            try:
                found = dt.datetime.strptime(date_text, pattern)
            except ValueError:
                continue
            return _plausible(_build(found.year, found.month, found.day, _time(match)), text)
    return Problem(f"'{text}' is not a date the workbench can read", _DATE_FIX)


@dataclass(frozen=True)
class DateWindow:
    """The dates a round accepts in one column: ``earliest`` to ``latest`` (either may be None), and never
    after ``today`` (plus a day, for time zones). ``earliest_why`` and ``latest_why`` say where the bounds
    come from, in words ("2016B ended on 09 Dec 2016").
    """

    round_label: str
    earliest: dt.date | None = None
    latest: dt.date | None = None
    earliest_why: str = ""
    latest_why: str = ""
    today: dt.date = field(default_factory=dt.date.today)

    def problem(self, value: dt.date | dt.datetime, text: str) -> Problem | None:
        """None when ``value`` is inside the window, else what is wrong (naming the value and round)."""
        day = value.date() if isinstance(value, dt.datetime) else value
        shown = f"'{text}' ({day:%d %b %Y})"
        fix = ("Check the year and the day/month order (write the date as YYYY-MM-DD to be sure), or import "
               "the file into the round it belongs to.")
        if day > self.today + dt.timedelta(days=1):
            return Problem(f"{shown} is in the future (today is {self.today:%d %b %Y}), outside {self.round_label}",
                           fix)
        if self.latest is not None and day > self.latest:
            return Problem(f"{shown} is outside {self.round_label}: it is after {self.latest_why}", fix)
        if self.earliest is not None and day < self.earliest:
            return Problem(f"{shown} is outside {self.round_label}: it is before {self.earliest_why}", fix)
        return None
