"""Material's search index: each page's sections parsed from its HTML once, then kept in the cache.

Material 9.8.2's ``SearchIndex.add_entry_from_context``
(material/plugins/search/plugin.py:181, pinned in :data:`.pins.SEARCH_ENTRY`)
feeds every page's HTML to its ``Parser`` (:386, pinned in
:data:`.pins.SEARCH_PARSER`) on every build. What the parser finds depends on
that HTML alone, so the sections it keeps (id, title and text of each one not
excluded) are stored in ``.cache/search.sqlite3`` by a hash of the HTML, and a
page whose HTML is unchanged is indexed from them. The entries themselves are
made by ``create_entry_for_section`` as before (the hub's escaping index
included), from the page's table of contents, address and front matter.
"""

from __future__ import annotations

from typing import Any

from material.plugins.search.plugin import Parser, SearchIndex, Section

from .cache import MarkdownCache, digest, stable

ORIGINAL = SearchIndex.add_entry_from_context
FORMAT = 1


class _Cached(Section):
    """A section read back from the cache: only sections that were not excluded are kept."""

    def __init__(self, id: str | None, title: list[str], text: list[str]) -> None:  # noqa: A002
        self.el, self.depth = None, 0
        self.id, self.title, self.text = id, title, text

    def is_excluded(self) -> bool:
        return False


class State:
    cache: MarkdownCache | None = None
    parser = ""


state = State()


def add_entry_from_context(self: SearchIndex, page: Any) -> None:
    """Material's add_entry_from_context, with the parsed sections from the cache when the HTML is unchanged."""
    cache = state.cache
    search = page.meta.get("search") or {}
    if cache is None or search.get("exclude") or not isinstance(page.content, str):
        return ORIGINAL(self, page)
    key = digest("search", str(FORMAT), state.parser, page.content)
    hit = cache.get(key, lambda _: None)
    if hit is None:
        parser = Parser()
        parser.feed(page.content)
        parser.close()
        kept = [section for section in parser.data if not section.is_excluded()]
        hit = {"sections": [[section.id, list(section.title), list(section.text)] for section in kept]}
        cache.put(key, hit, {})
    for section_id, title, text in hit["sections"]:
        self.create_entry_for_section(_Cached(section_id, title, text), page.toc, page.url, page)


def install(cache: MarkdownCache) -> None:
    state.cache, state.parser = cache, stable(Parser)
    SearchIndex.add_entry_from_context = add_entry_from_context


def uninstall() -> None:
    SearchIndex.add_entry_from_context = ORIGINAL
    if state.cache is not None:
        state.cache.close()
    state.cache = None
