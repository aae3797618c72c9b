"""Audit log (directors): who changed what and when, with the values before and after."""

from datetime import date

import streamlit as st

from workbench import exports, reports
from workbench.access import Action
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import show_feedback
from workbench.ui.widgets import safe_table

con = cursor()
user = current_user(con, Action.VIEW_AUDIT)

st.title("Audit log")
st.caption("Every change made in the workbench or on the command line, newest first. Times are UTC.")
show_feedback()

people = reports.audit_people(con, by=user)
names = dict(zip(people["actor"], people["actor_name"], strict=True))
cols = st.columns([2, 2, 1, 1])
actor = cols[0].selectbox("Person", [None, *names], key="audit_actor",
                          format_func=lambda a: "Everyone" if a is None else
                          (names[a] if names[a] == a else f"{names[a]} ({a})"))
action = cols[1].selectbox("Action", [None, *reports.audit_actions(con, by=user)], key="audit_action",
                           format_func=lambda a: "Every action" if a is None else a)
since = cols[2].date_input("From", value=None, min_value=date(2010, 1, 1), key="audit_since", format="YYYY-MM-DD")
until = cols[3].date_input("To", value=None, min_value=date(2010, 1, 1), key="audit_until", format="YYYY-MM-DD")

if since is not None and until is not None and since > until:
    st.warning("The first date is after the last: no entry can match. Swap them.")
log = reports.audit_log(con, by=user, actor=actor, action=action, since=since, until=until)
st.write(f"**{len(log):,}** entr{'y' if len(log) == 1 else 'ies'}")
if log.empty:
    st.info("No entry matches these filters." if actor or action or since or until
            else "Nothing has been changed yet.")
else:
    st.dataframe(  # before/after quote participants' text
        safe_table(log[["logged_at", "actor_name", "actor", "action", "entity", "entity_id", "before", "after"]]),
        hide_index=True, width="stretch",
        column_config={
            "logged_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
            "actor_name": "Who", "actor": "Account", "action": "Action", "entity": "Table",
            "entity_id": "Id", "before": "Before", "after": "After",
        },
    )
    st.download_button("Download these entries (CSV)", exports.frame_csv_bytes(log), file_name="audit-log.csv",
                       mime="text/csv", key="audit_csv")
