"""ASGI middleware around the whole inbox: security headers, and Norwegian pages for every error.

Starlette, its router and its TrustedHostMiddleware answer errors in English
plain text ("Not Found", "Method Not Allowed", "Invalid host header",
"Internal Server Error"). Our own handlers never answer plain text, so
:class:`ErrorPages` replaces every plain-text error, wherever it comes from,
with the Norwegian page (or JSON for the site's script) in the inbox's style.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import Settings


class SecurityHeaders:
    """Headers for every response of the inbox: nothing framed, sniffed, cached or leaked in a referrer."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy",
             (f"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {settings.site_origin}; "
              "frame-ancestors 'none'; base-uri 'none'").encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            # same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on our own form posts.
            (b"referrer-policy", b"same-origin"),
            (b"cache-control", b"no-store"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in self.headers if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ErrorPages:
    """Turn every plain-text error answer into the inbox's Norwegian page, without a trace."""

    def __init__(self, app: ASGIApp, render: Callable[[int, bool], Response]) -> None:
        self.app = app
        self.render = render  # (status, wants_json) -> response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] = {}

        async def replace_plain_errors(message: Message) -> None:
            if message["type"] == "http.response.start":
                kind = Headers(raw=message.get("headers", [])).get("content-type", "")
                if message["status"] >= 400 and kind.startswith("text/plain"):
                    held["status"] = message["status"]
                    held["allow"] = Headers(raw=message.get("headers", [])).get("allow")  # kept on a 405
                    return
            elif "status" in held:  # the English body: swallowed, and the Norwegian answer sent at its end
                if not message.get("more_body", False):
                    request = Request(scope)
                    answer = self.render(held.pop("status"), "application/json" in request.headers.get("accept", ""))
                    if held.get("allow"):
                        answer.headers["allow"] = held["allow"]
                    await answer(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, replace_plain_errors)
