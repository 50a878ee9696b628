"""Calls to action: booking and newsletter providers, their URLs, fields and hosts. No MkDocs imports.

Every provider is data: the hosts its URLs may live on, how its embed URL is
made, whether it keeps UTM parameters, and (for newsletters) the real field
names and bot trap of its embedded forms. The hook declares ``extra.inbox``,
``extra.booking`` and ``extra.newsletter`` as ``mkdocs.config.base.Config``
schemas whose options call the checks below (each raises ValueError with the
message for the key), and the Content-Security-Policy is derived from the
same hosts. Our own forms' fields are declared in ``hub/forms.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from hub import forms
from hub.messages import say
from hub.forms import LOCAL_HOSTS


# -----------------------------------------------------------------------------
# Providers
# -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A booking provider: where its pages live and how they are embedded."""

    label: str
    hosts: tuple[str, ...]          # a host, or ".example.com" for any subdomain
    example: str
    utm: bool                       # the provider keeps utm_* parameters on the booking
    embed_params: tuple[tuple[str, str], ...] = ()  # added to the iframe URL only
    embeddable: bool = True         # False: a plain HTML form instead of an iframe
    path_check: Callable[[str], str | None] = lambda path: None


@dataclass(frozen=True)
class Newsletter:
    """A newsletter provider's embedded form: action URL, field names and bot trap."""

    label: str
    hosts: tuple[str, ...]
    example: str
    email_field: str
    source_field: str                               # carries the article slug
    hidden: tuple[tuple[str, str], ...] = ()        # fixed hidden fields the provider expects
    honeypot: Callable[[str], str] = lambda url: forms.HONEYPOT  # bot trap field name, from the action URL
    path_check: Callable[[str], str | None] = lambda path: None


def _mailchimp_honeypot(url: str) -> str:
    query = parse_qs(urlsplit(url).query)
    return f"b_{query['u'][0]}_{query['id'][0]}"


def _mailchimp_path(url: str) -> str | None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.path.rstrip("/") != "/subscribe/post" or "u" not in query or "id" not in query:
        return say("settings.mailchimp")
    return None


def _path_prefix(prefix: str, example: str) -> Callable[[str], str | None]:
    def check(url: str) -> str | None:
        return None if urlsplit(url).path.startswith(prefix) else say("settings.url_shape", example=example)
    return check


BOOKING: dict[str, Booking] = {
    "calendly": Booking("Calendly", ("calendly.com",), "https://calendly.com/navn/gratis-konsultasjon", utm=True,
                        embed_params=(("embed_type", "Inline"), ("hide_gdpr_banner", "1"))),
    "calcom": Booking("Cal.com", ("cal.com", "app.cal.com", "cal.eu"), "https://cal.com/navn/30min", utm=True,
                      embed_params=(("embed", "true"),)),
    "hubspot": Booking("HubSpot Meetings", ("meetings.hubspot.com", "meetings-eu1.hubspot.com"),
                       "https://meetings-eu1.hubspot.com/navn", utm=True, embed_params=(("embed", "true"),)),
    "microsoft": Booking("Microsoft Bookings", ("outlook.office365.com", "outlook.office.com", "book.ms"),
                         "https://outlook.office365.com/owa/calendar/Navn@firma.no/bookings/", utm=False),
    "google": Booking("Google Kalender", ("calendar.google.com", "calendar.app.google"),
                      "https://calendar.google.com/calendar/appointments/schedules/ID", utm=False,
                      embed_params=(("gv", "true"),)),
    "form": Booking("Skjema", (), "https://skjema.example.no/booking", utm=False, embeddable=False),
    # Our own lead inbox (the inbox/ package): the address comes from extra.inbox.
    "inbox": Booking("Egen innboks", (), "http://127.0.0.1:8001", utm=False, embeddable=False),
}

NEWSLETTER: dict[str, Newsletter] = {
    "mailchimp": Newsletter("Mailchimp", (".list-manage.com",), "https://us21.list-manage.com/subscribe/post?u=…&id=…",
                            email_field="EMAIL", source_field="SOURCE", honeypot=_mailchimp_honeypot,
                            path_check=_mailchimp_path),
    "brevo": Newsletter("Brevo", (".sibforms.com",), "https://abc123.sibforms.com/serve/MUIF…",
                        email_field="EMAIL", source_field="SOURCE", hidden=(("locale", "no"), ("html_type", "simple")),
                        honeypot=lambda url: "email_address_check",
                        path_check=_path_prefix("/serve/", "https://abc123.sibforms.com/serve/MUIF…")),
    "mailerlite": Newsletter("MailerLite", ("assets.mailerlite.com",),
                             "https://assets.mailerlite.com/jsonp/123456/forms/987654321/subscribe",
                             email_field="fields[email]", source_field="fields[source]",
                             hidden=(("ml-submit", "1"), ("anticsrf", "true")),
                             path_check=_path_prefix("/jsonp/", "https://assets.mailerlite.com/jsonp/<konto>/forms/<id>/subscribe")),
    "kit": Newsletter("Kit", ("app.kit.com", "app.convertkit.com"), "https://app.kit.com/forms/1234567/subscriptions",
                      email_field="email_address", source_field="fields[source]",
                      path_check=_path_prefix("/forms/", "https://app.kit.com/forms/<id>/subscriptions")),
    "buttondown": Newsletter("Buttondown", ("buttondown.com", "buttondown.email"),
                             "https://buttondown.com/api/emails/embed-subscribe/navn",
                             email_field="email", source_field="tag", hidden=(("embed", "1"),),
                             path_check=_path_prefix("/api/emails/embed-subscribe/",
                                                     "https://buttondown.com/api/emails/embed-subscribe/<navn>")),
    "generic": Newsletter("Eget endepunkt", (), "https://skjema.example.no/nyhetsbrev",
                          email_field="email", source_field="article"),
    "inbox": Newsletter("Egen innboks", (), "http://127.0.0.1:8001", email_field="email", source_field="article"),
}

# Providers whose endpoint is ours: it answers the site's script with JSON and keeps a form token.
SCRIPTED = frozenset({"generic", "inbox"})


# -----------------------------------------------------------------------------
# Settings
# -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Utm:
    source: str = "arcticsales.no"
    medium: str = "artikkel"
    campaign: str = "gratis-konsultasjon"


@dataclass(frozen=True)
class BookingSettings:
    provider: str
    url: str
    utm: Utm = field(default_factory=Utm)

    @property
    def spec(self) -> Booking:
        return BOOKING[self.provider]

    def page_url(self, slug: str | None) -> str:
        """The provider's booking page, with UTM parameters naming the article where supported."""
        if not self.spec.utm:
            return self.url
        params = {"utm_source": self.utm.source, "utm_medium": self.utm.medium, "utm_campaign": self.utm.campaign}
        if slug:
            params["utm_content"] = slug
        return _with_params(self.url, params)

    def embed_url(self, slug: str | None, site_host: str) -> str:
        """The iframe URL: the booking page plus the provider's embed parameters."""
        params = dict(self.spec.embed_params)
        if self.provider == "calendly" and site_host:
            params["embed_domain"] = site_host
        return _with_params(self.page_url(slug), params)


@dataclass(frozen=True)
class NewsletterSettings:
    provider: str
    url: str
    double_opt_in: bool = True

    @property
    def spec(self) -> Newsletter:
        return NEWSLETTER[self.provider]

    @property
    def honeypot(self) -> str:
        return self.spec.honeypot(self.url)

    @property
    def scripted(self) -> bool:
        return self.provider in SCRIPTED

    @property
    def success_message(self) -> str:
        return forms.NEWSLETTER.success if self.double_opt_in else forms.WELCOME


def slot_urls(booking: BookingSettings, slug: str | None, page_path: str) -> dict[str, str]:
    """Provider inbox (issue 20): its free times as JSON, and its slot page carrying the article for attribution."""
    inbox = booking.url[: -len(forms.BOOKING.path)]
    kept = {key: value for key, value in (("article", slug or ""), ("page", page_path)) if value}
    return {"json": inbox + forms.SLOTS_JSON_PATH, "page": _with_params(inbox + forms.SLOTS_PAGE_PATH, kept)}


def _with_params(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def check_url(url: object, hosts: tuple[str, ...], provider: str) -> str:
    """An https URL on one of *hosts* (any host when empty); http only for this machine's names."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError(say("settings.url_missing"))
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:  # an unclosed [ in the host
        raise ValueError(f"{url!r} kan ikke leses som en adresse; skriv hele https://-adressen") from None
    scheme = parts.scheme.lower()
    if scheme in {"javascript", "data", "vbscript", "file"}:
        raise ValueError(say("settings.url_scheme", url=repr(url), scheme=scheme))
    if scheme == "http" and host in LOCAL_HOSTS:
        return url
    if scheme != "https" or not host:
        raise ValueError(say("settings.url_not_https", url=repr(url)))
    if parts.username or parts.password:
        raise ValueError(say("settings.url_credentials", url=repr(url)))
    if hosts and not any(host == allowed or (allowed.startswith(".") and host.endswith(allowed))
                         for allowed in hosts):
        wanted = ", ".join(allowed.lstrip(".") for allowed in hosts)
        raise ValueError(say("settings.url_host", url=repr(url), host=repr(host), provider=provider, wanted=wanted))
    return url


def check_provider(value: object, registry: Mapping[str, object]) -> str:
    """A provider's name from *registry*."""
    if not isinstance(value, str) or value not in registry:
        raise ValueError(say("settings.provider", value=repr(value), choices=", ".join(registry)))
    return value


def check_provider_url(provider: str, url: object, registry: Mapping[str, Booking | Newsletter]) -> str | None:
    """The provider's address, checked against its hosts and path; None for our inbox, which has none of its own."""
    if provider == "inbox":
        if url is not None:
            raise ValueError(say("settings.inbox_has_no_url"))
        return None
    spec = registry[provider]
    url = check_url(url, spec.hosts, spec.label)
    if problem := spec.path_check(url):
        raise ValueError(f"{url!r} {problem}")
    return url


def inbox_url(block: str, inbox: str | None) -> str:
    """Where *block*'s form posts with provider inbox: the inbox's address and the form's path."""
    if inbox is None:
        raise ValueError(say("settings.inbox_missing", block=block))
    return inbox.rstrip("/") + forms.FORMS[block].path


# -----------------------------------------------------------------------------
# Front matter: `cta:` chooses the blocks and may change their heading and pitch
# -----------------------------------------------------------------------------

BLOCKS = ("booking", "newsletter")
TEXTS = ("heading", "pitch")
DEFAULT_TEXTS = {
    "booking": {
        "heading": forms.BOOKING.heading,
        "pitch": "Vil du ha en ærlig vurdering av salgsteamet ditt? På 30 minutter får du to–tre konkrete "
                 "forslag du kan bruke med en gang, uten forpliktelser.",
    },
    "newsletter": {
        "heading": forms.NEWSLETTER.heading,
        "pitch": "Én e-post i måneden med nye artikler om salgsledelse og et verktøy du kan bruke i neste "
                 "teammøte. Du kan melde deg av når som helst.",
    },
}


def check_front_matter(value: object) -> str | None:
    """Why a ``cta`` value is wrong, or None: false, true, or {booking/newsletter: bool or {heading, pitch}}."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, dict):
        return say("check.cta")
    for name, setting in value.items():
        if name not in BLOCKS:
            return say("check.cta_block", name=repr(name))
        if isinstance(setting, bool):
            continue
        if not isinstance(setting, dict):
            return say("check.cta_setting", name=name)
        for text_key, text in setting.items():
            if text_key not in TEXTS:
                return say("check.cta_text_key", name=name, key=text_key)
            if not isinstance(text, str) or not text.strip():
                return say("check.cta_text", name=name, key=text_key)
    return None


def blocks(value: object, default: tuple[str, ...] = BLOCKS) -> dict[str, dict[str, str]]:
    """The blocks a page shows, each with its heading and pitch; *default* when ``cta`` is absent or true."""
    if value is False:
        return {}
    chosen = dict.fromkeys(default, True) if value in (None, True) else dict(value)
    return {name: {**DEFAULT_TEXTS[name], **(setting if isinstance(setting, dict) else {})}
            for name, setting in ((name, chosen.get(name, False)) for name in BLOCKS) if setting}
