"""``workbench serve``: run the app under uvicorn with security headers on every response.

    workbench serve [--host 127.0.0.1] [--port 8501]

The same app as ``streamlit run streamlit_app.py``, served as Streamlit's ASGI app
(:mod:`workbench.ui.server`, started by its import string so the command line never imports Streamlit) with
``Content-Security-Policy``, ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff``,
``Referrer-Policy: no-referrer`` and ``Permissions-Policy`` on every HTTP response. It listens on
127.0.0.1 only unless ``--host`` says otherwise; to serve other machines, put a reverse proxy with TLS in
front rather than listening on 0.0.0.0.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from workbench.cli._common import Commands, UsageError
from workbench.config import settings
from workbench.errors import WorkbenchError

#: uvicorn's import string for the app factory (workbench.ui.server.create_app).
APP = "workbench.ui.server:create_app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501

#: The websocket settings `streamlit run` gives uvicorn (Streamlit 1.67's defaults: server.maxMessageSize
#: 200 MB, a ping every 30 s, no per-message compression), so the app behaves the same under `serve`.
WS_MAX_SIZE = 200 * 1_000_000
WS_PING_SECONDS = 30.0


def register(commands: Commands) -> None:
    """Add ``serve``."""
    p = commands.add(
        "serve", _cmd_serve, "Run the app (uvicorn) with security headers on every response.",
        description="Run the workbench app as Streamlit's ASGI app under uvicorn, with Content-Security-Policy, "
                    "X-Frame-Options, X-Content-Type-Options, Referrer-Policy and Permissions-Policy on every "
                    "response. The database is $WORKBENCH_DB (build it first with `workbench init`). "
                    "Ctrl+C stops it.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="the address to listen on (default: 127.0.0.1, this machine only; to serve others, put "
                        "a reverse proxy with TLS in front)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"the port (default: {DEFAULT_PORT})")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cmd_serve(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port; give a number from 1 to 65535, such as {DEFAULT_PORT}.")
    database = settings().db_path
    if not database.exists():
        raise WorkbenchError(f"There is no database at {database}. Build it with `workbench init` "
                             "(`make run` does), or point WORKBENCH_DB at one.")
    try:
        import uvicorn
    except ModuleNotFoundError:  # pragma: no cover - a dependency of the package
        raise WorkbenchError("uvicorn is not installed; reinstall the workbench (`make run` does).") from None

    if not _is_loopback(args.host):
        print(f"workbench serve: listening on {args.host}, reachable from other machines without TLS. "
              "Put a reverse proxy with TLS in front instead (README).", file=sys.stderr)
    # Streamlit's own idea of the address and port (the sign-in redirect's {port}, the upload route's origin)
    # follows ours: workbench.ui.server reads these two, as `streamlit run` would.
    os.environ["STREAMLIT_SERVER_ADDRESS"] = args.host
    os.environ["STREAMLIT_SERVER_PORT"] = str(args.port)
    print(f"workbench serve: http://{args.host}:{args.port} (Ctrl+C stops it)", file=sys.stderr, flush=True)
    uvicorn.run(
        APP, factory=True, host=args.host, port=args.port, lifespan="on",
        access_log=False, server_header=False, timeout_graceful_shutdown=5,
        ws="websockets-sansio", ws_max_size=WS_MAX_SIZE, ws_ping_interval=WS_PING_SECONDS,
        ws_ping_timeout=WS_PING_SECONDS, ws_per_message_deflate=False,
    )
    return 0


__all__ = ["APP", "register"]
