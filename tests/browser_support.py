"""Start a real `streamlit run` (or `workbench serve`) on a free port and drive it with the system Chromium
through Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("WORKBENCH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def require_chromium() -> Path:
    """The system Chromium; a skip locally when absent, a failure under CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"no Chromium at {CHROMIUM} (install Debian's `chromium`; .ci/run does)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_directory(tmp_path: Path, secrets: str) -> Path:
    """A working directory for the server with a copy of the app's ``.streamlit/config.toml`` and the given
    ``secrets.toml`` (an identity provider, say): Streamlit reads both from its working directory."""
    work = tmp_path / "app"
    (work / ".streamlit").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ".streamlit" / "config.toml", work / ".streamlit" / "config.toml")
    (work / ".streamlit" / "secrets.toml").write_text(secrets, encoding="utf-8")
    return work


@contextmanager
def streamlit_server(db_path: Path, tmp_path: Path, *, secrets: str | None = None) -> Iterator[str]:
    """`streamlit run streamlit_app.py` against ``db_path``; yields its base URL.

    ``secrets`` is the text of a ``.streamlit/secrets.toml`` for this server (``{port}`` in a
    ``redirect_uri`` is the server's port); the server then runs in a copy of the app's configuration.
    """
    port = free_port()
    env = {**os.environ, "WORKBENCH_DB": str(db_path), "WORKBENCH_SNAPSHOT": str(tmp_path / "analytics.duckdb")}
    cwd = ROOT if secrets is None else app_directory(tmp_path, secrets)
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def workbench_serve(db_path: Path, tmp_path: Path, *, cwd: Path | None = None) -> Iterator[str]:
    """`workbench serve` (the app under uvicorn, with its security headers) against ``db_path`` on a free
    port; yields its base URL. The server runs in ``cwd`` (default: an empty folder, so the project's own
    ``.streamlit/config.toml`` must be found through the script's folder) and is always stopped."""
    port = free_port()
    env = {**os.environ, "WORKBENCH_DB": str(db_path), "WORKBENCH_SNAPSHOT": str(tmp_path / "analytics.duckdb")}
    if cwd is None:
        cwd = tmp_path / "serve-cwd"
        cwd.mkdir(exist_ok=True)
    log_path = tmp_path / "serve.log"
    log = log_path.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "workbench.cli", "serve", "--port", str(port)],
                            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError(f"`workbench serve` did not start (exit {proc.poll()}):\n" + log_path.read_text())
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


#: Reports each Content-Security-Policy violation of the page as a console error starting "CSP violation".
_REPORT_CSP_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => console.error(
    `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} `
    + `${e.sample ? '"' + e.sample + '" ' : ''}at ${e.sourceFile}:${e.lineNumber}`));
"""


def record_csp_violations(page: object) -> list[str]:
    """The page's Content-Security-Policy violations, as they happen (call before the first ``goto``)."""
    found: list[str] = []
    page.add_init_script(_REPORT_CSP_VIOLATIONS)  # type: ignore[attr-defined]

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.text.startswith("CSP violation") or "Content Security Policy" in message.text:
            found.append(message.text)

    page.on("console", on_console)  # type: ignore[attr-defined]
    return found


@contextmanager
def offline_page(chromium: Path, base_url: str, *,
                 also_allow: tuple[str, ...] = ()) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page whose requests outside ``base_url`` (and ``also_allow``: a local identity
    provider) are refused and recorded."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a rerun with a database write can take a few seconds

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)

        def guard(route, request):  # type: ignore[no-untyped-def]
            if request.url.startswith((base_url, *also_allow, "data:", "blob:")):
                route.continue_()
            else:
                blocked.append(request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            yield page, blocked
        finally:
            context.close()
            browser.close()


#: The account every journey signs in with: the sample director, with a password set on the journey's copy.
DIRECTOR_EMAIL = "alex.morgan@coord.example.org"
PASSWORD = "browser journey password"


def copy_db(src: Path, tmp_path: Path, *, passwords: dict[str, str] | None = None) -> Path:
    """A copy of the sample database for one journey, where the sample director (and each email of
    ``passwords``) has a known password (the sample's accounts have none)."""
    from workbench import accounts, db
    from workbench.access import command_line_user

    target = tmp_path / "browser.duckdb"
    shutil.copy(src, target)
    con = db.connect(target)
    try:
        for email, password in {DIRECTOR_EMAIL: PASSWORD, **(passwords or {})}.items():
            accounts.set_password(con, email, password, by=command_line_user())
    finally:
        con.close()
    return target


def sign_in(page: object, url: str, *, email: str = DIRECTOR_EMAIL, password: str = PASSWORD) -> None:
    """Open ``url`` (the app or one of its pages), meet the sign-in form and sign in; the page then shows."""
    from playwright.sync_api import expect

    page.goto(url)  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # type: ignore[attr-defined]
    page.get_by_label("Email", exact=True).fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password", exact=True).fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in", exact=True).click()  # type: ignore[attr-defined]
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(0, timeout=60_000)  # type: ignore[attr-defined]


def settle(page: object) -> None:
    """Wait until the script run has finished (Streamlit's running indicator is gone)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)  # type: ignore[attr-defined]
