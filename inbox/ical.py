"""iCalendar both ways, with the ``icalendar`` package: the invitations we send, and the busy feeds we read.

An invitation is ``METHOD:REQUEST`` (or ``CANCEL``) with one VEVENT whose UID
stays the same for the meeting's life; every change raises SEQUENCE, so mail
programs replace the event rather than add one (RFC 5546). Times are written
in Europe/Oslo with the VTIMEZONE icalendar derives from zoneinfo.

A busy feed is a consultant's private calendar export (Outlook «Publiser
kalender», Google «Hemmelig adresse i iCal-format»). Every event that is not
transparent (free) or cancelled is busy; recurring ones are expanded with
dateutil's rrule over the horizon, minus EXDATE, plus RDATE.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import icalendar
from dateutil.rrule import rruleset, rrulestr

from .slots import OSLO, UTC, Interval

PRODID = "-//Arctic Sales Development//Innboks//NB"
MAX_FEED = 5 * 1024 * 1024  # bytes read from a busy feed at most
MAX_OCCURRENCES = 5000      # per recurring event, within the window


@dataclass(frozen=True)
class Meeting:
    """What an invitation says: who meets whom, when, and where it came from."""

    uid: str
    sequence: int
    start: dt.datetime
    end: dt.datetime
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    summary: str
    description: str
    created: dt.datetime


def invitation(meeting: Meeting, method: str, now: dt.datetime) -> bytes:
    """The .ics for *meeting*: METHOD:REQUEST to book or move it, METHOD:CANCEL to call it off."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("created", meeting.created.astimezone(UTC))
    event.add("dtstart", meeting.start.astimezone(OSLO))
    event.add("dtend", meeting.end.astimezone(OSLO))
    event.add("summary", meeting.summary)
    event.add("description", meeting.description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", icalendar.vCalAddress(f"mailto:{meeting.organizer_email}"),
              parameters={"cn": _parameter(meeting.organizer_name)})
    event.add("attendee", icalendar.vCalAddress(f"mailto:{meeting.attendee_email}"),
              parameters={"cn": _parameter(meeting.attendee_name), "role": "REQ-PARTICIPANT",
                          "partstat": "NEEDS-ACTION", "rsvp": "TRUE"})
    calendar.add_component(event)
    # The zone's rules for the meeting's own years only (from zoneinfo), not 1970–2038 in every mail.
    start = meeting.start.astimezone(OSLO).date()
    calendar.add_missing_timezones(first_date=dt.date(start.year - 1, 1, 1), last_date=dt.date(start.year + 2, 1, 1))
    return calendar.to_ical()


def _parameter(text: str) -> str:
    """A name for a CN parameter: RFC 5545 allows no double quote and no control character in it."""
    return "".join(char for char in text if char.isprintable() and char != '"')[:100]


# --- busy feeds ----------------------------------------------------------------------------------


def busy_times(data: bytes, first: dt.datetime, last: dt.datetime) -> list[Interval]:
    """The busy intervals (UTC) of a feed that touch [first, last); ValueError when it is not iCalendar."""
    calendar = icalendar.Calendar.from_ical(data)
    found: list[Interval] = []
    overridden = {(str(event.get("uid")), _utc(event.decoded("recurrence-id")))
                  for event in calendar.walk("VEVENT") if event.get("recurrence-id") is not None}
    for event in calendar.walk("VEVENT"):
        if str(event.get("transp", "OPAQUE")).upper() == "TRANSPARENT" \
                or str(event.get("status", "")).upper() == "CANCELLED" or event.get("dtstart") is None:
            continue
        for start, end in _occurrences(event, first, last, overridden):
            if start < last and end > first:
                found.append((start, end))
    return sorted(found)


def _occurrences(event: icalendar.Event, first: dt.datetime, last: dt.datetime,
                 overridden: set[tuple[str, dt.datetime]]) -> Iterator[Interval]:
    start = event.decoded("dtstart")
    length = _length(event, start)
    if event.get("rrule") is None or event.get("recurrence-id") is not None:
        yield _utc(start), _utc(start) + length
        return
    anchor = _anchor(start)
    rules = rruleset()
    for rule in event.get("rrule") if isinstance(event.get("rrule"), list) else [event.get("rrule")]:
        rules.rrule(rrulestr(rule.to_ical().decode("ascii"), dtstart=anchor, ignoretz=False))
    for name, add in (("rdate", rules.rdate), ("exdate", rules.exdate)):
        values = event.get(name)
        for value in values if isinstance(values, list) else ([values] if values is not None else []):
            for item in value.dts:
                add(_anchor(item.dt))
    uid = str(event.get("uid"))
    for count, occurrence in enumerate(rules.between(_anchor_of(first - length, anchor), _anchor_of(last, anchor),
                                                     inc=True)):
        if count >= MAX_OCCURRENCES:
            return
        if (uid, _utc(occurrence)) not in overridden:
            yield _utc(occurrence), _utc(occurrence) + length


def _length(event: icalendar.Event, start: dt.date | dt.datetime) -> dt.timedelta:
    if event.get("dtend") is not None:
        return event.decoded("dtend") - start
    if event.get("duration") is not None:
        return event.decoded("duration")
    return dt.timedelta(days=1) if not isinstance(start, dt.datetime) else dt.timedelta(0)


def _anchor(moment: dt.date | dt.datetime) -> dt.datetime:
    """A recurrence's own clock: aware in its zone, a floating time or an all-day date in Oslo's."""
    if not isinstance(moment, dt.datetime):
        return dt.datetime.combine(moment, dt.time(0), tzinfo=OSLO)
    return moment if moment.tzinfo else moment.replace(tzinfo=OSLO)


def _anchor_of(moment: dt.datetime, anchor: dt.datetime) -> dt.datetime:
    return moment.astimezone(anchor.tzinfo)


def _utc(moment: dt.date | dt.datetime) -> dt.datetime:
    return _anchor(moment).astimezone(UTC)
