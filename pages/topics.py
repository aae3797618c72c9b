"""Topics: plan a round's fortnightly topics, export them as messages, see their uptake and how
partners communicate."""

import streamlit as st

from workbench import charts, reports
from workbench.access import Action
from workbench.followup import topics as planner
from workbench.messages import smtp
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, percent, round_picker

con = cursor()
user = current_user(con, Action.TOPICS)
round_id = round_picker(con)
info = planner.round_dates(con, round_id)
plan = reports.round_topics(con, round_id)

st.title("Fortnightly topics")
st.caption(f"Round **{info.label}** · runs {info.starts_on:%d %b %Y} to {info.ends_on:%d %b %Y} · "
           f"{len(plan)} topics")

show_feedback()

plan_tab, send_tab, uptake_tab, talk_tab = st.tabs(["Plan", "Messages", "Uptake", "Communication"])

with plan_tab:
    if plan.empty:
        source = planner.previous_round_with_topics(con, round_id)
        st.info(f"{info.label} has no topics yet. Start from "
                + (f"{source}'s list" if source else "'Getting to know you'")
                + ": one topic a fortnight from the day the round starts, 'Getting to know you' first.")
        if st.button("Start from the last round's topics", type="primary"):
            with reporting_errors():
                ids = planner.start_from_previous(con, round_id, by=user)
                saved(con, f"Planned {len(ids)} topics for {info.label}.")
    for warning in planner.plan_warnings(con, round_id):
        st.warning(warning)
    for topic in plan.itertuples():
        with st.expander(f"{topic.seq}. {md_text(topic.title)} · {topic.send_on:%d %b %Y}"), \
                st.form(f"topic_{topic.topic_id}"):
            title = st.text_input("Title", value=topic.title, max_chars=planner.MAX_TITLE)
            body = st.text_area("Text", value=topic.body, height=100)
            send_on = st.date_input("Send on", value=topic.send_on)
            left, right = st.columns(2)
            save = left.form_submit_button("Save")
            delete = right.form_submit_button("Delete this topic")
        if save:
            with reporting_errors():
                planner.update_topic(con, int(topic.topic_id), int(topic.version), title=title, body=body,
                                     send_on=send_on, by=user)
                saved(con, f"Saved topic {topic.seq}.")
        if delete:
            with reporting_errors():
                planner.delete_topic(con, int(topic.topic_id), int(topic.version), by=user)
                saved(con, f"Deleted topic {topic.seq} ('{md_text(topic.title)}').")
    with st.form("add_topic", clear_on_submit=True):
        st.markdown("**Add a topic**")
        new_title = st.text_input("Title of the new topic", max_chars=planner.MAX_TITLE)
        new_body = st.text_area("Text of the new topic", height=80)
        default_day = plan["send_on"].iloc[-1] + planner.FORTNIGHT if not plan.empty else info.starts_on
        new_day = st.date_input("Send the new topic on", value=default_day)
        add = st.form_submit_button("Add topic")
    if add:
        with reporting_errors():
            planner.add_topic(con, round_id, title=new_title, body=new_body, send_on=new_day, by=user)
            saved(con, f"Added '{md_text(new_title.strip())}'.")

with send_tab:
    if plan.empty:
        st.info("Plan the topics first; each becomes a message ready to send.")
    else:
        languages = planner.draft_languages(con)
        cols = st.columns(2)
        language = cols[0].selectbox("Language", languages) if len(languages) > 1 else languages[0]
        recipient = (cols[1].text_input("To name", "Participants"),
                     cols[1].text_input("To address (your list of the round's participants; optional)", ""))
        st.caption(f"Each topic as an e-mail (.eml) your mail program opens as a draft, dated on its send day, in "
                   f"{language}, from {md_text(smtp.identity(con).sender)} (the mail settings), worded as the "
                   "outbox sends it.")
        st.download_button(f"Download all {len(plan)} messages (.zip)",
                           planner.round_messages_zip(con, round_id, language=language, recipient=recipient),
                           file_name=f"{round_id}-topics.zip", mime="application/zip")
        for topic in planner.round_topics(con, round_id):
            draft = planner.topic_draft(con, topic.topic_id, language=language)
            with st.expander(f"{md_text(draft.subject)} · send {topic.send_on:%d %b %Y}"):
                st.text(draft.body)
                st.download_button("Download .eml", planner.topic_eml(con, topic.topic_id, language=language,
                                                                      recipient=recipient),
                                   file_name=planner.eml_filename(topic), mime="message/rfc822",
                                   key=f"eml_{topic.topic_id}")

with uptake_tab:
    discussion = reports.topic_discussion(con, round_id=round_id)
    use = reports.topic_use_by_round(con)
    this_round = use[use["round_id"] == round_id]
    cols = st.columns(3)
    if not this_round.empty:
        row = this_round.iloc[0]
        cols[0].metric("Used the topics", percent(row["share_used_topics"]),
                       help=f"Of {row['respondents']:,} survey respondents")
        cols[1].metric("Partnerships naming a topic", percent(row["share_partnerships_with_topics"]),
                       help="Partnerships whose check-ins name at least one topic")
    cols[2].metric("Topics", len(plan))
    if discussion["checkin_respondents"].sum() > 0:
        st.plotly_chart(charts.topic_discussion(discussion), width="stretch")
        st.dataframe(discussion[["topic_seq", "title", "send_on", "share_of_partnerships", "share_of_respondents"]],
                     hide_index=True, width="stretch", column_config={
                         "topic_seq": "No.", "share_of_partnerships": st.column_config.NumberColumn(
                             "Partnerships", format="percent"),
                         "share_of_respondents": st.column_config.NumberColumn("Check-in respondents",
                                                                               format="percent")})
    else:
        st.info(f"No check-ins for {info.label} yet.")
    st.plotly_chart(charts.topic_use(use), width="stretch")

with talk_tab:
    methods = reports.communication_methods(con)
    st.plotly_chart(charts.methods_by_round(methods), width="stretch")
    across = reports.communication_across_rounds(con)
    mine = methods[methods["round_id"] == round_id][["method", "share_of_partnerships"]]
    table = across[["method", "share_of_partnerships"]].rename(columns={"share_of_partnerships": "all rounds"})
    if not mine.empty:
        table = mine.rename(columns={"share_of_partnerships": info.label}).merge(table, on="method")
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        c: st.column_config.NumberColumn(c, format="percent") for c in table.columns if c != "method"})
    whole = st.toggle("All rounds together", value=mine.empty, key="tz_all_rounds")
    by_zone = reports.communication_by_timezone(con, round_id=None if whole else round_id)
    if not by_zone.empty:
        st.plotly_chart(charts.methods_by_timezone(by_zone), width="stretch")
        st.caption("Time-zone distance: hours between the partners' UTC offsets, the short way round the clock "
                   "(a trio by its widest gap). Video calls are rarer when partners are far apart; email stays.")
