"""The Settings page shows the mail settings (never the password) and sends a test message to a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_support import app_as
from tests.smtp_support import smtp_server


def test_the_settings_page_shows_the_mail_server_and_sends_a_test_message(
        app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(tmp_path) as srv:
        for key, value in srv.env("none").items():
            monkeypatch.setenv(key, value)
        at = app_as("director", "pages/settings.py")
        shown = "\n".join(str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel())
        assert "127.0.0.1" in shown and str(srv.port) in shown and "not set" in shown  # the password: never shown
        button = next(b for b in at.button if b.key == "smtp_test")
        assert "alex.morgan@coord.example.org" in button.label
        button.click().run()
        assert not at.exception, at.exception
        assert at.success, [e.value for e in at.error]
        received = [r for r in srv.handler.received if "alex.morgan@coord.example.org" in r.rcpt_tos]
        assert len(received) == 1


def test_without_a_mail_server_the_page_says_what_is_missing(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("WORKBENCH_SMTP_HOST", "WORKBENCH_SMTP_PORT", "WORKBENCH_SMTP_FROM"):
        monkeypatch.delenv(key, raising=False)
    at = app_as("director", "pages/settings.py")
    assert any("WORKBENCH_SMTP_HOST" in w.value or "smtp" in w.value.lower() for w in at.warning), \
        [w.value for w in at.warning]
