"""The coordinator workbench: `streamlit run streamlit_app.py` (or `make run`)."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

# A local icon: a Material or emoji icon would be fetched from a CDN, and the app must work offline.
st.set_page_config(page_title="Peer-mentoring workbench", page_icon=str(HERE / "static" / "icon.png"),
                   layout="wide")

# (file, title, icon, section). A screen appears once its file exists.
SCREENS = [
    ("pages/overview.py", "Overview", ":material/dashboard:", "Program"),
    ("pages/applicants.py", "Applicants", ":material/public:", "Program"),
    ("pages/import.py", "Import", ":material/upload_file:", "Round"),
    ("pages/matching.py", "Matching", ":material/join_inner:", "Round"),
    ("pages/topics.py", "Topics", ":material/forum:", "Round"),
    ("pages/followup.py", "Follow-up", ":material/support_agent:", "Round"),
    ("pages/outcomes.py", "Outcomes", ":material/insights:", "Reports"),
    ("pages/impact.py", "Impact coding", ":material/label:", "Reports"),
    ("pages/backups.py", "Backups", ":material/backup:", "Admin"),
]

sections: dict[str, list[st.Page]] = {}
for i, (file, title, icon, section) in enumerate(SCREENS):
    if (HERE / file).exists():
        sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, default=i == 0))

st.session_state["workbench_navigation"] = True  # see workbench.ui.connection._use_the_app_navigation
st.navigation(sections).run()
