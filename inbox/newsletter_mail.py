"""The newsletter's mail: the site's articles from its JSON feed, and issues, tests and welcomes composed.

Articles come from the site's ``feed_json_created.json`` (the rss plugin; :mod:`inbox.titles` reads
the same file), from ``--site-url``: the deployed site in production, the preview's
``http://127.0.0.1:8000/`` under ``make serve``. Titles and summaries are data from another system,
HTML text in the feed: they are made plain text here (:func:`inbox.titles.plain`) and escaped again by
the HTML template (autoescaped); no feed text reaches a header.

A mail is multipart/alternative: plain text, then HTML whose CSS ``css-inline`` puts into style
attributes (mail programs drop ``<style>``). Every link in it carries ``utm_source=nyhetsbrev``,
``utm_medium=epost`` and ``utm_campaign`` (the issue's); there are no images, so nothing is tracked.
Each recipient's mail has a personal unsubscribe link and ``List-Unsubscribe`` with
``List-Unsubscribe-Post`` (RFC 8058). The subject, which staff write, is checked like the inbox's own
header text (:func:`inbox.mail._safe`) and encoded by Python's email package; the composed mail is
parsed again and must have exactly the intended headers and parts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from email import message_from_string, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import css_inline
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hub.slug import slugify

from . import mail, titles
from .mail import MAX_LINE, UnsafeHeader

FEED = titles.FEED
FRESH = 60.0        # seconds a read feed is reused by the staff page and the pump
LONGEST_SUMMARY = 400
LONGEST_SUBJECT = 150
WELCOME_ARTICLES = 3
WELCOME_CAMPAIGN = "velkommen"
UTM = {"utm_source": "nyhetsbrev", "utm_medium": "epost"}

_templates = Environment(loader=PackageLoader("inbox", "templates/mail"), undefined=StrictUndefined,
                         autoescape=select_autoescape(["html"], default_for_string=False), keep_trailing_newline=True,
                         trim_blocks=True, lstrip_blocks=True)
_inliner = css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


@dataclass(frozen=True)
class Article:
    """One article as the feed has it, in plain text."""

    url: str
    title: str
    summary: str
    published: str  # ISO 8601, as the feed writes it

    @property
    def moment(self) -> dt.datetime | None:
        try:
            moment = dt.datetime.fromisoformat(self.published)
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def read_feed(site_url: str, get: titles.Fetch = titles.fetch) -> list[Article]:
    """The site's articles, newest first; raises when the feed cannot be read or is not a JSON feed."""
    data = json.loads(get(urljoin(site_url, FEED)))
    site = urlsplit(site_url)
    articles = []
    for item in data["items"]:
        url, title = item.get("url"), item.get("title")
        if not isinstance(url, str) or not isinstance(title, str):
            continue
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.netloc != site.netloc:  # links to the site only
            continue
        summary = item.get("summary") or ""
        articles.append(Article(url=url, title=titles.plain(title),
                                summary=_shorten(titles.plain(summary) if isinstance(summary, str) else ""),
                                published=str(item.get("date_published") or "")))
    return sorted(articles, key=lambda a: (a.moment or dt.datetime.min.replace(tzinfo=dt.timezone.utc), a.url),
                  reverse=True)


def _shorten(text: str) -> str:
    return text if len(text) <= LONGEST_SUMMARY else text[:LONGEST_SUMMARY - 1].rstrip() + "…"


class Feed:
    """The articles, reused for FRESH seconds; one per inbox process."""

    def __init__(self, site_url: str, get: titles.Fetch = titles.fetch) -> None:
        self.site_url, self.get = site_url, get
        self.articles: list[Article] = []
        self.read_at = -FRESH
        self.failed_at = -titles.RETRY

    def read(self) -> list[Article]:
        """Blocking (run it in a thread); raises when the site cannot be read and nothing fresh is held.

        After a failure the site is asked again only RETRY seconds later (meanwhile it raises at once), so
        a site that is down costs the pump one timeout a minute, not one a round."""
        if time.monotonic() - self.read_at >= FRESH:
            if time.monotonic() - self.failed_at < titles.RETRY:
                raise OSError("the feed failed moments ago")
            try:
                self.articles = read_feed(self.site_url, self.get)
            except Exception:
                self.failed_at = time.monotonic()
                raise
            self.read_at = time.monotonic()
        return self.articles


def article_rows(articles: Sequence[Article]) -> list[dict[str, str]]:
    return [asdict(article) for article in articles]


def campaign(subject: str, now: dt.datetime) -> str:
    """utm_campaign of an issue: its month and subject, e.g. ``2026-12-nytt-om-salgsledelse``."""
    return f"{now:%Y-%m}-{slugify(subject)[:40].rstrip('-')}".rstrip("-")


def check_subject(subject: str) -> str:
    """A subject staff wrote, or UnsafeHeader: one printable line, no encoded-word marker, not too long."""
    subject = mail._safe(subject.strip(), "subject")
    if not subject or len(subject) > LONGEST_SUBJECT:
        raise UnsafeHeader("subject: empty or too long")
    return subject


def tracked(url: str, campaign_name: str) -> str:
    """*url* with the UTM tags (replacing any it had), so a visit can be traced to the issue."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if not key.startswith("utm_")]
    query += [*UTM.items(), ("utm_campaign", campaign_name)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def compose(sender: str, recipient: str, subject: str, *, now: dt.datetime, campaign_name: str, intro: str,
            articles: Sequence[Mapping[str, str]], site_url: str, unsubscribe_url: str, kind: str = "issue",
            month: str = "") -> str:
    """One recipient's mail (kind «issue», «test», «welcome» or «digest»), as text for the outbox."""
    context = {
        "kind": kind, "month": month, "intro_paragraphs": [part.strip() for part in re.split(r"\n\s*\n", intro)
                                                           if part.strip()],
        "articles": [{**article, "link": tracked(article["url"], campaign_name)} for article in articles],
        "site": tracked(site_url, campaign_name), "articles_page": tracked(urljoin(site_url, "artikler/"), campaign_name),
        "unsubscribe": tracked(unsubscribe_url, campaign_name), "subject": subject,
    }
    plain = _templates.get_template("newsletter.txt").render(**context)
    html = _inliner.inline(_templates.get_template("newsletter.html").render(**context))
    name, from_address = parseaddr(sender)
    intended = {
        "From": mail._address(from_address, mail._safe(name, "display name")),
        "To": mail._address(recipient),
        "Subject": check_subject(subject),
        "Date": format_datetime(now),
        "Message-ID": make_msgid(domain=mail._address(from_address).rpartition("@")[2]),
    }
    if not mail._URL.fullmatch(unsubscribe_url):
        raise UnsafeHeader("List-Unsubscribe: not a plain http(s) link")
    intended["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    intended["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(policy=policy.SMTP)
    for header, value in intended.items():
        message[header] = value
    message.set_content(plain, charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    text = message.as_string(policy=mail._ONE_LINE)
    _check(text, intended)
    return text


def _check(text: str, intended: Mapping[str, str]) -> None:
    """The composed mail parsed again: the intended headers, one line each, a text and an HTML part."""
    if not text.isascii():
        raise UnsafeHeader("the composed mail is not ASCII")
    head, separator, _ = text.partition("\r\n\r\n")
    if not separator or any(len(line) > MAX_LINE or not line or line[0] in " \t" for line in head.split("\r\n")):
        raise UnsafeHeader("a header line is folded, empty or longer than 998 octets")
    parsed = message_from_string(text, policy=policy.compat32)
    if parsed.keys() != [*intended, "MIME-Version", "Content-Type"] or parsed.get_content_type() != \
            "multipart/alternative":
        raise UnsafeHeader(f"the composed mail has the headers {parsed.keys()}")
    if [part.get_content_type() for part in parsed.get_payload()] != ["text/plain", "text/html"]:
        raise UnsafeHeader("the composed mail lacks its text or HTML part")
    for header, value in intended.items():
        raw = parsed[header]
        shown = str(make_header(decode_header(raw))) if header in {"From", "Subject"} else raw
        if shown != value:
            raise UnsafeHeader(f"{header} came out as something else")


def preview_html(**context: Any) -> str:
    """The HTML part as a recipient sees it (the staff's preview)."""
    message = message_from_string(compose(**context), policy=policy.default)
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def preview_text(**context: Any) -> str:
    message = message_from_string(compose(**context), policy=policy.default)
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
