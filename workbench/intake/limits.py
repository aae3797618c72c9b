"""How large a file an import reads: bytes, rows, and how far an XLSX workbook may inflate.

The limits are module constants; ``WORKBENCH_IMPORT_MAX_BYTES`` and ``WORKBENCH_IMPORT_MAX_ROWS`` override
the first two, read each time a file is read (so a test or a server can change them without a restart).
An XLSX workbook is a zip: before openpyxl parses it, the sizes its members declare are checked (Python's
zipfile never inflates a member beyond its declared size: a member that does fails its CRC check), so a
small file that would inflate to hundreds of megabytes of XML is refused with a message, not read.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

from workbench.errors import ImportTooLarge, WorkbenchError

__all__ = [
    "MAX_BYTES",
    "MAX_COMPRESSION_RATIO",
    "MAX_ROWS",
    "MAX_XLSX_INFLATED",
    "ImportLimits",
    "check_size",
    "check_xlsx_archive",
    "import_limits",
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

_MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int = MAX_BYTES
    max_rows: int = MAX_ROWS
    max_inflated: int = MAX_XLSX_INFLATED
    max_ratio: float = MAX_COMPRESSION_RATIO


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise WorkbenchError(f"{name}={os.environ[name]!r} is not a positive whole number. Set it to a number "
                             f"such as {default} (or unset it to use that default).")
    return value


def import_limits() -> ImportLimits:
    """The limits in force now: the constants, or the environment's overrides."""
    max_bytes = _env_int("WORKBENCH_IMPORT_MAX_BYTES", MAX_BYTES)
    return ImportLimits(max_bytes=max_bytes, max_rows=_env_int("WORKBENCH_IMPORT_MAX_ROWS", MAX_ROWS),
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
