"""Booking a free time on the inbox (inbox/booking.py), in-process, on SQLite and PostgreSQL.

The visitor's and the consultant's mail arrive at a local SMTP server and are
read back as raw messages; their invitations are parsed with icalendar.
"""

from __future__ import annotations

import datetime as dt
import http.server
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select

from inbox import booking, slots, store, tokens
from support import BOOKING, INBOX, JSON, SECRET, SITE, body, log_in, path_of

EVERY_DAY = {day: "00:00-24:00" for day in slots.WEEKDAYS}


def availability(path: Path, **change: object) -> str:
    raw = {"motelengde_minutter": 30, "buffer_minutter": 15, "varsel_timer": 0, "horisont_dager": 14,
           "konsulenter": [{"id": "kari", "navn": "Kari Nordmann", "epost": "kari@arcticsales.no",
                            "timer": EVERY_DAY}], **change}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return str(path)


@pytest.fixture
def inbox(make_inbox, tmp_path):
    return make_inbox(availability_path=availability(tmp_path / "availability.yaml"))


def free(client, **params) -> list[dict]:
    answer = client.get("/moter/ledige.json", params=params)
    assert answer.status_code == 200
    return [slot for day in answer.json()["days"] for slot in day["slots"]]


def book(client, slot: str, **change) -> object:
    return client.post("/booking", data={**BOOKING, "slot": slot, **change}, headers=JSON)


def invitation(message) -> icalendar.Calendar:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    [attached] = [part for part in message.walk() if part.get_filename() == "invitasjon.ics"]
    assert attached.get_content() == part.get_content().encode("utf-8")  # the same invitation twice
    return icalendar.Calendar.from_ical(part.get_content())


def manage_link(message) -> str:
    return re.search(r"http://inbox\.test/moter/endre\?token=\S+", body(message))[0]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def rows(client) -> list[dict]:
    with store._transaction(client.inbox.engine) as conn:
        return [dict(row._mapping) for row in conn.execute(select(store.bookings))]


def test_booking_a_slot_sends_both_invitations_with_one_uid(inbox, mailbox) -> None:
    first = free(inbox)[0]
    answer = book(inbox, first["slot"])
    assert answer.status_code == 200 and answer.json()["ok"] is True
    assert "med Kari Nordmann" in answer.json()["message"]
    [row] = rows(inbox)
    assert row["consultant"] == "kari" and row["email"] == "kari@nordlys.no"
    assert store.utc(row["start_at"]).isoformat() == dt.datetime.fromisoformat(first["start"]).astimezone(
        dt.timezone.utc).isoformat()
    assert first["slot"] not in {slot["slot"] for slot in free(inbox)}
    mailbox.wait(2)
    visitor, = mailbox.to("kari@nordlys.no")
    consultant, = mailbox.to("kari@arcticsales.no")
    assert visitor["Subject"] == "Møtet er booket" and visitor["Reply-To"] == "kari@arcticsales.no"
    assert consultant["Subject"] == "Nytt møte booket" and consultant["Reply-To"] == "kari@nordlys.no"
    for message in (visitor, consultant):
        calendar = invitation(message)
        assert str(calendar["method"]) == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["uid"]) == row["uid"] and int(event["sequence"]) == 0
        assert event.decoded("dtstart") == store.utc(row["start_at"])
        assert event.decoded("dtend") - event.decoded("dtstart") == dt.timedelta(minutes=30)
        assert event["dtstart"].params["TZID"] == "Europe/Oslo"
        assert str(event["organizer"]) == "mailto:kari@arcticsales.no"
        assert str(event["attendee"]) == "mailto:kari@nordlys.no" and event["attendee"].params["CN"] == "Kari Nordmann"
        assert f"{SITE}artikler/coaching-i-praksis/" in str(event["description"])
    text = body(consultant)
    for detail in ("Kari Nordmann", "Nordlys AS", "+47 912 34 567", "Har dere tid i mars?",
                   f"Artikkel: {SITE}artikler/coaching-i-praksis/"):
        assert detail in text
    assert "/moter/endre?token=" in body(visitor) and "/moter/endre" not in text
    [lead] = store.list_leads(inbox.inbox.engine)
    assert lead["kind"] == "booking" and lead["id"] == row["lead_id"] and lead["article"] == "coaching-i-praksis"


def test_the_second_visitor_gets_the_next_free_times_and_keeps_the_input(inbox) -> None:
    first = free(inbox)[0]
    assert book(inbox, first["slot"]).status_code == 200
    late = book(inbox, first["slot"], form_token="tok-booking-002", email="ola@fjord.no")
    assert late.status_code == 409
    answer = late.json()
    assert answer["ok"] is False and answer["taken"] is True
    assert answer["message"].startswith("Noen andre booket denne tiden akkurat nå.")
    assert answer["slots"] and first["slot"] not in {slot["slot"] for slot in answer["slots"]}
    page = inbox.post("/booking", data={**BOOKING, "slot": first["slot"], "form_token": "tok-booking-003",
                                        "name": 'Ola "<b>"'})
    assert page.status_code == 409
    html = HTMLParser(page.text)
    assert html.css_first("#booking-problem").text().startswith("Noen andre booket")
    assert html.css_first("input#booking-name").attributes["value"] == 'Ola "<b>"'
    assert html.css_first("textarea#booking-message").text() == BOOKING["message"]
    choices = [node.attributes["value"] for node in html.css("input[type=radio][name=slot]")]
    assert choices and first["slot"] not in choices
    assert not html.css("input[type=hidden][name=slot]")  # the taken time is not sent again
    assert html.css_first("input[name=article]").attributes["value"] == "coaching-i-praksis"
    assert len(rows(inbox)) == 1 and store.count_leads(inbox.inbox.engine) == 1


def test_a_time_that_is_not_offered_cannot_be_booked(inbox, tmp_path) -> None:
    inbox.inbox.settings  # noqa: B018
    offers = free(inbox)
    first = dt.datetime.fromisoformat(offers[0]["start"]).astimezone(dt.timezone.utc)
    offered = {slot["slot"] for slot in offers}
    between = first + dt.timedelta(minutes=7)  # the grid steps by meeting + buffer (45 minutes): never 7
    assert f"kari.{between:%Y%m%dT%H%M}Z" not in offered
    for slot in (f"kari.{between:%Y%m%dT%H%M}Z",                                   # off the grid
                 f"ola.{first:%Y%m%dT%H%M}Z",                                       # no such consultant
                 "kari.20200101T0900Z"):                                            # in the past
        answer = book(inbox, slot)
        assert answer.status_code in {409, 410} and answer.json()["ok"] is False
    assert rows(inbox) == [] and store.count_leads(inbox.inbox.engine) == 0


def test_a_resend_of_the_same_form_books_once(inbox, mailbox) -> None:
    slot = free(inbox)[0]["slot"]
    assert book(inbox, slot).status_code == 200
    again = book(inbox, slot)  # the same form token: a double click or a retry
    assert again.status_code in {200, 409}
    assert len(rows(inbox)) == 1 and store.count_leads(inbox.inbox.engine) == 1


def test_confirmations_are_limited_per_address_but_the_consultant_hears_of_every_booking(inbox, mailbox) -> None:
    offered = free(inbox)[:5]
    for index, slot in enumerate(offered):
        assert book(inbox, slot["slot"], form_token=f"tok-bomb-{index:04d}", email="offer@fjord.no").status_code == 200
    mailbox.wait(5 + store.CONFIRMATIONS_PER_HOUR)
    time.sleep(0.5)
    assert len(mailbox.to("offer@fjord.no")) == store.CONFIRMATIONS_PER_HOUR
    assert len(mailbox.to("kari@arcticsales.no")) == 5


def test_cancelling_from_the_link_frees_the_slot_and_sends_cancel_once(inbox, mailbox) -> None:
    slot = free(inbox)[0]["slot"]
    book(inbox, slot)
    mailbox.wait(2)
    link = manage_link(mailbox.to("kari@nordlys.no")[0])
    shown = inbox.get(path_of(link))
    assert shown.status_code == 200 and "Avbestill møtet" in shown.text
    assert inbox.head(path_of(link)).status_code == 200 and len(rows(inbox)) == 1  # looking changes nothing
    foreign = inbox.post("/moter/avbestill", data={"token": token_of(link)})  # from the site's origin
    assert foreign.status_code == 403 and len(rows(inbox)) == 1
    done = inbox.post("/moter/avbestill", data={"token": token_of(link)}, headers={"origin": INBOX})
    assert done.status_code == 200 and "Møtet er avbestilt" in done.text
    assert rows(inbox) == [] and slot in {item["slot"] for item in free(inbox)}
    mailbox.wait(4)
    cancels = [message for message in mailbox.messages if message["Subject"] in {"Møtet er avlyst", "Et møte er avlyst"}]
    assert sorted(message["To"] for message in cancels) == ["kari@arcticsales.no", "kari@nordlys.no"]
    original = icalendar.Calendar.from_ical(invitation(mailbox.to("kari@nordlys.no")[0]).to_ical()).walk("VEVENT")[0]
    for message in cancels:
        calendar = invitation(message)
        [event] = calendar.walk("VEVENT")
        assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
        assert str(event["uid"]) == str(original["uid"]) and int(event["sequence"]) == 1
        assert event.decoded("dtstart") == original.decoded("dtstart")
    again = inbox.post("/moter/avbestill", data={"token": token_of(link)}, headers={"origin": INBOX})
    assert again.status_code == 410 and "Lenken er brukt" in again.text
    assert inbox.get(path_of(link)).status_code == 410


def test_links_are_signed_and_expire(inbox, mailbox) -> None:
    book(inbox, free(inbox)[0]["slot"])
    mailbox.wait(2)
    token = token_of(manage_link(mailbox.to("kari@nordlys.no")[0]))
    payload = tokens.Signer(SECRET).verify("booking", token, None)
    old = tokens.Signer(SECRET).sign("booking", payload, time.time() - (booking.LINK_DAYS * 86400 + 60))
    expired = inbox.get("/moter/endre", params={"token": old})
    assert expired.status_code == 410 and "Lenken er utløpt" in expired.text
    encoded, stamp, mac = token.split(".")
    for forged in (f"{encoded}.{int(stamp) + 1}.{mac}", tokens.Signer(SECRET).sign("unsubscribe", payload),
                   tokens.Signer(b"y" * 48).sign("booking", payload), "x", ""):
        answer = inbox.post("/moter/avbestill", data={"token": forged}, headers={"origin": INBOX})
        assert answer.status_code == 400 and "Lenken virker ikke" in answer.text
    assert len(rows(inbox)) == 1


def test_moving_keeps_the_uid_raises_the_sequence_and_uses_up_the_link(inbox, mailbox) -> None:
    offered = free(inbox)
    book(inbox, offered[0]["slot"])
    mailbox.wait(2)
    link = manage_link(mailbox.to("kari@nordlys.no")[0])
    page = HTMLParser(inbox.get(path_of(link)).text)
    choices = [node.attributes["value"] for node in page.css("input[name=tid]")]
    assert offered[1]["slot"] in choices and offered[0]["slot"] not in choices
    moved = inbox.post("/moter/flytt", data={"token": token_of(link), "tid": offered[1]["slot"]},
                       headers={"origin": INBOX})
    assert moved.status_code == 200 and "Møtet er flyttet" in moved.text
    [row] = rows(inbox)
    assert slots.Slot(store.utc(row["start_at"]), row["consultant"]).key == offered[1]["slot"]
    assert row["sequence"] == 1
    assert offered[0]["slot"] in {item["slot"] for item in free(inbox)}
    mailbox.wait(4)
    [message] = [m for m in mailbox.to("kari@nordlys.no") if m["Subject"] == "Møtet er flyttet"]
    [event] = invitation(message).walk("VEVENT")
    assert str(event["uid"]) == row["uid"] and int(event["sequence"]) == 1
    assert inbox.post("/moter/flytt", data={"token": token_of(link), "tid": offered[2]["slot"]},
                      headers={"origin": INBOX}).status_code == 410  # the old link worked once
    newer = manage_link(message)
    assert inbox.get(path_of(newer)).status_code == 200


def test_the_staff_see_meetings_by_day_cancel_with_a_note_and_erase_reaches_bookings(inbox, mailbox) -> None:
    slot = free(inbox)[0]["slot"]
    book(inbox, slot, name="Kari <script>Nordmann</script>")
    csrf = log_in(inbox)
    page = HTMLParser(inbox.get("/staff/moter").text)
    assert page.css_first("h1").text() == "Møter"
    [row] = page.css("tbody tr")
    assert "Kari <script>Nordmann</script>" in row.text() and "Nordlys AS" in row.text()
    assert row.css_first("a[href^=mailto]").text() == "kari@nordlys.no"
    links = HTMLParser(inbox.get("/staff/").text).css("nav.staff-nav a")
    assert any(link.attributes["href"] == "/staff/moter" and link.text(strip=True) == "Møter" for link in links)
    action = row.css_first("form.cancel").attributes["action"]
    refused = inbox.post(action, data={"csrf": "feil", "note": "x"}, headers={"origin": INBOX})
    assert refused.status_code == 403 and len(rows(inbox)) == 1
    done = inbox.post(action, data={"csrf": csrf, "note": "Beklager, Kari er syk.\nVi ringer deg."},
                      headers={"origin": INBOX})
    assert done.status_code == 303 and rows(inbox) == []
    mailbox.wait(4)
    [cancel] = [m for m in mailbox.to("kari@nordlys.no") if m["Subject"] == "Møtet er avlyst"]
    assert "Beklager, Kari er syk.\nVi ringer deg." in body(cancel).replace("\r\n", "\n")
    assert str(invitation(cancel)["method"]) == "CANCEL"
    book(inbox, free(inbox)[0]["slot"], form_token="tok-booking-again")
    assert store.erasable(inbox.inbox.engine, "KARI@nordlys.no")["bookings"] == 1
    assert store.erase(inbox.inbox.engine, "kari@nordlys.no")["bookings"] == 1
    assert rows(inbox) == []


def test_retention_removes_meetings_that_are_over(inbox) -> None:
    book(inbox, free(inbox)[0]["slot"])
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    removed = store.purge(inbox.inbox.engine, later, dt.timedelta(days=365), dt.timedelta(hours=72))
    assert removed["bookings"] == 1 and rows(inbox) == []


def test_staff_change_the_availability_and_a_mistake_changes_nothing(inbox) -> None:
    csrf = log_in(inbox)
    text = HTMLParser(inbox.get("/staff/moter").text).css_first("textarea#innstillinger").text()
    assert yaml.safe_load(text)["konsulenter"][0]["id"] == "kari"
    wrong = inbox.post("/staff/moter/tilgjengelighet", data={"csrf": csrf, "innstillinger": text.replace(
        "motelengde_minutter: 30", "motelengde_minutter: 3")}, headers={"origin": INBOX})
    assert wrong.status_code == 422
    assert HTMLParser(wrong.text).css_first("#settings-error").text() == (
        "motelengde_minutter: må være et heltall fra 5 til 480.")
    assert free(inbox)
    closed = {**yaml.safe_load(text), "konsulenter": [{**yaml.safe_load(text)["konsulenter"][0], "timer": {}}]}
    saved = inbox.post("/staff/moter/tilgjengelighet", data={"csrf": csrf, "innstillinger": yaml.safe_dump(closed)},
                       headers={"origin": INBOX})
    assert saved.status_code == 303
    assert free(inbox) == []  # the saved copy counts now, for every process on this database


class _Feed(http.server.BaseHTTPRequestHandler):
    calendar = b""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("content-type", "text/calendar")
        self.end_headers()
        self.wfile.write(self.calendar)

    def log_message(self, *args: object) -> None:
        pass


def test_busy_times_from_the_consultants_feed_are_never_offered(make_inbox, tmp_path) -> None:
    start = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + dt.timedelta(hours=2)
    end = start + dt.timedelta(hours=3)
    _Feed.calendar = (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//NB\r\nBEGIN:VEVENT\r\nUID:busy@t\r\n"
                      f"DTSTART:{start:%Y%m%dT%H%M%S}Z\r\nDTEND:{end:%Y%m%dT%H%M%S}Z\r\nEND:VEVENT\r\n"
                      "END:VCALENDAR\r\n").encode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = f"http://127.0.0.1:{server.server_address[1]}/kari.ics"
        path = availability(tmp_path / "feed.yaml", konsulenter=[
            {"id": "kari", "navn": "Kari Nordmann", "timer": EVERY_DAY, "opptatt_ics": feed}])
        client = make_inbox(availability_path=path)
        deadline = time.monotonic() + 10
        while not (offered := free(client)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert offered, "the feed was read"
        starts = [dt.datetime.fromisoformat(slot["start"]) for slot in offered]
        meeting = dt.timedelta(minutes=30)
        buffer = dt.timedelta(minutes=15)
        assert not [s for s in starts if s < end + buffer and s + meeting > start - buffer]
        assert [s for s in starts if s >= end + buffer]
        busy = slots.Slot(start + dt.timedelta(minutes=30), "kari").key
        assert book(client, busy).status_code in {409, 410} and rows(client) == []
    finally:
        server.shutdown()
        server.server_close()


def test_the_slot_page_and_form_work_without_script(inbox) -> None:
    page = HTMLParser(inbox.get("/moter/", params={"article": "coaching-i-praksis",
                                                   "page": "artikler/coaching-i-praksis/"}).text)
    assert page.css_first("h1").text() == "Velg et tidspunkt"
    link = page.css_first("a.slot")
    query = parse_qs(urlsplit(link.attributes["href"]).query)
    assert query["article"] == ["coaching-i-praksis"] and query["page"] == ["artikler/coaching-i-praksis/"]
    form_page = HTMLParser(inbox.get(link.attributes["href"]).text)
    hidden = {node.attributes["name"]: node.attributes["value"] for node in form_page.css("input[type=hidden]")}
    assert hidden == {"slot": query["tid"][0], "article": "coaching-i-praksis", "page": "artikler/coaching-i-praksis/",
                      "form_token": ""}
    assert form_page.css_first("p.chosen").text().startswith("Du har valgt ")
    data = {**{key: value for key, value in BOOKING.items() if key != "form_token"}, **hidden}
    done = inbox.post("/booking", data=data, headers={"origin": INBOX})
    assert done.status_code == 200 and HTMLParser(done.text).css_first("h1").text() == "Møtet er booket"
    hostile = inbox.get("/moter/", params={"article": '"><script>', "page": "../../etc"})
    assert "<script>" not in hostile.text and "etc" not in hostile.text
    assert inbox.get("/moter/bestill", params={"tid": "kari.20200101T0900Z"}).status_code == 410


def test_the_json_answers_the_site_only_with_cors(inbox) -> None:
    answer = inbox.get("/moter/ledige.json")
    assert answer.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
    other = inbox.get("/moter/ledige.json", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    body_ = answer.json()
    assert body_["zone"] == "Europe/Oslo" and body_["minutes"] == 30
    day = body_["days"][0]
    assert re.fullmatch(r"(mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag) \d{1,2}\. [a-zæøå]+", day["label"])
    assert all(re.fullmatch(r"\d\d\.\d\d", slot["time"]) for slot in day["slots"])


def test_without_availability_the_booking_form_is_a_request_as_before(make_inbox) -> None:
    client = make_inbox()
    assert client.get("/moter/ledige.json").json()["days"] == []
    assert client.post("/booking", data=BOOKING, headers=JSON).json()["message"].startswith(
        "Takk! Vi har mottatt forespørselen din")


def test_the_database_constraint_holds_the_slot_even_past_the_free_check(inbox) -> None:
    """No check-then-insert: store_booking itself answers «taken» when the row is there, and nothing of it stays."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    engine, moment = inbox.inbox.engine, dt.datetime.now(dt.timezone.utc)
    start = moment.replace(second=0, microsecond=0) + dt.timedelta(days=2)
    meeting = {"consultant": "kari", "start_at": start, "end_at": start + dt.timedelta(minutes=30), "sequence": 0,
               "email": "a@fjord.no", "name": "A"}
    mail = store.Mail("a@fjord.no", "x", about="a@fjord.no")
    lead = {"email": "a@fjord.no", "name": "A"}
    assert booking.store_booking(engine, "tok-constraint-1", lead, {**meeting, "uid": "u1", "nonce": "n1"}, moment,
                                 mail, mail) == "booked"
    assert booking.store_booking(engine, "tok-constraint-2", lead, {**meeting, "uid": "u2", "nonce": "n2"}, moment,
                                 mail, mail) == "taken"
    assert store.count_leads(engine) == 1 and len(rows(inbox)) == 1  # the loser's lead was rolled back too
    with pytest.raises(IntegrityError), store._transaction(engine) as conn:
        conn.execute(insert(store.bookings), {**meeting, "uid": "u3", "nonce": "n3", "created_at": moment})
