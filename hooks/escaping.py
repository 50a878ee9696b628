"""Front-matter values are data: escape them in every output, once, at the depth of the flaw.

Why here, and why this way
--------------------------
MkDocs creates its Jinja environment *without* autoescaping, and Material
prints ``page.meta`` values, tag names and author names raw. A title with
``</script>`` or a description with a ``"`` therefore becomes live markup or
cuts its ``<meta>`` tag short. Adding ``|e`` to some templates would fix the
templates we remember and miss the next one, the theme's included.

So the one mechanism is the environment itself: ``on_env`` switches on
autoescaping for every template, ours and the theme's. Everything printed is
then text unless it is explicitly marked as trusted HTML with ``Markup``.
Only a handful of values are trusted HTML, and we mark them where they are
made:

* the HTML that Markdown renders from article bodies (trusted staff input),
  and the table-of-contents titles Markdown builds from headings;
* the excerpts and the pager the blog plugin renders for listings;
* ``copyright`` and the consent dialog's description from mkdocs.yml.

``Markup`` is never escaped twice, and a plain value is escaped exactly once,
so ``"nei"`` and ``Salg & service`` display as written.

Three outputs do not go through the theme's environment and are fixed at their
own source:

* Material's blog builds each excerpt by pasting ``# {title}`` into Markdown,
  where raw HTML is live, and writes ``# {author name}`` into the Markdown of
  each author page. An article's title is not part of its Markdown: the
  article template prints it as the page's H1, escaped by the environment
  like every other value (so it carries no ¶ permalink, and nothing has to
  cut the rendered page to fit the byline under it). Once the article is
  rendered, its excerpt is given a heading made from the escaped title, so
  Material never pastes the raw one, and generated view headings are replaced
  by escaped ones. The title also heads the page's table of contents, as a
  Markdown H1 would, so the skip link lands on it.
* Material's search plugin builds ``search/search_index.json``, and its search
  UI inserts ``title``, ``text`` and every tag as HTML (its ``h()`` helper
  appends string children with ``innerHTML``). ``SearchIndex.create_entry_for_section``
  copies front matter raw into those fields: every tag, and ``page.meta["title"]``
  (or ``page.title``) as the title of a section without a heading of its own,
  which is the first section of any page that does not open with an H1. The
  other values are already HTML: Material's ``Parser`` escapes the heading and
  body text it takes from the rendered page. So the fix sits where the entry
  is made, the one moment the origin of each string is still known: we give
  the search plugin an index whose entries escape those two front-matter
  values once (and refuse a ``search.boost`` that is not a number). Rewriting
  the JSON afterwards could not tell a raw front-matter title from an escaped
  heading, and would escape one of them twice or the other not at all.
  An article's content has no H1 of its own, so its first entry takes the
  title from front matter, escaped here.
  The same index adds Norwegian forms (``hub/search.py``): hidden fields with
  the ASCII spellings and compound parts of each entry's words. They are made
  from the values above once those are escaped, and hold only runs of letters,
  so they cannot carry markup either.
* mkdocs-rss-plugin prints author and category names raw in its RSS template.
  We point it at ``hooks/templates/rss.xml``, which escapes every value. Its
  JSON feed puts the plain-text description into ``content_html``; we escape
  it there after the plugin has written the file.
  That reaches into the plugin's attributes, so the version is pinned and
  ``tests/test_escaping.py`` fails loudly if they move.

Plain-text JSON (the JSON feeds' titles, names and tags; the tags plugin's
``tags.json``) is text by its format's definition, and honest values stay
byte for byte as written. But "plain text" is what Material's search plugin
believed of tags too, so no JSON string may carry markup for a consumer that
reads it as HTML: a ``<`` that would open a tag or a comment is written as
``&lt;`` there. Only a value with markup in it ever changes (a JSON Feed
reader then shows that ``&lt;``: a cost only hostile values pay).
"""

from __future__ import annotations

import hashlib
import html
import json
from importlib import metadata
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markdown.extensions.toc import slugify, unique
from markupsafe import Markup
from material.plugins.blog.structure import Post, View
from material.plugins.search.plugin import SearchIndex, Section
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents

from hub import filecache, text
from hub import search as norwegian
from hub.text import Stemmer
from hub_speed.cache import MarkdownCache, digest


TEMPLATES = Path(__file__).parent / "templates"

# Characters Markdown would treat as syntax in a heading line.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
# A "<" that opens a tag, an end tag, a comment or a processing instruction in
# HTML's tokenizer; any other "<" is text to an HTML parser.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


# Run after every plugin has set up (rss included), so our feed template wins,
# and after the search plugin (0) has made this build's SearchIndex.
@event_priority(-100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Trust the staff-written HTML in mkdocs.yml; give RSS and search escaping output."""
    _install_search_index(config)
    if config.copyright:
        config.copyright = Markup(config.copyright)
    consent = config.extra.get("consent")
    if isinstance(consent, dict) and consent.get("description"):
        consent["description"] = Markup(consent["description"])
    rss = config.plugins.get("rss")
    if rss is not None:
        rss.tpl_folder = TEMPLATES
        rss.tpl_file = Path("rss.xml")
    return config


# Run before the tags plugin (100) compiles its listing templates in its own on_env.
@event_priority(110)
def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Autoescape every template: the one place where output becomes safe by default."""
    env.autoescape = True
    return env


# Run first, before other hooks read the Markdown of a generated view.
@event_priority(100)
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Escape the headings Material generates for author and category views."""
    if isinstance(page, View) and markdown.strip() == f"# {page.name}":
        # Material writes `# {author name}` (or category name) into the
        # Markdown of each generated view, where markup would be live.
        return f"# {_escape_for_markdown(page.name)}\n"
    return markdown


# Run after MkDocs rendered the article, and before anything reads its table of
# contents (the search plugin, in on_page_context) or renders its excerpt (the
# blog plugin, when listings are built, after every page is rendered).
@event_priority(0)
def on_page_content(html_text: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Give the article's title heading to its excerpt and its table of contents, escaped once."""
    title = page.meta.get("title")
    if not _is_article(page) or not isinstance(title, str):
        return html_text
    heading = _escape_for_markdown(title)
    # Material's Excerpt.render pastes `# {post.title}` raw unless the post has a
    # title from its render; it converts post.markdown, so the heading goes there.
    page.markdown = f"# {heading}\n\n{page.markdown or ''}"
    # What MkDocs would have taken from that heading, had it been rendered: it never beats the
    # front-matter title in page.title.
    page._title_from_render = Markup(html.escape(" ".join(title.split()), quote=False))
    _head_toc(page, config, title)
    return html_text


# Run after the blog plugin (-100) has rendered the excerpts for a listing, and
# after the tags plugin rewrote page.content (as a plain str) in its on_env:
# this is the last moment before the template prints the page.
@event_priority(-110)
def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Mark the HTML rendered from Markdown, and what is made from it, as trusted."""
    _trust_page(page)
    for post in context.get("posts") or []:
        _trust_page(post)
    pager = context.get("pagination")
    if callable(pager):
        context["pagination"] = lambda *args, **kwargs: Markup(pager(*args, **kwargs))
    return context


# Run after mkdocs-rss-plugin (0) has written its feeds; the tags plugin wrote
# tags.json in its on_env, long before.
@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """Escape the plain-text description in JSON feeds' HTML; make plain-text JSON inert as HTML."""
    for path, is_feed in _json_outputs(config).items():
        if path.exists():
            _rewrite_json(path, is_feed)


# -----------------------------------------------------------------------------


# Why a subclass, and not a rewrite of search_index.json in on_post_build: the
# JSON no longer says where a title came from. A section's title is either the
# heading text Material's Parser escaped, or the raw page.meta["title"] it fell
# back to, and the two can be the same string ("a &amp; b" written in front
# matter, or rendered from "# a & b"). Here, inside create_entry_for_section,
# the fallback is the one place that knows; tags always come from front matter.
class _EscapedSearchIndex(SearchIndex):
    """Material's search index, with the front-matter values it copies escaped as its UI needs."""

    def __init__(self, forms_cache: Path | None = None, keep_words: bool = False, **config: Any) -> None:
        super().__init__(**config)
        self.descriptions: dict[str, str] = {}  # a page's first entry's location -> its description
        self.forms_cache = forms_cache
        self.keep_words = keep_words  # for the next build of a --dirty preview (Material keeps this index)
        self.words: frozenset[str] | None = None  # the vocabulary's words

    def create_entry_for_section(self, section: Section, toc: Any, url: str, page: Page) -> None:
        """Escape the values that come from front matter; leave the rendered ones as they are."""
        if not section.title:
            # Material would use str(page.meta.get("title", page.title)) raw.
            section.title = [_search_title(page)]
        count = len(self.entries)
        super().create_entry_for_section(section, toc, url, page)
        for entry in self.entries[count:]:
            _escape_entry(entry, page)
            description = page.meta.get("description")
            if entry["location"] == url and isinstance(description, str):
                self.descriptions[url] = description

    def generate_search_index(self, prev: SearchIndex | None) -> str:
        """Material's index, with Norwegian forms for every entry and the rules the browser needs."""
        words = _add_forms(self.entries, prev.entries if prev else [], self.descriptions, self.forms_cache,
                           getattr(prev, "words", None))
        self.words = words if self.keep_words else None
        del words  # not held while Material writes the index: a build's peak memory is there
        index = super().generate_search_index(prev)
        # Material writes {"config":{…},"docs":[…]}: the rules go last into its config, spliced in, so the
        # whole index is never parsed back into Python objects (a build's peak memory is here).
        config = {key: self.config[key] for key in ("lang", "separator", "pipeline", "fields")}
        head = json.dumps({"config": config}, separators=(",", ":"), default=str)[:-2]
        if not index.startswith(head + "},"):
            raise PluginError("hooks/escaping.py: Materials søkeindeks har fått en ny form; se over "
                              "generate_search_index mot mkdocs-material")
        rules = json.dumps(norwegian.client_rules(), separators=(",", ":"), default=str)
        return f'{head},"norwegian":{rules}' + index[len(head):]


def _install_search_index(config: MkDocsConfig) -> None:
    search = config.plugins.get("material/search")
    if search is None or not search.config.enabled:
        return
    # The same construction as SearchPlugin.on_config, which ran just before
    # and merged the default fields; the forms fields are weighted as theirs.
    search.config["fields"] = norwegian.field_boosts(search.config.fields)
    speed = config.plugins.get("hub-speed")
    cached = speed is not None and "search_sections" in getattr(speed, "active", ())
    root = filecache.cache_root(Path(config.config_file_path).parent) if cached else None
    search.search_index = _EscapedSearchIndex(forms_cache=root and root / "searchforms.sqlite3",
                                              keep_words=bool(getattr(search, "is_dirty", False)), **search.config)


# What the forms are made from besides the texts: the code that makes them, and the stemmers' versions.
_FORMS_CODE = digest(*(Path(module.__file__).read_text(encoding="utf-8") for module in (norwegian, text)),
                     metadata.version("PyStemmer"), str(norwegian.FIELDS))


def _add_forms(entries: list[dict[str, Any]], previous: list[dict[str, Any]], descriptions: dict[str, str],
               cache_path: Path | None = None, previous_words: frozenset[str] | None = None) -> frozenset[str] | None:
    """Give every entry its forms; returns the words of the vocabulary they were made with, if one was made."""
    # Compounds split into the words of the whole site. Under --dirty, *entries* are the
    # saved page's and *previous* (with their forms) the rest of the site; with the words
    # of the build before (*previous_words*) only the saved page's text is read again.
    if previous and previous_words is not None:
        stemmer = Stemmer()
        own = [_field_text(entry, name) for entry in entries for name in norwegian.FIELDS]
        vocabulary = norwegian.Vocabulary.of([*own, *descriptions.values()], stemmer, also=previous_words)
        _make_forms(entries, vocabulary, stemmer, descriptions)
        return vocabulary.words
    # A full build's forms are a function of every text below, so with the hub-speed
    # plugin's search cache on they are kept whole under a hash of them
    # (.cache/searchforms.sqlite3): an unchanged site takes them from there.
    texts = [_field_text(entry, name) for entry in entries + previous for name in norwegian.FIELDS]
    key = ""
    if cache_path is not None and not previous:
        key = _forms_key(texts, entries, descriptions)
        hit = _read_forms(cache_path, key, len(entries))
        if hit is not None:
            forms, words = hit
            for entry, found in zip(entries, forms, strict=True):
                entry.update(found)
            return words
    stemmer = Stemmer()
    vocabulary = norwegian.Vocabulary.of([*texts, *descriptions.values()], stemmer)
    made = _make_forms(entries, vocabulary, stemmer, descriptions)
    if key:
        cache = MarkdownCache(cache_path)
        try:
            cache.put(key, {"forms": made, "words": sorted(vocabulary.words)}, {})
            cache.prune()  # the file keeps this site's forms only
        finally:
            cache.close()
    return vocabulary.words


def _make_forms(entries: list[dict[str, Any]], vocabulary: norwegian.Vocabulary, stemmer: Stemmer,
                descriptions: dict[str, str]) -> list[dict[str, str]]:
    made = []
    for entry in entries:
        made.append(norwegian.entry_forms(entry, vocabulary, stemmer, descriptions.get(entry["location"], "")))
        entry.update(made[-1])
    return made


def _forms_key(texts: list[str], entries: list[dict[str, Any]], descriptions: dict[str, str]) -> str:
    # Hashed piece by piece, each with its length: no second copy of the site's text in memory.
    hashed = hashlib.blake2b(_FORMS_CODE.encode(), digest_size=20)

    def add(value: str) -> None:
        data = value.encode("utf-8", "surrogatepass")
        hashed.update(len(data).to_bytes(8, "little"))
        hashed.update(data)

    add(str(len(entries)))
    for value in texts:
        add(value)
    for entry in entries:
        add(entry["location"])
        add(descriptions.get(entry["location"], ""))
    for description in sorted(descriptions.values()):
        add(description)
    return hashed.hexdigest()


def _read_forms(path: Path, key: str, count: int) -> tuple[list[dict[str, str]], frozenset[str]] | None:
    if not path.exists():
        return None
    cache = MarkdownCache(path)
    try:
        hit = cache.get(key, lambda _: None)
    finally:
        cache.close()
    if not isinstance(hit, dict):
        return None
    forms, words = hit.get("forms"), hit.get("words")
    valid = (isinstance(forms, list) and len(forms) == count and isinstance(words, list)
             and all(isinstance(word, str) for word in words)
             and all(isinstance(item, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in item.items())
                     for item in forms))
    return (forms, frozenset(words)) if valid else None


def _field_text(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name) or ""
    return " ".join(value) if isinstance(value, list) else str(value)


def _search_title(page: Page) -> str:
    title = page.meta.get("title", page.title)
    if "title" not in page.meta and title and title is page._title_from_render:
        return title  # MkDocs keeps a title from the first H1 as HTML already
    return html.escape(str(title), quote=False)


def _escape_entry(entry: dict[str, Any], page: Page) -> None:
    if "tags" in entry:
        entry["tags"] = [html.escape(name, quote=False) for name in entry["tags"]]
    boost = entry.get("boost", 1)
    if isinstance(boost, bool) or not isinstance(boost, (int, float)):
        raise PluginError(f"{page.file.src_uri}: search.boost: {boost!r} er ikke et tall; søket kan bare "
                          "vekte en side med et tall, for eksempel 2 eller 0.5")


def _json_outputs(config: MkDocsConfig) -> dict[Path, bool]:
    # The JSON files other plugins write from front matter, each marked True if it is a JSON feed.
    site, outputs = Path(config.site_dir), {}
    rss = config.plugins.get("rss")
    if rss is not None:
        names = rss.config.feeds_filenames
        outputs.update({site / names.json_created: True, site / names.json_updated: True})
    tags = config.plugins.get("material/tags")
    if tags is not None and tags.config.enabled and tags.config.export:
        outputs[site / tags.config.export_file] = False
    return outputs


def _rewrite_json(path: Path, is_feed: bool) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    if is_feed:
        _escape_json_feed(data)
    path.write_text(json.dumps(_inert(data), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _escape_json_feed(feed: dict[str, Any]) -> None:
    # content_html is HTML by JSON Feed's definition; the plugin put plain text there.
    for item in feed.get("items", []):
        text = item.get("content_html") or ""
        item["summary"] = text
        item["content_html"] = html.escape(text, quote=False)


def _inert(value: Any) -> Any:
    # Every string: HTML (content_html, already escaped, has no "<") and plain text alike.
    if isinstance(value, dict):
        return {key: _inert(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_inert(item) for item in value]
    return _TAG_OPEN.sub("&lt;", value) if isinstance(value, str) else value


def _trust_page(page: Page) -> None:
    page.content = Markup(page.content or "")
    _trust_toc(page.toc.items)
    # A title taken from the page's first heading is rendered HTML too.
    rendered_title = getattr(page, "_title_from_render", None)
    if rendered_title:
        page._title_from_render = Markup(rendered_title)


def _trust_toc(items: list[AnchorLink]) -> None:
    # Markdown's toc extension stores heading text already HTML-escaped.
    for item in items:
        item.title = Markup(item.title)
        _trust_toc(item.children)


def _head_toc(page: Page, config: MkDocsConfig, title: str) -> None:
    # The H1 the template prints (overrides/partials/content.html) takes this id:
    # the slug the toc extension, as configured, gives a heading, unique on the page.
    # A link to it is then checked like a link to any heading (validation.anchors).
    anchors = page.present_anchor_ids if page.present_anchor_ids is not None else set()
    toc = config.mdx_configs.get("toc") or {}
    anchor = unique(toc.get("slugify", slugify)(title, toc.get("separator", "-")) or "tittel", set(anchors))
    anchors.add(anchor)
    root = AnchorLink(page._title_from_render, anchor, 1)
    root.children = list(page.toc.items)
    page.toc = TableOfContents([root])


def _escape_for_markdown(text: str) -> str:
    return _MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def _is_article(page: Page) -> bool:
    # A type check, not a scan of the posts list: constant time per page.
    return isinstance(page, Post)
