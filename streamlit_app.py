"""The coordinator workbench: `streamlit run streamlit_app.py` (or `make run`).

Until someone signs in, the app renders the sign-in form and nothing else: no data, no navigation, no
sidebar. The one exception: when the program publishes presenter mode (setting ``present_published``), the
Present page (aggregates only) opens at the root without sign-in, and the form moves to ``/sign-in``.
The screens are registered (hidden) even then, so an address such as ``/matching`` keeps its place and
opens after sign-in. A signed-in user's navigation lists the screens their role may use
(``workbench.access.pages_for``); a screen outside the role, opened by its address, shows the refusal
instead of running.
"""

from pathlib import Path

import streamlit as st

from workbench import access, files, present
from workbench.access import Action, NotAllowed, User
from workbench.config import settings
from workbench.ui import auth
from workbench.ui.connection import cursor, entry_point

HERE = Path(__file__).resolve().parent

# A local icon: a Material or emoji icon would be fetched from a CDN, and the app must work offline.
st.set_page_config(page_title="Peer-mentoring workbench", page_icon=str(HERE / "static" / "icon.png"),
                   layout="wide")

# (page key in access.PAGES, file, title, icon, section). A screen appears once its file exists.
SCREENS = [
    ("overview", "pages/overview.py", "Overview", ":material/dashboard:", "Program"),
    ("applicants", "pages/applicants.py", "Applicants", ":material/public:", "Program"),
    ("import", "pages/import.py", "Import", ":material/upload_file:", "Round"),
    ("matching", "pages/matching.py", "Matching", ":material/join_inner:", "Round"),
    ("topics", "pages/topics.py", "Topics", ":material/forum:", "Round"),
    ("followup", "pages/followup.py", "Follow-up", ":material/support_agent:", "Round"),
    ("outcomes", "pages/outcomes.py", "Outcomes", ":material/insights:", "Reports"),
    ("impact", "pages/impact.py", "Impact coding", ":material/label:", "Reports"),
    ("outbox", "pages/outbox.py", "Outbox", ":material/outbox:", "Round"),
    ("present", "pages/present.py", "Present", ":material/slideshow:", "Reports"),
    ("audit", "pages/audit.py", "Audit log", ":material/history:", "Admin"),
    ("privacy", "pages/privacy.py", "Personal data", ":material/shield_person:", "Admin"),
    ("backups", "pages/backups.py", "Backups", ":material/backup:", "Admin"),
    ("settings", "pages/settings.py", "Settings", ":material/settings:", "Admin"),
]

#: The Present page: when the program publishes it (setting present_published), it alone opens without sign-in.
PRESENT_FILE = "pages/present.py"

def screen_action(key: str) -> Action:
    return access.PAGES[key]


def allowed_screens(user: User) -> set[str]:
    return set(access.pages_for(user))


def existing_screens() -> list[tuple[str, str, str, str, str]]:
    return [screen for screen in SCREENS if (HERE / screen[1]).exists()]


def _nothing_to_show() -> None:
    st.title("Peer-mentoring workbench")
    st.info("Your role has no screen in this workbench yet. Ask a director if you need one.")


def _sign_in() -> None:
    auth.sign_in_form(con)


def _opening() -> None:
    """Placeholder for the hidden navigation while the database cannot be opened."""


files.restrict_umask()  # every file the server writes (DuckDB's .wal too) is its owner's only
entry_point()  # pages opened first by their address come through here too (workbench.ui.connection)
if not settings().db_path.exists():
    # No navigation either: cursor() says what to do and stops.
    st.navigation([st.Page(_opening, title="Workbench")], position="hidden")
con = cursor()

user = auth.signed_in_user(con) or auth.identity_sign_in(con)
screens = existing_screens()

if user is None and "present" in {s[0] for s in screens} and present.is_published(con):
    # Published presenter mode: the Present page alone opens without sign-in (no navigation, no sidebar).
    # Any other address shows the sign-in form (at /sign-in too), and its screen opens after sign-in.
    present_page = st.Page(PRESENT_FILE, title="Present", default=True)
    chosen = st.navigation([present_page, st.Page(_sign_in, title="Sign in", url_path="sign-in")]
                           + [st.Page(file, title=title, visibility="hidden") for key, file, title, _, _ in screens
                              if key != "present"], position="hidden")
    if chosen.url_path == present_page.url_path:
        chosen.run()
    else:
        _sign_in()
    st.stop()

if user is None:
    # Hidden pages keep an opened address (a bookmark, a link) for after sign-in; none of them runs.
    st.navigation([st.Page(_sign_in, title="Sign in", default=True)]
                  + [st.Page(file, title=title, visibility="hidden") for _, file, title, _, _ in screens],
                  position="hidden")
    _sign_in()
    st.stop()

allowed = allowed_screens(user)
sections: dict[str, list[st.Page]] = {}
refused: dict[str, Action] = {}
first = True
for key, file, title, icon, section in screens:
    if key in allowed:
        sections.setdefault(section, []).append(st.Page(file, title=title, icon=icon, default=first))
        first = False
    else:
        page = st.Page(file, title=title, icon=icon, visibility="hidden")
        sections.setdefault("", []).append(page)  # its own section: no header over hidden pages
        refused[page.url_path] = screen_action(key)
if first:
    sections.setdefault("", []).insert(0, st.Page(_nothing_to_show, title="Workbench", default=True))

chosen = st.navigation(sections)
auth.signed_in_sidebar(user)
if chosen.url_path in refused:
    st.title(chosen.title)
    try:
        access.require(user, refused[chosen.url_path])
    except NotAllowed as exc:
        st.error(str(exc))
    st.stop()
chosen.run()
