"""Articles: validate front matter before anything is built, and give them stable ASCII URLs.

The rules themselves live in ``hub/frontmatter.py`` (pure, unit-tested); this
hook feeds it the site's allow-lists and turns its problems into one clear
build error, or into warnings that ``--strict`` fails on.
"""

from __future__ import annotations

import logging
import os
import posixpath
from typing import Any

import yaml
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from material.plugins.blog.structure import Post, Profile

from hub import frontmatter
from hub.slug import slugify

log = logging.getLogger("mkdocs.hooks.articles")

# How many of the newest articles the home page shows (1–12; default 3).
LATEST_ON_HOME = 3


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Teach the blog plugin and the heading anchors our transliterating slugs (ø → o, not dropped)."""
    blog = _blog(config)
    blog.config.post_slugify = slugify
    blog.config.categories_slugify = slugify
    # Heading anchors too: "Øvelse gjør mester" → #ovelse-gjor-mester, not #velse-gjr-mester.
    if "toc" in config.mdx_configs or "toc" in config.markdown_extensions:
        config.mdx_configs.setdefault("toc", {})["slugify"] = slugify
    return config


# Run before the blog plugin (-50) reads the posts, so a broken article gets our
# message naming file and field instead of a parser error from deep inside it.
@event_priority(50)
def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Validate every article's front matter; report all problems at once."""
    root = _repo_root(config)
    context = frontmatter.Context(
        categories=frozenset(_blog(config).config.categories_allowed),
        authors=frozenset(_load_authors(config, root)),
    )
    fronts = [_read(file.abs_src_path, root) for file in _article_files(files, config)]
    problems = [problem for front in fronts for problem in frontmatter.validate(front, context)]
    problems += frontmatter.duplicate_slugs(fronts) + frontmatter.redirect_conflicts(fronts)
    for front in fronts:
        for warning in frontmatter.unknown_keys(front):
            log.warning(str(warning))
    if problems:
        lines = "\n".join(f"  {problem}" for problem in sorted(problems))
        raise PluginError(
            f"{len(problems)} problem(s) in article front matter:\n{lines}\n"
            "Fix the lines above and save; the preview rebuilds by itself."
        )
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, **_: Any) -> str:
    """Normalise an article's date for the feeds, and cut its excerpt if staff did not."""
    if isinstance(page, Profile):
        page.meta["template"] = "author.html"
    if not isinstance(page, Post):
        return markdown
    # The RSS plugin reads `date.created`; staff write a plain `date: 2025-03-14`.
    date = page.meta.get("date")
    if date is not None and not isinstance(date, dict):
        page.meta["date"] = {"created": date}
    return _with_excerpt_separator(markdown, _blog(config).config.post_excerpt_separator)


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give the home page the newest articles, and an author page its author."""
    if page.is_homepage:
        context["latest_articles"] = _blog(config).blog.posts[:LATEST_ON_HOME]
    if isinstance(page, Profile):
        # The blog plugin points each author's url at their profile view.
        authors = _blog(config).authors.values()
        context["author"] = next((author for author in authors if author.url == page.url), None)
    return context


# -----------------------------------------------------------------------------


def _with_excerpt_separator(markdown: str, separator: str) -> str:
    """Listings show only the first paragraph of an article that has no separator."""
    if separator in markdown:
        return markdown
    blocks = markdown.split("\n\n")
    for index, block in enumerate(blocks):
        if block.strip() and not block.lstrip().startswith(("#", "<", "!", "|", ">", "-", "*", "`")):
            blocks.insert(index + 1, separator)
            return "\n\n".join(blocks)
    return markdown


def _blog(config: MkDocsConfig) -> Any:
    try:
        return config.plugins["material/blog"]
    except KeyError:
        raise PluginError("mkdocs.yml: plugins: the 'blog' plugin is required by hooks/articles.py") from None


def _repo_root(config: MkDocsConfig) -> str:
    return os.path.dirname(os.path.abspath(config.config_file_path))


def _posts_dir(config: MkDocsConfig) -> str:
    blog = _blog(config).config
    return posixpath.normpath(blog.post_dir.format(blog=posixpath.normpath(blog.blog_dir)))


def _article_files(files: Files, config: MkDocsConfig) -> list:
    prefix = _posts_dir(config) + "/"
    return sorted(
        (file for file in files.documentation_pages() if file.src_uri.startswith(prefix)),
        key=lambda file: file.src_uri,
    )


def _read(path: str, root: str) -> frontmatter.FrontMatter:
    with open(path, "rb") as handle:
        return frontmatter.read(os.path.relpath(path, root), handle.read())


def _load_authors(config: MkDocsConfig, root: str) -> set[str]:
    """Author ids from ``.authors.yml``, checked for the fields every author page shows."""
    blog = _blog(config).config
    path = os.path.join(config.docs_dir, blog.authors_file.format(blog=blog.blog_dir))
    shown = os.path.relpath(path, root)
    if not os.path.exists(path):
        return set()
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise PluginError(f"{shown}: is not valid UTF-8 YAML: {error}") from None
    authors = data.get("authors") if isinstance(data, dict) else None
    if not isinstance(authors, dict):
        raise PluginError(f"{shown}: authors: must map each author id to name, description and avatar")
    for key, author in authors.items():
        for name in ("name", "description", "avatar"):
            if not isinstance(author, dict) or not str(author.get(name) or "").strip():
                raise PluginError(f"{shown}: authors.{key}.{name}: is missing; every author needs "
                                  "a name, a role (description) and an avatar image")
    return set(map(str, authors))
