"""The analyst snapshot: the read-only, pseudonymised (or, for a director, full) copy analysts open instead of the
live database, published after every change, in the background in the app and at the end of a command.

The copy itself is :func:`workbench.copies.copy_database`'s; the pseudonyms and the withheld columns are
:mod:`workbench.privacy`'s.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from workbench import db, privacy
from workbench.access import Action, require
from workbench.config import settings
from workbench.copies import FULL, PSEUDONYMISED, copy_database
from workbench.errors import WorkbenchError
from workbench.program.settings import snapshot_min_group

__all__ = ["FULL", "PSEUDONYMISED", "publish_snapshot", "refresh_snapshot_after_command", "request_snapshot",
           "snapshot_errors", "wait_for_snapshots"]


def publish_snapshot(con: db.Connection, out_path: str | Path | None = None,
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
    out = Path(out_path) if out_path is not None else settings().snapshot_path
    if full:
        require(by, Action.FULL_SNAPSHOT)
        transform = privacy.strip_secrets
    else:
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
        self._pending: dict[str, tuple[db.Connection, Path, float]] = {}
        self._thread: threading.Thread | None = None
        self.errors: list[str] = []

    def request(self, con: db.Connection, out_path: str | Path | None = None, delay: float = 0.5) -> None:
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


def request_snapshot(con: db.Connection, out_path: str | Path | None = None) -> None:
    """Publish the analyst snapshot soon, in the background (what the app calls after a change)."""
    _publisher.request(con, out_path)


def snapshot_errors() -> list[str]:
    """Failures of background snapshots since the last call, in plain words (a page shows them once)."""
    return _publisher.take_errors()


def wait_for_snapshots(timeout: float = 30.0) -> bool:
    """Wait for background snapshots to be written; False if they are still running after ``timeout``."""
    return _publisher.wait(timeout)


def refresh_snapshot_after_command(con: db.Connection, db_arg: str | Path | None) -> str:
    """After a command-line change: publish the analyst snapshot if this is the configured database.

    A command pointed at another file (``--db``) leaves the configured snapshot alone: it would
    otherwise be overwritten with a copy of a different database. Returns a line to print.
    """
    configured = settings().db_path.resolve()
    if db_arg is None or Path(db_arg).resolve() == configured:
        out = publish_snapshot(con)
        return f"Analyst snapshot refreshed: {out}."
    return f"The analyst snapshot was left as it is (--db is not {configured}): run `workbench snapshot` for it."
