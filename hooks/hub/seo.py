"""Structured data and sharing tags, from plain values. No MkDocs imports.

The hook gathers a page's facts (titles, dates, URLs) into :class:`PageFacts`;
this module turns them into schema.org JSON-LD and Open Graph/Twitter tags.
Templates print the JSON-LD through Jinja's ``tojson``, which writes ``<``,
``>``, ``&`` and ``'`` as ``\\u003c``-style escapes, so no value can close the
``<script>`` element.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SITE_LOCALE = "nb_NO"
LANGUAGE = "nb"


@dataclass(frozen=True)
class Organization:
    name: str
    url: str
    logo: str          # absolute URL of the logo image


@dataclass(frozen=True)
class Author:
    name: str
    url: str           # absolute URL of the author page


@dataclass(frozen=True)
class PageFacts:
    """What a page is, in absolute URLs and plain text."""

    kind: str                      # "article", "home" or "page"
    title: str
    description: str
    url: str
    image: str                     # absolute URL of the sharing image
    image_alt: str
    site_name: str
    published: dt.datetime | None = None
    modified: dt.datetime | None = None
    authors: tuple[Author, ...] = ()
    tags: tuple[str, ...] = ()
    section: str = ""              # the first category
    breadcrumbs: tuple[tuple[str, str], ...] = ()  # (name, absolute URL), home first
    image_size: tuple[int, int] | None = (1200, 630)  # None: a remote image whose size the build cannot know


def json_ld(facts: PageFacts, organization: Organization) -> list[dict[str, Any]]:
    """The JSON-LD graph for a page: BlogPosting and BreadcrumbList for articles, Organization and WebSite at home."""
    if facts.kind == "article":
        return [_blog_posting(facts, organization), _breadcrumbs(facts)]
    if facts.kind == "home":
        return [_organization(organization), _website(facts, organization)]
    return [_breadcrumbs(facts)] if len(facts.breadcrumbs) > 1 else []


def _organization(organization: Organization) -> dict[str, Any]:
    return {"@context": "https://schema.org", "@type": "Organization", "name": organization.name,
            "url": organization.url, "logo": organization.logo}


def _website(facts: PageFacts, organization: Organization) -> dict[str, Any]:
    return {"@context": "https://schema.org", "@type": "WebSite", "name": facts.site_name, "url": facts.url,
            "inLanguage": LANGUAGE, "description": facts.description,
            "publisher": {"@type": "Organization", "name": organization.name, "url": organization.url}}


def _blog_posting(facts: PageFacts, organization: Organization) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": facts.title,
        "description": facts.description,
        "inLanguage": LANGUAGE,
        "mainEntityOfPage": {"@type": "WebPage", "@id": facts.url},
        "url": facts.url,
        "image": {"@type": "ImageObject", "url": facts.image,
                  **({"width": facts.image_size[0], "height": facts.image_size[1]} if facts.image_size else {})},
        "author": [{"@type": "Person", "name": author.name, "url": author.url} for author in facts.authors],
        "publisher": {"@type": "Organization", "name": organization.name, "url": organization.url,
                      "logo": {"@type": "ImageObject", "url": organization.logo}},
    }
    if facts.published:
        node["datePublished"] = facts.published.isoformat()
        node["dateModified"] = (facts.modified or facts.published).isoformat()
    if facts.tags:
        node["keywords"] = list(facts.tags)
    if facts.section:
        node["articleSection"] = facts.section
    return node


def _breadcrumbs(facts: PageFacts) -> dict[str, Any]:
    return {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": position, "name": name, "item": url}
        for position, (name, url) in enumerate(facts.breadcrumbs, start=1)]}


def meta_tags(facts: PageFacts) -> list[tuple[str, str, str]]:
    """(attribute, name, content) for Open Graph and Twitter tags; the template escapes every value."""
    is_article = facts.kind == "article"
    tags = [
        ("property", "og:type", "article" if is_article else "website"),
        ("property", "og:site_name", facts.site_name),
        ("property", "og:locale", SITE_LOCALE),
        ("property", "og:title", facts.title),
        ("property", "og:description", facts.description),
        ("property", "og:url", facts.url),
        ("property", "og:image", facts.image),
        *([("property", "og:image:width", str(facts.image_size[0])),
           ("property", "og:image:height", str(facts.image_size[1]))] if facts.image_size else []),
        ("property", "og:image:alt", facts.image_alt),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", facts.title),
        ("name", "twitter:description", facts.description),
        ("name", "twitter:image", facts.image),
        ("name", "twitter:image:alt", facts.image_alt),
    ]
    if is_article:
        if facts.published:
            tags.append(("property", "article:published_time", facts.published.isoformat()))
            tags.append(("property", "article:modified_time", (facts.modified or facts.published).isoformat()))
        tags += [("property", "article:author", author.url) for author in facts.authors]
        if facts.section:
            tags.append(("property", "article:section", facts.section))
        tags += [("property", "article:tag", tag) for tag in facts.tags]
    return tags


def robots_txt(site_url: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {site_url.rstrip('/')}/sitemap.xml\n"
