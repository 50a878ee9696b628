"""Booking a free time on our own inbox: slot pages, the booking itself, invitations, links, and /staff/moter.

- Availability comes from the settings file (``--availability``, YAML or JSON,
  see ``inbox/availability.example.yaml``) until staff save it on
  /staff/moter; then the saved copy in the database counts, for every inbox
  process on it. Slots are computed by the pure :mod:`inbox.slots`.
- ``GET /moter/ledige.json`` (the site's script, CORS for the site only) and
  ``GET /moter/`` (a plain page, no script) list the free times; a time links
  to ``/moter/bestill``, the booking form with the time in a hidden field.
- The form posts to the booking endpoint (``/booking``) as before; with a
  ``slot`` it comes here. A slot is held by the unique (consultant, start_at)
  of the bookings table and an insert that does nothing on conflict, so two
  visitors who take one time at once get one booking between them; the
  other gets the Norwegian message and the next free times, with what they
  typed kept.
- Mail goes through the outbox: the visitor's confirmation (limited per address
  and hour, as newsletter confirmations) and the consultant's copy, both with
  an ``.ics`` invitation (:mod:`inbox.ical`). The link in the visitor's mail is
  signed, expires, and works once: cancelling deletes the booking, moving
  replaces its nonce. Cancelling sends METHOD:CANCEL with the same UID and a
  higher SEQUENCE.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import logging
import secrets
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import yaml
from hub import forms
from sqlalchemy import Engine, delete, func, select, update
from starlette.concurrency import run_in_threadpool
from starlette.convertors import IntegerConvertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from . import ical, mail, messages, slots, store, tokens, validation
from .core import (
    Inbox,
    TooLarge,
    TooSlow,
    current,
    now,
    read_body,
    sent_origin,
    wants_json,
)
from .slots import Availability, Slot
from .staff import staff_action, staff_page

log = logging.getLogger("inbox.booking")

LINK_DAYS = 120          # a cancel/move link works at most this long, and never after the meeting has begun
DAYS_SHOWN = 10          # days with free times on one slot page (and in one JSON answer, unless asked)
NEXT_SLOTS = 6           # free times offered when the chosen one was taken
MAX_NOTE = 1000          # characters in the staff's note with a cancellation
MAX_SETTINGS = 64 * 1024  # bytes of availability the staff page takes
# The booking form for a chosen time: the site's own, its button saying what it does now.
BOOK_FORM = dataclasses.replace(forms.BOOKING, submit=forms.SLOTS_TEXTS["book"])


# -----------------------------------------------------------------------------
# State of one process: the settings file it was started with, and the busy times read from the feeds
# -----------------------------------------------------------------------------


@dataclass
class State:
    file: Path | None
    busy: dict[str, list[slots.Interval]] = field(default_factory=dict)  # consultant id -> busy intervals (UTC)
    read: dict[str, str] = field(default_factory=dict)                   # consultant id -> the feed URL last read
    cached: tuple[float, Availability] | None = None                     # the file's mtime and what it holds


def state(inbox: Inbox) -> State:
    found = getattr(inbox, "_booking", None)
    if found is None:
        path = inbox.settings.availability_path
        found = State(Path(path) if path else None)
        inbox._booking = found  # type: ignore[attr-defined]
    return found


def read_file(path: Path) -> Availability:
    """The settings file, YAML or JSON (JSON is YAML); AvailabilityError when it is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise slots.AvailabilityError(f"{path.name}: kan ikke leses ({type(error).__name__}).") from None
    return slots.parse_availability(raw)


def _file_availability(inbox: Inbox) -> Availability:
    current_state = state(inbox)
    if current_state.file is None:
        return Availability()
    try:
        mtime = current_state.file.stat().st_mtime
    except OSError:
        return Availability()
    if current_state.cached is None or current_state.cached[0] != mtime:
        try:
            current_state.cached = (mtime, read_file(current_state.file))
        except slots.AvailabilityError as error:
            log.error(messages.LOG_AVAILABILITY_BAD, error)
            return current_state.cached[1] if current_state.cached else Availability()
    return current_state.cached[1]


def _saved(engine: Engine) -> str | None:
    with store._transaction(engine) as conn:
        return conn.execute(select(store.booking_settings.c.data).where(store.booking_settings.c.id == 1)).scalar()


def _save(engine: Engine, data: str, moment: dt.datetime) -> None:
    with store._transaction(engine) as conn:
        if conn.execute(update(store.booking_settings).where(store.booking_settings.c.id == 1)
                        .values(data=data, updated_at=moment)).rowcount == 0:
            conn.execute(store._insert_ignoring(engine, store.booking_settings, ["id"]),
                         {"id": 1, "data": data, "updated_at": moment})


async def availability(inbox: Inbox) -> Availability:
    """What staff saved on /staff/moter, else the settings file, else no consultants (requests as before)."""
    saved = await inbox.db(_saved)
    if saved is not None:
        with contextlib.suppress(slots.AvailabilityError, ValueError):
            return slots.parse_availability(json.loads(saved))
    return _file_availability(inbox)


# -----------------------------------------------------------------------------
# SQL (SQLAlchemy Core, SQLite and PostgreSQL)
# -----------------------------------------------------------------------------


class Taken(Exception):
    """The slot was booked by someone else first; the transaction is rolled back."""


def _taken(engine: Engine, first: dt.datetime, last: dt.datetime) -> dict[str, list[slots.Interval]]:
    query = (select(store.bookings.c.consultant, store.bookings.c.start_at, store.bookings.c.end_at)
             .where(store.bookings.c.end_at > first, store.bookings.c.start_at < last))
    taken: dict[str, list[slots.Interval]] = {}
    with store._transaction(engine) as conn:
        for row in conn.execute(query):
            taken.setdefault(row.consultant, []).append((store.utc(row.start_at), store.utc(row.end_at)))
    return taken


def _insert_booking(engine: Engine, conn: Any, row: dict[str, Any]) -> int | None:
    statement = store._insert_ignoring(engine, store.bookings, ["consultant", "start_at"]).returning(store.bookings.c.id)
    return conn.execute(statement, row).scalar()


def _recent_bookings(conn: Any, email: str, since: dt.datetime) -> int:
    return int(conn.execute(select(func.count()).select_from(store.bookings).where(
        store.bookings.c.email == email, store.bookings.c.created_at > since)).scalar_one())


def store_booking(engine: Engine, token: str, lead: dict[str, str], meeting: dict[str, Any], moment: dt.datetime,
                  to_visitor: store.Mail, to_consultant: store.Mail) -> str:
    """The lead, the meeting and its invitations in one transaction: "booked", "duplicate" (a resend) or "taken".

    The visitor's confirmation is queued only while the address has booked at
    most CONFIRMATIONS_PER_HOUR meetings in the last hour, this one included.
    """
    try:
        with store._transaction(engine) as conn:
            lead_row = {**{key: lead.get(key, "") for key in ("email", "name", "company", "phone", "message",
                                                              "article", "page")},
                        "kind": "booking", "form_token": token, "created_at": moment, "status": "ny"}
            lead_id = conn.execute(store._insert_ignoring(engine, store.leads, ["form_token"])
                                   .returning(store.leads.c.id), lead_row).scalar()
            if lead_id is None:
                return "duplicate"
            if _insert_booking(engine, conn, {**meeting, "lead_id": lead_id, "created_at": moment}) is None:
                raise Taken
            mail_out = [to_consultant]
            if _recent_bookings(conn, meeting["email"], moment - dt.timedelta(hours=1)) <= store.CONFIRMATIONS_PER_HOUR:
                mail_out.insert(0, to_visitor)
            store._queue(conn, mail_out, moment)
    except Taken:
        return "taken"
    return "booked"


def find_booking(engine: Engine, uid: str) -> dict[str, Any] | None:
    with store._transaction(engine) as conn:
        row = conn.execute(select(store.bookings).where(store.bookings.c.uid == uid)).first()
    return dict(row._mapping) if row else None


def cancel_booking(engine: Engine, where: Any, compose: Callable[[dict[str, Any]], list[store.Mail]],
                   moment: dt.datetime) -> dict[str, Any] | None:
    """Delete the booking *where* selects (freeing its slot) and queue what *compose* makes of it; None if gone."""
    with store._transaction(engine) as conn:
        row = conn.execute(select(store.bookings).where(where).with_for_update()).first()
        if row is None:
            return None
        conn.execute(delete(store.bookings).where(store.bookings.c.id == row.id))
        found = dict(row._mapping)
        store._queue(conn, compose(found), moment)
    return found


def move_booking(engine: Engine, uid: str, nonce: str, target: dict[str, Any],
                 compose: Callable[[dict[str, Any]], list[store.Mail]], moment: dt.datetime) -> str:
    """Move a booking to *target*'s slot in one transaction: "moved", "gone" (link used or meeting cancelled) or
    "taken" (the old slot is kept)."""
    try:
        with store._transaction(engine) as conn:
            row = conn.execute(select(store.bookings).where(store.bookings.c.uid == uid, store.bookings.c.nonce == nonce)
                               .with_for_update()).first()
            if row is None:
                return "gone"
            old = dict(row._mapping)
            conn.execute(delete(store.bookings).where(store.bookings.c.id == row.id))
            moved = {**{key: old[key] for key in ("uid", "lead_id", "email", "name", "created_at")},
                     **target, "sequence": old["sequence"] + 1}
            if _insert_booking(engine, conn, moved) is None:
                raise Taken
            store._queue(conn, compose(moved), moment)
    except Taken:
        return "taken"
    return "moved"


def upcoming(engine: Engine, since: dt.datetime, limit: int = 500) -> list[dict[str, Any]]:
    """Meetings from *since* on, soonest first, with the lead behind each."""
    b, lead = store.bookings, store.leads
    query = (select(b, lead.c.company, lead.c.phone, lead.c.message, lead.c.article, lead.c.page)
             .select_from(b.outerjoin(lead, lead.c.id == b.c.lead_id))
             .where(b.c.end_at > since).order_by(b.c.start_at, b.c.consultant).limit(limit))
    with store._transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


# -----------------------------------------------------------------------------
# Free slots for a request
# -----------------------------------------------------------------------------


async def free(inbox: Inbox, rules: Availability, moment: dt.datetime, first_day: dt.date | None = None,
               last_day: dt.date | None = None, consultant: str | None = None) -> list[Slot]:
    """Free slots now: the rules, minus bookings and busy times; a consultant whose feed was never read has none.

    Only the bookings of the days asked for are read (a day either side, for the buffer and the zone).
    """
    since = moment - dt.timedelta(days=1)
    if first_day is not None:
        since = max(since, dt.datetime.combine(first_day - dt.timedelta(days=1), dt.time(0), tzinfo=slots.UTC))
    until = moment + dt.timedelta(days=rules.horizon_days + 1)
    if last_day is not None:
        until = min(until, dt.datetime.combine(last_day + dt.timedelta(days=2), dt.time(0), tzinfo=slots.UTC))
    taken = await inbox.db(_taken, since, until)
    known = state(inbox)
    usable = tuple(person for person in rules.consultants
                   if not person.busy_url or known.read.get(person.id) == person.busy_url)
    rules = Availability(rules.meeting_minutes, rules.buffer_minutes, rules.notice_hours, rules.horizon_days, usable)
    return await run_in_threadpool(functools.partial(slots.free_slots, rules, moment, taken, known.busy,
                                                     consultant=consultant, first_day=first_day, last_day=last_day))


CHUNK_DAYS = 7  # days computed at a time while a page looks for its first days with free times


async def free_from(inbox: Inbox, rules: Availability, moment: dt.datetime, first_day: dt.date | None,
                    enough: Callable[[list[Slot]], bool], consultant: str | None = None) -> list[Slot]:
    """Free slots from *first_day* (today by default), a week at a time, until *enough* says so or the horizon ends."""
    day = max(first_day or moment.astimezone(slots.OSLO).date(), moment.astimezone(slots.OSLO).date())
    last = (moment + dt.timedelta(days=rules.horizon_days)).astimezone(slots.OSLO).date()
    found: list[Slot] = []
    while day <= last and not enough(found):
        end = min(day + dt.timedelta(days=CHUNK_DAYS - 1), last)
        found += await free(inbox, rules, moment, first_day=day, last_day=end, consultant=consultant)
        day = end + dt.timedelta(days=1)
    return found


def _days_with_slots(days: int) -> Callable[[list[Slot]], bool]:
    """Enough for a page of *days* days: one day more than that has a free time (so «Senere» can link to it)."""
    return lambda found: len({slot.local.date() for slot in found}) > days


def by_day(found: list[Slot], rules: Availability, days: int) -> tuple[list[dict[str, Any]], dt.date | None]:
    """The first *days* days with free times, each with its slots, and the next day with any (for «Senere»)."""
    names = {person.id: person.name for person in rules.consultants}
    grouped: dict[dt.date, list[dict[str, Any]]] = {}
    following = None
    for slot in found:
        day = slot.local.date()
        if day not in grouped and len(grouped) == days:
            following = day
            break
        grouped.setdefault(day, []).append({
            "slot": slot.key, "start": slot.local.isoformat(), "time": slots.time_label(slot.start),
            "consultant": slot.consultant, "name": names.get(slot.consultant, slot.consultant)})
    return [{"date": day.isoformat(), "label": slots.day_label(day), "slots": items}
            for day, items in grouped.items()], following


def _first_day(request: Request) -> dt.date | None:
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(request.query_params.get("fra", "")[:10])
    return None


def _attribution(params: Any) -> dict[str, str]:
    """The article and page a visitor came from, as the booking form's hidden fields carry them (validated)."""
    article = validation.clean(params.get("article", "")).lower()
    page = validation.clean(params.get("page", "")).lower()
    return {"article": article if validation.SLUG.fullmatch(article) else "",
            "page": page if len(page) <= 300 and validation.PAGE.fullmatch(page) else ""}


# -----------------------------------------------------------------------------
# Visitors' pages
# -----------------------------------------------------------------------------


def _cors(inbox: Inbox, request: Request) -> dict[str, str]:
    sent = request.headers.get("origin", "").lower()
    return {"access-control-allow-origin": sent, "vary": "Origin"} if sent == inbox.settings.site_origin else {}


async def slots_json(request: Request) -> Response:
    """The free times by day for the site's script: ``{"ok", "zone", "minutes", "days", "later", "page"}``."""
    inbox = current(request)
    rules = await availability(inbox)
    try:
        days = max(1, min(int(request.query_params.get("dager", DAYS_SHOWN)), 60))
    except ValueError:
        days = DAYS_SHOWN
    person = request.query_params.get("konsulent") or None
    found = await free_from(inbox, rules, now(), _first_day(request), _days_with_slots(days), consultant=person)
    grouped, later = by_day(found, rules, days)
    return JSONResponse({"ok": True, "zone": "Europe/Oslo", "minutes": rules.meeting_minutes, "days": grouped,
                         "later": later.isoformat() if later else None,
                         "page": inbox.url_for("slots_page"), "form": inbox.url_for("slot_form")},
                        headers=_cors(inbox, request))


async def slots_page(request: Request) -> Response:
    """Every free time for the next days, as links to the form: works without any script."""
    inbox = current(request)
    rules = await availability(inbox)
    kept = {key: value for key, value in _attribution(request.query_params).items() if value}
    found = await free_from(inbox, rules, now(), _first_day(request), _days_with_slots(DAYS_SHOWN))
    grouped, later = by_day(found, rules, DAYS_SHOWN)
    # One path and one encoded query for the page, not a route lookup for each of its hundreds of links.
    target, carried = inbox.path_for("slot_form"), urlencode(kept)
    for day in grouped:
        for slot in day["slots"]:
            slot["href"] = f"{target}?{urlencode({'tid': slot['slot']})}" + (f"&{carried}" if carried else "")
    return inbox.page("booking-slots.html", days=grouped, later=later.isoformat() if later else "", kept=kept,
                      minutes=rules.meeting_minutes, several=len(rules.consultants) > 1, texts=messages.BOOKING_TEXTS)


async def slot_form(request: Request) -> Response:
    """The booking form for one chosen time (from the slot page): the site's own fields, the time hidden."""
    inbox = current(request)
    rules = await availability(inbox)
    chosen = slots.parse_key(request.query_params.get("tid", ""))
    if chosen is None or chosen not in await _free_on_day(inbox, rules, chosen):
        return await _taken_answer(inbox, request, rules, {**_attribution(request.query_params)}, status=410,
                                   text=messages.BOOKING_SLOT_GONE)
    values = {**_attribution(request.query_params), "slot": chosen.key, "form_token": ""}
    return _form_page(inbox, rules, values, {}, chosen)


def _form_page(inbox: Inbox, rules: Availability, values: dict[str, str], errors: dict[str, str],
               chosen: Slot | None, choices: list[Slot] | None = None, status: int = 200,
               problem: str = "") -> Response:
    person = rules.consultant(chosen.consultant) if chosen else None
    names = {person.id: person.name for person in rules.consultants}
    offered = [{"slot": slot.key, "label": f"{slots.when_label(slot.start)}"
                + (f" med {names.get(slot.consultant, '')}" if len(rules.consultants) > 1 else "")}
               for slot in choices or []]
    return inbox.page("booking-form.html", status, form=BOOK_FORM, values=values, errors=errors,
                      when=slots.when_label(chosen.start) if chosen and not choices else "",
                      consultant=person.name if person and not choices else "", minutes=rules.meeting_minutes,
                      choices=offered, problem=problem, texts=messages.BOOKING_TEXTS)


async def _free_on_day(inbox: Inbox, rules: Availability, chosen: Slot) -> list[Slot]:
    day = chosen.local.date()
    return await free(inbox, rules, now(), consultant=chosen.consultant, first_day=day, last_day=day)


async def _next_free(inbox: Inbox, rules: Availability, after: dt.datetime | None = None) -> list[Slot]:
    """The next free times after *after* (the one that was taken), else the first ones from now."""
    moment = now()
    if after is not None and after > moment:
        found = [slot for slot in await free_from(inbox, rules, moment, after.astimezone(slots.OSLO).date(),
                                                  lambda found: len(found) > NEXT_SLOTS * 4)
                 if slot.start >= after]
        if found:
            return found[:NEXT_SLOTS]
    return (await free_from(inbox, rules, moment, None, lambda found: len(found) >= NEXT_SLOTS))[:NEXT_SLOTS]


async def _taken_answer(inbox: Inbox, request: Request, rules: Availability, values: dict[str, str],
                        status: int = 409, text: str = "", after: dt.datetime | None = None) -> Response:
    """The slot is gone: the message and the next free times, as JSON or as the form with the visitor's input."""
    text = text or messages.BOOKING_TAKEN
    choices = await _next_free(inbox, rules, after)
    if wants_json(request):
        names = {person.id: person.name for person in rules.consultants}
        return JSONResponse({"ok": False, "taken": True, "message": text, "errors": {"slot": text},
                             "slots": [{"slot": slot.key, "start": slot.local.isoformat(),
                                        "label": slots.when_label(slot.start), "time": slots.time_label(slot.start),
                                        "consultant": slot.consultant, "name": names.get(slot.consultant, "")}
                                       for slot in choices]},
                            status_code=status, headers=_cors(inbox, request))
    return _form_page(inbox, rules, {**values, "slot": ""}, {}, None, choices, status=status, problem=text)


async def submit(inbox: Inbox, request: Request, submission: validation.Submission, token: str,
                 moment: dt.datetime) -> Response:
    """A booking form with a chosen time (from :func:`inbox.forms._submit`, after the origin, rate and type checks)."""
    rules = await availability(inbox)
    values = submission.values
    chosen = slots.parse_key(values.get("slot", ""))
    person = rules.consultant(chosen.consultant) if chosen else None
    if chosen is None or person is None:
        return await _taken_answer(inbox, request, rules, values, status=410, text=messages.BOOKING_SLOT_GONE)
    if not submission.ok:
        if wants_json(request):
            return JSONResponse({"ok": False, "message": forms.summary(len(submission.errors)),
                                 "errors": submission.errors}, status_code=422, headers=_cors(inbox, request))
        return _form_page(inbox, rules, values, submission.errors, chosen, status=422)
    if chosen not in await _free_on_day(inbox, rules, chosen):
        return await _taken_answer(inbox, request, rules, values, after=chosen.start)
    uid, nonce = f"{secrets.token_hex(16)}@{inbox.settings.public_host or 'innboks'}", secrets.token_urlsafe(16)
    meeting = {"consultant": person.id, "start_at": chosen.start, "end_at": chosen.start + rules.meeting,
               "uid": uid, "sequence": 0, "nonce": nonce, "email": values["email"], "name": values["name"]}
    lead = {**values}
    visitor, consultant = _invitations(inbox, person, meeting, lead, "REQUEST", moment, nonce)
    outcome = await inbox.db(store_booking, token, lead, meeting, moment, visitor, consultant)
    if outcome == "taken":
        log.info(messages.LOG_BOOKING_TAKEN, person.id)
        return await _taken_answer(inbox, request, rules, values, after=chosen.start)
    inbox.wake.set()
    text = messages.booking_done(slots.when_label(chosen.start), person.name)
    if outcome == "duplicate":
        text = messages.BOOKING_DUPLICATE
    if wants_json(request):
        return JSONResponse({"ok": True, "message": text, "slot": chosen.key}, headers=_cors(inbox, request))
    return inbox.page("message.html", title=messages.BOOKING_DONE_TITLE, text=text, link=inbox.settings.site_url,
                      link_text="Tilbake til nettstedet")


# -----------------------------------------------------------------------------
# Invitations: a text and an .ics, through the outbox
# -----------------------------------------------------------------------------


def _organizer(inbox: Inbox, person: slots.Consultant | None) -> tuple[str, str]:
    return (person.name if person else "Arctic Sales Development",
            (person.email if person and person.email else inbox.settings.staff_email) or parseaddr(
                inbox.settings.mail_from)[1])


def _manage_url(inbox: Inbox, uid: str, nonce: str, moment: dt.datetime) -> str:
    return inbox.url_for("manage", query={"token": inbox.signer.sign("booking", f"{uid} {nonce}", moment.timestamp())})


def _invitations(inbox: Inbox, person: slots.Consultant | None, meeting: dict[str, Any], lead: dict[str, str],
                 method: str, moment: dt.datetime, nonce: str = "", note: str = "",
                 moved: bool = False) -> tuple[store.Mail, store.Mail]:
    """The visitor's mail and the consultant's, each with the same invitation (same UID and SEQUENCE)."""
    settings = inbox.settings
    organizer_name, organizer_email = _organizer(inbox, person)
    article_url = settings.site_url + lead["page"] if lead.get("page") else ""
    when = slots.when_label(meeting["start_at"])
    minutes = int((meeting["end_at"] - meeting["start_at"]).total_seconds() // 60)
    details = ical.Meeting(
        uid=meeting["uid"], sequence=meeting["sequence"], start=meeting["start_at"], end=meeting["end_at"],
        organizer_name=organizer_name, organizer_email=organizer_email, attendee_name=lead.get("name", ""),
        attendee_email=lead["email"], summary=messages.BOOKING_SUMMARY,
        description=messages.booking_description(organizer_name, article_url), created=moment)
    invite = ical.invitation(details, method, moment)
    cancelled = method == "CANCEL"
    manage = "" if cancelled else _manage_url(inbox, meeting["uid"], nonce, moment)
    context = {"lead": lead, "when": when, "minutes": minutes, "consultant": organizer_name, "manage_url": manage,
               "article_url": article_url, "staff_url": inbox.url_for("staff_meetings"), "note": note,
               "cancelled": cancelled, "moved": moved, "link_days": LINK_DAYS}
    subject = (messages.MEETING_CANCELLED_SUBJECT if cancelled else
               messages.MEETING_MOVED_SUBJECT if moved else messages.MEETING_BOOKED_SUBJECT)
    to_visitor = compose_invitation(settings.mail_from, lead["email"], subject, "meeting-visitor.txt", invite,
                                    method, now=moment, reply_to=organizer_email, **context)
    staff_subject = (messages.MEETING_STAFF_CANCELLED_SUBJECT if cancelled else
                     messages.MEETING_STAFF_MOVED_SUBJECT if moved else messages.MEETING_STAFF_SUBJECT)
    to_consultant = compose_invitation(settings.mail_from, organizer_email, staff_subject, "meeting-consultant.txt",
                                       invite, method, now=moment, reply_to=lead["email"], **context)
    return (store.Mail(lead["email"], to_visitor, about=lead["email"]),
            store.Mail(organizer_email, to_consultant, about=lead["email"]))


def compose_invitation(sender: str, recipient: str, subject: str, template: str, invite: bytes, method: str, *,
                       now: dt.datetime, reply_to: str, **context: Any) -> str:
    """A text with the invitation as ``text/calendar; method=…`` (what mail programs show as an invitation)
    and as an .ics file, in 7-bit ASCII; headers from validated addresses and fixed text only (see mail.py)."""
    name, from_address = parseaddr(sender)
    intended = {
        "From": mail._address(from_address, mail._safe(name, "display name")),
        "To": mail._address(recipient),
        "Subject": mail._safe(subject, "subject"),
        "Date": format_datetime(now),
        "Message-ID": make_msgid(domain=mail._address(from_address).rpartition("@")[2]),
        "Reply-To": mail._address(reply_to),
    }
    message = EmailMessage(policy=policy.SMTP)
    for header, value in intended.items():
        message[header] = value
    message.set_content(mail._texts.get_template(template).render(**context), charset="utf-8",
                        cte="quoted-printable")
    message.add_alternative(invite.decode("utf-8"), subtype="calendar", charset="utf-8", cte="base64",
                            params={"method": method})
    message.add_attachment(invite, maintype="application", subtype="ics", filename="invitasjon.ics")
    text = message.as_string(policy=mail._ONE_LINE)
    _check_invitation(text, intended)
    return text


def _check_invitation(text: str, intended: dict[str, str]) -> None:
    """Parsed again: ASCII, exactly the intended headers (each one line), and the three parts we made."""
    if not text.isascii():
        raise mail.UnsafeHeader("the composed mail is not ASCII")
    head = text.partition("\r\n\r\n")[0]
    if any(not line or line[0] in " \t" or len(line) > mail.MAX_LINE for line in head.split("\r\n")):
        raise mail.UnsafeHeader("a header line is folded, empty or too long")
    parsed = message_from_string(text, policy=policy.compat32)
    if parsed.keys() != [*intended, "MIME-Version", "Content-Type"]:
        raise mail.UnsafeHeader(f"the composed mail has the headers {parsed.keys()}")
    kinds = [part.get_content_type() for part in parsed.walk() if not part.is_multipart()]
    if kinds != ["text/plain", "text/calendar", "application/ics"]:
        raise mail.UnsafeHeader(f"the composed mail has the parts {kinds}")


# -----------------------------------------------------------------------------
# The visitor's link: cancel or move (signed, expiring, single-use)
# -----------------------------------------------------------------------------


def _from_link(inbox: Inbox, token: str) -> tuple[str, str] | messages.Notice:
    try:
        uid, _, nonce = inbox.signer.verify("booking", token, LINK_DAYS * 86400).partition(" ")
    except tokens.ExpiredToken:
        return messages.BOOKING_LINK_EXPIRED
    except tokens.BadToken:
        return messages.BOOKING_LINK_BAD
    return uid, nonce


async def _linked(inbox: Inbox, token: str) -> dict[str, Any] | Response:
    """The booking a genuine, unused, unexpired link names; else the page that says what is wrong."""
    found = _from_link(inbox, token)
    if isinstance(found, messages.Notice):
        return inbox.notice(found, 410 if found is messages.BOOKING_LINK_EXPIRED else 400)
    uid, nonce = found
    row = await inbox.db(find_booking, uid)
    if row is None or not tokens.same(row["nonce"], nonce):
        return inbox.notice(messages.BOOKING_LINK_USED, 410)
    if store.utc(row["start_at"]) <= now():
        return inbox.notice(messages.BOOKING_LINK_PAST, 410)
    return row


async def manage_page(request: Request) -> Response:
    """GET and HEAD: the meeting, a cancel button and other free times; a link scanner's visit changes nothing."""
    inbox = current(request)
    token = request.query_params.get("token", "")
    row = await _linked(inbox, token)
    if isinstance(row, Response):
        return row
    rules = await availability(inbox)
    person = rules.consultant(row["consultant"])
    names = {person.id: person.name for person in rules.consultants}
    choices = [{"slot": slot.key, "label": slots.when_label(slot.start)
                + (f" med {names.get(slot.consultant, '')}" if len(rules.consultants) > 1 else "")}
               for slot in (await free_from(inbox, rules, now(), None, lambda found: len(found) >= 30))[:30]]
    return inbox.page("booking-manage.html", token=token, when=slots.when_label(store.utc(row["start_at"])),
                      consultant=person.name if person else "", choices=choices, texts=messages.BOOKING_TEXTS)


async def _visitor_post(request: Request) -> tuple[Inbox, dict[str, str]] | Response:
    inbox = current(request)
    if sent_origin(request) != inbox.settings.public_origin:
        return inbox.notice(messages.BOOKING_FOREIGN, 403)
    try:
        raw = parse_qs((await read_body(request, 4096, inbox.settings.read_timeout)).decode("utf-8"),
                       max_num_fields=10)
    except (TooLarge, TooSlow, ValueError):
        return inbox.notice(messages.BOOKING_LINK_BAD, 400)
    return inbox, {key: values[0] for key, values in raw.items()}


async def cancel(request: Request) -> Response:
    """POST from the link's page: delete the meeting, free the slot, send METHOD:CANCEL to both."""
    posted = await _visitor_post(request)
    if isinstance(posted, Response):
        return posted
    inbox, fields = posted
    row = await _linked(inbox, fields.get("token", ""))
    if isinstance(row, Response):
        return row
    rules = await availability(inbox)
    moment = now()
    gone = await inbox.db(cancel_booking, (store.bookings.c.id == row["id"]) & (store.bookings.c.nonce == row["nonce"]),
                          _cancellation(inbox, rules, moment, ""), moment)
    if gone is None:
        return inbox.notice(messages.BOOKING_LINK_USED, 410)
    inbox.wake.set()
    return inbox.notice(messages.BOOKING_CANCELLED)


def _cancellation(inbox: Inbox, rules: Availability, moment: dt.datetime,
                  note: str) -> Callable[[dict[str, Any]], list[store.Mail]]:
    def compose(row: dict[str, Any]) -> list[store.Mail]:
        meeting = {**row, "start_at": store.utc(row["start_at"]), "end_at": store.utc(row["end_at"]),
                   "sequence": row["sequence"] + 1}
        return list(_invitations(inbox, rules.consultant(row["consultant"]), meeting,
                                 {"email": row["email"], "name": row["name"]}, "CANCEL", moment, note=note))
    return compose


async def move(request: Request) -> Response:
    """POST from the link's page: the meeting to another free time; same UID, SEQUENCE + 1, a new link."""
    posted = await _visitor_post(request)
    if isinstance(posted, Response):
        return posted
    inbox, fields = posted
    row = await _linked(inbox, fields.get("token", ""))
    if isinstance(row, Response):
        return row
    rules = await availability(inbox)
    chosen = slots.parse_key(fields.get("tid", ""))
    person = rules.consultant(chosen.consultant) if chosen else None
    if chosen is None or person is None or chosen not in await _free_on_day(inbox, rules, chosen):
        return inbox.notice(messages.booking_move_failed(), 409)
    moment, nonce = now(), secrets.token_urlsafe(16)
    target = {"consultant": person.id, "start_at": chosen.start, "end_at": chosen.start + rules.meeting,
              "nonce": nonce}

    def compose(moved: dict[str, Any]) -> list[store.Mail]:
        return list(_invitations(inbox, person, moved, {"email": moved["email"], "name": moved["name"]},
                                 "REQUEST", moment, nonce, moved=True))

    outcome = await inbox.db(move_booking, row["uid"], row["nonce"], target, compose, moment)
    if outcome == "gone":
        return inbox.notice(messages.BOOKING_LINK_USED, 410)
    if outcome == "taken":
        return inbox.notice(messages.booking_move_failed(), 409)
    inbox.wake.set()
    return inbox.notice(messages.booking_moved(slots.when_label(chosen.start), person.name))


# -----------------------------------------------------------------------------
# Staff: /staff/moter
# -----------------------------------------------------------------------------

# The availability is a longer form than the other staff forms.
_staff_post = staff_action(limit=MAX_SETTINGS, max_fields=20)


async def _meetings_page(request: Request, inbox: Inbox, session: str, settings_text: str | None = None,
                         problem: str = "", status: int = 200) -> Response:
    rules = await availability(inbox)
    moment = now()
    rows = await inbox.db(upcoming, moment)
    await inbox.titles.refresh()
    names = {person.id: person.name for person in rules.consultants}
    days: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        start = store.utc(row["start_at"])
        row |= {"time": f"{slots.time_label(start)}–{slots.time_label(store.utc(row['end_at']))}",
                "consultant_name": names.get(row["consultant"], row["consultant"]),
                "title": inbox.titles.title(row["page"] or "", row["article"] or "")}
        days.setdefault(slots.day_label(start.astimezone(slots.OSLO).date()), []).append(row)
    found = await free_from(inbox, rules, moment, None, lambda found: len(found) >= 5)
    saved = await inbox.db(_saved)
    if settings_text is None:
        settings_text = yaml.safe_dump(slots.to_raw(rules), allow_unicode=True, sort_keys=False)
    return inbox.page("staff-meetings.html", status, days=days, csrf=inbox.csrf(session), settings=settings_text,
                      problem=problem, source="ansattsiden" if saved is not None else (
                          "innstillingsfilen" if state(inbox).file else "ingen"),
                      next_free=[f"{slots.when_label(slot.start)} ({names.get(slot.consultant, '')})"
                                 for slot in found[:5]],
                      feeds={person.name: person.id in state(inbox).read for person in rules.consultants
                             if person.busy_url},
                      notice=messages.MEETING_NOTICES.get(request.query_params.get("melding", ""), ""))


@staff_page
async def staff_meetings(request: Request, inbox: Inbox, session: str) -> Response:
    """Upcoming meetings by day, the lead behind each, cancelling with a note, and the availability."""
    return await _meetings_page(request, inbox, session)


@_staff_post
async def staff_cancel(request: Request, inbox: Inbox, fields: dict[str, str]) -> Response:
    """Cancel a meeting: the visitor gets METHOD:CANCEL and the staff's note (plain text, in the body)."""
    note = validation.clean(fields.get("note", ""), multiline=True)[:MAX_NOTE]
    booking_id = request.path_params["booking_id"]
    if not 0 < booking_id <= store.MAX_ID:
        return inbox.notice(messages.MEETING_MISSING, 404)
    rules, moment = await availability(inbox), now()
    gone = await inbox.db(cancel_booking, store.bookings.c.id == booking_id,
                          _cancellation(inbox, rules, moment, note), moment)
    if gone is None:
        return inbox.notice(messages.MEETING_MISSING, 404)
    inbox.wake.set()
    log.info(messages.LOG_MEETING_CANCELLED, booking_id)
    return RedirectResponse(inbox.url_for("staff_meetings", query={"melding": "avlyst"}), status_code=303)


@_staff_post
async def staff_availability(request: Request, inbox: Inbox, fields: dict[str, str]) -> Response:
    """Save the availability (YAML, as the settings file): checked first, so a mistake changes nothing."""
    text = fields.get("innstillinger", "")
    try:
        rules = slots.parse_availability(yaml.safe_load(text))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (linje {mark.line + 1})" if mark is not None else ""
        return await _meetings_page(request, inbox, fields["session"], text,
                                    messages.AVAILABILITY_UNREADABLE.format(where=where), 422)
    except slots.AvailabilityError as error:
        return await _meetings_page(request, inbox, fields["session"], text, str(error), 422)
    await inbox.db(_save, json.dumps(slots.to_raw(rules), ensure_ascii=False), now())
    _refreshing.add(asyncio.create_task(refresh_busy_once(inbox)))  # a new feed is read now, not in minutes
    _refreshing_done()
    return RedirectResponse(inbox.url_for("staff_meetings", query={"melding": "lagret"}), status_code=303)


# -----------------------------------------------------------------------------
# Busy feeds, read in the background
# -----------------------------------------------------------------------------


_refreshing: set[asyncio.Task[None]] = set()  # feeds being read after a save: held so the task is not collected


def _refreshing_done() -> None:
    for task in [task for task in _refreshing if task.done()]:
        _refreshing.discard(task)


def fetch_feed(url: str, timeout: float = 10.0) -> bytes:
    """A private calendar feed; at most MAX_FEED bytes (ValueError beyond)."""
    request = urllib.request.Request(url, headers={"user-agent": "arcticsales-innboks/1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        data = response.read(ical.MAX_FEED + 1)
    if len(data) > ical.MAX_FEED:
        raise ValueError("feed too large")
    return data


async def refresh_busy_once(inbox: Inbox) -> None:
    """Read every consultant's feed once; one that fails keeps what was read before."""
    rules = await availability(inbox)
    known = state(inbox)
    moment = now()
    first, last = moment - dt.timedelta(days=1), moment + dt.timedelta(days=rules.horizon_days + 2)
    for person in rules.consultants:
        if not person.busy_url:
            known.busy.pop(person.id, None)
            known.read.pop(person.id, None)
            continue
        try:
            data = await run_in_threadpool(fetch_feed, person.busy_url)
            known.busy[person.id] = await run_in_threadpool(ical.busy_times, data, first, last)
            known.read[person.id] = person.busy_url
        except Exception as error:  # noqa: BLE001 - a feed fails in many ways; the next round tries again
            log.warning(messages.LOG_FEED_FAILED, person.id, type(error).__name__)


async def refresh_busy(inbox: Inbox) -> None:
    """Every few minutes (--busy-refresh-minutes); staff saving availability also reads the feeds at once."""
    while not inbox.stopping:
        with contextlib.suppress(Exception):
            await refresh_busy_once(inbox)
        await asyncio.sleep(max(5.0, inbox.settings.busy_refresh_minutes * 60))


class MeetingId(IntegerConvertor):
    """A meeting's id in a path: at most ten digits (as app.RowId, which is registered after this module loads)."""

    regex = "[0-9]{1,10}"


register_url_convertor("meetingid", MeetingId())

ROUTES = [
    Route(forms.SLOTS_JSON_PATH, slots_json, methods=["GET"], name="slots_json"),
    Route(forms.SLOTS_PAGE_PATH, slots_page, methods=["GET"], name="slots_page"),
    Route("/moter/bestill", slot_form, methods=["GET"], name="slot_form"),
    Route("/moter/endre", manage_page, methods=["GET"], name="manage"),
    Route("/moter/avbestill", cancel, methods=["POST"], name="cancel"),
    Route("/moter/flytt", move, methods=["POST"], name="move"),
    Route("/staff/moter", staff_meetings, methods=["GET"], name="staff_meetings"),
    Route("/staff/moter/{booking_id:meetingid}/avlys", staff_cancel, methods=["POST"], name="staff_cancel"),
    Route("/staff/moter/tilgjengelighet", staff_availability, methods=["POST"], name="staff_availability"),
]
