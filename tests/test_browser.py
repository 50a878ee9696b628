"""The built site in real headless Chromium (Debian's, driven by Playwright): what a phone reader gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from support import PHONE, Build, refuse_other_hosts, serve_folder

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def served(real_site: Build) -> Iterator[str]:
    with serve_folder(real_site.site) as url:
        yield url


@pytest.mark.parametrize("path", ["", "artikler/", "artikler/motebooking-pa-telefon/", "gratis-konsultasjon/"])
def test_page_loads_nothing_from_other_hosts_and_fits_a_phone(browser: Browser, served: str, path: str) -> None:
    context = browser.new_context(**PHONE)
    outside = refuse_other_hosts(context)  # every request not to our own host is recorded, never sent
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
