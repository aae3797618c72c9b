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
from workbench.people import identity
from workbench.people.model import LinkResult
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
KEYS = ("1", "2", "3")  # the keyboard answers of a review row: its candidates, and N for a new person

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
answers: dict[int, int] = st.session_state.setdefault(f"link_answers_{digest}", {})  # row -> person (0: new)
value_keys: dict[str, tuple[str, str]] = st.session_state.setdefault(f"import_values_{digest}", {})
confirmed_countries = {
    value: st.session_state[f"country_{digest}_{_key(value)}"] for value in suggested
    if st.session_state.get(f"country_{digest}_{_key(value)}", LEAVE) != LEAVE
}
link_mode = "sure" if st.session_state.get(f"link_sure_{digest}", True) else "none"
link_answers = {row: person for row, person in answers.items() if person}
values = {pair: st.session_state[f"value_{digest}_{k}"] for k, pair in value_keys.items()
          if st.session_state.get(f"value_{digest}_{k}", KEEP) != KEEP}
keep = st.session_state.get(f"keep_{digest}", "latest")

with reporting_errors(stop=True):
    preview = applications.import_applications(
        con, data, name, round_id, by=user, manual=manual, confirmed_countries=confirmed_countries,
        link=link_mode, link_answers=link_answers, values=values, keep=keep, cap=new_cap, dry_run=True)
for suggestion in preview.country_suggestions:
    suggested.setdefault(suggestion.value, list(suggestion.candidates))
# Known people: linked (a known address, the model's sure ones, an answer), to review, new; one count each,
# used by the sentence, the figures and the tab alike
links = preview.people_links or LinkResult()
review = sorted(links.review, key=lambda r: (-(r.candidates[0].probability if r.candidates else 0.0), r.row))
n_linked, n_review = len(links.linked), len(review)
n_new = preview.imported - n_linked - n_review
people_sentence = (f"Of the {preview.imported:,} application(s) to import, {n_linked:,} are people the program "
                   f"already knows (linked), {n_review:,} may be someone known and wait for your answer (they go in "
                   f"as new people unless you link them), and {n_new:,} are new people.")
for unknown in preview.unknown_values:
    value_keys.setdefault(_key(unknown.column, unknown.value), (unknown.column, unknown.value))

# 5. The check, and the Import button at its top (above the file's details) ---------------------------
check_area.subheader("Check")
button_area = check_area.container()
check_area.write(md_text(preview.summary()))  # names the file, quotes its values
cols = check_area.columns(5)
cols[0].metric("Ready to import", f"{preview.imported:,}", help=f"of {preview.total_rows:,} rows")
cols[1].metric("Rejected rows", f"{len(preview.rejected_rows):,}")
cols[2].metric("Already in the round", f"{len(preview.already_applied) + len(preview.applied_again):,}",
               help=f"{len(preview.applied_again):,} applied again later: their application takes the new answers "
                    f"and address. {len(preview.already_applied):,} kept as they were.")
cols[3].metric("Returning", f"{preview.returning:,}",
               help="Applied to an earlier round: the same person, at a known address or linked")
cols[4].metric("Waitlisted by the cap", f"{preview.waitlisted:,}",
               help=", ".join(f"{c}: {n}" for c, n in preview.waitlisted_by_country.items()) or None)
check_area.write(people_sentence)
people_cols = check_area.columns(3)
people_cols[0].metric("Linked to known people", f"{n_linked:,}")
people_cols[1].metric("To review", f"{n_review:,}")
people_cols[2].metric("New people", f"{n_new:,}")


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
            link=link_mode, link_answers=link_answers, values=values, keep=keep, cap=new_cap)
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
                f"Known people ({n_review:,} to review)",
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
    st.write(people_sentence)
    st.toggle("Link the sure ones", key=f"link_sure_{digest}", value=True,
              help="On: applications the program's model is sure of (above its high threshold, one plausible "
                   "person, more than a name in common) are linked to that person. Off: only applications at an "
                   "address a person already used are linked. Linking counts their past rounds and partners (no "
                   "repeat partner).")
    if not review:
        st.caption("No application waits for an answer: each is linked to a known person or is a new person.")
    else:
        def _answer(row: int, person: int) -> None:
            answers[row] = person

        order = [r.row for r in review]
        waiting = [row for row in order if row not in answers]
        chosen = st.selectbox(
            "Application to answer", order, index=order.index(waiting[0]) if waiting else 0,
            key=f"review_row_{digest}_{len(answers)}",
            format_func=lambda row: f"row {row}" + (" (answered)" if row in answers else ""))
        current = next(r for r in review if r.row == chosen)
        application = {field: ("" if pd.isna(value) else str(value)) for field, value in (
            (label, table.loc[chosen, preview.mapping[key]] if key in preview.mapping and chosen in table.index
             else "") for label, key in (("name", "name"), ("email", "email"), ("organisation", "organisation"),
                                         ("country", "country"), ("sector", "sector"),
                                         ("career stage", "career_stage"), ("interests", "interests"),
                                         ("languages", "languages"), ("time zone", "timezone")))}
        known = identity.known_answers(con, [c.person_id for c in current.candidates], by=user)
        st.caption(f"Row {chosen}: ✓ the model found the answers agree, ✗ they differ. Answer with the keys: "
                   + ", ".join(f"{key} for candidate {key}" for key in KEYS[:len(current.candidates)])
                   + ", N for a new person. The next application follows.")
        st.dataframe(identity.side_by_side(application, current.candidates[:len(KEYS)], known), hide_index=True,
                     width="stretch", key=f"review_sheet_{digest}")
        buttons = st.columns(len(current.candidates[:len(KEYS)]) + 1)
        for i, candidate in enumerate(current.candidates[:len(KEYS)]):
            buttons[i].button(f"The same as person {candidate.person_id}", key=f"answer_{digest}_{i}",
                              shortcut=KEYS[i], on_click=_answer, args=(chosen, candidate.person_id),
                              type="primary" if answers.get(chosen) == candidate.person_id else "secondary")
        buttons[-1].button("A new person", key=f"answer_{digest}_new", shortcut="N", on_click=_answer,
                           args=(chosen, 0), type="primary" if answers.get(chosen) == 0 else "secondary")
        answered_new = sum(1 for row in order if answers.get(row) == 0)
        st.caption(f"{len(order) - len(waiting):,} of {len(order):,} answered ({answered_new:,} as new people).")
        st.dataframe(safe_table(pd.DataFrame({
            "row": order,
            "application": [f"{r.name} <{r.email}>" for r in review],
            "most likely": [f"person {r.candidates[0].person_id}: {r.candidates[0].name}" if r.candidates else ""
                            for r in review],
            "probability": [r.candidates[0].probability if r.candidates else 0.0 for r in review],
            "candidates": [len(r.candidates) for r in review],
            "your answer": ["" if row not in answers else "a new person" if not answers[row]
                            else f"person {answers[row]}" for row in order]})),
            hide_index=True, width="stretch", key=f"review_list_{digest}",
            column_config={"row": st.column_config.NumberColumn("row", format="%d"),
                           "probability": st.column_config.NumberColumn("Probability", format="percent")})

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
    if preview.applied_again:
        st.caption(f"{len(preview.applied_again):,} applicant(s) already in {md_text(round_id)} applied again "
                   f"(row {', '.join(map(str, preview.applied_again))}): their application takes the new answers and "
                   "address.")
    if preview.already_applied:
        st.caption(f"{len(preview.already_applied):,} row(s) already applied to {md_text(round_id)}: nothing to do, "
                   "the application in the round is kept.")
    if len(rejections):
        st.dataframe(safe_table(rejections), hide_index=True, width="stretch",
                     column_config={"row": st.column_config.NumberColumn("row", format="%d")})
        st.download_button("Download the rejected rows (CSV)", frame_csv_bytes(rejections),
                           file_name=f"{name.rsplit('.', 1)[0]}-rejections.csv", mime="text/csv")
    elif not preview.already_applied:
        st.caption("No row is rejected.")
