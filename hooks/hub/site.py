"""What the command-line tools need to know about the site, read from mkdocs.yml and .authors.yml.

The build gets these facts from MkDocs itself; `make new`, `make check` and
the editor schema read them here, from the same files, without importing MkDocs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]


class _Lenient(yaml.SafeLoader):
    """Reads mkdocs.yml even where it uses MkDocs' own tags (!ENV, !!python/name)."""


_Lenient.add_multi_constructor("", lambda loader, suffix, node: None)


@dataclass(frozen=True)
class Site:
    """The blog settings and authors of one checkout."""

    root: Path
    docs: Path
    posts: Path
    categories: tuple[str, ...]
    authors: dict[str, str]
    words_per_minute: int

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def read(root: Path = REPO) -> Site:
    """The site in *root*: its docs folder, post folder, allowed categories, authors and reading speed."""
    config = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Lenient) or {}
    docs = root / config.get("docs_dir", "docs")
    blog = _blog_settings(config)
    blog_dir = blog.get("blog_dir", "blog")
    posts = docs / blog.get("post_dir", "{blog}/posts").format(blog=blog_dir)
    authors_file = docs / blog.get("authors_file", "{blog}/.authors.yml").format(blog=blog_dir)
    return Site(
        root=root,
        docs=docs,
        posts=posts,
        categories=tuple(blog.get("categories_allowed", [])),
        authors=_authors(authors_file),
        words_per_minute=int(blog.get("post_readtime_words_per_minute", 265)),
    )


def _blog_settings(config: dict[str, Any]) -> dict[str, Any]:
    for plugin in config.get("plugins", []):
        if isinstance(plugin, dict) and "blog" in plugin:
            return plugin["blog"] or {}
    return {}


def _authors(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(key): str((value or {}).get("name", key)) for key, value in (data.get("authors") or {}).items()}
