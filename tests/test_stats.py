"""Cookie-free statistics (inbox/stats.py): what a hit stores, what it never stores, and the staff report.

The unit tests run on small values; every test that takes ``database_url`` runs on SQLite and on
PostgreSQL, through the real ASGI app (the real process and browser are in test_stats_browser.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import re
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import select, text
from starlette.testclient import TestClient

from hub import headers as csp
from hub import stats as site_stats
from inbox import messages, stats, store
from inbox.app import create_app
from support import INBOX, SITE_ORIGIN, log_in, plain, read_csv, settings

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "HeadlessChrome/131.0.0.0 Safari/537.36")
BROWSER = {"user-agent": CHROME}
ARTICLE = "artikler/coaching-i-praksis/"


# -----------------------------------------------------------------------------
# Pure: cleaning a hit
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("/artikler/coaching-i-praksis/", ARTICLE),
    ("/artikler/coaching-i-praksis/index.html", ARTICLE),
    ("/artikler/coaching-i-praksis/?utm_source=x#del", ARTICLE),
    ("/", ""),
    ("/artikler/f%C3%B8rste/", "artikler/første/"),
    ("/<script>alert(1)</script>/", "<script>alert(1)</script>/"),
    ("/a\u0000b\nc/", "abc/"),
    ("/kontakt/ola@nordmann.no/", None),     # could be an address: not counted
    ("/kontakt/ola%40nordmann.no/", None),
    ("https://evil.example/x", None),        # not a path under the site
    ("/" + "a" * 301, None),
])
def test_paths_are_cleaned_or_refused(raw: str, expected: str | None) -> None:
    assert stats.clean_path(raw, "/") == expected


def test_a_site_under_a_folder_counts_only_its_own_paths() -> None:
    assert stats.clean_path("/hub/artikler/x/", "/hub/") == "artikler/x/"
    assert stats.clean_path("/annet/x/", "/hub/") is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("www.google.com", "google.com"),
    ("https://www.Google.com/search?q=ola@nordmann.no", "google.com"),
    ("ola.nordmann@example.com", ""),                     # an address, or user info: never stored
    ("https://ola:pw@example.com/", ""),
    ("linkedin.com:443", "linkedin.com"),
    ("[2001:db8::1]:8080", "[2001:db8::1]"),
    ("www.arcticsales.no", ""),                            # our own site is not a referrer
    ("arcticsales.no", ""),
    ('"><img src=x onerror=alert(1)>', '"><imgsrc=xonerror=alert(1)>'),
    ("x" * 300 + ".no", "x" * stats.LONGEST_HOST),
])
def test_referrers_keep_only_a_host_name_as_text(raw: str, expected: str) -> None:
    assert stats.clean_host(raw, ("www.arcticsales.no",)) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("nyhetsbrev", "nyhetsbrev"), ("  to   ord ", "to ord"), ("=HYPERLINK(1)", "=HYPERLINK(1)"),
    ("ola@nordmann.no", ""), ("a" * 150, "a" * stats.LONGEST_UTM),
])
def test_utm_values_are_text_without_addresses(raw: str, expected: str) -> None:
    assert stats.clean_utm(raw) == expected


@pytest.mark.parametrize(("agent", "bot"), [
    (CHROME, False), (FIREFOX, False), (GOOGLEBOT, True), (HEADLESS, True), ("", True), ("   ", True),
    ("python-requests/2.32.3", True), ("curl/8.5.0", True),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", True),
])
def test_known_bots_are_recognised(agent: str, bot: bool) -> None:
    assert stats.is_bot(agent) is bot


@pytest.mark.parametrize(("headers", "skip"), [
    ({"user-agent": CHROME}, False), ({"user-agent": CHROME, "sec-gpc": "1"}, True),
    ({"user-agent": CHROME, "sec-gpc": "0"}, False), ({"user-agent": GOOGLEBOT}, True),
    ({"user-agent": CHROME, "sec-purpose": "prefetch;prerender"}, True), ({}, True),
])
def test_gpc_bots_and_prefetches_are_skipped(headers: dict[str, str], skip: bool) -> None:
    assert stats.skipped(headers) is skip


def test_the_day_is_the_norwegian_day() -> None:
    assert stats.today(dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.timezone.utc)) == dt.date(2026, 7, 1)
    assert stats.today(dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.timezone.utc)) == dt.date(2026, 12, 31)


# -----------------------------------------------------------------------------
# Pure: the report from known counts
# -----------------------------------------------------------------------------

START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 7)
CATALOGUE = {ARTICLE: stats.Article(ARTICLE, "coaching-i-praksis", "Coaching i praksis", ("Coaching", "Salgsledelse")),
             "artikler/kpi/": stats.Article("artikler/kpi/", "kpi", "KPI-er", ("KPI og oppfølging",))}


def sample() -> stats.Raw:
    return stats.Raw(
        views=[(ARTICLE, 100), ("artikler/kpi/", 10), ("", 5)],
        daily_views=[(START, 55), (END, 60)],
        referrers=[("google.com", 7), ("linkedin.com", 9)],
        campaigns=[("nyhetsbrev", "2026-11", 4)],
        leads=[("booking", "coaching-i-praksis", ARTICLE, 2), ("newsletter", "kpi", "artikler/kpi/", 1),
               ("booking", "", "", 1)],
        daily_leads=[(START, "booking", 1), (END, "newsletter", 1), (END, "booking", 2)],
        confirmed=[("coaching-i-praksis", 1), ("kpi", 1)])


def test_the_report_joins_views_leads_and_subscribers_per_article() -> None:
    report = stats.build_report(sample(), START, END, CATALOGUE)
    rows = {row.key: row for row in report.pages}
    assert [row.key for row in report.pages] == [ARTICLE, "artikler/kpi/", "", ]  # by leads, then views
    coaching = rows[ARTICLE]
    assert (coaching.label, coaching.counts.views, coaching.counts.bookings, coaching.counts.signups,
            coaching.counts.confirmed) == ("Coaching i praksis", 100, 2, 0, 1)
    assert coaching.counts.rate == pytest.approx(2.0)
    assert (rows["artikler/kpi/"].counts.signups, rows["artikler/kpi/"].counts.confirmed) == (1, 1)
    assert rows[""].counts.views == 5 and rows[""].counts.bookings == 1  # the home page, and a lead from nowhere
    assert (report.total.views, report.total.leads, report.total.confirmed) == (115, 4, 2)
    assert [row.counts.views for row in report.days] == [55, 0, 0, 0, 0, 0, 60]
    assert [row.counts.leads for row in report.days] == [1, 0, 0, 0, 0, 0, 3]


def test_categories_total_their_articles_and_the_rest_comes_last() -> None:
    report = stats.build_report(sample(), START, END, CATALOGUE)
    categories = {row.key: row.counts for row in report.categories}
    assert categories["Coaching"].views == categories["Salgsledelse"].views == 100
    assert categories["KPI og oppfølging"].leads == 1
    assert report.categories[-1].key == messages.STATS_NO_CATEGORY
    assert categories[messages.STATS_NO_CATEGORY].views == 5


def test_the_chart_has_a_point_and_a_bar_per_day_on_scales_that_hold_the_largest() -> None:
    report = stats.build_report(sample(), START, END, CATALOGUE)
    drawn = stats.chart(report.days)
    assert len(drawn["views"]["points"]) == len(drawn["leads"]["bars"]) == 7
    assert drawn["views"]["max"] == 100 and drawn["leads"]["max"] == 5
    tallest = min(point["y"] for point in drawn["views"]["points"])
    assert drawn["views"]["top"] <= tallest < drawn["views"]["base"]
    last = drawn["leads"]["bars"][-1]
    assert last["bookings"] == 2 and last["signups"] == 1 and last["signup_height"] > 0
    assert [stats.nice_ceiling(value) for value in (0, 1, 3, 7, 10, 11, 4999)] == [1, 1, 5, 10, 10, 20, 5000]


def test_the_site_declares_the_endpoint_and_writes_a_stable_catalogue() -> None:
    assert site_stats.endpoint("https://innboks.arcticsales.no/") == "https://innboks.arcticsales.no/hit"
    entries = [site_stats.Entry("artikler/b/", "b", "B <i>", ("Coaching",)),
               site_stats.Entry("artikler/a/", "a", "A", ())]
    written = json.loads(site_stats.catalogue_json(entries))
    assert [item["path"] for item in written["articles"]] == ["artikler/a/", "artikler/b/"]
    assert written["articles"][1]["title"] == "B &lt;i&gt;"  # HTML text in a site file, as in the feed
    parsed = stats.parse_catalogue(written)
    assert parsed["artikler/b/"].categories == ("Coaching",) and parsed["artikler/b/"].title == "B <i>"
    assert stats.parse_catalogue({"articles": [{"path": 1}, "x", {"path": "p", "slug": "s", "title": "t"}]}) == {}


def test_the_csp_lets_beacons_reach_the_inbox() -> None:
    policy = dict(part.split(" ", 1) for part in
                  csp.content_security_policy(None, None, [], ["https://innboks.arcticsales.no"]).split("; "))
    assert policy["connect-src"] == "'self' https://innboks.arcticsales.no"


# -----------------------------------------------------------------------------
# Through the app, on SQLite and PostgreSQL
# -----------------------------------------------------------------------------


def beacon(client: TestClient, path: str = "/" + ARTICLE, headers: dict[str, str] | None = None,
           **fields: str) -> int:
    """One beacon as stats.js sends it: form-encoded fields, the site's Origin, a browser's user agent."""
    response = client.post("/hit", data={"p": path, **fields}, headers={**BROWSER, **(headers or {})})
    return response.status_code


def counts(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {table.name: sorted(tuple(row) for row in conn.execute(select(table))) for table in stats.TABLES}


def test_a_hit_is_counted_once_in_each_daily_total(inbox) -> None:
    assert beacon(inbox, r="www.google.com", s="nyhetsbrev", c="2026-11") == 204
    day = stats.today(store.utc(dt.datetime.now(dt.timezone.utc)))
    assert counts(inbox.inbox.engine) == {
        "stats_views": [(day, ARTICLE, 1)], "stats_referrers": [(day, "google.com", 1)],
        "stats_campaigns": [(day, "nyhetsbrev", "2026-11", 1)]}
    assert beacon(inbox) == 204
    assert counts(inbox.inbox.engine)["stats_views"] == [(day, ARTICLE, 2)]
    assert counts(inbox.inbox.engine)["stats_referrers"] == [(day, "google.com", 1)]  # no referrer: not counted


@pytest.mark.parametrize("headers", [{"sec-gpc": "1"}, {"user-agent": GOOGLEBOT}, {"user-agent": HEADLESS},
                                     {"user-agent": ""}])
def test_bots_and_gpc_write_nothing_at_all(inbox, headers: dict[str, str]) -> None:
    assert beacon(inbox, headers=headers, r="google.com") == 204
    assert counts(inbox.inbox.engine) == {"stats_views": [], "stats_referrers": [], "stats_campaigns": []}
    with inbox.inbox.engine.connect() as conn:  # not even the rate limit's keyed hash
        assert conn.execute(select(store.limit_hits)).all() == []


@pytest.mark.parametrize(("headers", "status"), [({"origin": "https://evil.example"}, 403), ({"origin": ""}, 403),
                                                 ({"origin": INBOX}, 403)])
def test_only_the_site_may_send_hits(inbox, headers: dict[str, str], status: int) -> None:
    assert beacon(inbox, headers=headers) == status
    assert counts(inbox.inbox.engine)["stats_views"] == []


def test_the_hit_endpoint_is_rate_limited_and_body_limited(make_inbox) -> None:
    client = make_inbox(hit_rate_limit=3)
    assert [beacon(client) for _ in range(4)] == [204, 204, 204, 429]
    assert counts(client.inbox.engine)["stats_views"][0][2] == 3
    other = make_inbox(hit_rate_limit=0)
    big = other.post("/hit", data={"p": "/" + ARTICLE, "r": "x" * 3000}, headers=BROWSER)
    assert big.status_code == 413 and big.json()["message"] == messages.FORM_TOO_LARGE
    lying = other.post("/hit", content=b"p=%2F", headers={**BROWSER, "content-length": "999999",
                                                          "content-type": stats.FORM})
    assert lying.status_code == 413
    assert other.post("/hit", content=b'{"p": "/"}', headers={**BROWSER, "content-type": "application/json"}) \
        .status_code == 415
    assert counts(other.inbox.engine)["stats_views"][0][2] == 3  # (the same database): none of these counted


def test_nothing_personal_reaches_the_database(database_url, mailbox) -> None:
    """Hits from a known address and user agent, with an address in every field: no column of any table holds
    any of them (the rate limit keeps only a keyed hash)."""
    address, agent, email = "203.0.113.77", CHROME.replace("131.0.0.0", "131.0.6778.204"), "kari.nordmann@nordlys.no"
    app = create_app(settings(database_url, mailbox, forwarded_allow_ips=("127.0.0.0/8",)))
    with TestClient(app, base_url=INBOX, headers={"origin": SITE_ORIGIN}, client=("127.0.0.1", 50000)) as client:
        for fields in ({"r": f"https://{email}/x"}, {"r": email, "s": email, "c": email}, {"s": "ok", "c": email}):
            response = client.post("/hit", data={"p": "/" + ARTICLE, **fields},
                                   headers={"user-agent": agent, "x-forwarded-for": address,
                                            "cookie": f"spor={email}"})
            assert response.status_code == 204
            assert "set-cookie" not in response.headers
        assert client.post("/hit", data={"p": f"/kontakt/{email}/"},
                           headers={"user-agent": agent, "x-forwarded-for": address}).status_code == 204
        engine = app.inbox.engine
        found = []
        with engine.connect() as conn:
            for table in store.metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        cell = str(value).lower()
                        if any(secret in cell for secret in (address, agent.lower(), email, "nordlys", "kari")):
                            found.append((table.name, column.name, value))
        assert found == []
        assert counts(engine)["stats_views"][0][2] == 3  # the hits were counted, the address-bearing path not
        assert counts(engine)["stats_referrers"] == []


HOSTILE_PATH = '/=HYPERLINK("http://x")"><script>alert(1)</script>/'
HOSTILE_HOST = "=cmd|'calc'!a0<svg onload=alert(1)>"
STORED_HOST = "=cmd|'calc'!a0<svgonload=alert(1)>"  # a host name has no spaces


def test_hostile_paths_and_referrers_are_stored_as_text_and_shown_escaped(inbox) -> None:
    assert beacon(inbox, path=HOSTILE_PATH, r=HOSTILE_HOST, s="@SUM(1+1)", c="-2+3") == 204
    assert beacon(inbox, path="/", s="+cmd", c="<i>kampanje</i>") == 204
    stored = counts(inbox.inbox.engine)
    path = HOSTILE_PATH[1:]
    assert stored["stats_views"][1][1] == path and stored["stats_referrers"][0][1] == STORED_HOST
    # «@SUM(1+1)» could be an address: dropped, the campaign kept
    assert sorted(row[1:3] for row in stored["stats_campaigns"]) == [("", "-2+3"), ("+cmd", "<i>kampanje</i>")]
    log_in(inbox)
    page = inbox.get("/staff/statistikk?dager=7")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<svgonload" not in page.text and "<i>kampanje" not in page.text
    html = HTMLParser(page.text)
    assert path in [node.text() for node in html.css("table.pages span.muted")] + \
        [node.text() for node in html.css("table.pages a")]
    assert [node.text() for node in html.css("table.referrers tbody th")] == [STORED_HOST]
    assert "<i>kampanje</i>" in [node.text() for node in html.css("table.campaigns tbody td")]
    assert html.css_first("svg desc").text()  # the chart says what it shows
    sheet = read_csv(inbox.get("/staff/statistikk.csv?dager=7").content)
    cells = [value for row in sheet for value in row.values()]
    assert STORED_HOST not in cells and "'" + STORED_HOST in cells  # made inert, and otherwise as stored
    assert "'+cmd" in cells and plain("'+cmd") == "+cmd"
    assert "'" + path in cells and path not in cells


def test_the_reports_totals_equal_the_hits_and_leads_stored(inbox) -> None:
    engine = inbox.inbox.engine
    today = stats.today(store.utc(dt.datetime.now(dt.timezone.utc)))
    days = [today - dt.timedelta(days=offset) for offset in (0, 3, 6, 10)]  # the last one is outside 7 days
    for day, number in zip(days, (5, 7, 11, 13), strict=True):
        stats.record(engine, stats.Hit(ARTICLE, "google.com", "nyhetsbrev", "uke-48"), day, number)
        stats.record(engine, stats.Hit("artikler/kpi/"), day, 2)
    now = dt.datetime.now(dt.timezone.utc)
    for index, (moment, kind, article, page) in enumerate([
            (now, "booking", "coaching-i-praksis", ARTICLE), (now - dt.timedelta(days=2), "booking",
                                                              "coaching-i-praksis", ARTICLE),
            (now, "newsletter", "coaching-i-praksis", ARTICLE), (now, "booking", "kpi", "artikler/kpi/"),
            (now - dt.timedelta(days=20), "booking", "coaching-i-praksis", ARTICLE)]):
        values = {"email": f"p{index}@example.no", "article": article, "page": page}
        if kind == "booking":
            store.store_lead(engine, kind, f"tok-{index}", values, moment, [])
        else:
            store.store_signup(engine, f"tok-{index}", values, moment, store.Mail(values["email"], "x"))
            store.confirm(engine, values["email"], moment)
    log_in(inbox)
    html = HTMLParser(inbox.get("/staff/statistikk?dager=7").text)
    rows = {row.attributes["data-path"]: [cell.text(strip=True) for cell in row.css("td")]
            for row in html.css("table.pages tbody tr")}
    # Kategorier, Visninger, Bookinger, Påmeldinger, Bekreftede, Konvertering
    assert rows[ARTICLE][1:] == ["23", "2", "1", "1", "13,0 %"]
    assert rows["artikler/kpi/"][1:] == ["6", "1", "0", "0", "16,7 %"]
    assert list(rows) == [ARTICLE, "artikler/kpi/"]
    days = [[cell.text(strip=True) for cell in row.css("th, td")] for row in html.css("table.days tbody tr")]
    assert len(days) == 7 and sum(int(row[1]) for row in days) == 29 and sum(int(row[2]) for row in days) == 3
    assert [(node.text(), node.next.text()) for node in html.css("table.referrers tbody th")] == [("google.com", "23")]
    sheet = read_csv(inbox.get("/staff/statistikk.csv?dager=7").content)
    total = next(row for row in sheet if row["Tabell"] == "Totalt")
    assert (total["Visninger"], total["Bookinger"], total["Påmeldinger nyhetsbrev"], total["Henvendelser"]) == \
        ("29", "3", "1", "4")
    month = HTMLParser(inbox.get("/staff/statistikk?dager=30").text)
    assert [cell.text(strip=True) for cell in month.css("table.pages tbody tr")[0].css("td")][1:3] == ["36", "3"]
    chosen = HTMLParser(inbox.get(f"/staff/statistikk?fra={days[0][0][6:]}-{days[0][0][3:5]}-{days[0][0][:2]}"
                                  f"&til={today.isoformat()}").text)
    assert len(chosen.css("table.days tbody tr")) == 7


@pytest.mark.parametrize("query", ["dager=8", "fra=2026-01-02&til=2026-01-01", "fra=x&til=2026-01-01",
                                   "fra=2020-01-01&til=2026-01-01"])
def test_a_bad_period_is_explained_in_norwegian(inbox, query: str) -> None:
    log_in(inbox)
    page = inbox.get(f"/staff/statistikk?{query}")
    assert page.status_code == 400
    assert HTMLParser(page.text).css_first("[role=alert]").text().startswith("Perioden er ugyldig")


def test_the_report_needs_a_login_and_is_linked_from_the_staff_page(inbox) -> None:
    assert inbox.get("/staff/statistikk").status_code == 303
    assert inbox.get("/staff/statistikk.csv").status_code == 303
    log_in(inbox)
    links = [node.attributes["href"] for node in HTMLParser(inbox.get("/staff/").text).css("nav a")]
    assert "/staff/statistikk" in links


def test_stats_tables_are_created_with_the_day_first_in_their_keys(inbox) -> None:
    engine = inbox.inbox.engine
    for table in stats.TABLES:
        assert [column.name for column in table.primary_key.columns][0] == "day"
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'stats_views'")).scalar_one()
            assert re.search(r"WITHOUT ROWID", ddl)


def test_leads_count_on_their_norwegian_day_in_summer_and_winter(inbox) -> None:
    engine = inbox.inbox.engine
    for token, moment in (("tok-summer", dt.datetime(2026, 6, 30, 22, 30, tzinfo=dt.timezone.utc)),   # 00:30 1 July
                          ("tok-winter", dt.datetime(2026, 12, 31, 22, 59, tzinfo=dt.timezone.utc))):  # 23:59 31 Dec
        store.store_lead(engine, "booking", token, {"email": "a@b.no", "article": "x", "page": "artikler/x/"},
                         moment, [])
    summer = stats.read_period(engine, dt.date(2026, 6, 30), dt.date(2026, 7, 1))
    assert summer.daily_leads == [(dt.date(2026, 7, 1), "booking", 1)]
    winter = stats.read_period(engine, dt.date(2026, 12, 31), dt.date(2027, 1, 1))
    assert winter.daily_leads == [(dt.date(2026, 12, 31), "booking", 1)]
    assert winter.leads == [("booking", "x", "artikler/x/", 1)]


def run_alone(coroutine: Any) -> Any:
    """Run *coroutine* on a loop of its own thread: a browser test before it may leave this thread's loop running."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_the_catalogue_is_read_from_the_site_and_a_site_that_is_down_leaves_it_empty(caplog) -> None:
    served = site_stats.catalogue_json([site_stats.Entry(ARTICLE, "coaching-i-praksis", "Coaching", ("Coaching",))])
    asked: list[str] = []

    def site(url: str) -> bytes:
        asked.append(url)
        return served.encode("utf-8")

    def down(url: str) -> bytes:
        raise OSError("connection refused")

    shelf = stats.Catalogue("https://www.arcticsales.no/", site)
    run_alone(shelf.refresh())
    assert asked == ["https://www.arcticsales.no/artikler.json"]
    assert shelf.articles[ARTICLE].categories == ("Coaching",)
    broken = stats.Catalogue("https://www.arcticsales.no/", down)
    run_alone(broken.refresh())
    assert broken.articles == {}
    assert messages.LOG_STATS_CATALOGUE.split(" (")[0] in caplog.text
