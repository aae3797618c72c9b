"""The participants' pages over real HTTP (issue 19): one `workbench serve` for the module, a real aiosmtpd server.

Apply in French, confirm through the emailed link, change, download, unsubscribe by the RFC 8058 POST, withdraw;
a tampered link, a missing CSRF field, a hostile name shown escaped, the rate limit; a returner recognised.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser_support import workbench_serve
from tests.smtp_support import Server, smtp_server
from workbench import migrations
from workbench.access import command_line_user
from workbench.participants import applying, i18n
from workbench.participants.web import CSS_PATH, MAX_PAGE_BYTES
from workbench.program.settings import set_setting

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(sample_db_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("participants")
    path = tmp / "workbench.duckdb"
    shutil.copy(sample_db_path, path)
    con = migrations.open_live(path)
    by = command_line_user()
    applying.open_for_applications(con, "2099A", by=by, closes_on=dt.date.today() + dt.timedelta(days=14))
    set_setting(con, "base_url", "https://mentoring.example.org", by=by)
    set_setting(con, "privacy_notice", "We keep your answers for two rounds.", by=by)
    returner = con.execute("SELECT person_id, email FROM people ORDER BY person_id LIMIT 1").fetchone()
    sectors = [r[0] for r in con.execute("SELECT value FROM vocabulary_terms WHERE kind = 'sector' ORDER BY position")
               .fetchall()]
    interest = con.execute("SELECT value FROM vocabulary_terms WHERE kind = 'interest' LIMIT 1").fetchone()[0]
    con.close()
    with smtp_server(tmp) as smtp, pytest.MonkeyPatch.context() as mp:
        for key, value in {"HOST": smtp.host, "PORT": str(smtp.port), "SECURITY": "none",
                           "FROM": "Program <program@example.org>", "PER_MINUTE": "0"}.items():
            mp.setenv(f"WORKBENCH_SMTP_{key}", value)
        with workbench_serve(path, tmp) as url:
            yield {"url": url, "smtp": smtp, "returner": returner, "sectors": sectors, "interest": interest}


def _mail_to(smtp: Server, address: str, subject_part: str, *, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for received in list(smtp.handler.received):
            message = received.message
            if address in received.rcpt_tos and subject_part in str(message["Subject"]):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no message to {address} about {subject_part!r}: "
                         f"{[(r.rcpt_tos, r.message['Subject']) for r in smtp.handler.received]}")


def _path(link: str) -> str:
    return link.split("https://mentoring.example.org", 1)[1]


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _form(served: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {"name": "Zoé Martin", "email": "zoe.martin@example.org", "country": "FRA", "sector": served["sectors"][0],
            "career_stage": "early", "interests": [served["interest"]], "languages": ["French"], "consent": "yes",
            "returner": "no", **changes}


def _apply(client: httpx.Client, served: dict[str, Any], lang: str = "en", **changes: Any) -> httpx.Response:
    page = client.get(f"/apply?lang={lang}")
    return client.post(f"/apply?lang={lang}", data={"csrf": _csrf(page), **_form(served, **changes)})


def _confirm(client: httpx.Client, served: dict[str, Any], email: str, subject: str) -> str:
    message = _mail_to(served["smtp"], email, subject)
    link = re.search(r"https://mentoring\.example\.org/apply/confirm/\S+", message.get_content()).group(0)  # type: ignore[union-attr]
    page = client.get(_path(link))
    confirmed = client.post(_path(link), data={"csrf": _csrf(page)})
    assert confirmed.status_code == 200, confirmed.text
    return re.search(r'href="(/me/[^"]+)"', confirmed.text).group(1)  # type: ignore[union-attr]


def _download(client: httpx.Client, me: str) -> dict[str, Any]:
    page = client.get(me)
    data = client.post(me, data={"csrf": _csrf(page), "action": "download"})
    assert data.headers["content-disposition"] == "attachment; filename=my-data.json"
    return json.loads(data.text)


def test_apply_in_french_confirm_change_unsubscribe_withdraw(served: dict[str, Any]) -> None:
    with httpx.Client(base_url=served["url"], timeout=30, headers={"Accept-Language": "fr-CA,fr;q=0.9"}) as client:
        form = client.get("/apply")
        assert form.status_code == 200 and '<html lang="fr">' in form.text
        assert "Candidater au programme" in form.text and ">Allemagne<" in form.text  # country names in French
        assert "We keep your answers for two rounds." in form.text  # the privacy notice from the settings
        assert len(form.content) <= MAX_PAGE_BYTES and "<script" not in form.text
        assert "script-src" not in form.headers["content-security-policy"]  # no script at all
        assert "frame-ancestors 'none'" in form.headers["content-security-policy"]

        # The import's own messages beside the field; nothing stored.
        bad = _apply(client, served, "fr", email="zoe.martin@", consent="")
        assert bad.status_code == 400
        assert re.search(r'<p class="error" id="email-error">[^<]*email', bad.text, re.I), bad.text[-3000:]
        assert 'id="consent-error"' in bad.text and "Cochez la case" in bad.text

        sent = _apply(client, served, "fr")
        assert sent.status_code == 200 and "Consultez votre messagerie" in sent.text
        message = _mail_to(served["smtp"], "zoe.martin@example.org", "Confirmez votre candidature")
        assert message["Content-Language"] == "fr"
        link = re.search(r"https://mentoring\.example\.org/apply/confirm/\S+", message.get_content()).group(0)  # type: ignore[union-attr]
        # A GET (a mail scanner) changes nothing: one button.
        shown = client.get(_path(link))
        assert shown.status_code == 200 and shown.text.count("<button") == 1
        me = _confirm(client, served, "zoe.martin@example.org", "Confirmez votre candidature")
        notice = _mail_to(served["smtp"], "zoe.martin@example.org", "Votre candidature")
        unsubscribe = notice["List-Unsubscribe"].strip("<>")
        assert unsubscribe.startswith("https://mentoring.example.org/unsubscribe/")
        assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        data = _download(client, me)
        assert data["form_applications"][0]["status"] == "confirmed"
        (application,) = data["applications"]
        assert application["round_id"] == "2099A" and application["status"] in ("accepted", "waitlisted")
        assert application["country_iso3"] == "FRA" and application["source"] == "import application form"

        # Change the sector: the application itself changes.
        page = client.get(me)
        css = client.get(CSS_PATH).content  # the heaviest page (the form and its own buttons), in French: 30 KB
        assert len(page.content) + len(css) <= MAX_PAGE_BYTES and "<script" not in page.text
        changed = client.post(me, data={"csrf": _csrf(page), "action": "change",
                                        **_form(served, sector=served["sectors"][1])})
        assert changed.status_code == 200 and "Vos modifications sont enregistrées." in changed.text
        assert _download(client, me)["applications"][0]["sector"] == served["sectors"][1]

    # RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click, with no cookie and no CSRF field.
    one_click = httpx.post(served["url"] + _path(unsubscribe), data={"List-Unsubscribe": "One-Click"}, timeout=30)
    assert one_click.status_code == 200
    with httpx.Client(base_url=served["url"], timeout=30) as client:
        data = _download(client, me)
        assert [o["how"] for o in data["opt_outs"]] == ["one-click"]
        page = client.get(me)
        gone = client.post(me, data={"csrf": _csrf(page), "action": "withdraw"})
        assert "Votre candidature est retirée" in gone.text  # the link keeps the language
        assert _download(client, me)["applications"][0]["status"] == "withdrawn"


def test_tampered_link_missing_csrf_hostile_name_and_rate_limit(served: dict[str, Any]) -> None:
    with httpx.Client(base_url=served["url"], timeout=30) as client:
        for path in ("/me/eyJrIjoibWUiLCJzIjoxfQ.AAAAAA.forged", "/unsubscribe/nonsense", "/apply/confirm/x.y.z"):
            page = client.get(path)
            assert page.status_code == 400 and "This link does not work" in page.text, path
            assert "Traceback" not in page.text and "Send me a new link" in page.text
        missing = client.post("/apply", data=_form(served))
        assert missing.status_code == 403 and "The form has expired" in missing.text
        hostile = _apply(client, served, name="<script>alert(1)</script>", email="not-an-address")
        assert hostile.status_code == 400
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile.text and "<script>" not in hostile.text
        statuses = [client.post("/apply", data={}, headers={"X-Forwarded-For": "203.0.113.9"}).status_code
                    for _ in range(31)]
        assert statuses[:30] == [403] * 30 and statuses[30] == 429
        limited = client.post("/apply", data={}, headers={"X-Forwarded-For": "203.0.113.9"})
        assert "Too many requests" in limited.text and int(limited.headers["retry-after"]) > 0
        assert client.post("/apply", data={}, headers={"X-Forwarded-For": "203.0.113.10"}).status_code == 403


def test_a_returner_is_recognised(served: dict[str, Any]) -> None:
    person_id, email = served["returner"]
    with httpx.Client(base_url=served["url"], timeout=30) as client:
        assert _apply(client, served, name="Returning Person", email=email.upper(), returner="yes").status_code == 200
        me = _confirm(client, served, email, "Confirm your application")
        data = _download(client, me)
        assert data["person"][0]["person_id"] == person_id
        assert {a["round_id"] for a in data["applications"]} > {"2099A"}  # earlier rounds too


def test_every_text_is_in_every_language() -> None:
    missing = [(key, code) for key, entry in i18n.TEXTS.items() for code in i18n.LANGUAGES if not entry.get(code)]
    assert missing == []
    assert i18n.choose_language("es", "fr") == "es" and i18n.choose_language(None, "de, fr;q=0.5") == "fr"
    assert i18n.choose_language(None, None) == "en"


def test_no_page_rewords_another_pages_texts() -> None:
    """The check-in and survey pages add their own words beside the framework's: none shadows another's (the
    /apply button once read "Send" because the check-in page named its button's text "send")."""
    from workbench.participants import checkins

    assert not set(checkins._TEXTS) & {"send", "yes", "no"}
    assert i18n.TEXTS["send"] == {"en": "Send my application", "fr": "Envoyer ma candidature",
                                  "es": "Enviar mi solicitud"}
    assert i18n.TEXTS["answer_send"]["fr"] == "Envoyer"
