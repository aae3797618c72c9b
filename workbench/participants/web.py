"""What every participants' page shares: templates, language, CSRF, honeypot, rate and size limits, error pages.

The pages are plain server-rendered HTML (Jinja2, autoescaped: a participant's text is always data, never
markup) that work with JavaScript switched off and weigh at most 30 KB. They are Starlette routes of the one
serving process (:func:`workbench.participants.routes.routes`, mounted by :mod:`workbench.ui.server` beside
Streamlit's), sharing its database connection (a cursor per request).

A page is an ``async def page(ctx: Ctx) -> Response`` wrapped by :func:`endpoint`, which

- picks the language (``?lang=`` then ``Accept-Language``: :func:`workbench.participants.i18n.choose_language`);
- on a POST, reads the body (urlencoded only, at most :attr:`Site.max_body` bytes: 413 beyond), checks the
  CSRF field against the ``wb_csrf`` cookie (403 with "the form has expired" otherwise) unless the route is
  exempt (the RFC 8058 one-click POST comes from a mail provider, without cookie or field; the link's own
  signed token is its authority), and counts the client against :attr:`Site.client_limit` (429);
- turns :class:`~workbench.participants.tokens.BadToken` into 400, ``ExpiredToken`` into 410, a
  :class:`RateLimited` into 429, each with a page in the reader's language and a way forward, and any other
  exception into a 500 page: never a traceback (it goes to the server's log).

Every page carries its own Content-Security-Policy, stricter than the coordinators' (no script at all, styles
from the one stylesheet :data:`CSS_PATH`, ``frame-ancestors 'none'``); :class:`workbench.ui.server.SecurityHeaders`
adds the rest (X-Frame-Options, nosniff, no referrer, permissions) and keeps this policy.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from workbench import db
from workbench.participants import i18n
from workbench.participants.tokens import BadToken, ExpiredToken

log = logging.getLogger("workbench.participants")

#: The pages' templates, beside the message templates.
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "messages" / "templates" / "pages"
CSS_FILE = TEMPLATE_DIR / "site.css"
CSS_PATH = "/assets/participants.css"
#: No script at all; styles from the stylesheet only; forms post here only; no framing.
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; "
            "frame-ancestors 'none'")
#: The largest page the pages may send (the issue: 30 KB, everything included).
MAX_PAGE_BYTES = 30 * 1024
CSRF_COOKIE = "wb_csrf"
CSRF_FIELD = "csrf"
#: The honeypot: a field people never see or fill; a form that fills it is thanked and dropped.
HONEYPOT_FIELD = "website"
CSRF_MAX_AGE = 6 * 3600

T = TypeVar("T")


class RateLimited(Exception):
    """Too many requests from one client or for one email address; ``seconds`` until the next is taken."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"rate limited for {seconds:.0f} s")
        self.seconds = seconds


class CsrfFailed(Exception):
    """A POST without the form's CSRF field, or with one that does not belong to this browser."""


class TooLarge(Exception):
    """A request body over the limit (or not a form)."""


@dataclass
class RateLimit:
    """At most ``count`` events per key in any ``seconds`` (a sliding window, in memory, per process)."""

    count: int
    seconds: float
    _hits: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hit(self, key: str, *, now: float | None = None) -> None:
        """Count one event for ``key``; :class:`RateLimited` when it is one too many (not counted then)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                raise RateLimited(hits[0] + self.seconds - now)
            hits.append(now)
            if len(self._hits) > 10_000:  # forget quiet keys
                for stale in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
                    del self._hits[stale]


@dataclass
class Site:
    """One serving process's participant pages: its database, limits and the secret of its CSRF fields.

    ``connect`` returns the process's one connection (the app's, :func:`workbench.ui.connection.server_connection`);
    each request works on its own cursor. ``client_limit`` counts every POST of one client address (behind a
    reverse proxy, uvicorn's ``--forwarded-allow-ips`` makes that the visitor's), ``email_limit`` the forms sent
    for one email address (an application, a request for a new link).
    """

    connect: Callable[[], db.Connection]
    client_limit: RateLimit = field(default_factory=lambda: RateLimit(30, 600))
    email_limit: RateLimit = field(default_factory=lambda: RateLimit(5, 3600))
    max_body: int = 64 * 1024
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: Called after a write that queued transactional mail (the background sender's wake-up).
    on_mail: Callable[[], None] = lambda: None

    def cursor(self) -> db.Connection:
        return self.connect().cursor()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(cursor, *args, **kwargs)`` in a worker thread, on a fresh cursor closed afterwards."""

        def work() -> T:
            cur = self.cursor()
            try:
                return fn(cur, *args, **kwargs)
            finally:
                cur.close()

        return await run_in_threadpool(work)

    def csrf_value(self, cookie: str) -> str:
        stamp = str(int(time.time()))
        mac = hmac.new(self.secret, f"{cookie}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{stamp}.{mac}"

    def csrf_ok(self, cookie: str | None, value: str | None) -> bool:
        if not cookie or not value or "." not in value:
            return False
        stamp, _, mac = value.partition(".")
        if not stamp.isdigit() or time.time() - int(stamp) > CSRF_MAX_AGE:
            return False
        expected = hmac.new(self.secret, f"{cookie}|{stamp}".encode(), hashlib.sha256).hexdigest()[:32]
        return hmac.compare_digest(expected, mac)


@dataclass
class Form:
    """A posted form: each field's values, in order."""

    fields: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return [v for v in self.fields.get(name, []) if v.strip()]

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.get(HONEYPOT_FIELD).strip())


async def read_form(request: Request, limit: int) -> Form:
    """The urlencoded body, at most ``limit`` bytes (:class:`TooLarge` beyond, or for another content type)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    if body and kind != "application/x-www-form-urlencoded":
        raise TooLarge
    text = body.decode("utf-8", errors="replace")
    return Form(parse_qs(text, keep_blank_values=True, max_num_fields=200))


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,  # every template: a participant's text is data
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,  # with lstrip_blocks: no blank lines from template tags (every byte counts at 30 KB)
    lstrip_blocks=True,
)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Ctx:
    """One request to a participants' page: its language, texts, form (on POST), CSRF and rendering."""

    def __init__(self, site: Site, request: Request, *, form: Form | None = None) -> None:
        self.site = site
        self.request = request
        self.lang = i18n.choose_language(request.query_params.get("lang"), request.headers.get("accept-language"))
        self.t = i18n.Texts(self.lang)
        self.form = form or Form({})
        self._cookie = request.cookies.get(CSRF_COOKIE)
        self._new_cookie: str | None = None

    @property
    def csrf(self) -> str:
        """The value of the form's hidden CSRF field (setting the browser's cookie if it has none)."""
        if not self._cookie:
            self._cookie = self._new_cookie = secrets.token_urlsafe(18)
        return self.site.csrf_value(self._cookie)

    def url(self, path: str) -> str:
        """``path`` in the page's language (``?lang=`` kept only when it is not English)."""
        if self.lang == i18n.DEFAULT:
            return path
        return f"{path}{'&' if '?' in path else '?'}lang={self.lang}"

    def render(self, name: str, *, status: int = 200, title: str = "", **values: Any) -> Response:
        html = _environment.get_template(name).render(
            t=self.t, lang=self.lang, languages=i18n.LANGUAGES, title=title, csrf=self.csrf,
            csrf_field=CSRF_FIELD, honeypot=HONEYPOT_FIELD, css=CSS_PATH, path=self.request.url.path,
            url=self.url, **values)
        response = HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                                   "Cache-Control": "no-store"})
        if self._new_cookie:
            response.set_cookie(CSRF_COOKIE, self._new_cookie, max_age=CSRF_MAX_AGE, httponly=True,
                                samesite="lax", secure=self.request.url.scheme == "https", path="/")
        return response

    def message(self, title_key: str, body: str, *, status: int = 200, links: list[tuple[str, str]] = (),  # type: ignore[assignment]
                **values: Any) -> Response:
        """A page that says one thing: a title, a paragraph and links onward."""
        return self.render("message.html", status=status, title=self.t(title_key), body=body, links=list(links),
                           **values)

    def redirect(self, path: str) -> Response:
        return RedirectResponse(self.url(path), status_code=303)

    def limit_email(self, email: str) -> None:
        """Count a form for ``email`` (normalised by the caller): :class:`RateLimited` when one too many."""
        self.site.email_limit.hit("email:" + hashlib.sha256(email.encode()).hexdigest())


Page = Callable[[Ctx], Awaitable[Response]]


def endpoint(site: Site, page: Page, *, csrf: bool = True,
             csrf_exempt: Callable[[Form], bool] = lambda form: False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``page`` with the language, the POST checks and the error pages (see the module's docstring)."""

    async def handle(request: Request) -> Response:
        ctx = Ctx(site, request)
        try:
            if request.method == "POST":
                site.client_limit.hit("client:" + client_address(request))
                ctx.form = await read_form(request, site.max_body)
                if csrf and not csrf_exempt(ctx.form) and not site.csrf_ok(
                        request.cookies.get(CSRF_COOKIE), ctx.form.get(CSRF_FIELD)):
                    raise CsrfFailed
            return await page(ctx)
        except BadToken:
            return ctx.message("bad_link_title", ctx.t.bad_link_body, status=400, new_link=True)
        except ExpiredToken:
            return ctx.message("expired_link_title", ctx.t.expired_link_body, status=410, new_link=True)
        except CsrfFailed:
            return ctx.message("csrf_title", ctx.t.csrf_body, status=403)
        except RateLimited as exc:
            minutes = max(1, round(exc.seconds / 60 + 0.49))
            response = ctx.message("rate_title", ctx.t("rate_body", minutes=minutes), status=429)
            response.headers["Retry-After"] = str(int(exc.seconds) + 1)
            return response
        except TooLarge:
            return ctx.message("too_large_title", ctx.t("too_large_body", limit=site.max_body // 1024), status=413)
        except Exception:
            log.exception("participants' page %s %s failed", request.method, request.url.path)
            return ctx.message("error_title", ctx.t.error_body, status=500)

    return handle


def route(site: Site, path: str, page: Page, *, methods: tuple[str, ...] = ("GET",), **options: Any) -> Route:
    """A participants' page as a Starlette route (see :func:`endpoint`)."""
    return Route(path, endpoint(site, page, **options), methods=list(methods))


async def _css(request: Request) -> Response:
    return PlainTextResponse(CSS_FILE.read_text(encoding="utf-8"), media_type="text/css",
                             headers={"Cache-Control": "public, max-age=86400"})


def base_routes(site: Site) -> list[BaseRoute]:
    """The stylesheet every page links to."""
    return [Route(CSS_PATH, _css, methods=["GET"])]


__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "CSS_PATH", "HONEYPOT_FIELD", "MAX_PAGE_BYTES", "PAGE_CSP", "TEMPLATE_DIR",
           "CsrfFailed", "Ctx", "Form", "Page", "RateLimit", "RateLimited", "Site", "TooLarge", "base_routes",
           "client_address", "endpoint", "read_form", "route"]
