"""Liknende artikler: adapt Material's blog posts to ``hub/related.py`` and hand each article its links.

The ranking is pure and unit-tested in ``hub/related.py``; this hook only
validates the settings, turns the build's article records (``hub.site.articles()``)
into documents once per build, resolves ``related:`` pins, and puts the chosen
posts into the page context for ``overrides/partials/related.html``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any

from material.plugins.blog.structure import Post
from mkdocs.config import base
from mkdocs.config import config_options as option
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files

from hub import catalogue, messages, related, site, text
from hub.messages import say
from hub_speed import preview

log = logging.getLogger("mkdocs.hooks.related")


class _WeightsConfig(base.Config):
    # Relative weights of the three signals, each >= 0; they are normalised,
    # and an article without tags or categories is judged on its text alone.
    text = option.Type((int, float), default=related.Weights.text)
    tags = option.Type((int, float), default=related.Weights.tags)
    categories = option.Type((int, float), default=related.Weights.categories)


class RelatedConfig(base.Config):
    """``extra.related`` in mkdocs.yml."""

    # Links per article, 1 to 20 (default 3).
    count = option.Type(int, default=related.Settings.count)
    # Blended score from 0 to 1 below which an article gets fewer links rather
    # than weak ones (default 0.06).
    min_score = option.Type((int, float), default=related.Settings.min_score)
    # Share of the article's best candidate's score, from 0 to 1, that every
    # further link must reach too (default 0.6): a weak tail after a strong match is noise.
    relative_score = option.Type((int, float), default=related.Settings.relative_score)
    weights = option.SubConfig(_WeightsConfig)


# This build's links, by post URL; rebuilt in every on_files, so `mkdocs serve`
# never shows links from a previous build.
_links: dict[str, list[Post]] = {}
_settings = related.Settings()
_serve_dirty = False


def on_startup(command: str, dirty: bool) -> None:
    global _serve_dirty
    _serve_dirty = command == "serve" and dirty


def _dirty_build() -> bool:
    # `mkdocs serve --dirty`, or the quick first build the hub-speed plugin runs after a save in a small hub.
    return _serve_dirty or preview.phase.quick


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Validate ``extra.related`` before anything is built."""
    global _settings
    _links.clear()
    _settings = _load_settings(config.extra.get("related") or {}, config.config_file_path or "mkdocs.yml")
    return config


# Run after the blog plugin (-50) has read the posts and their categories.
@event_priority(-60)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Rank every article once per build."""
    _links.clear()
    blog = site.blog(config)
    articles = site.articles()
    # The blog's posts are the articles this build shows (a published build has no drafts).
    posts = {record.slug: (record, post) for post in blog.blog.posts
             if (record := articles.get(post.file.src_uri)) is not None}
    documents = [_document(record, blog) for record, _ in posts.values()]
    pins = {slug: _resolve_pins(record, posts, articles, blog, config) for slug, (record, _) in posts.items()}
    hidden = {slug for slug, (record, _) in posts.items() if record.related_hidden}
    # A --dirty preview renders only the articles saved since the last build: only they are ranked.
    only = {slug for slug, (_, post) in posts.items() if post.file.is_modified()} if _dirty_build() else None
    ranked = related.rank_all(documents, _settings, pins, hidden, only=only)
    for slug, matches in ranked.items():
        _links[posts[slug][1].url] = [posts[match.key][1] for match in matches]
    return files


def on_page_context(context: dict[str, Any], page: Any, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give an article its related posts."""
    if isinstance(page, Post):
        context["related_articles"] = _links.get(page.url, [])
    return context


# -----------------------------------------------------------------------------


def _load_settings(raw: Any, config_file: str) -> related.Settings:
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{site.where(config_file, 'extra.related')}: {say('settings.related')}")
    config = RelatedConfig()
    config.load_dict(raw)
    errors, warnings = config.validate()
    for key, warning in warnings:
        log.warning(f"{site.where(config_file, 'extra.related.' + key)}: {messages.config_warning(warning)}")
    if errors:
        key, error = errors[0]
        raise ConfigurationError(f"{site.where(config_file, 'extra.related.' + key)}: {messages.config_error(error)}")
    _check_range(config_file, "count", config.count, 1, 20)
    _check_range(config_file, "min_score", config.min_score, 0, 1)
    _check_range(config_file, "relative_score", config.relative_score, 0, 1)
    for name in ("text", "tags", "categories"):
        _check_range(config_file, f"weights.{name}", config.weights[name], 0, 100)
    if config.weights.text <= 0:
        raise ConfigurationError(f"{site.where(config_file, 'extra.related.weights.text')}: "
                                 f"{say('settings.text_weight')}")
    weights = related.Weights(config.weights.text, config.weights.tags, config.weights.categories)
    return related.Settings(count=config.count, min_score=float(config.min_score),
                            relative_score=float(config.relative_score), weights=weights)


def _check_range(config_file: str, key: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        raise ConfigurationError(f"{site.where(config_file, 'extra.related.' + key)}: "
                                 f"{say('settings.range', value=repr(value), low=low, high=high)}")


def _document(record: catalogue.Article, blog: Any) -> related.Document:
    return related.Document(
        key=record.slug,
        title=record.title,
        description=record.description,
        body=_prose_start(record.body),
        categories=record.categories,
        tags=record.tags,
        published=_published(record).timestamp(),
        # Only `mkdocs serve` has drafts and future articles among the posts.
        draft=_is_unpublished(record, blog),
    )


# A preview's rebuilds rank the same texts again: their prose is taken once.
@functools.lru_cache(maxsize=8192)
def _prose_start(body: str) -> str:
    # The ranking reads only the start of the body; don't extract prose from the rest.
    return " ".join(text.prose_blocks(body[: 2 * related.Settings.body_chars]))


def _resolve_pins(record: catalogue.Article, posts: dict[str, Any], articles: catalogue.Catalogue, blog: Any,
                  config: MkDocsConfig) -> list[str]:
    """``related: [slug or path, …]`` as keys; a pin to an unpublished article fails the build naming file and value.

    The catalogue has already refused pins to articles that do not exist.
    """
    keys = []
    for value in record.related:
        target = articles.by_name(value)
        if target is None or target.slug not in posts or _is_unpublished(target, blog):
            raise PluginError(f"{record.path}: related: {say('site.unpublished_pin', pin=repr(value))}")
        keys.append(target.slug)
    return keys


def _published(record: catalogue.Article) -> dt.datetime:
    """The moment the blog dates the article: a bare date is midnight UTC there."""
    return record.created if record.created.tzinfo else record.created.replace(tzinfo=dt.timezone.utc)


def _is_unpublished(record: catalogue.Article, blog: Any) -> bool:
    return record.unpublished(dt.datetime.now(dt.timezone.utc), bool(blog.config.draft_if_future_date))
