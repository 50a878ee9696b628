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

A third one is for the local preview of a large hub. `make serve` starts
`mkdocs serve --dirty` once the hub has more than PREVIEW_FULL_REBUILD_LIMIT
articles, so a save re-renders the saved page; Material still regenerates
every listing page on each rebuild, so here listing pages that already exist
in the preview are kept as they are. Listings, related links and feeds catch
up at the next full build (`make build`, or restarting `make serve`). A small
hub is served without --dirty and shows everything live.

All of this reaches into Material's internals, so it is pinned: on any Material
other than PINNED_MATERIAL this hook does nothing and says so, and
tests/test_speed.py fails loudly. tests/test_speed.py also builds the same
site with and without this hook and compares every page byte for byte.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import material
from material.plugins.blog.structure import Excerpt
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files

log = logging.getLogger("mkdocs.hooks.speed")

PINNED_MATERIAL = "9.8.2"

# Above this many articles the preview keeps existing listing pages on a save
# (see above); HUB_PREVIEW_FULL_REBUILD_LIMIT overrides it (the tests use 1).
PREVIEW_FULL_REBUILD_LIMIT = int(os.environ.get("HUB_PREVIEW_FULL_REBUILD_LIMIT", "200"))

# Lines in the rest of a post that change how the excerpt renders.
_DEFINITION = re.compile(r"^ {0,3}(\[[^\]^][^\]]*\]:\s*\S|\*\[[^\]]+\]:)")
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")

_ORIGINAL_RENDER = Excerpt.render


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
    head, found, tail = markdown.partition(separator)
    if not found or _FOOTNOTE.search(markdown):
        return _ORIGINAL_RENDER(self, page, separator)
    definitions = "\n".join(line for line in tail.splitlines() if _DEFINITION.match(line))
    self.post.markdown = f"{head}{separator}\n\n{definitions}\n"
    try:
        _ORIGINAL_RENDER(self, page, separator)
    finally:
        self.post.markdown = markdown
    # The excerpt is cut at the separator either way; «more» only tells the
    # listing to link to the whole post, which it must still do.
    self.more = self.more or "\n"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Switch the excerpt speed-up on, when Material is the version it was written for."""
    Excerpt.render = _ORIGINAL_RENDER
    if material.__version__ != PINNED_MATERIAL:
        log.info("speed-ups off: written for mkdocs-material %s, found %s", PINNED_MATERIAL, material.__version__)
        return config
    blog = config.plugins.get("material/blog")
    if blog is not None and not _excerpts_in_toc(blog.config):
        Excerpt.render = _render_excerpt
    return config


_dirty_serve = False


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this is `mkdocs serve --dirty`, the large-hub preview."""
    global _dirty_serve
    _dirty_serve = command == "serve" and dirty


# Run after the blog plugin (-50) has made its list of posts and listing views.
@event_priority(-55)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Give the blog's list of posts a constant-time membership test; in a large preview, keep listings."""
    blog = config.plugins.get("material/blog")
    if blog is None or material.__version__ != PINNED_MATERIAL or not hasattr(blog, "blog"):
        return files
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
