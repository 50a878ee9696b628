"""The staff page as staff use it: on a phone, with the articles' titles, erasure in two steps, counts in
bokmål, the CSV in Oslo time, the site's look, and every log line from the one catalogue.

The site is never fetched from the network: titles come from a local folder served on a loopback port
(the hostile corpus, built once per session with the real MkDocs), or from a fake fetch.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import material
import pytest
from playwright.sync_api import Browser, Page, expect
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from inbox import export, messages, store, titles
from support import (INBOX, PASSWORD, PASSWORD_HASH, PHONE, REPO, QuietHandler, inbox_server, log_in, page_width,
                     path_of, read_csv, serious_axe_findings, serve_folder, staff_rows)

OWN = {"origin": INBOX}
NOW = dt.datetime.now(dt.timezone.utc)
# An article of the hostile corpus (tests/corpus/hostile/artikler/posts/skript.md), as the staff must read it.
HOSTILE_PAGE, HOSTILE_SLUG = "artikler/skript/", "skript"
HOSTILE_TITLE = "Pris </script><script>alert('xss-title')</script> & «sitat»"


def add_lead(engine, email: str, token: str, **values: str) -> None:
    """A booking as stored, without mail: exactly one row about *email*."""
    store.store_lead(engine, "booking", token, {"email": email, "name": "Kari Nordmann", **values}, NOW, [])


# -----------------------------------------------------------------------------
# Counts: bokmål takes the singular for exactly one
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "text"), [(0, "Slettet 0 oppføringer om adressen."),
                                              (1, "Slettet 1 oppføring om adressen."),
                                              (2, "Slettet 2 oppføringer om adressen."),
                                              (21, "Slettet 21 oppføringer om adressen.")])
def test_the_erasure_notice_counts_in_singular_or_plural(number: int, text: str) -> None:
    assert messages.staff_notice("slettet", str(number)) == text


@pytest.mark.parametrize(("number", "waiting", "retention"), [
    (1, "1 e-post venter på å bli sendt.", "Forespørsler slettes automatisk 1 dag etter at de kom inn."),
    (2, "2 e-poster venter på å bli sendt.", "Forespørsler slettes automatisk 2 dager etter at de kom inn."),
])
def test_every_count_on_the_staff_page_agrees_with_its_number(number: int, waiting: str, retention: str) -> None:
    assert messages.outbox_waiting(number) == waiting
    assert messages.retention_note(number) == retention


def test_what_erasure_and_retention_delete_is_counted_in_words() -> None:
    assert messages.removed({"leads": 1, "subscribers": 2, "outbox": 0}) == \
        "1 henvendelse, 2 påmeldinger og 0 e-poster i utboksen"
    assert messages.removed({"sessions": 1, "limit_hits": 1}) == "1 innlogging og 1 talt forsøk"
    assert messages.erase_summary({"leads": 1, "subscribers": 0, "outbox": 1}) == \
        "Dette slettes for godt: 1 henvendelse, 0 påmeldinger og 1 e-post i utboksen. Det kan ikke angres."
    assert messages.erase_summary({"leads": 0, "subscribers": 0, "outbox": 0}).startswith("Vi har ingenting lagret")


# -----------------------------------------------------------------------------
# Log lines: every one is a LOG_* text of messages.py
# -----------------------------------------------------------------------------

LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def log_calls() -> Iterator[tuple[str, int, ast.expr]]:
    for path in sorted((REPO / "inbox").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in LOG_METHODS and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "log"):
                yield path.name, node.lineno, node.args[0]


def test_every_log_line_comes_from_the_catalogue() -> None:
    calls = list(log_calls())
    assert len(calls) >= 12  # the scan finds the inbox's log calls
    outside = [(name, line) for name, line, text in calls
               if not (isinstance(text, ast.Attribute) and isinstance(text.value, ast.Name)
                       and text.value.id == "messages" and text.attr.startswith("LOG_"))]
    assert outside == []


ENGLISH = re.compile(r"\b(the|not|failed|refused|deleted|could|email|retry|error|trying|again|from)\b", re.I)


def test_the_catalogues_log_lines_are_bokmal() -> None:
    lines = {name: value for name, value in vars(messages).items() if name.startswith("LOG_")}
    assert len(lines) >= 12
    assert {name: text for name, text in lines.items() if ENGLISH.search(text)} == {}


# -----------------------------------------------------------------------------
# CSV: Norwegian values, Oslo time with its offset, and still no formula
# -----------------------------------------------------------------------------


def test_csv_times_are_oslo_time_with_the_offset_of_their_season() -> None:
    rows = [{"created_at": dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.timezone.utc), "kind": "booking", "status": "ny"},
            {"created_at": dt.datetime(2026, 1, 15, 23, 30), "kind": "newsletter", "status": "avsluttet"}]
    [summer, winter] = read_csv(export.csv_bytes(["created_at", "kind", "status"], rows))
    assert summer == {"Mottatt": "2026-07-01T12:00:00+02:00", "Type": "Møte", "Status": "Ny"}
    assert winter == {"Mottatt": "2026-01-16T00:30:00+01:00", "Type": "Nyhetsbrev", "Status": "Avsluttet"}


def test_an_unknown_code_stays_as_stored_and_is_still_made_inert() -> None:
    [row] = read_csv(export.csv_bytes(["kind", "status"], [{"kind": "=1+1", "status": "@SUM(A1)"}]))
    assert row == {"Type": "'=1+1", "Status": "'@SUM(A1)"}


def test_the_staff_export_has_norwegian_headings_values_and_oslo_times(inbox) -> None:
    add_lead(inbox.inbox.engine, "kari@nordlys.no", "tok-csv-00001", article="skript", page=HOSTILE_PAGE)
    log_in(inbox)
    [row] = read_csv(inbox.get("/staff/henvendelser.csv").content)
    assert list(row) == ["Mottatt", "Type", "Status", "Navn", "Firma", "E-post", "Telefon", "Melding", "Artikkel",
                         "Side"]
    assert (row["Type"], row["Status"]) == ("Møte", "Ny")
    received = dt.datetime.fromisoformat(row["Mottatt"])
    assert received.utcoffset() == NOW.astimezone(export.OSLO).utcoffset()  # +01:00 or +02:00, never UTC
    assert abs(received - NOW) < dt.timedelta(seconds=1)
    page_time = staff_rows(inbox)[0]["received"]  # the staff page shows the same Oslo time
    assert page_time == received.strftime("%d.%m.%Y %H:%M")


# -----------------------------------------------------------------------------
# Erasure: a GET, a HEAD and the first POST only ask; only the confirmed POST with CSRF deletes
# -----------------------------------------------------------------------------


def rows_about(engine, email: str) -> dict[str, int]:
    return store.erasable(engine, email)


def test_erasure_asks_first_and_only_the_confirmed_post_with_csrf_deletes(inbox) -> None:
    engine = inbox.inbox.engine
    add_lead(engine, "kari@nordlys.no", "tok-erase-0001")
    add_lead(engine, "kari@nordlys.no", "tok-erase-0002")
    add_lead(engine, "ola@fjord.no", "tok-erase-0003")
    csrf = log_in(inbox)

    form = HTMLParser(inbox.get("/staff/erase").text)  # a link, a reload: the form, nothing else
    assert form.css_first("h1").text() == "Slett alt om en e-postadresse"
    assert form.css_first("input[name=email]").attributes.get("value") is None
    assert inbox.head("/staff/erase").status_code == 200
    assert rows_about(engine, "kari@nordlys.no")["leads"] == 2

    asked = inbox.post("/staff/erase", data={"email": "KARI@nordlys.no", "csrf": csrf}, headers=OWN)
    assert asked.status_code == 200 and rows_about(engine, "kari@nordlys.no")["leads"] == 2
    page = HTMLParser(asked.text)
    assert "Dette slettes for godt: 2 henvendelser, 0 påmeldinger og 0 e-poster i utboksen." in page.text()
    confirm = page.css_first("form button.danger").parent
    assert confirm.css_first("button").text() == "Slett for godt" and confirm.attributes["method"] == "post"
    hidden = {node.attributes["name"]: node.attributes["value"] for node in confirm.css("input[type=hidden]")}
    assert hidden == {"csrf": csrf, "email": "KARI@nordlys.no", "bekreft": "ja"}

    for refused in ({**hidden, "csrf": "feil"}, {key: value for key, value in hidden.items() if key != "csrf"}):
        assert inbox.post("/staff/erase", data=refused, headers=OWN).status_code == 403
    assert inbox.post("/staff/erase", data=hidden, headers={"origin": "https://evil.example"}).status_code == 403
    assert rows_about(engine, "kari@nordlys.no")["leads"] == 2

    done = inbox.post("/staff/erase", data=hidden, headers=OWN)
    assert done.status_code == 303
    notice = HTMLParser(inbox.get(path_of(done.headers["location"])).text).css_first("[role=status]")
    assert notice.text() == "Slettet 2 oppføringer om adressen."
    assert rows_about(engine, "kari@nordlys.no")["leads"] == 0 and store.count_leads(engine) == 1


def test_erasing_one_row_says_so_in_the_singular(inbox) -> None:
    add_lead(inbox.inbox.engine, "kari@nordlys.no", "tok-single-001")
    csrf = log_in(inbox)
    asked = inbox.post("/staff/erase", data={"email": "kari@nordlys.no", "csrf": csrf}, headers=OWN)
    assert "1 henvendelse, 0 påmeldinger og 0 e-poster i utboksen" in HTMLParser(asked.text).text()
    done = inbox.post("/staff/erase", data={"email": "kari@nordlys.no", "csrf": csrf, "bekreft": "ja"}, headers=OWN)
    notice = HTMLParser(inbox.get(path_of(done.headers["location"])).text).css_first("[role=status]")
    assert notice.text() == "Slettet 1 oppføring om adressen."


def test_nothing_stored_offers_nothing_to_delete(inbox) -> None:
    csrf = log_in(inbox)
    asked = HTMLParser(inbox.post("/staff/erase", data={"email": "ingen@fjord.no", "csrf": csrf}, headers=OWN).text)
    assert "ingenting å slette" in asked.text() and asked.css("button.danger") == []


def test_without_login_the_erasure_page_is_the_login(inbox) -> None:
    assert inbox.get("/staff/erase").headers["location"] == f"{INBOX}/staff/login"
    assert inbox.head("/staff/erase").status_code == 303


# -----------------------------------------------------------------------------
# Titles from the built site
# -----------------------------------------------------------------------------


def fake_site(files: dict[str, object]) -> titles.Fetch:
    def get(url: str) -> bytes:
        name = url.removeprefix("https://www.arcticsales.no/")
        if name not in files:
            raise OSError(f"404 {name}")
        return json.dumps(files[name]).encode()
    return get


FEED = {"home_page_url": "https://www.arcticsales.no/",
        "items": [{"url": "https://www.arcticsales.no/artikler/skript/", "title": "Pris &lt;/script> & «sitat»"}]}
INDEX = {"docs": [{"location": "artikler/skript/", "title": "Pris &lt;/script&gt; &amp; «sitat»"},
                  {"location": "artikler/skript/#mer", "title": "Mer"},
                  {"location": "nyhetsbrev/", "title": "Nyhetsbrev &amp; mer"}]}


def test_titles_are_read_as_text_by_path_and_by_slug() -> None:
    read = titles.read("https://www.arcticsales.no/", fake_site({titles.FEED: FEED, titles.SEARCH_INDEX: INDEX}))
    assert read == {"artikler/skript/": "Pris </script> & «sitat»", "slug:skript": "Pris </script> & «sitat»",
                    "nyhetsbrev/": "Nyhetsbrev & mer", "slug:nyhetsbrev": "Nyhetsbrev & mer"}


@pytest.mark.parametrize("files", [{titles.FEED: FEED}, {titles.SEARCH_INDEX: INDEX, titles.FEED: {"items": 3}}])
def test_one_readable_file_is_enough(files: dict[str, object]) -> None:
    assert titles.read("https://www.arcticsales.no/", fake_site(files))["slug:skript"] == "Pris </script> & «sitat»"


def test_a_site_without_either_file_is_an_error_for_the_cache_to_handle() -> None:
    with pytest.raises(OSError):
        titles.read("https://www.arcticsales.no/", fake_site({}))
    with pytest.raises(ValueError):
        titles.fetch("file:///etc/passwd")


def test_a_title_is_plain_printable_and_bounded() -> None:
    assert titles.plain("A\x00\u200b\x1b[31m  B &amp;\nC") == "A[31m B & C"
    long = titles.plain("x" * 5000)
    assert len(long) == titles.LONGEST and long.endswith("…")


@pytest.fixture
def site_server(hostile) -> Iterator[dict[str, object]]:
    """The hostile corpus's built site on a loopback port, counting its requests, slow when asked to."""
    state: dict[str, object] = {"requests": 0, "delay": 0.0}

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802
            state["requests"] = int(state["requests"]) + 1
            time.sleep(float(state["delay"]))
            super().do_GET()

    with serve_folder(hostile.site, Handler) as url:
        state["url"] = url
        yield state


def test_the_staff_page_names_the_article_by_its_title_escaped(make_inbox, site_server) -> None:
    client = make_inbox(site_url=site_server["url"])
    add_lead(client.inbox.engine, "kari@nordlys.no", "tok-title-0001", article=HOSTILE_SLUG, page=HOSTILE_PAGE)
    add_lead(client.inbox.engine, "ola@fjord.no", "tok-title-0002", article="finnes-ikke", page="artikler/finnes-ikke/")
    add_lead(client.inbox.engine, "per@fjord.no", "tok-title-0003", article=HOSTILE_SLUG)  # no page: by its slug
    log_in(client)
    html = client.get("/staff/").text
    assert "<script>alert" not in html and "&lt;/script&gt;&lt;script&gt;alert(&#39;xss-title&#39;)" in html
    assert [row["article"] for row in staff_rows(client)] == [HOSTILE_TITLE, "finnes-ikke", HOSTILE_TITLE]
    link = HTMLParser(html).css_first("tbody tr:nth-child(2) td[data-label='Fra artikkel'] a")
    assert link.attributes["href"] == f"{site_server['url']}artikler/finnes-ikke/"  # unknown: the slug, linked
    requests = site_server["requests"]
    assert requests == 2  # the feed and the search index …
    client.get("/staff/")
    assert site_server["requests"] == requests  # … read once, then reused


def test_a_slow_site_never_holds_up_the_staff_page(make_inbox, site_server) -> None:
    site_server["delay"] = titles.TIMEOUT * 0.75  # slower than a page waits, within the read's timeout
    client = make_inbox(site_url=site_server["url"])
    add_lead(client.inbox.engine, "kari@nordlys.no", "tok-slow-00001", article=HOSTILE_SLUG, page=HOSTILE_PAGE)
    log_in(client)  # the first look at the staff page starts the read
    started = time.monotonic()
    [row] = staff_rows(client)
    assert time.monotonic() - started < titles.WAIT + 1.0
    assert row["article"] == HOSTILE_SLUG  # the slug until the read (two files, 1.5 s each) is done
    deadline = time.monotonic() + 10
    while staff_rows(client)[0]["article"] != HOSTILE_TITLE:
        assert time.monotonic() < deadline, "the title never arrived"
        time.sleep(0.2)


def test_a_site_that_cannot_be_read_shows_slugs_and_logs_in_norwegian(make_inbox, tmp_path, caplog) -> None:
    caplog.set_level("WARNING", logger="inbox.titles")
    with serve_folder(tmp_path) as empty:  # no feed and no search index: 404s
        client = make_inbox(site_url=empty)
        add_lead(client.inbox.engine, "kari@nordlys.no", "tok-down-00001", article=HOSTILE_SLUG, page=HOSTILE_PAGE)
        log_in(client)
        assert staff_rows(client)[0]["article"] == HOSTILE_SLUG
    assert [record.getMessage() for record in caplog.records if record.name == "inbox.titles"] == [
        "Fikk ikke artikkeltitlene fra nettstedet (HTTPError); ansattsiden viser kortnavnene til neste forsøk"]


# -----------------------------------------------------------------------------
# The site's look, and contrast
# -----------------------------------------------------------------------------

INBOX_CSS = (REPO / "inbox/static/inbox.css").read_text(encoding="utf-8")
SITE_CSS = (REPO / "docs/assets/stylesheets/hub.css").read_text(encoding="utf-8")
SAME_AS_SITE = {"--primary": "--md-primary-fg-color", "--accent": "--md-accent-fg-color",
                "--link": "--md-typeset-a-color", "--muted": "--hub-muted", "--surface": "--hub-surface"}


def variables(css: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,8})\s*;", css))


def test_the_inbox_uses_the_sites_colours() -> None:
    ours, site = variables(INBOX_CSS), variables(SITE_CSS)
    assert {name: ours[name].lower() for name in SAME_AS_SITE} == \
        {name: site[variable].lower() for name, variable in SAME_AS_SITE.items()}


def test_the_inbox_uses_materials_system_font_stack() -> None:
    [material_css] = (Path(material.__file__).parent / "templates/assets/stylesheets").glob("main.*.min.css")
    stack = re.search(r"--md-text-font-family:var\(--md-text-font, _\),\s*([^;]+);", material_css.read_text())[1]
    assert stack.strip() == "-apple-system, BlinkMacSystemFont, Helvetica, Arial, sans-serif"
    body = re.search(r"body \{[^}]*font: [\d.]+rem/[\d.]+ ([^;]+);", INBOX_CSS)
    assert body and body[1].split("  ")[0].strip() == stack.strip()


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")[:6]
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(front: str, back: str) -> float:
    lighter, darker = sorted([luminance(front), luminance(back)], reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize(("front", "back", "least"), [
    ("--link", "#ffffff", 4.5), ("--link", "--surface", 4.5), ("--muted", "#ffffff", 4.5),
    ("--muted", "--surface", 4.5), ("#ffffff", "--primary", 4.5), ("#ffffff", "--accent", 4.5),
    ("#ffffff", "--error", 4.5), ("--error", "#ffffff", 4.5), ("--primary", "#ffffff", 4.5),
    ("--accent", "#ffffff", 3.0), ("--edge", "#ffffff", 3.0),  # the focus ring and field edges: 3:1
])
def test_the_inbox_colours_meet_wcag_aa(front: str, back: str, least: float) -> None:
    ours = variables(INBOX_CSS)
    assert contrast(ours.get(front, front), ours.get(back, back)) >= least


# -----------------------------------------------------------------------------
# In headless Chromium at 390 × 844: no sideways scrolling, no serious axe finding, erasure by hand
# -----------------------------------------------------------------------------

LONG = {"name": "Karianne Nordmann-Strømsholm", "company": "Nordlys Regnskap og Rådgivning AS",
        "phone": "+47 912 34 567", "message": "Vi vil bli bedre på oppfølging. " * 12 + "\nHar dere tid i mars?"}


@pytest.fixture
def staff_inbox(site_server, tmp_path) -> Iterator[dict[str, object]]:
    """`python -m inbox` as a real process, its site the hostile corpus's, with leads that are long on a phone."""
    database = f"sqlite:///{tmp_path / 'data' / 'inbox.sqlite3'}"
    env = {"INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH, "INBOX_SMTP_HOST": ""}
    with inbox_server(database, str(site_server["url"]), tmp_path / "data", env=env) as (url, _process, _log):
        engine = store.connect(database)
        add_lead(engine, "en.svaert.lang.adresse.for.testing@eksempelfirmaet-med-langt-navn.no", "tok-phone-0001",
                 article=HOSTILE_SLUG, page=HOSTILE_PAGE, **LONG)
        add_lead(engine, "kari@nordlys.no", "tok-phone-0002", article="lang", page="artikler/lang/")
        engine.dispose()
        yield {"url": url}


def staff_log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/staff/")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henvendelser")


@pytest.mark.browser
def test_on_a_phone_the_staff_page_fits_and_axe_finds_nothing_serious(browser: Browser, staff_inbox) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)  # the inbox's CSP forbids the injected axe script
    try:
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        staff_log_in(page, str(staff_inbox["url"]))
        cards = page.locator("tbody tr")
        expect(cards).to_have_count(2)
        long = cards.filter(has_text="eksempelfirmaet-med-langt-navn.no")
        expect(long.get_by_role("link", name=HOSTILE_TITLE)).to_be_visible()  # the title, as text
        assert page_width(page) == (390, 390)
        for card in cards.all():
            box = card.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert serious_axe_findings(page) == [] and dialogs == []
    finally:
        context.close()


@pytest.mark.browser
def test_on_a_phone_erasure_is_asked_confirmed_and_counted(browser: Browser, staff_inbox) -> None:
    context = browser.new_context(**PHONE, bypass_csp=True)
    try:
        page = context.new_page()
        staff_log_in(page, str(staff_inbox["url"]))
        page.get_by_label("E-postadresse").fill("kari@nordlys.no")
        page.get_by_role("button", name="Vis hva som slettes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Slett alt om en e-postadresse")
        expect(page.get_by_text("Dette slettes for godt: 1 henvendelse, 0 påmeldinger og 0 e-poster i utboksen."))\
            .to_be_visible()
        expect(page.locator("tbody tr")).to_have_count(0)  # nothing deleted yet: on its own page
        assert page_width(page) == (390, 390)
        assert serious_axe_findings(page) == []
        page.get_by_role("button", name="Slett for godt").click()
        expect(page.get_by_role("status")).to_have_text("Slettet 1 oppføring om adressen.")
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator("tbody tr")).not_to_contain_text("kari@nordlys.no")
    finally:
        context.close()
