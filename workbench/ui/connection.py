"""One read-write DuckDB connection per server process, a cursor per script run.

DuckDB lets one process write to a file; the Streamlit server is that process and its sessions are
threads. A shared connection is not thread-safe, so each script run works on its own ``.cursor()``.

The connection and the backup keeper are one cached resource: when Streamlit releases it (a client's
"Clear cache", a server-side ``st.cache_resource.clear()``), the keeper's thread stops and the connection
closes, so clearing the cache and running again leaks neither a thread nor a connection.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import streamlit as st

from workbench import backups, copies, db, migrations, snapshots
from workbench.access import system_user
from workbench.config import settings
from workbench.errors import WorkbenchError


@dataclass
class _Server:
    """What the server process keeps for one database: its connection and the keeper of its dated backups."""

    con: db.Connection
    keeper: backups.BackupKeeper


def _release(server: _Server) -> None:
    """When Streamlit lets go of the resource (a client's "Clear cache", ``st.cache_resource.clear()``): stop
    the keeper's thread and close the connection (its cursors with it), so a clear leaks neither."""
    server.keeper.stop(join=True)  # it wakes at once; a backup being written is finished first
    server.con.close()


@st.cache_resource(show_spinner=False, on_release=_release)
def _server(path: str) -> _Server:
    con = migrations.open_live(path)
    try:
        db.apply_views(con)
        conf = settings(path)
        keeper = backups.BackupKeeper(con, conf.backup_dir, conf.backup_keep, conf.backup_every_hours,
                                      by=system_user("backup keeper")).start()
    except BaseException:
        con.close()
        raise
    return _Server(con, keeper)


def server_connection() -> db.Connection:
    """The server's connection to the configured database (one per process; pages use :func:`cursor`)."""
    return _server(str(settings().db_path)).con


def backup_keeper() -> backups.BackupKeeper:
    """The running keeper of dated backups for the configured database."""
    return _server(str(settings().db_path)).keeper


def entry_point() -> None:
    """Called first by ``streamlit_app.py``: this run goes through the app's sign-in and navigation."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def _use_the_app_navigation() -> None:
    """Route a page through ``streamlit_app.py``'s sign-in and ``st.navigation`` even when it was opened first.

    Streamlit treats an app with a ``pages/`` folder beside its entry point as an old-style multipage
    app until ``st.navigation`` has run once in the server process (AppTest: in every run). A browser
    that opens a page's own address first (a bookmark, a link in an email) would run the page without
    the app's sign-in and navigation, and leave every later session in that mode. Instead the page runs
    the entry point in its place, in this same run (so a click or a value the run carries is not lost):
    the entry point's sign-in and navigation then serve the same address, and the page stops.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if not PagesManager.uses_pages_directory:
        return
    PagesManager.uses_pages_directory = False
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    main = str(ctx.pages_manager.main_script_path)
    code = ctx.pages_manager.get_page_script_byte_code(main)
    exec(code, {"__name__": "__main__", "__file__": main})  # the entry point; it runs this page if allowed
    st.stop()


def cursor() -> db.Connection:
    """A cursor of the server's connection for this script run; stops the page with a clear message."""
    _use_the_app_navigation()
    path = settings().db_path
    if not path.exists():
        st.error(
            f"There is no workbench database at `{path}` yet. Build the sample program with "
            "`make run` (or `workbench init`), or point `WORKBENCH_DB` at your database."
        )
        st.stop()
    try:
        with _swapping:  # not while the file is being rewritten (an erasure): wait for the new one
            return _server(str(path)).con.cursor()
    except WorkbenchError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises


#: Held while the live file is rewritten: a script run asking for a cursor meanwhile waits for the new file.
_swapping = threading.Lock()


def rewrite_live_database() -> None:
    """After an erasure: rewrite the live file so no old block holds the erased data (``copies.rewrite_file``).

    The server's connection is the only one open on the file; it is closed (the resource released, the
    backup keeper stopped), the file copied to a fresh one and swapped in, and the next cursor opens the new
    file. Writes of other sessions wait on the write lock meanwhile; a page that was reading at that moment
    shows an error once and works again on its next run. Cursors taken before are closed: take a new one.
    """
    path = settings().db_path
    snapshots.wait_for_snapshots()  # a background snapshot reads through the connection about to close
    with _swapping, db.writing():
        _server.clear()
        copies.rewrite_file(path)
