"""The app as an ASGI application (``workbench serve``): Streamlit's ``st.App`` under uvicorn, with security
headers on every HTTP response.

``streamlit run streamlit_app.py`` sends no ``X-Frame-Options``, ``Content-Security-Policy`` or
``Referrer-Policy``, and offers no way to add them. ``workbench serve`` (:mod:`workbench.cli.serve`) runs the
same script as ``st.App`` under uvicorn, where :class:`SecurityHeaders` (a plain ASGI middleware) adds
:func:`security_headers` to every HTTP response: the page, its scripts and styles, ``/_stcore/*``, media and
downloads, ``/app/static/*``, and any route added later (participants' pages). Websocket traffic passes
through untouched.

The CLI starts uvicorn with the import string ``workbench.ui.server:create_app`` (a factory), so nothing
outside ``workbench.ui`` imports this module or Streamlit.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.config import PROJECT_ROOT
from workbench.participants.mail import Sender
from workbench.participants.routes import routes as participant_routes
from workbench.participants.web import Site
from workbench.ui.connection import server_connection

#: The app's entry point, the script ``streamlit run`` runs.
SCRIPT = PROJECT_ROOT / "streamlit_app.py"

#: Inline ``<script>`` elements (no ``src``) of an HTML page, their text captured.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)


def inline_script_hashes(html: str) -> list[str]:
    """The CSP source expressions (``'sha256-…'``) that allow exactly the inline scripts of ``html``."""
    hashes = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        hashes.append(f"'sha256-{digest}'")
    return list(dict.fromkeys(hashes))


def streamlit_index_html() -> str:
    """The page Streamlit serves at ``/`` (and for every page's address): its front end's ``index.html``."""
    import streamlit

    return (Path(streamlit.__file__).parent / "static" / "index.html").read_text(encoding="utf-8")


def content_security_policy(script_hashes: Iterable[str] = ()) -> str:
    """The Content-Security-Policy: everything from the app's own origin, nothing from anywhere else.

    - ``script-src 'self'`` plus the hash of each inline script of Streamlit's ``index.html`` (one line,
      ``window.prerenderReady = false``) and ``'wasm-unsafe-eval'``: Streamlit's protobuf bundle compiles a
      tiny embedded WebAssembly module for 64-bit integer arithmetic (the ``long`` library) when it loads.
      That keyword lets a page compile WebAssembly only; JavaScript ``eval``/``new Function`` stay blocked
      (no ``'unsafe-eval'``), and so do inline scripts (no ``'unsafe-inline'``).
    - ``style-src 'self' 'unsafe-inline'``: Streamlit's front end styles its components at run time
      (emotion writes ``<style>`` elements), plotly.js injects its own, and the Present page's ``st.html``
      carries a ``<style>`` block. Styles cannot run code.
    - ``img-src 'self' data: blob:``: Streamlit's icons and plotly's images are data:/blob: URLs; no
      image from another site loads at all, so an image address in a participant's text is never fetched.
    - ``font-src 'self' data:``: the fonts Streamlit ships, one of KaTeX's (for math in Markdown) inlined.
    - ``connect-src 'self'``: the websocket (``/_stcore/stream``), ``/_stcore/*`` and the map's topojson;
      CSP Level 3 lets ``'self'`` match ``ws:``/``wss:`` on the same host and port.
    - ``worker-src 'none'``, ``frame-src 'none'``, ``object-src 'none'``: the app starts no worker, frames
      nothing and embeds no plugin (Streamlit uses workers only for elements the app does not use: maplibre
      maps, graphviz, pydeck; a component iframe would need ``frame-src 'self'`` and a relaxed
      ``frame-ancestors``).
    - ``base-uri 'none'``, ``form-action 'self'``; audio and video fall back to ``default-src 'self'``.
    - ``frame-ancestors 'none'``: no site may frame the app (clickjacking); ``X-Frame-Options: DENY`` says
      the same to browsers that predate CSP 2.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'none'"],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


#: Browser features the app never uses, turned off for it and anything it might embed.
PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "display-capture", "geolocation", "gyroscope", "hid", "magnetometer",
    "microphone", "midi", "payment", "serial", "usb",
))


def security_headers(csp: str | None = None) -> dict[str, str]:
    """The headers :class:`SecurityHeaders` adds (``csp``: the Content-Security-Policy, default
    :func:`content_security_policy` with the hashes of Streamlit's ``index.html``)."""
    if csp is None:
        csp = content_security_policy(inline_script_hashes(streamlit_index_html()))
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # No Referer at all: an image or link in participant-supplied text never learns the app's address.
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class SecurityHeaders:
    """ASGI middleware: adds ``headers`` (default :func:`security_headers`) to every HTTP response.

    A response that already carries one of these headers keeps its own value (a page added as a route may
    need a policy of its own). Websocket connections and lifespan events pass through unchanged. A plain
    ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``, so streamed and file responses are not
    buffered. Use it as ``Middleware(SecurityHeaders)`` in any Starlette or ``st.App`` middleware list.
    """

    def __init__(self, app: ASGIApp, headers: Mapping[str, str] | None = None) -> None:
        self.app = app
        self.headers = dict(security_headers() if headers is None else headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in response_headers:
                        response_headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(*, routes: Sequence[BaseRoute] = (), middleware: Sequence[Middleware] = ()) -> Any:
    """The workbench as an ASGI app: ``streamlit_app.py`` as ``st.App``, :class:`SecurityHeaders` outermost.

    The participants' pages (:func:`workbench.participants.routes.routes`, on the app's one connection) and
    ``routes`` are served beside Streamlit's by the same process, under the same headers; ``middleware`` runs
    inside the header middleware.
    """
    import streamlit as st
    from streamlit.web import bootstrap

    # What `streamlit run` does first: the script's folder on sys.path.
    if str(SCRIPT.parent) not in sys.path:
        sys.path.insert(0, str(SCRIPT.parent))
    # The participants' transactional mail goes out at once from this process (never behind a batch).
    sender = Sender(server_connection).start()
    pages = participant_routes(Site(connect=server_connection, on_mail=sender.wake))
    app = st.App(SCRIPT, routes=[*pages, *routes], middleware=[Middleware(SecurityHeaders), *middleware])
    # Read the configuration again now that st.App has named the script, so the project's
    # .streamlit/config.toml applies whatever the working directory (as with `streamlit run`), and take the
    # address and port uvicorn listens on from the environment (`workbench serve` sets them): Streamlit
    # derives the sign-in redirect's {port} and the upload route's origin from them.
    bootstrap.load_config_options(_listening_options(os.environ))
    return app


def _listening_options(environ: Mapping[str, str]) -> dict[str, Any]:
    """``STREAMLIT_SERVER_ADDRESS`` and ``STREAMLIT_SERVER_PORT`` as Streamlit's command-line options (only
    ``streamlit run`` reads its environment variables itself)."""
    options: dict[str, Any] = {}
    if environ.get("STREAMLIT_SERVER_ADDRESS", "").strip():
        options["server_address"] = environ["STREAMLIT_SERVER_ADDRESS"].strip()
    if environ.get("STREAMLIT_SERVER_PORT", "").strip():
        options["server_port"] = int(environ["STREAMLIT_SERVER_PORT"])
    return options


__all__ = [
    "PERMISSIONS_POLICY",
    "SCRIPT",
    "SecurityHeaders",
    "content_security_policy",
    "create_app",
    "inline_script_hashes",
    "security_headers",
]
