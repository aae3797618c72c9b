"""Settings (a director's): the program (name, languages, cap, round length, cadence, who may be partners, mail
addresses) and its vocabularies, one tab each. The retention period is on Personal data."""

import streamlit as st

from workbench.access import Action
from workbench.errors import WorkbenchError
from workbench.messages import smtp
from workbench.program import settings as program_settings
from workbench.program import vocabularies as v
from workbench.ui.auth import current_user
from workbench.ui.connection import cursor
from workbench.ui.feedback import reporting_errors, saved, show_feedback
from workbench.ui.widgets import md_text, safe_table

con = cursor()
user = current_user(con, Action.SETTINGS)

st.title("Settings")
show_feedback()
st.write("The program's vocabularies: the values the import accepts (with their synonyms), the matching compares "
         "and the pages show. Renaming or merging a value rewrites every application, check-in and survey answer "
         "that uses it, at once; the old value stays a synonym, so next round's form still imports. The retention "
         "of personal data is set on the *Personal data* page.")


def _synonyms(text: str) -> list[str]:
    return [s.strip() for s in text.replace("\n", ";").split(";") if s.strip()]


#: The Program tab's settings, in order (each declared in workbench/program/settings.py).
PROGRAM_KEYS = ("program_name", "languages", "country_cap", "round_weeks", "topic_cadence_days", "cross_border",
                "survey_form_link", "reply_to", "unsubscribe_address", "send_rate_per_minute")

program_tab, *vocabulary_tabs = st.tabs(["Program", *[v.KIND_NAMES[k][1].capitalize() for k in v.KINDS]])
with program_tab:
    current = {row["key"]: row for row in program_settings.all_settings(con) if row["key"] in PROGRAM_KEYS}
    st.caption("One workbench holds one program (one database file). A new round takes the cap, length and cadence "
               "below; rounds already open keep theirs.")
    with st.form("program_settings"):
        asked = {
            "program_name": st.text_input("Program name", current["program_name"]["value"]),
            "languages": st.text_input("Languages (separated by commas, the main one first)",
                                       current["languages"]["value"],
                                       help="Each must be a working language of the program's vocabulary."),
            "country_cap": st.number_input("Per-country cap for new rounds (% of a round's applications)", 1, 100,
                                           round(float(current["country_cap"]["value"]) * 100),
                                           help="100 switches the cap off (a program inside one nation).") / 100,
            "round_weeks": st.number_input("Round length (weeks, from the day partnerships start)", 4, 52,
                                           int(current["round_weeks"]["value"])),
            "topic_cadence_days": st.number_input("Days between two discussion topics", 7, 31,
                                                  int(current["topic_cadence_days"]["value"])),
            "cross_border": st.selectbox(
                "Who may be partners", list(program_settings.CROSS_BORDER_CHOICES),
                index=list(program_settings.CROSS_BORDER_CHOICES).index(current["cross_border"]["value"]),
                format_func=lambda k: f"{k}: partners {program_settings.CROSS_BORDER_CHOICES[k]}" if k != "none"
                else "none: no cross-border condition"),
            "survey_form_link": st.text_input("Survey form link", current["survey_form_link"]["value"] or ""),
            "reply_to": st.text_input("Reply-to address", current["reply_to"]["value"] or ""),
            "unsubscribe_address": st.text_input("Unsubscribe address", current["unsubscribe_address"]["value"] or ""),
            "send_rate_per_minute": st.text_input(
                "Sending rate (messages a minute; 0 for no limit)",
                "" if current["send_rate_per_minute"]["value"] is None
                else f"{float(current['send_rate_per_minute']['value']):g}",
                placeholder="the mail settings' rate", key="settings_send_rate",
                help="How fast the Outbox sends. Set here, it wins over the mail settings' rate; left empty, the "
                     "mail settings' rate applies (WORKBENCH_SMTP_PER_MINUTE, or per_minute in the secrets' [smtp] "
                     "table, else 30). Your mail provider's limit is a good value."),
        }
        if st.form_submit_button("Save the program's settings"):
            with reporting_errors():
                changed = []
                for key, value in asked.items():
                    before = current[key]["value"]
                    if (before or "") == (value or "") or (key == "country_cap" and abs(float(before) - value) < 1e-9):
                        continue
                    if key == "send_rate_per_minute" and program_settings.check_setting(con, key, value) == before:
                        continue
                    program_settings.set_setting(con, key, value, by=user, version=int(current[key]["version"]))
                    changed.append(program_settings.SETTINGS[key].label.lower())
                saved(con, f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")

for kind, tab in zip(v.KINDS, vocabulary_tabs, strict=True):
    one, many = v.KIND_NAMES[kind]
    with tab:
        table = v.terms_table(con, kind)
        terms = {r.value: r for r in table.itertuples(index=False)}
        values = list(terms)

        def name(value: str, terms: dict = terms) -> str:
            term = terms[value]
            return term.label if term.label == value else f"{term.label} ({value})"

        st.caption(f"{len(table)} {many}; {int(table['used'].sum()):,} uses stored.")
        st.dataframe(safe_table(table.assign(synonyms=table["synonyms"].map("; ".join))[  # values as imported
            ["label", "value", "synonyms", "used", "where"]]), hide_index=True, width="stretch",
            column_config={"used": st.column_config.NumberColumn("rows using it"), "where": "used by"})

        with st.form(f"add_{kind}", clear_on_submit=True):
            st.markdown(f"**Add a {one}**")
            cols = st.columns(3)
            value = cols[0].text_input("Value", key=f"add_value_{kind}")
            label = cols[1].text_input("Label (optional)", key=f"add_label_{kind}")
            words = cols[2].text_input("Synonyms (separated by ';')", key=f"add_synonyms_{kind}")
            if st.form_submit_button(f"Add the {one}"):
                with reporting_errors():
                    term = v.add_term(con, kind, value, label=label or None, synonyms=_synonyms(words), by=user)
                    saved(con, f"Added the {one} '{md_text(term.value)}'.")

        if not values:
            continue
        st.markdown(f"**Rename a {one}**")
        cols = st.columns(2)
        old = cols[0].selectbox("Value", values, format_func=name, key=f"rename_old_{kind}")
        new = cols[1].text_input("New value", key=f"rename_new_{kind}").strip()
        used = int(terms[old].used)
        sure = st.checkbox(f"Yes, rename '{md_text(old)}' to '{md_text(new) or '…'}' in the {used:,} rows that use it",
                           key=f"rename_sure_{kind}")
        if st.button("Rename", disabled=not (new and sure), key=f"rename_{kind}"):
            with reporting_errors():
                changed = v.rename_term(con, kind, old, new, by=user, version=int(terms[old].version))
                saved(con, f"Renamed '{md_text(old)}' to '{md_text(new)}' ({sum(changed.values()):,} rows rewritten).")

        if len(values) > 1:
            st.markdown(f"**Merge two {many}**")
            cols = st.columns(2)
            source = cols[0].selectbox("Merge", values, format_func=name, key=f"merge_from_{kind}")
            others = [x for x in values if x != source]
            into = cols[1].selectbox("into", others, format_func=name, key=f"merge_into_{kind}")
            moved = int(terms[source].used)
            sure = st.checkbox(f"Yes, move the {moved:,} uses of '{md_text(source)}' to '{md_text(into)}' and remove "
                               f"'{md_text(source)}'",
                               key=f"merge_sure_{kind}")
            if st.button("Merge", disabled=not sure, key=f"merge_{kind}"):
                with reporting_errors():
                    changed = v.merge_terms(con, kind, source, into, by=user, version=int(terms[source].version))
                    saved(con, f"Merged '{md_text(source)}' into '{md_text(into)}' ({sum(changed.values()):,} rows "
                               "rewritten).")

        st.markdown("**Synonyms**")
        chosen = st.selectbox("Value", values, format_func=name, key=f"synonyms_of_{kind}")
        text = st.text_area("Synonyms (one per line or separated by ';')", "\n".join(terms[chosen].synonyms),
                            key=f"synonyms_{kind}_{chosen}")
        if st.button("Save the synonyms", key=f"save_synonyms_{kind}"):
            with reporting_errors():
                term = v.set_synonyms(con, kind, chosen, _synonyms(text), by=user, version=int(terms[chosen].version))
                saved(con, f"Saved {len(term.synonyms)} synonym(s) of '{md_text(chosen)}'.")

st.header("Sending email")
st.write("The mail server the Outbox sends through, from `WORKBENCH_SMTP_*` variables or `[smtp]` in "
         "`.streamlit/secrets.toml` (see the README's *Sending email*). The password is never shown.")
try:
    mail = smtp.smtp_config()
except WorkbenchError as exc:
    st.warning(str(exc))
else:
    shown = mail.shown()
    st.dataframe([{"setting": key, "value": str(value)} for key, value in shown.items()], hide_index=True,
                 width="stretch")
    if st.button(f"Send a test message to me ({md_text(user.email)})", key="smtp_test", disabled=not user.email):
        with reporting_errors(), st.spinner("Sending…"):
            st.success(smtp.send_test_message(user.email, by=user, config=mail))
