"""The one place the workbench opens DuckDB: schema, views, sequences, transactions, snapshots.

Everything else receives a connection (or a cursor of one) from here. The Streamlit server keeps one
read-write connection and hands each script run its own ``.cursor()``; the CLI and notebooks call
:func:`connect` directly; analysts open the read-only snapshot written by :func:`publish_snapshot`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from workbench import files
from workbench.config import settings
from workbench.errors import CopyFailed, DatabaseBusy, DatabaseMissing, EditConflict, StaleEdit, WorkbenchError

SCHEMA_FILE = Path(__file__).with_name("schema.sql")
#: Shared SQL definitions (the per-country cap, …): views, checks and Python all call these macros.
MACROS_FILE = Path(__file__).with_name("macros.sql")

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
}

#: Every table, parents before children (the order to copy or load them in).
TABLE_ORDER = (
    "schema_info", "countries", "rounds", "people", "applications", "match_runs", "partnerships",
    "partnership_members", "match_unmatched", "match_rules", "topics", "checkins", "impact_categories",
    "surveys", "coordinators", "interventions", "audit_log", "schema_migrations", "settings", "vocabulary_terms",
    "outbox",
)

Connection = duckdb.DuckDBPyConnection


def connect(path: str | Path | None = None, *, read_only: bool = False, create: bool = False) -> Connection:
    """Open the workbench database (``WORKBENCH_DB`` by default).

    A missing file is an error (say how to build one) unless ``create``; a read-write open applies the
    schema (idempotent). A file locked by another process (the
    app, usually) raises :class:`DatabaseBusy` with a plain explanation instead of DuckDB's trace.
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
        try:
            apply_schema(con, path=db_path)
        except BaseException:
            con.close()
            raise
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
            _rollback(con)
            if _is_conflict(exc):
                raise EditConflict(CONFLICT_MESSAGE) from None
            raise
        try:
            con.execute("COMMIT")
        except duckdb.Error as exc:
            _rollback(con)
            if _is_conflict(exc):
                raise EditConflict(CONFLICT_MESSAGE) from None
            raise
    finally:
        _write_lock.release()


def _rollback(con: Connection) -> None:
    """Roll back if a transaction is still open (a failed COMMIT has already ended it)."""
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Hold this process's write lock without opening a transaction (DDL, ATTACH, maintenance)."""
    with _write_lock:
        yield


def apply_schema(con: Connection, *, path: Path | None = None) -> None:
    """Bring the database to this workbench's schema (idempotent).

    A new, empty file gets the whole schema (``schema.sql``) at the current version; a file written by
    an older workbench is upgraded step by step by :mod:`workbench.migrations` (a backup first); one
    written by a newer workbench is refused. The shared macros are (re)created every time.
    """
    from workbench import migrations

    with writing():
        found = schema_version(con)
        if found is None:
            con.execute(SCHEMA_FILE.read_text(encoding="utf-8"))
            from workbench.program.vocabularies import seed_vocabularies

            seed_vocabularies(con)  # the sample program's lists, as an upgraded file gets them
            for table in SEQUENCED:
                con.execute(f"CREATE SEQUENCE IF NOT EXISTS {table}_seq START 1")
            con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)",
                        [str(migrations.LATEST)])
        else:
            migrations.check_supported(found, path)
            if found < migrations.LATEST:
                migrations.upgrade(con, found, path=path)
        apply_macros(con)


def apply_macros(con: Connection) -> None:
    """(Re)create the shared macros of ``macros.sql`` (idempotent)."""
    if MACROS_FILE.exists():
        con.execute(MACROS_FILE.read_text(encoding="utf-8"))


def schema_version(con: Connection) -> int | None:
    """The schema version recorded in the database; None for a file with no workbench tables yet."""
    has_info = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = 'schema_info' "
        "AND table_catalog = current_database()"
    ).fetchone()
    if not has_info or not has_info[0]:
        return None
    found = con.execute("SELECT value FROM schema_info WHERE key = 'schema_version'").fetchone()
    if found is None:
        return None
    try:
        return int(found[0])
    except ValueError:
        raise WorkbenchError(
            f"This database records a schema version of {found[0]!r}, which is not a number: it was not "
            "written by the workbench. Restore a backup (`workbench restore`) or point --db at another file."
        ) from None


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


# --- copies: the analyst snapshot and backups -------------------------------------------------

_copy_lock = threading.Lock()
_copy_counter = itertools.count()


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds (a file called ``my data``)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """``text`` as a SQL string literal, for the few statements that take no parameters (ATTACH)."""
    return _quote(text)


def _remove_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(NotADirectoryError):
            leftover.unlink(missing_ok=True)


def copy_database(con: Connection, out: Path, *, queries_dir: Path | None = None,
                  transform: Any = None, stamp: dict[str, str] | None = None, mode: int | None = None) -> Path:
    """Write a consistent copy of the database behind ``con`` to ``out``, atomically.

    Every table's rows are read in ONE transaction of the source (so a matching run being saved meanwhile is
    in the copy whole or not at all) into memory (Arrow tables). ``transform(tables)`` may then change them
    there, before anything is written: the analyst snapshot's pseudonyms and the removal of secrets happen on
    the way in, so the raw values never reach the copy's file, not even a checkpoint of it that a later one
    replaced. The copy is built in a private folder (owner-only) beside ``out``: the same schema and macros,
    the rows, the views, then ``os.replace``. Any failure is raised to the caller and leaves no temporary
    file behind; ``out`` is untouched until the copy is complete. ``mode`` (e.g. ``0o600``) is set on the
    file before it takes ``out``'s place, so it is never readable by others, not even while it is written.
    The folder ``out`` is in is left as it is.
    """
    with _copy_lock:
        work = out.with_name(f".{out.name}.tmp-{os.getpid()}-{next(_copy_counter)}")
        tmp = work / out.name
        try:
            files.private_dir(out.parent)
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(mode=0o700)
            tables = read_tables(con)
            if transform is not None:
                tables = transform(tables)
            fresh = _open(tmp)
            try:
                apply_schema(fresh, path=tmp)
                write_tables(fresh, tables)
                reset_sequences(fresh)
                apply_views(fresh, queries_dir)
                for key, value in (stamp or {}).items():
                    fresh.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [key, value])
                fresh.execute("CHECKPOINT")
            finally:
                fresh.close()
            if mode is not None:
                os.chmod(tmp, mode)
            os.replace(tmp, out)
        except WorkbenchError:
            raise
        except (duckdb.Error, OSError, ValueError) as exc:
            raise CopyFailed(
                f"The copy to {out} could not be written ({type(exc).__name__}: {exc}). The previous copy, if "
                "any, is unchanged. Check the disk has room and the folder is writable, then try again."
            ) from exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def read_tables(con: Connection) -> dict[str, pa.Table]:
    """Every table of the database behind ``con`` as an Arrow table, all read in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        tables = {table: con.execute(f"SELECT * FROM main.{table}").to_arrow_table() for table in TABLE_ORDER}
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise
    return tables


def write_tables(con: Connection, tables: dict[str, pa.Table]) -> None:
    """Fill a new database (the schema applied, no rows of its own but the seeded lists) with ``tables``,
    parents before children, in one transaction."""
    # A private file no one else has open: no need to queue behind the process's other writes.
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM schema_info")
        con.execute("DELETE FROM vocabulary_terms")  # the source's, not the seed
        for table in TABLE_ORDER:
            con.register("_copy_rows", tables[table])
            try:
                con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM _copy_rows")
            finally:
                con.unregister("_copy_rows")
        con.execute("COMMIT")
    except BaseException:
        _rollback(con)
        raise


def rewrite_file(path: str | Path, *, queries_dir: Path | None = None) -> Path:
    """Rewrite the database file at ``path`` so that it holds its current state and nothing else.

    DuckDB keeps the previous checkpoint's blocks in the file (its older header still names them) and never
    clears freed blocks, so a value changed or erased through SQL can still be read from the file's bytes.
    After an erasure the file is copied, as it is now, to a new file (:func:`copy_database`) that takes its
    place atomically: a crash before the swap leaves the old file whole. No other connection may have the
    file open meanwhile (the app closes its own first: ``workbench.ui.connection.rewrite_live_database``);
    another program holding it gives :class:`DatabaseBusy`.
    """
    target = Path(path)
    with writing():
        con = connect(target)
        try:
            con.execute("CHECKPOINT")
            fresh = copy_database(con, target.with_name(f".{target.name}.rewrite"), queries_dir=queries_dir,
                                  mode=0o600)
        finally:
            con.close()
        try:
            os.replace(fresh, target)
        except OSError as exc:
            _remove_file(fresh)
            raise CopyFailed(f"{target} could not be replaced by its rewritten copy ({exc}); the database is as "
                             "it was. Check the folder is writable, then erase again.") from exc
        target.with_name(target.name + ".wal").unlink(missing_ok=True)
    return target


#: ``schema_info.snapshot_kind`` of the two kinds of analyst snapshot.
PSEUDONYMISED, FULL = "pseudonymised", "full"


def publish_snapshot(con: Connection, out_path: str | Path | None = None,
                     queries_dir: Path | None = None, *, full: bool = False, by: Any = None) -> Path:
    """Publish the read-only analyst copy of the live database, atomically (see :func:`copy_database`).

    The copy is pseudonymised (:func:`workbench.privacy.pseudonymise`): participants' names and emails
    are stable pseudonyms, free text only where cleared, notes and the audit log's before/after withheld.
    ``full=True`` copies everything as it is, for a director (``by``, a ``workbench.access.User`` with
    ``Action.FULL_SNAPSHOT``). Neither carries password hashes; both are written owner-only (0o600) and
    record ``snapshot_kind`` in ``schema_info``.

    An analyst never sees a half-written snapshot, and one who has the old file open keeps reading it
    until they reopen. A failure is raised (:class:`CopyFailed`), never swallowed.
    """
    from workbench import privacy
    from workbench.access import Action, require

    out = Path(out_path) if out_path is not None else settings().snapshot_path
    if full:
        require(by, Action.FULL_SNAPSHOT)
        transform = privacy.strip_secrets
    else:
        from workbench.program.settings import snapshot_min_group

        key = privacy.pseudonym_key(con)
        columns = privacy.text_columns(con)
        min_group = snapshot_min_group(con)

        def transform(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
            return privacy.pseudonymise(tables, key, columns, min_group=min_group)

    return copy_database(con, out, queries_dir=queries_dir, transform=transform, mode=0o600,
                         stamp={"snapshot_at": datetime.now(UTC).isoformat(timespec="seconds"),
                                "snapshot_kind": FULL if full else PSEUDONYMISED})


class _SnapshotPublisher:
    """Publishes snapshots on a background thread, so an edit in the app does not wait for the copy.

    Requests for the same target arriving while one is pending are merged into one publication a
    moment after the last of them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._pending: dict[str, tuple[Connection, Path, float]] = {}
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    def request(self, con: Connection, out_path: str | Path | None = None, delay: float = 0.5) -> None:
        out = Path(out_path) if out_path is not None else settings().snapshot_path
        with self._lock:
            previous = self._pending.pop(str(out), None)
            if previous is not None:
                previous[0].close()
            # A cursor of its own: the caller's may be closed when its script run ends.
            self._pending[str(out)] = (con.cursor(), out, time.monotonic() + delay)
            self._idle.clear()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="snapshot-publisher", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._idle.set()
                    self._thread = None
                    return
                key, (cur, out, due) = min(self._pending.items(), key=lambda kv: kv[1][2])
                wait = due - time.monotonic()
                if wait <= 0:
                    del self._pending[key]
            if wait > 0:
                time.sleep(min(wait, 0.2))
                continue
            try:
                publish_snapshot(cur, out)
            except Exception as exc:
                with self._lock:
                    self.errors.append(str(exc) if isinstance(exc, WorkbenchError)
                                       else f"The analyst snapshot {out} was not refreshed: {exc}")
            finally:
                cur.close()

    def take_errors(self) -> list[str]:
        with self._lock:
            errors, self.errors = self.errors, []
        return errors

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until every requested snapshot is published (tests, shutdown)."""
        return self._idle.wait(timeout)


_publisher = _SnapshotPublisher()


def request_snapshot(con: Connection, out_path: str | Path | None = None) -> None:
    """Publish the analyst snapshot soon, in the background (what the app calls after a change)."""
    _publisher.request(con, out_path)


def snapshot_errors() -> list[str]:
    """Failures of background snapshots since the last call, in plain words (a page shows them once)."""
    return _publisher.take_errors()


def wait_for_snapshots(timeout: float = 30.0) -> bool:
    """Wait for background snapshots to be written; False if they are still running after ``timeout``."""
    return _publisher.wait(timeout)


def refresh_snapshot_after_command(con: Connection, db_arg: str | Path | None) -> str:
    """After a command-line change: publish the analyst snapshot if this is the configured database.

    A command pointed at another file (``--db``) leaves the configured snapshot alone: it would
    otherwise be overwritten with a copy of a different database. Returns a line to print.
    """
    configured = settings().db_path.resolve()
    if db_arg is None or Path(db_arg).resolve() == configured:
        out = publish_snapshot(con)
        return f"Analyst snapshot refreshed: {out}."
    return f"The analyst snapshot was left as it is (--db is not {configured}): run `workbench snapshot` for it."
