"""`workbench serve`: the app under uvicorn with security headers on every HTTP response (security review,
issue 16: `streamlit run` sends no X-Frame-Options and no Content-Security-Policy).

The server is started as a subprocess on a free port against a copy of the sample database, its headers
read with httpx, its websocket opened, and the app driven in the system Chromium under the policy.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from tests.browser_support import (
    copy_db,
    offline_page,
    record_csp_violations,
    require_chromium,
    settle,
    sign_in,
    workbench_serve,
)
from workbench.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]

#: What every HTTP response must carry, exactly.
FIXED_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def directives(csp: str) -> dict[str, list[str]]:
    """A Content-Security-Policy as {directive: [sources]}."""
    parsed: dict[str, list[str]] = {}
    for part in csp.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {csp}"
        parsed[name] = sources
    return parsed


def assert_security_headers(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in FIXED_HEADERS.items():
        assert response.headers.get_list(name) == [value], (where, name, response.headers)
    policy = directives(response.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["default-src"] == ["'self'"], where
    assert policy["object-src"] == policy["frame-src"] == policy["worker-src"] == ["'none'"], where
    script = policy["script-src"]
    assert "'self'" in script and not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "blob:"} & set(script), where
    assert set(policy["img-src"]) == {"'self'", "data:", "blob:"}, where  # no image from another site at all
    assert policy["connect-src"] == ["'self'"], where
    permissions = response.headers["permissions-policy"]
    assert "camera=()" in permissions and "microphone=()" in permissions and "geolocation=()" in permissions, where
    assert "server" not in response.headers, where  # uvicorn does not announce itself


# --- the command --------------------------------------------------------------------------------------


def test_serve_listens_on_this_machine_only_by_default() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8501)
    args = build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert (args.host, args.port) == ("0.0.0.0", 9000)
    # The command line starts uvicorn with an import string: it never imports the app (nor Streamlit) itself.
    source = (ROOT / "workbench" / "cli" / "serve.py").read_text(encoding="utf-8")
    assert "workbench.ui.server:create_app" in source
    assert not re.search(r"^\s*(from workbench\.ui|import workbench\.ui|import streamlit|from streamlit)", source, re.M)


def test_serve_refuses_a_bad_port_and_a_missing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port 70000 is not a port" in capsys.readouterr().err
    monkeypatch.setenv("WORKBENCH_DB", str(tmp_path / "nothing.duckdb"))
    assert main(["serve", "--port", "8599"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"workbench serve: There is no database at {tmp_path / 'nothing.duckdb'}")
    assert "workbench init" in err and "Traceback" not in err


# --- the middleware, on any Starlette app (participants' pages will be routes of the same process) --------


def test_the_header_middleware_adds_the_headers_to_any_app_and_leaves_websockets_alone() -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from workbench.ui.server import SecurityHeaders

    async def plain(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("hello")

    async def own_policy(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse("mine", headers={"Content-Security-Policy": "default-src 'none'"})

    app = Starlette(routes=[Route("/", plain), Route("/own", own_policy)], middleware=[Middleware(SecurityHeaders)])

    async def get_all() -> dict[str, httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            return {path: await client.get(path) for path in ("/", "/nowhere", "/own")}

    responses = asyncio.run(get_all())
    assert responses["/"].text == "hello"
    assert_security_headers(responses["/"])
    assert_security_headers(responses["/nowhere"])  # a 404 from the router carries them too
    own = responses["/own"]
    assert own.headers.get_list("content-security-policy") == ["default-src 'none'"]  # the route's own policy stays
    assert own.headers["x-frame-options"] == "DENY"

    # A websocket connection reaches the app with its own receive and send, untouched.
    seen: list[tuple[object, object, object]] = []

    async def inner(scope, receive, send):  # type: ignore[no-untyped-def]
        seen.append((scope, receive, send))

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "websocket.connect"}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    scope = {"type": "websocket", "path": "/_stcore/stream", "headers": []}
    asyncio.run(SecurityHeaders(inner, {"X-Frame-Options": "DENY"})(scope, receive, send))
    assert seen == [(scope, receive, send)]


def test_the_policy_allows_exactly_streamlits_inline_script() -> None:
    from workbench.ui.server import content_security_policy, inline_script_hashes, security_headers

    index = (Path(__import__("streamlit").__file__).parent / "static" / "index.html").read_text(encoding="utf-8")
    hashes = inline_script_hashes(index)
    assert len(hashes) == 1 and hashes[0].startswith("'sha256-")  # window.prerenderReady = false
    assert inline_script_hashes("<script src='x.js'></script><script>a()</script><script>a()</script>") == [
        "'sha256-" + __import__("base64").b64encode(__import__("hashlib").sha256(b"a()").digest()).decode() + "'"]
    policy = directives(security_headers()["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'wasm-unsafe-eval'", *hashes]
    assert directives(content_security_policy())["script-src"] == ["'self'", "'wasm-unsafe-eval'"]


# --- the real server ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_sends_the_security_headers_on_every_response(sample_db_path: Path, tmp_path: Path) -> None:
    db_path = copy_db(sample_db_path, tmp_path)
    with workbench_serve(db_path, tmp_path) as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert_security_headers(page)
        # A front-end bundle the page loads, the app's own static file, a page's address, the health check.
        bundle = re.search(r'<script type="module" crossorigin src="\./(static/js/[^"]+\.js)"', page.text)
        assert bundle, page.text[:2000]
        responses = {
            "bundle": client.get(f"/{bundle.group(1)}"),
            "icon": client.get("/app/static/icon.png"),  # .streamlit/config.toml's enableStaticServing applies
            "page address": client.get("/matching"),
            "health": client.get("/_stcore/health"),
            "host config": client.get("/_stcore/host-config"),
        }
        for name, response in responses.items():
            assert response.status_code == 200, (name, response.status_code)
            assert_security_headers(response)
        assert responses["health"].text == "ok"
        assert "javascript" in responses["bundle"].headers["content-type"]
        assert responses["icon"].headers["content-type"] == "image/png"
        assert_security_headers(client.get("/_stcore/no-such-endpoint"))  # errors too
        # Streamlit knows the port uvicorn listens on (it builds the sign-in redirect and this origin from it).
        upload = client.options("/_stcore/upload_file/session/file")
        assert upload.headers["access-control-allow-origin"].endswith(f":{httpx.URL(url).port}")
        assert_security_headers(upload)

        # The websocket upgrade goes through the middleware untouched.
        from websockets.sync.client import connect

        ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        with connect(ws_url, subprotocols=["streamlit"], open_timeout=30) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "streamlit"
    log = (tmp_path / "serve.log").read_text()
    assert re.search(r"Uvicorn running on http://127\.0\.0\.1:\d+", log), log  # this machine only


@pytest.mark.browser
@pytest.mark.slow
def test_the_app_renders_and_signs_in_under_the_policy(sample_db_path: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    chromium = require_chromium()
    db_path = copy_db(sample_db_path, tmp_path)
    with workbench_serve(db_path, tmp_path) as url, offline_page(chromium, url) as (page, blocked):
        violations = record_csp_violations(page)
        page.goto(url)  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        expect(page.get_by_label("Password", exact=True)).to_be_visible()  # type: ignore[attr-defined]
        assert violations == [], violations  # the front end loaded: scripts, styles, fonts, the websocket

        # Signed in, a page with plotly charts, then the map that plotly.js draws from the app's topojson.
        sign_in(page, url)
        expect(page.get_by_role("heading", name="Program overview")).to_be_visible(  # type: ignore[attr-defined]
            timeout=60_000)
        expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=60_000)  # type: ignore[attr-defined]
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Applicants").click()  # type: ignore[attr-defined]
        expect(page.get_by_role("heading", name="Applicants", exact=True)).to_be_visible(  # type: ignore[attr-defined]
            timeout=60_000)
        expect(page.locator(".js-plotly-plot .geo").first).to_be_visible(  # type: ignore[attr-defined]
            timeout=60_000)
        settle(page)
        page.screenshot(path=str(tmp_path / "applicants.png"), full_page=True)  # type: ignore[attr-defined]
        assert violations == [], violations
    assert blocked == [], f"the page tried to reach the internet: {blocked[:5]}"
