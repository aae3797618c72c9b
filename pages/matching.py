"""Matching: run, explain, edit, compare and publish a round's partnerships.

For directors and coordinators (the MATCH action): country coordinators, analysts and presenters do
not get this page, and the library refuses them its changes and its lists of people in any case.
"""

import json

import pandas as pd
import streamlit as st

from workbench import matchstore
from workbench.access import Action, may
from workbench.applications.importing import unconfirmed_values
from workbench.applications.rounds import load_round
from workbench.matching.model import Weights
from workbench.matching.tradeoffs import WISH_WEIGHTS, frontier, with_wish_weight
from workbench.messages import introductions, outbox, smtp
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, percent, round_picker, safe_table

con = cursor()
user = current_user(con, Action.MATCH)
round_id = round_picker(con)
rnd = load_round(con, round_id)
pool = matchstore.load_pool(con, round_id, by=user)
people = pool.by_id()

st.title(f"Matching · {rnd.label}")
editable = rnd.is_open
st.caption(f"Status: {rnd.status_words} · {len(pool.applicants):,} accepted applicants · "
           f"{len(pool.rule_rows)} coordinator rule(s)")


def closeness(gap: float | None) -> str:
    """The run's score against the bound, in words (not the solver's status)."""
    if gap is None or pd.isna(gap):
        return "no upper bound was computed to compare it with"
    return f"within {gap:.2%} of the best possible"


def label(app_id: int) -> str:
    a = people.get(app_id)
    return f"{a.name} · {a.country} · {a.sector}, {a.career_stage} (#{app_id})" if a else f"#{app_id}"


show_feedback()

if editable:
    unconfirmed = unconfirmed_values(con, round_id)
    if not unconfirmed.empty:
        listed = "; ".join(f"{r.kind} '{md_text(r.value)}' ({r.applications})"  # as the applicants wrote them
                           for r in unconfirmed.head(8).itertuples())
        more = f" and {len(unconfirmed) - 8} more" if len(unconfirmed) > 8 else ""
        st.warning(
            f"{len(unconfirmed)} value(s) in this round's applications are not in the program's vocabularies yet: "
            f"{listed}{more}. The matching compares them as written, so a value that means a known one counts as "
            "different. A director adds, renames or merges them on the Settings page before you match.",
            icon=":material/translate:")

# --- run ----------------------------------------------------------------------------------------
if editable:
    with st.expander("Run the matching", expanded=matchstore.runs(con, round_id).empty):
        defaults = Weights()
        cols = st.columns(6)
        w = {
            "shared_interest": cols[0].number_input("Shared interest", 0.0, 100.0, defaults.shared_interest,
                                                    help="Points per interest both list: the key criterion"),
            "partner_sector": cols[1].number_input("Sector wish met", 0.0, 100.0, defaults.partner_sector),
            "partner_stage": cols[2].number_input("Stage wish met", 0.0, 100.0, defaults.partner_stage),
            "partner_interests": cols[3].number_input("Interest wish met", 0.0, 100.0, defaults.partner_interests),
            "hours_overlap": cols[4].number_input("Per hour of overlap", 0.0, 100.0, defaults.hours_overlap),
            "new_country": cols[5].number_input("New country (returner)", 0.0, 100.0, defaults.new_country),
        }
        c1, c2 = st.columns(2)
        time_limit = c1.slider("Time limit (seconds)", 1, 120, 20)
        odd = c2.radio("With an odd number of people", ["trio", "waitlist"], horizontal=True,
                       format_func={"trio": "make one trio", "waitlist": "leave one person waitlisted"}.get)
        if st.button("Run matching", type="primary", disabled=len(pool.applicants) < 2):
            bar = st.progress(0.0, text=f"Matching {len(pool.applicants):,} people (up to {time_limit} s)…")

            stages = {"candidates": "Finding each person's best partners", "bound": "Computing the upper bound",
                      "warm start": "Building a first matching", "solve": "Improving it with CP-SAT",
                      "explain": "Explaining every partnership", "done": "Saving the run"}

            def progress(stage: str, fraction: float) -> None:
                bar.progress(min(max(fraction, 0.0), 1.0), text=f"{stages.get(stage, stage)}…")

            with reporting_errors():
                run_id, result = matchstore.run_matching(
                    con, round_id, matchstore.RunSettings(Weights(**w), float(time_limit), odd), by=user,
                    progress=progress)
                st.session_state["matching_run"] = run_id
                saved(con, f"{matchstore.run_label(con, run_id)}: {result.matched:,} of {result.people:,} people "
                           f"matched, {closeness(result.gap)}.")

runs = matchstore.runs(con, round_id)
if runs.empty:
    st.info("No matching run for this round yet." + (" Run one above." if editable else ""))
    st.stop()

run_ids = [int(r) for r in runs["run_id"]]
numbers = matchstore.run_numbers(con, round_id)  # "Run 2 of 2017B", not the id across rounds
chosen = st.session_state.get("matching_run")
run_id = st.selectbox(
    "Run", run_ids, index=run_ids.index(chosen) if chosen in run_ids else 0,
    format_func=lambda r: f"Run {numbers[r]} of {round_id} · {runs.set_index('run_id').loc[r, 'status']} · "
                          f"{runs.set_index('run_id').loc[r, 'created_by']}",
)
run_name = f"run {numbers[run_id]}"
st.session_state["matching_run"] = run_id
run = matchstore.run_row(con, run_id)
quality = runs.set_index("run_id").loc[run_id]
version_key = f"run_version_{run_id}"
shown_version = st.session_state.get(version_key, run["version"])  # what this coordinator saw last

cols = st.columns(6)
cols[0].metric("Matched", f"{int(quality['matched']):,}", f"of {int(quality['people']):,}", delta_color="off",
               delta_arrow="off", help="People with a partner, of the round's accepted applicants")
cols[1].metric("Pairs · trios", f"{int(quality['pairs'])} · {int(quality['trios'])}")
cols[2].metric("Sharing an interest", percent(quality["share_sharing_interest"]))
cols[3].metric("Wishes met", percent(quality["share_wishes_met"]),
               help=f"{quality['wishes_met']} of {quality['wishes']} partner wishes")
cols[4].metric("Countries", int(quality["countries"]))
gap = quality["gap"]
proof = json.loads(run["parameters"] or "{}").get("proof", "")
cols[5].metric("Gap to the bound", "—" if pd.isna(gap) else f"{gap:.2%}",
               help=f"The total score is {closeness(gap)}: an upper bound over all feasible pairs")
if proof:
    st.caption(f"Proved optimal: {proof}.")

can_edit = editable and run["status"] == "proposed"


def act(fn, *args, success: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Run an edit with the version this coordinator saw; a stale edit is refused, never lost."""
    with reporting_errors():
        fn(con, *args, **kwargs)
        st.session_state.pop(version_key, None)
        saved(con, success)


# A key keeps the open tab across reruns (each edit reruns the page).
tabs = st.tabs(["Partnerships", "Unmatched", "Pair by hand", "Rules", "Compare runs", "Publish and export",
                "Trade-offs"], key="matching_tab")

with tabs[0]:
    parts = matchstore.run_partnerships(con, run_id, by=user)
    st.dataframe(
        safe_table(parts[["partnership_id", "kind", "is_locked", "score", "person_a", "person_b", "person_c",
                          "explanation"]]),
        hide_index=True, width="stretch", height=420,
        column_config={"partnership_id": "id", "is_locked": "locked", "person_c": "third (trio)",
                       "score": st.column_config.NumberColumn(format="%.1f")},
    )
    if can_edit and not parts.empty:
        options = [int(x) for x in parts["partnership_id"]]
        names = dict(zip(options, parts["person_a"] + " + " + parts["person_b"], strict=True))
        pick = st.selectbox("Partnership", options, format_func=lambda p: f"{p}: {names[p]}", key="pick_part")
        row = parts.set_index("partnership_id").loc[pick]
        c1, c2, c3 = st.columns(3)
        if c1.button("Unlock" if row["is_locked"] else "Lock (keep on re-run)", key="lock"):
            act(matchstore.lock_partnership, run_id, pick, shown_version, by=user, locked=not row["is_locked"],
                success=f"Partnership {pick} {'unlocked' if row['is_locked'] else 'locked'}.")
        if c2.button("Break this pair", key="break"):
            act(matchstore.break_partnership, run_id, pick, shown_version, by=user,
                success=f"Partnership {pick} broken: its members are unmatched.")
        if c3.button("Break and forbid", key="forbid_pair"):
            ids = [int(x) for x in row["application_ids"]]
            with reporting_errors():
                matchstore.break_partnership(con, run_id, pick, shown_version, by=user)
                matchstore.add_rule(con, round_id, "forbid", ids[0], ids[1], by=user,
                                    reason="forbidden from the Matching page")
                st.session_state.pop(version_key, None)
                saved(con, f"Partnership {pick} broken; these two will never be paired.")

with tabs[1]:
    unmatched = matchstore.run_unmatched(con, run_id, by=user)
    if unmatched.empty:
        st.success("Everyone in this run has a partner.")
    else:
        st.dataframe(safe_table(unmatched[["application_id", "name", "country_iso3", "sector", "career_stage",
                                           "reason", "change"]]), hide_index=True, width="stretch")

with tabs[2]:
    if not can_edit:
        st.info("Only a proposed run of a round being matched can be edited.")
    else:
        free = [int(x) for x in matchstore.run_unmatched(con, run_id, by=user)["application_id"]]
        chosen_people = st.multiselect("Two or three unmatched people", free, format_func=label,
                                       max_selections=3, key="hand_pick")
        if len(chosen_people) >= 2:
            with reporting_errors():
                warnings = matchstore.check_pairing(con, round_id, chosen_people, by=user, run_id=run_id)
                for warning in warnings:
                    st.warning(md_text(warning))  # names the people chosen
                if not warnings:
                    st.success("No hard rule broken and nothing to warn about.")
                if st.button("Pair them", type="primary", key="pair"):
                    act(matchstore.pair_by_hand, run_id, chosen_people, shown_version, by=user,
                        success="Paired by hand (and locked).")
        st.divider()
        who = st.selectbox("Exclude someone from this round's matching", [None, *sorted(people)],
                           format_func=lambda a: "—" if a is None else label(a), key="exclude_pick")
        why = st.text_input("Reason", key="exclude_reason")
        if st.button("Exclude", disabled=who is None, key="exclude"):
            act(matchstore.add_rule, round_id, "exclude", who, by=user, reason=why,
                success="Excluded: the next run leaves them out.")

with tabs[3]:
    rules = matchstore.rule_table(con, round_id, by=user)
    if rules.empty:
        st.info("No locks, forbidden pairs or exclusions for this round.")
    else:
        st.dataframe(safe_table(rules), hide_index=True, width="stretch")
        if editable:
            rid = st.selectbox("Rule", [int(x) for x in rules["rule_id"]], key="rule_pick")
            if st.button("Remove rule", key="remove_rule"):
                act(matchstore.remove_rule, rid, by=user, success=f"Rule {rid} removed.")

with tabs[4]:
    if len(run_ids) < 2:
        st.info("Run the matching twice to compare runs.")
    else:
        c1, c2 = st.columns(2)
        a = c1.selectbox("First run", run_ids, index=1, key="cmp_a")
        b = c2.selectbox("Second run", run_ids, index=0, key="cmp_b")
        if a != b:
            st.dataframe(safe_table(matchstore.compare_runs(con, a, b).astype(str)), hide_index=True, width="stretch")

with tabs[5]:
    if run["status"] == "proposed" and editable:
        st.write(f"Publishing makes {run_name} the partnerships of {rnd.label} and starts the round.")
        queue_too = st.checkbox("Then queue the introductions in the outbox (sent from the Outbox page)",
                                value=may(user, Action.SEND), disabled=not may(user, Action.SEND),
                                key="publish_queue")
        if st.button(f"Publish {run_name}", type="primary", key="publish"):
            with reporting_errors():
                queued = matchstore.publish_run(con, run_id, by=user, version=shown_version,
                                                queue_introductions=queue_too)
                st.session_state.pop(version_key, None)
                saved(con, f"{run_name.capitalize()} of {round_id} published: {rnd.label} is running."
                      + (f" {queued.summary()} Review and send them on the Outbox page." if queued else ""))
    elif run["status"] == "published" and may(user, Action.SEND):
        # Offered only while some published partnership has no introduction in the outbox.
        published_ids = set(parts.loc[parts["status"].isin(["active", "completed"]), "partnership_id"].astype(int))
        in_outbox = set(outbox.messages(con, by=user, round_id=round_id, kind="introduction")["partnership_id"]
                        .dropna().astype(int))
        intros_queued, intros_missing = len(published_ids & in_outbox), len(published_ids - in_outbox)
        if intros_queued:
            st.info(f"{intros_queued:,} of {len(published_ids):,} introductions are in the outbox: review and send "
                    "them on the Outbox page.", icon=":material/outbox:")
        if intros_missing and st.button(
                f"Queue the {intros_missing:,} introduction(s) not yet in the outbox", key="queue_intros",
                help="One message per partnership, in a language its members share; queuing twice adds nothing"):
            with reporting_errors():
                queued = outbox.queue_introductions(con, round_id, by=user)
                saved(con, f"{queued.summary()} Review and send them on the Outbox page.")
    if not may(user, Action.EXPORT_PERSONAL):
        st.info(f"{md_text(user.describe())} may not export participants' data.")
    elif introductions.published_partnerships(con, round_id, by=user).empty:
        st.info("Exports appear once a run is published.")
    else:
        # The same bytes as `workbench export partnerships` writes (formula-safe, through workbench.exports).
        st.download_button("Download the partnerships (CSV)", introductions.partnerships_csv(con, round_id, by=user),
                           f"partnerships-{round_id}.csv", "text/csv")
        queued_intros = (len(outbox.messages(con, by=user, round_id=round_id, kind="introduction"))
                         if may(user, Action.SEND) else 0)
        if queued_intros:
            st.warning(f"{queued_intros:,} introductions are already in the outbox, written from the program's "
                       "templates when they were queued. Editing the subject or message here changes only the "
                       "downloads below (.eml zip and mail-merge CSV), not the messages in the outbox.",
                       icon=":material/edit_off:")
        subject = st.text_input("Subject", introductions.DEFAULT_SUBJECT, key="intro_subject")
        body = st.text_area("Message", introductions.DEFAULT_BODY, height=300, key="intro_body",
                            help="Placeholders: " + ", ".join("{" + p + "}" for p in introductions.PLACEHOLDERS)
                            + ". Left as it is, each partnership gets the program's template in a language its "
                              "members share; edited, this text goes to every partnership.")
        with reporting_errors():
            intros = introductions.introductions(con, round_id, by=user, subject=subject, body=body)
            st.caption(f"{len(intros)} introductions. The first one:")
            st.code(f"To: {', '.join(n for n, _ in intros[0].to)}\nSubject: {intros[0].subject}\n\n{intros[0].body}",
                    language=None)
            c1, c2 = st.columns(2)
            c1.download_button("Introduction emails (.eml in a zip)",
                               introductions.eml_zip(intros, sender=smtp.identity(con)),
                               f"introductions-{round_id}.zip", "application/zip")
            c2.download_button("Mail-merge CSV", introductions.mail_merge_csv(intros),
                               f"introductions-{round_id}.csv", "text/csv")

st.session_state[version_key] = matchstore.run_row(con, run_id)["version"]

with tabs[6]:
    st.write("Shared interests against partner wishes met: the matching at each weight of a wish met (sector, "
             "stage and interests wishes alike; the other weights are the defaults), each solve warm-started "
             "from the last.")
    picked = st.multiselect("Points per wish met", [float(w) for w in range(0, 31)], default=list(WISH_WEIGHTS),
                            key="tradeoff_weights")
    per_point = st.slider("Seconds per point", 1, 30, 5, key="tradeoff_seconds")
    frontier_key = f"tradeoffs_{round_id}"
    if st.button("Compute the trade-offs", disabled=not picked or len(pool.applicants) < 2):
        bar = st.progress(0.0, text=f"Matching {len(pool.applicants):,} people at {len(picked)} weights…")
        with reporting_errors():
            points = frontier(pool.applicants, pool.rules, by=user, wish_weights=picked, time_limit=per_point,
                              progress=lambda done, total: bar.progress(done / total, text=f"{done} of {total}…"))
            st.session_state[frontier_key] = [p.as_dict() for p in points]
    points_shown = st.session_state.get(frontier_key)
    if points_shown:
        table = pd.DataFrame(points_shown)
        table["note"] = [("" if p["is_new"] else f"nothing new: the partnerships of {p['same_as']:g} points")
                         for p in points_shown]
        st.dataframe(safe_table(table[["wish_weight", "share_sharing_interest", "wishes_met", "wishes",
                                       "mean_overlap_hours", "objective", "status", "gap", "note"]]),
                     hide_index=True, width="stretch")
        st.line_chart(table, x="wish_weight", y="wishes_met", height=220)
        if editable:
            weight = st.selectbox("Run this point as a proposal", [p["wish_weight"] for p in points_shown],
                                  format_func=lambda w: f"{w:g} points per wish met", key="tradeoff_pick")
            if st.button("Run it as a proposal", key="tradeoff_run"):
                with reporting_errors():
                    new_id, result = matchstore.run_matching(
                        con, round_id, matchstore.RunSettings(with_wish_weight(Weights(), weight), 20.0, "trio"),
                        by=user)
                    st.session_state["matching_run"] = new_id
                    saved(con, f"{matchstore.run_label(con, new_id)} ({weight:g} points per wish met): "
                               f"{result.matched:,} of {result.people:,} people matched, {closeness(result.gap)}. "
                               "Compare it with another run under Compare runs.")
