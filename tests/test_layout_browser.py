"""Layout a reader sees on a 390 px phone and on a desktop: form errors, the home page's buttons and cards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from support import PHONE, Build, serve_folder

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "nb-NO"}


@pytest.fixture(scope="module")
def served(real_site: Build) -> Iterator[str]:
    with serve_folder(real_site.site) as url:
        yield url


def _box(page, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def test_the_consent_error_sits_under_the_box_and_no_word_is_broken(browser: Browser, served: str) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(served + "gratis-konsultasjon/", wait_until="networkidle")
    form = page.locator("form.hub-form").first
    form.locator("button[type=submit]").click()
    consent = form.locator("input[name=consent]")
    error = page.locator(f"#{consent.get_attribute('id')}-error")
    error.wait_for(state="visible")
    label = form.locator(f"label[for={consent.get_attribute('id')}]")
    error_box, label_box, tick = error.bounding_box(), label.bounding_box(), consent.bounding_box()
    assert error_box and label_box and tick
    # The message has a row of its own under the tick and the label, as wide as the field.
    assert error_box["y"] >= label_box["y"] + label_box["height"] - 1
    assert error_box["x"] <= tick["x"] + 1 and error_box["width"] > 250
    # The label's words are whole: «personvernerklæringen» fits on one line of the label.
    link = label.locator("a")
    rects = link.evaluate("node => node.getClientRects().length")
    assert rects == 1, "the link text was broken over two lines"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_the_home_page_buttons_do_not_touch_on_a_phone(browser: Browser, served: str) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(served, wait_until="networkidle")
    buttons = page.locator(".md-content .hub-actions .md-button")
    assert buttons.count() == 2
    first, second = buttons.nth(0).bounding_box(), buttons.nth(1).bounding_box()
    assert first and second
    if second["y"] >= first["y"] + first["height"]:  # wrapped: one under the other
        gap = second["y"] - (first["y"] + first["height"])
    else:  # side by side
        gap = second["x"] - (first["x"] + first["width"])
    assert gap >= 8, f"the buttons are {gap:.1f} px apart"
    context.close()


@pytest.mark.parametrize("width", [1280, 1600, 2200])
def test_the_newest_articles_fill_their_row_on_a_desktop(browser: Browser, served: str, width: int) -> None:
    context = browser.new_context(**{**DESKTOP, "viewport": {"width": width, "height": 900}})
    page = context.new_page()
    page.goto(served, wait_until="networkidle")
    grid = _box(page, ".hub-latest ul.hub-cards")
    cards = page.locator(".hub-latest ul.hub-cards > li")
    assert cards.count() == 3
    last = cards.nth(2).bounding_box()
    first = cards.nth(0).bounding_box()
    assert first and last
    if abs(last["y"] - first["y"]) < 1:  # one row: it reaches the grid's right edge
        assert last["x"] + last["width"] >= grid["x"] + grid["width"] - 1, "the row leaves a column empty"
    context.close()
