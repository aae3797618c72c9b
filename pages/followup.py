"""Follow-up: partnership health, the intervention queue, re-matching, and importing check-ins and
surveys."""

import streamlit as st

from workbench import reports
from workbench.access import Action, country_scope, may
from workbench.errors import WorkbenchError
from workbench.followup import checkins, health, interventions, rematch
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import cross_border_words, md_text, percent, round_picker, safe_table

con = cursor()
user = current_user(con, Action.CASES)
round_id = round_picker(con, matched_only=True)
scope = None if (countries := country_scope(user)) is None else list(countries)

st.title("Follow-up")
st.caption(f"Round **{round_id}** · {md_text(user.name)}: {reports.coordinator_scope(user)}")

show_feedback()

summary = reports.health_summary(con, round_id, countries=scope)
cols = st.columns(5)
cols[0].metric("Partnerships", f"{summary.partnerships:,}", help=f"{summary.reporting:,} sent check-ins")
cols[1].metric("Flagged", f"{summary.flagged:,}", help=(
    f"{percent(summary.flagged_share)} of partnerships · no contact for two fortnights: {summary.no_contact}, "
    f"partner not replying within a week: {summary.not_replied}, rating 2 or less: {summary.low_rating}"))
cols[2].metric("Open cases", summary.open_cases, help=f"{summary.contacted_cases} of them contacted")
cols[3].metric("Flagged, no case yet", summary.flagged_without_case)
cols[4].metric("Closed cases", summary.closed_cases, help="Resolved, re-matched or ended")

may_import = may(user, Action.IMPORT)
tab_names = ["Intervention queue", "Flagged partnerships", "Re-match", "Check-ins"]
queue_tab, flagged_tab, rematch_tab, checkins_tab, *rest = st.tabs(
    [*tab_names, "Import check-ins and surveys"] if may_import else tab_names)

with queue_tab:
    statuses = st.multiselect("Cases that are", interventions.STATUSES, default=list(interventions.OPEN_CASE_STATUSES),
                              format_func=lambda s: f"{s} ({interventions.STATUS_HELP[s]})")
    queue = reports.intervention_queue(con, by=user, round_id=round_id, statuses=statuses)
    if queue.empty:
        st.info("No cases here. Flagged partnerships without a case are in the next tab.")
    else:
        st.dataframe(safe_table(queue[["intervention_id", "status", "members", "reason", "opened_on", "coordinator",
                                       "closed_on"]]), hide_index=True, width="stretch",
                     column_config={"intervention_id": "Case", "opened_on": "Opened", "closed_on": "Closed"})
        labels = {int(r.intervention_id): f"Case {r.intervention_id} · {r.status} · {r.members} · {r.reason}"
                  for r in queue.itertuples()}
        case_id = st.selectbox("Work on case", list(labels), format_func=labels.__getitem__, key="case_pick")
        case = queue[queue["intervention_id"] == case_id].iloc[0]
        left, right = st.columns([3, 2])
        with left:
            raised_by = case.raised_by if isinstance(case.raised_by, str) else "a coordinator"
            st.markdown(f"**Partnership {case.partnership_id}** · raised by {md_text(raised_by)} "
                        f"on {case.opened_on:%d %b %Y} · {md_text(case.reason)}")
            st.dataframe(safe_table(reports.partnership_members(con, int(case.partnership_id), by=user)[
                ["name", "email", "country", "languages", "timezone"]]), hide_index=True, width="stretch")
            st.dataframe(safe_table(reports.case_checkins(con, int(case.partnership_id), by=user)), hide_index=True,
                         width="stretch", height=240)
        with right:
            st.text_area("Notes so far", case.notes or "(none)", disabled=True, height=120, key=f"notes_{case_id}")
            choices = ["(keep: " + case.status + ")", *interventions.TRANSITIONS[case.status]]
            assigned = case.coordinator_id if isinstance(case.coordinator_id, str) else None
            holder = case.coordinator if isinstance(case.coordinator, str) else "nobody"
            # Keep the case's coordinator, take the case, or leave it unassigned (no list of accounts here).
            people = list(dict.fromkeys([assigned, user.id, None]))
            names = {assigned: f"{holder} (keep)", user.id: f"{user.name} (me)", None: "(nobody)"}
            if assigned == user.id:
                names[user.id] = f"{user.name} (me, keep)"
            with st.form(f"case_{case_id}"):
                status = st.selectbox("Status", choices, key=f"status_{case_id}")
                coordinator = st.selectbox("Coordinator", people, format_func=names.__getitem__)
                note = st.text_area("Add a note", placeholder="What you did or learnt", key=f"note_{case_id}")
                submitted = st.form_submit_button("Save case", type="primary")
            if submitted:
                with reporting_errors():
                    interventions.update_case(con, int(case_id), int(case.version), by=user,
                                              status=None if status.startswith("(keep") else status,
                                              note=note, coordinator_id=coordinator)
                    saved(con, f"Case {case_id} saved" + ("" if status.startswith("(keep") else f": {status}") + ".")

with flagged_tab:
    flagged = reports.partnership_health(con, round_id, by=user, flagged_only=True)
    st.caption("A partnership is flagged when check-ins report no contact for two fortnights running, a partner "
               "says the other has not replied within a week, or a rating of 2 or less.")
    st.dataframe(safe_table(flagged[["partnership_id", "members", "reasons", "longest_silence", "lowest_rating",
                                     "fortnights_with_contact", "fortnights_reported", "interventions",
                                     "open_interventions"]]),
                 hide_index=True, width="stretch", column_config={
                     "partnership_id": "Partnership", "longest_silence": "Fortnights silent",
                     "open_interventions": "Open cases", "interventions": "Cases"})
    needed = health.needing_a_case(con, round_id, countries=scope)
    if needed:
        st.write(f"{len(needed)} flagged partnership(s) never had a case: "
                 + ", ".join(f"{n.partnership_id} ({md_text('; '.join(n.reasons))})" for n in needed))
        if st.button(f"Open cases for {len(needed)} flagged partnership(s)"):
            with reporting_errors():
                opened = health.open_cases_from_flags(con, round_id, by=user)
                saved(con, f"Opened {len(opened)} case(s) from the flags.")
    else:
        st.caption("Every flagged partnership has (or had) a case.")
    with st.form("open_case"):
        st.markdown("**Open a case by hand**")
        pid = st.number_input("Partnership", min_value=1, step=1, value=int(flagged["partnership_id"].iloc[0])
                              if not flagged.empty else 1)
        reason = st.text_input("Reason", placeholder="e.g. a partner wrote to say they have heard nothing")
        if st.form_submit_button("Open case"):
            with reporting_errors():
                new_id = interventions.open_case(con, int(pid), reason=reason, by=user)
                saved(con, f"Opened case {new_id} on partnership {int(pid)}.")

with rematch_tab:
    try:
        stranded = reports.stranded_participants(con, round_id, by=user)
    except WorkbenchError as exc:
        st.info(str(exc))
        stranded = None
    if stranded is not None and stranded.empty:
        st.info("Nobody is stranded: every participant has a partnership without an open case.")
    elif stranded is not None:
        st.caption("Stranded: every partnership they are in has ended or has an open case. Re-matching keeps the "
                   f"hard rules: {cross_border_words(con)}, a shared language, no repeat of a past partnership, not "
                   "forbidden by a coordinator, one live partnership each, and the country cap for someone "
                   "joining from the waitlist.")
        st.dataframe(safe_table(stranded[["name", "country", "languages", "reason"]]), hide_index=True,
                     width="stretch")
        stranded_names = {int(r.application_id): f"{r.name} ({r.country}) · {r.reason}" for r in stranded.itertuples()}
        person = st.selectbox("Re-match", list(stranded_names), format_func=stranded_names.__getitem__,
                              key="rematch_person")
        options = reports.rematch_candidates(con, int(person), by=user)
        feasible = options[options["feasible"]]
        st.write(f"{len(feasible)} of {len(options)} stranded or waitlisted people keep every hard rule.")
        st.dataframe(safe_table(options[["name", "country", "source", "shared_interests", "shared_languages",
                                         "hours_apart", "feasible", "problems"]].head(50)), hide_index=True,
                     width="stretch")
        if not feasible.empty:
            partner_names = {int(r.application_id): f"{r.name} ({r.country}, {r.source}) · {r.shared_interests} "
                             f"shared interests · {r.hours_apart:g} h apart" for r in feasible.itertuples()}
            with st.form("rematch_form"):
                partner = st.selectbox("New partner", list(partner_names), format_func=partner_names.__getitem__)
                rematch_note = st.text_input("Note for the case")
                go = st.form_submit_button("Re-match", type="primary")
            if go:
                with reporting_errors():
                    new_pid = rematch.rematch(con, int(person), int(partner), by=user, note=rematch_note)
                    saved(con, f"New partnership {new_pid}: {md_text(stranded_names[int(person)].split(' · ')[0])} "
                               f"with {md_text(partner_names[int(partner)].split(' · ')[0])}.")

with checkins_tab:
    st.caption("Check-ins answered from the link in each topic email arrive as they are given (source: link); "
               "those imported from a form's file say import. Not answered yet: nothing from them for that "
               "fortnight; bounced: the topic email to them was refused by their mail server.")
    response = reports.checkin_response(con, round_id=round_id)
    st.dataframe(safe_table(response[["fortnight", "participants", "answered", "answered_by_link",
                                      "answered_by_import", "not_answered", "bounced", "reminded", "response_rate"]]),
                 hide_index=True, width="stretch", column_config={
                     "answered_by_link": "By link", "answered_by_import": "By import", "not_answered": "Not yet",
                     "response_rate": st.column_config.NumberColumn("Response rate", format="percent")})
    st.markdown("**Each partnership's last answer**")
    st.dataframe(safe_table(reports.last_answers(con, round_id, by=user)[
        ["partnership_id", "members", "fortnight", "answer", "answered_by", "rating", "submitted_on", "source"]]),
        hide_index=True, width="stretch", height=280, column_config={"partnership_id": "Partnership"})
    st.markdown("**Reminded** (`workbench outbox queue reminders`: one nudge a fortnight to whoever has not "
                "answered)")
    st.dataframe(safe_table(reports.reminded(con, round_id, by=user)), hide_index=True, width="stretch")

if rest:  # the import tab: only for those who may import
    with rest[0]:
        kind = st.radio("File of", ["checkins", "surveys"], horizontal=True,
                        format_func=lambda k: "fortnightly check-ins" if k == "checkins" else "end-of-round surveys")
        st.caption("A CSV export of the form. Check-ins need email, fortnight, date and whether there was contact; "
                   "surveys need email, date, program satisfaction (1–5) and whether the topics were used. Rows "
                   "already imported are skipped, so a corrected file can be imported again.")
        upload = st.file_uploader("CSV file", type=["csv", "txt"], key=f"upload_{kind}")
        if upload is not None:
            data = upload.getvalue()
            report = None
            with reporting_errors():
                validate = checkins.validate_checkins if kind == "checkins" else checkins.validate_surveys
                report = validate(con, data, round_id, filename=upload.name, by=user)
            if report is not None:
                (st.warning if report.rejections else st.info)(md_text(report.summary()))  # names the file
                if report.rejections:
                    st.dataframe(safe_table(report.rejections_frame()), hide_index=True, width="stretch")
                if report.changed:
                    st.caption("Stored with other answers:")
                    st.dataframe(safe_table(report.changed_frame()), hide_index=True, width="stretch")
                replace = st.checkbox("Replace stored answers that differ", value=False, disabled=not report.changed)
                n = len(report.records) + (len(report.changed) if replace else 0)
                if st.button(f"Import {n:,} rows", type="primary", disabled=not n):
                    with reporting_errors():
                        done = checkins.import_responses(con, kind, data, round_id, by=user, filename=upload.name,
                                                         replace=replace)
                        saved(con, md_text(done.summary()))
