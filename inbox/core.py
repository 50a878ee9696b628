"""What every endpoint shares: settings, database, signer, pages, URLs, the client's address and its limits."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Router

from hub.forms import origin

from . import limits, messages, store, titles, tokens
from .export import OSLO
from .settings import Settings

log = logging.getLogger("inbox")

HEALTH_CACHE = 5.0  # seconds a health answer is reused, so /health cannot be used to hammer the database


class TooLarge(Exception):
    """The body is over the limit (413)."""


class TooSlow(Exception):
    """The body did not arrive within the read timeout (408)."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _format_time(moment: dt.datetime | None) -> str:
    return store.utc(moment).astimezone(OSLO).strftime("%d.%m.%Y %H:%M") if moment else ""


# The inbox's own templates, then the site's overrides/ for the one form macro both render from
# (partials/forms.html): the same name as in MkDocs' theme.
SITE_TEMPLATES = Path(__file__).resolve().parent.parent / "overrides"
_pages = Environment(loader=ChoiceLoader([PackageLoader("inbox", "templates"), FileSystemLoader(SITE_TEMPLATES)]),
                     autoescape=select_autoescape(default=True), undefined=StrictUndefined, trim_blocks=True,
                     lstrip_blocks=True)
_pages.filters["time"] = _format_time


class Inbox:
    """One inbox process: its settings, engine, signer and mail worker's wake-up event."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = store.connect(settings.database_url)
        self.signer = tokens.Signer(settings.secret)
        self.titles = titles.Titles(settings.site_url)  # the articles' titles, read from the built site
        self.proxies = limits.Proxies(limits.parse_networks(settings.forwarded_allow_ips))
        # Sessions made with another password hash end at their next use: changing the password logs everyone out.
        self.password_tag = self.signer.digest("password", settings.staff_password_hash)
        self.wake = asyncio.Event()
        self.stopping = False
        self.router: Router | None = None  # set by create_app, for url_for
        self._health: tuple[float, bool] = (-HEALTH_CACHE, False)

    # --- addresses -------------------------------------------------------------------

    def client(self, request: Request) -> str:
        """The client's address, read through the trusted proxies only."""
        peer = request.client.host if request.client else "unknown"
        return self.proxies.client(peer, request.headers.getlist("x-forwarded-for"))

    def key(self, purpose: str, client: str) -> str:
        """A keyed hash for a limit on *client* (its address bucket): the database holds no address."""
        return self.signer.digest("limit", f"{purpose}\x1f{limits.bucket(client)}")

    def url_for(self, name: str, query: dict[str, str] | None = None, **path: Any) -> str:
        """The full public address of a named route, as email and redirects need it."""
        return self.settings.public_url.rstrip("/") + self.path_for(name, query, **path)

    def path_for(self, name: str, query: dict[str, str] | None = None, **path: Any) -> str:
        """The path of a named route under the public URL, as the inbox's own pages link to it."""
        assert self.router is not None
        target = urlsplit(self.settings.public_url).path.rstrip("/") + str(self.router.url_path_for(name, **path))
        return f"{target}?{urlencode(query)}" if query else target

    def site_link(self, link: str) -> str:
        return {"site": self.settings.site_url, "newsletter": self.settings.site_url + "nyhetsbrev/"}.get(link) \
            or self.url_for(link)

    # --- pages -----------------------------------------------------------------------

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("site_url", self.settings.site_url)
        return _pages.get_template(template).render(url_for=self.path_for, **context)

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(self.render(template, **context), status_code=status)

    def notice(self, notice: messages.Notice, status: int = 200) -> HTMLResponse:
        link = self.site_link(notice.link) if notice.link else ""
        return self.page("message.html", status, title=notice.title, text=notice.text, link=link,
                         link_text=notice.link_text or "Tilbake til nettstedet")

    def error(self, status: int, wants_json: bool) -> Response:
        """The Norwegian answer for an HTTP error, as a page or as the site's JSON."""
        notice = messages.error(status)
        if wants_json:
            return JSONResponse({"ok": False, "message": notice.text, "errors": {}}, status_code=status)
        return self.notice(notice, status)

    # --- work ------------------------------------------------------------------------

    async def db(self, function: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(function, self.engine, *args)

    async def healthy(self) -> bool:
        """Whether the database accepts a write now (or did within the last few seconds)."""
        checked, ok = self._health
        if time.monotonic() - checked < HEALTH_CACHE:
            return ok
        try:
            ok = await self.db(store.check_writes, now())
        except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
            log.error(messages.LOG_HEALTH_FAILED, type(error).__name__)
            ok = False
        self._health = (time.monotonic(), ok)
        return ok

    # --- staff sessions ----------------------------------------------------------------

    @staticmethod
    def token_hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    async def session(self, request: Request) -> str | None:
        """The staff session's token if it is alive in the database (any process may have ended it)."""
        token = request.cookies.get(SESSION_COOKIE, "")
        if not token:
            return None
        alive = await self.db(store.use_session, self.token_hash(token), self.password_tag, now(),
                              dt.timedelta(hours=self.settings.session_hours),
                              dt.timedelta(minutes=self.settings.idle_minutes))
        return token if alive else None

    def csrf(self, session: str) -> str:
        return self.signer.digest("csrf", session)


SESSION_COOKIE = "inbox_staff"
DEVICE_COOKIE = "inbox_device"  # a browser that has logged in before: it may still try when the account is throttled


def sent_origin(request: Request) -> str:
    """The origin a post says it comes from: Origin, or else Referer's; "" when neither is readable."""
    try:
        return (request.headers.get("origin") or origin(request.headers.get("referer", "") or "")).lower()
    except ValueError:  # a malformed Referer such as "http://[x/"
        return ""


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def current(request: Request) -> Inbox:
    return request.app.state.inbox


async def read_form(request: Request, limit: int, timeout: float, max_fields: int = 40) -> dict[str, list[str]]:
    """The posted fields. TooLarge over *limit*, TooSlow past *timeout*; ValueError when not UTF-8, with
    more than *max_fields* fields, or when the client went away."""
    body = await read_body(request, limit, timeout)
    return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The body, refusing more than *limit* bytes whether or not Content-Length tells the truth."""
    declared = request.headers.get("content-length", "")
    if declared and (not (declared.isascii() and declared.isdigit()) or int(declared) > limit):
        raise TooLarge
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):  # a body that stalls after a few bytes does not hold a worker
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise TooLarge
    except TimeoutError:
        raise TooSlow from None
    except ClientDisconnect:
        raise ValueError("the client went away") from None
    return bytes(body)
