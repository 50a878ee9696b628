"""Booking and newsletter in real headless Chromium: consent first, forms that deliver, and axe-core.

Every request to a host other than 127.0.0.1 is recorded and answered by the
test itself, so nothing reaches the network. Form endpoints are a small local
server that records exactly what arrives.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Route

from support import CONSENT, PHONE, REPO, article, run_mkdocs, serve_folder, write_site

pytestmark = pytest.mark.browser

SLUG = "motebooking-pa-telefon"
CALENDLY = "https://calendly.com/arcticsales/gratis-konsultasjon"


class Endpoint:
    """A local form endpoint: records every POST; answers JSON, an error, or a 303 for plain forms."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, list[str]]]] = []
        self.mode = "ok"
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                endpoint.received.append((self.path, parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)))
                if endpoint.mode == "slow":
                    time.sleep(0.6)
                wants_json = "application/json" in (self.headers.get("Accept") or "")
                if endpoint.mode == "fail":
                    self._answer(500, b'{"error": "nede"}')
                elif wants_json:
                    self._answer(200, b"{}")
                else:
                    self.send_response(303)
                    self.send_header("Location", endpoint.thanks)
                    self.end_headers()

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thanks = "about:blank"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


def build_site(root: Path, booking: dict, newsletter: dict) -> Path:
    files = {"artikler/posts/a.md": article("Møtebooking på telefon", "Første avsnitt.\n\n## Mer\n\nTekst.", slug=SLUG),
             "personvern.md": "---\ntitle: Personvern\ndescription: Om personvern.\n---\n\n# Personvern\n"}
    config = write_site(root, files, extra={"booking": booking, "newsletter": newsletter, "consent": CONSENT},
                        extra_javascript=[], extra_css=["assets/stylesheets/hub.css"])
    for asset in ("assets/javascripts/cta.js", "assets/stylesheets/hub.css"):
        target = root / "docs" / asset
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / "docs" / asset).read_bytes())
    build = run_mkdocs(config, root / "site")
    assert build.returncode == 0, build.output
    return root / "site"


@pytest.fixture(scope="module")
def embed_site(tmp_path_factory: pytest.TempPathFactory, endpoint: Endpoint) -> Iterator[str]:
    site = build_site(tmp_path_factory.mktemp("embed"), {"provider": "calendly", "url": CALENDLY},
                      {"provider": "generic", "url": f"{endpoint.url}/nyhetsbrev"})
    with serve_folder(site) as url:
        yield url


@pytest.fixture(scope="module")
def form_site(tmp_path_factory: pytest.TempPathFactory, endpoint: Endpoint) -> Iterator[str]:
    site = build_site(tmp_path_factory.mktemp("form"), {"provider": "form", "url": f"{endpoint.url}/booking"},
                      {"provider": "generic", "url": f"{endpoint.url}/nyhetsbrev", "double_opt_in": False})
    with serve_folder(site) as url:
        endpoint.thanks = url
        yield url


@pytest.fixture
def outside() -> list[str]:
    return []


@pytest.fixture
def context(browser: Browser, outside: list[str]) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    context.route("**/*", lambda route, request: _route(route, outside))
    yield context
    context.close()


def _route(route: Route, outside: list[str]) -> None:
    if urlparse(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:  # recorded, answered here, never sent
        outside.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Kalender</title>")


def article_page(context: BrowserContext, url: str, consent: dict | None = None):
    page = context.new_page()
    page.goto(url + f"artikler/{SLUG}/")
    page.evaluate("value => localStorage.setItem(__md_scope.pathname + '.__consent', JSON.stringify(value))",
                  consent or {})
    page.reload()
    return page


def test_nothing_outside_is_requested_on_load(context, embed_site, outside) -> None:
    page = article_page(context, embed_site)
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-hub-embed-button]").is_visible()
    assert outside == [] and page.locator("iframe").count() == 0


def test_click_loads_the_calendar_with_utm(context, embed_site, outside) -> None:
    page = article_page(context, embed_site)
    page.get_by_role("button", name="Vis bookingkalenderen").click()
    page.locator("iframe.hub-embed__frame").wait_for()
    page.wait_for_load_state("networkidle")
    [requested] = [url for url in outside if url.startswith(CALENDLY)]
    query = parse_qs(urlparse(requested).query)
    assert query["utm_source"] == ["arcticsales.no"] and query["utm_medium"] == ["artikkel"]
    assert query["utm_campaign"] == ["gratis-konsultasjon"] and query["utm_content"] == [SLUG]
    assert page.locator("iframe").get_attribute("title") == "Bookingkalender fra Calendly"


def test_earlier_consent_loads_the_calendar_at_once(context, embed_site, outside) -> None:
    page = article_page(context, embed_site, consent={"booking": True})
    page.locator("iframe.hub-embed__frame").wait_for()
    assert any(url.startswith(CALENDLY) for url in outside)


def subscribe(page, email: str = "kari@firma.no") -> None:
    form = page.locator("section.hub-cta--newsletter form")
    form.get_by_label("E-post", exact=True).fill(email)
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name="Meld meg på").click()


def test_newsletter_delivers_exactly_the_expected_fields(context, embed_site, endpoint) -> None:
    endpoint.received.clear()
    page = article_page(context, embed_site)
    subscribe(page)
    status = page.locator("section.hub-cta--newsletter [data-hub-status]")
    status.wait_for()
    assert status.inner_text() == "Sjekk innboksen din for å bekrefte. Vi har sendt deg en e-post med en lenke."
    [(path, fields)] = endpoint.received
    [token] = fields.pop("form_token")
    assert re.fullmatch(r"[0-9a-f-]{36}", token)  # one per form view: a resend is stored once
    assert (path, fields) == ("/nyhetsbrev", {"email": ["kari@firma.no"], "consent": ["ja"], "website": [""],
                                              "article": [SLUG], "page": [f"artikler/{SLUG}/"]})


def test_single_opt_in_welcomes_the_subscriber(context, form_site, endpoint) -> None:
    page = article_page(context, form_site)
    subscribe(page)
    status = page.locator("section.hub-cta--newsletter [data-hub-status]")
    status.wait_for()
    assert status.inner_text() == "Velkommen som abonnent!"


def test_errors_are_announced_and_nothing_is_sent(context, embed_site, endpoint) -> None:
    endpoint.received.clear()
    page = article_page(context, embed_site)
    form = page.locator("section.hub-cta--newsletter form")
    form.get_by_label("E-post", exact=True).fill("ikke-en-adresse")
    form.get_by_role("button", name="Meld meg på").click()
    email = form.get_by_label("E-post", exact=True)
    assert email.get_attribute("aria-invalid") == "true"
    assert page.locator("#newsletter-email-error").inner_text() == \
        "Skriv inn en gyldig e-postadresse, for eksempel navn@firma.no."
    assert email.get_attribute("aria-describedby") == "newsletter-email-error"
    assert form.locator("[role=alert]").inner_text() == "Skjemaet har 2 feil. Se meldingene ved feltene."
    assert page.evaluate("document.activeElement.id") == "newsletter-email"
    assert endpoint.received == []


def test_failure_keeps_the_input_and_says_so(context, embed_site, endpoint) -> None:
    endpoint.mode = "fail"
    try:
        page = article_page(context, embed_site)
        subscribe(page, "ola@firma.no")
        alert = page.locator("section.hub-cta--newsletter [role=alert]")
        alert.filter(has_text="Noe gikk galt").wait_for()
        assert "Det du skrev er tatt vare på" in alert.inner_text()
        assert page.get_by_label("E-post", exact=True).input_value() == "ola@firma.no"
        assert page.get_by_role("button", name="Meld meg på").is_enabled()
    finally:
        endpoint.mode = "ok"


def test_one_click_sends_once(context, form_site, endpoint) -> None:
    endpoint.received.clear()
    endpoint.mode = "slow"
    try:
        page = article_page(context, form_site)
        form = page.locator("section.hub-cta--booking form")
        form.get_by_label("Navn", exact=True).fill("Kari Nordmann")
        form.get_by_label("E-post", exact=True).fill("kari@firma.no")
        form.get_by_role("checkbox").check()
        button = form.get_by_role("button", name="Send forespørsel")
        button.click()
        assert button.is_disabled()
        button.click(force=True)
        page.locator("section.hub-cta--booking [data-hub-status]").filter(has_text="Takk").wait_for()
    finally:
        endpoint.mode = "ok"
    [(path, fields)] = endpoint.received
    assert path == "/booking"
    assert fields["name"] == ["Kari Nordmann"] and fields["email"] == ["kari@firma.no"]
    assert fields["article"] == [SLUG] and fields["consent"] == ["ja"] and fields["website"] == [""]
    assert len(fields["form_token"][0]) >= 16


def test_honeypot_filled_sends_nothing(context, form_site, endpoint) -> None:
    endpoint.received.clear()
    page = article_page(context, form_site)
    page.evaluate("document.getElementById('newsletter-trap').value = 'spam'")
    subscribe(page)
    page.locator("section.hub-cta--newsletter [data-hub-status]").wait_for()
    assert endpoint.received == []


def test_without_javascript_the_link_and_forms_work(browser: Browser, embed_site, form_site, endpoint) -> None:
    context = browser.new_context(java_script_enabled=False)
    outside: list[str] = []
    context.route("**/*", lambda route, request: _route(route, outside))
    try:
        page = context.new_page()
        page.goto(embed_site + f"artikler/{SLUG}/")
        assert not page.locator("[data-hub-embed-button]").is_visible()
        link = page.get_by_role("link", name="Åpne bookingsiden hos Calendly")
        assert link.get_attribute("href").startswith(CALENDLY + "?utm_source=arcticsales.no")
        endpoint.received.clear()
        page.goto(form_site + f"artikler/{SLUG}/")
        form = page.locator("section.hub-cta--newsletter form")
        form.get_by_label("E-post", exact=True).fill("uten@script.no")
        form.get_by_role("checkbox").check()
        form.get_by_role("button", name="Meld meg på").click()
        page.wait_for_url(form_site)
        assert endpoint.received == [("/nyhetsbrev", {"email": ["uten@script.no"], "consent": ["ja"],
                                                      "website": [""], "article": [SLUG],
                                                      "page": [f"artikler/{SLUG}/"], "form_token": [""]})]
        assert outside == []
    finally:
        context.close()


def test_axe_finds_no_serious_violations(browser: Browser, real_site) -> None:
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js")
    assert axe.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    context = browser.new_context(**PHONE)
    context.route("**/*", lambda route, request: _route(route, []))
    try:
        with serve_folder(real_site.site) as url:
            for path in (f"artikler/{SLUG}/", "", "gratis-konsultasjon/", "nyhetsbrev/"):
                page = context.new_page()
                page.goto(url + path)
                page.add_script_tag(content=axe.read_text(encoding="utf-8"))
                result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
                serious = [(violation["id"], [node["target"] for node in violation["nodes"]][:3])
                           for violation in result["violations"] if violation["impact"] in {"serious", "critical"}]
                assert serious == [], f"{path or '/'}: {json.dumps(serious)}"
                page.close()
    finally:
        context.close()
