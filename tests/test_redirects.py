"""A deliberately renamed slug keeps its old address working (hooks/redirects.py)."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser

from support import article, serve_folder

RENAMED = {
    "artikler/posts/ny.md": article("Ny tittel & «sitat»", "Tekst.", slug="ny-adresse",
                                    redirect_from=["gammel-adresse", "enda-eldre"]),
}


@pytest.fixture
def renamed(small_site):
    build = small_site(RENAMED)
    assert build.returncode == 0, build.output
    return build


@pytest.mark.parametrize("old", ["gammel-adresse", "enda-eldre"])
def test_old_address_forwards_to_the_article(renamed, old: str) -> None:
    page = renamed.html(f"artikler/{old}/index.html")
    assert page.css_first("html").attributes["lang"] == "nb"
    refresh = page.css_first('meta[http-equiv="refresh"]').attributes["content"]
    assert refresh == "0; url=../ny-adresse/"
    target = urljoin(f"https://x/artikler/{old}/", refresh.split("url=")[1])
    assert (renamed.site / target.removeprefix("https://x/") / "index.html").exists()
    assert page.css_first('link[rel="canonical"]').attributes["href"] == "https://www.arcticsales.no/artikler/ny-adresse/"
    assert "«Ny tittel & «sitat»»" in page.css_first("p").text()
    sitemap = renamed.text("sitemap.xml")
    assert old not in sitemap and "ny-adresse" in sitemap


@pytest.mark.browser
def test_browser_lands_on_the_new_address(renamed, browser: Browser) -> None:
    with serve_folder(renamed.site) as url:
        page = browser.new_page()
        page.goto(url + "artikler/gammel-adresse/")
        page.wait_for_url("**/artikler/ny-adresse/")
        assert page.locator("h1").first.inner_text().rstrip("¶").strip() == "Ny tittel & «sitat»"
        page.close()


@pytest.mark.parametrize(("files", "message"), [
    ({"artikler/posts/a.md": article("A", slug="a", redirect_from=["b"]),
      "artikler/posts/b.md": article("B", slug="b")},
     "docs/artikler/posts/a.md:6: redirect_from: 'b' er slugen til docs/artikler/posts/b.md; "
     "en gammel adresse kan ikke samtidig være i bruk"),
    ({"artikler/posts/a.md": article("A", slug="a", redirect_from=["gammel"]),
      "artikler/posts/c.md": article("C", slug="c", redirect_from=["gammel"])},
     "docs/artikler/posts/c.md:6: redirect_from: 'gammel' videresendes allerede til docs/artikler/posts/a.md; "
     "ha den i bare én artikkel"),
    ({"artikler/posts/a.md": article("A", slug="a", redirect_from=["Gammel Adresse"])},
     "docs/artikler/posts/a.md:6: redirect_from: 'Gammel Adresse' er ikke en slug"),
    ({"artikler/posts/a.md": article("A", slug="a", redirect_from=["metode"]),
      "artikler/metode.md": "---\ntitle: Metode\ndescription: Om metoden.\n---\n\n# Metode\n"},
     "docs/artikler/posts/a.md: redirect_from: 'metode' er adressen til en annen side (artikler/metode/)"),
])
def test_bad_redirects_fail_the_build_naming_file_and_value(small_site, files, message: str) -> None:
    build = small_site(files)
    assert build.returncode != 0
    assert message in build.output
    assert "Traceback" not in build.output
