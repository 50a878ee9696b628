"""Fixtures for the lead inbox: a database (SQLite and PostgreSQL), a local SMTP server, the app, a running server.

Every inbox test that takes ``database_url`` runs twice: against a SQLite
file in tmp_path and against a throwaway PostgreSQL database, created for the
test and dropped after it. PostgreSQL comes from INBOX_TEST_POSTGRES (an
admin URL; `make test` starts Debian's server and sets it).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from conftest import REPO, free_port
from inbox import tokens
from inbox.app import create_app
from inbox.mail import SMTPDelivery
from inbox.settings import Settings

SITE = "http://127.0.0.1:8000/"
SITE_ORIGIN = "http://127.0.0.1:8000"
INBOX = "http://inbox.test"
PASSWORD = "riktig hest batteri stift"
PASSWORD_HASH = tokens.hash_password(PASSWORD)
SECRET = b"test-secret-" + b"x" * 40


# -----------------------------------------------------------------------------
# Mail
# -----------------------------------------------------------------------------


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the DATA exactly as it arrived, for what a parser would decode

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.raw.append(envelope.original_content)  # type: ignore[attr-defined]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"expected {count} emails, got {len(self.messages)}"
            time.sleep(0.05)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def links(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", body(message))


def read_csv(data: bytes) -> list[dict[str, str]]:
    """A staff export as Excel reads it: UTF-8 after a BOM, `;` between fields; rows by Norwegian heading."""
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def plain(value: str) -> str:
    """A cell without the ' that the export puts before a formula character where a cell could begin."""
    return re.sub(r"(^|[;,\t\r\n\"])(\s*)'(?=[=+\-@\uff1d\uff0b\uff0d\uff20\t\r\n])", r"\1\2", value)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


# -----------------------------------------------------------------------------
# Databases
# -----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    admin = os.environ.get("INBOX_TEST_POSTGRES")
    if not admin:
        if os.environ.get("INBOX_REQUIRE_POSTGRES"):
            pytest.fail("INBOX_TEST_POSTGRES is not set; `make test` starts PostgreSQL and sets it")
        pytest.skip("PostgreSQL not configured (INBOX_TEST_POSTGRES); `make test` runs these")
    name = f"inbox_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(engine, name)
        engine.dispose()


def _drop(engine: Any, name: str) -> None:
    """Drop a test database, ending what still uses it. WITH (FORCE) is refused while an autovacuum worker
    (a superuser process) is busy in the new database; that takes a moment, hence the retries."""
    for attempt in range(40):
        try:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == 39:
                raise
            time.sleep(0.25)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'inbox.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


# -----------------------------------------------------------------------------
# The app in-process, and a real server
# -----------------------------------------------------------------------------


def settings(database_url: str, mailbox: Mailbox | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url, "site_url": SITE, "public_url": INBOX, "secret": SECRET,
        "delivery": SMTPDelivery("127.0.0.1", mailbox.port if mailbox else free_port(), security="none", timeout=5),
        "staff_password_hash": PASSWORD_HASH, "staff_email": "salg@arcticsales.no", "rate_limit": 0,
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


@pytest.fixture
def make_inbox(database_url: str, mailbox: Mailbox) -> Iterator[Callable[..., TestClient]]:
    """Start the inbox in-process (its outbox worker included) with settings overrides; stopped after the test."""
    with contextlib.ExitStack() as stack:
        def start(**overrides: object) -> TestClient:
            app = create_app(settings(database_url, mailbox, **overrides))
            client = TestClient(app, base_url=INBOX, headers={"origin": SITE_ORIGIN}, follow_redirects=False)
            stack.enter_context(client)
            client.inbox = app.inbox  # type: ignore[attr-defined]
            return client
        yield start


@pytest.fixture
def inbox(make_inbox: Callable[..., TestClient]) -> TestClient:
    return make_inbox()


def log_in(client: TestClient) -> str:
    """Log in to the staff page; the CSRF token of the new session."""
    response = client.post("/staff/login", data={"password": PASSWORD}, headers={"origin": INBOX})
    assert response.status_code == 303, response.text
    page = client.get("/staff/")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


@contextlib.contextmanager
def inbox_server(database_url: str, site_url: str, data_dir: Path, *options: str,
                 env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """`python -m inbox` as a real process on a free port; yields its URL, the process and its log file."""
    port = free_port()
    log = data_dir / f"inbox-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database_url, "--site-url", site_url,
         "--data-dir", str(data_dir), *options],
        stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process, log
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None, "the inbox exited early"
        assert time.monotonic() < deadline, "the inbox did not become healthy"
        time.sleep(0.1)
