"""Calls to action: «Gratis konsultasjon – Book et møte» and «Nyhetsbrev» on articles and chosen pages.

Providers, URLs and the CSP rules live in ``hub/cta.py`` and ``hub/headers.py``
(pure, unit-tested). This hook validates ``extra.booking``, ``extra.newsletter``
and the consent entry before the build, puts the blocks a page asks for into
its context for ``overrides/partials/cta.html``, and writes the security
headers after the build.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from material.plugins.blog.structure import Post
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

from hub import cta, headers, site

NGINX_SNIPPET = "nginx-security-headers.conf"

log = logging.getLogger("mkdocs.hooks.cta")

# This build's validated settings; replaced in every on_config (`mkdocs serve` reuses the module).
_booking: cta.BookingSettings | None = None
_newsletter: cta.NewsletterSettings | None = None
_command = "build"


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this is a preview: only a published build must not point forms at this machine."""
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Validate the providers and the consent entry before anything is built."""
    global _booking, _newsletter
    try:
        inbox = cta.load_inbox(config.extra.get("inbox"))
        _booking = cta.load_booking(config.extra.get("booking"), inbox) if "booking" in config.extra else None
        _newsletter = (cta.load_newsletter(config.extra.get("newsletter"), inbox) if "newsletter" in config.extra
                       else None)
    except cta.SettingError as error:
        raise ConfigurationError(f"mkdocs.yml: extra.{error}") from None
    if _booking is not None and _booking.spec.embeddable:
        _check_consent(config.extra.get("consent"))
    _check_inbox_is_public(inbox, config)
    return config


def _check_inbox_is_public(inbox: str | None, config: MkDocsConfig) -> None:
    """A published site whose forms post to 127.0.0.1 would lose every submission: say so (strict fails)."""
    site_host = urlsplit(config.site_url or "").hostname or ""
    if _command != "serve" and inbox and urlsplit(inbox).hostname in cta.LOCAL_HOSTS \
            and site_host not in cta.LOCAL_HOSTS:
        log.warning("mkdocs.yml: extra.inbox is %s, the local preview's inbox, but site_url is %s. Readers' forms "
                    "would post to their own machine. Set HUB_INBOX_URL to the deployed inbox "
                    "(for example HUB_INBOX_URL=https://innboks.arcticsales.no make build).", inbox, config.site_url)


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Give articles both blocks (unless ``cta`` says otherwise), and pages the blocks their ``cta`` names."""
    record = site.articles().get(page.file.src_uri) if isinstance(page, Post) else None
    if record is not None:
        chosen = record.cta
    elif (value := page.meta.get("cta")) is None:
        return context
    elif problem := cta.check_front_matter(value):
        # A page's front matter is read by MkDocs as it renders the page; articles are checked beforehand.
        raise PluginError(f"{site.relative(config, page.file.abs_src_path)}: cta: {problem}")
    else:
        chosen = cta.blocks(value)
    slug = site.slug_of(page.url)
    context["cta"] = {
        "booking": _booking_context(chosen["booking"], slug, page.url, config) if "booking" in chosen and _booking
        else None,
        "newsletter": _newsletter_context(chosen["newsletter"], slug, page.url) if "newsletter" in chosen and _newsletter
        else None,
    }
    return context


# Run last: the headers hash the inline scripts of the finished pages.
@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """Write ``_headers`` (Netlify, Cloudflare Pages) and an nginx snippet with the same policy."""
    if _command == "serve":
        return  # the preview server sends no such headers; hashing every page would slow each save
    site = Path(config.site_dir)
    pages = (path.read_text(encoding="utf-8") for path in site.rglob("*.html"))
    policy = headers.content_security_policy(_booking, _newsletter, headers.inline_script_hashes(pages))
    (site / "_headers").write_text(headers.headers_file(policy), encoding="utf-8")
    (site / NGINX_SNIPPET).write_text(headers.nginx_snippet(policy), encoding="utf-8")


# -----------------------------------------------------------------------------


def _check_consent(consent: Any) -> None:
    cookies = consent.get("cookies") if isinstance(consent, dict) else None
    entry = cookies.get("booking") if isinstance(cookies, dict) else None
    if not isinstance(entry, dict) or not entry.get("name"):
        raise ConfigurationError("mkdocs.yml: extra.consent.cookies.booking: is missing; an embedded booking "
                                 "calendar needs a consent entry with a Norwegian name and checked: false")
    if entry.get("checked") is not False:
        raise ConfigurationError("mkdocs.yml: extra.consent.cookies.booking.checked: must be false, so the "
                                 "booking calendar is never pre-ticked")


def _booking_context(texts: dict[str, str], slug: str, page_path: str, config: MkDocsConfig) -> dict[str, Any]:
    assert _booking is not None
    site_host = urlsplit(config.site_url or "").hostname or ""
    return {
        **texts,
        "provider": _booking.provider,
        "label": _booking.spec.label,
        "embed": _booking.spec.embeddable,
        "page_url": _booking.page_url(slug),
        "embed_url": _booking.embed_url(slug, site_host) if _booking.spec.embeddable else None,
        "action": _booking.url,
        "slug": slug,
        "page": page_path,
    }


def _newsletter_context(texts: dict[str, str], slug: str, page_path: str) -> dict[str, Any]:
    assert _newsletter is not None
    spec = _newsletter.spec
    return {
        **texts,
        "provider": _newsletter.provider,
        "action": _newsletter.url,
        "email_field": spec.email_field,
        "source_field": spec.source_field,
        "hidden": spec.hidden,
        "honeypot": _newsletter.honeypot,
        # Our own endpoints answer the script with JSON; a provider's form is posted normally.
        "scripted": _newsletter.scripted,
        "success": _newsletter.success_message,
        "slug": slug,
        "page": page_path,
    }
