"""Import: take in an application file (CSV or XLSX): where it goes, the check with the Import button at its top,
then what needs a decision (values outside the program's lists, countries, known people, second submissions)."""

import hashlib

import pandas as pd
import streamlit as st

from workbench import applications
from workbench.access import Action, may
from workbench.applications.admission import program_cap
from workbench.applications.importing import remembered_mapping
from workbench.applications.rounds import all_rounds, next_round_id, still_open_warning
from workbench.exports import frame_csv_bytes
from workbench.intake import ADD, CANONICAL, DROP, KEEP, REQUIRED, import_limits, match_headers, read_table
from workbench.program.vocabularies import KIND_NAMES, vocabularies
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import country_choice, md_text, safe_table, telling_apart

FILE_KEY = "import_file"          # {"name", "data", "from_uploader"}: the file being imported
RESULT_KEY = "import_result"      # the round of the last import, linked to once
UPLOAD_GEN = "import_upload_gen"  # a new uploader after an import: the form starts again empty
IGNORE = "(ignore this column)"
LEAVE = "(leave the rows rejected)"
NEW, EXISTING = "A new round", "An open round"
ONE_BY_ONE, ALL_NEW, ALL_SAME = "Decide one by one", "They are all new people", "They are all the same person"
PAGE = 20  # near-matches shown at a time

con = cursor()
user = current_user(con, Action.IMPORT)
st.title("Import applications")
st.caption("Upload the application form's export. Nothing is written until you press Import; then every valid "
           "row goes in together, or none does.")

show_feedback()
imported_into = st.session_state.pop(RESULT_KEY, None)
if imported_into is not None:
    st.session_state["import_target"] = EXISTING  # more files go into the round just filled
    st.session_state["import_round"] = imported_into
    st.page_link("pages/applicants.py", label=f"See {md_text(imported_into)}'s applicants on the map", icon="🗺")


def _key(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:10]


# 1. Where the applications go: one choice, a new round or an open one ---------------------------------
every_round = all_rounds(con)
open_rounds = [r for r in every_round if r.is_open]
accepting = [r for r in open_rounds if r.takes_applications]
targets = [NEW, EXISTING] if len(open_rounds) else [NEW]
target = st.radio("Import into", targets, index=1 if len(accepting) and len(targets) > 1 else 0,
                  horizontal=True, key="import_target",
                  help="A new round is created when you import. An open round (or one being matched) takes more "
                       "applications.")
new_cap: float | None = None
if target == NEW:
    latest = every_round[-1].round_id if every_round else None
    left, right = st.columns([2, 1])
    round_id = left.text_input("New round id", next_round_id(latest), key="import_new_round",
                               placeholder="2017B").strip()
    cap_percent = right.number_input("Per-country cap (%)", 1, 100, round(program_cap(con) * 100),
                                     key="import_new_cap", help="No country may have more than this share of the "
                                     "round's applications: the earliest get in, the rest are offered the next round.")
    new_cap = cap_percent / 100
    if latest is not None:
        st.caption(f"The applicants {latest} waitlisted under its country cap are carried over into the new round.")
    if open_rounds and round_id not in {r.round_id for r in every_round}:
        st.warning(md_text(still_open_warning([r.round_id for r in open_rounds], round_id or "a new round")),
                   icon=":material/warning:")
    if round_id in {r.round_id for r in every_round}:
        st.error(f"Round {md_text(round_id)} already exists. Choose “{EXISTING}” to add applications to it, or "
                 "another id.")
        st.stop()
else:
    labels = {r.round_id: f"{r.label} · {r.status}" for r in open_rounds}
    ordered = [*[r.round_id for r in accepting], *[r.round_id for r in open_rounds if not r.takes_applications]]
    round_id = str(st.selectbox("Round", ordered, format_func=lambda r: labels.get(r, r), key="import_round"))

# 2. The file ---------------------------------------------------------------------------------------
generation = st.session_state.setdefault(UPLOAD_GEN, 0)
limits = import_limits()  # the workbench's own limit (WORKBENCH_IMPORT_MAX_BYTES); .streamlit sets the uploader's
upload = st.file_uploader(f"Application file (CSV or XLSX, at most {limits.max_bytes / 2**20:g} MB and "
                          f"{limits.max_rows:,} rows)", type=["csv", "xlsx"], key=f"import_upload_{generation}",
                          help="CSV (UTF-8, Latin-1 or Excel's Unicode text) or XLSX (the first sheet). The limits are "
                               "the workbench's (WORKBENCH_IMPORT_MAX_BYTES, WORKBENCH_IMPORT_MAX_ROWS).")
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

check_area = st.container()  # the check and the Import button, filled below once the file is read, shown first

with st.expander(f"The file: **{md_text(name)}**, {len(table):,} rows, {len(table.columns)} columns "
                 "(the first 20 rows)"):
    st.dataframe(safe_table(table.head(20)), width="stretch")

# 3. Columns: matched automatically (or as remembered for this form), changed by hand -----------------
header = match_headers(table.columns)
remembered = remembered_mapping(con, table.columns)
matched = remembered if remembered is not None else {s: c for c, s in header.mapping.items()}
with st.expander("Columns", expanded=bool(header.missing_required) and remembered is None):
    if remembered is not None:
        st.caption("Mapped as remembered from an earlier import of this form (the same questions).")
    st.caption("Each of the file's columns and the application field it fills. Required: " + ", ".join(REQUIRED)
               + ". A mapping made here is remembered for the next export of the same form.")
    manual: dict[str, str | None] = {}
    grid = st.columns(3)
    for i, column in enumerate(table.columns):
        fields = [IGNORE, *CANONICAL]
        default = matched.get(str(column)) or IGNORE
        picked = grid[i % 3].selectbox(f"“{md_text(column)}”", fields,
                                       index=fields.index(default) if default in fields else 0,
                                       key=f"map_{digest}_{i}")
        manual[str(column)] = None if picked == IGNORE else picked

if not round_id:
    st.info("Name the new round (for example 2017B) above to check the file against it.")
    st.stop()

# 4. Decisions remembered for this file (read before the check, shown below it) -----------------------
suggested: dict[str, list[tuple[str, str]]] = st.session_state.setdefault(f"import_suggested_{digest}", {})
offered: dict[str, applications.NearMatch] = st.session_state.setdefault(f"import_near_{digest}", {})
value_keys: dict[str, tuple[str, str]] = st.session_state.setdefault(f"import_values_{digest}", {})
confirmed_countries = {
    value: st.session_state[f"country_{digest}_{_key(value)}"] for value in suggested
    if st.session_state.get(f"country_{digest}_{_key(value)}", LEAVE) != LEAVE
}
people_mode = st.session_state.get(f"near_mode_{digest}", ONE_BY_ONE)
confirmed_people: dict[str, int] = {}
for key, match in offered.items():
    if people_mode == ALL_SAME or (people_mode == ONE_BY_ONE and st.session_state.get(f"person_{digest}_{key}")):
        confirmed_people.setdefault(match.email.lower(), match.person_id)
values = {pair: st.session_state[f"value_{digest}_{k}"] for k, pair in value_keys.items()
          if st.session_state.get(f"value_{digest}_{k}", KEEP) != KEEP}
keep = st.session_state.get(f"keep_{digest}", "latest")

with reporting_errors(stop=True):
    preview = applications.import_applications(
        con, data, name, round_id, by=user, manual=manual, confirmed_countries=confirmed_countries,
        confirmed_people=confirmed_people, values=values, keep=keep, cap=new_cap, dry_run=True)
for suggestion in preview.country_suggestions:
    suggested.setdefault(suggestion.value, list(suggestion.candidates))
for match in preview.near_matches:
    offered.setdefault(f"{match.email}|{match.person_id}", match)
for unknown in preview.unknown_values:
    value_keys.setdefault(_key(unknown.column, unknown.value), (unknown.column, unknown.value))

# 5. The check, and the Import button at its top (above the file's details) ---------------------------
check_area.subheader("Check")
button_area = check_area.container()
check_area.write(md_text(preview.summary()))  # names the file, quotes its values
cols = check_area.columns(5)
cols[0].metric("Ready to import", f"{preview.imported:,}", help=f"of {preview.total_rows:,} rows")
cols[1].metric("Rejected rows", f"{len(preview.rejected_rows):,}")
cols[2].metric("Already in the round", f"{len(preview.already_applied):,}")
cols[3].metric("Returning", f"{preview.returning:,}", help="Applied to an earlier round (same email)")
cols[4].metric("Waitlisted by the cap", f"{preview.waitlisted:,}",
               help=", ".join(f"{c}: {n}" for c, n in preview.waitlisted_by_country.items()) or None)


def _reset_form() -> None:
    """After an import: forget the file and every decision about it, and start with an empty uploader."""
    for key in [k for k in st.session_state if str(k).endswith(digest) or f"_{digest}_" in str(k)]:
        del st.session_state[key]
    st.session_state.pop(FILE_KEY, None)
    st.session_state[UPLOAD_GEN] = generation + 1


if not may(user, Action.ADMIT):  # importing applies the country cap
    button_area.caption(f"{md_text(user.describe())} can check a file but not import it: importing also applies "
                        "the country cap.")
elif button_area.button(f"Import {preview.imported:,} application(s) into {md_text(round_id)}", type="primary",
                        disabled=preview.imported == 0, key="import_confirm"):
    with button_area, reporting_errors():
        done = applications.import_applications(
            con, data, name, round_id, by=user, manual=manual, confirmed_countries=confirmed_countries,
            confirmed_people=confirmed_people, values=values, keep=keep, cap=new_cap)
        _reset_form()
        st.session_state[RESULT_KEY] = done.round_id
        st.session_state["selected_round"] = done.round_id
        message = done.summary()
        if done.new_values() and not may(user, Action.SETTINGS):
            message += (" The values kept as written wait for a director to add, merge or rename them on the "
                        "Settings page.")
        saved(con, md_text(message))

# 6. What needs a decision, one tab each --------------------------------------------------------------
kept_values = preview.unknown_values
rejections = preview.rejections_frame(include_already_applied=False, escape_formulas=False).rename(
    columns={"fix": "what to do"})
tabs = st.tabs([f"Values outside the lists ({len(kept_values)})", f"Countries to confirm ({len(suggested)})",
                f"Perhaps the same person ({len({m.row for m in preview.near_matches})})",
                f"Submitted twice ({len(preview.resubmitted)})", f"Time zones ({len(preview.warnings)})",
                f"Rejected rows ({len(preview.rejected_rows)})"])

with tabs[0]:
    if not kept_values:
        st.caption("Every sector, career stage, interest and language is one the program knows.")
    else:
        director = may(user, Action.SETTINGS)
        st.caption("Values the program's lists do not hold. A value never rejects a row: map it to a known value, "
                   "add it as new, or drop it; without a decision it is imported as written. "
                   + ("Adding a value changes the program's list (you may: you are a director)." if director else
                      "Adding a value to the program's lists is a director's change: “keep for a director” imports "
                      "it as written, and a director confirms it on the Settings page."))
        with_suggestion = [u for u in kept_values if u.suggestion]

        def _accept_suggestions() -> None:
            for u in with_suggestion:
                st.session_state[f"value_{digest}_{_key(u.column, u.value)}"] = u.suggestion

        if with_suggestion:
            st.button(f"Map the {len(with_suggestion)} value(s) with a suggestion to it", on_click=_accept_suggestions,
                      key=f"accept_values_{digest}")
        program = vocabularies(con)
        for column in dict.fromkeys(u.column for u in kept_values):
            group = [u for u in kept_values if u.column == column]
            voc = program[group[0].kind]
            st.markdown(f"**{md_text(column)}** (“{md_text(group[0].source)}”): {len(group)} value(s) outside the "
                        f"{KIND_NAMES[group[0].kind][1]}")
            choices = {KEEP: "keep as written", ADD: "add as a new value" if director else "keep for a director",
                       DROP: "drop it", **{t.value: f"→ {t.label}" for t in voc.terms}}
            grid = st.columns(2)
            for i, u in enumerate(group):
                rows = ", ".join(map(str, u.rows[:6])) + (", …" if len(u.rows) > 6 else "")
                hint = f" — perhaps {md_text(voc.label(u.suggestion))}" if u.suggestion else ""
                grid[i % 2].selectbox(f"“{md_text(u.value)}”: {len(u.rows)} row(s) ({rows}){hint}", list(choices),
                                      format_func=choices.__getitem__, key=f"value_{digest}_{_key(u.column, u.value)}")

with tabs[1]:
    if not suggested:
        st.caption("Every country was recognised.")
    for value, candidates in suggested.items():
        names = {LEAVE: LEAVE, **{code: country_choice(code, country) for code, country in candidates}}
        left, right = st.columns([1, 2])
        left.selectbox(f"“{md_text(value)}” is", list(names), key=f"country_{digest}_{_key(value)}",
                       format_func=names.__getitem__)
        apart = telling_apart([code for code, _ in candidates])
        if apart:
            left.caption(apart)
        rows = sorted({s.row for s in preview.country_suggestions if s.value == value})
        shown = {field: preview.mapping[field] for field in ("name", "timezone", "languages", "organisation")
                 if field in preview.mapping}
        if rows:
            right.dataframe(safe_table(table.loc[[r for r in rows if r in table.index], list(shown.values())].rename(
                columns={v: k for k, v in shown.items()}).rename_axis("row")), width="stretch")
        else:
            right.caption("Confirmed: its rows are ready to import.")

with tabs[2]:
    if not offered:
        st.caption("No applicant looks like someone already known under another email.")
    else:
        st.caption("A known name in the same country with a new email, or an email one slip away from a known one. "
                   "Linking an application to the known person counts their past rounds and partners (no repeat "
                   "partner); otherwise a new person is added.")
        mode = st.radio("Answer", [ONE_BY_ONE, ALL_NEW, ALL_SAME], horizontal=True, key=f"near_mode_{digest}")
        if mode == ONE_BY_ONE:
            matches = list(offered.items())
            pages = max(1, -(-len(matches) // PAGE))
            page = st.number_input(f"Page (of {pages}, {PAGE} at a time)", 1, pages, 1, key=f"near_page_{digest}") \
                if pages > 1 else 1
            for key, match in matches[(page - 1) * PAGE: page * PAGE]:
                st.checkbox(md_text(match.describe()), key=f"person_{digest}_{key}")
        else:
            st.write(f"{len({m.row for m in offered.values()})} applicant(s): "
                     + ("each is added as a new person." if mode == ALL_NEW else "each is linked to the known person "
                        "offered first for them."))

with tabs[3]:
    if not preview.resubmitted:
        st.caption("Nobody submitted the form twice.")
    else:
        st.radio("Of someone who submitted twice, import", ["latest", "first"], horizontal=True,
                 format_func=lambda k: "the latest submission (forms are resubmitted to correct answers)"
                 if k == "latest" else "the first submission", key=f"keep_{digest}")
        st.dataframe(safe_table(pd.DataFrame([r.as_dict() for r in preview.resubmitted])[["row", "value", "reason"]]
                                .rename(columns={"row": "row set aside", "value": "email"})), hide_index=True,
                     width="stretch")

with tabs[4]:
    if not preview.warnings:
        st.caption("Every time zone was read.")
    else:
        st.caption("Time zones that could not be read: the country's main zone is used (the rows are imported).")
        st.dataframe(safe_table(pd.DataFrame([w.as_dict() for w in preview.warnings]).rename(
            columns={"fix": "what to do"})), hide_index=True, width="stretch")

with tabs[5]:
    if preview.already_applied:
        st.caption(f"{len(preview.already_applied):,} row(s) already applied to {md_text(round_id)}: nothing to do, "
                   "the earlier application is kept.")
    if len(rejections):
        st.dataframe(safe_table(rejections), hide_index=True, width="stretch",
                     column_config={"row": st.column_config.NumberColumn("row", format="%d")})
        st.download_button("Download the rejected rows (CSV)", frame_csv_bytes(rejections),
                           file_name=f"{name.rsplit('.', 1)[0]}-rejections.csv", mime="text/csv")
    elif not preview.already_applied:
        st.caption("No row is rejected.")
