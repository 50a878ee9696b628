"""Images: size, lazy loading and WebP/AVIF srcsets for images in pages, and covers for article cards.

The sizes, variants, cache keys and the rewriting of ``<img>`` tags live in
``hub/images.py`` (pure, unit-tested). This hook finds each ``src`` among the
build's files, renders the new tag with ``partials/picture.html``, hands the
card templates their cover (``hub_cover(post)``), and after the build writes
the variants from ``.cache/images/`` into ``site/``.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, Template
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from hub import images, filecache, site
from hub_speed.cache import MarkdownCache, digest

log = logging.getLogger("mkdocs.hooks.images")

VARIANT_DIR = "assets/images/varianter"
# Per build (reset in on_config, so `mkdocs serve` never reuses a previous build's files).
_by_url: dict[str, File] = {}
_by_src: dict[str, File] = {}
_measured: dict[str, images.Measured | None] = {}
_wanted: dict[str, tuple[File, images.Variant]] = {}
_template: Template | None = None
_template_key = ""
# What each page's rewrite changed, kept across builds (.cache/pictures.sqlite3) while the hub-speed
# plugin's Markdown cache is on: keyed by the page's HTML and address and the partial's source, and
# checked against what every image src resolved to (an image replaced: the page is rewritten again).
_cache: MarkdownCache | None = None
_command = "build"
FORMAT = 1


def on_startup(command: str, dirty: bool) -> None:
    global _command
    _command = "serve-dirty" if command == "serve" and dirty else command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Forget the previous build."""
    _by_url.clear()
    _by_src.clear()
    _measured.clear()
    _wanted.clear()
    _close()
    return config


def _open(config: MkDocsConfig) -> None:
    global _cache
    speed = config.plugins.get("hub-speed")
    if _cache is None and speed is not None and "markdown_cache" in getattr(speed, "active", ()):
        _cache = MarkdownCache(filecache.cache_root(os.path.dirname(config.config_file_path)) / "pictures.sqlite3")


def _close(prune: bool = False) -> None:
    global _cache
    if _cache is not None:
        if prune:
            _cache.prune()
        _cache.close()
        _cache = None


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Index the build's images where they are published; the partial that writes one; covers for the cards."""
    global _template
    # Here, not in on_files: the blog plugin moves the articles' images to their published folder there.
    _by_url.clear()
    _by_src.clear()
    for file in files:
        if file.is_media_file():
            _by_url[file.dest_uri] = _by_src[file.src_uri] = file
    global _template_key
    _template = env.get_template("partials/picture.html")
    _template_key = digest(env.loader.get_source(env, "partials/picture.html")[0], str(env.autoescape))
    _open(config)
    env.globals["hub_cover"] = _cover
    return env


# After every other hook's on_post_page that writes into the text (none do today), and before
# hooks/markup.py's last fixes (-100): only <img> tags change, so the order is not critical.
@event_priority(-90)
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Give the images in the page's text their size, loading and srcset."""
    if "<img" not in output or _template is None:
        return output
    resolve = _resolver(page.url)
    template = _template

    def render(picture: images.Picture) -> str:
        return template.render(picture=picture)

    if _cache is None:
        return images.rewrite(output, resolve, render)
    key = digest("picture", str(FORMAT), _template_key, str(images.TEXT_COLUMN), page.url, output)
    hit = _cache.get(key, lambda src: _describe(resolve(src)))  # resolving notes the variants to write
    if hit is not None:
        return images.apply(output, [(start, end, markup) for start, end, markup in hit["changes"]])
    answers: dict[str, Any] = {}

    def recorded(src: str) -> images.Found | None:
        found = resolve(src)
        answers[src] = _describe(found)
        return found

    changes = images.replacements(output, recorded, render)
    _cache.put(key, {"changes": [list(change) for change in changes]}, answers)
    return images.apply(output, changes)


def _describe(found: images.Found | None) -> list[Any] | None:
    """What a resolved image can change in the markup, in JSON's types."""
    if found is None:
        return None
    return [found.width, found.height, {fmt: [[url, variant.digest, variant.width, variant.height, variant.fmt,
                                                 list(variant.crop) if variant.crop else None]
                                                for url, variant in entries]
                                          for fmt, entries in sorted(found.variants.items())}]


# After the site is written; the variants are ours alone.
@event_priority(-90)
def on_post_build(config: MkDocsConfig) -> None:
    """Write every variant a page used, encoding only those the cache lacks."""
    output = Path(config.site_dir)
    cache = filecache.cache_root(os.path.dirname(config.config_file_path)) / "images"
    encoded = sum(images.render_cached(file_bytes(file), variant, cache, output / path)
                  for path, (file, variant) in sorted(_wanted.items()))
    log.debug("image variants: %d encoded, %d from cache", encoded, len(_wanted) - encoded)
    _close(prune=_command == "build")  # a preview renders a few pages: it keeps every entry


def on_build_error(error: Exception) -> None:
    _close()


# -----------------------------------------------------------------------------


def file_bytes(file: File) -> Callable[[], bytes]:
    return lambda: file.content_bytes


def measure(file: File) -> images.Measured | None:
    """A build file's image facts, read once per build."""
    if file.dest_uri not in _measured:
        _measured[file.dest_uri] = images.measure(file.content_bytes, file.dest_uri)
    return _measured[file.dest_uri]


def variant_path(file: File, variant: images.Variant) -> str:
    """Where *variant* is published, and noted for on_post_build to write."""
    stem = posixpath.splitext(posixpath.basename(file.dest_uri))[0]
    path = f"{VARIANT_DIR}/{variant.filename(stem)}"
    _wanted[path] = (file, variant)
    return path


def _resolver(page_url: str) -> Callable[[str], images.Found | None]:
    """Look up an ``src`` written in a page at *page_url* among this build's files."""
    base = posixpath.dirname(page_url) if not page_url.endswith("/") else page_url.rstrip("/")

    def resolve(src: str) -> images.Found | None:
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            return None
        file = _by_url.get(posixpath.normpath(posixpath.join(base, unquote(parts.path))).lstrip("/"))
        facts = measure(file) if file is not None else None
        if facts is None:
            return None
        variants = {fmt: [(get_relative_url(variant_path(file, variant), page_url), variant)
                          for variant in images.plan(facts, fmt)] for fmt in images.SRCSET_FORMATS}
        return images.Found(facts.width, facts.height, {fmt: found for fmt, found in variants.items() if found})

    return resolve


def _cover(post: Any) -> dict[str, Any] | None:
    """A card's cover: the article's local ``image:`` as a small 16:9 crop, with its alt text (or None)."""
    record = site.articles().get(post.file.src_uri)
    if record is None or not record.image or urlsplit(record.image).scheme:
        return None
    file = _by_src.get(posixpath.normpath(posixpath.join(posixpath.dirname(post.file.src_uri), record.image)))
    facts = measure(file) if file is not None else None
    if facts is None:
        return None
    if not facts.resizable:  # SVG and animated images are shown as they are, scaled by the card
        return {"src": file.url, "width": facts.width, "height": facts.height, "alt": _alt(record), "sources": []}
    planned = {fmt: [(variant_path(file, variant), variant.width) for variant in images.plan_cover(facts, fmt)]
               for fmt in images.SRCSET_FORMATS}
    smallest = images.plan_cover(facts, "webp")[0]
    return {"src": planned["webp"][0][0], "width": smallest.width, "height": smallest.height, "alt": _alt(record),
            "sizes": images.sizes_for(0, images.CARD_COLUMN), "sources": [(images.FORMATS[fmt][2], entries) for fmt, entries in planned.items()]}


def _alt(record: Any) -> str:
    return str(record.image_alt or "")

