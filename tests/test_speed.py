"""hooks/speed.py changes how fast the site builds, never what it contains; and it is pinned to Material."""

from __future__ import annotations

import hashlib
import time
import urllib.request
import inspect
from pathlib import Path

import material
import pytest
import yaml
from material.plugins.blog.plugin import BlogPlugin
from material.plugins.blog.structure import Excerpt

from conftest import article, run_mkdocs, serving, site_config, write_site

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


def build(root: Path, with_speed: bool):
    config = write_site(root, files())
    if not with_speed:
        settings = site_config()
        settings["hooks"] = [hook for hook in settings["hooks"] if not hook.endswith(SPEED)]
        config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_mkdocs(config, root / "site")
    assert result.returncode == 0, result.output
    return result


def test_output_is_unchanged_by_the_speed_ups(tmp_path: Path) -> None:
    fast, plain = build(tmp_path / "fast", True), build(tmp_path / "plain", False)
    fast_files = sorted(path.relative_to(fast.site) for path in fast.files())
    assert fast_files == sorted(path.relative_to(plain.site) for path in plain.files())
    differing = [str(path) for path in fast_files
                 if (fast.site / path).read_bytes() != (plain.site / path).read_bytes()]
    assert differing == []
    listing = fast.html("artikler/kategori/coaching/index.html").text()
    assert "Se metoden" in listing and "Avsnitt 7" not in listing


# The Material internals the speed-ups rely on, as shipped in 9.8.2.
EXCERPT_RENDER = "6ee38b3efd751ef5996bf852d21008bf7e504476671a6b1b9d5025110899c27a"


def test_material_is_the_version_the_speed_ups_were_written_for() -> None:
    from speed import PINNED_MATERIAL

    assert material.__version__ == PINNED_MATERIAL, (
        f"mkdocs-material is {material.__version__}; hooks/speed.py was written for {PINNED_MATERIAL}. "
        "Re-check Excerpt.render and the `in self.blog.posts` lookups, then update both pins")
    digest = hashlib.sha256(inspect.getsource(Excerpt.render).encode()).hexdigest()
    assert digest == EXCERPT_RENDER, "Material's Excerpt.render changed: re-check hooks/speed.py"
    assert "if page not in self.blog.posts:" in inspect.getsource(BlogPlugin.on_page_markdown)


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
