"""Every SQL statement the inbox runs, on SQLite or PostgreSQL through SQLAlchemy Core.

Durability: a submission's transaction is committed before the caller answers.
SQLite runs in WAL mode with ``synchronous=FULL`` (each commit reaches the
disk) and takes the write lock at ``BEGIN IMMEDIATE``, so two writers wait
for each other instead of failing. PostgreSQL commits durably by default.
Idempotency: ``leads.form_token`` is unique and inserts use ON CONFLICT DO
NOTHING, so a double click or a retried request is stored once, even when the
two copies arrive at the same moment.
Privacy: each queued mail records whom it is *about* (the visitor), so erasure
and retention reach the staff's notification too; errors never carry the
bound parameters (``hide_parameters``), so no address reaches a log; the
SQLite file and its WAL/SHM are readable by their owner only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (Column, DateTime, Engine, Index, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, delete, event, func, insert, inspect, or_, select, text, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from . import validation

STATUSES = ("ny", "kontaktet", "avsluttet")
MAX_ID = 2**31 - 1  # the largest id an Integer column holds on PostgreSQL
# Confirmation mails per address and hour, whoever asks: more signups are answered alike but send nothing.
CONFIRMATIONS_PER_HOUR = 3

metadata = MetaData()

leads = Table(
    "leads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("form_token", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("email", String(254), nullable=False, index=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("company", String(200), nullable=False, server_default=""),
    Column("phone", String(40), nullable=False, server_default=""),
    Column("message", Text, nullable=False, server_default=""),
    Column("article", String(200), nullable=False, server_default=""),  # the page's slug
    Column("page", String(300), nullable=False, server_default=""),     # its path on the site
    Column("status", String(20), nullable=False, server_default="ny"),
)

# One row per address; confirmed_at is empty until the reader clicks the link in the email.
subscribers = Table(
    "subscribers", metadata,
    Column("email", String(254), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=True),
    Column("article", String(200), nullable=False, server_default=""),
)

# Email waiting to be delivered: written in the same transaction as the submission, removed once sent.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("recipient", String(254), nullable=False, index=True),
    Column("message", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, index=True),
    Column("last_error", Text, nullable=False, server_default=""),
    # The visitor the mail is about (normalised address): the staff notification of a booking goes to staff
    # but holds the visitor's name, phone and message, so erasure and retention must find it.
    Column("about", String(254), nullable=False, server_default=""),
)


# Extension points for features with tables of their own (the newsletter, inbox/letters.py): each ERASABLE
# function gives, for the spellings of an address, {name: (table, condition)} that erase() and erasable()
# reach; each UNSUBSCRIBE_HOOKS function runs in unsubscribe()'s transaction, before its deletes.
ERASABLE: list[Any] = []
UNSUBSCRIBE_HOOKS: list[Any] = []


def utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def connect(url: str) -> Engine:
    """An engine for *url* with the durability settings above, and the tables created if missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)
    metadata.create_all(engine)
    _add_missing_columns(engine)
    if engine.dialect.name == "sqlite":
        _sqlite_locks[engine] = threading.Lock()
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """create_all never alters a table: an outbox from before the `about` column gets it here.

    On SQLite the check and the change share one BEGIN IMMEDIATE, and PostgreSQL's
    IF NOT EXISTS holds the table lock, so two processes starting at once add it once.
    """
    with engine.begin() as conn:
        if "about" in {column["name"] for column in inspect(conn).get_columns("outbox")}:
            return
        exists = " IF NOT EXISTS" if engine.dialect.name == "postgresql" else ""
        conn.execute(text(f"ALTER TABLE outbox ADD COLUMN{exists} about VARCHAR(254) NOT NULL DEFAULT ''"))


def _sqlite_engine(url: str, database: str | None) -> Engine:
    path = Path(database) if database and database != ":memory:" else None
    if path is not None:
        _private_file(path)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=10,
                           max_overflow=20, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _pragmas(connection: Any, _record: Any) -> None:
        connection.isolation_level = None  # SQLAlchemy's own BEGIN below, not pysqlite's deferred one
        # secure_delete: erased rows are overwritten, not left readable in free pages (some builds default off).
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=30000", "foreign_keys=ON",
                       "secure_delete=ON"):
            connection.execute(f"PRAGMA {pragma}")
        if path is not None:  # SQLite gives -wal and -shm the database's mode; made sure, whatever the umask
            for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                with contextlib.suppress(FileNotFoundError, PermissionError):
                    companion.chmod(0o600)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _private_file(path: Path) -> None:
    """The database file (and a folder made for it) for the owner only, created so before SQLite opens it.

    An existing file is tightened too (older versions left it 0644), unless another user owns it.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with contextlib.suppress(PermissionError):
        path.chmod(0o600)


# SQLite allows one writer at a time. Queueing the threads of this process on a
# lock is fair and prompt; leaving it to SQLite's busy handler makes waiters
# sleep and retry, which showed as a p99 of 1.7 s under 50 concurrent clients.
_sqlite_locks: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def _transaction(engine: Engine) -> Iterator[Any]:
    """A transaction, committed on leaving the block; serialised within the process on SQLite."""
    lock = _sqlite_locks.get(engine) if engine.dialect.name == "sqlite" else None
    with lock or contextlib.nullcontext(), engine.begin() as conn:
        yield conn


def _insert_ignoring(engine: Engine, table: Table, index: list[str]) -> Any:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=index)


def _insert_lead(engine: Engine, conn: Any, row: dict[str, Any]) -> bool:
    """Insert a lead unless its form token is stored; True when inserted.

    RETURNING tells, on both databases, whether a row went in (rowcount is -1
    on PostgreSQL once SQLAlchemy adds its own RETURNING).
    """
    statement = _insert_ignoring(engine, leads, ["form_token"]).returning(leads.c.id)
    return conn.execute(statement, row).first() is not None


@dataclass(frozen=True)
class Mail:
    """A composed email for the outbox, and the visitor's normalised address it is about ("" for none)."""

    recipient: str
    message: str
    about: str = ""


def store_lead(engine: Engine, kind: str, token: str, values: dict[str, str], now: dt.datetime,
               mail: list[Mail]) -> bool:
    """Store one submission and its email in one transaction; False when the token was already stored."""
    row = {key: values.get(key, "") for key in ("email", "name", "company", "phone", "message", "article", "page")}
    with _transaction(engine) as conn:
        if not _insert_lead(engine, conn, {**row, "kind": kind, "form_token": token, "created_at": now,
                                           "status": "ny"}):
            return False
        _queue(conn, mail, now)
    return True


def store_signup(engine: Engine, token: str, values: dict[str, str], now: dt.datetime,
                 confirmation: Mail) -> bool:
    """A newsletter signup: the lead, a pending subscriber, and the confirmation email (not when confirmed).

    Against mail bombing, a confirmation is queued only while the address has
    had at most CONFIRMATIONS_PER_HOUR signups in the last hour, this one
    included, whichever clients sent them. They are counted in the leads table
    (outbox rows go once sent), so someone who keeps asking keeps the address
    quiet. The subscriber row is locked first, so concurrent signups on
    PostgreSQL count one after the other (SQLite's BEGIN IMMEDIATE serialises
    all writers already).
    """
    email = values["email"]
    with _transaction(engine) as conn:
        if not _insert_lead(engine, conn, {"kind": "newsletter", "form_token": token, "created_at": now,
                                           "status": "ny", "email": email, "article": values.get("article", ""),
                                           "page": values.get("page", "")}):
            return False
        conn.execute(_insert_ignoring(engine, subscribers, ["email"]),
                     {"email": email, "created_at": now, "article": values.get("article", "")})
        confirmed = conn.execute(select(subscribers.c.confirmed_at).where(subscribers.c.email == email)
                                 .with_for_update()).scalar()
        if confirmed is None:
            conn.execute(update(subscribers).where(subscribers.c.email == email).values(created_at=now))
            if _recent_signups(conn, email, now - dt.timedelta(hours=1)) <= CONFIRMATIONS_PER_HOUR:
                _queue(conn, [confirmation], now)
    return True


def _recent_signups(conn: Any, email: str, since: dt.datetime) -> int:
    """Newsletter signups of *email* since *since*, the one being stored included."""
    return int(conn.execute(select(func.count()).select_from(leads).where(
        leads.c.kind == "newsletter", leads.c.email == email, leads.c.created_at > since)).scalar_one())


def _queue(conn: Any, mail: list[Mail], now: dt.datetime) -> None:
    for item in mail:
        conn.execute(insert(outbox), {"created_at": now, "recipient": item.recipient, "message": item.message,
                                      "next_attempt_at": now, "attempts": 0, "about": item.about})


def confirm(engine: Engine, email: str, now: dt.datetime) -> bool:
    """Mark the address confirmed; False when it is not on the list (unsubscribed or deleted)."""
    with _transaction(engine) as conn:
        conn.execute(update(subscribers).where(subscribers.c.email == email, subscribers.c.confirmed_at.is_(None))
                     .values(confirmed_at=now))
        return conn.execute(select(subscribers.c.email).where(subscribers.c.email == email)).first() is not None


def unsubscribe(engine: Engine, email: str) -> bool:
    """Take the address off the list; its mail still waiting is dropped too (and UNSUBSCRIBE_HOOKS run first)."""
    with _transaction(engine) as conn:
        for hook in UNSUBSCRIBE_HOOKS:
            hook(conn, email)
        removed = conn.execute(delete(subscribers).where(subscribers.c.email == email)).rowcount
        conn.execute(delete(outbox).where(outbox.c.recipient == email))
    return removed > 0


def erase(engine: Engine, email: str) -> dict[str, int]:
    """Delete everything stored about one address (GDPR art. 17): leads, subscription, mail to it or about it.

    The address matches however it is written: any case, and the domain in
    Unicode or as IDNA A-labels (``OLA@Bücher.no`` finds ``ola@bücher.no``).
    """
    with _transaction(engine) as conn:
        return _reported({name: conn.execute(delete(table).where(where)).rowcount
                          for name, (table, where) in _about(email).items()})


def erasable(engine: Engine, email: str) -> dict[str, int]:
    """What :func:`erase` would delete for *email*, counted per table: the staff confirm with these numbers."""
    with _transaction(engine) as conn:
        return _reported({name: int(conn.execute(select(func.count()).select_from(table).where(where)).scalar_one())
                          for name, (table, where) in _about(email).items()})


def _reported(counts: dict[str, int]) -> dict[str, int]:
    """The counts staff see: the core tables always, a feature's table (ERASABLE) only when it held something."""
    return {name: count for name, count in counts.items() if count or name in {"leads", "subscribers", "outbox"}}


def _about(email: str) -> dict[str, tuple[Table, Any]]:
    """Each table with the condition for the rows about *email*, in the order erasure reports them."""
    forms = _spellings(email)
    return {
        "leads": (leads, func.lower(leads.c.email).in_(forms)),
        "subscribers": (subscribers, func.lower(subscribers.c.email).in_(forms)),
        "outbox": (outbox, or_(
            func.lower(outbox.c.recipient).in_(forms), func.lower(outbox.c.about).in_(forms),
            # mail queued before the about column: found by the address in its text
            (outbox.c.about == "") & or_(*(func.lower(outbox.c.message).contains(form, autoescape=True)
                                          for form in forms)))),
        "bookings": (bookings, func.lower(bookings.c.email).in_(forms)),  # issue 20: booked meetings
        **{name: entry for about in ERASABLE for name, entry in about(forms).items()},
    }


def _spellings(email: str) -> list[str]:
    """The ways an address may be stored: as given (lowercased), normalised, and with an IDNA A-label domain."""
    normalised = validation.normalise_email(email)
    forms = {email.strip().lower(), normalised}
    with contextlib.suppress(ValueError):
        forms.add(validation.ascii_email(normalised))
    return sorted(forms)


def purge(engine: Engine, now: dt.datetime, retention: dt.timedelta, confirm_window: dt.timedelta) -> dict[str, int]:
    """Retention: leads and queued mail older than *retention*; signups never confirmed within *confirm_window*,
    and their confirmation mail (to and about them, or to them from before `about`; a booking keeps its own)."""
    unconfirmed = select(subscribers.c.email).where(subscribers.c.confirmed_at.is_(None),
                                                    subscribers.c.created_at < now - confirm_window)
    confirmations = outbox.c.recipient.in_(unconfirmed) & or_(outbox.c.about == outbox.c.recipient,
                                                               outbox.c.about == "")
    with _transaction(engine) as conn:
        return {
            "outbox": conn.execute(delete(outbox).where(or_(outbox.c.created_at < now - retention, confirmations)))
            .rowcount,
            "leads": conn.execute(delete(leads).where(leads.c.created_at < now - retention)).rowcount,
            "subscribers": conn.execute(delete(subscribers).where(
                subscribers.c.confirmed_at.is_(None), subscribers.c.created_at < now - confirm_window)).rowcount,
            # issue 20: a meeting goes with its lead, once it is over and older than the retention
            "bookings": conn.execute(delete(bookings).where(bookings.c.created_at < now - retention,
                                                            bookings.c.end_at < now)).rowcount,
        }


def list_leads(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """Newest first, with the subscription state of newsletter signups."""
    query = (select(leads, subscribers.c.confirmed_at, subscribers.c.email.label("subscribed"))
             .select_from(leads.outerjoin(subscribers, subscribers.c.email == leads.c.email))
             .order_by(leads.c.created_at.desc(), leads.c.id.desc()).limit(limit))
    with _transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def iter_leads(engine: Engine) -> Iterator[dict[str, Any]]:
    with _transaction(engine) as conn:
        for row in conn.execute(select(leads).order_by(leads.c.created_at.desc(), leads.c.id.desc())):
            yield dict(row._mapping)


def confirmed_subscribers(engine: Engine) -> list[dict[str, Any]]:
    query = (select(subscribers).where(subscribers.c.confirmed_at.is_not(None))
             .order_by(subscribers.c.confirmed_at, subscribers.c.email))
    with _transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def set_status(engine: Engine, lead_id: int, status: str) -> bool:
    if status not in STATUSES:
        raise ValueError(status)
    if not 0 < lead_id <= MAX_ID:  # no such row, and PostgreSQL would refuse the number itself
        return False
    with _transaction(engine) as conn:
        return conn.execute(update(leads).where(leads.c.id == lead_id).values(status=status)).rowcount == 1


def count_leads(engine: Engine) -> int:
    with _transaction(engine) as conn:
        return int(conn.execute(select(func.count()).select_from(leads)).scalar_one())


def lead_tokens(engine: Engine) -> list[str]:
    with _transaction(engine) as conn:
        return [row[0] for row in conn.execute(select(leads.c.form_token))]


def due_mail(engine: Engine, now: dt.datetime, limit: int = 20) -> list[dict[str, Any]]:
    query = select(outbox).where(outbox.c.next_attempt_at <= now).order_by(outbox.c.id).limit(limit)
    with _transaction(engine) as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def mail_sent(engine: Engine, mail_id: int) -> bool:
    """Take a mail out of the outbox as handed over; False when it is gone already (unsubscribed, erased, or
    handed over by another process), and then it must not be sent."""
    with _transaction(engine) as conn:
        return conn.execute(delete(outbox).where(outbox.c.id == mail_id)).rowcount == 1


def mail_restore(engine: Engine, item: dict[str, Any], error: str, retry_at: dt.datetime) -> None:
    """Put a mail taken out by :func:`mail_sent` back, under its own id, when the server then refused it."""
    row = {column.name: item[column.name] for column in outbox.columns}
    row |= {"attempts": row["attempts"] + 1, "last_error": error[:500], "next_attempt_at": retry_at}
    with _transaction(engine) as conn:
        # SQLite may have given the id to a newer mail meanwhile (no AUTOINCREMENT): then under a new one
        if conn.execute(_insert_ignoring(engine, outbox, ["id"]).returning(outbox.c.id), row).first() is None:
            conn.execute(insert(outbox), {key: value for key, value in row.items() if key != "id"})


def mail_failed(engine: Engine, mail_id: int, error: str, retry_at: dt.datetime) -> None:
    with _transaction(engine) as conn:
        conn.execute(update(outbox).where(outbox.c.id == mail_id).values(
            attempts=outbox.c.attempts + 1, last_error=error[:500], next_attempt_at=retry_at))


def outbox_state(engine: Engine) -> dict[str, Any]:
    with _transaction(engine) as conn:
        waiting = int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())
        failing = conn.execute(select(outbox.c.attempts, outbox.c.last_error).where(outbox.c.attempts > 0)
                               .order_by(outbox.c.attempts.desc()).limit(1)).first()
    return {"waiting": waiting, "last_error": failing.last_error if failing else ""}


# -----------------------------------------------------------------------------
# Staff sessions, rate limits and the write check: shared by every inbox process on one database
# -----------------------------------------------------------------------------

# A staff login. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
# database logs no one in. password_tag ties the session to the password it was made with.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False, index=True),
    Column("password_tag", String(64), nullable=False),
)

# One row per counted event (a form post, a failed login) under a keyed hash of what is limited.
limit_hits = Table(
    "limit_hits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("limit_hits_key_at", "key", "at"),
)

# A single row rewritten by the health check: proof that the database still accepts writes.
health = Table(
    "health", metadata,
    Column("id", Integer, primary_key=True),
    Column("checked_at", DateTime(timezone=True), nullable=False),
)


def _lock(conn: Any, key: str) -> None:
    """Serialise writers of one key across processes (PostgreSQL); SQLite's BEGIN IMMEDIATE already does."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def hit(engine: Engine, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
    """Count one event under *key* unless *limit* were counted in the last *window*; True when counted."""
    with _transaction(engine) as conn:
        return count_event(conn, key, limit, window, now)


def count_event(conn: Any, key: str, limit: int, window: dt.timedelta, now: dt.datetime) -> bool:
    """:func:`hit` inside a caller's transaction (the statistics count a view in the same commit)."""
    _lock(conn, key)
    conn.execute(delete(limit_hits).where(limit_hits.c.key == key, limit_hits.c.at <= now - window))
    count = conn.execute(select(func.count()).select_from(limit_hits).where(limit_hits.c.key == key)).scalar_one()
    if count >= limit:
        return False
    conn.execute(insert(limit_hits), {"key": key, "at": now})
    return True


def forget(engine: Engine, keys: list[str], at: dt.datetime) -> None:
    """Take back the events counted under *keys* at *at* (a login attempt that turned out right)."""
    with _transaction(engine) as conn:
        conn.execute(delete(limit_hits).where(limit_hits.c.key.in_(keys), limit_hits.c.at == at))


def create_session(engine: Engine, token_hash: str, password_tag: str, now: dt.datetime) -> None:
    with _transaction(engine) as conn:
        conn.execute(insert(staff_sessions), {"token_hash": token_hash, "created_at": now, "seen_at": now,
                                              "password_tag": password_tag})


def use_session(engine: Engine, token_hash: str, password_tag: str, now: dt.datetime, max_age: dt.timedelta,
                idle: dt.timedelta) -> bool:
    """Whether the session is alive (not logged out, too old, idle, or from another password); marks it seen."""
    with _transaction(engine) as conn:
        row = conn.execute(select(staff_sessions).where(staff_sessions.c.token_hash == token_hash)).first()
        if row is None:
            return False
        if (row.password_tag != password_tag or utc(row.created_at) <= now - max_age
                or utc(row.seen_at) <= now - idle):
            conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))
            return False
        if utc(row.seen_at) <= now - dt.timedelta(seconds=30):  # one write a half minute, not one a request
            conn.execute(update(staff_sessions).where(staff_sessions.c.token_hash == token_hash).values(seen_at=now))
    return True


def end_session(engine: Engine, token_hash: str) -> None:
    with _transaction(engine) as conn:
        conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))


def purge_expired(engine: Engine, now: dt.datetime, max_age: dt.timedelta, idle: dt.timedelta,
                  longest_window: dt.timedelta) -> dict[str, int]:
    """Sessions past their age or idle time, and limit events older than the longest window."""
    with _transaction(engine) as conn:
        return {
            "sessions": conn.execute(delete(staff_sessions).where(
                (staff_sessions.c.created_at <= now - max_age) | (staff_sessions.c.seen_at <= now - idle))).rowcount,
            "limit_hits": conn.execute(delete(limit_hits).where(limit_hits.c.at <= now - longest_window)).rowcount,
        }


def check_writes(engine: Engine, now: dt.datetime) -> bool:
    """Commit a one-row write: a full disk or a read-only database fails here, not on a visitor's form."""
    with _transaction(engine) as conn:
        if conn.execute(update(health).where(health.c.id == 1).values(checked_at=now)).rowcount == 0:
            conn.execute(_insert_ignoring(engine, health, ["id"]), {"id": 1, "checked_at": now})
    return True


# -----------------------------------------------------------------------------
# Booking with time slots (issue 20; the endpoints and their SQL are in inbox/booking.py)
# -----------------------------------------------------------------------------

# One row per booked meeting. The unique (consultant, start_at) is what holds a slot exactly once: the
# insert is ON CONFLICT DO NOTHING, so of two visitors who take the same time at once, one row goes in.
# A cancelled meeting's row is deleted, which frees the slot. uid is the invitation's stable UID;
# nonce belongs to the one cancel/move link that works now (a used link's nonce is gone). The visitor's
# address and name are kept for the invitations and erasure; the rest of the lead is in leads (lead_id).
bookings = Table(
    "bookings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("consultant", String(40), nullable=False),
    Column("start_at", DateTime(timezone=True), nullable=False, index=True),
    Column("end_at", DateTime(timezone=True), nullable=False),
    Column("uid", String(100), nullable=False, unique=True),
    Column("sequence", Integer, nullable=False, server_default="0"),
    Column("nonce", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("lead_id", Integer, nullable=True),
    Column("email", String(254), nullable=False, index=True),
    Column("name", String(200), nullable=False, server_default=""),
    UniqueConstraint("consultant", "start_at", name="bookings_slot"),
)

# The availability staff saved on /staff/moter (one row, id 1, as JSON); without it the settings file counts.
booking_settings = Table(
    "booking_settings", metadata,
    Column("id", Integer, primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
