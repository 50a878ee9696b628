"""Every page's Markdown converted once, then served from the persistent cache (:mod:`.cache`).

Replaces MkDocs 1.6.1's ``Page.render`` (mkdocs/structure/pages.py:263, pinned
in :data:`.pins.PAGE_RENDER`) with a wrapper that calls it on a miss. The key
hashes the Markdown, the page's address and inclusion, and the build's
settings fingerprint; every link lookup the conversion made is recorded and
checked before an entry is used.
"""

from __future__ import annotations

import logging
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files
from mkdocs.structure.toc import get_toc

from . import logs
from .cache import MarkdownCache, Recorder, digest

ORIGINAL = mkdocs_pages.Page.render


class State:
    cache: MarkdownCache | None = None
    fingerprint = ""


state = State()


def describe(file: File | None) -> list[Any] | None:
    """What a link lookup answered, as far as the converted HTML and its warnings can tell (JSON types)."""
    return None if file is None else [file.src_uri, file.url, file.inclusion.is_excluded()]


def toc_tokens(links: Any) -> list[dict[str, Any]]:
    return [{"name": link.title, "id": link.id, "level": link.level, "children": toc_tokens(link.children)}
            for link in links]


def key(kind: str, *parts: str) -> str:
    level = str(logging.getLogger("mkdocs").getEffectiveLevel())
    return digest(kind, state.fingerprint, level, *parts)


def render(self: mkdocs_pages.Page, config: MkDocsConfig, files: Files) -> None:
    """MkDocs' Page.render, from the cache when the same Markdown was converted with the same links before."""
    cache = state.cache
    if cache is None or self.markdown is None:
        return ORIGINAL(self, config, files)
    entry_key = key("page", self.markdown, self.file.src_uri, self.file.url, str(self.file.inclusion))
    hit = cache.get(entry_key, lambda path: describe(files.get_file_from_path(path)))
    if hit is not None:
        self.content, self.toc = hit["content"], get_toc(hit["toc"])
        self._title_from_render, self.present_anchor_ids = hit["title"], set(hit["anchors"])
        if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
            self.links_to_anchors = {self.file if src == self.file.src_uri else files.get_file_from_path(src): anchors
                                     for src, anchors in hit["links"].items()}
        logs.replay(hit["logs"])
        return None
    recorder = Recorder(files, describe)
    with logs.captured() as records:
        ORIGINAL(self, config, recorder)  # type: ignore[arg-type]
    links = {file.src_uri: anchors for file, anchors in (getattr(self, "links_to_anchors", None) or {}).items()}
    cache.put(entry_key, {"content": self.content, "toc": toc_tokens(self.toc), "title": self._title_from_render,
                          "anchors": sorted(self.present_anchor_ids), "links": links, "logs": records},
              recorder.dependencies)
    return None


def install(cache: MarkdownCache) -> None:
    state.cache = cache
    mkdocs_pages.Page.render = render


def uninstall() -> None:
    mkdocs_pages.Page.render = ORIGINAL
    if state.cache is not None:
        state.cache.close()
    state.cache = None
