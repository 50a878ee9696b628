"""Images in Chromium: `sizes` matches the text column it describes, and pages with images do not shift."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from hub import images
from support import PHONE, REPO, SVG_DIAGRAM, article, photo, run_mkdocs, serve_folder, write_site

pytestmark = pytest.mark.browser

VIEWPORTS = [390, 800, 1100, 1280, 1700, 2100]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("images-browser")
    text = "Tekst om coaching og feedback. " * 40
    body = (f"![Stort](bilder/stort.jpg)\n\n{text}\n\n## Del\n\n{text}\n\n![Lite](bilder/lite.png)\n\n{text}\n\n"
            f"![Diagram](bilder/diagram.svg)\n\n{text}\n")
    config = write_site(root, {
        "assets/stylesheets/hub.css": (REPO / "docs/assets/stylesheets/hub.css").read_text(encoding="utf-8"),
        "artikler/index.md": "# Artikler\n",
        "artikler/posts/bilder/stort.jpg": photo(2000, 1200),
        "artikler/posts/bilder/lite.png": photo(300, 200, "PNG"),
        "artikler/posts/bilder/diagram.svg": SVG_DIAGRAM,
        "artikler/posts/a.md": article("Bilder", slug="a", authors=["kari"], image="bilder/stort.jpg",
                                       image_alt="Et bilde", tags=["coaching"], categories=["Coaching"], body=body),
        "artikler/posts/b.md": article("Uten", slug="b", authors=["kari"], tags=["coaching"],
                                       categories=["Coaching"], body=text),
    }, extra_css=["assets/stylesheets/hub.css"])
    build = run_mkdocs(config, root / "site")
    assert build.returncode == 0, build.output
    with serve_folder(build.site) as url:
        yield url


def expected_column(viewport: int) -> float:
    """The width `sizes` gives an image wider than the column, at *viewport* px."""
    for low, fixed, less in images.TEXT_COLUMN:
        if viewport >= low:
            return fixed or viewport - less
    raise AssertionError(viewport)


@pytest.mark.parametrize("width", VIEWPORTS)
def test_sizes_describes_the_text_column(browser: Browser, served: str, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(served + "artikler/a/")
    shown = page.evaluate("document.querySelector('article.md-content__inner picture img').getBoundingClientRect()"
                          ".width")
    assert abs(shown - expected_column(width)) <= 1.5, (width, shown)
    page.close()


@pytest.mark.parametrize("options", [PHONE, {"viewport": {"width": 1280, "height": 800}}], ids=["phone", "desktop"])
def test_pages_with_images_do_not_shift_as_they_load(browser: Browser, served: str, options: dict) -> None:
    context = browser.new_context(**options)
    page = context.new_page()
    # The lazy images below the first screen arrive only after the scroll, long after the text is laid out.
    page.add_init_script("window.__shift = 0; new PerformanceObserver(list => { for (const entry of list.getEntries())"
                         " if (!entry.hadRecentInput) window.__shift += entry.value; })"
                         ".observe({type: 'layout-shift', buffered: true});")
    for path in ("artikler/a/", "artikler/b/"):
        page.goto(served + path)
        page.wait_for_load_state("networkidle")
        for _ in range(page.evaluate("Math.ceil(document.body.scrollHeight / innerHeight)")):
            page.evaluate("window.scrollBy(0, innerHeight)")  # past every lazy image, so each one loads
            page.wait_for_timeout(150)
        page.wait_for_load_state("networkidle")
        # The text's images and the cards' covers (the byline's avatar is hidden on a desktop, so never loads).
        assert page.evaluate("[...document.querySelectorAll('article p img, .hub-card img')]"
                             ".filter(img => !img.complete).map(img => img.outerHTML)") == []
        assert page.evaluate("window.__shift") == 0, path
    context.close()
