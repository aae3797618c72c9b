"""One read-write DuckDB connection per server process, a cursor per script run.

DuckDB lets one process write to a file; the Streamlit server is that process and its sessions are
threads. A shared connection is not thread-safe, so each script run works on its own ``.cursor()``.
"""

from __future__ import annotations

import streamlit as st

from workbench import db
from workbench.config import settings
from workbench.errors import WorkbenchError


@st.cache_resource(show_spinner=False)
def _connection(path: str) -> db.Connection:
    con = db.connect(path)
    db.apply_views(con)
    return con


def cursor() -> db.Connection:
    """A cursor of the server's connection for this script run; stops the page with a clear message."""
    path = settings().db_path
    if not path.exists():
        st.error(
            f"There is no workbench database at `{path}` yet. Build the sample program with "
            "`make run` (or `workbench init`), or point `WORKBENCH_DB` at your database."
        )
        st.stop()
    try:
        return _connection(str(path)).cursor()
    except WorkbenchError as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() raises
