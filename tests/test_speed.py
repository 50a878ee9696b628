"""hooks/speed.py changes how fast the site builds, never what it contains; and it is pinned to Material."""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
import time
import urllib.request
import inspect
from pathlib import Path

import material
import pytest
import yaml
from material.plugins.blog.plugin import BlogPlugin
from material.plugins.blog.structure import Excerpt

from support import REPO, ConfigLoader, article, run_mkdocs, serving, write_site

SPEED = "hooks/speed.py"

BODIES = {
    "referanser": "Se [metoden][metode] og *[KPI]-ene.\n\n<!-- more -->\n\n## Mer\n\nTekst.\n\n"
                  "[metode]: https://www.arcticsales.no/metode/\n*[KPI]: nøkkeltall\n",
    "fotnoter": "Et utsagn[^1].\n\n<!-- more -->\n\nResten.\n\n[^1]: Kilden.\n",
    "lang": "Første avsnitt med **fet** tekst.\n\n<!-- more -->\n\n" + "\n\n".join(
        f"## Del {number}\n\nAvsnitt {number} med `kode` og [lenke](../index.md)." for number in range(8)),
    "uten-skille": "Bare ett avsnitt.\n\nOg ett til.\n",
}


def files() -> dict[str, str]:
    found = {f"artikler/posts/{slug}.md": article(f"Artikkel {slug}", body, slug=slug, categories=["Coaching"],
                                                  tags=["felles"])
             for slug, body in BODIES.items()}
    for number in range(9):  # enough posts for pagination
        found[f"artikler/posts/fyll-{number}.md"] = article(f"Fyll {number}", "Kort tekst.\n\n<!-- more -->\n\nMer.",
                                                            slug=f"fyll-{number}", categories=["Forhandling"])
    return found


def build(root: Path, with_speed: bool, cache: Path | None = None, site: str = "site",
          pages: dict[str, str] | None = None, **config_overrides: object):
    config = write_site(root, pages or files(), **config_overrides)
    if not with_speed:
        settings = yaml.safe_load(config.read_text(encoding="utf-8"))
        settings["hooks"] = [hook for hook in settings["hooks"] if not hook.endswith(SPEED)]
        config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_mkdocs(config, root / site, env={"HUB_CACHE_DIR": str(cache or root / "cache")})
    assert result.returncode == 0, result.output
    return result


def differences(one, other) -> list[str]:
    paths = sorted(path.relative_to(one.site) for path in one.files())
    assert paths == sorted(path.relative_to(other.site) for path in other.files())
    return [str(path) for path in paths if (one.site / path).read_bytes() != (other.site / path).read_bytes()]


@pytest.mark.slow
def test_output_is_unchanged_by_the_speed_ups_cold_and_warm(tmp_path: Path) -> None:
    plain = build(tmp_path / "plain", False)
    # Separate copies of the sources: Material writes artikler/index.md into the first one it builds.
    cold = build(tmp_path / "cold", True, cache=tmp_path / "cache")
    warm = build(tmp_path / "warm", True, cache=tmp_path / "cache")
    assert differences(cold, plain) == [] and differences(warm, plain) == []
    listing = cold.html("artikler/kategori/coaching/index.html").text()
    assert "Se metoden" in listing and "Avsnitt 7" not in listing
    assert (tmp_path / "cache" / "markdown.sqlite3").exists()


@pytest.mark.slow
def test_a_warm_build_serves_pages_from_the_cache(tmp_path: Path) -> None:
    """Mark every cached result; the warm build must show the mark (so the test above compares real hits)."""
    build(tmp_path / "cold", True, cache=tmp_path / "cache")
    database = sqlite3.connect(tmp_path / "cache" / "markdown.sqlite3")
    with database:
        for key, value in database.execute("SELECT key, value FROM entries").fetchall():
            entry = pickle.loads(value)
            entry["value"]["content"] = entry["value"]["content"].replace("Avsnitt 7", "Fra hurtigbufferen")
            database.execute("UPDATE entries SET value = ? WHERE key = ?", (pickle.dumps(entry), key))
    database.close()
    warm = build(tmp_path / "warm", True, cache=tmp_path / "cache")
    assert "Fra hurtigbufferen" in warm.text("artikler/lang/index.html")


def cached_build(root: Path, pages: dict[str, str], strict: bool = True):
    config = write_site(root, pages)
    return run_mkdocs(config, root / "site", env={"HUB_CACHE_DIR": str(root / "cache")}, strict=strict)


@pytest.mark.slow
def test_a_cached_page_follows_the_article_it_links_to(tmp_path: Path) -> None:
    """Rename the target of a link: the page linking to it is converted again, never served stale."""
    linking = article("Lenker", "Les [den andre](b.md) og [avsnittet](b.md#mer).", slug="lenker")
    pages = {"artikler/posts/a.md": linking,
             "artikler/posts/b.md": article("Den andre", "Tekst.\n\n## Mer\n\nMer.", slug="den-andre")}
    first = cached_build(tmp_path, pages)
    assert first.returncode == 0, first.output
    assert first.html("artikler/lenker/index.html").css_first("article a[href$='#mer']").attributes["href"] == (
        "../den-andre/#mer")
    pages["artikler/posts/b.md"] = article("Den andre", "Tekst.\n\n## Mer\n\nMer.", slug="nytt-navn")
    second = cached_build(tmp_path, pages)
    assert second.returncode == 0, second.output
    assert second.html("artikler/lenker/index.html").css_first("article a[href$='#mer']").attributes["href"] == (
        "../nytt-navn/#mer")


@pytest.mark.slow
def test_warnings_come_back_from_the_cache_so_strict_still_fails(tmp_path: Path) -> None:
    pages = {"artikler/posts/a.md": article("Brutt", "Se [borte](borte.md) og [anker](b.md#finnes-ikke).", slug="a"),
             "artikler/posts/b.md": article("Mål", "Tekst.", slug="b")}
    lenient = cached_build(tmp_path, pages, strict=False)
    assert lenient.returncode == 0, lenient.output
    for attempt in ("first", "cached"):
        strict = cached_build(tmp_path, pages)
        assert strict.returncode != 0, attempt
        assert "contains a link 'borte.md', but the target 'artikler/posts/borte.md' is not found" in strict.output
        assert "contains a link 'b.md#finnes-ikke', but the doc 'artikler/posts/b.md' does not contain an anchor " \
               "'#finnes-ikke'" in strict.output


# The Material and MkDocs internals the speed-ups rely on, as shipped in 9.8.2 and 1.6.1.
EXCERPT_RENDER = "6ee38b3efd751ef5996bf852d21008bf7e504476671a6b1b9d5025110899c27a"
MARKDOWN_CONVERT = "e70d19e814646ee89dbf1981762f37c8f65e32fd75f9aee829751865835b6e4b"
PAGE_RENDER = "320529348f7a8af152073d0a3ab02960ccce91f9204716144e51b20931983cc6"


def test_material_is_the_version_the_speed_ups_were_written_for() -> None:
    from speed import PINNED_MATERIAL

    assert material.__version__ == PINNED_MATERIAL, (
        f"mkdocs-material is {material.__version__}; hooks/speed.py was written for {PINNED_MATERIAL}. "
        "Re-check Excerpt.render and the `in self.blog.posts` lookups, then update both pins")
    digest = hashlib.sha256(inspect.getsource(Excerpt.render).encode()).hexdigest()
    assert digest == EXCERPT_RENDER, "Material's Excerpt.render changed: re-check hooks/speed.py"
    assert "if page not in self.blog.posts:" in inspect.getsource(BlogPlugin.on_page_markdown)


def test_mkdocs_is_the_version_the_markdown_cache_was_written_for() -> None:
    import mkdocs
    from mkdocs.structure.pages import Page
    from speed import PINNED_MKDOCS

    assert mkdocs.__version__ == PINNED_MKDOCS, (
        f"mkdocs is {mkdocs.__version__}; the Markdown cache in hooks/speed.py was written for {PINNED_MKDOCS}. "
        "Re-check what Page.render sets on the page, then update both pins")
    digest = hashlib.sha256(inspect.getsource(Page.render).encode()).hexdigest()
    assert digest == PAGE_RENDER, "MkDocs' Page.render changed: re-check the Markdown cache in hooks/speed.py"


def test_markdown_convert_is_the_one_the_excerpt_speed_up_follows() -> None:
    from markdown.core import Markdown

    digest = hashlib.sha256(inspect.getsource(Markdown.convert).encode()).hexdigest()
    assert digest == MARKDOWN_CONVERT, (
        "Python-Markdown's Markdown.convert changed: re-check _convert_for_listing in hooks/speed.py, which "
        "follows it step by step, then update the hash")


def test_post_list_membership_is_by_identity() -> None:
    from speed import PostList

    first, second = object(), object()
    posts = PostList([first])
    assert first in posts and second not in posts and list(posts) == [first]


@pytest.mark.parametrize("line", ["[metode]: https://x.no/", "*[KPI]: nøkkeltall", "  [a b]: <https://x.no>"])
def test_definitions_are_carried_into_the_excerpt(line: str) -> None:
    from speed import _DEFINITION

    assert _DEFINITION.match(line)


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def wait_for(url: str, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while text not in fetch(url):
        assert time.monotonic() < deadline, f"{text!r} never appeared at {url}"
        time.sleep(0.3)


@pytest.mark.slow
@pytest.mark.parametrize("dirty", [False, True])
def test_preview_of_a_saved_article(site_writer, tmp_path: Path, dirty: bool) -> None:
    """A save always re-renders the article; a large hub's dirty preview leaves listings for the next build."""
    config = site_writer({f"artikler/posts/{slug}.md": article(f"Tittel {slug}", "Tekst.", slug=slug)
                          for slug in ("a", "b", "c")})
    options = ("--dirty",) if dirty else ()
    with serving(config, *options, env={"HUB_PREVIEW_FULL_REBUILD_LIMIT": "1"}) as url:
        wait_for(f"{url}artikler/", "Tittel a")
        path = tmp_path / "docs/artikler/posts/a.md"
        time.sleep(1.1)  # a new modification time, whatever the file system's resolution
        path.write_text(article("Tittel endret", "Ny tekst.", slug="a"), encoding="utf-8")
        wait_for(f"{url}artikler/a/", "Tittel endret")
        listing = fetch(f"{url}artikler/")
        if dirty:
            assert "Tittel a" in listing and "Tittel endret" not in listing
        else:
            assert "Tittel endret" in listing


def test_the_real_site_is_unchanged_by_the_speed_ups(tmp_path: Path, real_site) -> None:
    """The project's own navigation, listings and pages, built without hooks/speed.py, match the real build."""
    settings = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=ConfigLoader)
    settings["hooks"] = [str(REPO / hook) for hook in settings["hooks"] if not hook.endswith(SPEED)]
    settings["theme"]["custom_dir"] = str(REPO / "overrides")
    settings["docs_dir"] = str(REPO / "docs")
    settings.pop("watch", None)
    config = tmp_path / "mkdocs.yml"
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    plain = run_mkdocs(config, tmp_path / "site")
    assert plain.returncode == 0, plain.output
    assert differences(real_site, plain) == []


@pytest.mark.slow
def test_navigation_rendered_once_per_state_matches_every_page(tmp_path: Path) -> None:
    """Pages outside the navigation at different depths share no navigation by mistake."""
    pages = {**files(),
             "om.md": "---\ntitle: Om\ndescription: Om oss.\n---\n\n# Om\n",
             "takk.md": "---\ntitle: Takk\ndescription: Takk.\n---\n\n# Takk\n",
             "juridisk/vilkar.md": "---\ntitle: Vilkår\ndescription: Vilkår.\n---\n\n# Vilkår\n",
             "juridisk/mer/personvern.md": "---\ntitle: Personvern\ndescription: P.\n---\n\n# Personvern\n",
             "artikler/index.md": "# Artikler\n"}
    nav = [{"Hjem": "index.md"}, {"Artikler": ["artikler/index.md"]}, {"Om oss": "om.md"}]
    builds = [build(tmp_path / name, with_speed, pages=pages, nav=nav, not_in_nav="/takk.md\n/juridisk/\n")
              for name, with_speed in (("fast", True), ("plain", False))]
    assert differences(*builds) == []
    link = builds[0].html("juridisk/mer/personvern/index.html").css_first("nav.md-nav--primary a[href$='om/']")
    assert link.attributes["href"] == "../../../om/"
