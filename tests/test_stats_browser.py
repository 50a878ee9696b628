"""From a page view in headless Chromium to the staff's statistics: the beacon, the booking, the report's row.

The site is a real strict MkDocs build served from a loopback port; the inbox is `python -m inbox` as a real
process (SQLite in tmp_path). Headless Chromium says «HeadlessChrome» in its user agent, which the bot list
knows, so the reader's context presents a desktop Chrome's user agent, and one test checks that the
headless one is not counted.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from support import (PASSWORD, PASSWORD_HASH, PHONE, article, build_forms_site, inbox_server, page_width,
                     serious_axe_findings, serve_folder)

pytestmark = pytest.mark.browser

SLUG = "oppfolging-som-virker"
OTHER = "kald-prospektering"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The built site on one loopback port, the inbox on another; the site counts its views there."""
    root = tmp_path_factory.mktemp("stats-site")
    with serve_folder(root / "site") as site_url:
        data = root / "data"
        env = {"INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH, "INBOX_SMTP_HOST": ""}
        with inbox_server("", site_url, data, env=env) as (inbox_url, _process, _log):
            build(root, inbox_url)
            yield {"site": site_url, "inbox": inbox_url, "database": data / "inbox.sqlite3", "root": root}


def build(root: Path, inbox_url: str) -> None:
    build_forms_site(root, inbox_url, {
        "artikler/posts/a.md": article("Oppfølging som virker", "Første avsnitt.\n\n## Mer\n\nTekst.", slug=SLUG,
                                       categories=["Coaching"]),
        "artikler/posts/b.md": article("Kald prospektering", "Tekst.", slug=OTHER, categories=["Prospektering"]),
    }, {"booking": {"provider": "inbox"}, "newsletter": {"provider": "inbox"}})


def views(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as conn:
        return dict(conn.execute("SELECT path, SUM(views) FROM stats_views GROUP BY path").fetchall())


def wait_for_views(database: Path, path: str, count: int, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while views(database).get(path, 0) < count:
        assert time.monotonic() < deadline, f"expected {count} views of {path}, have {views(database)}"
        time.sleep(0.1)


@pytest.fixture
def reader(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(user_agent=CHROME, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def log_in(page: Page, inbox_url: str) -> None:
    page.goto(f"{inbox_url}/staff/")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henvendelser")


def test_the_build_lists_the_articles_and_lets_beacons_reach_the_inbox(running) -> None:
    site = Path(running["root"]) / "site"
    catalogue = json.loads((site / "artikler.json").read_text(encoding="utf-8"))
    assert {item["path"]: item["categories"] for item in catalogue["articles"]} == {
        f"artikler/{SLUG}/": ["Coaching"], f"artikler/{OTHER}/": ["Prospektering"]}
    policy = dict(part.split(" ", 1) for part in
                  re.search(r"Content-Security-Policy: (.*)", (site / "_headers").read_text()).group(1).split("; "))
    assert running["inbox"] in policy["connect-src"].split()


def test_a_view_and_a_booking_from_an_article_show_in_its_row(reader, running, browser) -> None:
    database, path = Path(running["database"]), f"artikler/{SLUG}/"
    requests: list[str] = []
    page = reader.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{running['site']}artikler/{SLUG}/?utm_source=nyhetsbrev&utm_campaign=2026-11&fbclid=x")
    wait_for_views(database, path, 1)
    beacons = [url for url in requests if url.endswith("/hit")]
    assert beacons == [f"{running['inbox']}/hit"]  # one beacon, to the inbox, no query string
    assert page.evaluate("() => [document.cookie, localStorage.length, sessionStorage.length]") == ["", 0, 0]

    booking = page.locator("section.hub-cta--booking")
    booking.get_by_label("Navn").fill("Kari Nordmann")
    booking.get_by_label("E-post", exact=True).fill("kari@nordlys.no")
    booking.get_by_label(re.compile("Jeg samtykker")).check()
    booking.get_by_role("button", name="Send forespørsel").click()
    expect(booking.get_by_role("status")).to_contain_text("Takk!")

    # Another article, reached by a link from the first: counted once, with no outside referrer.
    page.goto(f"{running['site']}artikler/{OTHER}/")
    wait_for_views(database, f"artikler/{OTHER}/", 1)

    # A headless bot is never counted; a page in the background is counted once it is looked at.
    bot = browser.new_context()
    try:
        bot.new_page().goto(f"{running['site']}personvern/")
        hidden = reader.new_page()
        hidden.add_init_script("""(() => { let state = "hidden";
            Object.defineProperty(document, "visibilityState", {get: () => state});
            window.showPage = () => { state = "visible"; document.dispatchEvent(new Event("visibilitychange")); };
        })()""")
        hidden.goto(f"{running['site']}personvern/")
        time.sleep(1.5)
        assert views(database).get("personvern/", 0) == 0
        hidden.evaluate("showPage()")
        wait_for_views(database, "personvern/", 1)
        hidden.evaluate("showPage()")  # shown again: the same view, not counted twice
        time.sleep(0.5)
    finally:
        bot.close()

    staff = reader.new_page()
    log_in(staff, running["inbox"])
    staff.get_by_role("link", name="Statistikk").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Statistikk")
    row = staff.locator(f'table.pages tr[data-path="{path}"]')
    cells = row.locator("td")
    expect(row.locator("th a")).to_have_text("Oppfølging som virker")
    expect(cells.nth(0)).to_have_text("Coaching")
    expect(cells.nth(1)).to_have_text("1")   # views
    expect(cells.nth(2)).to_have_text("1")   # booking requests
    expect(cells.nth(5)).to_have_text("100,0 %")
    expect(staff.locator("table.pages tbody tr").first).to_have_attribute("data-path", path)  # most leads first
    expect(staff.locator("table.campaigns tbody tr")).to_have_text(re.compile(r"nyhetsbrev\s*2026-11\s*1"))
    expect(staff.locator("table.referrers")).to_have_count(0)  # no outside site sent anyone
    assert views(database) == {path: 1, f"artikler/{OTHER}/": 1, "personvern/": 1}
    expect(staff.locator("svg[role=img] title").first).to_have_text("Visninger og henvendelser per dag")

    csv = staff.request.get(f"{running['inbox']}/staff/statistikk.csv?dager=30")
    assert csv.ok and csv.headers["content-type"].startswith("text/csv")
    assert '"Artikkel";"Oppfølging som virker";"artikler/oppfolging-som-virker/";"1";"1"' in csv.text()


@pytest.mark.parametrize("size", [PHONE, {"viewport": {"width": 1280, "height": 900}}], ids=["phone", "desktop"])
def test_the_report_fits_the_screen_and_axe_finds_nothing_serious(browser, running, size) -> None:
    context = browser.new_context(**size, bypass_csp=True)  # the inbox's CSP forbids the injected axe script
    try:
        page = context.new_page()
        log_in(page, running["inbox"])
        page.goto(f"{running['inbox']}/staff/statistikk?dager=90")
        expect(page.get_by_role("heading", level=1)).to_have_text("Statistikk")
        width = size["viewport"]["width"]
        assert page_width(page) == (width, width)
        chart = page.get_by_role("img", name="Visninger og henvendelser per dag")
        assert chart.bounding_box()["width"] <= width
        assert serious_axe_findings(page) == []
    finally:
        context.close()
