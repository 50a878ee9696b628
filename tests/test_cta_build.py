"""Booking and newsletter blocks in built sites, for every provider, and every bad setting."""

from __future__ import annotations

import re

from urllib.parse import parse_qs, urlsplit

import pytest

from support import BOOKING_URLS, CONSENT, DEPLOYED_INBOX, NEWSLETTER_URLS, Build, article

ARTICLE = {"artikler/posts/a.md": article("Møtebooking på telefon", "Tekst.", slug="motebooking-pa-telefon")}


def extra(booking: str = "calendly", newsletter: str = "generic", **more: object) -> dict:
    return {"booking": {"provider": booking, "url": BOOKING_URLS[booking]},
            "newsletter": {"provider": newsletter, "url": NEWSLETTER_URLS[newsletter]},
            "consent": CONSENT, **more}


def csp(build: Build) -> dict[str, str]:
    line = next(line for line in build.text("_headers").splitlines() if "Content-Security-Policy" in line)
    return dict(part.split(" ", 1) for part in line.split(": ", 1)[1].split("; "))


@pytest.mark.parametrize("provider", ["calendly", "calcom", "hubspot", "microsoft", "google"])
def test_embedded_booking_loads_nothing_until_asked(small_site, provider: str) -> None:
    build = small_site(ARTICLE, extra=extra(booking=provider))
    assert build.returncode == 0, build.output
    page = build.html("artikler/motebooking-pa-telefon/index.html")
    section = page.css_first("section.hub-cta--booking")
    assert section.css_first("h2").text() == "Gratis konsultasjon – Book et møte"
    assert not page.css("iframe")
    box = section.css_first("[data-hub-embed]")
    embed = urlsplit(box.attributes["data-embed-src"])
    assert f"{embed.scheme}://{embed.netloc}{embed.path}" == BOOKING_URLS[provider].split("?")[0]
    button = box.css_first("button[data-hub-embed-button]")
    assert button.text() == "Vis bookingkalenderen" and "hidden" in button.attributes
    link = box.css_first("a.md-button").attributes["href"]
    query = parse_qs(urlsplit(link).query)
    if provider in {"calendly", "calcom", "hubspot"}:
        assert query["utm_source"] == ["arcticsales.no"] and query["utm_medium"] == ["artikkel"]
        assert query["utm_campaign"] == ["gratis-konsultasjon"] and query["utm_content"] == ["motebooking-pa-telefon"]
    else:
        assert not any(key.startswith("utm_") for key in query)
    policy = csp(build)
    assert policy["frame-src"] == f"https://{urlsplit(BOOKING_URLS[provider]).netloc}"
    assert policy["script-src"].split()[0] == "'self'" and "https:" not in policy["script-src"]


def test_booking_form_has_labelled_fields_and_attribution(small_site) -> None:
    build = small_site(ARTICLE, extra=extra(booking="form"))
    assert build.returncode == 0, build.output
    page = build.html("artikler/motebooking-pa-telefon/index.html")
    form = page.css_first("section.hub-cta--booking form")
    assert form.attributes["action"] == BOOKING_URLS["form"] and form.attributes["method"] == "post"
    fields = {field.attributes["name"]: field for field in form.css("input, textarea")}
    assert set(fields) == {"name", "company", "email", "phone", "message", "consent", "website", "article",
                           "page", "form_token"}
    autocomplete = {name: fields[name].attributes.get("autocomplete") for name in ("name", "company", "email", "phone")}
    assert autocomplete == {"name": "name", "company": "organization", "email": "email", "phone": "tel"}
    for name in ("name", "company", "email", "phone", "message", "consent"):
        assert form.css_first(f'label[for="{fields[name].attributes["id"]}"]') is not None, name
    assert "checked" not in fields["consent"].attributes and "required" in fields["consent"].attributes
    assert form.css_first('label[for="booking-consent"] a').attributes["href"].endswith("personvern/")
    assert fields["article"].attributes["value"] == "motebooking-pa-telefon"
    assert fields["page"].attributes["value"] == "artikler/motebooking-pa-telefon/"
    assert fields["website"].attributes["tabindex"] == "-1"
    policy = csp(build)
    assert policy["frame-src"] == "'none'"
    assert policy["form-action"] == "'self' https://skjema.arcticsales.no"


@pytest.mark.parametrize(("provider", "email", "source", "trap", "hidden"), [
    ("mailchimp", "EMAIL", "SOURCE", "b_8f2b6c1d4e_7c4e1a9b2d", {}),
    ("brevo", "EMAIL", "SOURCE", "email_address_check", {"locale": "no", "html_type": "simple"}),
    ("mailerlite", "fields[email]", "fields[source]", "website", {"ml-submit": "1", "anticsrf": "true"}),
    ("kit", "email_address", "fields[source]", "website", {}),
    ("buttondown", "email", "tag", "website", {"embed": "1"}),
    ("generic", "email", "article", "website", {}),
])
def test_newsletter_form_uses_the_providers_fields(small_site, provider, email, source, trap, hidden) -> None:
    build = small_site(ARTICLE, extra=extra(newsletter=provider))
    assert build.returncode == 0, build.output
    form = build.html("artikler/motebooking-pa-telefon/index.html").css_first("section.hub-cta--newsletter form")
    assert form.attributes["action"] == NEWSLETTER_URLS[provider]
    names = {field.attributes["name"]: field.attributes.get("value") for field in form.css("input")}
    ours = {"page": "artikler/motebooking-pa-telefon/", "form_token": ""} if provider == "generic" else {}
    assert names == {email: None, "consent": "ja", trap: "", source: "motebooking-pa-telefon", **hidden, **ours}
    consent = form.css_first('input[name="consent"]')
    assert consent.attributes["type"] == "checkbox" and "checked" not in consent.attributes
    assert form.attributes["data-scripted"] == ("true" if provider == "generic" else "false")
    assert csp(build)["form-action"] == f"'self' https://{urlsplit(NEWSLETTER_URLS[provider]).netloc}"


@pytest.mark.parametrize(("settings", "message"), [
    ({"booking": {"provider": "zoom", "url": "https://zoom.us/x"}},
     "mkdocs.yml: extra.booking.provider: 'zoom' er ikke en kjent leverandør"),
    ({"booking": {"provider": "calendly", "url": "http://calendly.com/x"}},
     "mkdocs.yml: extra.booking.url: 'http://calendly.com/x' er ikke en https://-adresse"),
    ({"booking": {"provider": "form", "url": "javascript:alert(1)"}},
     "mkdocs.yml: extra.booking.url: 'javascript:alert(1)' bruker javascript:"),
    ({"booking": {"provider": "form", "url": "data:text/html,x"}}, "mkdocs.yml: extra.booking.url: 'data:text/html,x'"),
    ({"booking": {"provider": "calendly", "url": "https://evil.example/x"}},
     "mkdocs.yml: extra.booking.url: 'https://evil.example/x': vertsnavnet 'evil.example' hører ikke til Calendly"),
    ({"newsletter": {"provider": "substack", "url": "https://x.substack.com"}},
     "mkdocs.yml: extra.newsletter.provider: 'substack' er ikke en kjent leverandør"),
    ({"newsletter": {"provider": "kit", "url": "https://evil.example/forms/1/subscriptions"}},
     "mkdocs.yml: extra.newsletter.url: 'https://evil.example/forms/1/subscriptions': vertsnavnet 'evil.example' "
     "hører ikke til Kit"),
    ({"consent": {"cookies": {"booking": {"name": "Booking", "checked": True}}}},
     "mkdocs.yml: extra.consent.cookies.booking.checked: må være false"),
    ({"consent": {"cookies": {}}}, "mkdocs.yml: extra.consent.cookies.booking: mangler"),
    # An unknown key is a warning, so --strict fails on a typo.
    ({"newsletter": {"provider": "generic", "url": NEWSLETTER_URLS["generic"], "dobbel_optin": False}},
     "mkdocs.yml: extra.newsletter.dobbel_optin: er ikke en kjent innstilling og blir ikke brukt; "
     "bruk provider, url, double_opt_in"),
])
def test_bad_settings_fail_naming_key_and_value(small_site, settings: dict, message: str) -> None:
    build = small_site(ARTICLE, extra={**extra(), **settings})
    assert build.returncode != 0
    # The message names mkdocs.yml's line: "mkdocs.yml:57: extra.…".
    assert re.search(at_line(message), build.output) and "Traceback" not in build.output


def test_front_matter_chooses_and_rewords_blocks(small_site) -> None:
    build = small_site({
        "artikler/posts/a.md": article("Uten", slug="uten", cta=False),
        "artikler/posts/b.md": article("Bare booking", slug="bare-booking",
                                       cta={"booking": {"heading": "Snakk med Sara", "pitch": "Hun ringer deg."}}),
        "side.md": "---\ntitle: Side\ndescription: En side.\ncta:\n  newsletter: true\n---\n\n# Side\n",
    }, extra=extra())
    assert build.returncode == 0, build.output
    assert not build.html("artikler/uten/index.html").css("section.hub-cta")
    booking = build.html("artikler/bare-booking/index.html")
    assert [section.css_first("h2").text() for section in booking.css("section.hub-cta")] == ["Snakk med Sara"]
    assert booking.css_first("section.hub-cta p").text() == "Hun ringer deg."
    assert [section.attributes["class"] for section in build.html("side/index.html").css("section.hub-cta")] == [
        "hub-cta hub-cta--newsletter"]


@pytest.mark.parametrize(("files", "message"), [
    ({"artikler/posts/a.md": article("A", slug="a", cta={"boking": True})},
     "docs/artikler/posts/a.md:6: cta: 'boking' er ikke en kjent blokk; bruk booking og newsletter"),
    ({"side.md": "---\ntitle: Side\ndescription: D.\ncta:\n  nyhetsbrev: true\n---\n\n# Side\n"},
     "docs/side.md: cta: 'nyhetsbrev' er ikke en kjent blokk; bruk booking og newsletter"),
])
def test_cta_typos_fail_naming_the_file(small_site, files: dict, message: str) -> None:
    build = small_site(files, extra=extra())
    assert build.returncode != 0
    assert message in build.output and "Traceback" not in build.output


def test_real_site_pages_carry_their_blocks(real_site: Build) -> None:
    def blocks(path: str) -> list[str]:
        return [section.attributes["class"].split("--")[1] for section in real_site.html(path).css("section.hub-cta")]

    assert blocks("index.html") == ["booking", "newsletter"]
    assert blocks("gratis-konsultasjon/index.html") == ["booking"]
    assert blocks("nyhetsbrev/index.html") == ["newsletter"]
    assert blocks("artikler/motebooking-pa-telefon/index.html") == ["booking", "newsletter"]
    assert blocks("om-oss/index.html") == []
    assert (real_site.site / "_headers").exists() and (real_site.site / "nginx-security-headers.conf").exists()
    nginx = real_site.text("nginx-security-headers.conf")
    assert 'add_header Content-Security-Policy "default-src \'self\';' in nginx


def test_real_site_forms_post_to_the_inbox(real_site: Build) -> None:
    page = real_site.html("artikler/forhandling-uten-rabattpanikk/index.html")
    booking = page.css_first("section.hub-cta--booking form")
    newsletter = page.css_first("section.hub-cta--newsletter form")
    assert booking.attributes["action"] == f"{DEPLOYED_INBOX}/booking"
    assert newsletter.attributes["action"] == f"{DEPLOYED_INBOX}/newsletter"
    assert newsletter.attributes["data-scripted"] == "true"
    assert newsletter.css_first('input[name="page"]').attributes["value"] == "artikler/forhandling-uten-rabattpanikk/"
    policy = csp(real_site)
    assert policy["form-action"] == policy["connect-src"] == f"'self' {DEPLOYED_INBOX}"
    assert policy["frame-src"] == "'none'"
    assert not page.css(".md-consent")  # nothing from another host, so no consent dialog


@pytest.mark.parametrize(("path", "heading"), [("takk/index.html", "Takk for forespørselen"),
                                               ("sjekk-innboksen/index.html", "Sjekk innboksen din for å bekrefte")])
def test_real_site_has_the_inbox_thank_you_pages(real_site: Build, path: str, heading: str) -> None:
    page = real_site.html(path)
    assert page.css_first("h1").text(deep=False).strip() == heading
    assert not page.css("section.hub-cta")
    search = real_site.text("search/search_index.json")
    assert heading not in search


INBOX_EXTRA = {"inbox": "http://127.0.0.1:8001", "booking": {"provider": "inbox"}, "newsletter": {"provider": "inbox"}}


def test_a_published_build_pointing_at_the_local_inbox_fails_in_strict_mode(small_site) -> None:
    build = small_site(ARTICLE, extra=INBOX_EXTRA)
    assert build.returncode != 0 and "Traceback" not in build.output
    assert ("extra.inbox: http://127.0.0.1:8001 er forhåndsvisningens innboks, men site_url er "
            "https://www.arcticsales.no/") in build.output
    assert "Sett HUB_INBOX_URL til den publiserte innboksen" in build.output and "make preview-build" in build.output


def test_a_local_site_may_use_the_local_inbox(small_site) -> None:
    build = small_site(ARTICLE, extra=INBOX_EXTRA, site_url="http://127.0.0.1:8000/")
    assert build.returncode == 0, build.output
    form = build.html("artikler/motebooking-pa-telefon/index.html").css_first("section.hub-cta--booking form")
    assert form.attributes["action"] == "http://127.0.0.1:8001/booking"


def at_line(message: str) -> str:
    """A pattern for *message* as the build prints it: with the line of the key in the test site's mkdocs.yml."""
    return re.escape(message).replace(re.escape("mkdocs.yml: "), r"mkdocs\.yml:\d+: ")
