"""The ASGI application: routes, middleware, and the background work that runs while it is up.

Each concern has its module: :mod:`inbox.forms` (the site's forms),
:mod:`inbox.subscription` (links in newsletter email), :mod:`inbox.staff`
(the staff pages), :mod:`inbox.worker` (outbox and retention),
:mod:`inbox.middleware` (headers and Norwegian error pages). Every response is
built from autoescaped templates or JSON; every SQL statement is in
:mod:`inbox.store`; every Norwegian text is in :mod:`inbox.messages`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from hub.forms import BOOKING, NEWSLETTER

from . import booking, forms, newsletter, oauth, staff, stats, subscription, worker
from .core import Inbox, current
from .middleware import ErrorPages, SecurityHeaders
from .settings import LOOPBACK, Settings



class RowId(IntegerConvertor):
    """A row id in a path: at most ten digits, so a 5,000-digit one is a 404 rather than int()'s ValueError."""

    regex = "[0-9]{1,10}"


register_url_convertor("rowid", RowId())


async def health(request: Request) -> Response:
    """For monitoring: ok only while the database accepts writes (a full disk answers 503)."""
    ok = await current(request).healthy()
    return JSONResponse({"status": "ok" if ok else "error", "database": "ok" if ok else "error"},
                        status_code=200 if ok else 503)


ROUTES = [
    # The form endpoints' paths and names come from the declaration the site's forms are rendered from.
    Route(BOOKING.path, forms.booking, methods=["POST"], name=BOOKING.kind),
    Route(NEWSLETTER.path, forms.newsletter, methods=["POST"], name=NEWSLETTER.kind),
    Route(BOOKING.path, forms.preflight, methods=["OPTIONS"]),
    Route(NEWSLETTER.path, forms.preflight, methods=["OPTIONS"]),
    Route("/newsletter/confirm", subscription.confirm_page, methods=["GET"], name="confirm"),
    Route("/newsletter/confirm", subscription.confirm, methods=["POST"]),
    Route("/newsletter/unsubscribe", subscription.unsubscribe_page, methods=["GET"], name="unsubscribe"),
    Route("/newsletter/unsubscribe", subscription.unsubscribe, methods=["POST"]),
    Route("/health", health, methods=["GET"], name="health"),
    Route("/staff/", staff.leads, methods=["GET"], name="staff"),
    Route("/staff/login", staff.login_page, methods=["GET"], name="login"),
    Route("/staff/login", staff.login, methods=["POST"]),
    Route("/staff/logout", staff.logout, methods=["POST"], name="logout"),
    Route("/staff/leads/{lead_id:rowid}/status", staff.set_status, methods=["POST"], name="status"),
    Route("/staff/erase", staff.erase, methods=["POST"], name="erase"),
    Route("/staff/erase", staff.erase_page, methods=["GET"]),  # and HEAD: both only ask
    Route("/staff/henvendelser.csv", staff.leads_csv, methods=["GET"], name="leads_csv"),
    Route("/staff/abonnenter.csv", staff.subscribers_csv, methods=["GET"], name="subscribers_csv"),
    *oauth.ROUTES,
    *booking.ROUTES,
    *newsletter.ROUTES,
    *stats.ROUTES,
    Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
]


def allowed_hosts(settings: Settings) -> list[str]:
    """The public URL's host name (and any configured extra), so a rebinding DNS name is refused.

    A loopback inbox (local preview) also answers to the other loopback names:
    no outside name can resolve to them for another visitor.
    """
    hosts = [settings.public_host, *settings.allowed_hosts]
    if settings.public_host in LOOPBACK:
        hosts += LOOPBACK
    return sorted(set(hosts))


def create_app(settings: Settings) -> ASGIApp:
    """The ASGI application; the outbox worker and retention run while it is up."""
    inbox = Inbox(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(worker.deliver_mail(inbox)), asyncio.create_task(worker.enforce_retention(inbox)),
                 asyncio.create_task(booking.refresh_busy(inbox)),  # issue 20: consultants' busy calendars
                 asyncio.create_task(newsletter.pump(inbox))]  # issue 18: newsletter sends into the outbox
        try:
            yield
        finally:
            inbox.stopping = True  # the loops end even if a cancellation were lost
            inbox.wake.set()
            inbox.titles.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            inbox.engine.dispose()

    app = Starlette(routes=ROUTES, lifespan=lifespan)
    app.state.inbox = inbox
    inbox.router = app.router
    guarded = TrustedHostMiddleware(app, allowed_hosts=allowed_hosts(settings), www_redirect=False)
    wrapped = SecurityHeaders(ErrorPages(guarded, inbox.error), settings)
    wrapped.inbox = inbox  # type: ignore[attr-defined]  # for tests and the benchmark
    return wrapped
