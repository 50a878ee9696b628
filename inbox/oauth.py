"""Sign-in for the web editor at /admin/ (Decap CMS, GitHub backend): the OAuth code exchange.

GitHub's code exchange needs the OAuth app's client secret, which must never
reach a browser, so it runs here. Decap opens ``/oauth/github/auth`` in a
popup; we send the popup to GitHub with a random ``state`` that is signed and
bound to a short-lived cookie; GitHub sends it back to
``/oauth/github/callback``, where the state must match the cookie (once: the
cookie is cleared), the code is exchanged for a token, and the token is handed
to the editor only if the account may push to the repository. The hand-over is
Decap's postMessage handshake ("authorizing:github", then
"authorization:github:success:{json}"), addressed to the site's origin only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import messages, tokens
from .core import Inbox, current

log = logging.getLogger("inbox.oauth")

STATE_COOKIE = "editor_oauth_state"
STATE_PURPOSE = "editor-oauth-state"
STATE_SECONDS = 600          # the sign-in at GitHub must be finished within ten minutes
SCOPES = ("repo", "public_repo")  # what Decap asks for: private repositories, or public ones only
TIMEOUT = 10                 # seconds for each call to GitHub
PROVIDER = "github"

# The popup's only script: the handshake with the editor, to the site's origin only. Its hash is the
# page's script-src, so nothing else can run there.
HANDSHAKE = (
    "(function () {\n"
    "  var data = document.getElementById('oauth').dataset;\n"
    "  if (!window.opener) { return; }\n"
    "  window.addEventListener('message', function (event) {\n"
    "    if (event.origin !== data.site || event.data !== 'authorizing:github') { return; }\n"
    "    window.opener.postMessage(data.message, data.site);\n"
    "  });\n"
    "  window.opener.postMessage('authorizing:github', data.site);\n"
    "})();\n"
)
HANDSHAKE_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(HANDSHAKE.encode()).digest()).decode() + "'"


class SignInError(Exception):
    """The sign-in cannot go on; the message is the Norwegian text shown in the popup and the editor."""


def configured(inbox: Inbox) -> bool:
    settings = inbox.settings
    return bool(settings.github_client_id and settings.github_client_secret and settings.github_repo)


def callback_url(inbox: Inbox) -> str:
    return inbox.url_for("oauth_callback")


async def start(request: Request) -> Response:
    """Send the popup to GitHub's sign-in with a fresh state, bound to this browser by a cookie."""
    inbox = current(request)
    if not configured(inbox):
        return inbox.notice(messages.EDITOR_NOT_CONFIGURED, 404)
    if request.query_params.get("provider", PROVIDER) != PROVIDER:
        return _answer(inbox, error=messages.EDITOR_SIGN_IN_PROVIDER, status=400)
    scope = request.query_params.get("scope", "repo")
    nonce = secrets.token_urlsafe(32)
    query = urllib.parse.urlencode({
        "client_id": inbox.settings.github_client_id,
        "redirect_uri": callback_url(inbox),
        "scope": scope if scope in SCOPES else "repo",
        "state": inbox.signer.sign(STATE_PURPOSE, nonce),
        "allow_signup": "false",
    })
    response = RedirectResponse(f"{inbox.settings.github_url.rstrip('/')}/login/oauth/authorize?{query}", 302)
    response.set_cookie(STATE_COOKIE, nonce, max_age=STATE_SECONDS, path="/oauth/github",
                        secure=inbox.settings.secure_cookies, httponly=True, samesite="lax")
    return response


async def callback(request: Request) -> Response:
    """Check the state, exchange the code, check write access, and hand the token to the editor."""
    inbox = current(request)
    if not configured(inbox):
        return inbox.notice(messages.EDITOR_NOT_CONFIGURED, 404)
    try:
        _check_state(inbox, request)
        code = request.query_params.get("code", "")
        if not code or len(code) > 200:
            raise SignInError(messages.EDITOR_SIGN_IN_DENIED)
        token = await run_in_threadpool(_exchange, inbox, code)
        await run_in_threadpool(_check_push, inbox, token)
    except SignInError as error:
        response = _answer(inbox, error=str(error), status=400)
    else:
        log.info(messages.LOG_EDITOR_SIGNED_IN)
        response = _answer(inbox, token=token)
    response.delete_cookie(STATE_COOKIE, path="/oauth/github", secure=inbox.settings.secure_cookies,
                           httponly=True, samesite="lax")
    return response


def _check_state(inbox: Inbox, request: Request) -> None:
    given = request.query_params.get("state", "")
    cookie = request.cookies.get(STATE_COOKIE, "")
    if request.query_params.get("error"):
        raise SignInError(messages.EDITOR_SIGN_IN_DENIED)
    try:
        nonce = inbox.signer.verify(STATE_PURPOSE, given, STATE_SECONDS)
    except tokens.BadToken:
        raise SignInError(messages.EDITOR_SIGN_IN_STATE) from None
    if not cookie or not tokens.same(nonce, cookie):
        raise SignInError(messages.EDITOR_SIGN_IN_STATE)


def _exchange(inbox: Inbox, code: str) -> str:
    """The access token for *code*, from GitHub's token endpoint (the only place the secret goes)."""
    settings = inbox.settings
    body = urllib.parse.urlencode({"client_id": settings.github_client_id,
                                   "client_secret": settings.github_client_secret,
                                   "code": code, "redirect_uri": callback_url(inbox)}).encode()
    answer = _call(urllib.request.Request(f"{settings.github_url.rstrip('/')}/login/oauth/access_token",
                                          data=body, headers={"Accept": "application/json"}))
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        log.warning(messages.LOG_EDITOR_NO_TOKEN, str(answer.get("error", "ingen feilkode"))[:40])
        raise SignInError(messages.EDITOR_SIGN_IN_DENIED)
    return token


def _check_push(inbox: Inbox, token: str) -> None:
    """Only an account that may push to the repository gets the token (GitHub enforces it again on every write)."""
    settings = inbox.settings
    request = urllib.request.Request(
        f"{settings.github_api_url.rstrip('/')}/repos/{settings.github_repo}",
        headers={"Accept": "application/vnd.github+json", "Authorization": f"Bearer {token}",
                 "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "arcticsales-inbox"})
    answer = _call(request)
    permissions = answer.get("permissions")
    if not isinstance(permissions, dict) or permissions.get("push") is not True:
        log.info(messages.LOG_EDITOR_NO_PUSH)
        raise SignInError(messages.EDITOR_SIGN_IN_NO_ACCESS)


def _call(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read(256 * 1024))
    except urllib.error.HTTPError as error:
        log.warning(messages.LOG_EDITOR_GITHUB_STATUS, error.code)
        raise SignInError(messages.EDITOR_SIGN_IN_NO_ACCESS if error.code in (401, 403, 404)
                          else messages.EDITOR_SIGN_IN_FAILED) from None
    except (OSError, ValueError):
        log.warning(messages.LOG_EDITOR_GITHUB_DOWN)
        raise SignInError(messages.EDITOR_SIGN_IN_FAILED) from None
    return answer if isinstance(answer, dict) else {}


def _answer(inbox: Inbox, token: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    """The popup's page: the handshake's message for the editor, and a Norwegian line for the person."""
    if token:
        message = f"authorization:{PROVIDER}:success:" + json.dumps({"token": token, "provider": PROVIDER})
    else:
        message = f"authorization:{PROVIDER}:error:" + json.dumps({"message": error}, ensure_ascii=False)
    html = inbox.render("oauth.html", title=messages.EDITOR_SIGN_IN_TITLE,
                        text=messages.EDITOR_SIGN_IN_DONE if token else error,
                        site_origin=inbox.settings.site_origin, message=message, script=HANDSHAKE)
    response = HTMLResponse(html, status_code=status)
    response.headers["content-security-policy"] = (
        f"default-src 'none'; script-src {HANDSHAKE_HASH}; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.headers["referrer-policy"] = "no-referrer"
    return response


ROUTES = [
    Route("/oauth/github/auth", start, methods=["GET"], name="oauth_start"),
    Route("/oauth/github/callback", callback, methods=["GET"], name="oauth_callback"),
]
