"""HTTP: the form endpoints, the newsletter links, the health check and the staff pages.

Forms work without JavaScript: a good post is answered 303 to the site's
thank-you page, a bad one with this server's own page showing the form again
with the messages next to the fields. The site's script asks for JSON
(``Accept: application/json``) and gets ``{"ok", "message", "errors"}``.
Every response is built from autoescaped templates or JSON; every SQL
statement is in :mod:`inbox.store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import export, mail, store, tokens, validation
from .settings import Settings, origin

log = logging.getLogger("inbox")

SESSION_COOKIE = "inbox_staff"
THANKS = {"booking": "takk/", "newsletter": "sjekk-innboksen/"}
SUCCESS = {
    "booking": "Takk! Vi har mottatt forespørselen din og tar kontakt innen én arbeidsdag.",
    "newsletter": "Sjekk innboksen din for å bekrefte. Vi har sendt deg en e-post med en lenke.",
}
STATUS_LABELS = {"ny": "Ny", "kontaktet": "Kontaktet", "avsluttet": "Avsluttet"}
OSLO = ZoneInfo("Europe/Oslo")  # staff read times in Norwegian time (tzdata is pinned for machines without it)

_pages = Environment(loader=PackageLoader("inbox", "templates"), autoescape=select_autoescape(default=True),
                     undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# -----------------------------------------------------------------------------
# Limits
# -----------------------------------------------------------------------------


@dataclass
class RateLimiter:
    """At most *limit* events per *window* seconds for each key (a sliding window in memory)."""

    limit: int
    window: float = 60.0
    _hits: dict[str, deque[float]] = field(default_factory=dict)

    def allow(self, key: str, now: float | None = None) -> bool:
        if self.limit <= 0:
            return True
        now = time.monotonic() if now is None else now
        if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return False
        hits.append(now)
        return True


class _TooLarge(Exception):
    pass


async def _read_form(request: Request, limit: int) -> dict[str, list[str]]:
    """The posted fields; _TooLarge over *limit*, ValueError when not UTF-8 or too many fields."""
    return parse_qs((await _read_body(request, limit)).decode("utf-8"), keep_blank_values=True, max_num_fields=40)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than *limit* bytes whether or not Content-Length tells the truth."""
    declared = request.headers.get("content-length", "")
    if declared and (not declared.isdigit() or int(declared) > limit):
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _TooLarge
    return bytes(body)


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
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in self.headers if h[0] not in present]
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -----------------------------------------------------------------------------
# The application
# -----------------------------------------------------------------------------


class Inbox:
    """The endpoints, sharing one engine, signer, rate limiters and outbox worker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = store.connect(settings.database_url)
        self.signer = tokens.Signer(settings.secret)
        self.forms = RateLimiter(settings.rate_limit)
        self.logins = RateLimiter(5 if settings.rate_limit else 0)
        self.wake = asyncio.Event()
        self.stopping = False
        self.allowed_origins = {settings.site_origin, origin(settings.public_url)}

    # --- helpers ---------------------------------------------------------------

    def client(self, request: Request) -> str:
        if self.settings.trust_proxy and (forwarded := request.headers.get("x-forwarded-for")):
            return forwarded.split(",")[-1].strip()
        return request.client.host if request.client else "unknown"

    def origin_ok(self, request: Request) -> bool:
        """Cross-site request forgery guard: the post must come from the site or from this server's own pages."""
        sent = request.headers.get("origin") or origin(request.headers.get("referer", "")) or ""
        own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
        return sent.lower() in self.allowed_origins | {own} and sent != "null"

    def cors(self, request: Request) -> dict[str, str]:
        sent = request.headers.get("origin", "").lower()
        return {"access-control-allow-origin": sent, "vary": "Origin"} if sent in self.allowed_origins else {}

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("site_url", self.settings.site_url)
        return HTMLResponse(_pages.get_template(template).render(**context), status_code=status)

    def url(self, path: str, **query: str) -> str:
        base = self.settings.public_url.rstrip("/") + path
        return f"{base}?{urlencode(query)}" if query else base

    async def db(self, function: Callable[..., Any], *args: Any) -> Any:
        return await run_in_threadpool(function, self.engine, *args)

    # --- forms -------------------------------------------------------------------

    async def booking(self, request: Request) -> Response:
        return await self.submit(request, validation.BOOKING)

    async def newsletter(self, request: Request) -> Response:
        return await self.submit(request, validation.NEWSLETTER)

    async def submit(self, request: Request, form: validation.Form) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        refused = await self.refuse(request, wants_json)
        if refused:
            return refused
        try:
            raw = await _read_form(request, self.settings.max_body)
        except _TooLarge:
            return self.problem(request, wants_json, 413, "Skjemaet er for stort. Korte ned meldingen og prøv igjen.")
        except ValueError:  # not UTF-8, or too many fields
            return self.problem(request, wants_json, 400, "Skjemaet kunne ikke leses. Prøv igjen fra nettstedet.")
        submission = validation.validate(form, raw)
        if submission.trapped:
            log.info("Honeypot filled in on the %s form from %s; discarded", form.kind, self.client(request))
            return self.success(request, form, wants_json)
        if not submission.ok:
            return self.invalid(request, submission, wants_json)
        now = _now()
        token = validation.form_token(submission, now.strftime("%Y%m%d%H"))
        # Committed before the answer: a 2xx/303 means the submission is on disk.
        stored = await (self.store_booking(submission, token, now) if form is validation.BOOKING
                        else self.store_signup(submission, token, now))
        if stored:
            self.wake.set()
        return self.success(request, form, wants_json)

    async def refuse(self, request: Request, wants_json: bool) -> Response | None:
        if not self.origin_ok(request):
            log.warning("Refused a form post from origin %r", request.headers.get("origin"))
            return self.problem(request, wants_json, 403, "Skjemaet må sendes fra nettstedet vårt.")
        if not self.forms.allow(self.client(request)):
            response = self.problem(request, wants_json, 429,
                                    "Du har sendt mange skjemaer på kort tid. Vent et minutt og prøv igjen.")
            response.headers["retry-after"] = "60"
            return response
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return self.problem(request, wants_json, 415, "Skjemaet ble sendt i et format vi ikke kan lese.")
        return None

    async def store_booking(self, submission: validation.Submission, token: str, now: dt.datetime) -> bool:
        lead = submission.values
        outgoing = []
        if self.settings.staff_email:
            notification = mail.booking_notification(
                self.settings.mail_from, self.settings.staff_email, lead, now=now,
                article_url=self.settings.site_url + lead["page"] if lead["page"] else "",
                staff_url=self.url("/staff/"))
            outgoing.append(store.Mail(self.settings.staff_email, notification, about=lead["email"]))
        return await self.db(store.store_lead, "booking", token, lead, now, outgoing)

    async def store_signup(self, submission: validation.Submission, token: str, now: dt.datetime) -> bool:
        email = submission.values["email"]
        confirmation = mail.confirmation(
            self.settings.mail_from, email, now=now,
            confirm_url=self.url("/newsletter/confirm", token=self.signer.sign("confirm", email, now.timestamp())),
            unsubscribe_url=self.unsubscribe_url(email), hours=self.settings.confirm_hours)
        return await self.db(store.store_signup, token, submission.values, now,
                             store.Mail(email, confirmation, about=email))

    def unsubscribe_url(self, email: str) -> str:
        return self.url("/newsletter/unsubscribe", token=self.signer.sign("unsubscribe", email))

    def success(self, request: Request, form: validation.Form, wants_json: bool) -> Response:
        if wants_json:
            return JSONResponse({"ok": True, "message": SUCCESS[form.kind]}, headers=self.cors(request))
        return RedirectResponse(self.settings.site_url + THANKS[form.kind], status_code=303)

    def invalid(self, request: Request, submission: validation.Submission, wants_json: bool) -> Response:
        count = len(submission.errors)
        summary = ("Skjemaet har én feil." if count == 1 else f"Skjemaet har {count} feil.") + " Se meldingene ved feltene."
        if wants_json:
            return JSONResponse({"ok": False, "message": summary, "errors": submission.errors}, status_code=422,
                                headers=self.cors(request))
        return self.page("form.html", 422, kind=submission.form.kind, values=submission.values,
                         errors=submission.errors, summary=summary, action=str(request.url.path))

    def problem(self, request: Request, wants_json: bool, status: int, message: str) -> Response:
        if wants_json:
            return JSONResponse({"ok": False, "message": message, "errors": {}}, status_code=status,
                                headers=self.cors(request))
        return self.page("message.html", status, title="Skjemaet ble ikke sendt", text=message)

    async def preflight(self, request: Request) -> Response:
        headers = self.cors(request)
        if headers:
            headers |= {"access-control-allow-methods": "POST", "access-control-allow-headers": "Accept, Content-Type",
                        "access-control-max-age": "600"}
        return Response(status_code=204, headers=headers)

    # --- newsletter links ----------------------------------------------------------

    async def confirm(self, request: Request) -> Response:
        try:
            email = self.signer.verify("confirm", request.query_params.get("token", ""),
                                       self.settings.confirm_hours * 3600)
        except tokens.ExpiredToken:
            return self.page("message.html", 410, title="Lenken er utløpt",
                             text="Bekreftelseslenken er for gammel. Meld deg på nyhetsbrevet på nytt, "
                                  "så sender vi en ny.", link=self.settings.site_url + "nyhetsbrev/")
        except tokens.BadToken:
            return self.page("message.html", 400, title="Lenken virker ikke",
                             text="Lenken er ufullstendig eller endret. Kopier hele lenken fra e-posten, "
                                  "eller meld deg på nyhetsbrevet på nytt.", link=self.settings.site_url + "nyhetsbrev/")
        if not await self.db(store.confirm, email, _now()):
            return self.page("message.html", 410, title="Påmeldingen finnes ikke lenger",
                             text="Adressen er meldt av eller slettet. Meld deg på igjen hvis du vil ha nyhetsbrevet.",
                             link=self.settings.site_url + "nyhetsbrev/")
        return self.page("message.html", title="Velkommen som abonnent!",
                         text="Takk for at du bekreftet. Du får neste nyhetsbrev fra Arctic Sales Development "
                              "på e-post. Hver utgave har en lenke for å melde seg av.",
                         link=self.settings.site_url, link_text="Til artiklene")

    async def unsubscribe(self, request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            email = self.signer.verify("unsubscribe", token, None)
        except tokens.BadToken:
            return self.page("message.html", 400, title="Lenken virker ikke",
                             text="Lenken er ufullstendig eller endret. Kopier hele lenken fra e-posten.")
        if request.method == "GET":
            # A GET only asks: link checkers in mail systems open links without anyone clicking.
            return self.page("unsubscribe.html", email=email, token=token)
        await self.db(store.unsubscribe, email)
        return self.page("message.html", title="Du er meldt av",
                         text="Du får ikke flere nyhetsbrev fra oss, og adressen er slettet fra listen.",
                         link=self.settings.site_url, link_text="Til nettstedet")

    async def health(self, request: Request) -> Response:
        try:
            ok = await self.db(store.healthy)
        except Exception as error:  # noqa: BLE001 - any database failure means unhealthy
            log.error("Health check failed: %s", error)
            ok = False
        return JSONResponse({"status": "ok" if ok else "error", "database": "ok" if ok else "error"},
                            status_code=200 if ok else 503)

    # --- staff -----------------------------------------------------------------------

    def session(self, request: Request) -> str | None:
        try:
            return self.signer.verify("staff", request.cookies.get(SESSION_COOKIE, ""), self.settings.session_hours * 3600)
        except tokens.BadToken:
            return None

    def csrf(self, session: str) -> str:
        return self.signer.digest("csrf", session)

    async def staff_form(self, request: Request) -> tuple[str, dict[str, str]] | Response:
        """The session and posted fields of a staff action, or the refusal: 401 without login, 403 on CSRF."""
        session = self.session(request)
        if session is None:
            return self.page("message.html", 401, title="Du er ikke logget inn",
                             text="Logg inn på ansattsiden først.", link=self.url("/staff/login"), link_text="Logg inn")
        try:
            raw = await _read_form(request, 4096)
        except (_TooLarge, ValueError):
            return self.page("message.html", 400, title="Ugyldig forespørsel", text="Skjemaet kunne ikke leses.")
        fields = {key: values[0] for key, values in raw.items()}
        if not self.origin_ok(request) or not secrets.compare_digest(fields.get("csrf", ""), self.csrf(session)):
            log.warning("Refused a staff action without a valid CSRF token from %s", self.client(request))
            return self.page("message.html", 403, title="Handlingen ble avvist",
                             text="Skjemaet var utløpt eller kom fra en annen side. Last ansattsiden på nytt og prøv igjen.",
                             link=self.url("/staff/"), link_text="Til ansattsiden")
        return session, fields

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.page("login.html", configured=bool(self.settings.staff_password_hash))
        if not self.origin_ok(request):
            return self.page("message.html", 403, title="Handlingen ble avvist", text="Logg inn fra ansattsiden.")
        if not self.logins.allow(self.client(request)):
            return self.page("login.html", 429, configured=True,
                             error="For mange forsøk. Vent et minutt og prøv igjen.")
        try:
            raw = await _read_form(request, 4096)
        except (_TooLarge, ValueError):
            raw = {}
        password = (raw.get("password") or [""])[0]
        stored = self.settings.staff_password_hash
        if not stored or not await run_in_threadpool(tokens.check_password, password, stored):
            return self.page("login.html", 401, configured=bool(stored), error="Feil passord.")
        response = RedirectResponse(self.url("/staff/"), status_code=303)
        response.set_cookie(SESSION_COOKIE, self.signer.sign("staff", secrets.token_urlsafe(24)),
                            max_age=self.settings.session_hours * 3600, path="/staff",
                            httponly=True, samesite="strict", secure=self.settings.secure_cookies)
        return response

    async def logout(self, request: Request) -> Response:
        checked = await self.staff_form(request)
        if isinstance(checked, Response):
            return checked
        response = RedirectResponse(self.url("/staff/login"), status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/staff")
        return response

    async def staff(self, request: Request) -> Response:
        session = self.session(request)
        if session is None:
            return RedirectResponse(self.url("/staff/login"), status_code=303)
        leads = await self.db(store.list_leads)
        outbox = await self.db(store.outbox_state)
        return self.page("staff.html", leads=leads, csrf=self.csrf(session), statuses=STATUS_LABELS,
                         outbox=outbox, retention_days=self.settings.retention_days,
                         notice=request.query_params.get("melding", ""))

    async def set_status(self, request: Request) -> Response:
        checked = await self.staff_form(request)
        if isinstance(checked, Response):
            return checked
        _, fields = checked
        lead_id = request.path_params["lead_id"]
        status = fields.get("status", "")
        if status not in STATUS_LABELS:
            return self.page("message.html", 400, title="Ukjent status", text="Velg ny, kontaktet eller avsluttet.")
        if not await self.db(store.set_status, lead_id, status):
            return self.page("message.html", 404, title="Fant ikke henvendelsen", text="Den kan være slettet.")
        return RedirectResponse(self.url("/staff/", melding="Status lagret."), status_code=303)

    async def erase(self, request: Request) -> Response:
        checked = await self.staff_form(request)
        if isinstance(checked, Response):
            return checked
        _, fields = checked
        email = validation.clean(fields.get("email", "")).lower()
        if not validation.valid_email(email):
            return RedirectResponse(self.url("/staff/", melding="Skriv inn en gyldig e-postadresse."), status_code=303)
        removed = await self.db(store.erase, email)
        log.info("Erased everything about an address at staff request: %s", removed)
        total = sum(removed.values())
        return RedirectResponse(self.url("/staff/", melding=f"Slettet {total} oppføringer om {email}."),
                                status_code=303)

    async def leads_csv(self, request: Request) -> Response:
        if self.session(request) is None:
            return RedirectResponse(self.url("/staff/login"), status_code=303)
        rows = await run_in_threadpool(lambda: list(store.iter_leads(self.engine)))
        columns = ["created_at", "kind", "status", "name", "company", "email", "phone", "message", "article", "page"]
        return _csv("henvendelser.csv", columns, rows)

    async def subscribers_csv(self, request: Request) -> Response:
        if self.session(request) is None:
            return RedirectResponse(self.url("/staff/login"), status_code=303)
        rows = await self.db(store.confirmed_subscribers)
        return _csv("abonnenter.csv", ["email", "confirmed_at", "created_at", "article"], rows)

    # --- background work ----------------------------------------------------------------

    async def deliver_mail(self) -> None:
        """Deliver the outbox: now when a submission wakes us, else every few seconds."""
        while not self.stopping:
            self.wake.clear()
            try:
                await self.drain()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                log.exception("The outbox could not be read; trying again shortly")
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives as the event is set, and the worker would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self.wake.wait()

    async def drain(self) -> None:
        for item in await self.db(store.due_mail, _now()):
            try:
                await run_in_threadpool(self.settings.delivery.send, item["recipient"], item["message"])
            except Exception as error:  # noqa: BLE001 - SMTP fails in many ways; each is retried
                retry = _now() + mail.retry_delay(item["attempts"])
                log.warning("Email %d not delivered (attempt %d): %s; next try %s", item["id"],  # no address
                            item["attempts"] + 1, mail.describe_error(error), retry.isoformat(timespec="seconds"))
                await self.db(store.mail_failed, item["id"], str(error), retry)
            else:
                await self.db(store.mail_sent, item["id"])

    async def enforce_retention(self) -> None:
        while not self.stopping:
            try:
                removed = await self.db(store.purge, _now(), dt.timedelta(days=self.settings.retention_days),
                                        dt.timedelta(hours=self.settings.confirm_hours))
                if any(removed.values()):
                    log.info("Retention: deleted %s", removed)
            except Exception:  # noqa: BLE001
                log.exception("Retention deletion failed; trying again in an hour")
            await asyncio.sleep(3600)


def _csv(filename: str, columns: list[str], rows: Iterable[dict[str, Any]]) -> Response:
    return Response(export.csv_bytes(columns, rows), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{filename}"'})


def _format_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = store.utc(moment).astimezone(OSLO)
    return local.strftime("%d.%m.%Y %H:%M")


_pages.filters["time"] = _format_time


def create_app(settings: Settings) -> ASGIApp:
    """The ASGI application; the outbox worker and retention run while it is up."""
    inbox = Inbox(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(inbox.deliver_mail()), asyncio.create_task(inbox.enforce_retention())]
        try:
            yield
        finally:
            inbox.stopping = True  # the loops end even if a cancellation were lost
            inbox.wake.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            inbox.engine.dispose()

    app = Starlette(
        routes=[
            Route("/booking", inbox.booking, methods=["POST"]),
            Route("/newsletter", inbox.newsletter, methods=["POST"]),
            Route("/booking", inbox.preflight, methods=["OPTIONS"]),
            Route("/newsletter", inbox.preflight, methods=["OPTIONS"]),
            Route("/newsletter/confirm", inbox.confirm, methods=["GET"]),
            Route("/newsletter/unsubscribe", inbox.unsubscribe, methods=["GET", "POST"]),
            Route("/health", inbox.health, methods=["GET"]),
            Route("/staff/", inbox.staff, methods=["GET"]),
            Route("/staff/login", inbox.login, methods=["GET", "POST"]),
            Route("/staff/logout", inbox.logout, methods=["POST"]),
            Route("/staff/leads/{lead_id:int}/status", inbox.set_status, methods=["POST"]),
            Route("/staff/erase", inbox.erase, methods=["POST"]),
            Route("/staff/henvendelser.csv", inbox.leads_csv, methods=["GET"]),
            Route("/staff/abonnenter.csv", inbox.subscribers_csv, methods=["GET"]),
            Mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        ],
        lifespan=lifespan,
    )
    wrapped = SecurityHeaders(app, settings)
    wrapped.inbox = inbox  # type: ignore[attr-defined]  # for tests and the benchmark
    return wrapped
