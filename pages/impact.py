"""Impact coding: coordinators confirm or change the codes of the answers to the impact question, and clear
answers for public use (only cleared answers are ever quoted where the public sees them)."""

import streamlit as st

from workbench import charts, reports
from workbench.access import Action
from workbench.followup import impact
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, round_picker, safe_table

PAGE_SIZE = 10

con = cursor()
user = current_user(con, Action.IMPACT_CODING)
round_id = round_picker(con, matched_only=True)
progress = reports.coding_progress(con, round_id)

st.title("Impact coding")
st.caption(f"Round **{round_id}** · \"What impact has your involvement had on your work or professional "
           "activities?\" · suggestions come from keyword rules; a coordinator's confirmation counts")

show_feedback()

cols = st.columns(5)
cols[0].metric("Answers", f"{progress.answers:,}", help=f"of {progress.respondents:,} survey respondents")
cols[1].metric("Coded", f"{progress.confirmed:,}", help="Codes confirmed by a coordinator")
cols[2].metric("Awaiting coding", f"{progress.awaiting:,}")
cols[3].metric("No impact named", f"{progress.no_impact:,}", help="Confirmed with no category")
cols[4].metric("Cleared for public use", f"{progress.cleared:,}",
               help="Answers a coordinator cleared to be quoted publicly; no other answer is ever quoted")

frame = impact.coding_frame(con)
codes, code_labels = list(frame.values()), frame.labels()
awaiting_tab, coded_tab, shares_tab = st.tabs(["Awaiting coding", "Coded answers", "Shares"])

with awaiting_tab:
    waiting = reports.impact_answers(con, round_id, by=user, which="awaiting")
    if waiting.empty:
        st.info(f"Every answer of {round_id} is coded.")
    else:
        if st.button(f"Accept the suggestions for all {len(waiting)} answers"):
            with reporting_errors():
                n = impact.confirm_many(con, zip(waiting["survey_id"], waiting["version"], waiting["suggested_codes"],
                                                 strict=True), by=user)
                saved(con, f"Confirmed the suggested codes of {n} answers.")
        pages = (len(waiting) - 1) // PAGE_SIZE + 1
        page = st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1) if pages > 1 else 1
        shown = waiting.iloc[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        with st.form(f"coding_{round_id}_{page}"):
            chosen = {}
            for row in shown.itertuples():
                st.markdown(f"**Answer {row.survey_id}** ({row.country_iso3}): {md_text(row.impact_text)}")
                chosen[int(row.survey_id)] = (int(row.version), st.multiselect(
                    "Codes", codes, default=list(row.suggested_codes), format_func=code_labels.__getitem__,
                    key=f"codes_{row.survey_id}", label_visibility="collapsed"))
                st.caption(f"Suggested because of {md_text(row.why)}" if row.why else "No category suggested.")
            confirm = st.form_submit_button(f"Confirm these {len(shown)} answers", type="primary")
        if confirm:
            with reporting_errors():
                n = impact.confirm_many(con, [(sid, version, picked) for sid, (version, picked) in chosen.items()],
                                        by=user)
                saved(con, f"Confirmed the codes of {n} answers.")

with coded_tab:
    search = st.text_input("Find answers containing", placeholder="e.g. network")
    coded = reports.impact_answers(con, round_id, by=user, which="coded", search=search, limit=200)
    st.dataframe(safe_table(coded[["survey_id", "impact_text", "labels", "is_cleared"]]), hide_index=True,
                 width="stretch",
                 column_config={"survey_id": "Answer", "impact_text": "Answer text", "labels": "Codes",
                                "is_cleared": "Cleared for public use"})
    if not coded.empty:
        texts = {int(r.survey_id): f"{r.survey_id}: {r.impact_text[:90]}" for r in coded.itertuples()}
        pick = st.selectbox("Change the codes of", list(texts), format_func=texts.__getitem__)
        row = coded[coded["survey_id"] == pick].iloc[0]
        with st.form(f"recode_{pick}"):
            new_codes = st.multiselect("Codes", codes, default=list(row.impact_codes),
                                       format_func=code_labels.__getitem__)
            cleared = st.checkbox("cleared for public use", value=bool(row.is_cleared),
                                  help="Only cleared answers are ever quoted where the public sees them (presenter "
                                       "slides, published reports). Clear an answer when it names nobody and may "
                                       "be shown as it stands.")
            save_answer = st.form_submit_button("Save")
        if save_answer:
            with reporting_errors():
                version, done = int(row.version), []
                if set(new_codes) != set(row.impact_codes):
                    version = impact.confirm_codes(con, int(pick), version, new_codes, by=user)
                    done.append("codes saved")
                if cleared != bool(row.is_cleared):
                    impact.set_cleared(con, int(pick), version, cleared, by=user)
                    done.append("cleared for public use" if cleared else "no longer cleared for public use")
                if done:
                    saved(con, f"Answer {pick}: {', '.join(done)}.")
                st.info(f"Answer {pick}: nothing changed.")

with shares_tab:
    st.plotly_chart(charts.impact_shares(reports.impact_by_round(con)), width="stretch")
    st.caption("How the keyword suggestions agree with coordinators' confirmed codes, all rounds:")
    st.dataframe(impact.agreement(con), hide_index=True, width="stretch", column_config={
        "precision": st.column_config.NumberColumn("precision", format="percent"),
        "recall": st.column_config.NumberColumn("recall", format="percent")})
