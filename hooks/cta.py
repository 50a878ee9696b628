"""Calls to action: «Gratis konsultasjon – Book et møte» and «Nyhetsbrev» on articles and chosen pages.

Providers, URLs and the CSP rules live in ``hub/cta.py`` and ``hub/headers.py``,
our own forms' fields in ``hub/forms.py`` (pure, unit-tested). This hook
declares ``extra.inbox``, ``extra.booking`` and ``extra.newsletter`` as
``Config`` schemas and validates them and the consent entry before the build,
puts the blocks a page asks for into its context for
``overrides/partials/cta.html``, and writes the security headers after the
build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from material.plugins.blog.structure import Post
from mkdocs.config import base
from mkdocs.config.base import ValidationError
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

from hub import cta, forms, headers, messages, site
from hub.messages import say

NGINX_SNIPPET = "nginx-security-headers.conf"

log = logging.getLogger("mkdocs.hooks.cta")

# -----------------------------------------------------------------------------
# Settings: extra.inbox, extra.booking and extra.newsletter in mkdocs.yml
# -----------------------------------------------------------------------------

Checked = TypeVar("Checked")


def _checked(check: Callable[..., Checked], *args: Any) -> Checked:
    """A pure check from hub/cta.py, its ValueError turned into the option's ValidationError."""
    try:
        return check(*args)
    except ValueError as error:
        raise ValidationError(str(error)) from None


class _Provider(base.BaseConfigOption[str]):
    """A provider's name; the error lists every choice."""

    def __init__(self, registry: Mapping[str, object]) -> None:
        super().__init__()
        self.registry = registry

    def run_validation(self, value: object) -> str:
        return _checked(cta.check_provider, value, self.registry)


class _ProviderUrl(base.BaseConfigOption[str | None]):
    """The provider's address, checked against its hosts once the provider is known."""

    def __init__(self, registry: Mapping[str, Any]) -> None:
        super().__init__()
        self.registry = registry

    def post_validation(self, config: base.Config, key_name: str) -> None:
        config[key_name] = _checked(cta.check_provider_url, config["provider"], config[key_name], self.registry)


class _Text(base.BaseConfigOption[str]):
    """A non-empty text."""

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(say("settings.text"))
        return value


class _Switch(base.BaseConfigOption[bool]):
    """true or false, and nothing YAML might mean by "ja"."""

    def __init__(self, default: bool) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(say("settings.bool", value=repr(value)))
        return value


class _DoubleOptIn(_Switch):
    def post_validation(self, config: base.Config, key_name: str) -> None:
        if config["provider"] == "inbox" and not config[key_name]:
            raise ValidationError(say("settings.double_opt_in"))


class _InboxUrl(base.BaseConfigOption[str | None]):
    """The inbox's address without a trailing slash, or None when not set."""

    def run_validation(self, value: object) -> str | None:
        return None if value is None else _checked(cta.check_url, value, (), "the inbox").rstrip("/")


class _Section(base.BaseConfigOption[Any]):
    """A mapping with a schema of its own; its errors and warnings name the whole key (booking.utm.source)."""

    def __init__(self, schema: type[base.Config], key: str, default: Any = None) -> None:
        super().__init__()
        self.schema, self.key = schema, key
        self.default = default

    def run_validation(self, value: object) -> base.Config | None:
        return None if value is None else _validated(self.schema, value, self.key)


class UtmConfig(base.Config):
    """``extra.booking.utm``: how a booking is attributed in the provider's statistics."""

    # utm_source on every booking link: who sent the visitor. Any non-empty text; default arcticsales.no.
    source = _Text(cta.Utm.source)
    # utm_medium: the kind of link. Any non-empty text; default artikkel.
    medium = _Text(cta.Utm.medium)
    # utm_campaign: the offer. Any non-empty text; default gratis-konsultasjon.
    campaign = _Text(cta.Utm.campaign)
    # (utm_content is always the article's slug.) Only calendly, calcom and hubspot keep these parameters.


class BookingConfig(base.Config):
    """``extra.booking``: «Gratis konsultasjon – Book et møte»."""

    # Who takes the booking: inbox (our lead inbox at extra.inbox), form (our own form posted to url), or an
    # embedded calendar: calendly, calcom, hubspot, microsoft, google (loaded only after a click or consent; it
    # then needs extra.consent.cookies.booking with checked: false). Required; no default.
    provider = _Provider(cta.BOOKING)
    # The provider's booking page, or the form's action: https:// on the provider's own hosts (http:// only
    # for localhost, 127.0.0.1 and ::1). Required, except with provider inbox, where it must be left out.
    url = _ProviderUrl(cta.BOOKING)
    # UTM parameters on the booking link (UtmConfig). Default: each of its defaults.
    utm = _Section(UtmConfig, "booking.utm", default={})


class NewsletterConfig(base.Config):
    """``extra.newsletter``: «Nyhetsbrev»."""

    # Who keeps the list: inbox (our own, with double opt-in by email), mailchimp, brevo, mailerlite, kit,
    # buttondown, or generic (an endpoint of ours answering JSON). Required; no default.
    provider = _Provider(cta.NEWSLETTER)
    # The provider's form action, from its embed code: https:// on its own hosts and path. Required, except
    # with provider inbox, where it must be left out.
    url = _ProviderUrl(cta.NEWSLETTER)
    # true: the provider mails a confirmation link first, and the form says «Sjekk innboksen din for å
    # bekrefte»; false: it says «Velkommen som abonnent!». Default true; the inbox always confirms.
    double_opt_in = _DoubleOptIn(True)


class CtaConfig(base.Config):
    """The calls to action's keys of ``extra`` in mkdocs.yml (the rest of ``extra`` belongs to others)."""

    # The lead inbox (python -m inbox) that provider inbox posts to: https://…, or http://127.0.0.1:8001 for
    # the preview. No default; mkdocs.yml reads it from HUB_INBOX_URL.
    inbox = _InboxUrl()
    # The booking block (BookingConfig). Default: none, so no page shows a booking block.
    booking = _Section(BookingConfig, "booking")
    # The newsletter block (NewsletterConfig). Default: none, so no page shows a newsletter block.
    newsletter = _Section(NewsletterConfig, "newsletter")


class Settings(NamedTuple):
    """This build's calls to action, validated."""

    inbox: str | None
    booking: cta.BookingSettings | None
    newsletter: cta.NewsletterSettings | None


def load_settings(extra: Mapping[str, Any]) -> Settings:
    """``extra`` → the validated settings; ConfigurationError (one line, naming file and key) otherwise."""
    config = _validated(CtaConfig, {key: extra[key] for key, _ in base.get_schema(CtaConfig) if key in extra}, "")
    inbox, booking, newsletter = config.inbox, config.booking, config.newsletter
    return Settings(
        inbox,
        None if booking is None else cta.BookingSettings(booking.provider, _resolve_url("booking", booking, inbox),
                                                         _utm(booking.utm)),
        None if newsletter is None else cta.NewsletterSettings(newsletter.provider,
                                                               _resolve_url("newsletter", newsletter, inbox),
                                                               newsletter.double_opt_in),
    )


def _utm(config: base.Config) -> cta.Utm:
    return cta.Utm(config.source, config.medium, config.campaign)


def _resolve_url(block: str, config: base.Config, inbox: str | None) -> str:
    if config.provider != "inbox":
        return config.url
    try:
        return cta.inbox_url(block, inbox)
    except ValueError as error:
        raise ConfigurationError(f"{site.where(_config_file, 'extra.inbox')}: {error}") from None


def _validated(schema: type[base.Config], raw: object, key: str) -> Any:
    """*raw* checked against *schema*: unknown keys are warnings (strict fails), the first error aborts."""
    prefix = f"extra.{key}." if key else "extra."
    names = [name for name, _ in base.get_schema(schema)]
    if not isinstance(raw, dict):
        raise ConfigurationError(f"{site.where(_config_file, prefix[:-1])}: må ha nøklene {', '.join(names)} på "
                                 "innrykkede linjer")
    config = schema()
    config.load_dict(raw)
    errors, warnings = config.validate()
    for name, warning in warnings:
        if name not in names:
            warning = f"er ikke en kjent innstilling og blir ikke brukt; bruk {', '.join(names)}"
        log.warning(f"{site.where(_config_file, prefix + name)}: {messages.config_warning(warning)}")
    if errors:
        name, error = errors[0]
        raise ConfigurationError(f"{site.where(_config_file, prefix + name)}: {messages.config_error(error)}")
    return config


# This build's validated settings; replaced in every on_config (`mkdocs serve` reuses the module).
_config_file = ""  # mkdocs.yml, for the line a message names
_booking: cta.BookingSettings | None = None
_newsletter: cta.NewsletterSettings | None = None
_command = "build"
_inbox: str | None = None  # extra.inbox, validated: page views are counted there (hooks/stats.py)


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this is a preview: only a published build must not point forms at this machine."""
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Validate the providers and the consent entry before anything is built."""
    global _booking, _newsletter, _config_file, _inbox
    _booking = _newsletter = None
    _config_file = config.config_file_path or "mkdocs.yml"
    inbox, _booking, _newsletter = load_settings(config.extra)
    _inbox = inbox
    if _booking is not None and _booking.spec.embeddable:
        _check_consent(config.extra.get("consent"))
    _check_inbox_is_public(inbox, config)
    return config


def _check_inbox_is_public(inbox: str | None, config: MkDocsConfig) -> None:
    """A published site whose forms post to 127.0.0.1 would lose every submission: say so (strict fails)."""
    site_host = urlsplit(config.site_url or "").hostname or ""
    if _command != "serve" and inbox and urlsplit(inbox).hostname in forms.LOCAL_HOSTS \
            and site_host not in forms.LOCAL_HOSTS:
        log.warning("mkdocs.yml: extra.inbox: %s er forhåndsvisningens innboks, men site_url er %s, så lesernes "
                    "skjemaer ville blitt sendt til deres egen maskin. Sett HUB_INBOX_URL til den publiserte "
                    "innboksen (for eksempel HUB_INBOX_URL=https://innboks.arcticsales.no make build), eller kjør "
                    "make preview-build for å se det bygde nettstedet lokalt.", inbox, config.site_url)


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
    # The inbox also counts page views (hooks/stats.py): its origin is in connect-src whenever it is set.
    counters = [forms.origin(_inbox)] if _inbox else []
    policy = headers.content_security_policy(_booking, _newsletter, headers.inline_script_hashes(pages), counters)
    (site / "_headers").write_text(headers.headers_file(policy), encoding="utf-8")
    (site / NGINX_SNIPPET).write_text(headers.nginx_snippet(policy), encoding="utf-8")


# -----------------------------------------------------------------------------


def _check_consent(consent: Any) -> None:
    cookies = consent.get("cookies") if isinstance(consent, dict) else None
    entry = cookies.get("booking") if isinstance(cookies, dict) else None
    if not isinstance(entry, dict) or not entry.get("name"):
        raise ConfigurationError(f"{site.where(_config_file, 'extra.consent.cookies.booking')}: "
                                 f"{say('settings.consent_missing')}")
    if entry.get("checked") is not False:
        raise ConfigurationError(f"{site.where(_config_file, 'extra.consent.cookies.booking.checked')}: "
                                 f"{say('settings.consent_checked')}")


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
        "form": forms.BOOKING,
        "filled": _hidden_values(slug, page_path),  # not "values": Jinja would find dict.values
        # issue 20: our inbox's free times, fetched by cta.js; without script, a link to its slot page
        "slots": cta.slot_urls(_booking, slug, page_path) if _booking.provider == "inbox" else None,
        "slot_texts": forms.SLOTS_TEXTS,
    }


def _newsletter_context(texts: dict[str, str], slug: str, page_path: str) -> dict[str, Any]:
    assert _newsletter is not None
    spec = _newsletter.spec
    return {
        **texts,
        "provider": _newsletter.provider,
        "action": _newsletter.url,
        "form": forms.NEWSLETTER,
        "filled": _hidden_values(slug, page_path),  # not "values": Jinja would find dict.values
        # The provider's own names for our fields; only our own endpoints take the page and a form token.
        "names": {"email": spec.email_field, "article": spec.source_field,
                  **({} if _newsletter.scripted else {"page": None, "form_token": None})},
        "hidden": spec.hidden,
        "honeypot": _newsletter.honeypot,
        # Our own endpoints answer the script with JSON; a provider's form is posted normally.
        "scripted": _newsletter.scripted,
        "success": _newsletter.success_message,
    }


def _hidden_values(slug: str, page_path: str) -> dict[str, str]:
    """What the hidden fields carry: the article, the page it came from, and a token cta.js fills in."""
    return {"article": slug, "page": page_path, "form_token": ""}
