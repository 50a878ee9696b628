"""Findable and shareable: JSON-LD, Open Graph and Twitter tags, sharing cards, robots.txt, reproducible dates.

The facts and formats live in ``hub/seo.py`` and ``hub/cards.py`` (pure,
unit-tested); this hook gathers each page's facts (an article's from its
record, ``hub.site.articles()``), asks for a card where the article names no
``image:`` (or an SVG, which no network shows), crops a local ``image:`` to
1200×630 for sharing (``hub/images.py``; cached like the cards) and
declares the size it really has, and sets SOURCE_DATE_EPOCH from the newest article so that the
build date written into the sitemap and feeds comes from front matter, never
the clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import posixpath
from pathlib import Path
from typing import Any

from material.plugins.blog.structure import Post
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from hub import cards, catalogue, images, filecache, seo, site
from hub.messages import say

log = logging.getLogger("mkdocs.hooks.seo")

CARD_DIR = "assets/cards"
LOGO = "assets/images/logo-512.png"

# Per build: cards to draw after the build, and whether we set SOURCE_DATE_EPOCH ourselves.
_cards: dict[str, cards.Card] = {}
_shares: dict[str, tuple[File, images.Variant]] = {}
_files: Files | None = None
_own_epoch = False
_painter: cards.Painter | None = None


# After hooks/articles.py (110) has read the articles, and before
# mkdocs-rss-plugin (0) reads the build date in its on_config.
@event_priority(100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Date the build by its newest article, unless SOURCE_DATE_EPOCH was given."""
    global _own_epoch, _painter
    _cards.clear()
    _shares.clear()
    if _painter is not None:
        _painter.close()
    # New cards are drawn in worker processes while the pages render (hooks/ is where they import hub from).
    _painter = cards.Painter(_cache_dir(config) / "cards", os.path.dirname(os.path.abspath(__file__)))
    _painter.add_logo()
    if _own_epoch or "SOURCE_DATE_EPOCH" not in os.environ:
        newest = site.articles().newest_date(dt.datetime.now(dt.timezone.utc))
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
    output = Path(config.site_dir)
    cache = _cache_dir(config) / "cards"
    drawn = _painter.wait() if _painter is not None else 0
    for path, card in sorted(_cards.items()):
        cards.render_cached(card, cache, output / path)
    cards.render_logo_cached(cache, output / LOGO)
    log.debug("sharing cards: %d drawn, %d from cache", drawn, len(_cards) - drawn)
    cropped = sum(images.render_cached(lambda file=file: file.content_bytes, variant, _cache_dir(config) / "images",
                                       output / path) for path, (file, variant) in sorted(_shares.items()))
    log.debug("sharing crops: %d made, %d from cache", cropped, len(_shares) - cropped)
    if config.site_url:
        (output / "robots.txt").write_text(seo.robots_txt(config.site_url), encoding="utf-8")


# -----------------------------------------------------------------------------


def _cache_dir(config: MkDocsConfig) -> Path:
    return filecache.cache_root(os.path.dirname(config.config_file_path))


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
    record = site.articles().get(page.file.src_uri) if isinstance(page, Post) else None
    if record is not None:
        return _article_facts(page, record, config, url, home)
    kind = "home" if page.is_homepage else "page"
    image = _card(page, config, title if kind == "page" else config.site_name, "Salgsledelse")
    crumbs = ((config.site_name, home),) if kind == "home" else ((config.site_name, home), (title, url))
    return seo.PageFacts(kind=kind, title=title, description=description, url=url, image=image,
                         image_alt=title, site_name=config.site_name, breadcrumbs=crumbs)


def _article_facts(post: Post, record: catalogue.Article, config: MkDocsConfig, url: str,
                   home: str) -> seo.PageFacts:
    section = record.categories[0] if record.categories else ""
    image, size = _article_image(post, record, config) or (_card(post, config, record.title, section or "Artikkel"),
                                                           cards.SIZE)
    return seo.PageFacts(
        kind="article", title=record.title, description=record.description, url=url, image=image, image_size=size,
        image_alt=record.image_alt or record.title, site_name=config.site_name,
        published=record.created, modified=record.updated or record.created,
        authors=tuple(seo.Author(author.name, _absolute(config, author.url or "")) for author in post.authors),
        tags=record.tags, section=section,
        breadcrumbs=((config.site_name, home), ("Artikler", _absolute(config, "artikler/")), (record.title, url)),
    )


def _card(page: Page, config: MkDocsConfig, title: str, label: str) -> str:
    slug = page.url.strip("/").replace("/", "-") or "forside"
    path = f"{CARD_DIR}/{slug}.png"
    card = _cards[path] = cards.Card(title=title, label=label, brand=config.site_name)
    if _painter is not None:
        _painter.add(card)
    return _absolute(config, path)


def _article_image(post: Post, record: catalogue.Article, config: MkDocsConfig) -> \
        tuple[str, tuple[int, int] | None] | None:
    """The shared image and its real size: a 1200×630 crop of a local photo; None for the drawn card."""
    image = record.image
    if not image:
        return None
    if image.startswith(("https://", "http://")):
        return image, None  # not fetched at build time, so its size is unknown and not declared
    source = posixpath.normpath(posixpath.join(posixpath.dirname(record.src_uri), image))
    file = _files.get_file_from_path(source) if _files is not None else None
    if file is None:
        raise PluginError(f"{record.path}: image: "
                          f"{say('site.image_missing', image=repr(image), folder='docs/' + posixpath.dirname(source))}")
    facts = images.measure(file.content_bytes, file.src_uri)
    if facts is None or facts.kind == "svg":
        return None
    crop = images.plan_share(facts)
    if crop is None or (facts.width, facts.height) == (crop.width, crop.height):
        return _absolute(config, file.url), (facts.width, facts.height)  # animated, or already the sharing size
    path = f"{CARD_DIR}/{post.url.strip('/').replace('/', '-')}.jpg"
    _shares[path] = (file, crop)
    return _absolute(config, path), (crop.width, crop.height)


def on_build_error(error: Exception) -> None:
    """A failed build stops its card workers."""
    if _painter is not None:
        _painter.close()


def on_shutdown() -> None:
    if _painter is not None:
        _painter.close()
