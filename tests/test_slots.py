"""Free slots (inbox/slots.py) and iCalendar both ways (inbox/ical.py): pure, on small fixed inputs."""

from __future__ import annotations

import datetime as dt
import itertools

import icalendar
import pytest

from inbox import ical, slots
from inbox.slots import OSLO, UTC, Availability, Consultant

ALL_DAY = {day: ((dt.time(0), dt.time(0)),) for day in range(7)}  # 00:00-24:00 every day
OFFICE = {day: ((dt.time(9), dt.time(16)),) for day in range(5)}  # 09:00-16:00 on weekdays


def rules(hours=OFFICE, meeting=30, buffer=0, notice=0, horizon=60, **person) -> Availability:
    return Availability(meeting, buffer, notice, horizon, (Consultant("kari", "Kari Nordmann", hours=hours, **person),))


def oslo(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=OSLO)


def starts_on(found: list[slots.Slot], day: dt.date) -> list[str]:
    return [f"{slot.local:%H:%M}" for slot in found if slot.local.date() == day]


# --- summer time ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "count"), [
    (dt.date(2026, 3, 29), 5),    # clocks go 02:00 -> 03:00: the night has five hours
    (dt.date(2026, 10, 25), 7),   # clocks go 03:00 -> 02:00: seven
    (dt.date(2026, 3, 22), 6),    # an ordinary Sunday: six
])
def test_a_window_across_the_change_has_as_many_slots_as_real_hours(day: dt.date, count: int) -> None:
    night = {day.weekday(): ((dt.time(0), dt.time(6)),)}
    found = slots.free_slots(rules(hours=night, meeting=60), oslo(2026, 3, 1, 0, 0) if day.month == 3
                             else oslo(2026, 10, 1, 0, 0), first_day=day, last_day=day)
    assert len(found) == count
    assert all(b.start - a.start == dt.timedelta(hours=1) for a, b in itertools.pairwise(found))  # real hours apart


@pytest.mark.parametrize(("before", "after", "offsets"), [
    (dt.date(2026, 3, 27), dt.date(2026, 3, 30), ("08:00", "07:00")),    # Friday CET, Monday CEST
    (dt.date(2026, 10, 23), dt.date(2026, 10, 26), ("07:00", "08:00")),  # Friday CEST, Monday CET
])
def test_nine_o_clock_stays_nine_o_clock_in_oslo_across_the_change(before, after, offsets) -> None:
    found = slots.free_slots(rules(), oslo(before.year, before.month, 20, 0, 0))
    first = {day: next(slot for slot in found if slot.local.date() == day) for day in (before, after)}
    assert [f"{first[day].local:%H:%M}" for day in (before, after)] == ["09:00", "09:00"]
    assert [f"{first[day].start.astimezone(UTC):%H:%M}" for day in (before, after)] == list(offsets)
    assert slots.time_label(first[after].start) == "09.00"


def test_a_slot_key_names_the_utc_start_and_reads_back() -> None:
    slot = slots.Slot(oslo(2026, 3, 30, 9, 0).astimezone(UTC), "kari")
    assert slot.key == "kari.20260330T0700Z"
    assert slots.parse_key(slot.key) == slot
    for bad in ("kari.20260330T0700", "Kari.20260330T0700Z", "kari.20261330T0700Z", "../x.20260330T0700Z", ""):
        assert slots.parse_key(bad) is None


# --- closed days -----------------------------------------------------------------------------------


@pytest.mark.parametrize("holiday", [
    dt.date(2026, 1, 1),    # første nyttårsdag
    dt.date(2026, 4, 2),    # skjærtorsdag (Easter Sunday 2026 is 5 April)
    dt.date(2026, 4, 3),    # langfredag
    dt.date(2026, 4, 6),    # andre påskedag
    dt.date(2026, 5, 1),    # arbeidernes dag
    dt.date(2026, 5, 14),   # Kristi himmelfartsdag (Easter + 39)
    dt.date(2026, 5, 25),   # andre pinsedag (Easter + 50)
    dt.date(2027, 3, 25),   # skjærtorsdag 2027 (Easter Sunday 28 March): computed for each year
    dt.date(2027, 3, 29),   # andre påskedag 2027
    dt.date(2027, 5, 17),   # grunnlovsdag, a Monday in 2027
    dt.date(2026, 12, 25), dt.date(2026, 12, 26),
])
def test_public_holidays_are_closed_and_the_working_day_before_is_open(holiday: dt.date) -> None:
    every_day = rules(hours=ALL_DAY, meeting=60)
    start = oslo(holiday.year, holiday.month, holiday.day, 0, 0) - dt.timedelta(days=3)
    found = slots.free_slots(every_day, start, first_day=start.date(), last_day=holiday + dt.timedelta(days=2))
    assert starts_on(found, holiday) == []
    open_days = {slot.local.date() for slot in found}
    assert open_days - slots.public_holidays(holiday.year), "some day around the holiday is open"
    assert slots.holiday_name(holiday)


def test_easter_moves_with_the_year() -> None:
    assert {dt.date(2026, 4, 3), dt.date(2027, 3, 26), dt.date(2028, 4, 14)} <= (
        slots.public_holidays(2026) | slots.public_holidays(2027) | slots.public_holidays(2028))
    assert dt.date(2026, 3, 26) not in slots.public_holidays(2026)


def test_a_consultants_own_closed_days_and_ranges_are_closed() -> None:
    closed = slots.closed_days("2026-06-15..2026-06-17, 2026-06-19", "stengt")
    found = slots.free_slots(rules(closed=closed), oslo(2026, 6, 14, 12, 0), last_day=dt.date(2026, 6, 20))
    assert sorted({slot.local.date().day for slot in found}) == [18]
    assert slots.format_closed(closed) == "2026-06-15..2026-06-17, 2026-06-19"


# --- notice, horizon, buffer, bookings and busy times -------------------------------------------------


def test_minimum_notice_and_the_horizon() -> None:
    now = oslo(2026, 6, 8, 9, 10)  # a Monday
    found = slots.free_slots(rules(notice=4, horizon=3), now)
    assert found[0].local == oslo(2026, 6, 8, 13, 30)  # 09:10 + 4 h, on the half-hour grid from 09:00
    assert found[-1].start <= now + dt.timedelta(days=3)
    assert found[-1].local == oslo(2026, 6, 11, 9, 0)  # Thursday 09:00 is the last start within 72 hours


def test_meeting_and_buffer_make_the_grid_and_bookings_keep_their_buffer() -> None:
    now = oslo(2026, 6, 8, 0, 0)
    day = now.date()
    grid = rules(meeting=30, buffer=15)
    assert starts_on(slots.free_slots(grid, now, last_day=day), day)[:4] == ["09:00", "09:45", "10:30", "11:15"]
    booked = {"kari": [(oslo(2026, 6, 8, 9, 45).astimezone(UTC), oslo(2026, 6, 8, 10, 15).astimezone(UTC))]}
    assert starts_on(slots.free_slots(grid, now, taken=booked, last_day=day), day)[:3] == ["09:00", "10:30", "11:15"]
    # A meeting at 09:50 (booked before the grid changed) leaves no slot within 15 minutes of it: 10:30 goes.
    odd = {"kari": [(oslo(2026, 6, 8, 9, 50).astimezone(UTC), oslo(2026, 6, 8, 10, 20).astimezone(UTC))]}
    assert starts_on(slots.free_slots(grid, now, taken=odd, last_day=day), day)[:2] == ["09:00", "11:15"]
    other = {"ola": booked["kari"]}  # another consultant's meeting blocks nothing of Kari's
    assert starts_on(slots.free_slots(grid, now, taken=other, last_day=day), day)[:2] == ["09:00", "09:45"]


def test_busy_times_from_the_calendar_are_never_offered() -> None:
    now = oslo(2026, 6, 8, 0, 0)
    busy = {"kari": [(oslo(2026, 6, 8, 11, 0).astimezone(UTC), oslo(2026, 6, 8, 13, 0).astimezone(UTC))]}
    found = starts_on(slots.free_slots(rules(), now, busy=busy, last_day=now.date()), now.date())
    assert "10:30" in found and "13:00" in found
    assert not {"11:00", "11:30", "12:00", "12:30"} & set(found)


def test_several_consultants_come_sorted_by_time_then_consultant() -> None:
    people = (Consultant("ola", "Ola", hours=OFFICE), Consultant("kari", "Kari", hours=OFFICE))
    found = slots.free_slots(Availability(60, 0, 0, 1, people), oslo(2026, 6, 8, 0, 0))
    assert [(f"{slot.local:%H}", slot.consultant) for slot in found[:4]] == [
        ("09", "kari"), ("09", "ola"), ("10", "kari"), ("10", "ola")]
    assert [slot.consultant for slot in slots.free_slots(Availability(60, 0, 0, 1, people), oslo(2026, 6, 8, 0, 0),
                                                         consultant="ola")][:2] == ["ola", "ola"]


# --- settings --------------------------------------------------------------------------------------

SETTINGS = {
    "motelengde_minutter": 45, "buffer_minutter": 10, "varsel_timer": 2, "horisont_dager": 21,
    "konsulenter": [{"id": "kari", "navn": "Kari Nordmann", "epost": "kari@arcticsales.no",
                     "timer": {"man": "09:00-11:30, 12:30-16:00", "fre": ["08:00-12:00"]},
                     "stengt": ["2026-07-01..2026-07-03"], "opptatt_ics": "https://kalender.example/kari.ics"}],
}


def test_settings_are_read_and_written_back_unchanged() -> None:
    availability = slots.parse_availability(SETTINGS)
    kari = availability.consultants[0]
    assert (availability.meeting_minutes, availability.buffer_minutes, availability.notice_hours,
            availability.horizon_days) == (45, 10, 2, 21)
    assert kari.hours == {0: ((dt.time(9), dt.time(11, 30)), (dt.time(12, 30), dt.time(16))),
                          4: ((dt.time(8), dt.time(12)),)}
    assert kari.closed == {dt.date(2026, 7, 1), dt.date(2026, 7, 2), dt.date(2026, 7, 3)}
    assert slots.parse_availability(slots.to_raw(availability)) == availability


@pytest.mark.parametrize(("change", "message"), [
    ({"motelengde_minutter": 0}, "motelengde_minutter: må være et heltall fra 5 til 480."),
    ({"horisont_dager": "mange"}, "horisont_dager: må være et heltall fra 1 til 365."),
    ({"konsulenter": [{"id": "Kari!", "navn": "K"}]}, "konsulenter[1].id: bare a–z, 0–9 og bindestrek"),
    ({"konsulenter": [{"id": "kari", "navn": ""}]}, "konsulenter[1].navn: skriv navnet"),
    ({"konsulenter": [{"id": "kari", "navn": "K", "timer": {"mandag": "09:00-10:00"}}]}, "konsulenter[1].timer: bruk"),
    ({"konsulenter": [{"id": "kari", "navn": "K", "timer": {"man": "10:00-09:00"}}]}, "slutter før det begynner"),
    ({"konsulenter": [{"id": "kari", "navn": "K", "timer": {"man": "9-10"}}]}, "er ikke et tidsrom"),
    ({"konsulenter": [{"id": "kari", "navn": "K", "stengt": ["1. mai"]}]}, "er ikke en dato"),
    ({"konsulenter": [{"id": "kari", "navn": "K"}, {"id": "kari", "navn": "L"}]}, "to konsulenter har samme id"),
])
def test_wrong_settings_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(slots.AvailabilityError) as raised:
        slots.parse_availability({**SETTINGS, **change})
    assert str(raised.value).startswith(message.split("…")[0]) or message in str(raised.value)


# --- invitations -------------------------------------------------------------------------------------

MEETING = ical.Meeting(
    uid="c0ffee@innboks.arcticsales.no", sequence=0, start=oslo(2026, 3, 30, 9, 0), end=oslo(2026, 3, 30, 9, 30),
    organizer_name="Kari Nordmann", organizer_email="kari@arcticsales.no", attendee_name='Ola "O" Nordmann',
    attendee_email="ola@fjord.no", summary="Gratis konsultasjon", description="Fra artikkelen.",
    created=oslo(2026, 3, 1, 12, 0))


@pytest.mark.parametrize(("method", "status"), [("REQUEST", "CONFIRMED"), ("CANCEL", "CANCELLED")])
def test_an_invitation_parses_back_field_by_field(method: str, status: str) -> None:
    data = ical.invitation(MEETING, method, oslo(2026, 3, 1, 12, 5))
    calendar = icalendar.Calendar.from_ical(data)
    assert (str(calendar["method"]), str(calendar["version"]), str(calendar["prodid"])) == (method, "2.0", ical.PRODID)
    [event] = calendar.walk("VEVENT")
    assert str(event["uid"]) == MEETING.uid and int(event["sequence"]) == 0
    assert event.decoded("dtstart") == MEETING.start and event.decoded("dtend") == MEETING.end
    assert event["dtstart"].params["TZID"] == "Europe/Oslo"
    assert event.decoded("dtstart").utcoffset() == dt.timedelta(hours=2)  # summer time began the day before
    assert event.decoded("dtstamp") == oslo(2026, 3, 1, 12, 5)
    assert str(event["status"]) == status and str(event["summary"]) == "Gratis konsultasjon"
    assert str(event["organizer"]) == "mailto:kari@arcticsales.no" and event["organizer"].params["CN"] == "Kari Nordmann"
    attendee = event["attendee"]
    assert str(attendee) == "mailto:ola@fjord.no"
    assert attendee.params["CN"] == "Ola O Nordmann"  # a quote is not allowed in a parameter
    assert (attendee.params["ROLE"], attendee.params["PARTSTAT"], attendee.params["RSVP"]) == (
        "REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Oslo"
    assert {str(part["tzname"]) for part in zone.subcomponents} == {"CET", "CEST"}
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))


FEED = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Feed//NB\r
BEGIN:VEVENT\r
UID:weekly@test\r
DTSTART;TZID=Europe/Oslo:20260302T100000\r
DTEND;TZID=Europe/Oslo:20260302T110000\r
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10\r
EXDATE;TZID=Europe/Oslo:20260316T100000\r
SUMMARY:Salgsmote\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly@test\r
RECURRENCE-ID;TZID=Europe/Oslo:20260323T100000\r
DTSTART;TZID=Europe/Oslo:20260323T140000\r
DTEND;TZID=Europe/Oslo:20260323T150000\r
SUMMARY:Flyttet\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:free@test\r
DTSTART:20260303T090000Z\r
DTEND:20260303T100000Z\r
TRANSP:TRANSPARENT\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:cancelled@test\r
DTSTART:20260304T090000Z\r
DTEND:20260304T100000Z\r
STATUS:CANCELLED\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:allday@test\r
DTSTART;VALUE=DATE:20260305\r
DTEND;VALUE=DATE:20260306\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_busy_feed_expands_recurrences_and_skips_free_and_cancelled_events() -> None:
    busy = ical.busy_times(FEED, oslo(2026, 3, 1, 0, 0), oslo(2026, 4, 1, 0, 0))
    as_oslo = [(f"{start.astimezone(OSLO):%m-%d %H:%M}", f"{end.astimezone(OSLO):%H:%M}") for start, end in busy]
    assert as_oslo == [
        ("03-02 10:00", "11:00"),
        ("03-05 00:00", "00:00"),   # all day, in Oslo
        ("03-09 10:00", "11:00"),
        # 16 March is an EXDATE; 23 March was moved to 14:00 by its RECURRENCE-ID
        ("03-23 14:00", "15:00"),
        ("03-30 10:00", "11:00"),   # after the change to summer time: still 10:00 in Oslo
    ]
    with pytest.raises(ValueError):
        ical.busy_times(b"not a calendar", oslo(2026, 3, 1, 0, 0), oslo(2026, 4, 1, 0, 0))
