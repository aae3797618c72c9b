"""The Outbox page (AppTest): a batch reviewed (count, a sample message, recipients), a missing mail server said
plainly, the batch sent to a real SMTP server, the page refused to roles that may not send."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import ROOT, SAMPLE_ACCOUNTS
from tests.smtp_support import smtp_server
from workbench import db
from workbench.access import command_line_user
from workbench.messages import outbox
from workbench.ui.auth import USER_KEY

PAGE = ROOT / "pages" / "outbox.py"


def _page(role: str) -> AppTest:
    """The page itself, signed in as the sample account of ``role`` (the app lists it as "outbox")."""
    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.session_state[USER_KEY] = SAMPLE_ACCOUNTS[role]
    return at


def _queue_pilot(path: Path) -> int:
    con = db.connect(path)
    try:
        return outbox.queue_introductions(con, "Pilot", by=command_line_user()).added
    finally:
        con.close()


@pytest.fixture
def no_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("WORKBENCH_SMTP_")]:
        monkeypatch.delenv(key)


def test_the_page_reviews_and_sends_a_batch(app_env: Path, no_smtp: None, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert _queue_pilot(app_env) == 46
    at = _page("coordinator")
    at.session_state["selected_round"] = "Pilot"
    at.run()
    assert not at.exception, at.exception
    assert any("No mail server is configured" in w.value for w in at.warning)
    assert "46 messages waiting, to 92 recipients" in [h.value for h in at.subheader]
    assert at.button(key="outbox_send").disabled
    assert at.code[0].value.startswith("From: coordinators@example.org\nTo: ")
    assert "Subject: Meet your Pilot partner" in at.code[0].value

    with smtp_server(tmp_path) as srv:
        for key, value in srv.env().items():
            monkeypatch.setenv(key, value)
        at.run()
        assert f"Sending through **127.0.0.1:{srv.port}** (none)" in at.caption[0].value
        assert not at.button(key="outbox_send").disabled
        at.button(key="outbox_send").click().run()
        assert not at.exception, at.exception
        assert any("Sent 46 of 46 messages (92 recipients)" in s.value for s in at.success)
        assert len(srv.handler.received) == 46
    assert [m.value for m in at.metric] == ["0", "46", "0", "0"]
    assert any("No message of Pilot is waiting" in i.value for i in at.info)


def test_a_country_coordinator_sees_their_countries_messages(app_env: Path, no_smtp: None) -> None:
    _queue_pilot(app_env)
    con = db.connect(app_env, read_only=True)
    try:
        theirs = con.execute("SELECT count(*) FROM outbox WHERE list_has_any(countries, ['NGA', 'GHA', 'CMR'])"
                             ).fetchone()[0]  # type: ignore[index]
    finally:
        con.close()
    at = _page("country")
    at.session_state["selected_round"] = "Pilot"
    at.run()
    assert not at.exception, at.exception
    assert at.metric[0].value == f"{theirs:,}"
    assert 0 < theirs < 46


@pytest.mark.parametrize("role", ["analyst", "presenter"])
def test_the_page_is_refused_to_roles_that_may_not_send(app_env: Path, role: str) -> None:
    _queue_pilot(app_env)
    at = _page(role)
    at.run()
    assert any("may not queue and send the program's email" in e.value for e in at.error)
    assert not at.code and not at.dataframe
