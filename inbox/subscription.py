"""The links in newsletter email: confirming a signup, and unsubscribing.

Only an explicit POST changes anything. Starlette answers HEAD on every GET
route, and mail systems' link scanners open links with GET or HEAD, so those
only show a page.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from . import messages, store, tokens
from .core import current, now


async def confirm(request: Request) -> Response:
    """Confirming is safe on GET: it only completes what the reader asked for, and cannot subscribe anyone else."""
    inbox = current(request)
    try:
        email = inbox.signer.verify("confirm", request.query_params.get("token", ""),
                                    inbox.settings.confirm_hours * 3600)
    except tokens.ExpiredToken:
        return inbox.notice(messages.CONFIRM_EXPIRED, 410)
    except tokens.BadToken:
        return inbox.notice(messages.CONFIRM_BAD, 400)
    if request.method != "GET":  # HEAD: a scanner's look, which changes nothing
        return Response(status_code=200, media_type="text/html")
    if not await inbox.db(store.confirm, email, now()):
        return inbox.notice(messages.CONFIRM_GONE, 410)
    return inbox.notice(messages.CONFIRMED)


async def unsubscribe_page(request: Request) -> Response:
    """GET and HEAD: ask, with a button that posts."""
    inbox = current(request)
    token = request.query_params.get("token", "")
    try:
        email = inbox.signer.verify("unsubscribe", token, None)
    except tokens.BadToken:
        return inbox.notice(messages.UNSUBSCRIBE_BAD, 400)
    return inbox.page("unsubscribe.html", email=email, token=token)


async def unsubscribe(request: Request) -> Response:
    """POST: the button on the page, or a mail program's one-click unsubscribe (RFC 8058)."""
    inbox = current(request)
    try:
        email = inbox.signer.verify("unsubscribe", request.query_params.get("token", ""), None)
    except tokens.BadToken:
        return inbox.notice(messages.UNSUBSCRIBE_BAD, 400)
    await inbox.db(store.unsubscribe, email)
    return inbox.notice(messages.UNSUBSCRIBED)
