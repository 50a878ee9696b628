"""Liknende artikler: adapt Material's blog posts to ``hub/related.py`` and hand each article its links.

The ranking is pure and unit-tested in ``hub/related.py``; this hook only
validates the settings, turns posts into documents once per build, resolves
``related:`` pins, and puts the chosen posts into the page context for
``overrides/partials/related.html``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from typing import Any

from material.plugins.blog.structure import Post
from mkdocs.config import base
from mkdocs.config import config_options as option
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files

from hub import related, text

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
    weights = option.SubConfig(_WeightsConfig)


# This build's links, by post URL; rebuilt in every on_files, so `mkdocs serve`
# never shows links from a previous build.
_links: dict[str, list[Post]] = {}
_settings = related.Settings()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Validate ``extra.related`` before anything is built."""
    global _settings
    _links.clear()
    _settings = _load_settings(config.extra.get("related") or {})
    return config


# Run after the blog plugin (-50) has read the posts and their categories.
@event_priority(-60)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Rank every article once per build."""
    _links.clear()
    blog = config.plugins["material/blog"]
    posts = {_key(post): post for post in blog.blog.posts}
    documents = [_document(key, post, blog) for key, post in posts.items()]
    pins = {key: _resolve_pins(post, posts, blog, config) for key, post in posts.items()}
    hidden = {key for key, post in posts.items() if post.meta.get("related") is False}
    ranked = related.rank_all(documents, _settings, pins, hidden)
    for key, matches in ranked.items():
        _links[posts[key].url] = [posts[match.key] for match in matches]
    return files


def on_page_context(context: dict[str, Any], page: Any, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give an article its related posts."""
    if isinstance(page, Post):
        context["related_articles"] = _links.get(page.url, [])
    return context


# -----------------------------------------------------------------------------


def _load_settings(raw: Any) -> related.Settings:
    if not isinstance(raw, dict):
        raise ConfigurationError("mkdocs.yml: extra.related: must be a mapping with count, min_score and weights")
    config = RelatedConfig()
    config.load_dict(raw)
    errors, warnings = config.validate()
    for key, warning in warnings:
        log.warning(f"mkdocs.yml: extra.related.{key}: {warning}")
    if errors:
        key, error = errors[0]
        raise ConfigurationError(f"mkdocs.yml: extra.related.{key}: {error}")
    _check_range("count", config.count, 1, 20)
    _check_range("min_score", config.min_score, 0, 1)
    for name in ("text", "tags", "categories"):
        _check_range(f"weights.{name}", config.weights[name], 0, 100)
    if config.weights.text <= 0:
        raise ConfigurationError("mkdocs.yml: extra.related.weights.text: must be above 0, or untagged "
                                 "articles could never get links")
    weights = related.Weights(config.weights.text, config.weights.tags, config.weights.categories)
    return related.Settings(count=config.count, min_score=float(config.min_score), weights=weights)


def _check_range(key: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not low <= value <= high:
        raise ConfigurationError(f"mkdocs.yml: extra.related.{key}: {value!r} is out of range; use {low} to {high}")


def _key(post: Post) -> str:
    return post.url.rstrip("/").rsplit("/", 1)[-1]


def _document(key: str, post: Post, blog: Any) -> related.Document:
    created = post.config.date.created
    return related.Document(
        key=key,
        title=post.title or "",
        description=str(post.meta.get("description") or ""),
        # The ranking reads only the start of the body; don't extract prose from the rest.
        body=" ".join(text.prose_blocks((post.markdown or "")[: 2 * related.Settings.body_chars])),
        categories=tuple(category.name for category in post.categories),
        tags=tuple(str(tag) for tag in post.meta.get("tags") or ()),
        published=created.timestamp(),
        # Only `mkdocs serve` has drafts and future articles among the posts.
        draft=_is_unpublished(post, blog),
    )


def _resolve_pins(post: Post, posts: dict[str, Post], blog: Any, config: MkDocsConfig) -> list[str]:
    """``related: [slug or path, …]`` as keys; an unknown target fails the build naming file and value."""
    values = post.meta.get("related")
    if not isinstance(values, list):
        return []
    by_name = {}
    for key, other in posts.items():
        for name in (key, other.file.src_uri, os.path.basename(other.file.src_uri)):
            by_name[name] = key
    keys = []
    for value in values:
        key = by_name.get(str(value).strip().lstrip("/"))
        if key is None or _is_unpublished(posts[key], blog):
            source = os.path.relpath(post.file.abs_src_path, os.path.dirname(config.config_file_path))
            raise PluginError(f"{source}: related: {value!r} is not a published article; "
                              "use the slug or file name of one, e.g. motebooking-pa-telefon")
        keys.append(key)
    return keys


def _is_unpublished(post: Post, blog: Any) -> bool:
    created = post.config.date.created
    future = blog.config.draft_if_future_date and created > dt.datetime.now(created.tzinfo)
    return bool(post.config.draft) or bool(future)
