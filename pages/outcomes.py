"""Outcomes: satisfaction, returning participants and retention, and impact, across rounds."""

import streamlit as st

from workbench import charts, reports
from workbench.access import Action, may
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import show_feedback
from workbench.ui.widgets import percent

con = cursor()
user = current_user(con, Action.VIEW_REPORTS)
glance = reports.outcomes_glance(con)
labels = dict(zip(reports.rounds(con)["round_id"], reports.rounds(con)["label"], strict=True))

st.title("Outcomes across rounds")
st.caption(f"{glance.rounds} rounds with surveys · {glance.respondents:,} respondents")
show_feedback()

cols = st.columns(5)
cols[0].metric("Satisfied: program", percent(glance.program_satisfied_share), help="4 or 5 of 5, all rounds")
cols[1].metric("Satisfied: partner", percent(glance.partner_satisfied_share))
cols[2].metric("Returners satisfied", percent(glance.returning_satisfied_share),
               help="Respondents who took part in an earlier round")
cols[3].metric("Newcomers satisfied", percent(glance.new_satisfied_share))
cols[4].metric("Back the next round", percent(glance.next_round_return_share, 1),
               help="Participants who took part again in the very next round, all rounds together")

st.header("Satisfaction")
satisfaction = reports.satisfaction_by_round(con)
st.plotly_chart(charts.satisfaction(satisfaction, labels), width="stretch")
st.dataframe(satisfaction[["round_id", "respondents", "program_satisfied_share", "program_share_low",
                           "program_share_high", "program_mean", "partner_satisfied_share", "partner_mean"]],
             hide_index=True, width="stretch", column_config={
                 c: st.column_config.NumberColumn(c.replace("_", " "), format="percent")
                 for c in ("program_satisfied_share", "program_share_low", "program_share_high",
                           "partner_satisfied_share")})
st.subheader("Returning participants and newcomers")
st.plotly_chart(charts.satisfaction_returning(reports.satisfaction_by_returning(con)), width="stretch")
overall = reports.satisfaction_returning_overall(con)
st.dataframe(overall[["participant_group", "respondents", "program_satisfied_share", "program_share_low",
                      "program_share_high", "program_mean", "partner_satisfied_share", "partner_mean"]],
             hide_index=True, width="stretch", column_config={
                 "participant_group": "All rounds",
                 **{c: st.column_config.NumberColumn(c.replace("_", " "), format="percent")
                    for c in ("program_satisfied_share", "program_share_low", "program_share_high",
                              "partner_satisfied_share")}})

st.header("Returning participants")
st.plotly_chart(charts.new_and_returning(reports.new_and_returning(con)), width="stretch")
measure = st.radio("Retention counts people who", ["took_part_share", "applied_share"], horizontal=True,
                   format_func=lambda m: "took part again" if m == "took_part_share" else "applied again")
title = ("Of the participants of a round (rows), the share who "
         + ("took part" if measure == "took_part_share" else "applied") + " in a later round (columns)")
st.plotly_chart(charts.retention_heatmap(reports.retention_matrix(con, measure=measure), title=title),
                width="stretch")

st.header("Impact")
progress_rounds = reports.impact_by_round(con)
st.plotly_chart(charts.impact_shares(progress_rounds), width="stretch")
st.plotly_chart(charts.impact_overall(reports.impact_overall(con)), width="stretch")
if glance.awaiting_coding:
    where = " on the Impact coding page" if may(user, Action.IMPACT_CODING) else ""
    st.info(f"{glance.awaiting_coding:,} answers are waiting to be coded; they count once a coordinator confirms "
            f"their codes{where}.")
