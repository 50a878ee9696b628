"""Cookie-free page-view counting, the parts the site and the inbox share: the beacon's endpoint and the
catalogue of articles the staff report groups by category. Pure; no MkDocs imports.

The build (``hooks/stats.py``) gives every page the endpoint for ``assets/javascripts/stats.js`` and
writes :data:`CATALOGUE` into the site; the inbox (``inbox/stats.py``) serves the endpoint and reads the
catalogue from the published site, so it needs no copy of ``docs/``.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass

HIT_PATH = "/hit"            # the inbox's endpoint for a page view, under its public URL
CATALOGUE = "artikler.json"  # at the site's root: every published article's path, slug, title and categories


@dataclass(frozen=True)
class Entry:
    """A published article as the report needs it."""

    path: str                    # the page's path under the site, as MkDocs' page.url: artikler/x/
    slug: str
    title: str
    categories: tuple[str, ...]


def endpoint(inbox: str) -> str:
    """The beacon's address on the inbox at *inbox* (validated by hooks/cta.py, no trailing slash)."""
    return inbox.rstrip("/") + HIT_PATH


def catalogue_json(entries: Iterable[Entry]) -> str:
    """The catalogue file: sorted by path, so two builds of the same articles write the same bytes.

    Titles and categories are written as HTML text (``&lt;``, ``&amp;``), as the feed and the search index
    carry them: front-matter values are data, and no reader of a site file may meet them as markup.
    """
    items = [{"path": entry.path, "slug": entry.slug, "title": html.escape(entry.title),
              "categories": [html.escape(name) for name in entry.categories]}
             for entry in sorted(entries, key=lambda entry: entry.path)]
    return json.dumps({"version": 1, "articles": items}, ensure_ascii=False, sort_keys=True, indent=1) + "\n"
