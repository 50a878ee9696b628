"""The project's own site, built once: what every reader and every feed reader gets."""

from __future__ import annotations

import datetime
import email.utils
import json
import re

import feedparser
import pytest
from lxml import etree

from hub import check
from support import NORWEGIAN_DATE, POSTS, REPO, SITE_URL, SLUGS, Build

# Labels Material prints in English when a translation is missing or weak.
ENGLISH_UI = [
    "Skip to content", "Back to top", "Table of contents", "Type to start searching",
    "Continue reading", "Read more", "min read", "Back to index", "Metadata", "Made with",
    "Copy to clipboard", "Reject", "Accept", "Footer", "Header", "Previous", "Next",
    "Initializing search", "No matching documents", "Share", "Clear", "Not found",
    "Categories", "Authors", "Archive", "Navigation", "Search",
]


def visible_strings(html: str) -> str:
    """Text and the attributes a reader meets (labels, titles, placeholders)."""
    tree = etree.HTML(html)
    for junk in tree.xpath("//script|//style|//svg"):
        junk.getparent().remove(junk)
    texts = [" ".join(tree.itertext())]
    for attribute in ("aria-label", "title", "placeholder", "alt", "data-md-state"):
        texts += tree.xpath(f"//@{attribute}")
    return " ".join(map(str, texts))


def test_ships_enough_original_articles() -> None:
    assert len(POSTS) >= 10
    for path in POSTS:
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        assert 400 <= len(check.words(check.prose_blocks(body))) <= 900, path.name


@pytest.mark.parametrize("slug", SLUGS)
def test_article_page_has_head_and_byline(real_site: Build, slug: str) -> None:
    page = real_site.html(f"artikler/{slug}/index.html")
    assert page.css_first("html").attributes["lang"] == "nb"
    title = page.css_first("title").text()
    assert title.endswith(" - Arctic Sales Development") and len(title) > 30
    description = page.css_first('meta[name="description"]').attributes["content"]
    assert 40 < len(description) <= 160
    assert page.css_first('link[rel="canonical"]').attributes["href"] == f"{SITE_URL}artikler/{slug}/"
    byline = page.css_first(".hub-byline").text(separator=" ")
    assert NORWEGIAN_DATE.search(byline), byline
    assert re.search(r"\d+ min lesetid", byline), byline
    assert any(name in byline for name in ("Ingrid Solberg", "Magnus Haugen", "Sara Nilsen"))
    assert page.css(".hub-byline__categories a")
    assert page.css(".md-tags .md-tag")
    assert len(page.css("h1")) == 1


def test_articles_live_at_short_ascii_urls(real_site: Build) -> None:
    built = sorted(path.parent.name for path in (real_site.site / "artikler").glob("*/index.html")
                   if path.parent.name not in {"arkiv", "kategori", "forfatter", "side"})
    assert built == SLUGS
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) for slug in built)
    assert "motebooking-pa-telefon" in built


def test_every_article_is_listed_on_the_paginated_index(real_site: Build) -> None:
    listed: list[str] = []
    pages = [real_site.site / "artikler/index.html", *sorted((real_site.site / "artikler/side").glob("*/index.html"))]
    for path in pages:
        page = real_site.html(str(path.relative_to(real_site.site)))
        listed += [link.attributes["href"] for link in page.css("article.md-post h2 a")]
    assert len(pages) >= 2, "the index should paginate"
    assert sorted(href.strip("./").split("/")[-1] for href in listed) == SLUGS


@pytest.mark.parametrize("path", [
    "index.html", "artikler/index.html", "artikler/arkiv/2025/index.html",
    "artikler/kategori/coaching/index.html", "artikler/forfatter/ingrid/index.html", "emner/index.html",
    "gratis-konsultasjon/index.html", "nyhetsbrev/index.html", "om-oss/index.html", "personvern/index.html",
    "tilgjengelighet/index.html",
    "404.html",
])
def test_every_page_exists_in_norwegian_with_feeds_in_head(real_site: Build, path: str) -> None:
    html = real_site.text(path)
    page = real_site.html(path)
    assert page.css_first("html").attributes["lang"] == "nb"
    feeds: dict[str, set[str]] = {}  # a type can have two links (created and updated): keep them all
    for link in page.css('head link[rel="alternate"]'):
        feeds.setdefault(link.attributes["type"], set()).add(link.attributes["href"].rsplit("/", 1)[-1])
    assert "feed_rss_created.xml" in feeds["application/rss+xml"]
    assert "feed_json_created.json" in feeds["application/feed+json"]
    strings = visible_strings(html)
    for english in ENGLISH_UI:
        assert not re.search(rf"\b{re.escape(english)}\b", strings), f"{path}: English UI string {english!r}"


def test_author_pages_show_name_role_and_avatar(real_site: Build) -> None:
    page = real_site.html("artikler/forfatter/magnus/index.html")
    profile = page.css_first(".md-profile").text(separator=" ")
    assert "Magnus Haugen" in profile and "rekruttering" in profile
    assert page.css_first(".md-profile img").attributes["src"].endswith("magnus.svg")


def test_404_page_is_norwegian(real_site: Build) -> None:
    page = real_site.html("404.html")
    assert page.css_first("h1").text() == "Fant ikke siden"
    assert any("artikler" in link.attributes.get("href", "") for link in page.css("article a"))


def test_home_page_shows_latest_articles_and_booking_path(real_site: Build) -> None:
    page = real_site.html("index.html")
    latest = [link.attributes["href"] for link in page.css(".hub-latest .hub-card__link")]
    assert latest == ["artikler/prospektering-pa-linkedin/", "artikler/pipelinegjennomgang-pa-30-minutter/",
                      "artikler/motivasjon-nar-tallene-svikter/"]
    assert any(link.attributes["href"] == "gratis-konsultasjon/" for link in page.css("a.md-button--primary"))


def feed_items(site: Build, name: str) -> list[dict[str, str]]:
    """The items of an RSS (via feedparser) or JSON feed, as link/title/author/published/summary."""
    if name.endswith(".json"):
        feed = json.loads(site.text(name))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        return [{"link": item["url"], "title": item["title"], "author": item["authors"][0]["name"],
                 "published": item["date_published"], "summary": item["summary"]} for item in feed["items"]]
    feed = feedparser.parse(site.text(name))
    assert not feed.bozo, feed.get("bozo_exception")
    return [{key: entry[key] for key in ("link", "title", "author", "published", "summary")}
            for entry in feed.entries]


@pytest.mark.parametrize("name", ["feed_rss_created.xml", "feed_json_created.json"])
def test_feeds_hold_exactly_the_published_articles(real_site: Build, name: str) -> None:
    items = feed_items(real_site, name)
    assert sorted(item["link"] for item in items) == sorted(f"{SITE_URL}artikler/{slug}/" for slug in SLUGS)
    for item in items:
        source = (REPO / "docs/artikler/posts" / f"{item['link'].rstrip('/').rsplit('/', 1)[1]}.md").read_text("utf-8")
        assert f"title: {item['title']}" in source or f'title: "{item["title"]}"' in source
        assert item["author"] in {"Ingrid Solberg", "Magnus Haugen", "Sara Nilsen"}
        date = re.search(r"^date: (\S+)", source, re.MULTILINE).group(1)
        assert _local_date(item["published"]) == date
        assert f"description: {item['summary']}" in source


def _local_date(text: str) -> str:
    """The date as the feed wrote it, in Norwegian time (not converted to UTC)."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        moment = datetime.datetime.fromisoformat(text)
    return moment.date().isoformat()


def test_sitemap_uses_site_url_and_lists_articles(real_site: Build) -> None:
    tree = etree.fromstring((real_site.site / "sitemap.xml").read_bytes())
    urls = tree.xpath("//s:loc/text()", namespaces={"s": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    assert all(url.startswith(SITE_URL) for url in urls)
    assert {f"{SITE_URL}artikler/{slug}/" for slug in SLUGS} <= set(urls)


def test_nothing_is_loaded_from_google_or_other_hosts(real_site: Build) -> None:
    for path in real_site.site.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html, path
        for url in re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="(https?://[^"]+)"', html):
            assert url.startswith(SITE_URL), f"{path}: loads {url}"


def test_search_index_covers_articles(real_site: Build) -> None:
    index = json.loads(real_site.text("search/search_index.json"))
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {f"artikler/{slug}/" for slug in SLUGS} <= locations
    assert index["config"]["lang"] == ["no"]


def test_trusted_html_is_never_shown_as_escaped_text(real_site: Build) -> None:
    """Autoescaping must not over-escape: no page shows tags or entities as visible text."""
    pages = sorted(real_site.site.rglob("*.html"))
    assert len(pages) > 25
    for path in pages:
        text = visible_strings(path.read_text(encoding="utf-8"))
        assert not re.search(r"</?[a-z][a-z0-9]*[\s>/]|&(amp|lt|gt|quot|para|#\d+);", text), path
    pager = real_site.html("artikler/index.html").css(".md-pagination a")
    assert [link.attributes["href"] for link in pager] == ["side/2/"]
