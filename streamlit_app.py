"""The coordinator workbench: `streamlit run streamlit_app.py` (or `make run`)."""

import streamlit as st

# A local icon: a Material or emoji icon would be fetched from a CDN, and the app must work offline.
st.set_page_config(page_title="Peer-mentoring workbench", page_icon="static/icon.png", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]

st.navigation(PAGES).run()
