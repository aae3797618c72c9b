"""Opening the app in Streamlit's AppTest as a signed-in sample account (or as nobody)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from workbench.ui.auth import USER_KEY

ROOT = Path(__file__).resolve().parents[1]

#: The sample program's account for each role (sample_data/coordinators.csv).
SAMPLE_ACCOUNTS = {
    "director": "amorgan",
    "coordinator": "tortega",
    "country": "nokafor",  # NGA, GHA, CMR
    "analyst": "lnguyen",
    "presenter": "presenter",
}


def app_as(role: str | None, page: str | None = None, *, timeout: float = 120, check: bool = True) -> AppTest:
    """The app signed in as the sample account of ``role`` (None: signed out), optionally on ``page``."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=timeout)
    if role is not None:
        at.session_state[USER_KEY] = SAMPLE_ACCOUNTS[role]
    if page is not None:  # straight to the page, as a link to it opens it (the Overview is not drawn first)
        at.switch_page(page)
    at.run()
    if check:
        assert not at.exception, at.exception
    return at
