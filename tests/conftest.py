"""Fixtures: the real site and small ones built with the real MkDocs in strict mode, Chromium, and the inbox.

Plain helpers and shared test data live in tests/support.py; this file only
turns them into fixtures.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, sync_playwright
from starlette.testclient import TestClient

from inbox.app import create_app
from support import (CHROMIUM_ARGS, INBOX, REPO, SITE_ORIGIN, Build, Mailbox, chromium_path, free_port,
                     hostile_files, postgres_database, run_mkdocs, settings, write_site)


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The project's own site, built once per test session."""
    build = run_mkdocs(REPO / "mkdocs.yml", tmp_path_factory.mktemp("real") / "site")
    assert build.returncode == 0, build.output
    return build


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The hostile corpus, built once per test session for every scan and browser test."""
    root = tmp_path_factory.mktemp("hostile")
    build = run_mkdocs(write_site(root, hostile_files()), root / "site")
    assert build.returncode == 0, build.output
    return build


@pytest.fixture
def site_writer(tmp_path: Path) -> Callable[..., Path]:
    """:func:`support.write_site` into this test's tmp_path."""
    return functools.partial(write_site, tmp_path)


@pytest.fixture
def small_site(site_writer: Callable[..., Path], tmp_path: Path) -> Callable[..., Build]:
    """Write a small site from a dict of ``{path: text}`` into tmp_path and build it."""

    def build(files: dict[str, str], authors: dict | None = None, **config_overrides: object) -> Build:
        return run_mkdocs(site_writer(files, authors, **config_overrides), tmp_path / "site")

    return build


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright through executable_path."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# -----------------------------------------------------------------------------
# The `slow` marker: `pytest -m "not slow"` runs the unit tests alone
# -----------------------------------------------------------------------------

# Fixtures that build a site, launch Chromium, or start a database or an SMTP server: a test that takes one,
# directly or through another fixture, is slow. Tests that start such things themselves carry
# @pytest.mark.slow; _fast_tests_start_nothing fails the ones that forget.
SLOW_FIXTURES = frozenset({"real_site", "hostile", "small_site", "browser", "database_url", "mailbox"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def _not_slow(what: str) -> None:
    pytest.fail(f"this test {what} but is not marked slow: add @pytest.mark.slow", pytrace=False)


class _FastPopen(subprocess.Popen):
    """What a fast test may start: a quick `git` (GitPython runs one on import), nothing else."""

    def __init__(self, args: object, *more: object, **options: object) -> None:
        program = args[0] if isinstance(args, (list, tuple)) else args
        if Path(str(program)).name != "git":
            _not_slow(f"starts {Path(str(program)).name}")
        super().__init__(args, *more, **options)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fast_tests_start_nothing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test outside the slow set starts no process (mkdocs, the inbox, Chromium) and no server."""
    if request.node.get_closest_marker("slow"):
        return
    monkeypatch.setattr(subprocess, "Popen", _FastPopen)
    monkeypatch.setattr(socket.socket, "listen", lambda *args: _not_slow("starts a server"))
    monkeypatch.setattr(socket.socket, "connect", lambda *args: _not_slow("connects to a server"))


# -----------------------------------------------------------------------------
# The lead inbox: a database (SQLite and PostgreSQL), a local SMTP server, the app
#
# Every inbox test that takes ``database_url`` runs twice: against a SQLite
# file in tmp_path and against a throwaway PostgreSQL database, created for the
# test and dropped after it. PostgreSQL comes from INBOX_TEST_POSTGRES (an
# admin URL; `make test` starts Debian's server and sets it).
# -----------------------------------------------------------------------------


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'inbox.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


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
