"""What follows a write on every page: one post-write path, one way to report a refused change.

A page changes the database through a library call inside :func:`reporting_errors`, then calls
:func:`saved`: the analyst snapshot is requested in the background (the edit does not wait for the
copy), the message is remembered and the page reruns, and :func:`show_feedback` at the top of the
rerun shows it, with any background snapshot that failed since.

    show_feedback()
    ...
    with reporting_errors():
        n = impact.confirm_many(con, answers, by=user)
        saved(con, f"Confirmed the codes of {n} answers.")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from workbench import db, snapshots
from workbench.errors import WorkbenchError
from workbench.ui.widgets import md_text

#: Session-state key of the messages waiting for the next run of the page.
SAVED_KEY = "workbench_saved"

#: Said after a failed background snapshot's own message.
SNAPSHOT_FAILED_NEXT = ("Your changes are saved in the workbench; analysts keep the previous snapshot until the next "
                        "change, or run `workbench snapshot`.")


def saved(con: db.Connection, message: str) -> None:
    """After a successful write: refresh the analyst snapshot in the background, rerun, then show ``message``.

    Does not return: the rerun starts the page again, so the change shows in every table and figure.
    """
    snapshots.request_snapshot(con)
    st.session_state.setdefault(SAVED_KEY, []).append(message)
    st.rerun()


def show_feedback() -> None:
    """At the top of a page: the message of the change before the rerun, and failed background snapshots."""
    for message in st.session_state.pop(SAVED_KEY, []):
        st.success(message)
    for problem in snapshots.snapshot_errors():  # read once: the first page that runs after the failure shows it
        problem = problem.strip()
        st.warning(f"{problem}{'' if problem.endswith(('.', '!', '?')) else '.'} {SNAPSHOT_FAILED_NEXT}")


@contextmanager
def reporting_errors(*, stop: bool = False) -> Iterator[None]:
    """Run a library call; a refused change (:class:`WorkbenchError`) shows as its message, not a traceback.

    The rest of the block is skipped, so a :func:`saved` after the call runs only when it succeeded.
    With ``stop=True`` the page stops there too, for a step the rest of the page cannot do without. The
    message is shown as text (:func:`~workbench.ui.widgets.md_text`): it may quote a participant's name or a
    value from an imported file.
    """
    try:
        yield
    except WorkbenchError as exc:
        st.error(md_text(str(exc)))
        if stop:
            st.stop()
