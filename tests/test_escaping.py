"""Front-matter values are data: no output file may turn them into live markup.

The hostile corpus in tests/corpus/hostile is built with the real MkDocs, then
every built file is scanned: HTML as a browser parses it, XML as a feed reader
does (descriptions are HTML to it), and every string in every JSON file as
HTML. There is no list of "HTML fields": Material's search plugin treats tags
as plain text and its UI inserts them with innerHTML, so a field's declared
format proves nothing. A plain-text JSON field (a JSON feed's title) may hold
any honest text, but never anything an HTML parser would turn into markup.
Every other file type is shown not to carry any hostile value at all.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path

import feedparser
import lxml.html
import pytest
import yaml
from lxml import etree

from support import HOSTILE_CORPUS, Build, article

# Every hostile value in the corpus calls alert(…); the scanned types are read as a parser would.
MARKER = b"alert("
SCANNED = {".html", ".xml", ".json"}

# Elements that load or run something whatever their attributes say.
_ACTIVE_ELEMENTS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
# Attributes whose value is a URL or a document that a browser may load or run.
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "{http://www.w3.org/1999/xlink}href",
                   "data", "poster", "background", "content"}
_SCRIPT_URL = re.compile(r"^(javascript|vbscript|data:text/html)", re.IGNORECASE)
# Tag names in the corpus that only become <b>, <i> or <a> elements if a tag is printed as HTML.
_TAG_WORDS = {"tag", "kursiv", "fet", "lenke"}


def live_markup(fragment: str | lxml.html.HtmlElement) -> list[str]:
    """What in parsed HTML could run or render from a hostile value."""
    tree = lxml.html.fromstring(f"<div>{fragment}</div>") if isinstance(fragment, str) else fragment
    found = []
    for element in tree.iter():
        if isinstance(element.tag, str):
            found += _live_element(element)
    return found


def _live_element(element: lxml.html.HtmlElement) -> list[str]:
    tag = element.tag.lower()
    found = [f"<{tag} {name}=…>" for name in element.attrib if _live_attribute(element, name)]
    if tag in _ACTIVE_ELEMENTS:
        found.append(f"<{tag}>")
    if tag == "img" and element.get("src") == "x":
        found.append("<img src=x>")
    if tag in {"b", "i", "a"} and (element.text or "").strip() in _TAG_WORDS:
        found.append(f"<{tag}> from a tag name")
    if tag == "script":
        body = element.text or ""
        if "json" in (element.get("type") or ""):
            json.loads(body)  # a JSON block cut short by </script> would not parse
        elif "xss" in body or "alert(" in body:
            found.append(f"<script>{body[:60]}")
    return found


def _live_attribute(element: lxml.html.HtmlElement, name: str) -> bool:
    name = name.lower()
    if name.startswith("on") or name in {"autofocus", "srcdoc"}:
        return True
    if name == "content" and (element.get("http-equiv") or "").lower() != "refresh":
        return False  # a <meta> description is text, not a URL
    # The parser has decoded entities; browsers ignore whitespace and control characters in a scheme.
    url = re.sub(r"[\x00-\x20]", "", element.get(name) or "")
    return name in _URL_ATTRIBUTES and bool(_SCRIPT_URL.match(re.sub(r"^\d*;?url=", "", url, flags=re.I)))


def json_strings(value: object) -> list[str]:
    """Every string in a JSON document, keys included: nothing is left out by name."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *json_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in json_strings(item)]
    return [value] if isinstance(value, str) else []


def scan(path: Path, data: bytes) -> list[str]:
    suffix = Path(path.name.removesuffix(".gz")).suffix
    if suffix == ".html":
        return live_markup(lxml.html.fromstring(data))
    if suffix == ".xml":
        tree = etree.fromstring(data)  # must be well-formed despite "]]>" and "<"
        found = [f"<{element.tag}> element" for element in tree.iter()
                 if isinstance(element.tag, str) and element.tag.lower() in {"script", "img", "b", "i", "svg"}]
        for description in tree.iter("description"):
            found += live_markup(description.text or "")
        return found
    if suffix == ".json":
        return [problem for text in json_strings(json.loads(data)) for problem in live_markup(text)]
    raise AssertionError(f"{path.name}: not a scanned type")


def built_data(path: Path) -> bytes:
    """A file as its reader gets it: a .gz file (the sitemap) is decompressed."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def is_scanned(path: Path) -> bool:
    return Path(path.name.removesuffix(".gz")).suffix in SCANNED


def test_hostile_values_never_become_markup_in_any_output(hostile: Build) -> None:
    scanned = [path for path in hostile.files() if is_scanned(path)]
    assert len(scanned) > 15
    assert {path.suffix for path in scanned} >= {".html", ".xml", ".json", ".gz"}
    problems = {str(path.relative_to(hostile.site)): found for path in scanned
                if (found := scan(path, built_data(path)))}
    assert problems == {}


def test_files_that_are_not_scanned_carry_no_hostile_value(hostile: Build) -> None:
    """Scripts, styles, images, robots.txt and the header files are not parsed: prove nothing hostile is in them."""
    others = [path for path in hostile.files() if not is_scanned(path)]
    assert {".js", ".css", ".png", ".svg", ".txt"} <= {path.suffix for path in others}
    assert [str(path.relative_to(hostile.site)) for path in others if MARKER in built_data(path)] == []
    # The marker is found where the values do go (escaped or not, "alert(" survives): the test can fail.
    assert MARKER in hostile.site.joinpath("search/search_index.json").read_bytes()
    tagged = [path for path in HOSTILE_CORPUS.rglob("*")
              if path.is_file() and re.search(r"<[a-z/]", path.read_text(encoding="utf-8"))]
    assert len(tagged) >= 8 and all(MARKER in path.read_bytes() for path in tagged)


LIVE = [
    "<b onmouseover=alert(1)>tag</b>", "<img src=x onerror=alert(1)>", "<script>alert('xss')</script>",
    "<svg onload=alert(1)>", "<svg><animate onbegin=alert(1) attributeName=x></svg>",
    "<details open ontoggle=alert(1)>", "<a href=javascript:alert(1)>lenke</a>",
    "<a href=' JaVa\tScRiPt:alert(1)'>x</a>", "<a href='&#106;avascript:alert(1)'>x</a>",
    "<svg><a xlink:href=javascript:alert(1)><text>x</text></a></svg>",
    "<iframe src=https://example.org></iframe>", "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "<object data=x></object>", "<embed src=x>", "<form><button formaction=javascript:alert(1)>x</button></form>",
    "<input autofocus onfocus=alert(1)>", "<base href=https://example.org/>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>", "<i>kursiv</i>",
    "<a href=data:text/html,<script>alert(1)</script>>x</a>",
]


@pytest.mark.parametrize("markup", LIVE)
def test_the_scanner_finds_live_markup(markup: str) -> None:
    assert live_markup(f"<p>{markup}</p>")


@pytest.mark.parametrize("markup", LIVE)
def test_the_scanner_passes_the_same_markup_escaped_once(markup: str) -> None:
    assert live_markup(html.escape(markup, quote=False)) == []


@pytest.mark.parametrize("honest", [
    '<p>Salg &amp; service "nei" &lt; 5 %</p>', "<pre><code># kommentar\n</code></pre>",
    '<a href="https://www.arcticsales.no/">x</a>', '<a href="../artikler/">x</a>', "Salg & service < 5 %",
    '<svg viewBox="0 0 24 24"><path d="M1 1"/></svg>', '" onmouseover="alert(1)" x="',
])
def test_the_scanner_leaves_honest_markup_and_text_alone(honest: str) -> None:
    assert live_markup(honest) == []


def test_json_strings_leaves_nothing_out() -> None:
    assert json_strings({"a": ["b", {"c": "d", "e": 1}], "f": None}) == ["a", "b", "c", "d", "e", "f"]


def test_hostile_values_are_shown_as_text(hostile: Build) -> None:
    page = hostile.html("artikler/skript/index.html")
    assert page.css_first("title").text() == "Pris </script><script>alert('xss-title')</script> & «sitat» - " \
                                             "Arctic Sales Development"
    assert page.css_first('meta[name="description"]').attributes["content"] == \
        "Beskrivelse \"><img src=x onerror=alert('xss-desc')> slutt"
    assert "<b onmouseover=alert('xss-tag')>tag</b>" in [tag.text().strip() for tag in page.css(".md-tag")]
    assert "<img src=x onerror=alert('xss-author')>Ola \"Nordmann\"" in page.css_first(".hub-byline").text()
    titles = [link.text().strip() for listing in ("artikler/index.html", "artikler/side/2/index.html")
              for link in hostile.html(listing).css("article.md-post h2 a")]
    assert "Pris </script><script>alert('xss-title')</script> & «sitat»" in titles
    profile = hostile.html("artikler/forfatter/ondsinnet/index.html").css_first(".hub-profile").text()
    assert "<script>alert('xss-role')</script> Rådgiver & coach" in profile
    assert "{{ config.site_name }}" in hostile.html("artikler/tegn/index.html").css_first("h1").text()


def search_docs(build: Build) -> dict[str, dict]:
    return {doc["location"]: doc for doc in json.loads(build.text("search/search_index.json"))["docs"]}


def front_matter(path: str) -> dict:
    return yaml.safe_load((HOSTILE_CORPUS / path).read_text(encoding="utf-8").split("---")[1])


@pytest.mark.parametrize(("source", "location"), [
    ("om.md", "om/"),                                       # no heading: the index takes the front-matter title
    ("priser.md", "priser/"),                               # the same, with honest & and "
    ("artikler/posts/kodeblokk.md", "artikler/kodeblokk/"),  # a code block first: the title is the article's
    ("artikler/posts/ingress.md", "artikler/ingress/"),      # a paragraph before its own H1: likewise
    ("artikler/posts/merkelapper.md", "artikler/merkelapper/"),
])
def test_search_index_holds_front_matter_as_html_escaped_once(hostile: Build, source: str, location: str) -> None:
    """The search UI inserts title and tags with innerHTML: one decode must give the value as written."""
    meta, doc = front_matter(source), search_docs(hostile)[location]
    assert html.unescape(doc["title"]) == meta["title"]
    assert doc["title"] == html.escape(meta["title"], quote=False)
    assert doc.get("tags", []) == [html.escape(tag, quote=False) for tag in meta.get("tags", [])]


def test_the_norwegian_forms_in_the_search_index_are_only_words(hostile: Build) -> None:
    """hub/search.py adds hidden fields from the escaped values and the raw descriptions: letters only."""
    index = json.loads(hostile.text("search/search_index.json"))
    fields = {name for name in index["config"]["fields"] if name.endswith("_forms")}
    assert fields == {"title_forms", "text_forms", "tags_forms"}
    values = [doc[name] for doc in index["docs"] for name in fields if name in doc]
    assert len(values) > 10, "the hostile corpus gives forms"
    for value in values:
        assert re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)*", value), value
    docs = search_docs(hostile)
    # The hostile title's æøå ÆØÅ are spelt in ASCII; the raw description's words arrive, its markup does not.
    assert "aeoa" in docs["artikler/tegn/"]["title_forms"].split()
    assert {"beskrivelse", "slutt"} <= set(docs["artikler/skript/"]["text_forms"].split())


@pytest.mark.parametrize("slug", ["kodeblokk", "ingress", "merkelapper", "skript"])
def test_every_article_opens_with_its_escaped_title_as_the_only_heading_before_the_byline(
        hostile: Build, slug: str) -> None:
    """A "# kommentar" in a code block, or an H1 further down, never takes the title's place."""
    page = hostile.html(f"artikler/{slug}/index.html")
    heading = page.css_first("article h1")
    assert heading.text() == front_matter(f"artikler/posts/{slug}.md")["title"]
    assert heading.css("a") == [], "the title carries no ¶ permalink"
    assert next_element(heading).attributes.get("class") == "hub-byline"
    # The title heads the table of contents, as a Markdown H1 would: the skip link lands on it.
    assert page.css_first("a.md-skip").attributes["href"] == "#" + heading.attributes["id"]
    titles = {link.text().strip() for link in hostile.html("artikler/index.html").css("article.md-post h2 a")} | \
        {link.text().strip() for link in hostile.html("artikler/side/2/index.html").css("article.md-post h2 a")}
    assert front_matter(f"artikler/posts/{slug}.md")["title"] in titles, "the listing shows the escaped title"


def next_element(node):
    """The next sibling that is an element, not text."""
    node = node.next
    while node is not None and node.tag.startswith("-"):
        node = node.next
    return node


def test_plain_text_json_keeps_honest_text_and_disarms_markup(hostile: Build) -> None:
    """A JSON feed's title is text, so "&" stays; only a "<" that would open a tag is written as &lt;."""
    feed = json.loads(hostile.text("feed_json_created.json"))
    items = {item["url"].rsplit("/", 2)[-2]: item for item in feed["items"]}
    assert items["tegn"]["title"] == front_matter("artikler/posts/tegn.md")["title"]  # "Salg & service < 5 %"
    assert items["skript"]["title"] == "Pris &lt;/script>&lt;script>alert('xss-title')&lt;/script> & «sitat»"
    mappings = json.loads(hostile.text("tags.json"))["mappings"]
    assert "Salg & service" in [tag for mapping in mappings for tag in mapping["tags"]]


def test_a_search_boost_that_is_not_a_number_stops_the_build(small_site) -> None:
    page = ("---\ntitle: Side\ndescription: En side.\nsearch:\n  boost: \"<img src=x onerror=alert(1)>\"\n---\n\n"
            "Tekst.\n")
    build = small_site({"side.md": page})
    assert build.returncode != 0
    assert "side.md: search.boost: '<img src=x onerror=alert(1)>' er ikke et tall" in build.output
    assert "Traceback" not in build.output


def test_search_plugin_internals_we_rely_on_are_still_there() -> None:
    """hooks/escaping.py gives the search plugin its own SearchIndex: fail loudly if Material changes how."""
    import inspect

    from material.plugins.search.plugin import SearchIndex, SearchPlugin

    assert "self.search_index = SearchIndex(**self.config)" in inspect.getsource(SearchPlugin.on_config)
    assert "self.search_index.add_entry_from_context(page)" in inspect.getsource(SearchPlugin.on_page_context)
    source = inspect.getsource(SearchIndex.create_entry_for_section)
    assert 'section.title = [str(page.meta.get("title", page.title))]' in source
    assert 'entry["tags"].append(str(name))' in source and 'entry["boost"] = search["boost"]' in source
    assert "self.create_entry_for_section(" in inspect.getsource(SearchIndex.add_entry_from_context)


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
    assert page.css_first("h1").text() == HONEST_TITLE
    assert [tag.text().strip() for tag in page.css(".md-tag")] == ["Salg & service"]
    listing = honest.html("artikler/index.html").css_first("article.md-post h2 a").text().strip()
    assert listing == HONEST_TITLE
    doc = search_docs(honest)["artikler/aerlig-svar/"]
    assert html.unescape(doc["title"]) == HONEST_TITLE and doc["tags"] == ["Salg &amp; service"]
    # XML feeds carry HTML inside XML, so "&amp;amp;" is right there: the next test reads them as a feed reader does.
    pages = [path for path in honest.files() if path.suffix in {".html", ".json"}]
    assert len(pages) > 5
    for path in pages:
        assert not re.search(r"&amp;(amp|quot|lt|gt|#\d+);", path.read_text(encoding="utf-8")), path


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
    errors, _warnings = plugin.load_config({})
    source = Path(__import__("mkdocs_rss_plugin.plugin").plugin.__file__).read_text(encoding="utf-8")
    assert "self.tpl_folder" in source and "self.tpl_file" in source
    assert 'select_autoescape(["html", "xml"])' in source
    # on_post_build finds the JSON feeds by these names (an attribute check on `config` could never fail).
    assert errors == []
    assert (plugin.config.feeds_filenames.json_created, plugin.config.feeds_filenames.json_updated) == \
        ("feed_json_created.json", "feed_json_updated.json")
