"""Articles: read once, validated before anything is built, handed to every hook and to Material.

``hub/catalogue.py`` (pure, unit-tested) reads every article's front matter
once, merges the ``.meta.yml`` files above it, validates the result against
``hub/frontmatter.py`` and makes one immutable record per article. This hook
loads it for each build, publishes it through ``hub.site.articles()`` for the
other hooks, turns its problems into one build error (its warnings into
warnings that ``--strict`` fails on), and hands Material's blog and meta
plugins the very same parse, so no front matter is parsed twice.

It also gives articles stable ASCII URLs, and Material's reading time the
hub's one figure (the one ``make check`` prints).
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import io
import logging
import os
from typing import Any

import material.plugins.blog.structure as blog_structure
import material.plugins.meta.plugin as meta_plugin
import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from material.plugins.blog.structure import Post, Profile

from hub import catalogue, site
from hub.messages import say
from hub.slug import slugify

log = logging.getLogger("mkdocs.hooks.articles")

# How many of the newest articles the home page shows (1–12; default 3).
LATEST_ON_HOME = 3

# Every file read in this `mkdocs serve` session (or build), by path: a save
# parses only the file that changed.
_memo: catalogue.Memo = {}


class _Handoff:
    """Stands in for ``yaml`` in Material's blog and meta plugins: a text this build parsed is not parsed again.

    Both plugins parse the front matter and the ``.meta.yml`` files
    themselves; here they get a copy of the catalogue's parse of the same
    text, with an article's date in the shape the feeds read
    (``date.created``). A text the catalogue has not seen is parsed as before.
    """

    def __init__(self) -> None:
        self.parsed: dict[str, Any] = {}
        self.raw: dict[str, bytes] = {}  # what the catalogue read for this build, by path
        self.texts: dict[str, bytes] = {}  # the same by normalised path, until the blog has read its posts

    def open(self, file: Any, mode: str = "r", *args: Any, encoding: str | None = None, **kwargs: Any) -> Any:
        """Stands in for ``open`` in Material's posts: an article this build read is not read from disk again."""
        raw = self.texts.get(file) if isinstance(file, str) and mode == "r" and not args and not kwargs else None
        if raw is not None and encoding == "utf-8-sig":
            try:
                return io.StringIO(raw.decode("utf-8-sig"), newline=None)  # as text mode reads it: \r\n as \n
            except UnicodeDecodeError:
                pass  # the read below fails as Material expects
        return builtins.open(file, mode, *args, encoding=encoding, **kwargs)

    def load(self, stream: Any, Loader: type) -> Any:  # noqa: N803 - yaml's own parameter name
        source = stream if isinstance(stream, str) else stream.read()
        if source in self.parsed:
            return _copied(self.parsed[source])
        return yaml.load(source, Loader)

    def __getattr__(self, name: str) -> Any:
        return getattr(yaml, name)


def _copied(value: Any) -> Any:
    """A deep copy of what YAML's safe loader makes: its containers copied, its immutable values shared."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    if value is None or isinstance(value, (str, int, float, dt.date)):  # bool is an int; datetime a date
        return value
    return copy.deepcopy(value)  # a set, bytes, or what a hook put there


_handoff = _Handoff()
# The articles and .meta.yml files this build's on_config read.
_read_in_config: frozenset[str] = frozenset()


# Before hooks/seo.py (100) dates the build by the newest article, and so
# before mkdocs-rss-plugin (0) reads that date.
@event_priority(110)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Read the articles, and teach the blog plugin and the heading anchors our transliterating slugs."""
    global _read_in_config
    blog = site.blog(config)
    blog.config.post_slugify = slugify
    blog.config.categories_slugify = slugify
    # Heading anchors too: "Øvelse gjør mester" → #ovelse-gjor-mester, not #velse-gjr-mester.
    if "toc" in config.mdx_configs or "toc" in config.markdown_extensions:
        config.mdx_configs.setdefault("toc", {})["slugify"] = slugify
    # The files on disk, for the build's date; on_files checks them against the build's own list.
    layout = site.layout(config)
    uris = catalogue.docs_uris(layout)
    _read_in_config = catalogue.sources(layout, uris)
    _handoff.raw.clear()
    articles = catalogue.load(layout, uris, _memo, _handoff.raw)
    site.publish(articles)
    # The blog plugin reads .authors.yml in its own on_config, next: stop first, with our message.
    if authors := [problem for problem in articles.problems if problem.path == layout.shown(layout.authors_file)]:
        raise PluginError(_problems(authors))
    blog_structure.yaml = _handoff
    blog_structure.open = _handoff.open
    meta_plugin.load = _handoff.load
    return config


# Before the blog plugin (-50) reads the posts, so a broken article gets our
# message naming file and field instead of a parser error from deep inside it.
@event_priority(50)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Validate every article's front matter against the build's own files; report all problems at once."""
    layout = site.layout(config)
    articles = site.articles()
    # The build's own files: read again only if they are not the ones on_config read from the docs folder.
    if catalogue.sources(layout, (file.src_uri for file in files)) != _read_in_config:
        _handoff.raw.clear()
        articles = catalogue.load(layout, (file.src_uri for file in files), _memo, _handoff.raw)
        site.publish(articles)
    readtime = bool(site.blog(config).config.post_readtime)
    _handoff.parsed = {article.source: _for_material(article, readtime) for article in articles.articles}
    _handoff.parsed.update({meta.source: meta.meta for meta in articles.defaults})
    # Every article the catalogue read for this build (in on_config, or above), for the blog's posts next.
    _handoff.texts = {os.path.normpath(path): raw for path, raw in _handoff.raw.items()}
    _handoff.raw.clear()
    for warning in articles.warnings:
        log.warning(str(warning))
    if articles.problems:
        raise PluginError(_problems(articles.problems))
    return files


def _problems(problems: Any) -> str:
    lines = "\n".join(f"  {problem}" for problem in problems)
    return f"{say('build.problems', count=len(problems))}\n{lines}\n{say('build.fix')}"


def _for_material(article: catalogue.Article, readtime: bool) -> dict[str, Any]:
    """The article's own front matter as Material reads it, with the catalogue's answers in it.

    The date is the record's moment as ``{created: …}``, the shape the feeds
    read, so the page, the listings, the feeds and JSON-LD give one time.
    The reading time is the catalogue's, so the byline, the listings and
    ``make check`` show one figure.
    """
    meta = catalogue.thaw(article.own)
    if "date" in meta:
        meta["date"] = {"created": article.created, **({"updated": article.updated} if article.updated else {})}
    if readtime:
        meta["readtime"] = article.reading_minutes
    return meta


def on_nav(nav: Any, config: MkDocsConfig, files: Files) -> Any:
    """The blog has read its posts (in its on_files): let the bytes go."""
    _handoff.texts = {}
    return nav


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Give an author's page its template, and cut an article's excerpt if staff did not."""
    if isinstance(page, Profile):
        page.meta["template"] = "author.html"
    if not isinstance(page, Post):
        return markdown
    return _with_excerpt_separator(markdown, site.blog(config).config.post_excerpt_separator)


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give the home page the newest articles, and an author page its author."""
    if page.is_homepage:
        context["latest_articles"] = site.blog(config).blog.posts[:LATEST_ON_HOME]
    if isinstance(page, Profile):
        # The blog plugin points each author's url at their profile view.
        authors = site.blog(config).authors.values()
        context["author"] = next((author for author in authors if author.url == page.url), None)
    return context


# -----------------------------------------------------------------------------


def _with_excerpt_separator(markdown: str, separator: str) -> str:
    """Listings show only the first paragraph of an article that has no separator."""
    if separator in markdown:
        return markdown
    blocks = markdown.split("\n\n")
    for index, block in enumerate(blocks):
        if block.strip() and not block.lstrip().startswith(("#", "<", "!", "|", ">", "-", "*", "`")):
            blocks.insert(index + 1, separator)
            return "\n\n".join(blocks)
    return markdown


