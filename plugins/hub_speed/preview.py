"""A large hub's preview: `mkdocs serve --dirty` keeps the listing pages it has already built.

Material writes its listing sources (index pages, archive, categories,
authors) anew on every build (material/plugins/blog/plugin.py:108, pinned in
:data:`.pins.LISTINGS`), so MkDocs' --dirty would re-render every listing on
each save. A listing that is already in the preview is kept; listings, related
links and feeds catch up at the next full build. Only above the plugin's
``preview_full_rebuild_limit`` articles: a smaller hub is served without
--dirty and shows everything live.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from typing import Any

import material.plugins.blog.plugin as blog_plugin
from material.plugins.blog.plugin import BlogPlugin
from mkdocs.utils import copy_file


def views(view: Any) -> list[Any]:
    """*view* and every listing under it."""
    found = [view]
    for child in view.views:
        found += views(child)
    return found


def keep_listings(blog: Any) -> int:
    """Mark every listing page already in the preview as unmodified; returns how many."""
    kept = 0
    for view in views(blog.blog):
        for page in view.pages or [view]:
            if os.path.isfile(page.file.abs_dest_path):
                page.file.is_modified = lambda: False
                kept += 1
    return kept


# How often the preview looks for saved files. MkDocs' LiveReloadServer polls the docs folder every
# 0.5 s (mkdocs/livereload/__init__.py:98, a watchdog PollingObserver): a save waited 0.25 s on
# average before its rebuild began. A poll of 1,000 articles' folder takes a few milliseconds.
POLL_SECONDS = 0.2


def poll_every(server: Any, seconds: float) -> None:
    """Make the preview's file watcher poll every *seconds*: the folders watched so far and those to come.

    The watcher's emitters read their interval from ``_timeout``, and the observer gives its own to each
    emitter it schedules (watchdog/observers/api.py, pinned in :data:`.pins.POLLING`).
    """
    observer = server.observer
    observer._timeout = seconds
    for emitter in observer.emitters:
        emitter._timeout = seconds


# Material's blog writes the source of every generated listing (each category, month and author,
# material/plugins/blog/plugin.py:1032) and copies a listing's source once for each of its later pages
# (page/2/, …, :663) into a folder of its own, on every build: about 270 writes and 600 copies a build
# at 1,000 articles, both pinned in :data:`.pins.LISTING_COPIES`. That folder lives as long as the
# preview and only the blog writes there, so in the preview an unchanged source is left as it is.

ORIGINAL_SAVE = BlogPlugin._save_to_file


def save_unless_same(self: BlogPlugin, path: str, content: str) -> None:
    """Material's _save_to_file, skipped when the file already holds *content*."""
    try:
        with open(path, encoding="utf-8") as file:
            if file.read() == content:
                return
    except (OSError, UnicodeDecodeError):
        pass
    ORIGINAL_SAVE(self, path, content)


def copy_unless_copied(source: str, target: str) -> None:
    """MkDocs' copy_file, skipped when *target* was copied from *source* since it last changed.

    A copy at least as new as its source, of the same size, holds the same bytes.
    """
    try:
        old, new = os.stat(source), os.stat(target)
    except OSError:
        old = new = None
    if old is None or new is None or new.st_size != old.st_size or new.st_mtime_ns < old.st_mtime_ns:
        copy_file(source, target)


# Python's cyclic garbage collector, run by allocation counts, took 0.2–0.3 s of a 1.5 s rebuild of a
# 1,000-article preview (one full collection of the session's heap, in whichever step it fell).
COLLECT_AFTER_SECONDS = 1.0


def collect_between_builds(server: Any, delay: float = COLLECT_AFTER_SECONDS) -> None:
    """Collect cyclic garbage once the preview has served a rebuild, not while it builds.

    Wraps the builder that LiveReloadServer._build_loop calls (mkdocs/livereload/__init__.py:192,
    pinned in :data:`.pins.BUILD_LOOP`): the automatic collector is off for the rest of the session,
    and *delay* seconds after each build one full collection runs, unless another build has begun.
    Reference counting frees everything else as before.
    """
    builder = server.builder
    pending: threading.Timer | None = None

    def build() -> None:
        nonlocal pending
        if pending is not None:
            pending.cancel()
        gc.disable()
        try:
            builder()
        finally:
            pending = threading.Timer(delay, gc.collect)
            pending.daemon = True
            pending.start()

    server.builder = build


def install() -> None:
    blog_plugin.copy_file = copy_unless_copied
    BlogPlugin._save_to_file = save_unless_same


def uninstall() -> None:
    blog_plugin.copy_file = copy_file
    BlogPlugin._save_to_file = ORIGINAL_SAVE


class Phase:
    """Whether the running preview build is the quick first half of a save (see :func:`two_phase`)."""

    quick = False


phase = Phase()


def two_phase(server: Any, serve_module: Any) -> None:
    """A save in a small hub's preview: the saved page first, then everything.

    `mkdocs serve` without --dirty rebuilds the whole site on each save, and
    answers no request until it is done. Here a save first runs a --dirty
    build that renders what changed and keeps the listing pages (``phase.quick``),
    so the saved article is served, and the browser reloads, as soon as it is
    written; then the server is asked for the full rebuild at once, and the
    listings, related links, search and feeds are live again when it ends.
    Wraps the builder of mkdocs/commands/serve.py:61 and relies on the rebuild
    request of LiveReloadServer._build_loop (mkdocs/livereload/__init__.py:192),
    both pinned in :data:`.pins.SERVE` and :data:`.pins.BUILD_LOOP`.
    """
    builder = server.builder
    full_next = False
    logging.getLogger("mkdocs.commands.build").addFilter(_quiet_quick_builds)

    def rebuild() -> None:
        nonlocal full_next
        if full_next:
            full_next = False
            builder()
            return
        build = serve_module.build

        def quick_build(config: Any, *, serve_url: str | None = None, dirty: bool = False) -> None:
            build(config, serve_url=serve_url, dirty=True)

        serve_module.build, phase.quick = quick_build, True
        try:
            builder()
        finally:
            serve_module.build, phase.quick = build, False
        full_next = True
        with server._rebuild_cond:
            server._want_rebuild = True
            server._rebuild_cond.notify_all()

    server.builder = rebuild


def _quiet_quick_builds(record: logging.LogRecord) -> bool:
    """MkDocs warns that a --dirty build may be inaccurate: the full build right after a quick one corrects it."""
    return not (phase.quick and record.getMessage().startswith("A 'dirty' build is being performed"))
