"""Cookie-free page-view counting (inbox/stats.py): the beacon on every page, and the articles' catalogue.

Every page gets ``assets/javascripts/stats.js`` with the inbox's endpoint
(``overrides/main.html``); the script sends one beacon per page view, once
the page is visible, and nothing when the browser asks for Global Privacy
Control. The inbox's origin is in the CSP's ``connect-src`` (``hooks/cta.py``
writes the headers). After the build, ``artikler.json`` lists every published
article with its categories, for the staff report's per-category totals.
Without ``extra.inbox`` nothing is counted and no script is added.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

from hub import cta, site, stats

log = logging.getLogger("mkdocs.hooks.stats")

# The beacon's address for this build; reset in every on_config (`mkdocs serve` reuses the module).
_endpoint: str | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """The endpoint from extra.inbox (hooks/cta.py has validated it and stops the build when it is wrong)."""
    global _endpoint
    inbox = config.extra.get("inbox")
    _endpoint = stats.endpoint(cta.check_url(inbox, (), "the inbox")) if isinstance(inbox, str) and inbox else None
    return config


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Every page counts its views, when there is an inbox to count them."""
    if _endpoint is not None:
        context["hub_stats"] = _endpoint
    return context


# After the blog plugin has its posts' final URLs and categories (it sets up at priority -50).
@event_priority(-60)
def on_post_build(config: MkDocsConfig) -> None:
    """Write artikler.json: the published articles, for the report's categories."""
    if _endpoint is None:
        return
    entries = [stats.Entry(post.url, site.slug_of(post.url), str(post.title or ""),
                           tuple(str(name) for name in (post.config.categories or ())))
               for post in site.blog(config).blog.posts]
    (Path(config.site_dir) / stats.CATALOGUE).write_text(stats.catalogue_json(entries), encoding="utf-8")
