"""Listing excerpts: converted from the text before the separator, parsed once per build, cached across builds.

Material 9.8.2's ``Excerpt.render`` (material/plugins/blog/structure/__init__.py:205,
pinned in :data:`.pins.EXCERPT`) converts each post's *whole* Markdown for
every listing that shows it, then cuts the HTML at ``<!-- more -->``.

* Only the text before the separator is converted, plus the reference-link and
  abbreviation definitions from the rest, which is all the excerpt's HTML can
  depend on. A post with footnotes keeps Material's path (its footnote ids count
  up from listing to listing), and so does a blog that copies excerpt headings
  into its listings' table of contents.
* Within one build an excerpt's HTML differs between listings only in the links
  that two tree processors make relative to the listing, so each excerpt is
  parsed once and every listing runs only those processors, the serializer and
  the postprocessors on a copy of the tree (:func:`convert_for_listing`, which
  follows Markdown 3.11's ``Markdown.convert``, pinned in :data:`.pins.MARKDOWN_CONVERT`).
* Each excerpt on each listing is kept in the persistent cache, like a page.
* Material makes a Markdown parser for every post's excerpt when the post is
  read (``Excerpt.__init__``, :150, pinned in :data:`.pins.EXCERPT_INIT`): a
  few milliseconds and some 50 KB each. Here it is made when an excerpt is
  first converted, so a build whose excerpts all come from the cache makes none.
"""

from __future__ import annotations

import copy
import re
from typing import Any



from markdown import Markdown
from material.plugins.blog import structure
from material.plugins.blog.structure import Excerpt
from material.plugins.blog.structure.markdown import ExcerptTreeprocessor
from mkdocs.structure.pages import _RelativePathTreeprocessor
from mkdocs.structure.toc import get_toc

from . import logs, pages
from .cache import Recorder

ORIGINAL = Excerpt.render
ORIGINAL_INIT = Excerpt.__init__

# Lines in the rest of a post that change how the excerpt renders.
DEFINITION = re.compile(r"^ {0,3}(\[[^\]^][^\]]*\]:\s*\S|\*\[[^\]]+\]:)")
FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
# The tree processors that make an excerpt's links relative to the listing showing it (Material's names).
LISTING_PROCESSORS = ("excerpt", "relpath")

# This build's parsed excerpts, by the excerpt's Markdown instance: (source, tree before the link processors).
parsed: dict[int, tuple[str, Any]] = {}
# How many listings will still show each post (by id): its parsed tree is dropped after the last one.
# A wrong count costs a parse, never a wrong page.
showings: dict[int, int] = {}


def count_showings(views: list[Any]) -> None:
    """Count, for every post, the listings (views) that show it; each shows it on one of its pages."""
    showings.clear()
    for view in views:
        for post in view.posts:
            showings[id(post)] = showings.get(id(post), 0) + 1


def init(self: Excerpt, post: Any, config: Any, files: Any) -> None:
    """Material 9.8.2's Excerpt.__init__, line for line, but the Markdown parser is left to :func:`parser`."""
    self.file = copy.copy(post.file)
    self.post = post
    self._set_canonical_url(config.site_url)
    self.config = post.config
    self.meta = post.meta
    self.authors = []
    self.categories = []
    self.more = None
    self._hub_speed_setup = (config, files)


def parser(self: Excerpt) -> Any:
    """The excerpt's Markdown parser, made on first use exactly as Material's __init__ makes it."""
    md = self.__dict__.get("_hub_speed_md")
    if md is None:
        config, files = self._hub_speed_setup
        config = structure._patch(config)
        md = Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
        md.treeprocessors.register(ExcerptTreeprocessor(self.post), "excerpt", 0)
        md.treeprocessors.register(_RelativePathTreeprocessor(self.file, files, config), "relpath", 1)
        self.__dict__["_hub_speed_md"] = md
    return md


def _set_parser(self: Excerpt, md: Any) -> None:
    self.__dict__["_hub_speed_md"] = md


def render(self: Excerpt, page: Any, separator: str) -> None:
    """Convert only what an excerpt shows: the text before the separator, and the definitions it may use."""
    markdown = self.post.markdown
    if FOOTNOTE.search(markdown):
        return ORIGINAL(self, page, separator)
    head, found, tail = markdown.partition(separator)
    if not found:
        return cached_render(self, page, separator)
    definitions = "\n".join(line for line in tail.splitlines() if DEFINITION.match(line))
    self.post.markdown = f"{head}{separator}\n\n{definitions}\n"
    try:
        cached_render(self, page, separator)
    finally:
        self.post.markdown = markdown
    # The excerpt is cut at the separator either way; «more» only tells the
    # listing to link to the whole post, which it must still do.
    self.more = self.more or "\n"


def render_once_parsed(self: Excerpt, page: Any, separator: str) -> None:
    """Material 9.8.2's Excerpt.render, line for line, but converting with :func:`convert_for_listing`."""
    self.file.url = page.url
    at = self.md.treeprocessors.get_index_for_name("excerpt")
    processor = self.md.treeprocessors[at]
    processor.base = page
    self.markdown = self.post.markdown
    if not self.post._title_from_render:
        self.markdown = "\n\n".join([f"# {self.post.title}", self.markdown])
    self.content = convert_for_listing(self.md, self.markdown)
    left = showings.get(id(self.post), 0) - 1
    showings[id(self.post)] = left
    if left <= 0:
        parsed.pop(id(self.md), None)  # shown on its last listing
    self.content, *more = self.content.split(separator, 1)
    if more:
        self.more = more[0]
    self.toc = get_toc(getattr(self.md, "toc_tokens", []))
    self.file.url = self.post.url


def convert_for_listing(md: Any, source: str) -> str:
    """Markdown 3.11's ``Markdown.convert``, with everything before the listing's link processors done once."""
    if not source.strip():
        return ""
    processors = list(md.treeprocessors)
    split = min(md.treeprocessors.get_index_for_name(name) for name in LISTING_PROCESSORS)
    known = parsed.get(id(md))
    if known is None or known[0] != source:
        md.lines = source.split("\n")
        for preprocessor in md.preprocessors:
            md.lines = preprocessor.run(md.lines)
        root = md.parser.parseDocument(md.lines).getroot()
        for treeprocessor in processors[:split]:
            root = treeprocessor.run(root) or root
        known = parsed[id(md)] = (source, root)
    root = copy.deepcopy(known[1])
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


def cached_render(self: Excerpt, page: Any, separator: str) -> None:
    """Material's Excerpt.render, from the cache for the same excerpt on the same listing page."""
    cache = pages.state.cache
    if cache is None:
        return render_once_parsed(self, page, separator)
    post = self.post
    key = pages.key("excerpt", post.markdown, post.title, str(bool(post._title_from_render)), post.url, page.url,
                    separator, self.file.src_uri, str(self.file.inclusion))
    files = self._hub_speed_setup[1] if "_hub_speed_setup" in self.__dict__ else self.md.treeprocessors[
        "relpath"].files
    hit = cache.get(key, lambda path: pages.describe(files.get_file_from_path(path)))
    if hit is not None:
        self.markdown = post.markdown if post._title_from_render else f"# {post.title}\n\n{post.markdown}"
        self.content, self.toc = hit["content"], get_toc(hit["toc"])
        if hit["more"] is not None:
            self.more = hit["more"]
        logs.replay(hit["logs"])
        return None
    relpath = self.md.treeprocessors["relpath"]
    recorder = relpath.files = Recorder(files, pages.describe)
    more_before, self.more = self.more, None
    try:
        with logs.captured() as records:
            render_once_parsed(self, page, separator)
    finally:
        relpath.files = files
    more = self.more
    if more is None:
        self.more = more_before
    cache.put(key, {"content": self.content, "toc": pages.toc_tokens(self.toc), "more": more, "logs": records},
              recorder.dependencies)
    return None


def excerpts_in_toc(blog_config: Any) -> bool:
    """Listings that copy excerpt headings into their table of contents need the whole post."""
    return any(blog_config.get(key) for key in
               ("blog_toc", "archive_toc", "categories_toc", "authors_profiles_toc"))


def install(whole_excerpts: bool) -> None:
    """Excerpts from the text before the separator, unless listings copy their headings (*whole_excerpts*)."""
    parsed.clear()
    showings.clear()
    Excerpt.render = ORIGINAL if whole_excerpts else render
    Excerpt.__init__ = init
    Excerpt.md = property(parser, _set_parser)


def uninstall() -> None:
    parsed.clear()
    showings.clear()
    Excerpt.render = ORIGINAL
    Excerpt.__init__ = ORIGINAL_INIT
    if isinstance(Excerpt.__dict__.get("md"), property):
        del Excerpt.md
