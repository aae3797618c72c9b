"""Personal data: erase a person's data everywhere (a director's), and the retention period."""

import pandas as pd
import streamlit as st

from workbench import privacy, program
from workbench.access import Action, may
from workbench.config import settings
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor, rewrite_live_database
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, safe_table

ERASED_KEY = "privacy_erased_email"


def held_frame(held: list[privacy.HeldCopy]) -> pd.DataFrame:
    return pd.DataFrame({"file": [str(h.path) for h in held], "kind": [h.kind for h in held],
                         "made (UTC)": [h.made_at for h in held],
                         "removed (UTC)": [h.removed_by if h.removed_by else "when someone deletes it" for h in held]})


con = cursor()
user = current_user(con, Action.ERASE)

st.title("Personal data")
show_feedback()

st.subheader("Requests to be forgotten")
requests = privacy.forget_requests(con, by=user)
if requests.empty:
    st.write("No participant is waiting: requests sent from a participant's own page (/me) appear here.")
else:
    st.write(f"{len(requests)} participant(s) asked on their own page to be forgotten. Until you decide they get "
             "no topic, reminder or survey. Erasing works as below, and the file is rewritten afterwards.")
    st.dataframe(safe_table(requests), hide_index=True, width="stretch")
    chosen = st.selectbox("Request", list(requests["request_id"]), key="forget_request",
                          format_func=lambda r: f"Request {r}")
    sure = st.checkbox("Yes, erase this person's personal data for good", key="forget_request_sure")
    erase_col, decline_col = st.columns(2)
    if erase_col.button("Erase as asked", type="primary", disabled=not sure, key="forget_request_erase"):
        with reporting_errors():
            done = privacy.decide_forget_request(con, int(chosen), erase=True, by=user)
            assert done is not None
            con.close()
            rewrite_live_database()  # no old block of the file keeps what was erased
            con = cursor()
            left = privacy.held_copies_summary(privacy.copies_holding(done.person_ids, settings().db_path))
            saved(con, f"Request {chosen}: {done.summary()} The database file was rewritten, so its bytes no longer "
                  f"hold what was erased. {left}")
    if decline_col.button("Decline", key="forget_request_decline"):
        with reporting_errors():
            privacy.decide_forget_request(con, int(chosen), erase=False, by=user)
            saved(con, f"Request {chosen} declined: the person's data stays, and so does their opt-out.")

st.subheader("Erase a person")
st.write("Erases the person's name, email, survey answers' text and case notes everywhere, the audit log's copies "
         "included. Their rows stay (as *Erased person*), so counts and reports do not change. This cannot be "
         "undone. The database file is rewritten afterwards, so its bytes keep nothing of them; backups made "
         "before keep them until they are removed (the copies that hold the person are listed before you erase).")
email = st.text_input("Email of the person to erase", key="erase_email").strip()
if email and email.lower() == st.session_state.get(ERASED_KEY):
    st.info(md_text(f"{email} has been erased."))
elif email:
    person = None
    with reporting_errors():
        person = privacy.find_person(con, email, by=user)
    if person is not None:
        st.text(person.describe())
        held = privacy.copies_holding([person.person_id], settings().db_path)
        if held:
            st.write(f"{len(held)} backup(s) or other copies hold this person. The erasure does not reach into "
                     "them; they go as the table says.")
            st.dataframe(held_frame(held), hide_index=True, width="stretch")
        sure = st.checkbox("Yes, erase this person's personal data for good", key="erase_sure")
        if st.button("Erase this person", type="primary", disabled=not sure, key="erase_person"):
            with reporting_errors():
                done = privacy.forget(con, person.email, by=user)
                st.session_state[ERASED_KEY] = person.email
                con.close()
                rewrite_live_database()  # no old block of the file keeps what was erased
                con = cursor()
                left = privacy.held_copies_summary(privacy.copies_holding(done.person_ids, settings().db_path))
                saved(con, f"{done.summary()} The database file was rewritten, so its bytes no longer hold what "
                      f"was erased. {left}")

st.subheader("Retention")
years = program.retention_years(con)
st.write("Personal data is kept: no retention period is set." if years is None else
         f"Personal data is erased **{years} years** after the last round a person took part in closed.")
if may(user, Action.SETTINGS):
    with st.form("retention_form"):
        chosen = st.number_input("Retention period (years; 0 keeps personal data)", min_value=0, max_value=100,
                                 value=years or 0, step=1, key="retention_years")
        if st.form_submit_button("Save the retention period"):
            with reporting_errors():
                program.set_setting(con, "retention_years", int(chosen) or None, by=user,
                                    version=program.setting_version(con, "retention_years"))
                saved(con, "Retention: personal data is kept." if not chosen else
                      f"Retention set to {int(chosen)} years.")

due = None
with reporting_errors():
    due = privacy.retention_due(con, by=user)
if due is not None and due.years is not None:
    st.write(due.summary())
    if not due.due.empty:
        st.dataframe(safe_table(due.due.assign(rounds=due.due["rounds"].map(", ".join))), hide_index=True,
                     width="stretch")
        sure = st.checkbox(f"Yes, erase these {len(due.due)} people's personal data for good", key="retention_sure")
        if st.button(f"Erase {len(due.due)} people", type="primary", disabled=not sure, key="apply_retention"):
            with reporting_errors():
                done = privacy.apply_retention(con, by=user)
                con.close()
                rewrite_live_database()  # no old block of the file keeps what was erased
                con = cursor()
                erased = done.erasure.person_ids if done.erasure else ()
                left = privacy.held_copies_summary(privacy.copies_holding(erased, settings().db_path))
                saved(con, f"{done.summary()} The database file was rewritten. {left}")
