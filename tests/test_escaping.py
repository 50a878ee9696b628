"""Front-matter values are data: no output file may turn them into live markup.

The hostile corpus in tests/corpus/hostile is built with the real MkDocs, then
every built file is scanned: HTML as a browser parses it, XML as a feed reader
does (descriptions are HTML to it), and the JSON fields a UI renders as HTML.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import feedparser
import lxml.html
import pytest
from lxml import etree

from conftest import REPO, Build, article, run_mkdocs, write_site

CORPUS = REPO / "tests/corpus/hostile"

# JSON fields that are rendered as HTML: the search UI's title and text, and a
# JSON feed's content_html. Every other JSON string (feed titles and summaries,
# the tags export) is plain text by its format's definition.
HTML_JSON_FIELDS = {"search_index.json": {"title", "text"}, "feed_json_created.json": {"content_html"},
                    "feed_json_updated.json": {"content_html"}}


def corpus_files() -> dict[str, str]:
    files = {str(path.relative_to(CORPUS)): path.read_text(encoding="utf-8")
             for path in CORPUS.rglob("*") if path.is_file()}
    files["assets/ola.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    return files


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The hostile corpus, built once for all scans."""
    root = tmp_path_factory.mktemp("hostile")
    build = run_mkdocs(write_site(root, corpus_files()), root / "site")
    assert build.returncode == 0, build.output
    return build


def live_markup(fragment: str | lxml.html.HtmlElement) -> list[str]:
    """What in parsed HTML could run or render from a hostile value."""
    tree = lxml.html.fromstring(f"<div>{fragment}</div>") if isinstance(fragment, str) else fragment
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name in element.attrib:
            if name.lower().startswith("on") or name.lower() == "autofocus":
                found.append(f"<{element.tag} {name}=…>")
        if element.tag == "img" and element.get("src") == "x":
            found.append("<img src=x>")
        if element.tag in {"b", "i"} and (element.text or "").strip() in {"tag", "kursiv"}:
            found.append(f"<{element.tag}> from a tag name")
        if element.tag == "script":
            body = element.text or ""
            if "json" in (element.get("type") or ""):
                json.loads(body)  # a JSON block cut short by </script> would not parse
            elif "xss" in body or "alert(" in body:
                found.append(f"<script>{body[:60]}")
    return found


def json_strings(value: object, key: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for name, item in value.items() for pair in json_strings(item, name)]
    if isinstance(value, list):
        return [pair for item in value for pair in json_strings(item, key)]
    return [(key, value)] if isinstance(value, str) else []


def scan(path: Path) -> list[str]:
    if path.suffix == ".html":
        return live_markup(lxml.html.fromstring(path.read_bytes()))
    if path.suffix == ".xml":
        tree = etree.fromstring(path.read_bytes())  # must be well-formed despite "]]>" and "<"
        found = [f"<{element.tag}> element" for element in tree.iter()
                 if isinstance(element.tag, str) and element.tag.lower() in {"script", "img", "b", "i"}]
        for description in tree.iter("description"):
            found += live_markup(description.text or "")
        return found
    if path.suffix == ".json":
        pairs = json_strings(json.loads(path.read_text(encoding="utf-8")))
        fields = HTML_JSON_FIELDS.get(path.name, set())
        return [problem for key, text in pairs if key in fields for problem in live_markup(text)]
    return []


def test_hostile_values_never_become_markup_in_any_output(hostile: Build) -> None:
    scanned = [path for path in hostile.files() if path.suffix in {".html", ".xml", ".json"}]
    assert len(scanned) > 15
    problems = {str(path.relative_to(hostile.site)): found for path in scanned if (found := scan(path))}
    assert problems == {}


@pytest.mark.parametrize("markup", [
    "<b onmouseover=alert(1)>tag</b>", "<img src=x onerror=alert(1)>", "<script>alert('xss')</script>",
])
def test_the_scanner_finds_live_markup(markup: str) -> None:
    assert live_markup(f"<p>{markup}</p>")


def test_hostile_values_are_shown_as_text(hostile: Build) -> None:
    page = hostile.html("artikler/skript/index.html")
    assert page.css_first("title").text() == "Pris </script><script>alert('xss-title')</script> & «sitat» - " \
                                             "Arctic Sales Development"
    assert page.css_first('meta[name="description"]').attributes["content"] == \
        "Beskrivelse \"><img src=x onerror=alert('xss-desc')> slutt"
    assert "<b onmouseover=alert('xss-tag')>tag</b>" in [tag.text().strip() for tag in page.css(".md-tag")]
    assert "<img src=x onerror=alert('xss-author')>Ola \"Nordmann\"" in page.css_first(".hub-byline").text()
    listing = hostile.html("artikler/index.html")
    titles = [link.text().strip() for link in listing.css("article.md-post h2 a")]
    assert "Pris </script><script>alert('xss-title')</script> & «sitat»" in titles
    profile = hostile.html("artikler/forfatter/ondsinnet/index.html").css_first(".hub-profile").text()
    assert "<script>alert('xss-role')</script> Rådgiver & coach" in profile
    assert "{{ config.site_name }}" in hostile.html("artikler/tegn/index.html").css_first("h1").text()


HONEST_TITLE = 'Slik sier du "nei" til rabatt – Salg & service «sitat» æøå'
HONEST_DESCRIPTION = 'Når kunden sier "for dyrt" & du vil holde prisen: ærlige svar på «kan dere gå ned?»'


@pytest.fixture
def honest(small_site) -> Build:
    build = small_site({"artikler/posts/a.md": article(HONEST_TITLE, "Tekst.", description=HONEST_DESCRIPTION,
                                                       slug="ærlig-svar".replace("æ", "ae"), tags=["Salg & service"])})
    assert build.returncode == 0, build.output
    return build


def test_honest_values_display_exactly_once_escaped(honest: Build) -> None:
    page = honest.html("artikler/aerlig-svar/index.html")
    assert page.css_first("title").text() == f"{HONEST_TITLE} - Arctic Sales Development"
    assert page.css_first('meta[name="description"]').attributes["content"] == HONEST_DESCRIPTION
    assert page.css_first("h1").text().rstrip("¶").strip() == HONEST_TITLE
    assert [tag.text().strip() for tag in page.css(".md-tag")] == ["Salg & service"]
    listing = honest.html("artikler/index.html").css_first("article.md-post h2 a").text().strip()
    assert listing == HONEST_TITLE
    for path in honest.files():
        if path.suffix in {".html", ".xml", ".json"}:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"&amp;(amp|quot|lt|gt|#\d+);", text) or path.suffix == ".xml", path


def test_honest_values_reach_feed_readers_as_written(honest: Build) -> None:
    entry = feedparser.parse(honest.text("feed_rss_created.xml")).entries[0]
    assert entry.title == HONEST_TITLE
    # A feed reader renders <description> as HTML: one decode shows the text.
    assert html.unescape(entry.summary) == HONEST_DESCRIPTION
    assert "&amp;amp;" not in entry.summary
    item = json.loads(honest.text("feed_json_created.json"))["items"][0]
    assert item["title"] == HONEST_TITLE
    assert item["summary"] == HONEST_DESCRIPTION
    assert html.unescape(item["content_html"]) == HONEST_DESCRIPTION


def test_rss_plugin_internals_we_rely_on_are_still_there() -> None:
    """hooks/escaping.py replaces the RSS plugin's template: fail loudly if its attributes move."""
    from mkdocs_rss_plugin.plugin import GitRssPlugin

    plugin = GitRssPlugin()
    source = Path(__import__("mkdocs_rss_plugin.plugin").plugin.__file__).read_text(encoding="utf-8")
    assert "self.tpl_folder" in source and "self.tpl_file" in source
    assert 'select_autoescape(["html", "xml"])' in source
    assert hasattr(plugin, "config")
