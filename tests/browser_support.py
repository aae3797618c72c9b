"""Start a real `streamlit run` on a free port and drive it with the system Chromium through Playwright."""

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


@contextmanager
def streamlit_server(db_path: Path, tmp_path: Path) -> Iterator[str]:
    """`streamlit run streamlit_app.py` against ``db_path``; yields its base URL."""
    port = free_port()
    env = {**os.environ, "WORKBENCH_DB": str(db_path), "WORKBENCH_SNAPSHOT": str(tmp_path / "analytics.duckdb")}
    log = (tmp_path / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
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
def offline_page(chromium: Path, base_url: str) -> Iterator[tuple[object, list[str]]]:
    """A Playwright page whose requests outside ``base_url`` are refused and recorded."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a rerun with a database write can take a few seconds

    blocked: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)

        def guard(route, request):  # type: ignore[no-untyped-def]
            if request.url.startswith(base_url) or request.url.startswith(("data:", "blob:")):
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


def copy_db(src: Path, tmp_path: Path) -> Path:
    target = tmp_path / "browser.duckdb"
    shutil.copy(src, target)
    return target


def settle(page: object) -> None:
    """Wait until the script run has finished (Streamlit's running indicator is gone)."""
    from playwright.sync_api import expect

    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)  # type: ignore[attr-defined]
