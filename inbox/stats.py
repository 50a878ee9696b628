"""Cookie-free statistics: page views as daily totals, and the staff report from a view to a booking.

Counting. The site's ``assets/javascripts/stats.js`` posts one beacon per page
view, once the page is visible, to ``POST /hit`` (form fields ``p`` the path,
``r`` the referring site's host name, ``s``/``c`` the ``utm_source`` and
``utm_campaign`` of the address). The site's Referrer-Policy hides the path
from us, so it comes in the body. What is stored is three tables of daily
totals (Norwegian days): views per path, per referring host, per UTM source
and campaign. No IP address, user agent, cookie, identifier or time of day is
stored; nothing is written on the reader's device. The hit passes the same
guards as the forms: the site's ``Origin`` only, the body limit, and a rate
limit per client (``--hit-rate-limit``, counted like the form limit under a
keyed hash that the limit table forgets after a minute). Not counted, and not
even rate-limited, so nothing at all is written: a request with
``Sec-GPC: 1`` (Global Privacy Control), a known bot's user agent
(``crawler-user-agents``, the list maintained by Martin Monperrus, plus an
empty user agent), a prefetch. Values that could carry an email address
(``@`` in a path or UTM value) are not stored.

Reporting. ``/staff/statistikk`` joins the views with the leads (each has its
article's slug and page path) and the confirmed subscribers (their article's
slug) for a period; the articles' categories come from the built site's
``artikler.json`` (written by ``hooks/stats.py``), read like the titles in
:mod:`inbox.titles`, so the inbox needs no copy of ``docs/``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import math
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import crawleruseragents
from sqlalchemy import Column, Date, DateTime, Engine, Integer, String, Table, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from hub.stats import CATALOGUE, HIT_PATH

from . import export, limits, messages, store, titles
from .core import Inbox, TooLarge, TooSlow, current, now, read_form, sent_origin
from .export import OSLO
from .staff import staff_page

log = logging.getLogger("inbox.stats")

HIT_BODY = 2048          # bytes a hit may have (and never more than --max-body); larger gets 413
HIT_WINDOW = limits.FORM_WINDOW  # --hit-rate-limit hits per client in this window
LONGEST_PATH = 300       # characters of a path (as leads.page); longer ones are not counted
LONGEST_HOST = 100       # characters of a referring host name kept
LONGEST_UTM = 100        # characters of a UTM source or campaign kept
LONGEST_UA = 512         # characters of a user agent looked at for bots
LONGEST_RANGE = 400      # days a chosen period may span
PERIODS = (7, 30, 90)    # the quick choices, in days; 30 is the default
DEFAULT_PERIOD = 30
FORM = "application/x-www-form-urlencoded"  # what sendBeacon sends for URLSearchParams: no CORS preflight

# -----------------------------------------------------------------------------
# Tables: daily totals only. The primary keys start with the day, so a period is one range of the key;
# on SQLite the rows are stored in key order (WITHOUT ROWID), so a period is read in one sweep.
# -----------------------------------------------------------------------------

views = Table(
    "stats_views", store.metadata,
    Column("day", Date, primary_key=True),
    Column("path", String(LONGEST_PATH), primary_key=True),  # relative to the site, as leads.page: artikler/x/
    Column("views", Integer, nullable=False),
    sqlite_with_rowid=False,
)

referrers = Table(
    "stats_referrers", store.metadata,
    Column("day", Date, primary_key=True),
    Column("host", String(LONGEST_HOST), primary_key=True),
    Column("views", Integer, nullable=False),
    sqlite_with_rowid=False,
)

campaigns = Table(
    "stats_campaigns", store.metadata,
    Column("day", Date, primary_key=True),
    Column("source", String(LONGEST_UTM), primary_key=True),
    Column("campaign", String(LONGEST_UTM), primary_key=True),
    Column("views", Integer, nullable=False),
    sqlite_with_rowid=False,
)

TABLES = (views, referrers, campaigns)

# -----------------------------------------------------------------------------
# A hit: parsed and cleaned, pure
# -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One page view as it is counted: no more than this is kept."""

    path: str
    referrer: str = ""
    source: str = ""
    campaign: str = ""


def _printable(text: str) -> str:
    return "".join(char for char in text if char.isprintable())


def clean_path(raw: str, prefix: str) -> str | None:
    """The path under the site (``artikler/x/``), or None: not under *prefix*, too long, or with an ``@``."""
    text = _printable(unquote(raw.split("?", 1)[0].split("#", 1)[0], errors="replace"))
    if not text.startswith(prefix):
        return None
    rest = text[len(prefix):]
    rest = rest.removesuffix("index.html")
    if "@" in rest or len(rest) > LONGEST_PATH:
        return None
    return rest


def clean_host(raw: str, own: Iterable[str] = ()) -> str:
    """A referring host name as text: lower case, no scheme, port or path, no ``www.``; "" for our own or with an
    ``@`` (user info, or an address)."""
    text = raw.strip().lower()
    text = text.split("://", 1)[1] if "://" in text else text
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in text:  # user info, or an address sent as a referrer: never a host name the script sends
        return ""
    text = "".join(char for char in text if char.isprintable() and not char.isspace())
    if text.startswith("["):
        text = text.split("]", 1)[0] + "]"
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = _without_www(text.rstrip("."))[:LONGEST_HOST]
    return "" if text in {_without_www(host) for host in own} else text


def _without_www(host: str) -> str:
    return host.removeprefix("www.")


def clean_utm(raw: str) -> str:
    """A UTM value as text, at most LONGEST_UTM long; "" when it holds an ``@`` (a mail tool's merge tag)."""
    text = " ".join(_printable(raw).split())[:LONGEST_UTM]
    return "" if "@" in text else text


def parse_hit(fields: dict[str, list[str]], prefix: str, own_hosts: Iterable[str]) -> Hit | None:
    """The hit the beacon's fields describe; None when its path is not one of the site's."""
    def first(name: str) -> str:
        return (fields.get(name) or [""])[0]

    path = clean_path(first("p"), prefix)
    if path is None:
        return None
    return Hit(path, clean_host(first("r"), own_hosts), clean_utm(first("s")), clean_utm(first("c")))


@functools.lru_cache(maxsize=2048)
def is_bot(user_agent: str) -> bool:
    """A known crawler (crawler-user-agents' maintained list), or no user agent at all."""
    text = user_agent.strip()[:LONGEST_UA]
    return not text or crawleruseragents.is_crawler(text)


def skipped(headers: Any) -> bool:
    """Not to be counted: Global Privacy Control, a bot, or a prefetch (nobody is reading)."""
    return (headers.get("sec-gpc", "").strip() == "1" or is_bot(headers.get("user-agent", ""))
            or "prefetch" in headers.get("sec-purpose", "").lower() or headers.get("purpose", "").lower() == "prefetch")


def today(moment: dt.datetime) -> dt.date:
    """The Norwegian day of *moment*: staff read days in Norwegian time."""
    return store.utc(moment).astimezone(OSLO).date()


# -----------------------------------------------------------------------------
# SQL: the counts
# -----------------------------------------------------------------------------


def _upsert(engine: Engine, table: Table, keys: list[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET views = views + excluded.views, on both databases."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    return statement.on_conflict_do_update(index_elements=keys,
                                           set_={"views": table.c.views + statement.excluded.views})


def record(engine: Engine, hit: Hit, day: dt.date, count: int = 1, limit: tuple[str, int, dt.datetime] | None = None
           ) -> bool:
    """Add *count* views of *hit* to *day*'s totals, in one transaction; False when *limit* (the rate limit's
    key, count per HIT_WINDOW, and the moment) refuses it. One commit for both: half the writes of two."""
    with store._transaction(engine) as conn:  # noqa: SLF001 - the store's one transaction helper
        if limit is not None and not store.count_event(conn, limit[0], limit[1], HIT_WINDOW, limit[2]):
            return False
        conn.execute(_upsert(engine, views, ["day", "path"]), {"day": day, "path": hit.path, "views": count})
        if hit.referrer:
            conn.execute(_upsert(engine, referrers, ["day", "host"]),
                         {"day": day, "host": hit.referrer, "views": count})
        if hit.source or hit.campaign:
            conn.execute(_upsert(engine, campaigns, ["day", "source", "campaign"]),
                         {"day": day, "source": hit.source, "campaign": hit.campaign, "views": count})
    return True


@dataclass
class Raw:
    """What the database holds for a period, summed by the database: nothing per visit exists to fetch."""

    views: list[tuple[str, int]]                 # path, views
    daily_views: list[tuple[dt.date, int]]       # day, views
    referrers: list[tuple[str, int]]             # host, views
    campaigns: list[tuple[str, str, int]]        # source, campaign, views
    leads: list[tuple[str, str, str, int]]       # kind, article, page, count
    daily_leads: list[tuple[dt.date, str, int]]  # day, kind, count (Norwegian days)
    confirmed: list[tuple[str, int]]             # article, subscribers confirmed in the period


def read_period(engine: Engine, start: dt.date, end: dt.date) -> Raw:
    """Every count for the days *start* to *end* (Norwegian days, both included), summed in SQL.

    The daily totals are read by their primary key's leading day; leads and confirmations by their
    time, each Norwegian day a range of leads.created_at's index (a UNION ALL of the days' bounds, at most
    LONGEST_RANGE of SQLite's 500 compound terms, each counted by :func:`_leads_between`,
    so the day a lead belongs to follows Oslo's summer time on both databases).
    """
    since, until = _utc_bounds(start, end)
    leads, subscribers = store.leads, store.subscribers
    days = [start + dt.timedelta(days=offset) for offset in range((end - start).days + 1)]
    bounds = union_all(*(select(literal(index, Integer).label("n"),
                                literal(first, DateTime(timezone=True)).label("since"),
                                literal(last, DateTime(timezone=True)).label("until"))
                         for index, (first, last) in enumerate(_utc_bounds(day, day) for day in days))).cte("days")
    in_period = views.c.day.between(start, end)
    with store._transaction(engine) as conn:  # noqa: SLF001
        return Raw(
            views=[(row[0], int(row[1])) for row in conn.execute(
                select(views.c.path, func.sum(views.c.views)).where(in_period).group_by(views.c.path))],
            daily_views=[(_as_date(row[0]), int(row[1])) for row in conn.execute(
                select(views.c.day, func.sum(views.c.views)).where(in_period).group_by(views.c.day))],
            referrers=[(row[0], int(row[1])) for row in conn.execute(
                select(referrers.c.host, func.sum(referrers.c.views)).where(referrers.c.day.between(start, end))
                .group_by(referrers.c.host))],
            campaigns=[(row[0], row[1], int(row[2])) for row in conn.execute(
                select(campaigns.c.source, campaigns.c.campaign, func.sum(campaigns.c.views))
                .where(campaigns.c.day.between(start, end)).group_by(campaigns.c.source, campaigns.c.campaign))],
            leads=[(row[0], row[1], row[2], int(row[3])) for row in conn.execute(
                select(leads.c.kind, leads.c.article, leads.c.page, func.count())
                .where(leads.c.created_at >= since, leads.c.created_at < until)
                .group_by(leads.c.kind, leads.c.article, leads.c.page))],
            daily_leads=[(days[row[0]], kind, int(count)) for row in conn.execute(
                select(bounds.c.n, _leads_between(bounds), _leads_between(bounds, leads.c.kind == "booking")))
                for kind, count in (("booking", row[2]), ("newsletter", row[1] - row[2])) if count],
            confirmed=[(row[0], int(row[1])) for row in conn.execute(
                select(subscribers.c.article, func.count())
                .where(subscribers.c.confirmed_at >= since, subscribers.c.confirmed_at < until)
                .group_by(subscribers.c.article))],
        )


def _leads_between(bounds: Any, *where: Any) -> Any:
    """The leads of one day of *bounds*, counted by a correlated subquery: a range of the created_at index on
    both databases (a range join let PostgreSQL's planner compare every lead with every day)."""
    leads = store.leads
    return (select(func.count()).select_from(leads)
            .where(leads.c.created_at >= bounds.c.since, leads.c.created_at < bounds.c.until, *where)
            .scalar_subquery())


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Midnight in Oslo at the start of *start* and after *end*, in UTC."""
    return (dt.datetime.combine(start, dt.time(), OSLO).astimezone(dt.UTC),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), OSLO).astimezone(dt.UTC))


# -----------------------------------------------------------------------------
# The report: pure, from Raw and the site's catalogue
# -----------------------------------------------------------------------------


@dataclass
class Counts:
    views: int = 0
    bookings: int = 0
    signups: int = 0
    confirmed: int = 0

    @property
    def leads(self) -> int:
        return self.bookings + self.signups

    @property
    def rate(self) -> float | None:
        """Leads per view, in per cent; None without views."""
        return 100.0 * self.leads / self.views if self.views else None

    def add(self, other: Counts) -> None:
        self.views += other.views
        self.bookings += other.bookings
        self.signups += other.signups
        self.confirmed += other.confirmed


@dataclass
class Row:
    """A line of the report: an article (or page), a category, a day."""

    key: str
    label: str
    counts: Counts = field(default_factory=Counts)
    categories: tuple[str, ...] = ()


@dataclass
class Report:
    start: dt.date
    end: dt.date
    total: Counts
    pages: list[Row]
    categories: list[Row]
    days: list[Row]
    referrers: list[tuple[str, int]]
    campaigns: list[tuple[str, str, int]]


@dataclass(frozen=True)
class Article:
    """An article as the built site lists it (artikler.json)."""

    path: str
    slug: str
    title: str
    categories: tuple[str, ...]


def slug_of(path: str) -> str:
    """The last segment of a page path (``artikler/x/`` → ``x``), as the site's forms send it."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def build_report(raw: Raw, start: dt.date, end: dt.date, articles: dict[str, Article],
                 title: Any = lambda path, slug: "") -> Report:
    """Join views, leads and confirmed subscribers per page, per category and per day."""
    by_slug = {article.slug: path for path, article in articles.items()}
    pages: dict[str, Counts] = defaultdict(Counts)
    for path, count in raw.views:
        pages[path].views += count
        by_slug.setdefault(slug_of(path), path)
    for _, article, page, _ in raw.leads:
        if page:
            by_slug.setdefault(article or slug_of(page), page)
    for kind, article, page, count in raw.leads:
        _add_lead(pages[page or by_slug.get(article, f"slug:{article}" if article else "")], kind, count)
    for article, count in raw.confirmed:
        pages[by_slug.get(article, f"slug:{article}" if article else "")].confirmed += count
    days = {start + dt.timedelta(days=offset): Counts() for offset in range((end - start).days + 1)}
    for day, count in raw.daily_views:
        if day in days:
            days[day].views += count
    for day, kind, count in raw.daily_leads:
        if day in days:
            _add_lead(days[day], kind, count)
    rows = [_page_row(key, counts, articles.get(key), title) for key, counts in pages.items()]
    rows.sort(key=lambda row: (-row.counts.leads, -row.counts.views, -row.counts.confirmed, row.key))
    total = Counts()
    for row in rows:
        total.add(row.counts)
    return Report(start, end, total, rows, _categories(rows),
                  [Row(day.isoformat(), _format_day(day), counts) for day, counts in days.items()],
                  sorted(raw.referrers, key=lambda item: (-item[1], item[0])),
                  sorted(raw.campaigns, key=lambda item: (-item[2], item[0], item[1])))


def _add_lead(counts: Counts, kind: str, count: int) -> None:
    if kind == "booking":
        counts.bookings += count
    else:
        counts.signups += count


def _page_row(key: str, counts: Counts, article: Article | None, title: Any) -> Row:
    if article is not None:
        return Row(key, title(key, article.slug) or article.title or key, counts, article.categories)
    if not key:
        return Row(key, messages.STATS_UNKNOWN_PAGE, counts)
    if key.startswith("slug:"):
        return Row(key, title("", key[5:]) or key[5:], counts)
    return Row(key, title(key, slug_of(key)) or (key or messages.STATS_HOME), counts)


def _categories(rows: list[Row]) -> list[Row]:
    """Totals per category; an article in two categories counts in both, pages without one together."""
    totals: dict[str, Counts] = defaultdict(Counts)
    for row in rows:
        for name in row.categories or (messages.STATS_NO_CATEGORY,):
            totals[name].add(row.counts)
    out = [Row(name, name, counts) for name, counts in totals.items()]
    out.sort(key=lambda row: (row.key == messages.STATS_NO_CATEGORY, -row.counts.leads, -row.counts.views, row.key))
    return out


def _format_day(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


# -----------------------------------------------------------------------------
# The chart: daily views and leads as SVG geometry, pure; overrides nothing, drawn by the template
# -----------------------------------------------------------------------------

CHART_WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP, BOTTOM = 760, 150, 56, 16, 28, 58, 40


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above *value* (at least 1): the axis's top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def chart(days: list[Row]) -> dict[str, Any]:
    """Coordinates for two panels sharing the days: views as a line with a marker per day, leads as bars
    (bookings solid, newsletter signups hatched above them). Readable without colour: shapes and labels."""
    width = CHART_WIDTH - LEFT - RIGHT
    step = width / max(len(days), 1)
    views_top = nice_ceiling(max((row.counts.views for row in days), default=0))
    leads_top = nice_ceiling(max((row.counts.leads for row in days), default=0))
    first_base, second_top = TOP + PANEL_HEIGHT, TOP + PANEL_HEIGHT + GAP
    second_base = second_top + PANEL_HEIGHT

    def y(value: int, top: int, base: float) -> float:
        return round(base - PANEL_HEIGHT * value / top, 1)

    points, bars = [], []
    for index, row in enumerate(days):
        x = round(LEFT + step * (index + 0.5), 1)
        points.append({"x": x, "y": y(row.counts.views, views_top, first_base), "label": row.label,
                       "value": row.counts.views})
        booked = y(row.counts.bookings, leads_top, second_base)
        signed = y(row.counts.leads, leads_top, second_base)
        bars.append({"x": round(x - step * 0.35, 1), "width": round(step * 0.7, 1), "label": row.label,
                     "booking_y": booked, "booking_height": round(second_base - booked, 1),
                     "signup_y": signed, "signup_height": round(booked - signed, 1),
                     "bookings": row.counts.bookings, "signups": row.counts.signups})
    every = max(1, math.ceil(len(days) / 6))
    ticks = [{"x": point["x"], "label": point["label"][:5]} for index, point in enumerate(points)
             if index % every == 0 or index == len(points) - 1]
    return {
        "width": CHART_WIDTH, "height": second_base + BOTTOM, "left": LEFT, "right": CHART_WIDTH - RIGHT,
        "views": {"top": TOP, "base": first_base, "max": views_top, "half": views_top // 2 if views_top > 1 else 0,
                  "half_y": y(views_top // 2, views_top, first_base) if views_top > 1 else None,
                  "line": " ".join(f"{point['x']},{point['y']}" for point in points), "points": points},
        "leads": {"top": second_top, "base": second_base, "max": leads_top,
                  "half": leads_top // 2 if leads_top > 1 else 0,
                  "half_y": y(leads_top // 2, leads_top, second_base) if leads_top > 1 else None, "bars": bars},
        "ticks": ticks, "marker": min(3.0, max(1.2, step / 4)),
    }


# -----------------------------------------------------------------------------
# The site's catalogue: the articles' categories, read from the built site
# -----------------------------------------------------------------------------



def parse_catalogue(data: Any) -> dict[str, Article]:
    """artikler.json → articles by path; entries that are not well-formed are left out. Texts are data."""
    out = {}
    for item in data.get("articles", []) if isinstance(data, dict) else []:
        if not isinstance(item, dict):
            continue
        path, slug, name = item.get("path"), item.get("slug"), item.get("title")
        names = item.get("categories")
        if not (isinstance(path, str) and isinstance(slug, str) and isinstance(name, str) and isinstance(names, list)):
            continue
        out[path] = Article(path, slug, titles.plain(name), tuple(titles.plain(value)[:100] for value in names
                                                                  if isinstance(value, str) and value.strip()))
    return out


class Catalogue(titles.Titles):
    """The site's articles with their categories, refreshed in the background like the titles."""

    articles: dict[str, Article]

    def __init__(self, site_url: str, get: titles.Fetch = titles.fetch) -> None:
        super().__init__(site_url, get)
        self.articles = {}

    async def _read(self) -> None:
        try:
            self.articles = await run_in_threadpool(
                lambda: parse_catalogue(json.loads(self.get(urljoin(self.site_url, CATALOGUE)))))
            self.fresh_until = time.monotonic() + titles.FRESH
        except Exception as error:  # noqa: BLE001 - the site being down must never break the staff page
            log.warning(messages.LOG_STATS_CATALOGUE, type(error).__name__)
            self.fresh_until = time.monotonic() + titles.RETRY


_catalogues: weakref.WeakKeyDictionary[Inbox, Catalogue] = weakref.WeakKeyDictionary()


def catalogue(inbox: Inbox) -> Catalogue:
    if inbox not in _catalogues:
        _catalogues[inbox] = Catalogue(inbox.settings.site_url)
    return _catalogues[inbox]


# -----------------------------------------------------------------------------
# Endpoints
# -----------------------------------------------------------------------------


def _refused(status: int, message: str, **headers: str) -> Response:
    """A refusal as the site's script reads them; the beacon itself never looks."""
    return JSONResponse({"ok": False, "message": message, "errors": {}}, status_code=status, headers=headers)


async def hit(request: Request) -> Response:
    """One page view: 204 whether counted or skipped, so a reader's browser learns nothing either way."""
    inbox = current(request)
    settings = inbox.settings
    if sent_origin(request) != settings.site_origin:
        return _refused(403, messages.STATS_FOREIGN_ORIGIN)
    if skipped(request.headers):
        return Response(status_code=204)
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return _refused(415, messages.STATS_UNSUPPORTED)
    try:
        fields = await read_form(request, min(HIT_BODY, settings.max_body), settings.read_timeout)
    except TooLarge:
        return _refused(413, messages.FORM_TOO_LARGE)
    except TooSlow:
        return _refused(408, messages.FORM_TOO_SLOW, connection="close")
    except ValueError:
        return _refused(400, messages.FORM_UNREADABLE)
    parsed = parse_hit(fields, urlsplit(settings.site_url).path or "/", (urlsplit(settings.site_url).hostname or "",))
    # The rate limit counts every well-formed hit, as the form limit counts every post; a path that is not the
    # site's is not counted and costs no write.
    moment, rate = now(), settings.hit_rate_limit
    limit = (inbox.key("hit", inbox.client(request)), rate, moment) if rate else None
    if parsed is not None and not await inbox.db(record, parsed, today(moment), 1, limit):
        return _refused(429, messages.FORM_TOO_MANY, **{"retry-after": str(int(HIT_WINDOW.total_seconds()))})
    return Response(status_code=204)


def period(query: Any, moment: dt.datetime) -> tuple[dt.date, dt.date, str] | None:
    """The period asked for: ``dager=7|30|90``, or ``fra``/``til`` (YYYY-MM-DD); None when it is not valid.

    The third value is the quick choice ("7", "30", "90") or "" for a chosen range.
    """
    end = today(moment)
    if query.get("fra") or query.get("til"):
        try:
            start, last = dt.date.fromisoformat(query.get("fra", "")), dt.date.fromisoformat(query.get("til", ""))
        except ValueError:
            return None
        if start > last or (last - start).days >= LONGEST_RANGE:
            return None
        return start, last, ""
    days = query.get("dager", str(DEFAULT_PERIOD))
    if days not in {str(choice) for choice in PERIODS}:
        return None
    return end - dt.timedelta(days=int(days) - 1), end, days


async def _report(inbox: Inbox, start: dt.date, end: dt.date) -> Report:
    shelf = catalogue(inbox)
    await asyncio.gather(shelf.refresh(), inbox.titles.refresh())
    raw = await inbox.db(read_period, start, end)
    return build_report(raw, start, end, shelf.articles, inbox.titles.title)


@staff_page
async def report_page(request: Request, inbox: Inbox, session: str) -> Response:
    chosen = period(request.query_params, now())
    if chosen is None:
        return inbox.page("statistikk.html", 400, error=messages.STATS_BAD_RANGE.format(days=LONGEST_RANGE),
                          **_form_values(request, today(now())), report=None, chart=None, csrf=inbox.csrf(session))
    start, end, quick = chosen
    report = await _report(inbox, start, end)
    peak = max(report.days, key=lambda row: (row.counts.views, row.key)) if report.days else None
    description = messages.stats_chart_description(
        _format_day(start), _format_day(end), report.total.views, peak.counts.views if peak else 0,
        peak.label if peak else "", report.total.leads)
    return inbox.page("statistikk.html", report=report, chart=chart(report.days), description=description,
                      quick=quick, periods=messages.STATS_PERIODS, start=start.isoformat(), end=end.isoformat(),
                      csv_query=_query(quick, start, end), csrf=inbox.csrf(session), error="")


def _form_values(request: Request, end: dt.date) -> dict[str, Any]:
    return {"quick": "", "periods": messages.STATS_PERIODS, "start": request.query_params.get("fra", "")[:10],
            "end": request.query_params.get("til", "")[:10] or end.isoformat(), "csv_query": {}, "description": ""}


def _query(quick: str, start: dt.date, end: dt.date) -> dict[str, str]:
    return {"dager": quick} if quick else {"fra": start.isoformat(), "til": end.isoformat()}


@staff_page
async def report_csv(request: Request, inbox: Inbox, session: str) -> Response:
    chosen = period(request.query_params, now())
    if chosen is None:
        return RedirectResponse(inbox.url_for("stats"), status_code=303)
    start, end, _ = chosen
    report = await _report(inbox, start, end)
    body = export.csv_bytes(messages.STATS_CSV_COLUMNS, list(csv_rows(report)))
    name = f"statistikk-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


def csv_rows(report: Report) -> Iterator[dict[str, Any]]:
    """The report as one sheet: a «Tabell» column says which part of the report each line belongs to."""
    tables = messages.STATS_CSV_TABLES
    columns = messages.STATS_CSV_COLUMNS

    def line(table: str, name: str, detail: str, counts: Counts | None, views_only: int | None = None) -> dict:
        values: list[Any] = [tables[table], name, detail]
        if counts is None:
            values += [views_only, "", "", "", "", ""]
        else:
            rate = counts.rate
            values += [counts.views, counts.bookings, counts.signups, counts.confirmed, counts.leads,
                       "" if rate is None else f"{rate:.2f}".replace(".", ",")]
        return dict(zip(columns, values, strict=True))

    yield line("total", f"{report.start.isoformat()}–{report.end.isoformat()}", "", report.total)
    for row in report.pages:
        yield line("article", row.label, row.key, row.counts)
    for row in report.categories:
        yield line("category", row.label, "", row.counts)
    for host, count in report.referrers:
        yield line("referrer", host, "", None, count)
    for source, name, count in report.campaigns:
        yield line("campaign", source, name, None, count)
    for row in report.days:
        yield line("day", row.key, "", row.counts)


ROUTES = [
    Route(HIT_PATH, hit, methods=["POST"], name="hit"),
    Route("/staff/statistikk", report_page, methods=["GET"], name="stats"),
    Route("/staff/statistikk.csv", report_csv, methods=["GET"], name="stats_csv"),
]
