"""The articles' titles for the staff page, read from the built site: a form sends only its slug and path.

The site publishes its newest articles in its JSON feed (``feed_json_created.json``) and every page in
``search/search_index.json``; both are read from ``--site-url``, in a worker thread, with a short
timeout and a size cap, and reused for :data:`FRESH` seconds. A staff page waits for a read at most
:data:`WAIT` seconds and then shows what it has; while the site cannot be read, the slug. Titles are
data from another system: both files carry them as HTML text (``&lt;``, ``&amp;``), so they are
unescaped here into plain text, cut to :data:`LONGEST` characters, and escaped again by the template.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from starlette.concurrency import run_in_threadpool

from . import messages

log = logging.getLogger("inbox.titles")

FEED = "feed_json_created.json"            # the newest articles (rss plugin's `length`), with their titles
SEARCH_INDEX = "search/search_index.json"  # every page, sections too ("#…" locations, skipped)
FRESH = 300.0      # seconds a successful read is reused: a new article's title shows within five minutes
RETRY = 60.0       # seconds before a failed read is tried again (meanwhile pages show slugs at once)
TIMEOUT = 2.0      # seconds per connection and per read from the site
WAIT = 0.5         # seconds a staff page waits for a read in progress before it renders without it
MAX_BYTES = 8 * 1024 * 1024  # a larger file is refused rather than held in memory
LONGEST = 200      # characters of a title shown; longer ones end in «…»

Fetch = Callable[[str], bytes]


def fetch(url: str) -> bytes:
    """The body of *url* (http or https only), refused past MAX_BYTES."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise ValueError("not an http(s) URL")
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:  # noqa: S310 - the scheme is checked above
        body = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError("larger than MAX_BYTES")
    return body


def read(site_url: str, get: Fetch = fetch) -> dict[str, str]:
    """Titles by page path (``artikler/slug/``) and by slug, from both files; raises only if neither is read."""
    titles: dict[str, str] = {}
    failures: list[Exception] = []
    for name, parse in ((SEARCH_INDEX, _from_search_index), (FEED, _from_feed)):  # the feed's title wins
        try:
            titles.update(_by_path_and_slug(parse(json.loads(get(urljoin(site_url, name))))))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            failures.append(error)
    if len(failures) == 2:
        raise failures[0]
    return titles


def _from_search_index(data: Any) -> Iterator[tuple[str, Any]]:
    for doc in data["docs"]:
        if "#" not in doc["location"]:
            yield doc["location"], doc["title"]


def _from_feed(data: Any) -> Iterator[tuple[str, Any]]:
    home = urlsplit(data["home_page_url"]).path
    for item in data["items"]:
        path = urlsplit(item["url"]).path
        if path.startswith(home):
            yield path[len(home):], item["title"]


def _by_path_and_slug(pages: Iterator[tuple[str, Any]]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for path, title in pages:
        text = plain(title) if isinstance(path, str) and isinstance(title, str) else ""
        if text and path:
            titles[path] = text
            titles.setdefault(f"slug:{path.rstrip('/').rsplit('/', 1)[-1]}", text)
    return titles


def plain(title: str) -> str:
    """A title as text: entities decoded, control characters and runs of spaces gone, at most LONGEST long."""
    text = " ".join("".join(char for char in html.unescape(title) if char.isprintable() or char.isspace()).split())
    return text if len(text) <= LONGEST else text[:LONGEST - 1].rstrip() + "…"


class Titles:
    """The site's titles, refreshed in the background; one per inbox process."""

    def __init__(self, site_url: str, get: Fetch = fetch) -> None:
        self.site_url = site_url
        self.get = get
        self.titles: dict[str, str] = {}
        self.fresh_until = 0.0  # time.monotonic()
        self.reading: asyncio.Task[None] | None = None

    def title(self, page: str, slug: str) -> str:
        """The title of the page a lead came from: by its path, else by its slug; "" when unknown."""
        return (page and self.titles.get(page)) or (slug and self.titles.get(f"slug:{slug}")) or ""

    async def refresh(self) -> None:
        """Start a read when the titles are stale, and wait for it at most WAIT seconds."""
        if time.monotonic() >= self.fresh_until and (self.reading is None or self.reading.done()):
            self.reading = asyncio.create_task(self._read())
        if self.reading is not None and not self.reading.done():
            try:
                await asyncio.wait_for(asyncio.shield(self.reading), WAIT)
            except TimeoutError:
                pass

    def close(self) -> None:
        """Stop waiting for a read in progress (its thread ends at its timeout): the process is stopping."""
        if self.reading is not None:
            self.reading.cancel()

    async def _read(self) -> None:
        try:
            self.titles = await run_in_threadpool(read, self.site_url, self.get)
            self.fresh_until = time.monotonic() + FRESH
        except Exception as error:  # noqa: BLE001 - the site being down must never break the staff page
            log.warning(messages.LOG_TITLES_UNREADABLE, type(error).__name__)
            self.fresh_until = time.monotonic() + RETRY
