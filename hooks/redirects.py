"""Old article addresses keep working after a deliberate slug change.

An article that lists ``redirect_from: [gammel-adresse]`` gets a small
Norwegian page at ``/artikler/gammel-adresse/`` that forwards to its current
address (meta refresh, no JavaScript needed) and points search engines to
the new canonical URL. The front-matter rules (a slug, never a live article's
slug, never claimed twice) live in ``hub/frontmatter.py``.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from jinja2 import Environment
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files

from hub import catalogue, site
from hub.messages import say

TEMPLATE = "redirect-page.html"

# The build's Jinja environment (autoescaping, see escaping.py); reset on every (re)build.
_env: Environment | None = None
# Where this build's files are published: a forwarding page never takes one of those addresses.
_taken: set[str] = set()
# Forwarding pages this process wrote: a `mkdocs serve --dirty` rebuild keeps the previous build's
# files in place, and writes its own forwarding pages again over them.
_written: set[str] = set()


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Forget the previous build's environment: `mkdocs serve` reuses this module."""
    global _env
    _env = None
    return config


def on_env(env: Environment, config: MkDocsConfig, files: Files) -> Environment:
    """Keep the build's environment, so the redirect page is escaped like every other page."""
    global _env
    _env = env
    _taken.clear()
    _taken.update(os.path.normpath(file.abs_dest_path) for file in files)
    return env


# Run after the site is written, so a redirect can never be overwritten by a page.
@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """Write a forwarding page at every old address of every published article."""
    if _env is None:
        return
    template = _env.get_template(TEMPLATE)
    articles = site.articles()
    for post in site.blog(config).blog.posts:
        record = articles.get(post.file.src_uri)
        for old in record.redirect_from if record is not None else ():
            _write_redirect(post, record, old, template, config)


def _write_redirect(post: Any, record: catalogue.Article, old: str, template: Any, config: MkDocsConfig) -> None:
    new_url = post.url
    old_url = posixpath.join(posixpath.dirname(new_url.rstrip("/")), old) + "/"
    path = os.path.normpath(os.path.join(config.site_dir, *old_url.split("/"), "index.html"))
    if path in _taken or os.path.exists(path) and path not in _written:
        raise PluginError(f"{record.path}: redirect_from: {say('site.redirect_taken', old=repr(old), url=old_url)}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    html = template.render(
        config=config,
        title=record.title,
        target=posixpath.relpath(new_url, old_url) + "/",
        canonical=config.site_url.rstrip("/") + "/" + new_url if config.site_url else "/" + new_url,
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(html)
    _written.add(path)
    _taken.add(path)  # and never twice in one build
