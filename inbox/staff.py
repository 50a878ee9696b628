"""The staff pages: login, the list of leads, status, erasure and the CSV exports.

Sessions live in the database, so logging out (in any inbox process), a
changed password and an idle timeout end them. Every state change is a POST
from the inbox's own origin carrying the session's CSRF token; the
:func:`staff_action` decorator checks both before the handler runs.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import export, limits, messages, store, tokens, validation
from .core import DEVICE_COOKIE, SESSION_COOKIE, Inbox, TooLarge, TooSlow, current, now, read_form, sent_origin

log = logging.getLogger("inbox.staff")

ACCOUNT = "staff"  # the one staff account; the login throttle counts per client and per account
DEVICE_DAYS = 90

Action = Callable[[Request, Inbox, dict[str, str]], Awaitable[Response]]


def _from_own_origin(inbox: Inbox, request: Request) -> bool:
    """Staff actions come from the inbox's own pages only, never from the site or anywhere else."""
    return sent_origin(request) == inbox.settings.public_origin


Page = Callable[[Request, Inbox, str], Awaitable[Response]]


def staff_page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A GET page for logged-in staff; others go to the login page."""

    @functools.wraps(handler)
    async def page(request: Request) -> Response:
        inbox = current(request)
        session = await inbox.session(request)
        if session is None:
            return RedirectResponse(inbox.url_for("login"), status_code=303)
        return await handler(request, inbox, session)

    return page


def staff_action(handler: Action | None = None, *, limit: int = 4096,
                 max_fields: int = 40) -> Any:
    """A POST by logged-in staff: 401 without a session, 400 unreadable, 403 without origin and CSRF token.

    The handler gets each field's first value and the session. ``@staff_action`` takes forms of up to 4 KiB
    and 40 fields; ``@staff_action(limit=…, max_fields=…)`` larger ones.
    """

    def decorate(handler: Action) -> Callable[[Request], Awaitable[Response]]:
        async def fields_of(request: Request, inbox: Inbox, session: str, raw: dict[str, list[str]]) -> Response:
            fields = {key: values[0] for key, values in raw.items()}
            fields["session"] = session
            return await handler(request, inbox, fields)

        return functools.wraps(handler)(staff_form(limit, max_fields)(fields_of))

    return decorate(handler) if handler is not None else decorate


def staff_form(limit: int, max_fields: int) -> Callable[[Any], Callable[[Request], Awaitable[Response]]]:
    """As :func:`staff_action`, for a form of up to *limit* bytes and *max_fields* fields whose handler takes
    ``(request, inbox, session, fields)`` with every value of each field (checkbox lists)."""

    def decorate(handler: Any) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def action(request: Request) -> Response:
            inbox = current(request)
            session = await inbox.session(request)
            if session is None:
                return inbox.notice(messages.NOT_LOGGED_IN, 401)
            try:
                raw = await read_form(request, limit, inbox.settings.read_timeout, max_fields)
            except (TooLarge, TooSlow, ValueError):
                return inbox.notice(messages.STAFF_UNREADABLE, 400)
            csrf = (raw.get("csrf") or [""])[0]
            if not _from_own_origin(inbox, request) or not tokens.same(csrf, inbox.csrf(session)):
                log.warning(messages.LOG_STAFF_REFUSED)
                return inbox.notice(messages.STAFF_REFUSED, 403)
            return await handler(request, inbox, session, raw)

        return action

    return decorate


# --- login ---------------------------------------------------------------------------------


async def login_page(request: Request) -> Response:
    inbox = current(request)
    return inbox.page("login.html", configured=bool(inbox.settings.staff_password_hash))


async def login(request: Request) -> Response:
    inbox = current(request)
    if not _from_own_origin(inbox, request):
        return inbox.notice(messages.LOGIN_FOREIGN_ORIGIN, 403)
    client_key, account_key = inbox.key("login-client", inbox.client(request)), inbox.key("login-account", ACCOUNT)
    moment = now()
    counted = await _count_attempt(inbox, request, client_key, account_key, moment)
    if counted is None:
        return inbox.page("login.html", 429, configured=True, error=messages.LOGIN_THROTTLED)
    try:
        raw = await read_form(request, 4096, inbox.settings.read_timeout)
    except (TooLarge, TooSlow, ValueError):
        raw = {}
    password = (raw.get("password") or [""])[0]
    stored = inbox.settings.staff_password_hash
    if not stored or not await run_in_threadpool(tokens.check_password, password, stored):
        log.warning(messages.LOG_LOGIN_FAILED)
        return inbox.page("login.html", 401, configured=bool(stored), error=messages.WRONG_PASSWORD)
    await inbox.db(store.forget, counted, moment)  # only failures count
    token = secrets.token_urlsafe(32)
    await inbox.db(store.create_session, inbox.token_hash(token), inbox.password_tag, now())
    response = RedirectResponse(inbox.url_for("staff"), status_code=303)
    _set_cookie(inbox, response, SESSION_COOKIE, token, inbox.settings.session_hours * 3600)
    _set_cookie(inbox, response, DEVICE_COOKIE, inbox.signer.sign("device", ACCOUNT), DEVICE_DAYS * 86400)
    return response


async def _count_attempt(inbox: Inbox, request: Request, client_key: str, account_key: str,
                         moment: dt.datetime) -> list[str] | None:
    """Count this attempt before the password is checked, so parallel guesses cannot slip past the limit.

    None: too many failures from this client, or against the account from a
    browser that never logged in. Otherwise the keys it was counted under.
    """
    per_client, per_account = limits.LOGIN_PER_CLIENT, limits.LOGIN_PER_ACCOUNT
    if not await inbox.db(store.hit, client_key, per_client.count, per_client.window, moment):
        return None
    if await inbox.db(store.hit, account_key, per_account.count, per_account.window, moment):
        return [client_key, account_key]
    if _known_device(inbox, request):
        return [client_key]
    return None


def _known_device(inbox: Inbox, request: Request) -> bool:
    try:
        return inbox.signer.verify("device", request.cookies.get(DEVICE_COOKIE, ""), DEVICE_DAYS * 86400) == ACCOUNT
    except tokens.BadToken:
        return False


def _set_cookie(inbox: Inbox, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=_cookie_path(inbox), httponly=True, samesite="strict",
                        secure=inbox.settings.secure_cookies)


def _cookie_path(inbox: Inbox) -> str:
    """The staff pages' path under the public URL (which may have a path of its own)."""
    return inbox.path_for("staff").rstrip("/")


@staff_action
async def logout(request: Request, inbox: Inbox, fields: dict[str, str]) -> Response:
    await inbox.db(store.end_session, inbox.token_hash(fields["session"]))
    response = RedirectResponse(inbox.url_for("login"), status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=_cookie_path(inbox))
    return response


# --- the leads -------------------------------------------------------------------------------


@staff_page
async def leads(request: Request, inbox: Inbox, session: str) -> Response:
    rows = await inbox.db(store.list_leads)
    outbox = await inbox.db(store.outbox_state)
    await inbox.titles.refresh()
    for row in rows:
        row["title"] = inbox.titles.title(row["page"], row["article"])
    return inbox.page("staff.html", leads=rows, csrf=inbox.csrf(session), statuses=messages.STATUS_LABELS,
                      kinds=messages.KIND_LABELS, outbox=outbox, waiting=messages.outbox_waiting(outbox["waiting"]),
                      retention=messages.retention_note(inbox.settings.retention_days),
                      notice=messages.staff_notice(request.query_params.get("melding", ""),
                                                   request.query_params.get("antall", "")))


def _back(inbox: Inbox, notice: str, **query: str) -> Response:
    """Back to the staff page, with the key of a notice from messages.STAFF_NOTICES."""
    return RedirectResponse(inbox.url_for("staff", query={"melding": notice, **query}), status_code=303)


@staff_action
async def set_status(request: Request, inbox: Inbox, fields: dict[str, str]) -> Response:
    status = fields.get("status", "")
    if status not in messages.STATUS_LABELS:
        return inbox.notice(messages.UNKNOWN_STATUS, 400)
    if not await inbox.db(store.set_status, request.path_params["lead_id"], status):
        return inbox.notice(messages.LEAD_MISSING, 404)
    return _back(inbox, "status-lagret")


@staff_page
async def erase_page(request: Request, inbox: Inbox, session: str) -> Response:
    """The erasure step reached by a link, a reload or HEAD: it asks for the address and deletes nothing."""
    return inbox.page("erase.html", csrf=inbox.csrf(session), email="", counts={}, summary="")


@staff_action
async def erase(request: Request, inbox: Inbox, fields: dict[str, str]) -> Response:
    """Erasure in two posts, as in Ghost and WordPress: the first shows what would go, only «bekreft=ja» deletes."""
    typed = fields.get("email", "").strip()
    email = validation.normalise_email(typed)
    # Any stored address must stay erasable, also one today's validation would refuse.
    if "@" not in email or len(email) > 254:
        return _back(inbox, "ugyldig-adresse")
    if fields.get("bekreft") != "ja":
        counts = await inbox.db(store.erasable, email)
        return inbox.page("erase.html", csrf=inbox.csrf(fields["session"]), email=typed, counts=counts,
                          summary=messages.erase_summary(counts))
    removed = await inbox.db(store.erase, email)
    log.info(messages.LOG_ERASED, messages.removed(removed))
    return _back(inbox, "slettet", antall=str(sum(removed.values())))


# --- exports ------------------------------------------------------------------------------------

LEAD_COLUMNS = ["created_at", "kind", "status", "name", "company", "email", "phone", "message", "article", "page"]
SUBSCRIBER_COLUMNS = ["email", "confirmed_at", "created_at", "article"]


@staff_page
async def leads_csv(request: Request, inbox: Inbox, session: str) -> Response:
    rows = await run_in_threadpool(lambda: list(store.iter_leads(inbox.engine)))
    return _csv("henvendelser.csv", LEAD_COLUMNS, rows)


@staff_page
async def subscribers_csv(request: Request, inbox: Inbox, session: str) -> Response:
    return _csv("abonnenter.csv", SUBSCRIBER_COLUMNS, await inbox.db(store.confirmed_subscribers))


def _csv(filename: str, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    return Response(export.csv_bytes(columns, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
