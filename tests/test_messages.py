"""Message templates per language and kind, the choice of a message's language, the mail settings and the
headers every message carries."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from workbench.access import User
from workbench.messages import smtp
from workbench.messages import templates as tpl
from workbench.messages.introductions import Introduction, introduction_message

NO_SECRETS = Path("/nonexistent/secrets.toml")


def test_every_kind_ships_in_english_french_and_spanish() -> None:
    assert tpl.languages() == ["English", "French", "Spanish"]
    for language in tpl.languages():
        for kind in tpl.KINDS:
            t = tpl.template(language, kind)
            assert t.subject and len(t.body) > 300, (language, kind)
            used = set(re.findall(r"{(\w+)}", t.subject + t.body))
            assert used <= set(tpl.PLACEHOLDERS[kind]), (language, kind)
            assert "{round}" in t.subject + t.body
    # written for the program, not machine stubs: each language's own words and punctuation
    assert "« Faire connaissance »" in tpl.template("French", "introduction").body
    assert "«Conocernos»" in tpl.template("Spanish", "introduction").body
    assert "{form_link}" in tpl.template("Spanish", "survey").body
    assert "quinzaine" in tpl.template("French", "topic").body


def test_a_template_with_an_unknown_placeholder_is_refused_with_the_allowed_ones() -> None:
    bad = tpl.Template("English", "reminder", "Hello {round}", "Dear {nmes}")
    with pytest.raises(tpl.TemplateError, match=r"unknown placeholder\(s\) \{nmes\}.*\{round\}, \{names\}"):
        bad.render({"round": "2017A", "names": "Ana"})
    with pytest.raises(tpl.TemplateError, match="There is no reminder template in Swahili"):
        tpl.template("Swahili", "reminder")
    with pytest.raises(tpl.TemplateError, match="must start with a line 'Subject: …'"):
        tpl.parse("Hello", language="English", kind="topic")


@pytest.mark.parametrize(("members", "program", "expected"), [
    ([["English", "French"], ["French", "English"]], ["English"], "English"),  # the program's main language
    ([["English", "French"], ["French", "English"]], ["French", "English"], "French"),
    ([["French"], ["French", "Arabic"]], ["English"], "French"),  # the one they share
    ([["Spanish", "Portuguese"], ["Spanish"], ["Spanish", "English"]], ["English"], "Spanish"),  # a trio
    ([["english"], ["ENGLISH"]], ["English"], "English"),
])
def test_choose_language_picks_a_language_every_member_shares(members: list[list[str]], program: list[str],
                                                              expected: str) -> None:
    choice = tpl.choose_language(members, program)
    assert choice == tpl.LanguageChoice(expected)


def test_choose_language_falls_back_to_english_with_a_note() -> None:
    choice = tpl.choose_language([["Swahili", "English"], ["Swahili"]], ["English"])
    assert choice.language == "English"
    assert choice.note == ("The members share no language the program has templates for (English, French, Spanish); "
                           "they speak: english, swahili; swahili. Written in English.")
    assert tpl.parse_languages("French, English") == ["French", "English"]
    assert tpl.parse_languages("") == ["English"]


def test_dates_names_and_countries_in_the_messages_language() -> None:
    day = dt.date(2017, 2, 27)
    assert [tpl.long_date(day, x) for x in ("English", "French", "Spanish")] == [
        "27 February 2017", "27 février 2017", "27 de febrero de 2017"]
    assert tpl.join_names(["Ana", "Bo", "Chen"], "French") == "Ana, Bo et Chen"
    assert tpl.join_names(["Ana", "Bo"], "Spanish") == "Ana y Bo"
    line = tpl.member_line(name="Ana", iso3="USA", country="United States", sector="public", stage="mid",
                           email=" ana@x.org ", language="French")
    assert line == "- Ana (États-Unis ; bibliothèque publique, en milieu de carrière), ana@x.org"
    line = tpl.member_line(name="Ana", iso3="USA", country="United States", sector="public", stage="mid",
                           email="ana@x.org", language="English")
    assert line == "- Ana (United States; public library, mid career), ana@x.org"


# --- the mail settings --------------------------------------------------------------------------


ENV = {"WORKBENCH_SMTP_HOST": "smtp.example.org", "WORKBENCH_SMTP_FROM": "ILN <iln@example.org>"}


def test_settings_from_the_environment_with_defaults() -> None:
    config = smtp.smtp_config(environ=ENV, secrets=NO_SECRETS)
    assert (config.host, config.port, config.security, config.per_minute) == ("smtp.example.org", 587, "starttls", 20)
    assert config.sender_address == "iln@example.org" and config.source == "environment"
    ssl_config = smtp.smtp_config(environ={**ENV, "WORKBENCH_SMTP_SECURITY": "SSL"}, secrets=NO_SECRETS)
    assert (ssl_config.security, ssl_config.port) == ("ssl", 465)


def test_settings_from_secrets_toml_key_by_key(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[smtp]\nhost = "mail.example.org"\nport = 2525\nsecurity = "none"\nuser = "iln"\n'
                       'password = "pw"\nfrom = "coordinators@example.org"\nper_minute = 10\n', encoding="utf-8")
    config = smtp.smtp_config(environ={}, secrets=secrets)
    assert (config.host, config.port, config.security, config.user, config.password, config.per_minute) == (
        "mail.example.org", 2525, "none", "iln", "pw", 10.0)
    shown = config.shown()
    assert shown["password"] == "set" and "pw" not in str(shown) and "pw" not in repr(config)
    mixed = smtp.smtp_config(environ={"WORKBENCH_SMTP_PORT": "587"}, secrets=secrets)  # the environment wins
    assert mixed.port == 587 and mixed.host == "mail.example.org"


@pytest.mark.parametrize(("env", "message"), [
    ({}, "No mail server is configured: set WORKBENCH_SMTP_HOST"),
    ({**ENV, "WORKBENCH_SMTP_PORT": "smtp"}, "WORKBENCH_SMTP_PORT is 'smtp', not a port number"),
    ({**ENV, "WORKBENCH_SMTP_SECURITY": "tls"}, "WORKBENCH_SMTP_SECURITY is 'tls'; use starttls, ssl or none"),
    ({**ENV, "WORKBENCH_SMTP_USER": "iln"}, "A mail user needs a password"),
    ({"WORKBENCH_SMTP_HOST": "x"}, "WORKBENCH_SMTP_FROM must be the address"),
    ({**ENV, "WORKBENCH_SMTP_PER_MINUTE": "-1"}, "WORKBENCH_SMTP_PER_MINUTE is '-1'"),
    ({**ENV, "WORKBENCH_SMTP_REPLY_TO": "nobody"}, "WORKBENCH_SMTP_REPLY_TO is 'nobody', not an email address"),
])
def test_a_missing_or_wrong_setting_is_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(smtp.WorkbenchError, match=re.escape(message)):
        smtp.smtp_config(environ=env, secrets=NO_SECRETS)


def test_a_broken_secrets_file_is_named(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[smtp\nhost=", encoding="utf-8")
    with pytest.raises(smtp.SmtpConfigError, match="is not valid TOML"):
        smtp.smtp_config(environ={}, secrets=secrets)
    secrets.write_text('[smtp]\nhots = "x"\n', encoding="utf-8")
    with pytest.raises(smtp.SmtpConfigError, match="unknown key\\(s\\) hots"):
        smtp.smtp_config(environ={}, secrets=secrets)


def test_the_library_reads_secrets_without_streamlit() -> None:
    import subprocess
    import sys

    code = ("import sys, workbench.messages.outbox, workbench.messages.smtp; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_test_message_needs_the_send_right(users: dict[str, User]) -> None:
    from workbench.access import NotAllowed

    config = smtp.smtp_config(environ=ENV, secrets=NO_SECRETS)
    with pytest.raises(NotAllowed):
        smtp.send_test_message("x@example.org", by=users["analyst"], config=config)
    with pytest.raises(smtp.WorkbenchError, match="not an email address"):
        smtp.send_test_message("nobody", by=users["director"], config=config)


# --- headers ------------------------------------------------------------------------------------


def test_an_introduction_has_the_configured_sender_reply_to_and_unsubscribe() -> None:
    intro = Introduction(7, [("Ana Souza", "ana@example.org"), ("Bo Li", "bo@example.org")], "Hello", "Body",
                         "French")
    who = smtp.Identity("ILN coordinators <iln@example.org>", "help@example.org", "leave@example.org")
    msg = introduction_message(intro, sender=who)
    assert str(msg["From"]) == "ILN coordinators <iln@example.org>"
    assert msg["Reply-To"] == "help@example.org"
    assert msg["List-Unsubscribe"] == "<mailto:leave@example.org?subject=unsubscribe>"
    assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
    assert msg["Content-Language"] == "fr"
    bare = introduction_message(intro, sender=smtp.Identity("iln@example.org"))
    assert bare["Reply-To"] == "iln@example.org" and bare["List-Unsubscribe"] is None
    assert smtp.Identity("a@b.org", unsubscribe="https://iln.example.org/leave").list_unsubscribe() == (
        "<https://iln.example.org/leave>")
