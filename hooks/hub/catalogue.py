"""The articles of a hub, read once: front matter parsed, ``.meta.yml`` merged, validated, typed.

Every consumer reads articles from here: the build's hooks (related links,
SEO, calls to action, redirects, the build's date), ``make check``,
``make new`` and the editor's schema. Nothing else parses an article's front
matter; Material's blog is handed the same parse (``hooks/articles.py``).

What counts as an article is decided in one place, :meth:`Layout.is_article`,
from the blog plugin's own settings: every Markdown page under its post
folder, subfolders included, as the blog plugin itself collects them.

This module knows nothing of MkDocs: a :class:`Layout` and a list of files
in, a :class:`Catalogue` of immutable :class:`Article` records out.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import posixpath
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import mergedeep
import yaml

from hub import cta, frontmatter, text
from hub.frontmatter import FrontMatter, Problem
from hub.messages import say

# How Material's meta plugin merges a folder's .meta.yml into a page: lists are
# extended, mappings merged, and a type clash is an error.
_MERGE = mergedeep.Strategy.TYPESAFE_ADDITIVE
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A bare `date: 2025-03-14` means this time of day in Norway; a time written
# in front matter wins, and one written without a zone is Norwegian time too.
ZONE = zoneinfo.ZoneInfo("Europe/Oslo")
PUBLISHING_TIME = dt.time(8, 0)


@dataclass(frozen=True)
class Layout:
    """Where a hub keeps its articles, taken from the blog plugin's settings.

    Paths are relative to the docs folder, with forward slashes, as MkDocs'
    ``File.src_uri``.
    """

    root: Path  # the repository: the folder of mkdocs.yml
    docs: Path  # the docs folder, absolute
    posts: str  # the blog's post folder, e.g. "artikler/posts"
    authors_file: str  # e.g. "artikler/.authors.yml"
    meta_file: str = ".meta.yml"  # the meta plugin's file name; "" when the plugin is off
    categories: tuple[str, ...] = ()  # categories_allowed; empty allows any
    words_per_minute: int = 265  # post_readtime_words_per_minute
    future_is_draft: bool = True  # draft_if_future_date

    @classmethod
    def from_blog(cls, root: Path, docs: Path, blog: Mapping[str, Any], meta_file: str = ".meta.yml") -> Layout:
        """The layout the blog plugin's (validated) configuration describes."""
        blog_dir = posixpath.normpath(str(blog.get("blog_dir") or "blog"))
        posts = str(blog.get("post_dir") or "{blog}/posts").format(blog=blog_dir)
        authors = str(blog.get("authors_file") or "{blog}/.authors.yml").format(blog=blog_dir)
        return cls(
            root=root, docs=docs, posts=posixpath.normpath(posts).strip("/"),
            authors_file=posixpath.normpath(authors), meta_file=meta_file,
            categories=tuple(blog.get("categories_allowed") or ()),
            words_per_minute=int(blog.get("post_readtime_words_per_minute") or 265),
            future_is_draft=bool(blog.get("draft_if_future_date", False)),
        )

    def is_article(self, src_uri: str) -> bool:
        """Whether the page at *src_uri* is an article: Markdown anywhere under the post folder."""
        return src_uri.startswith(self.posts + "/") and src_uri.endswith(".md")

    def shown(self, src_uri: str) -> str:
        """A docs file's path as staff see it: relative to the repository."""
        return (self.docs / src_uri).relative_to(self.root).as_posix() if self.docs.is_relative_to(self.root) \
            else (self.docs / src_uri).as_posix()

    def new_article(self, slug: str) -> str:
        """Where ``make new`` puts an article: straight in the post folder."""
        return f"{self.posts}/{slug}.md"


@dataclass(frozen=True)
class Author:
    """One author from ``.authors.yml``."""

    key: str
    name: str
    description: str
    avatar: str


@dataclass(frozen=True)
class Article:
    """One article, validated: every value has its final type, nothing is left to re-derive."""

    path: str  # relative to the repository, for messages
    src_uri: str  # relative to the docs folder, as MkDocs' File.src_uri
    title: str
    description: str
    created: dt.datetime  # the moment it is published, with its zone (see PUBLISHING_TIME)
    updated: dt.datetime | None  # the moment of its last real change, if front matter gives one
    slug: str  # the address it is published under
    slug_pinned: bool  # written in front matter, not made from the title
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    draft: bool
    pin: bool
    image: str | None
    image_alt: str | None
    related: tuple[str, ...]  # pinned related articles, by slug or file name
    related_hidden: bool  # `related: false`
    cta: Mapping[str, Mapping[str, str]]  # the blocks under the article, with their texts
    redirect_from: tuple[str, ...]
    reading_minutes: int  # `readtime:` when written, else counted from the text
    body: str
    body_line: int
    meta: Mapping[str, Any] = field(repr=False)  # the merged front matter, read-only
    own: Mapping[str, Any] = field(repr=False)  # the front matter as written in the file, before .meta.yml
    source: str = field(default="", repr=False)  # the front-matter YAML text, as parsed

    def unpublished(self, now: dt.datetime, future_is_draft: bool) -> bool:
        """Whether a published build leaves this article out at *now* (aware): a draft, or not yet due."""
        return self.draft or (future_is_draft and self.created > now)

    def names(self) -> tuple[str, ...]:
        """What a ``related:`` pin may call this article: its slug, its file and its file name."""
        return self.slug, self.src_uri, posixpath.basename(self.src_uri)


@dataclass(frozen=True)
class Catalogue:
    """The articles of one hub, with everything wrong with them."""

    layout: Layout
    articles: tuple[Article, ...]  # the valid ones, by path
    fronts: tuple[FrontMatter, ...]  # every article's merged front matter, valid or not
    defaults: tuple[FrontMatter, ...]  # the .meta.yml files that were read, outermost first
    authors: Mapping[str, Author]
    problems: tuple[Problem, ...]  # errors: the build stops
    warnings: tuple[Problem, ...]  # warnings: `--strict` stops
    _by_uri: Mapping[str, Article] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_uri", MappingProxyType({article.src_uri: article
                                                              for article in self.articles}))

    def get(self, src_uri: str) -> Article | None:
        """The article at *src_uri*, if it is valid."""
        return self._by_uri.get(src_uri)

    def by_name(self, name: str) -> Article | None:
        """The article a ``related:`` value names (slug, file or file name)."""
        name = name.strip().lstrip("/")
        return next((article for article in self.articles if name in article.names()), None)

    def published(self, now: dt.datetime) -> tuple[Article, ...]:
        """The articles a published build shows at *now*."""
        return tuple(article for article in self.articles
                     if not article.unpublished(now, self.layout.future_is_draft))

    def newest_date(self, now: dt.datetime) -> dt.datetime | None:
        """The newest publication or update moment among the articles published at *now* (aware)."""
        moments = [moment for article in self.published(now) for moment in (article.created, article.updated)
                   if moment is not None]
        return max((moment for moment in moments if moment <= now), default=None)


# -----------------------------------------------------------------------------
# Loading
# -----------------------------------------------------------------------------

# A read file, by path: its bytes and what they parsed into. `mkdocs serve`
# keeps one for the session, so a save parses only the file that changed.
# The memo keeps a hash of the bytes, not the bytes: a build holds each text once, as parsed.
Memo = dict[str, tuple[bytes, FrontMatter]]


def load(layout: Layout, src_uris: Iterable[str], memo: Memo | None = None,
         read: dict[str, bytes] | None = None) -> Catalogue:
    """Read, merge and validate the articles among *src_uris*, the docs-relative paths of a build's files.

    The ``.meta.yml`` files among them are merged into the articles below them. *read*, if given,
    gets the bytes of every article read, by path.
    """
    remember = memo is not None
    memo = {} if memo is None else memo
    uris = sources(layout, src_uris)
    authors, problems = read_authors(layout)
    context = frontmatter.Context(categories=frozenset(layout.categories), authors=frozenset(authors))
    meta_files = [uri for uri in uris if not layout.is_article(uri)]
    defaults, default_problems, default_warnings = _read_defaults(layout, meta_files, context, memo)
    problems += default_problems
    articles = sorted(uri for uri in uris if layout.is_article(uri))
    warnings: list[Problem] = list(default_warnings)
    fronts, records = [], []
    for uri in articles:
        front, found, unknown, record = _checked(layout, uri, _read(layout, uri, memo, read), defaults, context,
                                                 remember)
        fronts.append(front)
        problems += found
        warnings += unknown
        if record is not None:
            records.append(record)
    problems += frontmatter.duplicate_slugs(fronts) + frontmatter.redirect_conflicts(fronts)
    problems += _unknown_pins(records, {front.path: front for front in fronts})
    articles = records
    return Catalogue(layout=layout, articles=tuple(articles), fronts=tuple(fronts),
                     defaults=tuple(meta for _, meta in defaults),
                     authors=MappingProxyType(authors), problems=tuple(sorted(set(problems))),
                     warnings=tuple(sorted(set(warnings))))


def sources(layout: Layout, src_uris: Iterable[str]) -> frozenset[str]:
    """The files among *src_uris* the catalogue reads: the articles and the ``.meta.yml`` files."""
    return frozenset(uri for uri in src_uris if layout.is_article(uri)
                     or (layout.meta_file and posixpath.basename(uri) == layout.meta_file))


def docs_uris(layout: Layout) -> list[str]:
    """Every file in the docs folder, for the tools that run without a build (``make check``, ``make new``).

    Hidden folders are left out, as MkDocs leaves them out; a ``.meta.yml`` is kept.
    """
    found = []
    for path in layout.docs.rglob("*"):
        parts = path.relative_to(layout.docs).parts
        if path.is_file() and not any(part.startswith(".") for part in parts[:-1]):
            found.append("/".join(parts))
    return sorted(found)


def _read(layout: Layout, src_uri: str, memo: Memo, read: dict[str, bytes] | None = None) -> FrontMatter:
    path = layout.docs / src_uri
    raw = path.read_bytes()
    if read is not None:
        read[str(path)] = raw
    remembered, hashed = memo.get(str(path)), _hash(raw)
    if remembered is None or remembered[0] != hashed:
        remembered = memo[str(path)] = (hashed, frontmatter.read(layout.shown(src_uri), raw))
    return remembered[1]


def _hash(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _read_defaults(layout: Layout, meta_files: list[str], context: frontmatter.Context,
                   memo: Memo) -> tuple[list[tuple[str, FrontMatter]], list[Problem], list[Problem]]:
    """The ``.meta.yml`` files, outermost first, as the meta plugin applies them, each checked on its own.

    A file with errors is reported where they are written and not merged, so
    its mistakes are not reported again in every article below it.
    """
    found, problems, warnings = [], [], []
    for uri in sorted(meta_files, key=lambda uri: (uri.count("/"), uri)):
        path = layout.docs / uri
        raw = path.read_bytes()
        remembered, hashed = memo.get(str(path)), _hash(raw)
        if remembered is None or remembered[0] != hashed:
            remembered = memo[str(path)] = (hashed, frontmatter.read_yaml_file(layout.shown(uri), raw))
        defaults = remembered[1]
        errors = frontmatter.validate(defaults, context, complete=False)
        problems += errors
        warnings += frontmatter.unknown_keys(defaults)
        if not errors:
            found.append((uri, defaults))
    return found, problems, warnings


# What each article's check gave, by path, with what it was made from. The memo hands an unchanged file's
# parse (and an unchanged .meta.yml's) back as the same object, so in `mkdocs serve` an article whose parse
# and folder defaults are the very objects of the last build is merged, checked and recorded as it was then.
_CHECKED: dict[str, tuple[tuple[Any, ...], tuple[FrontMatter, list[Problem], list[Problem], Any]]] = {}


def _checked(layout: Layout, uri: str, own: FrontMatter, defaults: list[tuple[str, FrontMatter]],
             context: frontmatter.Context, remember: bool) -> tuple[FrontMatter, list[Problem], list[Problem], Any]:
    """An article's merged front matter, its problems, its unknown keys, and its record if it has no problems."""
    sources = (own, *(meta for _, meta in defaults), context, layout)
    remembered = _CHECKED.get(uri) if remember else None
    if remembered is not None and len(remembered[0]) == len(sources) and all(
            old is new or (old == new and isinstance(new, (Layout, frontmatter.Context)))
            for old, new in zip(remembered[0], sources)):
        return remembered[1]
    front = _merged(own, uri, defaults)
    found = frontmatter.validate(front, context) + frontmatter.placeholders(front)
    result = (front, found, frontmatter.unknown_keys(front), None if found else _record(front, own, uri, layout))
    if remember:
        _CHECKED[uri] = (sources, result)
    return result


def _merged(front: FrontMatter, src_uri: str, defaults: list[tuple[str, FrontMatter]]) -> FrontMatter:
    """*front* with the ``.meta.yml`` values of its folders under it, as Material's meta plugin merges them."""
    # The meta plugin's own rule, a prefix of the path, so the two always agree.
    applying = [meta for uri, meta in defaults if src_uri.startswith(posixpath.dirname(uri))]
    if not applying or front.unreadable:
        return front
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    lines: dict[str, int] = {}
    for meta in applying:
        try:
            mergedeep.merge(merged, _copy(meta.meta), strategy=_MERGE)
        except TypeError as error:
            return _clash(front, meta, error)
        for key in meta.meta:
            origins[key], lines[key] = meta.path, meta.line(key)
    for key in front.meta:
        origins.pop(key, None)
        lines[key] = front.line(key)
    try:
        mergedeep.merge(merged, _copy(front.meta), strategy=_MERGE)
    except TypeError as error:
        return _clash(front, applying[-1], error)
    return FrontMatter(path=front.path, meta=merged, lines=lines, problems=list(front.problems), body=front.body,
                       body_line=front.body_line, source=front.source, origins=origins)


def _clash(front: FrontMatter, meta: FrontMatter, error: TypeError) -> FrontMatter:
    key = next((key for key in front.meta if key in meta.meta and type(front.meta[key]) is not type(meta.meta[key])),
               "")
    clash = FrontMatter(path=front.path, meta=dict(front.meta), lines=dict(front.lines), body=front.body,
                        body_line=front.body_line, source=front.source)
    clash.problems = [*front.problems, Problem(front.path, front.line(key), key,
                                               say("site.type_clash", other=meta.path, line=meta.line(key)))]
    return clash


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return [_copy(item) for item in value] if isinstance(value, list) else value


def _record(front: FrontMatter, own: FrontMatter, src_uri: str, layout: Layout) -> Article:
    """The typed record of a validated front matter."""
    meta = front.meta
    date = meta["date"]
    created = moment(date.get("created") if isinstance(date, Mapping) else date)
    updated = moment(date["updated"]) if isinstance(date, Mapping) and "updated" in date else None
    related = meta.get("related")
    readtime = meta.get("readtime")
    return Article(
        path=front.path, src_uri=src_uri, title=meta["title"], description=meta["description"],
        created=created, updated=updated, slug=frontmatter.effective_slug(front), slug_pinned="slug" in meta,
        authors=tuple(meta.get("authors") or ()), categories=tuple(meta.get("categories") or ()),
        tags=tuple(meta.get("tags") or ()), draft=meta.get("draft") is True, pin=meta.get("pin") is True,
        image=meta.get("image"), image_alt=meta.get("image_alt"),
        related=tuple(related) if isinstance(related, list) else (), related_hidden=related is False,
        cta=_freeze(cta.blocks(meta.get("cta"))), redirect_from=tuple(meta.get("redirect_from") or ()),
        reading_minutes=readtime if isinstance(readtime, int) else reading_minutes(front.body, layout),
        body=front.body, body_line=front.body_line, meta=_freeze(meta), own=_freeze(own.meta), source=front.source,
    )


def moment(value: Any) -> dt.datetime:
    """The moment a front-matter date means: a bare date at PUBLISHING_TIME in Norway, a time as written."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, PUBLISHING_TIME)
    return value if value.tzinfo else value.replace(tzinfo=ZONE)


def reading_minutes(body: str, layout: Layout) -> int:
    """Minutes to read an article's text: its words at the blog's reading speed, plus time for images.

    The byline, the listings and ``make check`` all show this one figure.
    """
    return _reading_minutes(body, layout.words_per_minute)


# A preview's rebuilds read the same texts again (the memo gives them the same strings): counted once.
@functools.lru_cache(maxsize=8192)
def _reading_minutes(body: str, words_per_minute: int) -> int:
    words = sum(len(text.all_words(block)) for block in text.prose_blocks(body))
    seconds = math.ceil(words / words_per_minute * 60)
    # As Material counts them: 12 s for the first image, a second less for each next, at least 3 s.
    seconds += sum(max(3, 12 - index) for index in range(text.image_count(body)))
    return max(1, math.ceil(seconds / 60))


def _unknown_pins(articles: list[Article], fronts: Mapping[str, FrontMatter]) -> list[Problem]:
    """A ``related:`` pin must name an article that exists."""
    names = {name for article in articles for name in article.names()}
    return [fronts[article.path].problem("related", say("site.unknown_pin", pin=repr(pin)))
            for article in articles for pin in article.related if pin.strip().lstrip("/") not in names]


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    return tuple(_freeze(item) for item in value) if isinstance(value, list) else value


def thaw(value: Any) -> Any:
    """A plain, mutable copy of a frozen value: dicts and lists, as YAML makes them."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    return [thaw(item) for item in value] if isinstance(value, tuple) else value


# -----------------------------------------------------------------------------
# Authors
# -----------------------------------------------------------------------------


def read_authors(layout: Layout) -> tuple[dict[str, Author], list[Problem]]:
    """The authors in ``.authors.yml``, each with the name, role and avatar an author page shows."""
    path = layout.docs / layout.authors_file
    shown = layout.shown(layout.authors_file)
    if not path.is_file():
        return {}, []
    front = frontmatter.read_yaml_file(shown, path.read_bytes())
    if front.problems:
        return {}, list(front.problems)
    entries = front.meta.get("authors")
    if not isinstance(entries, dict):
        return {}, [front.problem("authors", say("authors.not_mapping"))]
    node = _authors_node(front.source)
    authors, problems = {}, []
    for key, entry in entries.items():
        line = node.get(str(key), front.line("authors"))
        if not isinstance(entry, dict):
            problems.append(Problem(shown, line, f"authors.{key}", say("authors.entry", value=repr(entry))))
            continue
        missing = [name for name in ("name", "description", "avatar") if not str(entry.get(name) or "").strip()]
        if missing:
            problems.append(Problem(shown, line, f"authors.{key}.{missing[0]}", say("authors.missing")))
            continue
        authors[str(key)] = Author(str(key), str(entry["name"]), str(entry["description"]), str(entry["avatar"]))
    return authors, problems


def _authors_node(source: str) -> dict[str, int]:
    """The line of each author id in ``.authors.yml``."""
    node = yaml.compose(source, Loader=_LOADER)
    for key, value in node.value if isinstance(node, yaml.MappingNode) else ():
        if key.value == "authors" and isinstance(value, yaml.MappingNode):
            return {str(item.value): item.start_mark.line + 1 for item, _ in value.value}
    return {}
