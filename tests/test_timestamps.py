"""One moment for each article, in every output: the page, the listing, JSON-LD, Open Graph, both feeds and
the sitemap. A bare date means 08:00 in Oslo; a time in front matter wins, Oslo time unless it names a zone.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import zoneinfo

import feedparser
from lxml import etree

from support import article

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
BODY = "Coaching av selgere hver uke gir fremgang og færre overraskelser i pipelinen."

# slug: (what front matter says, the publication moment, the update moment)
ARTICLES = {
    "vinter": ("2025-03-14", dt.datetime(2025, 3, 14, 8, 0, tzinfo=OSLO), None),
    "sommer": ("2025-06-14 13:30:00", dt.datetime(2025, 6, 14, 13, 30, tzinfo=OSLO), None),
    "sone": ("2025-06-20T05:15:00+00:00", dt.datetime(2025, 6, 20, 5, 15, tzinfo=dt.timezone.utc), None),
    "oppdatert": ("{created: 2025-02-01, updated: 2025-04-02}", dt.datetime(2025, 2, 1, 8, 0, tzinfo=OSLO),
                  dt.datetime(2025, 4, 2, 8, 0, tzinfo=OSLO)),
}


def _site() -> dict[str, str]:
    files = {}
    for slug, (written, _, _) in ARTICLES.items():
        text = article(f"Artikkel {slug}", BODY, slug=slug, date="DATO")
        files[f"artikler/posts/{slug}.md"] = text.replace("date: DATO", f"date: {written}")
    return files


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.strip().replace(" ", "T", 1))


def test_every_output_gives_each_article_the_same_moment(small_site) -> None:
    build = small_site(_site())
    assert build.returncode == 0, build.output
    rss = {entry.link.rstrip("/").rsplit("/", 1)[-1]: entry for entry in
           feedparser.parse(build.text("feed_rss_created.xml")).entries}
    feed = {item["url"].rstrip("/").rsplit("/", 1)[-1]: item for item in
            json.loads(build.text("feed_json_created.json"))["items"]}
    sitemap = {node.findtext("{*}loc").rstrip("/").rsplit("/", 1)[-1]: node.findtext("{*}lastmod")
               for node in etree.fromstring(build.text("sitemap.xml").encode()).iter("{*}url")}
    listing = build.html("artikler/index.html")
    for slug, (_, published, updated) in ARTICLES.items():
        page = build.html(f"artikler/{slug}/index.html")
        meta = {node.attributes["property"]: node.attributes["content"]
                for node in page.css("meta[property^='article:']")}
        ld = json.loads(page.css_first("script[type='application/ld+json']").text())
        seen = {
            "article:published_time": _moment(meta["article:published_time"]),
            "JSON-LD datePublished": _moment(ld["datePublished"]),
            "RSS pubDate": email.utils.parsedate_to_datetime(rss[slug].published),
            "JSON feed date_published": _moment(feed[slug]["date_published"]),
        }
        # The byline and Material's own dates on the page (cards of other articles are checked below).
        seen |= {f"page <time> {index}": _moment(node.attributes["datetime"])
                 for index, node in enumerate(page.css("time[datetime]")) if not _in_card(node)}
        card = next(node for node in listing.css("article") if f"{slug}/" in (node.css_first("a").attributes
                                                                            .get("href") or ""))
        seen["listing <time>"] = _moment(card.css_first("time[datetime]").attributes["datetime"])
        assert len(seen) > 5
        last = updated or published
        # Every date is the publication moment; Material's post block also shows the update, at its moment.
        assert published in seen.values() and set(seen.values()) <= {published, last}, (slug, seen)
        assert all(value == published for name, value in seen.items() if not name.startswith("page <time>"))
        assert _moment(meta["article:modified_time"]) == last and _moment(ld["dateModified"]) == last
        assert _moment(sitemap[slug]) == last, (slug, sitemap[slug])
        # «Liknende artikler» and the home page's cards date the articles they show by the same moments.
        for node in [*page.css(".hub-card"), *build.html("index.html").css(".hub-card")]:
            shown = node.css_first("a").attributes["href"].rstrip("/").rsplit("/", 1)[-1]
            assert _moment(node.css_first("time").attributes["datetime"]) == ARTICLES[shown][1], shown


def _in_card(node) -> bool:
    while node is not None:
        if "hub-card" in (node.attributes.get("class") or "").split():
            return True
        node = node.parent
    return False
