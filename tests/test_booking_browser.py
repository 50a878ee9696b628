"""From an article in headless Chromium: pick a free time, book it, get the invitation, cancel it, see it free.

The site is built with the real MkDocs in strict mode and served from a
folder; its booking block points at `python -m inbox` running as a real
process with an availability file, SQLite in tmp_path and mail written into
its data folder (the local preview's delivery). Once with JavaScript, once
without.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import icalendar
import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, expect

from inbox import slots
from support import (PASSWORD, PASSWORD_HASH, PHONE, REPO, article, build_forms_site, inbox_server,
                     refuse_other_hosts, serve_folder)

pytestmark = pytest.mark.browser

SLUG = "moter-som-selger"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    root = tmp_path_factory.mktemp("booking-site")
    (root / "availability.yaml").write_text(yaml.safe_dump({
        "motelengde_minutter": 30, "buffer_minutter": 15, "varsel_timer": 0, "horisont_dager": 10,
        "konsulenter": [{"id": "kari", "navn": "Kari Nordmann", "epost": "kari@arcticsales.no",
                         "timer": {day: "00:00-24:00" for day in slots.WEEKDAYS}}]}), encoding="utf-8")
    with serve_folder(root / "site") as site_url:
        data = root / "data"
        with inbox_server("", site_url, data, "--availability", str(root / "availability.yaml"),
                          env={"INBOX_SMTP_HOST": "", "INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH}) as (
                              inbox_url, _process, _log):
            build(root, inbox_url)
            yield {"site": site_url, "inbox": inbox_url, "mail": data / "mail"}


def build(root: Path, inbox_url: str) -> None:
    build_forms_site(root, inbox_url, {
        "artikler/posts/a.md": article("Møter som selger", "Første avsnitt.\n\n## Mer\n\nTekst.", slug=SLUG),
    }, {"booking": {"provider": "inbox"}})


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE, java_script_enabled=request.param)
    outside = refuse_other_hosts(context)
    yield context
    context.close()
    assert outside == []


def mail_to(folder: Path, address: str, subject: str, timeout: float = 15) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address and message["Subject"] == subject:
                return message
        time.sleep(0.1)
    raise AssertionError(f"no «{subject}» to {address} in {folder}")


def invitation(message: EmailMessage) -> icalendar.Event:
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return event


def cancel_from_the_mail(page, running: dict, address: str, slot: str) -> None:
    invite = mail_to(running["mail"], address, "Møtet er booket")
    event = invitation(invite)
    assert slots.Slot(event.decoded("dtstart").astimezone(slots.UTC), "kari").key == slot
    link = re.search(r"http://127\.0\.0\.1:\d+/moter/endre\?token=\S+", invite.get_body(("plain",)).get_content())[0]
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Møtet ditt")
    page.get_by_role("button", name="Avbestill møtet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Møtet er avbestilt")
    cancel = invitation(mail_to(running["mail"], address, "Møtet er avlyst"))
    assert str(cancel["uid"]) == str(event["uid"]) and int(cancel["sequence"]) == int(event["sequence"]) + 1


@pytest.mark.parametrize("context", [True], indirect=True, ids=["javascript"])
def test_pick_a_time_book_it_and_cancel_it_from_the_invitation(context, running) -> None:
    page = context.new_page()
    page.goto(f"{running['site']}artikler/{SLUG}/")
    block = page.locator("section.hub-cta--booking")
    block.scroll_into_view_if_needed()  # the times are asked for when the reader comes near the block
    times = block.locator("button.hub-slots__time")
    expect(times.first).to_be_visible()
    expect(block.locator("form")).to_be_hidden()  # the time first, then the form
    slot = times.first.get_attribute("data-slot")
    times.first.click()
    expect(times.first).to_have_attribute("aria-pressed", "true")
    expect(block.locator(".hub-slots__chosen")).to_contain_text("Valgt tid:")
    block.get_by_label("Navn").fill("Kari Nordmann")
    block.get_by_label("E-post", exact=True).fill("kari@nordlys.no")
    block.get_by_label(re.compile("Jeg samtykker")).check()
    block.get_by_role("button", name="Book møtet").click()
    expect(block.get_by_role("status").last).to_contain_text("Møtet er booket")
    cancel_from_the_mail(page, running, "kari@nordlys.no", slot)
    page.goto(f"{running['site']}artikler/{SLUG}/")
    page.locator("section.hub-cta--booking").scroll_into_view_if_needed()
    expect(page.locator(f'button.hub-slots__time[data-slot="{slot}"]')).to_be_visible()  # free again


@pytest.mark.parametrize("context", [False], indirect=True, ids=["no-javascript"])
def test_without_javascript_the_slot_page_books_and_the_link_cancels(context, running) -> None:
    page = context.new_page()
    page.goto(f"{running['site']}artikler/{SLUG}/")
    page.get_by_role("link", name="Se ledige tider og book et møte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Velg et tidspunkt")
    first = page.locator("a.slot").first
    slot = first.get_attribute("data-slot")
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book møtet")
    expect(page.locator("input[name=article]")).to_have_value(SLUG)
    page.get_by_label("Navn").fill("Uten Skript")
    page.get_by_label("E-post", exact=True).fill("uten@skript.no")
    page.get_by_label(re.compile("Jeg samtykker")).check()
    page.get_by_role("button", name="Book møtet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Møtet er booket")
    cancel_from_the_mail(page, running, "uten@skript.no", slot)
    page.goto(f"{running['inbox']}/moter/")
    expect(page.locator(f'a.slot[data-slot="{slot}"]')).to_be_visible()  # free again


def serious_axe_findings(page) -> list[tuple[str, list]]:
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js")
    assert axe.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in result["violations"]
            if violation["impact"] in {"serious", "critical"}]


def test_axe_finds_nothing_serious_in_the_times_and_the_booking_form(browser: Browser, running) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)  # the inbox's CSP forbids the injected axe script
    try:
        page = context.new_page()
        page.goto(f"{running['site']}artikler/{SLUG}/")
        page.locator("section.hub-cta--booking").scroll_into_view_if_needed()
        expect(page.locator("button.hub-slots__time").first).to_be_visible()
        page.locator("button.hub-slots__time").first.click()
        assert serious_axe_findings(page) == []
        page.goto(f"{running['inbox']}/moter/")
        for heading in ("Velg et tidspunkt", "Book møtet"):  # the slot page, then the form for its first time
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            assert serious_axe_findings(page) == []
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
            if heading == "Velg et tidspunkt":
                page.locator("a.slot").first.click()
    finally:
        context.close()


def test_the_staff_see_the_meeting_and_axe_finds_nothing_serious_on_their_page(browser: Browser, running) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{running['inbox']}/moter/")
        page.locator("a.slot").first.click()
        page.get_by_label("Navn").fill("Stine Staff")
        page.get_by_label("Firma").fill("Polar AS")
        page.get_by_label("E-post", exact=True).fill("stine@polar.no")
        page.get_by_label(re.compile("Jeg samtykker")).check()
        page.get_by_role("button", name="Book møtet").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Møtet er booket")
        page.goto(f"{running['inbox']}/staff/")
        page.get_by_label("Passord").fill(PASSWORD)
        page.get_by_role("button", name="Logg inn").click()
        page.get_by_role("navigation", name="Ansattsidene").get_by_role("link", name="Møter").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Møter")
        row = page.locator("tbody tr").filter(has_text="stine@polar.no")
        expect(row).to_contain_text("Stine Staff, Polar AS")
        assert serious_axe_findings(page) == []
        row.get_by_label("Beskjed til Stine Staff (valgfritt)").fill("Vi må dessverre flytte.")
        row.get_by_role("button", name="Avlys møtet").click()
        expect(page.get_by_role("status")).to_have_text("Møtet er avlyst, og den som booket det har fått beskjed.")
        assert "Vi må dessverre flytte." in mail_to(running["mail"], "stine@polar.no", "Møtet er avlyst").get_body(
            ("plain",)).get_content()
    finally:
        context.close()
