"""Outbox: queue a round's messages, send a batch (the Send button with its count first; a sample message and the
recipients below it, folded) with a progress bar, and see what was sent, refused and is still waiting, with the mail
server's answer. The batch's result shows at the top of the page, where the Send button is.

For directors and coordinators; a country coordinator sees and sends their countries' messages (the library
decides, :mod:`workbench.messages.outbox`).
"""

import datetime as dt

import streamlit as st

from workbench.access import Action
from workbench.errors import WorkbenchError
from workbench.messages import outbox, smtp
from workbench.participants.checkins import queue_links
from workbench.participants.mail import unsubscribe_links
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, round_picker, safe_table

con = cursor()
user = current_user(con, Action.SEND)
round_id = round_picker(con)

st.title("Outbox")
show_feedback()

try:
    config = smtp.smtp_config()
    rate = outbox.rate_per_minute(con, config)
    per_minute = f"at most {rate:g} a minute" if rate else "with no rate limit"
    st.caption(f"Sending through **{config.host}:{config.port}** ({config.security}) as **{md_text(config.sender)}**, "
               f"{per_minute} (a director changes the rate on the Settings page).")
except WorkbenchError as exc:
    config = None
    st.warning(f"{exc} Messages can be queued and reviewed meanwhile.")

KIND_LABELS = {None: "All kinds", "introduction": "Introductions", "topic": "Topics", "reminder": "Reminders",
               "survey": "Survey invitations"}
kind = st.segmented_control("Messages", list(KIND_LABELS), format_func=KIND_LABELS.get, default=None,
                            key="outbox_kind")

with st.expander("Queue messages", expanded=False):
    st.write("Each message is written in a language its recipients share. Queuing twice adds nothing.")
    c1, c2, c3, c4 = st.columns(4)
    due = c2.date_input("Topics due on or before", dt.date.today(), key="outbox_topic_day")
    queue_calls = {
        "introduction": (c1, "Queue the introductions", {}),
        "topic": (c2, "Queue the topics due", {"on": due}),
        "reminder": (c3, "Queue reminders to flagged pairs", {}),
        "survey": (c4, "Queue the survey invitation", {}),
    }
    for what, (column, text, extra) in queue_calls.items():
        if column.button(text, key=f"queue_{what}"):
            with reporting_errors():
                done = outbox.queue(con, what, round_id, by=user, **extra, **queue_links(con, what),
                                    **unsubscribe_links(con, what))
                saved(con, done.summary())

counts = outbox.summary(con, by=user, round_id=round_id, kind=kind)
cols = st.columns(4)
cols[0].metric("Waiting", f"{counts['queued']:,}")
cols[1].metric("Sent", f"{counts['sent']:,}")
cols[2].metric("Partly sent", f"{counts['partial']:,}", help="Some recipients' addresses were refused")
cols[3].metric("Refused", f"{counts['failed']:,}", help="The server refused every recipient")

waiting = outbox.messages(con, by=user, round_id=round_id, kind=kind, status="queued")
if waiting.empty:
    st.info(f"No message of {round_id} is waiting to be sent." + ("" if counts["messages"] else
            " Queue some above, or publish a matching run with its introductions."))
else:
    recipients = int(waiting["recipients"].sum())
    st.subheader(f"{len(waiting):,} messages waiting, to {recipients:,} recipients")
    # Send first (the batch's result shows at the top of the page, in view); what it sends is folded below it.
    if st.button(f"Send {len(waiting):,} messages", type="primary", disabled=config is None, key="outbox_send"):
        bar = st.progress(0.0, text=f"Sending {len(waiting):,} messages…")

        def progress(done: int, total: int, text: str) -> None:
            bar.progress(done / total, text=f"Sent {done:,} of {total:,}")

        with reporting_errors():
            batch = outbox.send(con, by=user, round_id=round_id, kind=kind, progress=progress, config=config)
            saved(con, batch.summary())
    with st.expander("A sample message of the batch"):
        ids = [int(x) for x in waiting["outbox_id"]]
        sample = st.selectbox("A message of the batch", ids, key="outbox_sample",
                              format_func=lambda i: f"{i}: {waiting.set_index('outbox_id').loc[i, 'subject']}")
        with reporting_errors():
            st.code(outbox.review_text(con, sample, by=user), language=None)
    with st.expander(f"The recipients ({recipients:,} in {len(waiting):,} messages)"):
        st.dataframe(safe_table(waiting[["outbox_id", "kind", "language", "to", "subject", "attempts", "error"]]),
                     hide_index=True, width="stretch", height=260,
                     column_config={"outbox_id": "id", "to": "recipients", "error": "last answer"})

sent_tab, refused_tab, waiting_tab = st.tabs(["Sent", "Refused", "Waiting"])
columns = ["outbox_id", "kind", "language", "to", "subject", "status", "error", "sent_at"]
config_columns = {"outbox_id": "id", "to": "recipients", "error": "server's answer"}
with sent_tab:
    done = outbox.messages(con, by=user, round_id=round_id, kind=kind, status=("sent", "partial"))
    st.dataframe(safe_table(done[columns]), hide_index=True, width="stretch", column_config=config_columns)
with refused_tab:
    refused = outbox.messages(con, by=user, round_id=round_id, kind=kind, status=("failed", "partial"))
    if refused.empty:
        st.success("No address was refused.")
    else:
        st.dataframe(safe_table(refused[columns]), hide_index=True, width="stretch", column_config=config_columns)
        again = st.selectbox("Try a refused message's addresses again (after correcting them)",
                             [int(x) for x in refused["outbox_id"]], key="outbox_retry")
        if st.button("Queue it again", key="outbox_requeue"):
            with reporting_errors():
                outbox.reset_failed(con, again, by=user)
                saved(con, f"Message {again} is waiting again for its refused recipients.")
with waiting_tab:
    st.dataframe(safe_table(waiting[["outbox_id", "kind", "language", "to", "subject", "attempts", "error"]]),
                 hide_index=True, width="stretch", column_config=config_columns)
