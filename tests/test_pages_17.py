"""What a review of the pages found (issue 17): after publishing, the outbox's Send button, the import page, and
the cross-border rule in the pages' words. AppTest, on a private copy of the sample database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.app_support import app_as
from tests.smtp_support import smtp_server
from workbench import db, matchstore
from workbench.access import User, command_line_user
from workbench.errors import WorkbenchError
from workbench.messages import outbox, smtp
from workbench.program.settings import get_setting, set_setting


def _texts(at: AppTest) -> str:
    return " ".join(e.value for e in [*at.success, *at.error, *at.warning, *at.info])


def _run_2017a(path: Path, user: User) -> None:
    con = db.connect(path)
    try:
        matchstore.run_matching(con, "2017A", matchstore.RunSettings(time_limit=2.0), by=user)
    finally:
        con.close()


# --- after publishing (the Matching page) ---------------------------------------------------------------

def test_after_publishing_the_sidebar_the_queue_button_and_the_template_say_what_is_true(
        app_env: Path, users: dict[str, User]) -> None:
    _run_2017a(app_env, users["coordinator"])
    at = app_as("coordinator", "pages/matching.py", timeout=180)
    assert [c.value for c in at.sidebar.caption] == ["2017A is open: being matched."]
    assert at.sidebar.selectbox[0].options[-1] == "2017A"  # the label alone: the status is said below it
    at.checkbox(key="publish_queue").uncheck()
    next(b for b in at.button if b.label == "Publish run 1").click().run()
    assert not at.exception, at.exception
    assert "Run 1 of 2017A published: 2017A is running." in _texts(at)
    assert [c.value for c in at.sidebar.caption] == ["2017A is running: its partnerships are published."]

    # Nothing queued yet: the button says how many it queues; the template has no warning
    queue = at.button(key="queue_intros")
    assert queue.label == "Queue the 584 introduction(s) not yet in the outbox"
    assert not any("already in the outbox" in w.value for w in at.warning)
    queue.click().run()
    assert not at.exception, at.exception
    assert "Queued 584 introductions for 2017A." in _texts(at)
    # Queued: not offered again, the count said, and the template says it no longer changes them
    assert "queue_intros" not in [b.key for b in at.button]
    assert "584 of 584 introductions are in the outbox" in _texts(at)
    template_note = next(w.value for w in at.warning if "already in the outbox" in w.value)
    assert template_note.startswith("584 introductions are already in the outbox, written from the program's "
                                    "templates when they were queued.")
    assert "not the messages in the outbox" in template_note
    assert at.text_area(key="intro_body").value  # the template is still there, for the downloads


# --- the Outbox: Send first, the rate a setting -------------------------------------------------------------

def _walk(node: Any) -> Iterator[Any]:
    """The page's elements in the order they are drawn (blocks, then what they hold)."""
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _position(at: AppTest, test: Callable[[Any], bool]) -> int:
    return next(i for i, node in enumerate(_walk(at.main)) if test(node))


def test_the_send_button_comes_before_the_sample_message_and_the_recipients(
        app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    con = db.connect(app_env)
    try:
        assert outbox.queue_introductions(con, "Pilot", by=command_line_user()).added == 46
    finally:
        con.close()
    with smtp_server(tmp_path) as srv:
        for key, value in srv.env().items():
            monkeypatch.setenv(key, value)
        at = app_as("coordinator")
        at.session_state["selected_round"] = "Pilot"
        at.switch_page("pages/outbox.py").run()
        assert not at.exception, at.exception
        send = _position(at, lambda n: getattr(n, "type", "") == "button" and n.key == "outbox_send")
        sample = _position(at, lambda n: getattr(n, "type", "") == "code")
        table = _position(at, lambda n: getattr(n, "type", "") == "dataframe")
        assert send < sample and send < table
        folded = [e.label for e in at.expander]
        assert "A sample message of the batch" in folded and "The recipients (92 in 46 messages)" in folded
        assert at.button(key="outbox_send").label == "Send 46 messages"
        assert "with no rate limit (a director changes the rate on the Settings page)" in at.caption[0].value

        at.button(key="outbox_send").click().run()
        assert not at.exception, at.exception
        assert len(srv.handler.received) == 46
        result = _position(at, lambda n: getattr(n, "type", "") == "success" and "Sent 46 of 46" in str(n.value))
        assert result < _position(at, lambda n: getattr(n, "type", "") == "metric")  # at the top, in view


class FakeTime:
    """A clock that moves only when the sender sleeps (the rate limit, without waiting)."""

    def __init__(self) -> None:
        self.now, self.sleeps = 1000.0, []  # type: ignore[var-annotated]

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_program_setting_sets_the_rate_the_sender_uses(writable_db: Path, tmp_path: Path,
                                                           users: dict[str, User]) -> None:
    con = db.connect(writable_db)
    try:
        outbox.queue_introductions(con, "Pilot", by=users["director"])
        with smtp_server(tmp_path) as srv:
            env = srv.env(WORKBENCH_SMTP_PER_MINUTE="30")
            config = smtp.smtp_config(environ=env, secrets=Path("/nonexistent/secrets.toml"))
            fake = FakeTime()
            outbox.send(con, by=users["director"], config=config, limit=3, clock=fake.clock, sleep=fake.sleep)
            assert fake.sleeps == [2.0, 2.0]  # unset: the mail settings' 30 a minute
            set_setting(con, "send_rate_per_minute", "6", by=users["director"])
            assert outbox.rate_per_minute(con, config) == 6.0
            fake = FakeTime()
            outbox.send(con, by=users["director"], config=config, limit=3, clock=fake.clock, sleep=fake.sleep)
            assert fake.sleeps == [10.0, 10.0]  # the program's setting wins: one message every 10 seconds
            set_setting(con, "send_rate_per_minute", 0, by=users["director"])
            fake = FakeTime()
            outbox.send(con, by=users["director"], config=config, limit=3, clock=fake.clock, sleep=fake.sleep)
            assert fake.sleeps == []  # 0: no limit
            assert len(srv.handler.received) == 9
        with pytest.raises(WorkbenchError, match="between 0 \\(no limit\\) and 6000 messages a minute"):
            set_setting(con, "send_rate_per_minute", -1, by=users["director"])
    finally:
        con.close()


def test_the_settings_page_changes_the_sending_rate(app_env: Path) -> None:
    at = app_as("director", "pages/settings.py")
    field = at.text_input(key="settings_send_rate")
    assert field.value == "" and field.label == "Sending rate (messages a minute; 0 for no limit)"
    field.input("12")
    next(b for b in at.button if b.label == "Save the program's settings").click().run()
    assert not at.exception, at.exception
    assert "Saved: sending rate (messages a minute)." in _texts(at)
    con = db.connect(app_env)
    try:
        assert get_setting(con, "send_rate_per_minute") == 12.0
    finally:
        con.close()
