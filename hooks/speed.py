"""Build speed at 1,000+ articles: remove repeated work inside Material's blog plugin, output unchanged.

Two costs grow with the number of articles (cProfile of a 1,000-article build):

* Every listing (index pages, archive, categories, authors) converts each
  post's *whole* Markdown again, then cuts the HTML at ``<!-- more -->``.
  Here an excerpt converts only the text before the separator, plus the
  reference-link and abbreviation definitions from the rest, which is all the
  excerpt's HTML can depend on. A post with footnotes, or a blog that puts
  excerpt headings into the table of contents, keeps the original path.
* ``page in blog.posts`` is asked for every page and compares pages one by
  one, so the comparisons grow with pages × posts. The list is replaced by
  one whose membership test is a set lookup on object identity (the blog
  plugin's posts are unique objects; equality and identity agree).

What does not change between builds is not converted again. Every page's
Markdown (MkDocs' ``Page.render``) and every listing excerpt is kept in a
persistent cache (``.cache/markdown.sqlite3``, hub/mdcache.py), keyed by the
Markdown text, the page's address, the Markdown settings and the versions of
the converting code, and checked against the links it resolved (another
article renamed: convert again). Warnings the conversion logged are logged
again on a hit, so `--strict` fails exactly as without the cache.
HUB_MARKDOWN_CACHE=off switches it off.

Within one build an excerpt is shown on several listings (index pages,
archive, categories), and its HTML differs between them only in the links
that two tree processors make relative to the listing. Each excerpt is now
parsed once per build; every listing runs only those last tree processors,
the serializer and the postprocessors on a copy of the parsed tree.

Material renders the whole navigation for every page, though it differs only
where the page sits in it. Here the navigation is rendered once for each
distinct state: which items are active, and the relative address of every
item from the page. Pages that are themselves in the navigation (their table
of contents is drawn inside it) are rendered as before.

Front matter is parsed once per build, and in a preview once per saved
file, by hooks/articles.py, which hands Material's blog the same parse.

A last one is for the local preview of a large hub. `make serve` starts
`mkdocs serve --dirty` once the hub has more than PREVIEW_FULL_REBUILD_LIMIT
articles, so a save re-renders the saved page; Material still regenerates
every listing page on each rebuild, so here listing pages that already exist
in the preview are kept as they are. Listings, related links and feeds catch
up at the next full build (`make build`, or restarting `make serve`). A small
hub is served without --dirty and shows everything live.

All of this reaches into Material's internals, so it is pinned: on any Material
other than PINNED_MATERIAL this hook does nothing and says so, and
tests/test_speed.py fails loudly; the same goes for MkDocs' ``Page.render``
(PINNED_MKDOCS). tests/test_speed.py also builds the same site with and
without this hook, cold and warm, and compares every page byte for byte.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
from collections.abc import Iterator
from importlib.metadata import version
from typing import Any

import material
import mkdocs
from material.plugins.blog.structure import Excerpt
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import get_toc
from mkdocs.utils import normalize_url

from hub import mdcache, site

log = logging.getLogger("mkdocs.hooks.speed")

PINNED_MATERIAL = "9.8.2"
PINNED_MKDOCS = "1.6.1"

# Above this many articles the preview keeps existing listing pages on a save
# (see above); HUB_PREVIEW_FULL_REBUILD_LIMIT overrides it (the tests use 1).
PREVIEW_FULL_REBUILD_LIMIT = int(os.environ.get("HUB_PREVIEW_FULL_REBUILD_LIMIT", "200"))

# Lines in the rest of a post that change how the excerpt renders.
_DEFINITION = re.compile(r"^ {0,3}(\[[^\]^][^\]]*\]:\s*\S|\*\[[^\]]+\]:)")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")

_ORIGINAL_RENDER = Excerpt.render
_ORIGINAL_PAGE_RENDER = mkdocs_pages.Page.render

# This build's Markdown cache and settings fingerprint; replaced in every on_config.
_cache: mdcache.MarkdownCache | None = None
_fingerprint = ""
# This build's parsed excerpts, by the excerpt's Markdown instance: (source, tree before the link processors).
_parsed: dict[int, tuple[str, Any]] = {}
# The tree processors that make an excerpt's links relative to the listing showing it (Material's names).
_LISTING_PROCESSORS = ("excerpt", "relpath")


class PostList(list):
    """Material's list of posts with constant-time ``in``: asked once for every page of the site."""

    def __init__(self, posts: list[Any]) -> None:
        super().__init__(posts)
        self._ids = frozenset(map(id, posts))

    def __contains__(self, item: object) -> bool:
        return id(item) in self._ids


def _render_excerpt(self: Excerpt, page: Any, separator: str) -> None:
    """Convert only what an excerpt shows: the text before the separator, and the definitions it may use."""
    markdown = self.post.markdown
    if _FOOTNOTE.search(markdown):
        # Material never resets an excerpt's Markdown, so footnote ids count up from listing to listing
        # (fnref:1, fnref2:1 …): such output depends on every earlier render, and is left to Material.
        return _ORIGINAL_RENDER(self, page, separator)
    head, found, tail = markdown.partition(separator)
    if not found:
        return _cached_excerpt_render(self, page, separator)
    definitions = "\n".join(line for line in tail.splitlines() if _DEFINITION.match(line))
    self.post.markdown = f"{head}{separator}\n\n{definitions}\n"
    try:
        _cached_excerpt_render(self, page, separator)
    finally:
        self.post.markdown = markdown
    # The excerpt is cut at the separator either way; «more» only tells the
    # listing to link to the whole post, which it must still do.
    self.more = self.more or "\n"


# -----------------------------------------------------------------------------
# The Markdown cache
# -----------------------------------------------------------------------------


def _describe(file: File | None) -> tuple[str, str, bool] | None:
    """What a link lookup answered, as far as the converted HTML and its warnings can tell."""
    return None if file is None else (file.src_uri, file.url, file.inclusion.is_excluded())


def _toc_tokens(links: Any) -> list[dict[str, Any]]:
    return [{"name": link.title, "id": link.id, "level": link.level, "children": _toc_tokens(link.children)}
            for link in links]


class _Captured(logging.Handler):
    """Collects what a conversion logs, to log it again when the result comes from the cache."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, int, str]] = []
        self._seen: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if id(record) not in self._seen:
            self._seen.add(id(record))
            self.records.append((record.name, record.levelno, record.getMessage()))


@contextlib.contextmanager
def _captured_logs() -> Iterator[list[tuple[str, int, str]]]:
    handler = _Captured()
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]  # `mkdocs` does not propagate to the root
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


def _replay(records: list[tuple[str, int, str]]) -> None:
    for name, level, message in records:
        logging.getLogger(name).log(level, message)


def _key(kind: str, *parts: str) -> str:
    level = str(logging.getLogger("mkdocs").getEffectiveLevel())
    return mdcache.digest(kind, _fingerprint, level, *parts)


def _cached_page_render(self: mkdocs_pages.Page, config: MkDocsConfig, files: Files) -> None:
    """MkDocs' Page.render, from the cache when the same Markdown was converted with the same links before."""
    if _cache is None or self.markdown is None:
        return _ORIGINAL_PAGE_RENDER(self, config, files)
    key = _key("page", self.markdown, self.file.src_uri, self.file.url, str(self.file.inclusion))
    hit = _cache.get(key, lambda path: _describe(files.get_file_from_path(path)))
    if hit is not None:
        self.content, self.toc = hit["content"], get_toc(hit["toc"])
        self._title_from_render, self.present_anchor_ids = hit["title"], set(hit["anchors"])
        if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = {self.file if src == self.file.src_uri else files.get_file_from_path(src): anchors
                                     for src, anchors in hit["links"].items()}
        _replay(hit["logs"])
        return None
    recorder = mdcache.Recorder(files, _describe)
    with _captured_logs() as records:
        _ORIGINAL_PAGE_RENDER(self, config, recorder)  # type: ignore[arg-type]
    links = {file.src_uri: anchors for file, anchors in (getattr(self, "links_to_anchors", None) or {}).items()}
    _cache.put(key, {"content": self.content, "toc": _toc_tokens(self.toc), "title": self._title_from_render,
                     "anchors": sorted(self.present_anchor_ids), "links": links, "logs": records},
               recorder.dependencies)
    return None


def _render_excerpt_once_parsed(self: Excerpt, page: Any, separator: str) -> None:
    """Material 9.8.2's Excerpt.render, line for line, but converting with :func:`_convert_for_listing`."""
    self.file.url = page.url
    at = self.md.treeprocessors.get_index_for_name("excerpt")
    processor = self.md.treeprocessors[at]
    processor.base = page
    self.markdown = self.post.markdown
    if not self.post._title_from_render:
        self.markdown = "\n\n".join([f"# {self.post.title}", self.markdown])
    self.content = _convert_for_listing(self.md, self.markdown)
    self.content, *more = self.content.split(separator, 1)
    if more:
        self.more = more[0]
    self.toc = get_toc(getattr(self.md, "toc_tokens", []))
    self.file.url = self.post.url


def _convert_for_listing(md: Any, source: str) -> str:
    """Markdown 3.11's ``Markdown.convert``, with everything before the listing's link processors done once."""
    if not source.strip():
        return ""
    processors = list(md.treeprocessors)
    split = min(md.treeprocessors.get_index_for_name(name) for name in _LISTING_PROCESSORS)
    parsed = _parsed.get(id(md))
    if parsed is None or parsed[0] != source:
        md.lines = source.split("\n")
        for preprocessor in md.preprocessors:
            md.lines = preprocessor.run(md.lines)
        root = md.parser.parseDocument(md.lines).getroot()
        for treeprocessor in processors[:split]:
            root = treeprocessor.run(root) or root
        parsed = _parsed[id(md)] = (source, root)
    root = copy.deepcopy(parsed[1])
    for treeprocessor in processors[split:]:
        root = treeprocessor.run(root) or root
    output = md.serializer(root)
    if md.stripTopLevelTags:
        try:
            start = output.index(f"<{md.doc_tag}>") + len(md.doc_tag) + 2
            output = output[start:output.rindex(f"</{md.doc_tag}>")].strip()
        except ValueError:
            if not output.strip().endswith(f"<{md.doc_tag} />"):
                raise
            output = ""
    for postprocessor in md.postprocessors:
        output = postprocessor.run(output)
    return output.strip()


def _cached_excerpt_render(self: Excerpt, page: Any, separator: str) -> None:
    """Material's Excerpt.render, from the cache for the same excerpt on the same listing page."""
    if _cache is None:
        return _render_excerpt_once_parsed(self, page, separator)
    post = self.post
    key = _key("excerpt", post.markdown, post.title, str(bool(post._title_from_render)), post.url, page.url,
               separator, self.file.src_uri, str(self.file.inclusion))
    relpath = self.md.treeprocessors["relpath"]
    files = relpath.files
    hit = _cache.get(key, lambda path: _describe(files.get_file_from_path(path)))
    if hit is not None:
        self.markdown = post.markdown if post._title_from_render else f"# {post.title}\n\n{post.markdown}"
        self.content, self.toc = hit["content"], get_toc(hit["toc"])
        if hit["more"] is not None:
            self.more = hit["more"]
        _replay(hit["logs"])
        return None
    recorder = relpath.files = mdcache.Recorder(files, _describe)
    more_before, self.more = self.more, None
    try:
        with _captured_logs() as records:
            _render_excerpt_once_parsed(self, page, separator)
    finally:
        relpath.files = files
    more = self.more
    if more is None:
        self.more = more_before
    _cache.put(key, {"content": self.content, "toc": _toc_tokens(self.toc), "more": more, "logs": records},
               recorder.dependencies)
    return None


# -----------------------------------------------------------------------------
# The navigation, once per distinct state
# -----------------------------------------------------------------------------


def _nav_items(items: list[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _nav_items(getattr(item, "children", None) or [])


def _nav_key(context: Any) -> tuple[Any, ...] | None:
    """Everything partials/nav.html reads that changes from page to page; None where it reads more."""
    page, nav = context.get("page"), context.get("nav")
    if page is None or nav is None:
        return None
    items = list(_nav_items(nav.items))
    if any(item is page or page in (getattr(item, "pages", None) or ()) for item in items):
        return None  # the page's own table of contents is drawn inside the navigation
    base = context.get("base_url")
    config = context.get("config")
    homepage = config.extra.get("homepage") or (nav.homepage.url if nav.homepage else "")
    urls = [getattr(item, "url", None) for item in items] + [homepage, config.theme.get("logo") or ""]
    return (tuple(bool(item.active) for item in items),
            tuple(None if url is None else normalize_url(str(url), page=page, base=base) for url in urls))


def _cache_navigation(env: Any) -> None:
    template = env.get_template("partials/nav.html")
    render = template.root_render_func
    rendered: dict[tuple[Any, ...], str] = {}  # lives as long as this environment: one build

    def root_render_func(context: Any) -> Iterator[str]:
        key = _nav_key(context)
        if key is None:
            yield from render(context)
            return
        if key not in rendered:
            rendered[key] = "".join(render(context))
        yield rendered[key]

    template.root_render_func = root_render_func


class _SessionBytecode(BytecodeCache):
    """Compiled templates kept for the `mkdocs serve` session; Jinja checks each template's source checksum."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_bytecode = _SessionBytecode()


def on_env(env: Any, config: MkDocsConfig, files: Files) -> Any:
    """Render the navigation once per distinct state; in a preview, compile each template once per session."""
    if material.__version__ == PINNED_MATERIAL and mkdocs.__version__ == PINNED_MKDOCS:
        _cache_navigation(env)
    if _command == "serve":
        env.bytecode_cache = _bytecode  # every rebuild makes a new environment with the same settings
    return env


def _open_cache(config: MkDocsConfig) -> mdcache.MarkdownCache | None:
    if os.environ.get("HUB_MARKDOWN_CACHE", "on").lower() in {"off", "0", "no", "false"}:
        return None
    root = mdcache.cache_root(os.path.dirname(config.config_file_path))
    return mdcache.MarkdownCache(root / "markdown.sqlite3")


def _settings_fingerprint(config: MkDocsConfig) -> str:
    versions = [version(name) for name in ("mkdocs", "markdown", "pymdown-extensions", "mkdocs-material")]
    return mdcache.digest(str(mdcache.FORMAT), *versions, mdcache.stable(config.markdown_extensions),
                          mdcache.stable(config.mdx_configs), mdcache.stable(config.validation),
                          str(config.use_directory_urls), mdcache.stable(_cached_page_render),
                          mdcache.stable(_cached_excerpt_render), mdcache.stable(_render_excerpt),
                          mdcache.stable(_render_excerpt_once_parsed), mdcache.stable(_convert_for_listing))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Switch the speed-ups on, when Material and MkDocs are the versions they were written for."""
    global _cache
    Excerpt.render = _ORIGINAL_RENDER
    mkdocs_pages.Page.render = _ORIGINAL_PAGE_RENDER
    _parsed.clear()
    if _cache is not None:
        _cache.close()
        _cache = None
    if material.__version__ != PINNED_MATERIAL or mkdocs.__version__ != PINNED_MKDOCS:
        log.info("speed-ups off: written for mkdocs-material %s and mkdocs %s, found %s and %s", PINNED_MATERIAL,
                 PINNED_MKDOCS, material.__version__, mkdocs.__version__)
        return config
    if not _excerpts_in_toc(site.blog(config).config):
        Excerpt.render = _render_excerpt
    _cache = _open_cache(config)
    if _cache is not None:
        mkdocs_pages.Page.render = _cached_page_render
    return config


# Last: every hook and plugin has had its say about the Markdown settings.
@event_priority(-100)
def on_pre_build(config: MkDocsConfig) -> None:
    global _fingerprint
    _fingerprint = _settings_fingerprint(config)


@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """Keep only what this build used (a --dirty preview renders a few pages, so it keeps everything)."""
    global _cache
    _parsed.clear()
    if _cache is None:
        return
    removed = 0 if _dirty_serve else _cache.prune()
    log.debug("markdown cache: %d hits, %d conversions, %d entries dropped", _cache.hits, _cache.misses, removed)
    _cache.close()
    _cache = None


def on_build_error(error: Exception) -> None:
    global _cache
    if _cache is not None:
        _cache.close()
        _cache = None


_dirty_serve = False
_command = "build"


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this is a preview, and `mkdocs serve --dirty`, the large-hub preview."""
    global _dirty_serve, _command
    _command = command
    _dirty_serve = command == "serve" and dirty


# Run after the blog plugin (-50) has made its list of posts and listing views.
@event_priority(-55)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Give the blog's list of posts a constant-time membership test; in a large preview, keep listings."""
    if material.__version__ != PINNED_MATERIAL:
        return files
    blog = site.blog(config)
    blog.blog.posts = PostList(blog.blog.posts)
    if _dirty_serve and len(blog.blog.posts) > PREVIEW_FULL_REBUILD_LIMIT:
        for view in _views(blog.blog):
            for page in view.pages or [view]:
                _keep_if_built(page.file)
    return files


def _views(view: Any) -> list[Any]:
    found = [view]
    for child in view.views:
        found += _views(child)
    return found


def _keep_if_built(file: Any) -> None:
    # Material writes its listing sources anew on every build, so MkDocs would
    # always think them modified; one that is already in the preview is kept.
    if os.path.isfile(file.abs_dest_path):
        file.is_modified = lambda: False


def _excerpts_in_toc(blog_config: Any) -> bool:
    """Listings that copy excerpt headings into their table of contents need the whole post."""
    return any(blog_config.get(key) for key in
               ("blog_toc", "archive_toc", "categories_toc", "authors_profiles_toc"))
