"""The article page as a reader gets it, on a phone and on a desktop screen, and valid markup on every page.

The real site is built once (conftest's ``real_site``) and served as a static
host would; Debian's Chromium renders it at 390×844 and 1280×800. The Nu HTML
Checker (vnu-jar, run with Java) reads every built HTML file, and axe-core
runs on every built page at both widths.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page

from support import PHONE, REPO, Build, article, refuse_other_hosts, run_mkdocs, serve_folder, write_site

ARTICLE = "artikler/motebooking-pa-telefon/"
# A plain Material page: its H1 comes from Markdown, with Material's own spacing.
PLAIN = "om-oss/"
WIDTHS = {
    "390": PHONE,
    "1280": {"viewport": {"width": 1280, "height": 800}, "locale": "nb-NO"},
}
# Material's h1 margin is 40 px at both widths; the test allows for rounding.
TOLERANCE = 2.0
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VNU = Path(os.environ.get("VNU_JAR") or REPO / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar")

# From the bottom of the title's last line of text (a ¶ permalink left out) to the top of the next
# element that is rendered, and the same from the bottom of the heading's box.
TITLE_GAP = """() => {
  const heading = document.querySelector("article h1");
  const walker = document.createTreeWalker(heading, NodeFilter.SHOW_TEXT, {
    acceptNode: node => node.parentElement.closest(".headerlink") || !node.data.trim()
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
  });
  let text = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const rect of range.getClientRects()) text = Math.max(text, rect.bottom);
  }
  let next = heading.nextElementSibling;
  while (next && !next.getClientRects().length) next = next.nextElementSibling;
  const top = next.getBoundingClientRect().top;
  return {text: top - text, box: top - heading.getBoundingClientRect().bottom, next: next.className || next.localName};
}"""

# Every rendered element of the page's content (the navigation drawer lists every author) that
# states one of the article's details; inside «Liknende artikler» the cards are about other articles.
DETAILS = """(author) => {
  const shown = el => el.checkVisibility() && el.closest(".md-content") && !el.closest(".hub-related");
  const date = document.querySelector(".hub-byline time").getAttribute("datetime").slice(0, 10);  // the day
  const where = el => el.closest(".hub-byline") ? "byline" : el.closest(".md-sidebar--post") ? "sidebar" : "other";
  return {
    date: [...document.querySelectorAll(`time[datetime^="${date}"]`)].filter(shown).map(where),
    author: [...document.querySelectorAll(`a[href$="forfatter/${author}/"]`)].filter(shown).map(where),
    readtime: [...document.querySelectorAll(".md-content *")].filter(el => shown(el) && el.children.length === 0
      && /\\d+ min lesetid/.test(el.textContent)).map(where),
  };
}"""


@pytest.fixture(scope="module")
def served(real_site: Build) -> Iterator[str]:
    with serve_folder(real_site.site) as url:
        yield url


def open_page(browser: Browser, url: str, width: str) -> Page:
    """A page in its own context at *width*, with every request to another host refused and recorded
    (our own inbox's free times, which a booking block in view asks for, are refused and not recorded)."""
    context = browser.new_context(**WIDTHS[width])
    outside = refuse_other_hosts(context)
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    assert outside == []
    return page


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_no_title_is_followed_by_more_space_than_a_plain_material_heading(
        browser: Browser, real_site: Build, served: str, width: str) -> None:
    """Before, a title whose invisible ¶ wrapped onto a line of its own left 73 px (slik-coacher-du-selgerne-dine)."""
    plain = open_page(browser, served + PLAIN, width)
    expected = plain.evaluate(TITLE_GAP)
    plain.context.close()
    assert 38 <= expected["box"] <= 40 + TOLERANCE, f"Material's own h1 spacing changed: {expected}"
    articles = [path for path in built_pages(real_site)
                if path.endswith("/") and real_site.html(path + "index.html").css_first(".hub-byline")]
    assert len(articles) >= 10 and "artikler/slik-coacher-du-selgerne-dine/" in articles
    too_far = {}
    for path in articles:
        page = open_page(browser, served + path, width)
        gap = page.evaluate(TITLE_GAP)
        permalinks = page.locator("article h1 .headerlink").count()
        page.context.close()
        if permalinks or gap["text"] > expected["text"] + TOLERANCE or gap["box"] > expected["box"] + TOLERANCE:
            too_far[path] = {**gap, "permalinks": permalinks}
    assert too_far == {}, f"{width} px, against Material's {expected}"


@pytest.mark.browser
@pytest.mark.parametrize(("width", "place"), [("390", "byline"), ("1280", "sidebar")])
def test_the_article_details_are_shown_once_in_the_place_for_the_width(
        browser: Browser, served: str, width: str, place: str) -> None:
    page = open_page(browser, served + ARTICLE, width)
    shown = page.evaluate(DETAILS, "sara")
    byline_visible = page.locator(".hub-byline").is_visible()
    title_bottom = page.locator("article h1").bounding_box()
    byline = page.locator(".hub-byline").bounding_box()
    page.context.close()
    assert shown == {"date": [place], "author": [place], "readtime": [place]}
    assert byline_visible is (place == "byline")
    if place == "byline":  # right under the title, above the text
        assert 0 <= byline["y"] - (title_bottom["y"] + title_bottom["height"]) <= 40


# The blocks below an article are laid out only when they near the screen (content-visibility: auto
# in hub.css), with a placeholder height until then. axe reads the layout in the moment it scrolls to
# an element, before the browser has laid such a block out, and would see the footer over a card.
# Here they are laid out from the start, as they are by the time a reader gets to them.
LAID_OUT = ".md-typeset .hub-cta, .md-typeset .hub-related { content-visibility: visible; }"


def built_pages(build: Build) -> list[str]:
    """Every HTML page of a build, as the address a reader opens."""
    pages = []
    for path in build.files():
        if path.suffix == ".html":
            relative = path.relative_to(build.site).as_posix()
            pages.append(relative.removesuffix("index.html"))
    return pages


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_violations_on_any_built_page(
        browser: Browser, real_site: Build, served: str, width: str) -> None:
    assert Path(os.environ.get("AXE_PATH") or "").exists() or \
        (REPO / ".cache/axe/node_modules/axe-core/axe.min.js").exists(), \
        "axe-core is missing: `make test` installs it from the npm registry"
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js").read_text()
    pages = built_pages(real_site)
    assert len(pages) > 25 and ARTICLE in pages
    found = {}
    for path in pages:
        page = open_page(browser, served + path, width)
        page.add_style_tag(content=LAID_OUT)
        page.add_script_tag(content=axe)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, "
                               "resultTypes: ['violations']})", AXE_TAGS)
        page.context.close()
        serious = [(violation["id"], [node["target"] for node in violation["nodes"]][:3])
                   for violation in result["violations"] if violation["impact"] in {"serious", "critical"}]
        if serious:
            found[path or "/"] = serious
    assert found == {}, json.dumps(found, ensure_ascii=False)


@pytest.mark.browser
def test_links_have_the_brand_colour(browser: Browser, served: str) -> None:
    """hub.css sets --md-typeset-a-color; Material's palette rule on <body> must not win."""
    page = open_page(browser, served + ARTICLE, "390")
    colour, line = page.evaluate("""() => {
      const link = document.querySelector(".hub-byline__categories a");
      return [getComputedStyle(link).color, getComputedStyle(link).textDecorationLine];
    }""")
    page.context.close()
    assert colour == "rgb(11, 92, 138)"  # #0b5c8a, 7.2:1 on white
    assert line == "underline"  # it stands in muted text: colour alone would not mark it (1.1:1)


def test_the_header_logo_reserves_its_box(real_site: Build) -> None:
    view_box = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"',
                         (REPO / "docs/assets/images/logo.svg").read_text(encoding="utf-8"))
    assert view_box, "the logo has a viewBox"
    ratio = float(view_box.group(1)) / float(view_box.group(2))
    for path in ("index.html", ARTICLE + "index.html", "404.html"):
        logos = real_site.html(path).css(".md-logo img")
        assert len(logos) == 2, path  # the header and the navigation drawer
        for logo in logos:
            width, height = int(logo.attributes["width"]), int(logo.attributes["height"])
            assert width / height == pytest.approx(ratio), path


@pytest.fixture(scope="module")
def renamed(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """A small site with an article whose old address forwards to the new one."""
    root = tmp_path_factory.mktemp("renamed")
    files = {"artikler/posts/ny.md": article("Ny tittel & «sitat»", "Tekst.", slug="ny-adresse",
                                             redirect_from=["gammel-adresse"])}
    build = run_mkdocs(write_site(root, files), root / "site")
    assert build.returncode == 0, build.output
    return build


def test_the_redirect_page_has_a_main_landmark_and_a_heading(renamed: Build) -> None:
    page = renamed.html("artikler/gammel-adresse/index.html")
    assert page.css_first("main h1").text() == "Artikkelen har flyttet"
    assert "«Ny tittel & «sitat»»" in page.css_first("main p").text()
    assert page.css_first("main a").attributes["href"] == "../ny-adresse/"


def vnu_errors(files: list[Path]) -> list[str]:
    """The Nu HTML Checker's errors for *files*, as "file:line: message"."""
    assert VNU.exists(), "the Nu HTML Checker is missing: `make test` installs vnu-jar from the npm registry"
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    messages = json.loads(result.stderr)["messages"]
    assert result.returncode == (1 if messages else 0), result.stderr[-2000:]
    return [f"{urlparse(message.get('url', '')).path}:{message.get('lastLine')}: {message['message']}"
            for message in messages]


def test_every_built_page_is_valid_html(real_site: Build, renamed: Build) -> None:
    files = [path for build in (real_site, renamed) for path in build.files() if path.suffix == ".html"]
    assert len(files) > 25 and any(path.match("gammel-adresse/index.html") for path in files)
    assert vnu_errors(files) == []


@pytest.mark.slow  # runs Java
def test_the_checker_reports_the_errors_material_writes(tmp_path: Path) -> None:
    """The three errors Material's own markup had, in a file of their own: the check can fail."""
    page = tmp_path / "feil.html"
    page.write_text('<!doctype html><html lang="nb"><head><title>x</title></head><body>'
                    '<input type="checkbox" id="__drawer" autocomplete="off">'
                    '<label for="__drawer" tabindex="">a</label><label for="__toc">b</label></body></html>',
                    encoding="utf-8")
    errors = vnu_errors([page])
    assert len(errors) == 3, errors
