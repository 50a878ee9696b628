"""The built site in real headless Chromium (Debian's, driven by Playwright): what a phone reader gets."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, sync_playwright

from conftest import Build

pytestmark = pytest.mark.browser

# Chromium's own background traffic is switched off; this machine has no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "nb-NO"}


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is missing: run `make test`, which installs Debian's chromium package"
    return path


@pytest.fixture(scope="module")
def served(real_site: Build) -> Iterator[str]:
    """The built site on a loopback port, as a static host would serve it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(real_site.site))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.mark.parametrize("path", ["", "artikler/", "artikler/motebooking-pa-telefon/", "gratis-konsultasjon/"])
def test_page_loads_nothing_from_other_hosts_and_fits_a_phone(browser: Browser, served: str, path: str) -> None:
    context = browser.new_context(**PHONE)
    outside: list[str] = []

    def record(route, request) -> None:  # every request that is not to our own host is recorded, never sent
        if urlparse(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    context.route("**/*", record)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(served + path, wait_until="networkidle")
    assert response is not None and response.status == 200
    assert outside == []
    assert errors == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_article_byline_is_visible_on_a_phone(browser: Browser, served: str) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(served + "artikler/motebooking-pa-telefon/")
    byline = page.locator(".hub-byline")
    assert byline.is_visible()
    assert "25. februar 2025" in byline.inner_text() and "Sara Nilsen" in byline.inner_text()
    context.close()
