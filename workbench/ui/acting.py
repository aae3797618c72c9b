"""Who is acting: the coordinator picked in the sidebar, remembered across pages.

Until coordinators sign in, the page asks; the choice names the actor in the audit log and scopes a
country coordinator's queue to their countries.
"""

from __future__ import annotations

import streamlit as st

from workbench import reports
from workbench.db import Connection
from workbench.followup.interventions import Coordinator, get_coordinator

_KEY = "acting_coordinator"


def acting_coordinator(con: Connection, *, key: str) -> Coordinator:
    """A sidebar select box of the coordinators (directors first); returns the one picked."""
    people = reports.coordinators(con)
    ids = list(people["coordinator_id"])
    labels = {row.coordinator_id: f"{row.name} · {row.role}"
              + (f" ({', '.join(row.countries)})" if len(row.countries) else "") for row in people.itertuples()}
    remembered = st.session_state.get(_KEY)
    index = ids.index(remembered) if remembered in ids else 0
    choice = st.sidebar.selectbox("Acting as", ids, index=index, format_func=labels.__getitem__, key=f"acting_{key}",
                                  help="Your edits are logged under this coordinator; a country coordinator "
                                       "sees the queue of their countries.")
    st.session_state[_KEY] = choice
    who = get_coordinator(con, str(choice))
    assert who is not None
    return who
