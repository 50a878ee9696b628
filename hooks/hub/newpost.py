"""Start a new article: ``make new TITLE="Slik coacher du selgerne dine"``.

Writes ``<post folder>/<slug>.md`` with valid front matter, today's date,
the pinned ASCII slug and ``draft: true``, then prints the preview URL. It
refuses to overwrite an article or to reuse a slug (or an old address) that
another article has, in any folder under the post folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from hub import frontmatter, site
from hub.messages import say
from hub.slug import slugify

REPO = site.REPO
PREVIEW = "http://127.0.0.1:8000/artikler/{slug}/"


class Refused(Exception):
    """The article cannot be created; the message says why and what to do."""


def create(title: str, root: Path = REPO, today: dt.date | None = None) -> Path:
    """Create the article file for *title* under *root*; return its path."""
    title = " ".join(title.split())
    slug = slugify(title)
    if not title or not slug:
        raise Refused(say("new.empty_title"))
    facts = site.read(root)
    target = facts.docs / facts.layout.new_article(slug)
    if target.exists():
        raise Refused(say("new.exists", path=facts.relative(target)))
    if owner := _slug_owner(facts, slug):
        raise Refused(say("new.slug_taken", slug=repr(slug), owner=owner))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(_render(title, slug, today or dt.date.today(), list(facts.categories)), encoding="utf-8")
    return target


def _slug_owner(facts: site.Site, slug: str) -> str | None:
    """The article that already answers at *slug*, or used to (``redirect_from``)."""
    for front in facts.articles().fronts:
        if front.unreadable:
            continue
        if frontmatter.effective_slug(front) == slug or slug in frontmatter.old_slugs(front.meta):
            return front.path
    return None


def _render(title: str, slug: str, today: dt.date, categories: list[str]) -> str:
    front = yaml.safe_dump({
        "title": title,
        "description": frontmatter.PLACEHOLDER_DESCRIPTION,
        "date": today,
        "slug": slug,
        "authors": [],
        "categories": [],
        "tags": [],
        "draft": True,
    }, allow_unicode=True, sort_keys=False, width=1000)
    allowed = ", ".join(categories) or "se categories_allowed i mkdocs.yml"
    return (
        f"---\n{front}"
        f"# Tillatte kategorier: {allowed}\n"
        "# Forfattere: id-er fra docs/artikler/.authors.yml. Fjern draft: true når artikkelen er klar.\n"
        "---\n\n"
        f"{frontmatter.PLACEHOLDER_LINES[0]}\n\n"
        "<!-- more -->\n\n"
        f"{frontmatter.PLACEHOLDER_LINES[1]}\n\n"
        f"{frontmatter.PLACEHOLDER_LINES[2]}\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start en ny artikkel som kladd.")
    parser.add_argument("title", help="tittelen på artikkelen")
    parser.add_argument("--root", type=Path, default=REPO, help="depotet (standard: dette)")
    args = parser.parse_args(argv)
    try:
        path = create(args.title, args.root)
    except (Refused, site.SiteError) as refusal:
        print(say("new.refused", reason=refusal), file=sys.stderr)
        return 1
    print(say("new.created", path=path.relative_to(args.root.resolve()).as_posix()))
    # The new article builds only once these are fixed: say so now.
    for problem in site.read(args.root).articles().problems:
        if not problem.path.endswith(".md"):
            print(say("check.warning", problem=problem), file=sys.stderr)
    print(say("new.preview", url=PREVIEW.format(slug=path.stem)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
