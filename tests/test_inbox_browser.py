"""From an article in headless Chromium to the staff page: the forms deliver to a running inbox.

The site is built with the real MkDocs, its forms pointed at `python -m inbox`
running as a real process (SQLite in tmp_path, mail into its data folder).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from email import message_from_string, policy
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from support import PASSWORD, PASSWORD_HASH, PHONE, REPO, article, build_forms_site, inbox_server, serve_folder

pytestmark = pytest.mark.browser

SLUG = "oppfolging-som-virker"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The site on one loopback port and the inbox on another, the site's forms posting to the inbox."""
    root = tmp_path_factory.mktemp("inbox-site")
    with serve_folder(root / "site") as site_url:
        data = root / "data"
        env = {"INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH, "INBOX_SMTP_HOST": ""}
        with inbox_server("", site_url, data, env=env) as (inbox_url, _process, _log):
            build(root, inbox_url)
            yield {"site": site_url, "inbox": inbox_url, "mail": data / "mail"}


def build(root: Path, inbox_url: str) -> None:
    build_forms_site(root, inbox_url, {
        "artikler/posts/a.md": article("Oppfølging som virker", "Første avsnitt.\n\n## Mer\n\nTekst.", slug=SLUG),
    }, {"booking": {"provider": "inbox"}, "newsletter": {"provider": "inbox"}})


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def log_in(page: Page, inbox_url: str) -> None:
    page.goto(f"{inbox_url}/staff/")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henvendelser")


def confirmation_link(mail: Path, address: str) -> str:
    for path in sorted(mail.glob("*.eml")):
        message = message_from_string(path.read_text(encoding="utf-8"), policy=policy.default)
        if message["To"] == address:
            return re.search(r"http://\S+/newsletter/confirm\?token=\S+", message.get_body(("plain",)).get_content())[0]
    raise AssertionError(f"no confirmation email to {address} in {mail}")


def test_booking_and_newsletter_from_an_article_arrive_on_the_staff_page(context, running) -> None:
    page = context.new_page()
    page.goto(f"{running['site']}artikler/{SLUG}/")
    booking = page.locator("section.hub-cta--booking")
    booking.get_by_label("Navn").fill("Kari Nordmann")
    booking.get_by_label("E-post", exact=True).fill("kari@nordlys.no")
    booking.get_by_label("Hva vil du snakke om?").fill("Oppfølging <etter> møter & tilbud")
    booking.get_by_label(re.compile("Jeg samtykker")).check()
    booking.get_by_role("button", name="Send forespørsel").click()
    expect(booking.get_by_role("status")).to_have_text(
        "Takk! Vi har mottatt forespørselen din og tar kontakt innen én arbeidsdag.")

    newsletter = page.locator("section.hub-cta--newsletter")
    newsletter.get_by_label("E-post", exact=True).fill("ola@fjord.no")
    newsletter.get_by_label(re.compile("Ja, send meg nyhetsbrevet")).check()
    newsletter.get_by_role("button", name="Meld meg på").click()
    expect(newsletter.get_by_role("status")).to_have_text(
        "Sjekk innboksen din for å bekrefte. Vi har sendt deg en e-post med en lenke.")

    staff = context.new_page()
    log_in(staff, running["inbox"])
    rows = staff.locator("tbody tr")
    expect(rows.filter(has_text="kari@nordlys.no")).to_contain_text("Oppfølging <etter> møter & tilbud")
    expect(rows.filter(has_text="kari@nordlys.no").locator("td").nth(1)).to_have_text("Møte")
    newsletter_row = rows.filter(has_text="ola@fjord.no")
    expect(newsletter_row).to_contain_text("venter på bekreftelse")
    # The article by its title, read from the built site's feed (the form sent only its slug).
    expect(newsletter_row.get_by_role("link", name="Oppfølging som virker")).to_have_attribute(
        "href", f"{running['site']}artikler/{SLUG}/")

    page.goto(confirmation_link(running["mail"], "ola@fjord.no"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bekreft påmeldingen")
    page.get_by_role("button", name="Bekreft påmeldingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen som abonnent!")
    staff.reload()
    expect(staff.locator("tbody tr").filter(has_text="ola@fjord.no")).to_contain_text("bekreftet")

    kari = staff.locator("tbody tr").filter(has_text="kari@nordlys.no")
    kari.get_by_label("Status for Kari Nordmann").select_option("kontaktet")
    kari.get_by_role("button", name="Lagre").click()
    expect(staff.get_by_role("status")).to_have_text("Status lagret.")
    expect(staff.locator("tbody tr").filter(has_text="kari@nordlys.no").locator("option:checked")).to_have_text(
        "Kontaktet")


def test_without_javascript_the_forms_post_and_land_on_the_thank_you_pages(browser, running) -> None:
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{running['site']}artikler/{SLUG}/")
        booking = page.locator("section.hub-cta--booking")
        booking.get_by_label("Navn").fill("Uten Skript")
        booking.get_by_label("E-post", exact=True).fill("uten@skript")  # the browser's own check passes it; ours does not
        booking.get_by_label(re.compile("Jeg samtykker")).check()
        booking.get_by_role("button", name="Send forespørsel").click()
        expect(page.get_by_role("alert")).to_have_text("Skjemaet har én feil. Se meldingen ved feltet.")
        field = page.get_by_label("E-post", exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#booking-email-error")).to_have_text(
            "Skriv inn en gyldig e-postadresse, for eksempel navn@firma.no.")
        expect(page.get_by_label("Navn")).to_have_value("Uten Skript")
        field.fill("uten@skript.no")
        page.get_by_label(re.compile("Jeg samtykker")).check()
        page.get_by_role("button", name="Send forespørsel").click()
        expect(page).to_have_url(f"{running['site']}takk/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Takk for forespørselen")

        page.goto(f"{running['site']}artikler/{SLUG}/")
        newsletter = page.locator("section.hub-cta--newsletter")
        newsletter.get_by_label("E-post", exact=True).fill("uten.skript@fjord.no")
        newsletter.get_by_label(re.compile("Ja, send meg nyhetsbrevet")).check()
        newsletter.get_by_role("button", name="Meld meg på").click()
        expect(page).to_have_url(f"{running['site']}sjekk-innboksen/")
        assert confirmation_link(running["mail"], "uten.skript@fjord.no")
    finally:
        context.close()


def test_axe_finds_no_serious_violations_on_the_inbox_pages(browser, running) -> None:
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js")
    assert axe.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    context = browser.new_context(**PHONE, bypass_csp=True)  # the inbox's CSP forbids the injected axe script
    try:
        page = context.new_page()
        page.goto(f"{running['site']}artikler/{SLUG}/")
        page.locator("section.hub-cta--booking").get_by_label("Navn").fill("Axe")
        # form.submit() skips the script and the browser's checks: the inbox answers with its own page.
        with page.expect_navigation():
            page.evaluate("document.querySelector('section.hub-cta--booking form').submit()")
        expect(page).to_have_url(f"{running['inbox']}/booking")
        expect(page.locator("#booking-email-error")).to_be_visible()
        pages = {"skjema med feil": None, "innlogging": f"{running['inbox']}/staff/login"}
        for name, url in pages.items():
            if url:
                page.goto(url)
            check(page, axe, name)
        log_in(page, running["inbox"])
        check(page, axe, "ansattsiden")
    finally:
        context.close()


def check(page: Page, axe: Path, name: str) -> None:
    page.wait_for_load_state()
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [(violation["id"], [node["target"] for node in violation["nodes"]][:3])
               for violation in result["violations"] if violation["impact"] in {"serious", "critical"}]
    assert serious == [], f"{name}: {json.dumps(serious)}"


def test_a_refusal_from_the_inbox_is_shown_in_norwegian_and_keeps_the_input(browser, tmp_path) -> None:
    """Over the rate limit, the script shows the inbox's own message next to the form; nothing typed is lost."""
    with serve_folder(tmp_path / "site") as site_url:
        env = {"INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH, "INBOX_SMTP_HOST": ""}
        with inbox_server("", site_url, tmp_path / "data", "--rate-limit", "1", env=env) as (inbox_url, _p, _l):
            build(tmp_path, inbox_url)
            context = browser.new_context(**PHONE)
            try:
                page = context.new_page()
                for attempt, address in enumerate(("en@fjord.no", "to@fjord.no")):
                    page.goto(f"{site_url}artikler/{SLUG}/")
                    newsletter = page.locator("section.hub-cta--newsletter")
                    newsletter.get_by_label("E-post", exact=True).fill(address)
                    newsletter.get_by_label(re.compile("Ja, send meg nyhetsbrevet")).check()
                    newsletter.get_by_role("button", name="Meld meg på").click()
                    if attempt == 0:
                        expect(newsletter.get_by_role("status")).to_contain_text("Sjekk innboksen din")
                expect(newsletter.locator("[data-hub-errors]")).to_have_text(
                    "Du har sendt mange skjemaer på kort tid. Vent et minutt og prøv igjen.")
                expect(newsletter.get_by_label("E-post", exact=True)).to_have_value("to@fjord.no")
                expect(newsletter.get_by_role("button", name="Meld meg på")).to_be_enabled()
            finally:
                context.close()
