"""«Nyhetsbrev» on the staff page, and the pump that sends issues, welcome mails and the monthly digest.

Staff pick articles the site's feed has and no issue has carried, write a subject and an
introduction, look at the mail in HTML and plain text, send a test to themselves, and then send it to
every confirmed subscriber. Sending commits one send row per subscriber (:mod:`inbox.letters`); the
pump moves them into the outbox at ``--newsletter-per-minute`` and the outbox worker delivers them.
The issue's page refreshes itself (``<meta http-equiv=refresh>``: the CSP allows no script) while it
sends; ``…/status`` gives the same counts as JSON.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.routing import Route

from . import forms, letters, messages, newsletter_mail, staff, validation
from .core import OSLO, Inbox, now
from .mail import UnsafeHeader
from .store import utc

log = logging.getLogger("inbox.newsletter")

TICK = 1.0            # seconds between the pump's rounds
MAX_FORM = 64 * 1024  # bytes of a staff form here (an introduction is longer than the other staff forms)
MAX_FIELDS = 100      # the feed's 50 articles as checkboxes, and the rest
WELCOME_WAIT = dt.timedelta(hours=1)  # a welcome waits this long for the feed before it goes without articles
# The preview is the mail's HTML as it is: its inline styles, in a sandbox, nothing else.
PREVIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'; "
               "frame-ancestors 'none'; base-uri 'none'; sandbox")


def feed(inbox: Inbox) -> newsletter_mail.Feed:
    """The process's feed reader, made on first use."""
    if not hasattr(inbox, "newsletter_feed"):
        inbox.newsletter_feed = newsletter_mail.Feed(inbox.settings.site_url)  # type: ignore[attr-defined]
    return inbox.newsletter_feed  # type: ignore[attr-defined]


def _compose(inbox: Inbox, issue: dict[str, Any], recipient: str, kind: str = "issue") -> str:
    subject = messages.NEWSLETTER_TEST_SUBJECT.format(subject=issue["subject"]) if kind == "test" else issue["subject"]
    return newsletter_mail.compose(
        inbox.settings.mail_from, recipient, subject, now=now(), campaign_name=issue["campaign"],
        intro=issue["intro"], articles=issue["articles"], site_url=inbox.settings.site_url,
        unsubscribe_url=forms.unsubscribe_url(inbox, recipient),
        kind="digest" if kind == "issue" and issue.get("digest") else kind,
        month=issue.get("month", ""))


# --- staff requests ---------------------------------------------------------------------------


# As staff.staff_action (session, own origin, CSRF token), for forms larger than the other staff forms.
_action = staff.staff_form(MAX_FORM, MAX_FIELDS)


def _first(raw: dict[str, list[str]], name: str) -> str:
    return (raw.get(name) or [""])[0]


async def _articles(inbox: Inbox) -> tuple[list[newsletter_mail.Article], bool]:
    """The feed's articles and whether it was read."""
    try:
        return await run_in_threadpool(feed(inbox).read), True
    except Exception as error:  # noqa: BLE001 - the site being down must not break the staff page
        log.warning(messages.LOG_NEWSLETTER_FEED, type(error).__name__)
        return [], False


async def _overview(inbox: Inbox, session: str, status: int = 200, **form: Any) -> Response:
    articles, readable = await _articles(inbox)
    carried = await inbox.db(letters.carried_urls)
    issues = await inbox.db(letters.list_issues)
    for issue in issues:
        if issue["queued_at"] and not issue["finished_at"]:
            issue["progress"] = await inbox.db(letters.progress, issue["id"])
    opts = await inbox.db(letters.get_options, now())
    return inbox.page("nyhetsbrev.html", status, csrf=inbox.csrf(session), readable=readable,
                      fresh=[a for a in articles if a.url not in carried], issues=issues, options=opts,
                      subscribers=await inbox.db(letters.recipients), feed_url=inbox.settings.site_url + newsletter_mail.FEED,
                      rate=inbox.settings.newsletter_per_minute, chosen=form.get("chosen", []),
                      subject=form.get("subject", ""), intro=form.get("intro", ""), error=form.get("error", ""),
                      notice=messages.NEWSLETTER_NOTICES.get(str(form.get("melding", "")), ""))


@staff.staff_page
async def overview(request: Request, inbox: Inbox, session: str) -> Response:
    return await _overview(inbox, session, melding=request.query_params.get("melding", ""))


@_action
async def create(request: Request, inbox: Inbox, session: str, raw: dict[str, list[str]]) -> Response:
    """A draft from the chosen articles, subject and introduction; then its page, with the previews."""
    subject, intro, chosen = _first(raw, "subject"), _first(raw, "intro").replace("\r\n", "\n"), raw.get("article", [])
    articles, _ = await _articles(inbox)
    carried = await inbox.db(letters.carried_urls)
    picked = [a for a in articles if a.url in set(chosen) and a.url not in carried]
    error = ""
    try:
        subject = newsletter_mail.check_subject(subject)
    except UnsafeHeader:
        error = messages.NEWSLETTER_BAD_SUBJECT
    if not error and not picked:
        error = messages.NEWSLETTER_NO_ARTICLES
    if not error and len(intro) > 5000:
        error = messages.NEWSLETTER_LONG_INTRO
    if error:
        return await _overview(inbox, session, 400, chosen=chosen, subject=subject, intro=intro, error=error)
    moment = now()
    issue_id = await inbox.db(letters.create_issue, subject, intro, newsletter_mail.article_rows(picked),
                              newsletter_mail.campaign(subject, moment.astimezone(OSLO)), moment)
    return RedirectResponse(inbox.url_for("letters_issue", issue_id=issue_id), status_code=303)


async def _issue_or_404(inbox: Inbox, request: Request) -> dict[str, Any] | Response:
    issue = await inbox.db(letters.get_issue, request.path_params["issue_id"])
    return issue if issue is not None else inbox.notice(messages.NEWSLETTER_MISSING, 404)


@staff.staff_page
async def issue_page(request: Request, inbox: Inbox, session: str) -> Response:
    issue = await _issue_or_404(inbox, request)
    if isinstance(issue, Response):
        return issue
    counts = await inbox.db(letters.progress, issue["id"]) if issue["queued_at"] else {}
    text = await run_in_threadpool(lambda: newsletter_mail.preview_text(**_preview_context(inbox, issue)))
    return inbox.page("nyhetsbrev-utgave.html", csrf=inbox.csrf(session), issue=issue, counts=counts,
                      sending=bool(issue["queued_at"] and not issue["finished_at"]), text=text,
                      subscribers=await inbox.db(letters.recipients), staff_email=inbox.settings.staff_email,
                      rate=inbox.settings.newsletter_per_minute,
                      notice=messages.NEWSLETTER_NOTICES.get(request.query_params.get("melding", ""), ""))


def _preview_context(inbox: Inbox, issue: dict[str, Any]) -> dict[str, Any]:
    recipient = inbox.settings.staff_email
    return {"sender": inbox.settings.mail_from, "recipient": recipient, "subject": issue["subject"], "now": now(),
            "campaign_name": issue["campaign"], "intro": issue["intro"], "articles": issue["articles"],
            "site_url": inbox.settings.site_url, "unsubscribe_url": forms.unsubscribe_url(inbox, recipient),
            "kind": "digest" if issue["digest"] else "issue"}


@staff.staff_page
async def preview(request: Request, inbox: Inbox, session: str) -> Response:
    """The HTML part, as it is sent: in its own sandboxed page (the staff page's CSP has no inline styles)."""
    issue = await _issue_or_404(inbox, request)
    if isinstance(issue, Response):
        return issue
    html = await run_in_threadpool(lambda: newsletter_mail.preview_html(**_preview_context(inbox, issue)))
    return HTMLResponse(html, headers={"content-security-policy": PREVIEW_CSP})


@staff.staff_page
async def status(request: Request, inbox: Inbox, session: str) -> Response:
    issue = await _issue_or_404(inbox, request)
    if isinstance(issue, Response):
        return issue
    counts = await inbox.db(letters.progress, issue["id"])
    return JSONResponse({"id": issue["id"], "recipients": issue["recipients"], "finished": bool(issue["finished_at"]),
                         "started": bool(issue["queued_at"]), **counts})


@_action
async def send_test(request: Request, inbox: Inbox, session: str, raw: dict[str, list[str]]) -> Response:
    issue = await _issue_or_404(inbox, request)
    if isinstance(issue, Response):
        return issue
    email = validation.normalise_email(_first(raw, "email") or inbox.settings.staff_email)
    if validation.email_error(email):
        return _back(inbox, issue["id"], "ugyldig-adresse")
    message = await run_in_threadpool(_compose, inbox, issue, email, "test")
    await inbox.db(letters.queue_test, email, message, now())
    inbox.wake.set()
    return _back(inbox, issue["id"], "test-sendt")


@_action
async def send(request: Request, inbox: Inbox, session: str, raw: dict[str, list[str]]) -> Response:
    """Send to every confirmed subscriber: the send rows are committed before the page says «i kø»."""
    issue = await _issue_or_404(inbox, request)
    if isinstance(issue, Response):
        return issue
    if _first(raw, "bekreft") != "ja":
        return _back(inbox, issue["id"], "bekreft")
    queued = await inbox.db(letters.start_sending, issue["id"], now())
    if queued is not None:
        log.info(messages.LOG_NEWSLETTER_QUEUED, issue["id"], queued)
    return _back(inbox, issue["id"], "i-ko" if queued is not None else "allerede-sendt")


@_action
async def digest_settings(request: Request, inbox: Inbox, session: str, raw: dict[str, list[str]]) -> Response:
    day = _first(raw, "day")
    if not (day.isascii() and day.isdigit() and 1 <= int(day) <= 28):
        return RedirectResponse(inbox.url_for("letters", query={"melding": "ugyldig-dag"}), status_code=303)
    moment = now().astimezone(OSLO)
    handled = f"{moment:%Y-%m}" if moment.day >= int(day) else ""
    await inbox.db(letters.set_digest, _first(raw, "digest") == "ja", int(day), handled, now())
    return RedirectResponse(inbox.url_for("letters", query={"melding": "sammendrag-lagret"}), status_code=303)


def _back(inbox: Inbox, issue_id: int, notice: str) -> Response:
    return RedirectResponse(inbox.url_for("letters_issue", issue_id=issue_id, query={"melding": notice}),
                            status_code=303)


class IssueId(IntegerConvertor):
    """An issue's id in a path: at most ten digits (as app.RowId, which is registered after this import)."""

    regex = "[0-9]{1,10}"


register_url_convertor("issueid", IssueId())

ROUTES = [
    Route("/staff/nyhetsbrev", overview, methods=["GET"], name="letters"),
    Route("/staff/nyhetsbrev", create, methods=["POST"]),
    Route("/staff/nyhetsbrev/sammendrag", digest_settings, methods=["POST"], name="letters_digest"),
    Route("/staff/nyhetsbrev/{issue_id:issueid}", issue_page, methods=["GET"], name="letters_issue"),
    Route("/staff/nyhetsbrev/{issue_id:issueid}/html", preview, methods=["GET"], name="letters_preview"),
    Route("/staff/nyhetsbrev/{issue_id:issueid}/status", status, methods=["GET"], name="letters_status"),
    Route("/staff/nyhetsbrev/{issue_id:issueid}/test", send_test, methods=["POST"], name="letters_test"),
    Route("/staff/nyhetsbrev/{issue_id:issueid}/send", send, methods=["POST"], name="letters_send"),
]


# --- the pump -------------------------------------------------------------------------------------


async def pump(inbox: Inbox) -> None:
    """Each TICK: issues into the outbox at the rate, welcome mails, the monthly digest, finished issues."""
    while not inbox.stopping:
        try:
            await inbox.db(letters.get_options, now())  # the first time: from now on, confirmations get a welcome
            if await run_in_threadpool(pump_once, inbox, now()):
                inbox.wake.set()
        except Exception as error:  # noqa: BLE001 - a database or site hiccup must not end the pump
            log.error(messages.LOG_NEWSLETTER_PUMP, type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        await asyncio.sleep(TICK)


def pump_once(inbox: Inbox, moment: dt.datetime) -> int:
    """One round (blocking); the number of mails put into the outbox."""
    engine = inbox.engine
    if given_up := letters.give_up(engine):
        log.warning(messages.LOG_NEWSLETTER_GAVE_UP, given_up)
    queued = move_due(inbox, moment) + welcome(inbox, moment)
    digest(inbox, moment)
    for issue_id in letters.finish(engine, moment):
        log.info(messages.LOG_NEWSLETTER_FINISHED, issue_id)
    return queued


def move_due(inbox: Inbox, moment: dt.datetime) -> int:
    """Compose the next send rows and move them into the outbox, within the rate of the last minute."""
    rate = inbox.settings.newsletter_per_minute
    # The share of the rate since the last round (a round takes TICK plus its own work), at most 10 s of it.
    last = getattr(inbox, "newsletter_round", None)
    inbox.newsletter_round = moment  # type: ignore[attr-defined]
    elapsed = min(10.0, max(TICK, (moment - last).total_seconds())) if last else TICK
    allowance = rate - letters.moved_since(inbox.engine, moment - dt.timedelta(minutes=1))
    if allowance <= 0 or letters.stalled(inbox.engine):
        return 0
    rows = letters.waiting(inbox.engine, min(allowance, math.ceil(rate * elapsed / 60)))
    issues: dict[int, dict[str, Any]] = {}
    composed = []
    for row in rows:
        issue = issues.get(row["issue_id"]) or letters.get_issue(inbox.engine, row["issue_id"])
        assert issue is not None
        issues[row["issue_id"]] = issue
        composed.append((row["id"], row["email"], _compose(inbox, issue, row["email"])))
    return letters.move(inbox.engine, composed, moment, rate) if composed else 0


def welcome(inbox: Inbox, moment: dt.datetime) -> int:
    """A welcome mail, with the three newest articles, for each address confirmed since the feature started.

    While the feed cannot be read, a welcome waits up to WELCOME_WAIT for it, then goes without the
    articles, with a link to the site's list of articles instead.
    """
    due = letters.unwelcomed(inbox.engine)
    if not due:
        return 0
    try:
        articles: list[newsletter_mail.Article] | None = feed(inbox).read()[:newsletter_mail.WELCOME_ARTICLES]
    except Exception as error:  # noqa: BLE001 - the site may be down; see WELCOME_WAIT
        log.warning(messages.LOG_NEWSLETTER_FEED, type(error).__name__)
        articles = None
    issue = {"subject": messages.WELCOME_SUBJECT, "campaign": newsletter_mail.WELCOME_CAMPAIGN, "intro": "",
             "articles": newsletter_mail.article_rows(articles or [])}
    queued = 0
    for row in due:
        if articles is None and utc(row["confirmed_at"]) > moment - WELCOME_WAIT:
            continue
        queued += letters.queue_welcome(inbox.engine, row["email"], _compose(inbox, issue, row["email"], "welcome"),
                                        moment)
    return queued


def digest(inbox: Inbox, moment: dt.datetime) -> int | None:
    """On the chosen day of each month, the articles since the last digest that no issue carried, if any."""
    opts = letters.get_options(inbox.engine, moment)
    local = moment.astimezone(OSLO)
    month = f"{local:%Y-%m}"
    if not opts["digest_enabled"] or local.day < opts["digest_day"] or opts["digest_month"] == month:
        return None
    try:
        articles = feed(inbox).read()
    except Exception as error:  # noqa: BLE001 - tried again next round
        log.warning(messages.LOG_NEWSLETTER_FEED, type(error).__name__)
        return None
    since = utc(opts["digest_since"]) if opts["digest_since"] else moment - dt.timedelta(days=31)
    carried = letters.carried_urls(inbox.engine)
    fresh = [a for a in articles if a.url not in carried and a.moment and since < a.moment <= moment]
    subject = messages.digest_subject(local)
    issue_id = letters.start_digest(inbox.engine, month, subject, newsletter_mail.article_rows(fresh),
                                    f"sammendrag-{month}", moment)
    if issue_id is not None:
        log.info(messages.LOG_NEWSLETTER_DIGEST, issue_id, len(fresh))
    return issue_id
