"""Applicants: where a round's applicants come from, the per-country cap, admission by hand, and the
countries partnered in a published round."""

import streamlit as st

from workbench import applications, charts, reports
from workbench.access import Action, may
from workbench.people import identity
from workbench.program.vocabularies import vocabularies
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import cross_border_words, md_text, round_picker, safe_table

PAGE_SIZE = 50
MAP_KEY = "applicant_map"
COUNTRY_KEY = "applicant_country"
ALL = "All countries"

con = cursor()
user = current_user(con, Action.VIEW_PERSONAL)
round_id = round_picker(con)
admission = reports.round_admission(con, round_id)
map_config = charts.map_config(str(st.get_option("server.baseUrlPath") or ""))

st.title("Applicants")
st.caption(f"Round **{admission.label}** · status: {admission.status} · per-country cap "
           f"{admission.country_cap:.0%} of the round's applications ({admission.cap:,} per country)")
show_feedback()

# Filters ------------------------------------------------------------------------------------------
cols = st.columns(4)
program_vocab = vocabularies(con)
sectors = cols[0].multiselect("Sector", program_vocab["sector"].values(), format_func=program_vocab["sector"].label,
                              key="applicants_sector", placeholder="All sectors")
stages = cols[1].multiselect("Career stage", program_vocab["career_stage"].values(),
                             format_func=program_vocab["career_stage"].label, key="applicants_stage",
                             placeholder="All stages")
statuses = cols[2].multiselect("Status", ["accepted", "waitlisted", "withdrawn", "received"],
                               key="applicants_status", placeholder="All statuses")
who_applied = cols[3].selectbox("New or returning", ["New and returning", "New", "Returning"],
                                key="applicants_returning",
                                help="Returning: the same person applied to an earlier round (under any of "
                                     "their addresses; see one person across rounds below)")
returning = {"New": False, "Returning": True}.get(who_applied)

countries = reports.applicant_countries(con, round_id=round_id, sectors=sectors, career_stages=stages,
                                        statuses=statuses, returning=returning)
shown = countries[countries["applicants"] > 0]
capped = countries[countries["is_at_cap"]]
figures = st.columns(5)
figures[0].metric("Applicants", f"{int(shown['applicants'].sum()):,}",
               help=f"{admission.applications:,} in the round before filters")
figures[1].metric("Countries", f"{len(shown):,}", help="Countries with at least one applicant shown")
figures[2].metric("Accepted", f"{int(shown['accepted'].sum()):,}")
figures[3].metric("Waitlisted", f"{int(shown['waitlisted'].sum()):,}")
figures[4].metric("Countries at the cap", f"{len(capped):,}",
               help=", ".join(capped["country"]) or "No country is at the cap")

# The map and the table beside it -------------------------------------------------------------------
options = [ALL, *shown["country_iso3"]]
clicked = charts.selected_country(st.session_state.get(MAP_KEY))
if clicked and clicked != st.session_state.get("applicants_last_click"):
    st.session_state["applicants_last_click"] = clicked
    if clicked in options:
        st.session_state[COUNTRY_KEY] = clicked
if st.session_state.get(COUNTRY_KEY) not in options:
    st.session_state[COUNTRY_KEY] = ALL
selected = st.session_state[COUNTRY_KEY]

left, right = st.columns([3, 2])
with left:
    st.plotly_chart(charts.applicant_map(countries, selected=None if selected == ALL else selected,
                                         title=f"Applicants by country, {admission.label}"),
                    key=MAP_KEY, on_select="rerun", selection_mode="points", config=map_config)
    if len(capped):
        st.caption(f"Outlined in orange: at the cap ({', '.join(capped['country'])}). Dots: small states. "
                   "Click a country to list its applicants.")
    else:
        st.caption("No country is at the cap. Dots: small states. Click a country to list its applicants.")
with right:
    st.dataframe(
        shown[["country", "applicants", "share", "accepted", "waitlisted", "returning", "is_at_cap"]],
        hide_index=True, width="stretch", height=440,
        column_config={
            "country": "Country", "applicants": "Applicants", "accepted": "Accepted", "waitlisted": "Waitlisted",
            "returning": "Returning", "share": st.column_config.NumberColumn("Share", format="percent"),
            "is_at_cap": st.column_config.CheckboxColumn("At the cap"),
        },
    )

# The chosen country's applicants -------------------------------------------------------------------
names = dict(zip(shown["country_iso3"], shown["country"], strict=True))
everyone = f"Your countries ({', '.join(user.countries)})" if user.is_country else ALL
selected = st.selectbox("Country", options, key=COUNTRY_KEY,
                        format_func=lambda c: everyone if c == ALL else f"{names.get(c, c)} ({c})")
country = None if selected == ALL else str(selected)


def applicants_page(number: int) -> reports.ApplicantPage:
    return reports.applicant_list(con, by=user, round_id=round_id, country_iso3=country, sectors=sectors,
                                  career_stages=stages, statuses=statuses, returning=returning,
                                  limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)


listing: reports.ApplicantPage | None = None
with reporting_errors():  # a country outside a country coordinator's countries: the library says so
    listing = applicants_page(1)
if listing is None:  # ... and the list shows the applicants of their own countries instead
    country = None
    listing = applicants_page(1)
if listing.pages > 1:
    page = int(st.number_input(f"Page (of {listing.pages:,}; {PAGE_SIZE} applicants a page)", 1, listing.pages, 1,
                               key=f"applicants_page_{round_id}_{country}"))
    if page > 1:
        listing = applicants_page(page)
where = names.get(country, country) if country else ("your countries" if user.is_country else "all countries")
st.subheader(f"Applicants from {where}")
st.caption(f"{listing.total:,} applicant(s), earliest first; showing {len(listing.rows):,} from "
           f"number {listing.offset + 1 if listing.total else 0:,}.")
st.dataframe(  # participants' text: formula-safe for the table's own CSV download
    safe_table(listing.rows[["application_id", "name", "email", "country", "sector", "career_stage", "submitted_at",
                             "status", "status_reason", "is_returning"]]),
    hide_index=True, width="stretch",
    column_config={"application_id": st.column_config.NumberColumn("id", format="%d"),
                   "is_returning": st.column_config.CheckboxColumn("Returning"),
                   "status_reason": "Reason"},
)

# Admission by hand --------------------------------------------------------------------------------
may_decide = may(user, Action.ADMIT) and admission.is_open
if not admission.is_open:
    st.caption(f"{admission.label} is {admission.status}: admission decisions are closed.")
elif not may(user, Action.ADMIT):
    st.caption(f"{md_text(user.describe())} can read these applicants but not decide on them: a coordinator or a "
               "director decides.")
elif len(listing.rows):
    with st.expander("Accept, waitlist or withdraw an applicant"):
        rows = listing.rows.set_index("application_id")
        picked = st.selectbox(
            "Applicant", list(rows.index), key="decide_application",
            format_func=lambda a: f"{rows.at[a, 'name']} · {rows.at[a, 'country']} · {rows.at[a, 'status']}")
        choices: dict[applications.Status, str] = {"accepted": "Accept", "waitlisted": "Waitlist",
                                                   "withdrawn": "Withdraw"}
        decision = st.radio("Decision", list(choices), horizontal=True, key="decide_status",
                            format_func=choices.__getitem__)
        reason = st.text_input("Reason (recorded with the decision)", key="decide_reason",
                               placeholder="e.g. asked to join next round")
        if st.button("Save the decision", key="decide_save", type="primary"):
            with reporting_errors():
                done = applications.decide(con, int(picked), decision, version=int(rows.at[picked, "version"]),
                                           reason=reason, by=user)
                saved(con, md_text(done.message))  # names the applicant and quotes the reason

if may_decide:
    over = applications.over_cap(con, round_id)
    if over:
        rule = applications.cap_rule(con)
        sides = ", ".join(applications.side_label(rule, c) for c in over)
        st.warning(f"{md_text(sides)} above the cap (after a withdrawal or a change): "
                   "apply the cap again to waitlist the latest accepted.")
    with st.expander("The per-country cap"):
        st.caption(f"{admission.accepted:,} accepted, {admission.waitlisted:,} waitlisted, {admission.withdrawn:,} "
                   f"withdrawn, {admission.received:,} not decided yet. Applying the cap decides the undecided, "
                   "accepts waitlisted applicants while their country has room (earliest first) and waitlists "
                   "the latest accepted of a country above the cap. Decisions made by hand stay.")
        new_cap = st.number_input("Cap (% of the round's applications)", 1, 100,
                                  round(admission.country_cap * 100), key=f"cap_{round_id}")
        c1, c2 = st.columns(2)
        with reporting_errors():
            if c1.button("Apply the cap again", key="cap_apply"):
                saved(con, applications.admit(con, round_id, by=user).summary())
            if c2.button(f"Change the cap to {new_cap}%", key="cap_change",
                         disabled=new_cap == round(admission.country_cap * 100)):
                result = applications.set_country_cap(con, round_id, new_cap / 100, version=admission.version,
                                                      by=user)
                saved(con, f"The cap of {round_id} is now {new_cap}%. " + result.summary())

# One person across rounds ----------------------------------------------------------------------
st.divider()
st.subheader("One person across rounds")
st.caption("Every round and every address of one person: messages go to the latest address. Find them by name, "
           "by any address they used, or by their person id.")
query = st.text_input("Find a person", key="person_query", placeholder="a name, an address or a person id")
found = identity.find_people(con, query, by=user)
if query and found.empty:
    st.info("Nobody matches that name, address or id" + (" in your countries" if user.is_country else "") +
            ". Try part of the name or of the address.")
record: identity.PersonRecord | None = None
if len(found):
    people = found.set_index("person_id")
    person = st.selectbox(
        f"Person ({len(found)} found)", list(people.index), key="person_pick",
        format_func=lambda p: f"{people.at[p, 'name']} · person {p} · {people.at[p, 'rounds'] or 'no round'}")
    with reporting_errors():
        record = identity.person_record(con, int(person), by=user)
if record is not None:
    st.text(record.describe())  # participants' names and addresses: text, never markup
    st.dataframe(
        safe_table(record.applications[["round_id", "application_id", "name", "email", "country_iso3", "status",
                                        "partners", "submitted_at"]]),
        hide_index=True, width="stretch", key="person_rounds",
        column_config={"round_id": "Round", "application_id": st.column_config.NumberColumn("Application",
                                                                                           format="%d"),
                       "name": "Name given", "email": "Address given", "country_iso3": "Country",
                       "status": "Status", "partners": "Partnered with", "submitted_at": "Submitted"})
    st.dataframe(
        safe_table(record.addresses[["email", "is_latest", "first_seen_at", "last_seen_at", "source"]]),
        hide_index=True, width="stretch", key="person_addresses",
        column_config={"email": "Address", "is_latest": st.column_config.CheckboxColumn("Messages go here"),
                       "first_seen_at": "First used", "last_seen_at": "Last used", "source": "First seen in"})
    if not may(user, Action.LINK_PEOPLE):
        st.caption(f"{md_text(user.describe())} can read this person but not merge or split people: a coordinator "
                   "or a director does.")
    else:
        pid = record.person_id
        with st.expander("Merge: another record is this same person"):
            other = int(st.number_input("The other record's person id", min_value=1, step=1, value=None,
                                        key="merge_other", placeholder="find it above, then type its id") or 0)
            other_record: identity.PersonRecord | None = None
            if other and other != pid:
                with reporting_errors():
                    other_record = identity.person_record(con, other, by=user)
            if other_record is not None:
                st.text(f"Person {pid}: {record.describe()}\nPerson {other}: {other_record.describe()}")
                sure = st.checkbox(f"Yes: person {other} is person {pid}. Their applications and addresses move to "
                                   f"person {pid}, and person {other} goes.", key="merge_sure")
                if st.button("Merge the two records", key="merge_go", type="primary", disabled=not sure):
                    with reporting_errors():
                        saved(con, identity.merge_people(con, pid, other, by=user).summary())
            elif other == pid:
                st.caption("That is this person: type the id of the other record.")
        if len(record.applications) > 1:
            with st.expander("Split: an application is somebody else"):
                apps = record.applications.set_index("application_id")
                application = st.selectbox(
                    "Application", list(apps.index), key="split_application",
                    format_func=lambda a: f"{apps.at[a, 'round_id']} · application {a} · {apps.at[a, 'email']}")
                sure = st.checkbox(f"Yes: application {application} is not person {pid}'s. It moves, with its "
                                   "address, to a new person.", key="split_sure")
                if st.button("Split it off", key="split_go", type="primary", disabled=not sure):
                    with reporting_errors():
                        saved(con, identity.split_person(con, pid, int(application), by=user).summary())
        with st.expander("Undo a merge or a split"):
            st.caption("Undoing puts the people, their applications and their addresses back as they were. This "
                       "person's merges and splits not undone yet, latest first (any other: its audit entry).")
            done = identity.changes_of(con, pid, by=user)
            labels = {int(a): f"{w} (audit entry {a}, {t:%d %b %Y %H:%M}, by {who})"
                      for a, t, who, w in done.itertuples(index=False)}
            entry = int(st.selectbox("Change", list(labels), format_func=labels.__getitem__, key="undo_pick",
                                     index=None, placeholder="choose one of this person's changes") or 0) \
                if labels else 0
            typed = int(st.number_input("Or its audit entry", min_value=1, step=1, value=None, key="undo_entry",
                                        placeholder="the number the merge or split gave") or 0)
            entry = typed or entry
            if st.button("Undo it", key="undo_go", disabled=not entry):
                with reporting_errors():
                    saved(con, identity.undo_change(con, entry, by=user).summary())

# Partnerships between countries --------------------------------------------------------------------
st.divider()
st.subheader("Partnerships between countries")
published = reports.published_rounds(con)
if published.empty:
    st.info("No round has a published matching yet.")
else:
    ids = list(published["round_id"])
    flow_round = st.selectbox("Published round", ids, index=ids.index(round_id) if round_id in ids else len(ids) - 1,
                              format_func=dict(zip(ids, published["label"], strict=True)).__getitem__,
                              key=f"flows_round_{round_id}")
    flows = reports.partnership_flows(con, round_id=flow_round)
    countries_partnered = len(set(flows["country_a"]) | set(flows["country_b"]))
    st.caption(f"{int(flows['partnerships'].sum()):,} country-to-country links between {countries_partnered} "
               f"countries in {len(flows):,} pairs of countries (the program's rule: {cross_border_words(con)}; a trio "
               "counts once for each of its three pairs). Thicker arcs: more partnerships.")
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(charts.partnership_map(flows, title=f"Partnerships between countries, {flow_round}"),
                        key="flows_map", config=map_config)
    with right:
        st.dataframe(flows[["country_a_name", "country_b_name", "partnerships"]].head(200), hide_index=True,
                     width="stretch", height=440,
                     column_config={"country_a_name": "Country", "country_b_name": "Partner country"})
