"""Unit tests for hub/cta.py and hub/headers.py, and the settings schemas in hooks/cta.py: providers, URLs, CSP."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import logging

import pytest
from mkdocs.exceptions import ConfigurationError

import cta as hook  # hooks/cta.py: the Config schemas of extra.inbox, extra.booking and extra.newsletter
from hub import cta, headers
from support import BOOKING_URLS, NEWSLETTER_URLS


def load_booking(raw: object, inbox: str | None = None) -> cta.BookingSettings:
    return hook.load_settings({"booking": raw, "inbox": inbox}).booking


def load_newsletter(raw: object, inbox: str | None = None) -> cta.NewsletterSettings:
    return hook.load_settings({"newsletter": raw, "inbox": inbox}).newsletter




@pytest.mark.parametrize("provider", sorted(set(cta.BOOKING) - {"inbox"}))
def test_every_booking_provider_loads_and_builds_urls(provider: str) -> None:
    settings = load_booking({"provider": provider, "url": BOOKING_URLS[provider]})
    page = urlsplit(settings.page_url("motebooking-pa-telefon"))
    query = parse_qs(page.query)
    if settings.spec.utm:
        assert query["utm_source"] == ["arcticsales.no"] and query["utm_medium"] == ["artikkel"]
        assert query["utm_campaign"] == ["gratis-konsultasjon"] and query["utm_content"] == ["motebooking-pa-telefon"]
    else:
        assert not any(key.startswith("utm_") for key in query)
    if settings.spec.embeddable:
        embed = parse_qs(urlsplit(settings.embed_url("x", "www.arcticsales.no")).query)
        assert all(embed[key] == [value] for key, value in settings.spec.embed_params)


def test_calendly_embed_names_our_domain() -> None:
    settings = load_booking({"provider": "calendly", "url": BOOKING_URLS["calendly"]})
    assert parse_qs(urlsplit(settings.embed_url("x", "www.arcticsales.no")).query)["embed_domain"] == [
        "www.arcticsales.no"]


@pytest.mark.parametrize(("provider", "email", "source", "trap", "hidden"), [
    ("mailchimp", "EMAIL", "SOURCE", "b_8f2b6c1d4e_7c4e1a9b2d", ()),
    ("brevo", "EMAIL", "SOURCE", "email_address_check", (("locale", "no"), ("html_type", "simple"))),
    ("mailerlite", "fields[email]", "fields[source]", "website", (("ml-submit", "1"), ("anticsrf", "true"))),
    ("kit", "email_address", "fields[source]", "website", ()),
    ("buttondown", "email", "tag", "website", (("embed", "1"),)),
    ("generic", "email", "article", "website", ()),
])
def test_newsletter_providers_use_their_real_fields(provider, email, source, trap, hidden) -> None:
    settings = load_newsletter({"provider": provider, "url": NEWSLETTER_URLS[provider]})
    assert (settings.spec.email_field, settings.spec.source_field, settings.honeypot, settings.spec.hidden) == (
        email, source, trap, hidden)


def test_inbox_providers_post_to_the_inbox_address() -> None:
    settings = hook.load_settings({"inbox": "http://127.0.0.1:8001/", "booking": {"provider": "inbox"},
                                   "newsletter": {"provider": "inbox"}})
    booking, newsletter = settings.booking, settings.newsletter
    assert settings.inbox == "http://127.0.0.1:8001"
    assert (booking.url, newsletter.url) == ("http://127.0.0.1:8001/booking", "http://127.0.0.1:8001/newsletter")
    assert not booking.spec.embeddable and newsletter.scripted and newsletter.double_opt_in
    policy = headers.outside_origins(booking, newsletter)
    assert policy == {"frame-src": [], "form-action": ["http://127.0.0.1:8001"], "connect-src": ["http://127.0.0.1:8001"]}


@pytest.mark.parametrize(("inbox", "block", "raw", "message"), [
    (None, "booking", {"provider": "inbox"}, "inbox: mangler; booking.provider inbox trenger innboksens adresse"),
    ("https://innboks.arcticsales.no", "booking", {"provider": "inbox", "url": "https://x.no/booking"},
     "booking.url: brukes ikke med provider inbox"),
    ("https://innboks.arcticsales.no", "newsletter", {"provider": "inbox", "double_opt_in": False},
     "newsletter.double_opt_in: innboksen ber alltid nye abonnenter bekrefte på e-post"),
])
def test_inbox_provider_settings_fail_naming_the_key(inbox, block, raw, message) -> None:
    load = load_booking if block == "booking" else load_newsletter
    with pytest.raises(ConfigurationError) as error:
        load(raw, inbox)
    assert str(error.value).startswith(f"mkdocs.yml: extra.{message}")


@pytest.mark.parametrize(("raw", "message"), [
    ("http://innboks.arcticsales.no", "er ikke en https://-adresse"),
    ("javascript:alert(1)", "bruker javascript:"),
    ("", "mangler"),
])
def test_inbox_address_must_be_https_or_local(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=f"^mkdocs.yml: extra.inbox: .*{message}"):
        hook.load_settings({"inbox": raw})


def test_success_message_follows_double_opt_in() -> None:
    url = NEWSLETTER_URLS["generic"]
    assert load_newsletter({"provider": "generic", "url": url}).success_message == \
        "Sjekk innboksen din for å bekrefte. Vi har sendt deg en e-post med en lenke."
    assert load_newsletter({"provider": "generic", "url": url, "double_opt_in": False}).success_message == \
        "Velkommen som abonnent!"


@pytest.mark.parametrize(("raw", "message"), [
    ({"provider": "zoom", "url": "https://zoom.us/x"},
     "booking.provider: 'zoom' er ikke en kjent leverandør; velg en av: calendly, calcom, hubspot, microsoft, "
     "google, form, inbox"),
    ({"provider": "calendly", "url": "http://calendly.com/x"},
     "booking.url: 'http://calendly.com/x' er ikke en https://-adresse"),
    ({"provider": "calendly", "url": "javascript:alert(1)"},
     "booking.url: 'javascript:alert(1)' bruker javascript:, som aldri er tillatt"),
    ({"provider": "form", "url": "data:text/html,<script>alert(1)</script>"}, "booking.url: 'data:text/html,"),
    ({"provider": "calendly", "url": "https://calendly.com.evil.example/x"},
     "booking.url: 'https://calendly.com.evil.example/x': vertsnavnet 'calendly.com.evil.example' hører ikke "
     "til Calendly; bruk calendly.com"),
    ({"provider": "hubspot", "url": "https://user:pw@meetings.hubspot.com/x"}, "kan ikke inneholde brukernavn"),
    ({"provider": "calendly"}, "booking.url: mangler"),
    ({"provider": "calendly", "url": BOOKING_URLS["calendly"], "utm": {"source": " "}},
     "booking.utm.source: må være en tekst som ikke er tom"),
    ({"provider": "calendly", "url": BOOKING_URLS["calendly"], "utm": "kilde"},
     "booking.utm: må ha nøklene source, medium, campaign på innrykkede linjer"),
    ("calendly", "booking: må ha nøklene provider, url, utm på innrykkede linjer"),
])
def test_bad_booking_settings_name_key_and_value(raw: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_booking(raw)
    assert message in str(caught.value) and str(caught.value).startswith("mkdocs.yml: extra.booking")


def test_unknown_settings_are_warnings_naming_the_key(caplog: pytest.LogCaptureFixture) -> None:
    raw = {"provider": "calendly", "url": BOOKING_URLS["calendly"], "farge": "blå", "utm": {"kilde": "x"}}
    with caplog.at_level(logging.WARNING, logger="mkdocs.hooks.cta"):
        settings = load_booking(raw)
    assert settings.utm == cta.Utm()
    assert [(record.name, record.getMessage()) for record in caplog.records] == [
        ("mkdocs.hooks.cta", "mkdocs.yml: extra.booking.utm.kilde: er ikke en kjent innstilling og blir ikke brukt; "
                             "bruk source, medium, campaign"),
        ("mkdocs.hooks.cta", "mkdocs.yml: extra.booking.farge: er ikke en kjent innstilling og blir ikke brukt; "
                             "bruk provider, url, utm"),
    ]


@pytest.mark.parametrize(("raw", "message"), [
    ({"provider": "substack", "url": "https://x.substack.com"}, "newsletter.provider: 'substack' er ikke en kjent leverandør"),
    ({"provider": "mailchimp", "url": "https://evil.example/subscribe/post?u=a&id=b"},
     "vertsnavnet 'evil.example' hører ikke til Mailchimp; bruk list-manage.com"),
    ({"provider": "mailchimp", "url": "https://x.us21.list-manage.com/subscribe/post?u=a"},
     "må være skjemaadressen (form action) fra Mailchimps innebygde skjema"),
    ({"provider": "generic", "url": "http://skjema.example.no/x"}, "er ikke en https://-adresse"),
    ({"provider": "generic", "url": NEWSLETTER_URLS["generic"], "double_opt_in": "ja"},
     "newsletter.double_opt_in: 'ja' må være true eller false"),
])
def test_bad_newsletter_settings_name_key_and_value(raw: dict, message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_newsletter(raw)
    assert message in str(caught.value) and str(caught.value).startswith("mkdocs.yml: extra.newsletter.")


@pytest.mark.parametrize("url", ["http://localhost:8001/booking", "http://127.0.0.1:8001/booking",
                                 "http://[::1]:8001/booking"])
def test_plain_http_is_allowed_for_local_development(url: str) -> None:
    assert load_booking({"provider": "form", "url": url}).url == url


@pytest.mark.parametrize(("value", "expected"), [
    (None, ["booking", "newsletter"]), (True, ["booking", "newsletter"]), (False, []),
    ({"booking": True}, ["booking"]), ({"newsletter": {"heading": "Følg oss"}}, ["newsletter"]),
    ({"booking": False, "newsletter": True}, ["newsletter"]),
])
def test_front_matter_chooses_blocks(value, expected: list[str]) -> None:
    assert list(cta.blocks(value)) == expected


def test_front_matter_overrides_heading_and_pitch() -> None:
    chosen = cta.blocks({"booking": {"heading": "Snakk med oss", "pitch": "Kort."}, "newsletter": True})
    assert chosen["booking"] == {"heading": "Snakk med oss", "pitch": "Kort."}
    assert chosen["newsletter"]["heading"] == "Nyhetsbrev"


@pytest.mark.parametrize(("value", "message"), [
    ({"boking": True}, "'boking' er ikke en kjent blokk; bruk booking og newsletter"),
    ({"booking": {"overskrift": "x"}}, "booking.overskrift: er ukjent; bruk heading og pitch"),
    ({"booking": {"heading": ""}}, "booking.heading: må være en tekst som ikke er tom"),
    ("ja", "må være false, true, eller booking og newsletter med true, false eller heading og pitch"),
])
def test_front_matter_typos_are_errors(value, message: str) -> None:
    assert cta.check_front_matter(value) == message


def test_csp_allows_exactly_the_configured_hosts() -> None:
    booking = load_booking({"provider": "calendly", "url": BOOKING_URLS["calendly"]})
    newsletter = load_newsletter({"provider": "mailchimp", "url": NEWSLETTER_URLS["mailchimp"]})
    policy = dict(part.split(" ", 1) for part in
                  headers.content_security_policy(booking, newsletter, ["'sha256-abc='"]).split("; "))
    assert policy["frame-src"] == "https://calendly.com"
    assert policy["form-action"] == "'self' https://arcticsales.us21.list-manage.com"
    assert policy["script-src"] == "'self' 'sha256-abc='"
    assert policy["connect-src"] == "'self'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"


def test_csp_for_our_own_form_endpoints() -> None:
    booking = load_booking({"provider": "form", "url": "https://inbox.arcticsales.no/booking"})
    newsletter = load_newsletter({"provider": "generic", "url": "https://inbox.arcticsales.no/nyhetsbrev"})
    policy = dict(part.split(" ", 1) for part in headers.content_security_policy(booking, newsletter, []).split("; "))
    assert policy["frame-src"] == "'none'"
    assert policy["form-action"] == "'self' https://inbox.arcticsales.no"
    assert policy["connect-src"] == "'self' https://inbox.arcticsales.no"


def test_inline_script_hashes_skip_external_and_json_scripts() -> None:
    pages = ['<script>var a=1</script><script src="x.js"></script><script type="application/json">{}</script>',
             '<script>var a=1</script>']
    digest = base64.b64encode(hashlib.sha256(b"var a=1").digest()).decode()
    assert headers.inline_script_hashes(pages) == [f"'sha256-{digest}'"]
