"""The accessibility statement («Tilgjengelighetserklæring»): built, linked from every page's footer, and true."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from support import REPO, Build

STATEMENT = "tilgjengelighet/index.html"
# uutilsynet's model statement: status, what is not accessible (here: not checked), how it was tested,
# feedback and contact, and when the statement was made.
SECTIONS = ["Samsvarsstatus", "Dette er ikke kontrollert", "Slik har vi testet", "Tilbakemelding og kontakt",
            "Om erklæringen"]


def heading_text(heading) -> str:
    """A heading's text without its ¶ permalink."""
    return heading.text().removesuffix(permalink.text() if (permalink := heading.css_first(".headerlink")) else "").strip()


def test_the_statement_is_a_page_with_main_and_its_heading(real_site: Build) -> None:
    page = real_site.html(STATEMENT)
    assert page.css_first("html").attributes["lang"] == "nb"
    assert heading_text(page.css_first("main h1")) == "Tilgjengelighetserklæring"
    assert [heading_text(heading) for heading in page.css("main h2")] == SECTIONS
    assert "WCAG 2.1 nivå AA" in page.css_first("main").text()
    assert re.search(r"laget \d{1,2}\. \w+ \d{4}", page.css_first("main").text())


def test_every_page_links_to_the_statement_from_its_footer(real_site: Build) -> None:
    pages = [path.relative_to(real_site.site).as_posix() for path in real_site.files() if path.suffix == ".html"]
    assert len(pages) > 25
    missing = []
    for path in pages:
        base = "https://www.arcticsales.no/" + path
        links = [urljoin(base, link.attributes["href"]) for link in real_site.html(path).css("footer a[href]")]
        if "https://www.arcticsales.no/tilgjengelighet/" not in links:
            missing.append(path)
    assert missing == []


def test_the_statement_names_the_tools_the_tests_run_and_the_contact_on_om_oss() -> None:
    statement = (REPO / "docs/tilgjengelighet.md").read_text(encoding="utf-8")
    axe = re.search(r"axe-core@([\d.]+)", (REPO / "Makefile").read_text(encoding="utf-8"))
    assert axe and f"axe-core {axe.group(1)}" in statement
    assert "390 og 1280 piksler" in statement and "Nu HTML Checker" in statement
    email = re.search(r"mailto:([\w.@-]+)", (REPO / "docs/om-oss.md").read_text(encoding="utf-8")).group(1)
    assert f"mailto:{email}" in statement
