"""Import: take in an application file (CSV or XLSX): preview, map columns, confirm, import."""

import hashlib

import streamlit as st

from workbench import applications, reports
from workbench.access import Action, may
from workbench.exports import frame_csv_bytes
from workbench.intake import CANONICAL, REQUIRED, match_headers, read_table
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback

FILE_KEY = "import_file"          # {"name", "data", "from_uploader"}: the file being imported
RESULT_KEY = "import_result"      # the round of the last import, linked to once
IGNORE = "(ignore this column)"
LEAVE = "(leave the rows rejected)"
NEW_ROUND = "A new round…"

con = cursor()
user = current_user(con, Action.IMPORT)
st.title("Import applications")
st.caption("Upload the application form's export. Nothing is written until you confirm; then every valid "
           "row goes in together, or none does.")

show_feedback()
imported_into = st.session_state.pop(RESULT_KEY, None)
if imported_into is not None:
    st.page_link("pages/applicants.py", label=f"See {imported_into}'s applicants on the map", icon="🗺")

# 1. The round --------------------------------------------------------------------------------------
table_of_rounds = reports.rounds(con)
open_rounds = table_of_rounds[table_of_rounds["status"].isin(["open", "matching"])]
options = [*open_rounds["round_id"], NEW_ROUND]
remembered = st.session_state.get("selected_round")
labels = dict(zip(open_rounds["round_id"], open_rounds["label"] + " · " + open_rounds["status"], strict=True))
choice = st.selectbox("Round", options, index=options.index(remembered) if remembered in options else 0,
                      format_func=lambda r: labels.get(r, r), key="import_round",
                      help="Applications go into an open round or one being matched.")
if choice == NEW_ROUND:
    latest = table_of_rounds["round_id"].iloc[-1] if len(table_of_rounds) else None
    round_id = st.text_input("New round id", key="import_new_round", placeholder="2017B",
                             help="The round is created when you import; the applicants "
                                  f"{latest} waitlisted under its country cap are carried over into it.").strip()
    if not round_id:
        st.info("Name the new round (for example 2017B) to go on.")
        st.stop()
else:
    round_id = str(choice)

# 2. The file ---------------------------------------------------------------------------------------
upload = st.file_uploader("Application file", type=["csv", "xlsx"], key="import_upload",
                          help="CSV (UTF-8, Latin-1 or Excel's Unicode text) or XLSX (the first sheet).")
if upload is not None:
    st.session_state[FILE_KEY] = {"name": upload.name, "data": upload.getvalue(), "from_uploader": True}
elif (st.session_state.get(FILE_KEY) or {}).get("from_uploader"):
    del st.session_state[FILE_KEY]  # the coordinator removed the upload
current = st.session_state.get(FILE_KEY)
if not current:
    st.info("Upload a CSV or XLSX file of applications to see what it holds before anything is imported.")
    st.stop()
name, data = str(current["name"]), bytes(current["data"])
digest = hashlib.sha1(data).hexdigest()[:10]

with reporting_errors(stop=True):
    table = read_table(data, name)

st.subheader("Preview")
st.caption(f"**{name}**: {len(table):,} rows, {len(table.columns)} columns (the first 20 rows below).")
st.dataframe(table.head(20), width="stretch")

# 3. Columns: matched automatically, changed by hand ------------------------------------------------
header = match_headers(table.columns)
matched = {source: canonical for canonical, source in header.mapping.items()}
with st.expander("Columns", expanded=bool(header.unknown or header.missing_required)):
    st.caption("Each of the file's columns and the application field it fills. Required: " + ", ".join(REQUIRED)
               + ". Missing optional fields get defaults (languages: English; time zone: the country's main one).")
    manual: dict[str, str | None] = {}
    grid = st.columns(3)
    for i, column in enumerate(table.columns):
        fields = [IGNORE, *CANONICAL]
        default = matched.get(str(column), IGNORE)
        picked = grid[i % 3].selectbox(f"“{column}”", fields, index=fields.index(default),
                                       key=f"map_{digest}_{i}")
        manual[str(column)] = None if picked == IGNORE else picked

# 4. Confirmations remembered for this file (a confirmed value leaves the report, not the page) ------
suggested: dict[str, list[tuple[str, str]]] = st.session_state.setdefault(f"import_suggested_{digest}", {})
offered: dict[str, applications.NearMatch] = st.session_state.setdefault(f"import_near_{digest}", {})
confirmed_countries = {
    value: st.session_state[f"country_{digest}_{hashlib.sha1(value.encode()).hexdigest()[:8]}"]
    for value in suggested
    if st.session_state.get(f"country_{digest}_{hashlib.sha1(value.encode()).hexdigest()[:8]}", LEAVE) != LEAVE
}
confirmed_people: dict[str, int] = {}
for key, match in offered.items():
    if st.session_state.get(f"person_{digest}_{key}"):
        confirmed_people.setdefault(match.email.lower(), match.person_id)

with reporting_errors(stop=True):
    preview = applications.import_applications(
        con, data, name, round_id, by=user, manual=manual, confirmed_countries=confirmed_countries,
        confirmed_people=confirmed_people, dry_run=True)
for suggestion in preview.country_suggestions:
    suggested.setdefault(suggestion.value, list(suggestion.candidates))
for match in preview.near_matches:
    offered.setdefault(f"{match.email}|{match.person_id}", match)

# 5. The report ------------------------------------------------------------------------------------
st.subheader("Check")
st.write(preview.summary())
cols = st.columns(5)
cols[0].metric("Ready to import", f"{preview.imported:,}", help=f"of {preview.total_rows:,} rows")
cols[1].metric("Rejected rows", f"{len(preview.rejected_rows):,}")
cols[2].metric("Already in the round", f"{len(preview.already_applied):,}")
cols[3].metric("Returning", f"{preview.returning:,}", help="Applied to an earlier round (same email)")
cols[4].metric("Waitlisted by the cap", f"{preview.waitlisted:,}",
               help=", ".join(f"{c}: {n}" for c, n in preview.waitlisted_by_country.items()) or None)
if preview.ignored_columns:
    st.caption("Ignored columns: " + ", ".join(f"“{c}”" for c in preview.ignored_columns))

if suggested:
    st.markdown("**Countries to confirm** — spellings the workbench could not place for sure.")
    for value, candidates in suggested.items():
        key = f"country_{digest}_{hashlib.sha1(value.encode()).hexdigest()[:8]}"
        names = {LEAVE: LEAVE, **{code: f"{country} ({code})" for code, country in candidates}}
        st.selectbox(f"“{value}” is", list(names), key=key, format_func=names.__getitem__)
if offered:
    st.markdown("**Perhaps the same person** — a known name and country with a new email. Tick to link the "
                "application to the known person (their past rounds and partners count); leave unticked to add "
                "a new person.")
    for key, match in offered.items():
        st.checkbox(match.describe(), key=f"person_{digest}_{key}")

rejections = preview.rejections_frame(escape_formulas=False).rename(columns={"fix": "what to do"})
if len(rejections):
    st.markdown("**Rows that will not be imported**")
    st.dataframe(rejections, hide_index=True, width="stretch",
                 column_config={"row": st.column_config.NumberColumn("row", format="%d")})
    st.download_button("Download the rejections (CSV)", frame_csv_bytes(rejections),
                       file_name=f"{name.rsplit('.', 1)[0]}-rejections.csv", mime="text/csv")

# 6. Confirm ---------------------------------------------------------------------------------------
if not may(user, Action.ADMIT):  # importing applies the country cap
    st.caption(f"{user.describe()} can check a file but not import it: importing also applies the country cap.")
elif st.button(f"Import {preview.imported:,} application(s) into {round_id}", type="primary",
               disabled=preview.imported == 0, key="import_confirm"):
    with reporting_errors():
        done = applications.import_applications(
            con, data, name, round_id, by=user, manual=manual,
            confirmed_countries=confirmed_countries, confirmed_people=confirmed_people)
        st.session_state[RESULT_KEY] = done.round_id
        st.session_state["selected_round"] = round_id
        saved(con, done.summary())

with st.expander("Open a new round"):
    st.caption("Creates the round (open for applications) and carries over the applicants the latest round "
               "waitlisted under its per-country cap; they are decided with the new round's first import.")
    new_id = st.text_input("Round id", key="open_round_id", placeholder="2017B")
    cap = st.number_input("Per-country cap (% of the round's applications)", 1, 100, 20, key="open_round_cap")
    if st.button("Open the round", key="open_round", disabled=not new_id.strip()):
        with reporting_errors():
            opened = applications.open_round(con, new_id, by=user, cap=cap / 100)
            saved(con, opened.summary())
