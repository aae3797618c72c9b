"""Overview: the program at a glance for a round and across rounds."""

import streamlit as st

from workbench import charts, reports
from workbench.ui.connection import cursor
from workbench.ui.feedback import show_feedback
from workbench.ui.widgets import percent, round_picker

con = cursor()
round_id = round_picker(con)
glance = reports.round_glance(con, round_id)
program = reports.program_glance(con)

st.title("Program overview")
st.caption(f"Round **{glance.label}** · status: {glance.status}")
show_feedback()

arrivals = reports.form_arrivals(con, round_id)
if arrivals is not None:
    st.subheader("Applications arriving on the form")
    st.write(arrivals.summary())
    cols = st.columns(3)
    cols[0].metric("Confirmed", f"{arrivals.confirmed:,}", help="They count, under the cap, once confirmed")
    cols[1].metric("Unconfirmed", f"{arrivals.unconfirmed:,}",
                   help="Waiting for the applicant to follow the emailed link; they expire unconfirmed")
    cols[2].metric("Withdrawn", f"{arrivals.withdrawn:,}", help="Withdrawn by the applicant on their own page")

if glance.participants:
    cols = st.columns(4)
    cols[0].metric("Participants", f"{glance.participants:,}", help="People in a partnership this round")
    cols[1].metric("Countries", glance.countries, help="Distinct countries of this round's participants")
    cols[2].metric("Returning", percent(glance.returning_share),
                   help="Participants who took part in an earlier round")
    cols[3].metric("Satisfied with the program", percent(glance.satisfied_share),
                   help=f"Rated 4 or 5 of 5, of {glance.respondents:,} survey respondents")
else:
    st.info(f"{glance.label} has {glance.applications:,} applications and is not matched yet "
            f"(status: {glance.status}).")
    cols = st.columns(4)
    cols[0].metric("Applications", f"{glance.applications:,}")
    cols[1].metric("Accepted", f"{glance.accepted:,}",
                   help=f"{glance.waitlisted:,} waitlisted by the per-country cap")
    cols[2].metric("Applicant countries", glance.applicant_countries)
    cols[3].metric("Returning applicants", percent(glance.returning_applicant_share),
                   help="Applicants who applied in an earlier round")

st.subheader("Across rounds")
cols = st.columns(4)
cols[0].metric("Rounds run", program.rounds_run)
cols[1].metric("Participations", f"{program.participations:,}",
               help="Participants counted once in every round they joined")
cols[2].metric("Countries, all rounds", program.countries, help="Distinct countries of all participants")
cols[3].metric("Satisfied, all rounds", percent(program.satisfied_share), help="All survey respondents")

summary = reports.round_summary(con)
st.plotly_chart(charts.growth(summary), width="stretch")
st.dataframe(
    summary[["label", "status", "applications", "accepted", "waitlisted", "participants", "countries",
             "partnerships", "trios", "returning_share"]],
    hide_index=True, width="stretch",
    column_config={"label": "Round", "returning_share": st.column_config.NumberColumn("Returning", format="percent")},
)
