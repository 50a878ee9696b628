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

Two outputs do not go through the theme's environment and are fixed at their
own source:

* Material's blog builds each excerpt by pasting ``# {title}`` into Markdown,
  where raw HTML is live, and writes ``# {author name}`` into the Markdown of
  each author page. Every article gets its heading from the escaped title
  here instead, so the excerpt never pastes one, and generated headings are
  replaced by escaped ones.
* mkdocs-rss-plugin prints author and category names raw in its RSS template.
  We point it at ``hooks/templates/rss.xml``, which escapes every value. Its
  JSON feed puts the plain-text description into ``content_html``; we escape
  it there after the plugin has written the file.
  That reaches into the plugin's attributes, so the version is pinned and
  ``tests/test_escaping.py`` fails loudly if they move.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment
from markupsafe import Markup
from material.plugins.blog.structure import Post, View
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink

TEMPLATES = Path(__file__).parent / "templates"

# Characters Markdown would treat as syntax in a heading line.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


# Run after every plugin has set up (rss included), so our feed template wins.
@event_priority(-100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Trust the staff-written HTML in mkdocs.yml; give the RSS plugin an escaping template."""
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


# Run first, before other hooks read the Markdown: the heading must be there
# before the blog plugin copies the post's Markdown into its excerpt.
@event_priority(100)
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Give an article without an H1 one made from its escaped title; escape generated view headings."""
    if isinstance(page, View) and markdown.strip() == f"# {page.name}":
        # Material writes `# {author name}` (or category name) into the
        # Markdown of each generated view, where markup would be live.
        return f"# {_escape_for_markdown(page.name)}\n"
    title = page.meta.get("title")
    if not isinstance(title, str) or not _is_article(page) or _has_h1(markdown):
        return markdown
    return f"# {_escape_for_markdown(title)}\n\n{markdown}"


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


# Run after mkdocs-rss-plugin (0) has written its feeds.
@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """``content_html`` of a JSON feed item is HTML: escape the plain-text description in it."""
    rss = config.plugins.get("rss")
    if rss is None:
        return
    for name in (rss.config.feeds_filenames.json_created, rss.config.feeds_filenames.json_updated):
        path = Path(config.site_dir) / name
        if path.exists():
            _escape_json_feed(path)


# -----------------------------------------------------------------------------


def _escape_json_feed(path: Path) -> None:
    feed = json.loads(path.read_text(encoding="utf-8"))
    for item in feed.get("items", []):
        text = item.get("content_html") or ""
        item["summary"] = text
        item["content_html"] = html.escape(text, quote=False)
    path.write_text(json.dumps(feed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


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


def _escape_for_markdown(text: str) -> str:
    return _MARKDOWN_SYNTAX.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def _has_h1(markdown: str) -> bool:
    return re.search(r"^#(?!#)\s*\S", markdown, re.MULTILINE) is not None


def _is_article(page: Page) -> bool:
    # A type check, not a scan of the posts list: constant time per page.
    return isinstance(page, Post)
