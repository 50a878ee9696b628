"""Material's search UI in real headless Chromium, over the hostile corpus: results show front matter as text.

The UI inserts each result's title, text and tags with innerHTML, so this is
where a raw value in search/search_index.json runs. The folder is served
without the Content-Security-Policy of ``_headers`` (as a plain static host
would), so what is checked is the markup alone, not a policy that hides it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from playwright.sync_api import Browser, Page

from support import HOSTILE_CORPUS, Build, serve_folder

pytestmark = pytest.mark.browser

# Everything inside the results that could run or load something, found in the live DOM.
LIVE_IN_RESULTS = """() => {
  const active = new Set(["script", "img", "svg", "iframe", "frame", "object", "embed", "b", "i", "style",
                          "form", "input", "video", "audio", "math", "base", "link", "meta"]);
  const found = [];
  for (const el of document.querySelectorAll(".md-search-result *")) {
    if (active.has(el.localName)) found.push(`<${el.localName}>`);
    if (el.localName === "details" && !el.classList.contains("md-search-result__more")) found.push("<details>");
    if (el.localName === "a" && !el.classList.contains("md-search-result__link")) found.push("<a> from a value");
    for (const attribute of el.attributes) {
      const value = attribute.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (/^on/i.test(attribute.name) || attribute.name === "srcdoc" || value.startsWith("javascript:"))
        found.push(`<${el.localName} ${attribute.name}>`);
    }
  }
  return found;
}"""


def front_matter(path: str) -> dict:
    return yaml.safe_load((HOSTILE_CORPUS / path).read_text(encoding="utf-8").split("---")[1])


@pytest.fixture(scope="module")
def served(hostile: Build) -> Iterator[str]:
    with serve_folder(hostile.site) as url:
        yield url


def search(browser: Browser, url: str, query: str, dialogs: list[str]) -> Page:
    """Open the site, type *query* into Material's search box and wait for its results."""
    page = browser.new_context(locale="nb-NO").new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url, wait_until="networkidle")
    page.locator(".md-search__input").click()
    page.keyboard.type(query, delay=20)
    page.locator(".md-search-result__item").first.wait_for(timeout=15_000)
    return page


def hover_everything(page: Page) -> None:
    """A reader moving the mouse over each result and each tag: onmouseover and friends get their chance."""
    for target in page.locator(".md-search-result__article, .md-search-result .md-tag").all():
        target.hover()
    page.mouse.move(0, 0)
    page.wait_for_load_state("networkidle")  # <img src=x> has failed to load and fired onerror by now
    page.wait_for_timeout(300)


def result_for(page: Page, location: str):
    return page.locator(f'.md-search-result__link[href*="/{location}"]').first


@pytest.mark.parametrize(("query", "source", "location"), [
    ("nordlyskontoret", "om.md", "om/"),                                         # a plain page without an H1
    ("ukeplanen", "artikler/posts/merkelapper.md", "artikler/merkelapper/"),      # tags with markup
    ("kodesnutten", "artikler/posts/kodeblokk.md", "artikler/kodeblokk/"),        # "# kommentar" in a code block
    ("ingressen", "artikler/posts/ingress.md", "artikler/ingress/"),              # a paragraph before the H1
    ("brødtekst", "artikler/posts/skript.md", "artikler/skript/"),
    ("prisoversikten", "priser.md", "priser/"),                                   # honest & and " in title and tag
])
def test_search_results_show_front_matter_as_text(browser: Browser, served: str, query: str, source: str,
                                                  location: str) -> None:
    dialogs: list[str] = []
    page = search(browser, served, query, dialogs)
    hover_everything(page)
    meta = front_matter(source)
    result = result_for(page, location)
    assert result.count() == 1, f"«{query}» found no result for {location}"
    assert (dialogs, page.evaluate(LIVE_IN_RESULTS)) == ([], [])
    assert result.locator("h1, h2").first.inner_text().strip() == meta["title"]
    assert [tag.inner_text() for tag in result.locator(".md-tag").all()] == meta.get("tags", [])
    page.context.close()
