"""The booking and newsletter forms: refused, invalid or stored, and answered as page or JSON.

Forms work without JavaScript: a good post is answered 303 to the site's
thank-you page, a bad one with this server's own page showing the form again
with the messages next to the fields. The site's script asks for JSON
(``Accept: application/json``) and gets ``{"ok", "message", "errors"}``.
"""

from __future__ import annotations

import datetime as dt
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from hub import forms

from . import booking as slot_booking  # issue 20: booking with time slots
from . import limits, mail, messages, store, validation
from .core import Inbox, TooLarge, TooSlow, current, now, read_form, sent_origin, wants_json

log = logging.getLogger("inbox.forms")

CONTENT_TYPE = "application/x-www-form-urlencoded"


async def booking(request: Request) -> Response:
    return await _submit(request, forms.BOOKING)


async def newsletter(request: Request) -> Response:
    return await _submit(request, forms.NEWSLETTER)


async def preflight(request: Request) -> Response:
    """CORS preflight for the site's script; other origins get no permission."""
    headers = _cors(current(request), request)
    if headers:
        headers |= {"access-control-allow-methods": "POST", "access-control-allow-headers": "Accept, Content-Type",
                    "access-control-max-age": "600"}
    return Response(status_code=204, headers=headers)


async def _submit(request: Request, form: forms.Form) -> Response:
    inbox = current(request)
    refused = await _refuse(inbox, request)
    if refused:
        return refused
    try:
        raw = await read_form(request, inbox.settings.max_body, inbox.settings.read_timeout)
    except TooLarge:
        return _problem(inbox, request, 413, messages.FORM_TOO_LARGE)
    except TooSlow:  # the rest may still trickle in: end the connection rather than read it
        response = _problem(inbox, request, 408, messages.FORM_TOO_SLOW)
        response.headers["connection"] = "close"
        return response
    except ValueError:  # not UTF-8, or too many fields
        return _problem(inbox, request, 400, messages.FORM_UNREADABLE)
    submission = validation.validate(form, raw)
    if submission.trapped:
        log.info(messages.LOG_HONEYPOT, messages.KIND_LABELS[form.kind])
        return _success(inbox, request, form)
    if form is forms.BOOKING and submission.values.get("slot"):  # a chosen time: booked, not requested (issue 20)
        moment = now()
        return await slot_booking.submit(inbox, request, submission,
                                    validation.form_token(submission, moment.strftime("%Y%m%d%H")), moment)
    if not submission.ok:
        return _invalid(inbox, request, submission)
    moment = now()
    token = validation.form_token(submission, moment.strftime("%Y%m%d%H"))
    # Committed before the answer: a 2xx/303 means the submission is on disk.
    store_it = _store_booking if form is forms.BOOKING else _store_signup
    if await store_it(inbox, submission, token, moment):
        inbox.wake.set()
    return _success(inbox, request, form)


def _origin_allowed(inbox: Inbox, request: Request) -> bool:
    """Cross-site request forgery guard: from the site, or from this inbox's own form page."""
    return sent_origin(request) in {inbox.settings.site_origin, inbox.settings.public_origin}


async def _refuse(inbox: Inbox, request: Request) -> Response | None:
    if not _origin_allowed(inbox, request):
        log.warning(messages.LOG_FOREIGN_ORIGIN)
        return _problem(inbox, request, 403, messages.FORM_FOREIGN_ORIGIN)
    rate = inbox.settings.rate_limit
    if rate and not await inbox.db(store.hit, inbox.key("form", inbox.client(request)), rate, limits.FORM_WINDOW,
                                   now()):
        response = _problem(inbox, request, 429, messages.FORM_TOO_MANY)
        response.headers["retry-after"] = str(int(limits.FORM_WINDOW.total_seconds()))
        return response
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != CONTENT_TYPE:
        return _problem(inbox, request, 415, messages.FORM_UNSUPPORTED)
    return None


async def _store_booking(inbox: Inbox, submission: validation.Submission, token: str, moment: dt.datetime) -> bool:
    settings, lead = inbox.settings, submission.values
    outgoing = []
    if settings.staff_email:
        notification = mail.booking_notification(
            settings.mail_from, settings.staff_email, lead, now=moment,
            article_url=settings.site_url + lead["page"] if lead["page"] else "", staff_url=inbox.url_for("staff"))
        outgoing.append(store.Mail(settings.staff_email, notification, about=lead["email"]))
    return await inbox.db(store.store_lead, "booking", token, lead, moment, outgoing)


async def _store_signup(inbox: Inbox, submission: validation.Submission, token: str, moment: dt.datetime) -> bool:
    email = submission.values["email"]
    confirmation = mail.confirmation(
        inbox.settings.mail_from, email, now=moment,
        confirm_url=inbox.url_for("confirm", query={"token": inbox.signer.sign("confirm", email, moment.timestamp())}),
        unsubscribe_url=unsubscribe_url(inbox, email), hours=inbox.settings.confirm_hours)
    return await inbox.db(store.store_signup, token, submission.values, moment,
                          store.Mail(email, confirmation, about=email))


def unsubscribe_url(inbox: Inbox, email: str) -> str:
    return inbox.url_for("unsubscribe", query={"token": inbox.signer.sign("unsubscribe", email)})


def _cors(inbox: Inbox, request: Request) -> dict[str, str]:
    sent = request.headers.get("origin", "").lower()
    return {"access-control-allow-origin": sent, "vary": "Origin"} if sent == inbox.settings.site_origin else {}


def _success(inbox: Inbox, request: Request, form: forms.Form) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": True, "message": form.success}, headers=_cors(inbox, request))
    return RedirectResponse(inbox.settings.site_url + form.thanks, status_code=303)


def _invalid(inbox: Inbox, request: Request, submission: validation.Submission) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "message": forms.summary(len(submission.errors)),
                             "errors": submission.errors}, status_code=422, headers=_cors(inbox, request))
    return inbox.page("form.html", 422, form=submission.form, values=submission.values, errors=submission.errors)


def _problem(inbox: Inbox, request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"ok": False, "message": message, "errors": {}}, status_code=status,
                            headers=_cors(inbox, request))
    return inbox.page("message.html", status, title=messages.FORM_REFUSED_TITLE, text=message,
                      link=inbox.settings.site_url, link_text="Tilbake til nettstedet")
