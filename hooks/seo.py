"""Findable and shareable: JSON-LD, Open Graph and Twitter tags, sharing cards, robots.txt, reproducible dates.

The facts and formats live in ``hub/seo.py`` and ``hub/cards.py`` (pure,
unit-tested); this hook gathers each page's facts, asks for a card where the
article names no ``image:``, and sets SOURCE_DATE_EPOCH from the newest
article so that the build date written into the sitemap and feeds comes
from front matter, never the clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import posixpath
import zoneinfo
from pathlib import Path
from typing import Any

from material.plugins.blog.structure import Post
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from hub import cards, frontmatter, mdcache, seo

log = logging.getLogger("mkdocs.hooks.seo")

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
CARD_DIR = "assets/cards"
LOGO = "assets/images/logo-512.png"

# Per build: cards to draw after the build, and whether we set SOURCE_DATE_EPOCH ourselves.
_cards: dict[str, cards.Card] = {}
_files: Files | None = None
_own_epoch = False


# Run before mkdocs-rss-plugin (0) reads the build date in its on_config.
@event_priority(100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Date the build by its newest article, unless SOURCE_DATE_EPOCH was given."""
    global _own_epoch
    _cards.clear()
    if _own_epoch or "SOURCE_DATE_EPOCH" not in os.environ:
        newest = _newest_article_date(Path(config.docs_dir))
        if newest is not None:
            os.environ["SOURCE_DATE_EPOCH"] = str(int(newest.timestamp()))
            _own_epoch = True
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Keep this build's files, to resolve an article's ``image:``."""
    global _files
    _files = files
    return files


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give every page its sharing tags and JSON-LD."""
    if not config.site_url:
        return context
    facts = _facts(page, config)
    context["seo"] = {"tags": seo.meta_tags(facts), "jsonld": seo.json_ld(facts, _organization(config))}
    return context


# Run after the site is written; cards and robots.txt are ours alone.
@event_priority(-90)
def on_post_build(config: MkDocsConfig) -> None:
    """Draw new sharing cards (unchanged ones come from the cache) and write robots.txt."""
    site = Path(config.site_dir)
    cache = _cache_dir(config) / "cards"
    drawn = sum(cards.render_cached(card, cache, site / path) for path, card in sorted(_cards.items()))
    cards.render_logo_cached(cache, site / LOGO)
    log.debug("sharing cards: %d drawn, %d from cache", drawn, len(_cards) - drawn)
    if config.site_url:
        (site / "robots.txt").write_text(seo.robots_txt(config.site_url), encoding="utf-8")


# -----------------------------------------------------------------------------


def _cache_dir(config: MkDocsConfig) -> Path:
    return mdcache.cache_root(os.path.dirname(config.config_file_path))


def _newest_article_date(docs: Path) -> dt.datetime | None:
    newest = None
    for path in docs.glob("artikler/posts/*.md"):
        front = frontmatter.read(path.name, path.read_bytes())
        meta = front.meta
        if front.unreadable or meta.get("draft") is True:
            continue
        dates = [frontmatter.as_date(meta.get("date"))]
        if isinstance(meta.get("date"), dict):
            dates.append(frontmatter.as_date(meta["date"].get("updated")))
        for date in filter(None, dates):
            date = date if date.tzinfo else date.replace(tzinfo=dt.timezone.utc)
            if date <= dt.datetime.now(dt.timezone.utc) and (newest is None or date > newest):
                newest = date
    return newest


def _absolute(config: MkDocsConfig, url: str) -> str:
    return config.site_url.rstrip("/") + "/" + url.lstrip("/")


def _organization(config: MkDocsConfig) -> seo.Organization:
    return seo.Organization(name=config.site_author or config.site_name, url=config.site_url,
                            logo=_absolute(config, LOGO))


def _facts(page: Page, config: MkDocsConfig) -> seo.PageFacts:
    home = _absolute(config, "")
    title = str(page.meta.get("title") or page.title or config.site_name)
    description = str(page.meta.get("description") or config.site_description or "")
    url = page.canonical_url or _absolute(config, page.url)
    if isinstance(page, Post):
        return _article_facts(page, config, title, description, url, home)
    kind = "home" if page.is_homepage else "page"
    image = _card(page, config, title if kind == "page" else config.site_name, "Salgsledelse")
    crumbs = ((config.site_name, home),) if kind == "home" else ((config.site_name, home), (title, url))
    return seo.PageFacts(kind=kind, title=title, description=description, url=url, image=image,
                         image_alt=title, site_name=config.site_name, breadcrumbs=crumbs)


def _article_facts(post: Post, config: MkDocsConfig, title: str, description: str, url: str,
                   home: str) -> seo.PageFacts:
    created, updated = post.config.date.created, post.config.date.updated
    section = post.categories[0].name if post.categories else ""
    image = _article_image(post, config) or _card(post, config, title, section or "Artikkel")
    return seo.PageFacts(
        kind="article", title=title, description=description, url=url, image=image,
        image_alt=str(post.meta.get("image_alt") or title), site_name=config.site_name,
        published=_zoned(created), modified=_zoned(updated or created),
        authors=tuple(seo.Author(author.name, _absolute(config, author.url or "")) for author in post.authors),
        tags=tuple(str(tag) for tag in post.meta.get("tags") or ()), section=section,
        breadcrumbs=((config.site_name, home), ("Artikler", _absolute(config, "artikler/")), (title, url)),
    )


def _zoned(moment: dt.datetime) -> dt.datetime:
    """Front-matter dates without a zone are Norwegian time."""
    return moment if moment.tzinfo else moment.replace(tzinfo=OSLO)


def _card(page: Page, config: MkDocsConfig, title: str, label: str) -> str:
    slug = page.url.strip("/").replace("/", "-") or "forside"
    path = f"{CARD_DIR}/{slug}.png"
    _cards[path] = cards.Card(title=title, label=label, brand=config.site_name)
    return _absolute(config, path)


def _article_image(post: Post, config: MkDocsConfig) -> str | None:
    image = post.meta.get("image")
    if not image:
        return None
    if str(image).startswith(("https://", "http://")):
        return str(image)
    source = posixpath.normpath(posixpath.join(posixpath.dirname(post.file.src_uri), str(image)))
    file = _files.get_file_from_path(source) if _files is not None else None
    if file is None:
        where = os.path.relpath(post.file.abs_src_path, os.path.dirname(config.config_file_path))
        raise PluginError(f"{where}: image: {image!r} is not a file next to the article; put the image in "
                          f"docs/{posixpath.dirname(source)}/ or fix the path")
    return _absolute(config, file.url)
