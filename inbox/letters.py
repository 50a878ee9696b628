"""The newsletter's tables and every SQL statement about them, in SQLAlchemy Core for SQLite and PostgreSQL.

An issue is written by staff (subject, introduction, the articles it carries) and sent once. Sending
it commits one ``newsletter_sends`` row per confirmed subscriber in one transaction, under a unique
key (issue, address): a second click, a second process or a restart adds no row. The pump
(:mod:`inbox.newsletter`) then moves rows into the generic outbox at the configured rate, each move
(outbox row in, send row marked) in one transaction, and the outbox worker delivers them with its
hand-over (:data:`inbox.mail.HandOver`), so no address gets an issue twice. A send row's state:

* ``venter``: committed, not yet in the outbox;
* ``utboks``: in the outbox (``outbox_id``); once that row is gone, the mail was handed over (sent);
* ``avmeldt``: the address unsubscribed before its mail went (its outbox row is deleted with it);
* ``feilet``: the outbox gave up on it after :data:`GIVE_UP` attempts.

When nothing of an issue is waiting any more, its counts are frozen on the issue and its send rows are
deleted: the archive keeps numbers, not addresses. Erasure reaches the send rows and the welcome
marks (store.ERASABLE); an unsubscribe marks the address's waiting rows (store.UNSUBSCRIBE_HOOKS).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (Boolean, Column, DateTime, Engine, Index, Integer, String, Table, Text, UniqueConstraint,
                        case, delete, exists, func, insert, literal, select, update)

from . import store
from .store import _insert_ignoring, _lock, _transaction, metadata, outbox, subscribers

GIVE_UP = 10  # outbox attempts (1, 2, 4 … minutes apart: about 17 hours) before a newsletter mail is given up

# -----------------------------------------------------------------------------
# Newsletter (issue 18): issues, one send row per recipient, welcome marks, settings
# -----------------------------------------------------------------------------

issues = Table(
    "newsletter_issues", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("intro", Text, nullable=False, server_default=""),
    Column("articles", Text, nullable=False),  # JSON: [{url, title, summary, published}] as the feed had them
    Column("campaign", String(80), nullable=False),  # utm_campaign of every link in it
    Column("digest", Boolean, nullable=False, server_default="0"),  # made by the monthly digest
    Column("queued_at", DateTime(timezone=True), nullable=True),     # sending started: no second start
    Column("finished_at", DateTime(timezone=True), nullable=True),   # nothing waiting any more
    Column("recipients", Integer, nullable=False, server_default="0"),
    Column("sent", Integer, nullable=False, server_default="0"),      # frozen when finished
    Column("failed", Integer, nullable=False, server_default="0"),
    Column("stopped", Integer, nullable=False, server_default="0"),   # unsubscribed or erased while it was sent
)

sends = Table(
    "newsletter_sends", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", Integer, nullable=False),
    Column("email", String(254), nullable=False),
    Column("state", String(10), nullable=False, server_default="venter"),
    Column("outbox_id", Integer, nullable=True),
    Column("moved_at", DateTime(timezone=True), nullable=True, index=True),  # into the outbox: the rate counts these
    UniqueConstraint("issue_id", "email", name="newsletter_sends_once"),
    Index("newsletter_sends_issue_state", "issue_id", "state"),
)

# Who has had the welcome mail: an address confirmed after the feature started gets one, once.
welcomes = Table(
    "newsletter_welcomes", metadata,
    Column("email", String(254), primary_key=True),
    Column("queued_at", DateTime(timezone=True), nullable=False),
)

# One row (id 1): the monthly digest's settings, and since when confirmations get a welcome mail.
options = Table(
    "newsletter_options", metadata,
    Column("id", Integer, primary_key=True),
    Column("welcome_since", DateTime(timezone=True), nullable=False),
    Column("digest_enabled", Boolean, nullable=False, server_default="0"),
    Column("digest_day", Integer, nullable=False, server_default="1"),  # 1–28, in Oslo time
    Column("digest_month", String(7), nullable=False, server_default=""),  # last month handled, "2026-11"
    Column("digest_since", DateTime(timezone=True), nullable=True),  # articles after this go in the next digest
)


def _linked() -> Any:
    """A send row's outbox row. SQLite hands a deleted row's id to the next insert (the outbox has no
    AUTOINCREMENT), so the id alone could name a later mail: recipient and time must match too."""
    return ((outbox.c.id == sends.c.outbox_id) & (outbox.c.recipient == sends.c.email)
            & (outbox.c.created_at == sends.c.moved_at))


def _erasable(forms: list[str]) -> dict[str, tuple[Table, Any]]:
    return {"newsletter_sends": (sends, func.lower(sends.c.email).in_(forms)),
            "newsletter_welcomes": (welcomes, func.lower(welcomes.c.email).in_(forms))}


def _unsubscribed(conn: Any, email: str) -> None:
    """Before store.unsubscribe deletes the outbox rows: the address's waiting sends become «avmeldt»."""
    waiting = (sends.c.state == "venter") | ((sends.c.state == "utboks")
                                             & exists().where(_linked()))
    conn.execute(update(sends).where(sends.c.email == email, waiting).values(state="avmeldt"))
    conn.execute(delete(welcomes).where(welcomes.c.email == email))


store.ERASABLE.append(_erasable)
store.UNSUBSCRIBE_HOOKS.append(_unsubscribed)


# --- issues --------------------------------------------------------------------------------


def create_issue(engine: Engine, subject: str, intro: str, articles: list[dict[str, str]], campaign: str,
                 now: dt.datetime, digest: bool = False) -> int:
    with _transaction(engine) as conn:
        issue_id = conn.execute(insert(issues).returning(issues.c.id), {
            "created_at": now, "subject": subject, "intro": intro, "articles": json.dumps(articles),
            "campaign": campaign, "digest": digest}).scalar_one()
        if not campaign:
            conn.execute(update(issues).where(issues.c.id == issue_id).values(campaign=f"nyhetsbrev-{issue_id}"))
    return int(issue_id)


def get_issue(engine: Engine, issue_id: int) -> dict[str, Any] | None:
    if not 0 < issue_id <= store.MAX_ID:
        return None
    with _transaction(engine) as conn:
        row = conn.execute(select(issues).where(issues.c.id == issue_id)).first()
    return _issue(row) if row else None


def _issue(row: Any) -> dict[str, Any]:
    issue = dict(row._mapping)
    issue["articles"] = json.loads(issue["articles"])
    return issue


def list_issues(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    """Newest first: drafts, those sending, and the archive."""
    with _transaction(engine) as conn:
        rows = conn.execute(select(issues).order_by(issues.c.created_at.desc(), issues.c.id.desc()).limit(limit))
        return [_issue(row) for row in rows]


def carried_urls(engine: Engine) -> set[str]:
    """The article links that an issue being sent or sent has carried: they are not offered again."""
    with _transaction(engine) as conn:
        rows = conn.execute(select(issues.c.articles).where(issues.c.queued_at.is_not(None)))
        return {article["url"] for (articles,) in rows for article in json.loads(articles)}


def start_sending(engine: Engine, issue_id: int, now: dt.datetime) -> int | None:
    """Commit one send row per confirmed subscriber; the number queued, or None when it was started before."""
    with _transaction(engine) as conn:
        return _start(engine, conn, issue_id, now)


def _start(engine: Engine, conn: Any, issue_id: int, now: dt.datetime) -> int | None:
    _lock(conn, f"newsletter-issue-{issue_id}")
    if not conn.execute(update(issues).where(issues.c.id == issue_id, issues.c.queued_at.is_(None))
                        .values(queued_at=now)).rowcount:
        return None
    confirmed = select(literal(issue_id, Integer), subscribers.c.email).where(subscribers.c.confirmed_at.is_not(None))
    conn.execute(_insert_ignoring(engine, sends, ["issue_id", "email"]).from_select(["issue_id", "email"], confirmed))
    count = int(conn.execute(select(func.count()).select_from(sends).where(sends.c.issue_id == issue_id))
                .scalar_one())
    conn.execute(update(issues).where(issues.c.id == issue_id).values(recipients=count))
    return count


def start_digest(engine: Engine, month: str, subject: str, articles: list[dict[str, str]], campaign: str,
                 now: dt.datetime) -> int | None:
    """The month's digest, in one transaction: the month marked handled, and (with articles) the issue made and
    its sends queued. None when another process handled the month, or there was nothing to send."""
    with _transaction(engine) as conn:
        _lock(conn, "newsletter-digest")
        if not conn.execute(update(options).where(options.c.id == 1, options.c.digest_month != month)
                            .values(digest_month=month, digest_since=now)).rowcount:
            return None
        if not articles:
            return None
        issue_id = conn.execute(insert(issues).returning(issues.c.id), {
            "created_at": now, "subject": subject, "intro": "", "articles": json.dumps(articles),
            "campaign": campaign, "digest": True}).scalar_one()
        _start(engine, conn, int(issue_id), now)
    return int(issue_id)


def progress(engine: Engine, issue_id: int) -> dict[str, int]:
    """Live counts: queued (not yet handed to the SMTP server), sent, failing (being retried), failed, stopped."""
    in_outbox = outbox.c.id.is_not(None)
    state = case(
        (sends.c.state == "venter", "queued"),
        ((sends.c.state == "utboks") & in_outbox & (outbox.c.attempts > 0), "failing"),
        ((sends.c.state == "utboks") & in_outbox, "queued"),
        (sends.c.state == "utboks", "sent"),
        (sends.c.state == "feilet", "failed"),
        else_="stopped")
    query = (select(state.label("state"), func.count()).select_from(sends.outerjoin(outbox, _linked()))
             .where(sends.c.issue_id == issue_id).group_by(state))
    counts = {"queued": 0, "sent": 0, "failing": 0, "failed": 0, "stopped": 0}
    with _transaction(engine) as conn:
        issue = conn.execute(select(issues).where(issues.c.id == issue_id)).first()
        if issue is None:
            return counts
        if issue.finished_at is not None:
            return {**counts, "sent": issue.sent, "failed": issue.failed, "stopped": issue.stopped}
        counts.update({name: int(number) for name, number in conn.execute(query)})
    return counts


# --- the pump: from send rows into the outbox, at the rate -----------------------------------


def moved_since(engine: Engine, since: dt.datetime) -> int:
    """Send rows moved into the outbox since *since*, whatever process moved them: the rate is shared."""
    with _transaction(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(sends).where(sends.c.moved_at > since))
                   .scalar_one())


def stalled(engine: Engine) -> bool:
    """Whether a newsletter mail in the outbox is failing: then no more are moved until it goes."""
    query = select(outbox.c.id).select_from(sends.join(outbox, _linked())).where(
        sends.c.state == "utboks", outbox.c.attempts > 0).limit(1)
    with _transaction(engine) as conn:
        return conn.execute(query).first() is not None


def waiting(engine: Engine, limit: int) -> list[dict[str, Any]]:
    """The next send rows to move, oldest issue first, with their issue's id (the pump composes them)."""
    query = (select(sends.c.id, sends.c.issue_id, sends.c.email).where(sends.c.state == "venter")
             .order_by(sends.c.issue_id, sends.c.id).limit(limit))
    with _transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def move(engine: Engine, composed: list[tuple[int, str, str]], now: dt.datetime, allowance: int) -> int:
    """Move composed mails (send id, recipient, message) into the outbox, each with its row marked, in one
    transaction; at most *allowance* (counted again under the lock). Rows of addresses no longer confirmed
    become «avmeldt». The number moved."""
    moved = 0
    with _transaction(engine) as conn:
        _lock(conn, "newsletter-pump")
        allowance -= int(conn.execute(select(func.count()).select_from(sends).where(
            sends.c.moved_at > now - dt.timedelta(minutes=1))).scalar_one())
        for send_id, recipient, message in composed:
            if moved >= allowance:
                break
            confirmed = conn.execute(select(subscribers.c.email).where(
                subscribers.c.email == recipient, subscribers.c.confirmed_at.is_not(None))).first()
            if confirmed is None:
                conn.execute(update(sends).where(sends.c.id == send_id, sends.c.state == "venter")
                             .values(state="avmeldt"))
                continue
            outbox_id = conn.execute(insert(outbox).returning(outbox.c.id), {
                "created_at": now, "recipient": recipient, "message": message, "next_attempt_at": now,
                "attempts": 0, "about": recipient}).scalar_one()
            marked = conn.execute(update(sends).where(sends.c.id == send_id, sends.c.state == "venter")
                                  .values(state="utboks", outbox_id=outbox_id, moved_at=now)).rowcount
            if not marked:  # moved by another process meanwhile (PostgreSQL without the lock cannot get here)
                conn.execute(delete(outbox).where(outbox.c.id == outbox_id))
                continue
            moved += 1
    return moved


def give_up(engine: Engine) -> int:
    """Newsletter mails the outbox has failed GIVE_UP times: out of the outbox, marked «feilet»."""
    query = select(sends.c.id, sends.c.outbox_id).select_from(sends.join(outbox, _linked())) \
        .where(sends.c.state == "utboks", outbox.c.attempts >= GIVE_UP)
    with _transaction(engine) as conn:
        rows = conn.execute(query).all()
        for send_id, outbox_id in rows:
            conn.execute(delete(outbox).where(outbox.c.id == outbox_id))
            conn.execute(update(sends).where(sends.c.id == send_id).values(state="feilet"))
    return len(rows)


def finish(engine: Engine, now: dt.datetime) -> list[int]:
    """Issues with nothing waiting: counts frozen on the issue, its send rows (addresses) deleted."""
    pending = exists().where(sends.c.issue_id == issues.c.id, (sends.c.state == "venter") | (
        (sends.c.state == "utboks") & exists().where(_linked())))
    finished = []
    with _transaction(engine) as conn:
        for (issue_id,) in conn.execute(select(issues.c.id).where(
                issues.c.queued_at.is_not(None), issues.c.finished_at.is_(None), ~pending)).all():
            counts = dict(conn.execute(select(sends.c.state, func.count()).where(sends.c.issue_id == issue_id)
                                       .group_by(sends.c.state)).all())
            conn.execute(update(issues).where(issues.c.id == issue_id).values(
                finished_at=now, sent=counts.get("utboks", 0), failed=counts.get("feilet", 0),
                stopped=counts.get("avmeldt", 0)))
            conn.execute(delete(sends).where(sends.c.issue_id == issue_id))
            finished.append(int(issue_id))
    return finished


def recipients(engine: Engine) -> int:
    """Confirmed subscribers now: the number an issue would go to."""
    with _transaction(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(subscribers).where(
            subscribers.c.confirmed_at.is_not(None))).scalar_one())


# --- welcome mail --------------------------------------------------------------------------------


def get_options(engine: Engine, now: dt.datetime) -> dict[str, Any]:
    """The settings row, made on first use: from then on, a new confirmation gets a welcome mail."""
    with _transaction(engine) as conn:
        row = conn.execute(select(options).where(options.c.id == 1)).first()
        if row is None:
            conn.execute(_insert_ignoring(engine, options, ["id"]), {"id": 1, "welcome_since": now})
            row = conn.execute(select(options).where(options.c.id == 1)).first()
        return dict(row._mapping)


def set_digest(engine: Engine, enabled: bool, day: int, handled_month: str, now: dt.datetime) -> None:
    """Turn the digest on or off; turning it on marks *handled_month* done, so the first goes on the next day due."""
    was = get_options(engine, now)
    values: dict[str, Any] = {"digest_enabled": enabled, "digest_day": day}
    if enabled and not was["digest_enabled"]:
        values |= {"digest_month": handled_month, "digest_since": was["digest_since"] or now}
    with _transaction(engine) as conn:
        conn.execute(update(options).where(options.c.id == 1).values(**values))


def unwelcomed(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """Subscribers confirmed since welcome_since who have no welcome mail yet."""
    query = (select(subscribers.c.email, subscribers.c.confirmed_at)
             .select_from(subscribers.join(options, options.c.id == 1))
             .where(subscribers.c.confirmed_at.is_not(None), subscribers.c.confirmed_at >= options.c.welcome_since,
                    ~exists().where(welcomes.c.email == subscribers.c.email))
             .order_by(subscribers.c.confirmed_at).limit(limit))
    with _transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def queue_welcome(engine: Engine, email: str, message: str, now: dt.datetime) -> bool:
    """The welcome mail into the outbox with its mark, in one transaction; False when it was queued before."""
    with _transaction(engine) as conn:
        marked = conn.execute(_insert_ignoring(engine, welcomes, ["email"]).returning(welcomes.c.email),
                              {"email": email, "queued_at": now}).first()
        if marked is None:
            return False
        store._queue(conn, [store.Mail(email, message, about=email)], now)
    return True


def queue_test(engine: Engine, recipient: str, message: str, now: dt.datetime) -> None:
    """A test of an issue to a staff member: an ordinary outbox mail."""
    with _transaction(engine) as conn:
        store._queue(conn, [store.Mail(recipient, message, about=recipient)], now)


def sending_issues(engine: Engine) -> list[int]:
    with _transaction(engine) as conn:
        return [int(row[0]) for row in conn.execute(select(issues.c.id).where(
            issues.c.queued_at.is_not(None), issues.c.finished_at.is_(None)).order_by(issues.c.id))]

