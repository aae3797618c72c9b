"""Reading a DuckDB file the way an attacker with a copy of it would: its previous checkpoint and its raw bytes.

A DuckDB file keeps two database headers (at 4 KiB and 8 KiB), each naming the blocks of one checkpoint; the
one with the higher iteration counter is current. The blocks of the older checkpoint stay in the file until
the next checkpoint reuses them, so copying the older header over the newer one opens the database as it
was one checkpoint ago. Freed blocks keep their bytes, so the raw file can hold text no SQL shows.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from pathlib import Path

import duckdb

from workbench.privacy import trie_pattern

HEADER_OFFSETS = (4096, 8192)
HEADER_SIZE = 4096


def header_iterations(path: Path) -> tuple[int, int]:
    """The iteration counters of the file's two database headers (0: never written)."""
    with path.open("rb") as f:
        head = f.read(HEADER_OFFSETS[1] + HEADER_SIZE)
    assert head[8:12] == b"DUCK", f"{path} is not a DuckDB file"
    first, second = (struct.unpack("<Q", head[o + 8:o + 16])[0] for o in HEADER_OFFSETS)
    return first, second


def previous_checkpoint(path: Path, out: Path) -> Path | None:
    """A copy of ``path`` that opens at its previous checkpoint (the older header made current); None when
    the file has only ever had one checkpoint."""
    iterations = header_iterations(path)
    if min(iterations) == 0:
        return None
    older, newer = (HEADER_OFFSETS if iterations[0] < iterations[1] else HEADER_OFFSETS[::-1])
    data = bytearray(path.read_bytes())
    data[newer:newer + HEADER_SIZE] = data[older:older + HEADER_SIZE]
    out.write_bytes(bytes(data))
    return out


def all_text(path: Path) -> str:
    """Every cell of every table of the database at ``path`` as text, one string (opened read-only)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()]
        return "\n".join(str(row) for table in tables for row in con.execute(f'SELECT * FROM "{table}"').fetchall())
    finally:
        con.close()


def _pattern(needles: Iterable[str]) -> re.Pattern[str]:
    return re.compile(trie_pattern({n for n in needles if n}))  # one trie-shaped expression: fast for thousands


def found_in(text: str, needles: Iterable[str]) -> set[str]:
    """Which ``needles`` occur in ``text`` (case as written)."""
    needles = list(needles)
    return set(_pattern(needles).findall(text)) if needles else set()


def found_in_bytes(path: Path, needles: Iterable[str]) -> set[str]:
    """Which ``needles`` occur, UTF-8 encoded, anywhere in the file's bytes (and its write-ahead log's)."""
    data = path.read_bytes()
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        data += wal.read_bytes()
    as_text = data.decode("latin-1")  # one character per byte: a UTF-8 needle is found as its bytes
    encoded = {n.encode("utf-8").decode("latin-1"): n for n in needles if n}
    return {encoded[hit] for hit in found_in(as_text, encoded)}
