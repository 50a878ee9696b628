"""Free meeting times: availability rules in, a sorted list of free slots out. Pure (no database, no web).

Times are computed in Europe/Oslo wall-clock hours and stepped in UTC, so a
working window on the day summer time starts or ends has exactly as many
slots as it has real hours (an hour fewer on the last Sunday of March, an hour
more on the last Sunday of October), and every slot is stored and compared as
UTC. Closed days are Norway's public holidays, computed for each year by the
maintained ``holidays`` package (Easter-dependent days included), plus each
consultant's own. A slot is free when it starts after the minimum notice,
within the horizon, and neither a booking nor a busy time from the
consultant's calendar comes within the buffer of it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import holidays

OSLO = ZoneInfo("Europe/Oslo")
UTC = dt.UTC
WEEKDAYS = ("man", "tir", "ons", "tor", "fre", "lor", "son")  # keys of the weekly hours, Monday first
WEEKDAY_NAMES = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember")
CONSULTANT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_WINDOW = re.compile(r"\s*([0-2]?\d)[:.]([0-5]\d)\s*[-–]\s*([0-2]?\d)[:.]([0-5]\d)\s*")
_SLOT = re.compile(r"([a-z0-9][a-z0-9-]{0,39})\.(\d{8}T\d{4})Z")

Interval = tuple[dt.datetime, dt.datetime]


class AvailabilityError(ValueError):
    """The availability settings are wrong; the message (Norwegian) says which key and why."""


@dataclass(frozen=True)
class Consultant:
    """One person who takes meetings: weekly hours in Oslo time, own closed days, and an optional busy feed."""

    id: str                                   # [a-z0-9-], in slot ids and the bookings table
    name: str
    email: str = ""                           # gets the invitation; empty: the inbox's staff address
    hours: Mapping[int, tuple[tuple[dt.time, dt.time], ...]] = field(default_factory=dict)  # weekday 0 = Monday
    closed: frozenset[dt.date] = frozenset()
    busy_url: str = ""                        # a private iCalendar feed (Outlook, Google) whose events are busy


@dataclass(frozen=True)
class Availability:
    """Everything staff set: the meeting, its buffer, notice, horizon and the consultants."""

    meeting_minutes: int = 30                 # 5–480
    buffer_minutes: int = 15                  # 0–240, kept free before and after every meeting
    notice_hours: int = 4                     # 0–720: no slot starts sooner than this
    horizon_days: int = 30                    # 1–365: no slot starts later than this many days ahead
    consultants: tuple[Consultant, ...] = ()

    @property
    def meeting(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.meeting_minutes)

    @property
    def buffer(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.buffer_minutes)

    def consultant(self, consultant_id: str) -> Consultant | None:
        return next((person for person in self.consultants if person.id == consultant_id), None)


@dataclass(frozen=True, order=True)
class Slot:
    """A free time: its start (UTC) and the consultant; ``key`` is how forms and links name it."""

    start: dt.datetime
    consultant: str

    @property
    def key(self) -> str:
        return f"{self.consultant}.{self.start.astimezone(UTC):%Y%m%dT%H%M}Z"

    @property
    def local(self) -> dt.datetime:
        return self.start.astimezone(OSLO)


def parse_key(key: str) -> Slot | None:
    """The slot a form names (``kari.20260303T0900Z``), or None for anything else."""
    match = _SLOT.fullmatch(key)
    if not match:
        return None
    try:
        start = dt.datetime.strptime(match[2], "%Y%m%dT%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return Slot(start, match[1])


# --- closed days -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def public_holidays(year: int) -> frozenset[dt.date]:
    """Norway's public holidays in *year* (Sundays as such are not holidays here; hours decide those)."""
    return frozenset(holidays.NO(years=year, include_sundays=False))


def holiday_name(day: dt.date) -> str:
    return holidays.NO(years=day.year, include_sundays=False, language="no").get(day) or ""


def is_closed(day: dt.date, consultant: Consultant) -> bool:
    return day in public_holidays(day.year) or day in consultant.closed


# --- free slots ------------------------------------------------------------------------------------


def free_slots(availability: Availability, now: dt.datetime, taken: Mapping[str, Sequence[Interval]] | None = None,
               busy: Mapping[str, Sequence[Interval]] | None = None, consultant: str | None = None,
               first_day: dt.date | None = None, last_day: dt.date | None = None) -> list[Slot]:
    """Every free slot from *now* on, by start then consultant; optionally one consultant's, and only some days.

    *taken* holds the booked meetings and *busy* the calendar's busy times, each
    per consultant id as (start, end) in UTC, sorted or not.
    """
    earliest = now + dt.timedelta(hours=availability.notice_hours)
    latest = now + dt.timedelta(days=availability.horizon_days)
    today = now.astimezone(OSLO).date()
    days = _days(max(today, first_day or today), min(latest.astimezone(OSLO).date(), last_day or latest.astimezone(OSLO).date()))
    found: list[Slot] = []
    meeting = availability.meeting
    for person in availability.consultants:
        if consultant is not None and person.id != consultant:
            continue
        blocked = _Blocked([*(taken or {}).get(person.id, ()), *(busy or {}).get(person.id, ())],
                           availability.buffer)
        for day in days:
            if is_closed(day, person):
                continue
            for start in _starts(day, person.hours.get(day.weekday(), ()), availability):
                if earliest <= start <= latest and not blocked.overlaps(start, start + meeting):
                    found.append(Slot(start, person.id))
    found.sort(key=lambda slot: (slot.start, slot.consultant))  # a key: dataclass ordering is slow
    return found


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]


def _starts(day: dt.date, windows: Iterable[tuple[dt.time, dt.time]], availability: Availability) -> list[dt.datetime]:
    """Slot starts in each window of *day*: from its Oslo start, every meeting + buffer, stepped in real time."""
    meeting = availability.meeting
    step = meeting + availability.buffer
    starts = []
    for opens, closes in windows:
        moment = dt.datetime.combine(day, opens, tzinfo=OSLO).astimezone(UTC)
        end = (dt.datetime.combine(day, closes, tzinfo=OSLO) if closes != dt.time(0)
               else dt.datetime.combine(day + dt.timedelta(days=1), closes, tzinfo=OSLO)).astimezone(UTC)
        while moment + meeting <= end:
            starts.append(moment)
            moment += step
    return starts


class _Blocked:
    """Intervals a meeting may not come within *buffer* of, searched by bisection."""

    def __init__(self, intervals: Iterable[Interval], buffer: dt.timedelta) -> None:
        merged: list[list[dt.datetime]] = []
        for start, end in sorted((start - buffer, end + buffer) for start, end in intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        index = bisect.bisect_left(self.starts, end)  # intervals starting before *end*
        return index > 0 and self.ends[index - 1] > start


# --- what people read --------------------------------------------------------------------------------


def day_label(day: dt.date) -> str:
    """«tirsdag 3. mars»"""
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day}. {MONTHS[day.month - 1]}"


def time_label(moment: dt.datetime) -> str:
    """«09.00», Oslo time, as Norwegian writes the clock."""
    return moment.astimezone(OSLO).strftime("%H.%M")


def when_label(moment: dt.datetime) -> str:
    """«tirsdag 3. mars 2026 kl. 09.00»"""
    local = moment.astimezone(OSLO)
    return f"{day_label(local.date())} {local.year} kl. {time_label(local)}"


# --- settings: a mapping (JSON or YAML, or the staff page's form) in, Availability out ----------------


def parse_availability(raw: Any) -> Availability:
    """Check settings as staff write them; AvailabilityError names the key that is wrong."""
    if raw is None:
        return Availability()
    if not isinstance(raw, Mapping):
        raise AvailabilityError("Innstillingene må være en tabell med møtelengde, buffer, varsel, horisont og konsulenter.")
    people = raw.get("konsulenter", [])
    if not isinstance(people, list):
        raise AvailabilityError("konsulenter: må være en liste.")
    consultants = tuple(_consultant(person, index) for index, person in enumerate(people))
    ids = [person.id for person in consultants]
    if len(set(ids)) != len(ids):
        raise AvailabilityError("konsulenter: to konsulenter har samme id.")
    return Availability(
        meeting_minutes=_number(raw, "motelengde_minutter", 30, 5, 480),
        buffer_minutes=_number(raw, "buffer_minutter", 15, 0, 240),
        notice_hours=_number(raw, "varsel_timer", 4, 0, 720),
        horizon_days=_number(raw, "horisont_dager", 30, 1, 365),
        consultants=consultants,
    )


def _number(raw: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AvailabilityError(f"{key}: må være et heltall fra {low} til {high}.")
    return value


def _consultant(raw: Any, index: int) -> Consultant:
    where = f"konsulenter[{index + 1}]"
    if not isinstance(raw, Mapping):
        raise AvailabilityError(f"{where}: må ha id, navn og timer.")
    ident = str(raw.get("id", "")).strip()
    if not CONSULTANT_ID.fullmatch(ident):
        raise AvailabilityError(f"{where}.id: bare a–z, 0–9 og bindestrek, høyst 40 tegn.")
    name = " ".join(str(raw.get("navn", "")).split())
    if not name or len(name) > 100 or not name.isprintable():
        raise AvailabilityError(f"{where}.navn: skriv navnet, høyst 100 tegn.")
    hours_raw = raw.get("timer", {}) or {}
    if not isinstance(hours_raw, Mapping) or set(hours_raw) - set(WEEKDAYS):
        raise AvailabilityError(f"{where}.timer: bruk nøklene {', '.join(WEEKDAYS)}.")
    hours = {WEEKDAYS.index(day): windows(value, f"{where}.timer.{day}") for day, value in hours_raw.items()}
    return Consultant(id=ident, name=name, email=str(raw.get("epost", "") or "").strip(),
                      hours={day: spans for day, spans in hours.items() if spans},
                      closed=closed_days(raw.get("stengt", []) or [], f"{where}.stengt"),
                      busy_url=str(raw.get("opptatt_ics", "") or "").strip())


def windows(value: Any, where: str) -> tuple[tuple[dt.time, dt.time], ...]:
    """«09:00-11:30, 12:00-16:00» (or a list of such) as sorted (opens, closes) pairs; 24:00 is midnight."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    spans = []
    for part in (str(part) for part in parts if str(part).strip()):
        match = _WINDOW.fullmatch(part)
        if not match or int(match[1]) > 23 or int(match[3]) > 24 or (int(match[3]) == 24 and match[4] != "00"):
            raise AvailabilityError(f"{where}: «{part.strip()}» er ikke et tidsrom som 09:00-16:00.")
        opens = dt.time(int(match[1]), int(match[2]))
        closes = dt.time(0) if int(match[3]) == 24 else dt.time(int(match[3]), int(match[4]))
        if closes != dt.time(0) and closes <= opens:
            raise AvailabilityError(f"{where}: «{part.strip()}» slutter før det begynner.")
        spans.append((opens, closes))
    return tuple(sorted(spans))


def closed_days(value: Any, where: str) -> frozenset[dt.date]:
    """Dates («2026-07-01») and ranges («2026-07-01..2026-07-31»), as a list or separated by commas."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    days: set[dt.date] = set()
    for part in (str(part).strip() for part in parts if str(part).strip()):
        first, _, last = part.partition("..")
        try:
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise AvailabilityError(f"{where}: «{part}» er ikke en dato som 2026-07-01 "
                                    "eller 2026-07-01..2026-07-31.") from None
        if end < start or (end - start).days > 366:
            raise AvailabilityError(f"{where}: «{part}» er ikke et tidsrom på høyst ett år.")
        days.update(_days(start, end))
    return frozenset(days)


def to_raw(availability: Availability) -> dict[str, Any]:
    """The settings as staff write them: what :func:`parse_availability` reads back unchanged."""
    return {
        "motelengde_minutter": availability.meeting_minutes, "buffer_minutter": availability.buffer_minutes,
        "varsel_timer": availability.notice_hours, "horisont_dager": availability.horizon_days,
        "konsulenter": [{
            "id": person.id, "navn": person.name, "epost": person.email,
            "timer": {WEEKDAYS[day]: format_windows(spans) for day, spans in sorted(person.hours.items())},
            "stengt": format_closed(person.closed), "opptatt_ics": person.busy_url,
        } for person in availability.consultants],
    }


def format_windows(spans: Iterable[tuple[dt.time, dt.time]]) -> str:
    return ", ".join(f"{opens:%H:%M}-{'24:00' if closes == dt.time(0) else f'{closes:%H:%M}'}"
                     for opens, closes in spans)


def format_closed(days: Iterable[dt.date]) -> str:
    """Closed days, consecutive ones as ranges: «2026-07-01..2026-07-31, 2026-12-24»."""
    ordered, runs = sorted(days), []
    for day in ordered:
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return ", ".join(f"{a}" if a == b else f"{a}..{b}" for a, b in runs)
