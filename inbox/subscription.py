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


def _confirming(request: Request) -> tuple[str, str] | Response:
    """The address and token of a genuine, fresh confirmation link, or the page that says what is wrong."""
    inbox = current(request)
    token = request.query_params.get("token", "")
    try:
        return inbox.signer.verify("confirm", token, inbox.settings.confirm_hours * 3600), token
    except tokens.ExpiredToken:
        return inbox.notice(messages.CONFIRM_EXPIRED, 410)
    except tokens.BadToken:
        return inbox.notice(messages.CONFIRM_BAD, 400)


async def confirm_page(request: Request) -> Response:
    """GET and HEAD: ask, with a button that posts. A link scanner's visit confirms no one."""
    checked = _confirming(request)
    if isinstance(checked, Response):
        return checked
    email, token = checked
    return current(request).page("confirm.html", email=email, token=token)


async def confirm(request: Request) -> Response:
    """POST: the reader pressed the button."""
    checked = _confirming(request)
    if isinstance(checked, Response):
        return checked
    inbox = current(request)
    if not await inbox.db(store.confirm, checked[0], now()):
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
