"""The ground floor: the one place the workbench opens DuckDB; transactions, id sequences, views, the audit log.

It imports nothing of the workbench above it (config, errors and files only). Everything else receives a
connection (or a cursor of one) from here. The read-write openers bring a file to the schema through
:func:`workbench.migrations.open_live`; the Streamlit server keeps one read-write connection and hands each
script run its own ``.cursor()``; notebooks call :func:`connect`; analysts open the read-only snapshot that
:mod:`workbench.snapshots` publishes.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from workbench import files
from workbench.config import settings
from workbench.errors import DatabaseBusy, DatabaseMissing, EditConflict, StaleEdit

#: Tables whose integer key comes from a sequence named ``<table>_seq``.
SEQUENCED = {
    "people": "person_id",
    "applications": "application_id",
    "match_runs": "run_id",
    "partnerships": "partnership_id",
    "match_rules": "rule_id",
    "topics": "topic_id",
    "checkins": "checkin_id",
    "surveys": "survey_id",
    "interventions": "intervention_id",
    "audit_log": "audit_id",
    "form_applications": "form_application_id",
    "forget_requests": "request_id",
}

#: Every table, parents before children (the order to copy or load them in).
TABLE_ORDER = (
    "schema_info", "countries", "rounds", "people", "person_addresses", "applications", "match_runs",
    "partnerships", "partnership_members", "match_unmatched", "match_rules", "topics", "checkins", "surveys",
    "coordinators", "interventions", "audit_log", "schema_migrations", "settings", "vocabulary_terms", "outbox",
    "application_windows", "form_applications", "opt_outs", "forget_requests",
)

Connection = duckdb.DuckDBPyConnection


def connect(path: str | Path | None = None, *, read_only: bool = False, create: bool = False) -> Connection:
    """Open the workbench database (``WORKBENCH_DB`` by default), as it is.

    A missing file is an error (say how to build one) unless ``create``. A file locked by another process (the
    app, usually) raises :class:`DatabaseBusy` with a plain explanation instead of DuckDB's trace. A read-write
    open makes the file and its ``.wal`` its owner's only. Nothing is applied: the read-write openers of the
    workbench (the app, the command line, build, restores, copies) call
    :func:`workbench.migrations.open_live`, which opens through here and then brings the file to the schema.
    """
    db_path = Path(path) if path is not None else settings().db_path
    if (read_only or not create) and not db_path.exists():
        raise DatabaseMissing(
            f"No database at {db_path}. Build one with `workbench init --db {db_path}` "
            "(or `workbench snapshot` for the analyst copy)."
        )
    if not read_only:
        files.private_dir(db_path.parent)
    try:
        con = _open(db_path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            holder = re.search(r"PID (\d+)", str(exc))
            who = f" (process {holder.group(1)})" if holder else ""
            raise DatabaseBusy(
                f"{db_path} is open in another program{who}, most likely the running workbench app. "
                "DuckDB lets one program write to a file at a time: stop the app (Ctrl+C in its "
                "terminal) and try again, or query the analyst snapshot "
                f"({settings().snapshot_path}) instead."
            ) from None
        raise
    if not read_only:
        files.owner_only(db_path)  # the live database holds personal data: its owner's only
        files.owner_only(db_path.with_name(db_path.name + ".wal"))
    return con


def _open(path: Path, *, read_only: bool = False) -> Connection:
    # The only duckdb.connect in the workbench.
    return duckdb.connect(str(path), read_only=read_only)


#: Serialises the writes of this process. The app is one process whose sessions are threads, each with
#: a cursor of one connection; DuckDB refuses the second of two concurrent writes to the same rows at
#: commit ("Conflict on update"). Taking this lock around every write transaction means such a conflict
#: cannot happen between the app's own sessions: the second edit waits its turn (milliseconds), then
#: finds the version moved and is refused as stale, in plain words.
_write_lock = threading.RLock()

#: How long an edit waits for another one to finish before it gives up with a message.
WRITE_WAIT_SECONDS = 120.0

CONFLICT_MESSAGE = (
    "Someone else saved a change to the same records at the same moment, so your edit was not saved. "
    "Nothing was lost: reload the page to see their change, then make yours again if it is still needed."
)


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) or (
        isinstance(exc, duckdb.Error) and "conflict" in str(exc).lower())


@contextlib.contextmanager
def transaction(con: Connection) -> Iterator[Connection]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` on any error: nothing is half-written.

    Writes of one process are serialised (see ``_write_lock``); a write-write conflict DuckDB still
    reports (another process, a write outside this function) becomes :class:`EditConflict`, the same
    kind of refusal as a stale version, never a DuckDB trace.
    """
    if not _write_lock.acquire(timeout=WRITE_WAIT_SECONDS):
        raise DatabaseBusy(
            f"Another edit has been saving for more than {WRITE_WAIT_SECONDS:.0f} seconds (a large import or "
            "a matching run being stored, most likely). Your edit was not saved: try again in a minute."
        )
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException as exc:
            rollback(con)
            if _is_conflict(exc):
                raise EditConflict(CONFLICT_MESSAGE) from None
            raise
        try:
            con.execute("COMMIT")
        except duckdb.Error as exc:
            rollback(con)
            if _is_conflict(exc):
                raise EditConflict(CONFLICT_MESSAGE) from None
            raise
    finally:
        _write_lock.release()


def rollback(con: Connection) -> None:
    """Roll back if a transaction is still open (a failed COMMIT has already ended it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Hold this process's write lock without opening a transaction (DDL, ATTACH, maintenance)."""
    with _write_lock:
        yield


def reset_sequences(con: Connection) -> None:
    """Start every id sequence after the largest id present (after a bulk load)."""
    for table, key in SEQUENCED.items():
        (top,) = con.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()  # type: ignore[misc]
        con.execute(f"DROP SEQUENCE IF EXISTS {table}_seq")
        con.execute(f"CREATE SEQUENCE {table}_seq START {int(top) + 1}")


def next_ids(con: Connection, table: str, n: int = 1) -> list[int]:
    """``n`` fresh ids for ``table`` from its sequence."""
    if table not in SEQUENCED:
        raise ValueError(f"{table} has no id sequence")
    if n <= 0:
        return []
    rows = con.execute(f"SELECT nextval('{table}_seq') FROM range(?)", [n]).fetchall()
    return [int(r[0]) for r in rows]


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewFile:
    name: str
    description: str
    sql: str
    path: Path


def _description(sql: str, path: Path) -> str:
    lines = []
    for line in sql.splitlines():
        stripped = line.strip()
        if stripped.startswith("--"):
            lines.append(stripped.lstrip("-").strip())
        elif stripped or lines:
            break
    if not lines:
        raise ValueError(f"{path}: the first line must be a `-- description` comment")
    return " ".join(x for x in lines if x)


def view_files(queries_dir: Path | None = None, *, checks: bool = False) -> list[ViewFile]:
    """The views in ``queries/`` (or the data checks in ``queries/checks/``), sorted by name."""
    base = queries_dir or settings().queries_dir
    folder = base / "checks" if checks else base
    out = []
    for path in sorted(folder.glob("*.sql")):
        sql = path.read_text(encoding="utf-8").strip().rstrip(";").strip()
        out.append(ViewFile(path.stem, _description(sql, path), sql, path))
    return out


def apply_views(con: Connection, queries_dir: Path | None = None) -> list[str]:
    """(Re)create every view of ``queries/`` with its description as ``COMMENT ON VIEW``.

    Views may use one another: a view whose dependency is not built yet is retried after the
    others, so file order does not matter. A view that still fails is reported with its file.
    """
    pending = view_files(queries_dir)
    created: list[str] = []
    while pending:
        failed: list[tuple[ViewFile, duckdb.Error]] = []
        for view in pending:
            try:
                con.execute(f"CREATE OR REPLACE VIEW {view.name} AS\n{view.sql}")
                con.execute(f"COMMENT ON VIEW {view.name} IS {_quote(view.description)}")
                created.append(view.name)
            except duckdb.CatalogException as exc:
                failed.append((view, exc))
            except duckdb.Error as exc:
                raise ValueError(f"{view.path}: the view does not build: {exc}") from None
        if len(failed) == len(pending):
            stuck, error = failed[0]
            raise ValueError(f"{stuck.path}: the view does not build: {error}")
        pending = [v for v, _ in failed]
    return created


def run_checks(con: Connection, queries_dir: Path | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Run every data check; each returns the rows that break its rule (none when all is well)."""
    return {check.name: con.execute(check.sql).fetchall() for check in view_files(queries_dir, checks=True)}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- edits and the audit log -------------------------------------------------------------------


def audit(con: Connection, *, actor: str, action: str, entity: str, entity_id: Any,
          before: Any = None, after: Any = None) -> None:
    """Write one line of the audit log (who, when, what, before, after)."""
    (audit_id,) = next_ids(con, "audit_log")
    con.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [audit_id, datetime.now(UTC).replace(tzinfo=None), actor, action, entity, str(entity_id),
         None if before is None else json.dumps(before, default=str),
         None if after is None else json.dumps(after, default=str)],
    )


def update_versioned(con: Connection, table: str, key: str, key_value: Any, version: int,
                     changes: dict[str, Any], *, actor: str, action: str, detail: dict[str, Any] | None = None) -> int:
    """``UPDATE … WHERE key = ? AND version = ?``; refuse a stale edit; audit it once. Returns the new version.

    ``changes`` may be empty: the row's version still moves (an edit of something the row stands for,
    such as a matching run's partnerships). ``detail`` is added to the audit entry's ``after``.
    Call inside :func:`transaction`.
    """
    cols = list(changes)
    row = con.execute(
        f"SELECT {', '.join(['version', *cols])} FROM {table} WHERE {key} = ?", [key_value]
    ).fetchone()
    if row is None:
        raise StaleEdit(f"{table} {key_value} no longer exists: someone removed it. Reload the page.")
    if row[0] != version:
        raise StaleEdit(
            f"{table} {key_value} was changed by someone else since you loaded it (your version "
            f"{version}, now {row[0]}). Your edit was not saved: reload the page and make it again."
        )
    sets = "".join(f"{c} = ?, " for c in cols)
    con.execute(
        f"UPDATE {table} SET {sets}version = version + 1 WHERE {key} = ? AND version = ?",
        [*changes.values(), key_value, version],
    )
    audit(con, actor=actor, action=action, entity=table, entity_id=key_value,
          before=dict(zip(cols, row[1:], strict=True)) or None, after={**changes, **(detail or {})} or None)
    return version + 1


# --- quoting -----------------------------------------------------------------------------------


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds (a file called ``my data``)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal, for the few statements that take no parameters (ATTACH)."""
    return _quote(text)
