"""The hub-speed plugin (plugins/hub_speed) changes how fast the site builds, never what it contains."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import yaml
from jinja2 import Environment, pass_context
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from hub_speed import pins
from hub_speed.excerpts import DEFINITION
from hub_speed.plugin import READS_FILES, SpeedConfig
from hub_speed.posts import PostList
from hub_speed.templates import environment_key
from support import REPO, ConfigLoader, article, photo, run_mkdocs, serving, write_site

SPEED = "hub-speed"
FLAGS = [name for name, option in SpeedConfig._schema if option.default is True]


def set_speed(config: Path, options: dict[str, object] | None) -> None:
    """Give the plugin *options* in *config*; None takes it out of the build."""
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    plugins = [plugin for plugin in settings["plugins"]
               if (next(iter(plugin)) if isinstance(plugin, dict) else plugin) != SPEED]
    if options is not None:
        plugins.append({SPEED: options})
    settings["plugins"] = plugins
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")

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
    # An image in the text, so the rewrite of <img> tags (hooks/images.py, cached with the Markdown) is compared.
    found["artikler/posts/bilde.jpg"] = photo(900, 600)
    found["artikler/posts/med-bilde.md"] = article("Med bilde", "Tekst.\n\n<!-- more -->\n\n## Bilde\n\n"
                                                   "![Et bilde](bilde.jpg)\n", slug="med-bilde")
    return found


def build(root: Path, with_speed: bool | dict[str, object], cache: Path | None = None, site: str = "site",
          pages: dict[str, str] | None = None, **config_overrides: object):
    """Build with the speed-ups (True, or a dict of their options), or without the plugin (False)."""
    config = write_site(root, pages or files(), **config_overrides)
    if with_speed is not True:
        set_speed(config, with_speed or None)
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
            entry = json.loads(value)
            entry["value"]["content"] = entry["value"]["content"].replace("Avsnitt 7", "Fra hurtigbufferen")
            database.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry), key))
    database.close()
    warm = build(tmp_path / "warm", True, cache=tmp_path / "cache")
    assert "Fra hurtigbufferen" in warm.text("artikler/lang/index.html")


@pytest.mark.slow
def test_the_search_forms_come_from_the_cache_until_any_text_changes(tmp_path: Path) -> None:
    """The forms depend on every text of the site (compound parts): one changed article makes them all anew."""
    build(tmp_path / "cold", True, cache=tmp_path / "cache")
    database = sqlite3.connect(tmp_path / "cache" / "searchforms.sqlite3")
    [(key, value)] = database.execute("SELECT key, value FROM entries").fetchall()
    entry = json.loads(value)
    assert len(entry["value"]["forms"]) > 10
    entry["value"]["forms"][0] = {"text_forms": "frahurtigbufferen"}
    with database:
        database.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(entry), key))
    database.close()

    def forms(result) -> set[str]:
        index = json.loads(result.text("search/search_index.json"))
        return {word for doc in index["docs"] for word in doc.get("text_forms", "").split()}

    assert "frahurtigbufferen" in forms(build(tmp_path / "warm", True, cache=tmp_path / "cache"))
    changed = {**files(), "artikler/posts/fyll-0.md": article("Fyll 0", "Kort tekst om salgsmøter.\n\n"
                                                              "<!-- more -->\n\nMer.", slug="fyll-0",
                                                              categories=["Forhandling"])}
    again = build(tmp_path / "again", True, cache=tmp_path / "cache", pages=changed)
    assert "frahurtigbufferen" not in forms(again) and "salgsmoter" in forms(again)
    fresh = build(tmp_path / "fresh", True, cache=tmp_path / "fresh-cache", pages=changed)
    assert differences(again, fresh) == []
    database = sqlite3.connect(tmp_path / "cache" / "searchforms.sqlite3")
    assert database.execute("SELECT count(*) FROM entries").fetchone() == (1,)  # one site's forms
    database.close()


@pytest.mark.slow
def test_an_article_with_a_byte_order_mark_and_windows_line_ends_reads_as_from_disk(tmp_path: Path) -> None:
    """Material's posts are given the text the catalogue read (hooks/articles.py), decoded as open() decodes it."""
    text = article("Med BOM", "Første avsnitt.\n\n<!-- more -->\n\n## Del to\n\nAndre avsnitt.", slug="med-bom")
    pages = {**files(), "artikler/posts/med-bom.md": ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8")}
    result = build(tmp_path / "bom", True, pages=pages)
    page = result.html("artikler/med-bom/index.html")
    assert page.css_first("h1").text(strip=True) == "Med BOM"
    assert [node.attributes.get("id") for node in page.css("article h2")][:1] == ["del-to"]
    html = result.text("artikler/med-bom/index.html")
    assert "\ufeff" not in html and "\r" not in html
    listings = [path.read_text(encoding="utf-8") for path in (result.site / "artikler").glob("**/index.html")
                if "med-bom" not in path.parts]
    assert any("Første avsnitt." in listing for listing in listings)
    assert not any("Andre avsnitt." in listing for listing in listings)


@pytest.mark.slow
def test_every_cache_holds_text_never_pickles_and_a_damaged_entry_is_converted_again(tmp_path: Path) -> None:
    """CI restores .cache/ from earlier runs: reading it must not be able to run code, nor stop the build."""
    cold = build(tmp_path / "cold", True, cache=tmp_path / "cache")
    tables = {"markdown.sqlite3": "entries", "pictures.sqlite3": "entries", "search.sqlite3": "entries",
              "searchforms.sqlite3": "entries", "templates.sqlite3": "templates"}
    for name, table in tables.items():
        database = sqlite3.connect(tmp_path / "cache" / name)
        rows = database.execute(f"SELECT key, value, typeof(value) FROM {table}").fetchall()
        assert rows, name
        assert {kind for _, _, kind in rows} == {"text"}, name
        if table == "entries":
            assert all(isinstance(json.loads(value), dict) for _, value, _ in rows)
            with database:
                database.execute(f"UPDATE {table} SET value = ?", ("\x80\x05 not json",))
        database.close()
    again = build(tmp_path / "again", True, cache=tmp_path / "cache")
    assert differences(cold, again) == []
    database = sqlite3.connect(tmp_path / "cache" / "markdown.sqlite3")
    assert all(isinstance(json.loads(value), dict) for (value,) in database.execute("SELECT value FROM entries"))
    database.close()


@pytest.mark.slow
def test_the_output_is_the_same_with_every_speed_up_off(tmp_path: Path) -> None:
    plain = build(tmp_path / "plain", False)
    off = build(tmp_path / "off", {flag: False for flag in FLAGS}, cache=tmp_path / "cache")
    assert differences(off, plain) == []
    assert not (tmp_path / "cache" / "markdown.sqlite3").exists()
    assert not (tmp_path / "cache" / "templates.sqlite3").exists()
    assert not (tmp_path / "cache" / "search.sqlite3").exists()
    assert not (tmp_path / "cache" / "searchforms.sqlite3").exists()


@pytest.mark.slow
def test_no_markdown_cache_while_an_extension_reads_files_itself(tmp_path: Path) -> None:
    """pymdownx.snippets pulls another file into the page: a cached page could not know that it changed."""
    assert "pymdownx.snippets" in READS_FILES
    pages = {"artikler/posts/a.md": article("Utdrag", "Før.\n\n--8<-- \"snutt.txt\"\n", slug="a")}
    extensions = [*yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=ConfigLoader)[
        "markdown_extensions"], {"pymdownx.snippets": {"base_path": [str(tmp_path / "snutter")],
                                                       "check_paths": True}}]
    (tmp_path / "snutter").mkdir()
    for text in ("Første versjon.", "Andre versjon."):
        (tmp_path / "snutter" / "snutt.txt").write_text(text, encoding="utf-8")
        config = write_site(tmp_path, pages, markdown_extensions=extensions)
        result = run_mkdocs(config, tmp_path / "site", env={"HUB_CACHE_DIR": str(tmp_path / "cache")})
        assert result.returncode == 0, result.output
        assert text in result.text("artikler/a/index.html")
    assert not (tmp_path / "cache" / "markdown.sqlite3").exists()


@pytest.mark.slow
def test_templates_must_be_compiled_with_autoescaping_on(tmp_path: Path) -> None:
    """The plugin relies on hooks/escaping.py having turned autoescaping on: without it the build stops."""
    config = write_site(tmp_path, files())
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["hooks"] = [hook for hook in settings["hooks"] if not hook.endswith("hooks/escaping.py")]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_mkdocs(config, tmp_path / "site", env={"HUB_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode != 0
    assert "malene må kompileres med autoescape på" in result.output
    assert "Traceback" not in result.output


def test_the_generated_code_is_keyed_by_what_it_depends_on_in_the_environment() -> None:
    """Autoescaping and a filter's calling convention change the Python Jinja generates, so they change the key."""
    def plain_filter(value: str) -> str:
        return value

    @pass_context
    def context_filter(context: object, value: str) -> str:
        return value

    base = Environment(autoescape=True)
    base.filters["f"] = plain_filter
    escaped_off = Environment(autoescape=False)
    escaped_off.filters["f"] = plain_filter
    other = Environment(autoescape=True)
    other.filters["f"] = context_filter
    same = Environment(autoescape=True)
    same.filters["f"] = plain_filter
    assert base.compile("{{ x | f }}", raw=True) != other.compile("{{ x | f }}", raw=True)
    assert environment_key(base) == environment_key(same)
    assert len({environment_key(base), environment_key(escaped_off), environment_key(other)}) == 3


def test_the_template_cache_is_never_restored_from_elsewhere() -> None:
    """It holds Python that the build runs: the publish workflow restores cards and Markdown, not templates."""
    workflow = yaml.safe_load((REPO / ".github/workflows/publish.yml").read_text(encoding="utf-8"))
    restored = [str(step["with"]["path"]) for job in workflow["jobs"].values() for step in job["steps"]
                if str(step.get("uses", "")).startswith("actions/cache")]
    assert restored and all(path.startswith(".cache/") and path != ".cache/" for path in restored)
    assert not any("templates" in path for path in restored)


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


def test_every_patch_is_pinned_to_the_upstream_source_installed() -> None:
    """An upgrade of Material, MkDocs, Markdown or Jinja fails here first: re-check each patch, then its hash."""
    assert pins.versions_hold(), "mkdocs-material or mkdocs is not the version plugins/hub_speed was written for"
    changed = {patch.upstream: patch.current() for patch in pins.PATCHES if not patch.holds()}
    assert changed == {}, f"upstream changed, re-check these patches: {changed}"
    assert {patch.name for patch in pins.PATCHES} <= set(FLAGS)
    assert all(patch.remove_when for patch in pins.PATCHES)


def test_a_changed_upstream_source_turns_its_speed_up_off(monkeypatch: pytest.MonkeyPatch) -> None:
    stale = pins.Patch("excerpts", pins.EXCERPT.upstream, "0" * 64, "never")
    monkeypatch.setattr(pins, "PATCHES", (*pins.PATCHES, stale))
    assert pins.check() == {"excerpts": [stale]}


def test_the_preview_polls_every_watched_folder_at_the_plugins_interval(tmp_path: Path) -> None:
    """MkDocs' own server: the folders watched before the plugin's on_serve and after it both poll at 0.2 s."""
    from mkdocs.livereload import LiveReloadServer

    from hub_speed import preview

    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    try:
        (tmp_path / "docs").mkdir()
        (tmp_path / "theme").mkdir()
        server.watch(str(tmp_path / "docs"))
        assert {emitter.timeout for emitter in server.observer.emitters} == {0.5}
        preview.poll_every(server, preview.POLL_SECONDS)
        server.watch(str(tmp_path / "theme"))
        assert [emitter.timeout for emitter in server.observer.emitters] == [0.2, 0.2]
    finally:
        server.server_close()


def test_the_preview_collects_garbage_after_a_rebuild_not_during_it(tmp_path: Path) -> None:
    import gc

    from mkdocs.livereload import LiveReloadServer

    from hub_speed import preview

    seen: list[bool] = []
    collected = threading.Event()

    def noticed(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            collected.set()

    server = LiveReloadServer(builder=lambda: seen.append(gc.isenabled()), host="127.0.0.1", port=0,
                              root=str(tmp_path))
    gc.callbacks.append(noticed)
    try:
        preview.collect_between_builds(server, delay=0.2)
        server.builder()
        assert seen == [False]
        collected.clear()
        assert collected.wait(5), "no full collection after the build"
    finally:
        gc.callbacks.remove(noticed)
        gc.enable()
        server.server_close()


def test_a_listing_source_is_copied_again_only_when_it_changed(tmp_path: Path) -> None:
    from hub_speed import preview

    source, target = tmp_path / "index.md", tmp_path / "copies" / "side" / "2.md"
    source.write_text("# Artikler\n", encoding="utf-8")
    preview.copy_unless_copied(str(source), str(target))
    assert target.read_text(encoding="utf-8") == "# Artikler\n"
    target.write_text("# Merket..\n", encoding="utf-8")  # same size: a skipped copy leaves the mark
    preview.copy_unless_copied(str(source), str(target))
    assert target.read_text(encoding="utf-8") == "# Merket..\n"
    source.write_text("# Bloggen!\n", encoding="utf-8")  # same size, newer than the copy
    later = target.stat().st_mtime_ns + 10**9
    os.utime(source, ns=(later, later))
    preview.copy_unless_copied(str(source), str(target))
    assert target.read_text(encoding="utf-8") == "# Bloggen!\n"
    source.write_text("# Alle artiklene\n", encoding="utf-8")  # another size
    os.utime(source, ns=(0, 0))
    preview.copy_unless_copied(str(source), str(target))
    assert target.read_text(encoding="utf-8") == "# Alle artiklene\n"


def test_a_generated_listing_source_is_written_only_when_its_text_changed(tmp_path: Path) -> None:
    from hub_speed import preview

    path = tmp_path / "kategori" / "coaching.md"
    preview.save_unless_same(None, str(path), "# Coaching")
    assert path.read_text(encoding="utf-8") == "# Coaching"
    stamp = path.stat().st_mtime_ns - 10**9
    os.utime(path, ns=(stamp, stamp))
    preview.save_unless_same(None, str(path), "# Coaching")
    assert path.stat().st_mtime_ns == stamp  # untouched: its later pages are not copied again
    preview.save_unless_same(None, str(path), "# Coaching og ledelse")
    assert path.read_text(encoding="utf-8") == "# Coaching og ledelse"


def test_a_held_pin_is_remembered_by_its_files_time_and_hashed_again_when_that_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "pins.json"
    monkeypatch.setattr(pins, "_held", {})
    assert pins.check(record=record) == {}
    remembered = json.loads(record.read_text(encoding="utf-8"))
    assert set(remembered) == {patch.upstream for patch in pins.PATCHES}
    hashed: list[str] = []
    monkeypatch.setattr(pins.Patch, "holds", lambda patch: hashed.append(patch.upstream) or False)
    monkeypatch.setattr(pins, "_held", {})  # as a new process
    assert pins.check(record=record) == {} and hashed == []  # nothing read: every file is as recorded
    first = pins.PATCHES[0]
    remembered[first.upstream][2] -= 1  # the file's time changed since (a reinstall)
    record.write_text(json.dumps(remembered), encoding="utf-8")
    monkeypatch.setattr(pins, "_held", {})
    assert pins.check(record=record) == {first.name: [first]} and hashed == [first.upstream]
    record.write_text("not json", encoding="utf-8")  # a damaged record: every source is hashed again
    monkeypatch.setattr(pins, "_held", {})
    hashed.clear()
    assert len(pins.check(record=record)) >= 1 and len(hashed) == len(pins.PATCHES)


def test_post_list_membership_is_by_identity() -> None:
    first, second = object(), object()
    posts = PostList([first])
    assert first in posts and second not in posts and list(posts) == [first]


@pytest.mark.parametrize("line", ["[metode]: https://x.no/", "*[KPI]: nøkkeltall", "  [a b]: <https://x.no>"])
def test_definitions_are_carried_into_the_excerpt(line: str) -> None:
    assert DEFINITION.match(line)


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
    """A save always re-renders the article, with its related links and search forms; a large hub's dirty
    preview leaves listings for the next build."""
    texts = {"a": "Tekst.", "b": "Hver kunde vil ha gode møter med selgeren.", "c": "En kunde og en plan."}
    config = site_writer({f"artikler/posts/{slug}.md": article(f"Tittel {slug}", body, slug=slug, tags=["felles"])
                          for slug, body in texts.items()})
    set_speed(config, {"preview_full_rebuild_limit": 1})
    options = ("--dirty",) if dirty else ()
    with serving(config, *options) as url:
        wait_for(f"{url}artikler/", "Tittel a")
        path = tmp_path / "docs/artikler/posts/a.md"
        time.sleep(1.1)  # a new modification time, whatever the file system's resolution
        path.write_text(article("Tittel endret", "Ny tekst om kundemøter.", slug="a", tags=["felles"]),
                        encoding="utf-8")
        wait_for(f"{url}artikler/a/", "Tittel endret")
        if dirty:
            listing = fetch(f"{url}artikler/")
            assert "Tittel a" in listing and "Tittel endret" not in listing
        else:
            wait_for(f"{url}artikler/", "Tittel endret")  # the full rebuild after the quick one
        page = HTMLParser(fetch(f"{url}artikler/a/"))
        assert {link.attributes["href"] for link in page.css(".hub-related a")} == {"../b/", "../c/"}
        index = json.loads(fetch(f"{url}search/search_index.json"))
        [entry] = [doc for doc in index["docs"] if doc["location"] == "artikler/a/"]
        # The compound's parts, from the words of the other articles (a dirty build reads only the saved one).
        assert {"kundemoter", "møter", "moter"} <= set(entry["text_forms"].split())


@pytest.mark.slow
@pytest.mark.parametrize("two_phase", [True, False])
def test_a_small_hub_serves_the_saved_page_first_then_rebuilds_everything(site_writer, tmp_path: Path,
                                                                          two_phase: bool) -> None:
    """Without --dirty, a save runs a quick build of what changed, then the full one; both in the log."""
    config = site_writer({f"artikler/posts/{slug}.md": article(f"Tittel {slug}", "Tekst.", slug=slug,
                                                               tags=["felles"]) for slug in ("a", "b", "c")})
    set_speed(config, {"preview_two_phase": two_phase})
    log = tmp_path / "serve.log"
    with serving(config, log=log) as url:
        wait_for(f"{url}artikler/", "Tittel a")
        time.sleep(1.1)
        (tmp_path / "docs/artikler/posts/a.md").write_text(article("Tittel endret", "Ny tekst.", slug="a",
                                                                   tags=["felles"]), encoding="utf-8")
        wait_for(f"{url}artikler/a/", "Tittel endret")
        wait_for(f"{url}artikler/", "Tittel endret")
        wait_for(f"{url}artikler/b/", "Tittel endret")  # «Liknende artikler» on another article
        deadline = time.monotonic() + 30
        builds = 1 + (2 if two_phase else 1)
        while log.read_text(encoding="utf-8").count("Documentation built") < builds and time.monotonic() < deadline:
            time.sleep(0.2)
    printed = log.read_text(encoding="utf-8")
    assert printed.count("Documentation built") == builds, printed
    assert printed.count("Cleaning site directory") == 2  # the first build, and the full one after the save
    assert "A 'dirty' build is being performed" not in printed  # the full build right after corrects it


def test_the_real_site_is_unchanged_by_the_speed_ups(tmp_path: Path, real_site) -> None:
    """The project's own navigation, listings and pages, built without the speed-ups, match the real build."""
    settings = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=ConfigLoader)
    settings["plugins"] = [plugin for plugin in settings["plugins"] if not (isinstance(plugin, dict) and SPEED in plugin)]
    settings["hooks"] = [str(REPO / hook) for hook in settings["hooks"]]
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
    # A blog view's later pages are not navigation items: they share the navigation of their state.
    assert (builds[0].site / "artikler/side/3/index.html").exists()
    assert (builds[0].site / "artikler/kategori/forhandling/side/2/index.html").exists()
    link = builds[0].html("juridisk/mer/personvern/index.html").css_first("nav.md-nav--primary a[href$='om/']")
    assert link.attributes["href"] == "../../../om/"


@pytest.mark.slow
def test_a_dirty_preview_rebuilds_an_article_with_an_old_address_cleanly(site_writer, tmp_path: Path) -> None:
    """`mkdocs serve --dirty` keeps the last build's files: its forwarding page must not count as another page."""
    pages = {f"artikler/posts/{slug}.md": article(f"Tittel {slug}", "Tekst.", slug=slug) for slug in ("b", "c")}
    pages["artikler/posts/a.md"] = article("Tittel a", "Tekst.", slug="a", redirect_from=["gammel-a"])
    config = site_writer(pages)
    set_speed(config, {"preview_full_rebuild_limit": 1})
    with serving(config, "--dirty") as url:
        wait_for(f"{url}artikler/a/", "Tittel a")
        path = tmp_path / "docs/artikler/posts/a.md"
        for attempt in ("en", "to"):
            time.sleep(1.1)  # a new modification time, whatever the file system's resolution
            path.write_text(article(f"Lagret {attempt}", "Ny tekst.", slug="a", redirect_from=["gammel-a"]),
                            encoding="utf-8")
            wait_for(f"{url}artikler/a/", f"Lagret {attempt}")
            forwarding = fetch(f"{url}artikler/gammel-a/")
            assert 'content="0; url=../a/"' in forwarding and "adressen til en annen side" not in forwarding


@pytest.mark.parametrize("limit, expected", [(2, "--dirty"), (3, ""), (50, "")])
def test_make_serve_previews_with_dirty_above_the_plugins_limit(site_writer, capsys, limit: int,
                                                                 expected: str) -> None:
    from hub import site

    config = site_writer({f"artikler/posts/{slug}.md": article(f"Tittel {slug}", "Tekst.", slug=slug)
                          for slug in ("a", "b", "c")})
    set_speed(config, {"preview_full_rebuild_limit": limit})
    assert site.main(["--root", str(config.parent), "--serve-options"]) == 0
    assert capsys.readouterr().out.strip() == expected


def test_a_preview_limit_that_is_not_a_number_is_a_norwegian_line_naming_its_line(site_writer, capsys) -> None:
    from hub import site

    config = site_writer({"artikler/posts/a.md": article("Tittel", "Tekst.", slug="a")})
    set_speed(config, {"preview_full_rebuild_limit": "mange"})
    assert site.main(["--root", str(config.parent), "--serve-options"]) != 0
    error = capsys.readouterr().err
    assert "mkdocs.yml:" in error and "preview_full_rebuild_limit: må være et heltall" in error
    assert "Traceback" not in error


# -- the RSS plugin's libraries (rss_imports, plugins/hub_speed/rss.py) -------------------------------------------

LIBRARIES = ("git", "requests", "cachecontrol", "urllib3")
# A hook that writes down, as the build ends, which of the RSS plugin's libraries the process has loaded.
LOADED_HOOK = """
import json, os, sys
def on_shutdown():
    with open(os.environ["HUB_TEST_LOADED"], "w") as out:
        json.dump(sorted(name for name in {LIBRARIES!r} if name in sys.modules), out)
"""


def loaded_after_build(root: Path, plugins: list | None = None, **speed: object) -> list[str]:
    """Build a small site (with an image for the feed's enclosures); the RSS plugin's libraries it loaded."""
    config = write_site(root, files())
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    hook = root / "loaded.py"
    hook.write_text(LOADED_HOOK.format(LIBRARIES=LIBRARIES), encoding="utf-8")
    settings["hooks"].append(str(hook))
    if speed:
        settings["plugins"] = [{SPEED: {**(plugin[SPEED] or {}), **speed}} if isinstance(plugin, dict)
                               and SPEED in plugin else plugin for plugin in settings["plugins"]]
    if plugins is not None:
        settings["plugins"] = plugins(settings["plugins"])
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_mkdocs(config, root / "site", env={"HUB_CACHE_DIR": str(root / "cache"),
                                                    "HUB_TEST_LOADED": str(root / "loaded.json")})
    assert result.returncode == 0, result.output
    feed = HTMLParser((root / "site/feed_rss_created.xml").read_text(encoding="utf-8"))
    assert {node.text() for node in feed.css("item > title")} >= {"Artikkel lang", "Med bilde"}
    return json.loads((root / "loaded.json").read_text(encoding="utf-8"))


def _named(plugin: object) -> str:
    return next(iter(plugin)) if isinstance(plugin, dict) else str(plugin)


@pytest.mark.slow
def test_a_build_loads_none_of_the_rss_plugins_git_and_http_libraries(tmp_path: Path) -> None:
    assert loaded_after_build(tmp_path / "on") == []


@pytest.mark.slow
def test_with_rss_imports_off_the_rss_plugin_loads_its_libraries_as_upstream(tmp_path: Path) -> None:
    assert loaded_after_build(tmp_path / "off", rss_imports=False) == sorted(LIBRARIES)


@pytest.mark.slow
def test_an_rss_plugin_loaded_before_hub_speed_keeps_its_own_imports(tmp_path: Path) -> None:
    def rss_first(plugins: list) -> list:
        return sorted(plugins, key=lambda plugin: _named(plugin) != "rss")
    assert loaded_after_build(tmp_path / "first", plugins=rss_first) == sorted(LIBRARIES)


# Each runs in a new interpreter: which modules are loaded is what is checked.
DEFERRED_HTTP = """
import sys, warnings
import hub_speed.plugin  # noqa: F401 - loads the RSS plugin's util.py with stand-ins
from mkdocs_rss_plugin import util
from mkdocs_rss_plugin.constants import REMOTE_REQUEST_HEADERS
assert not {"requests", "cachecontrol", "urllib3", "git"} & set(sys.modules), sorted(sys.modules)
tool = util.Util(cache_dir=sys.argv[1], use_git=False)
assert not {"requests", "cachecontrol", "urllib3", "git"} & set(sys.modules), "the session was made at once"
adapter = tool.req_session.get_adapter("https://example.invalid/bilde.png")   # first use: made for real
import requests, requests.exceptions, urllib3
from cachecontrol.adapter import CacheControlAdapter
from cachecontrol.caches.file_cache import SeparateBodyFileCache
assert isinstance(tool.req_session._real, requests.Session)
assert isinstance(adapter, CacheControlAdapter) and isinstance(adapter.cache, SeparateBodyFileCache)
assert adapter.cache.directory == sys.argv[1] and adapter.cacheable_methods == ("GET", "HEAD")
assert all(tool.req_session.headers[key] == value for key, value in REMOTE_REQUEST_HEADERS.items())
# What util.py catches and calls is the real library's from now on, and its import-time call was made.
assert util.ConnectionError is requests.exceptions.ConnectionError and util.HTTPError is requests.exceptions.HTTPError
assert util.urllib3 is urllib3 and util.Session is requests.Session
assert any(entry[2] is urllib3.exceptions.HTTPWarning and entry[0] == "ignore" for entry in warnings.filters)
print("ok")
"""

DEFERRED_GIT = """
import logging, sys
import hub_speed.plugin  # noqa: F401
from mkdocs_rss_plugin import util
messages = []
logging.getLogger().addHandler(type("H", (logging.Handler,), {"emit": lambda self, record:
                                                              messages.append(record.getMessage())})())
outside = util.Util(cache_dir=sys.argv[1] + "/cache", use_git=True, path=sys.argv[1] + "/outside")
import git
assert util.InvalidGitRepositoryError is git.InvalidGitRepositoryError and util.Repo is git.Repo
# Caught by its own clause, not by the `except Exception` after it: the real exception class was in place.
assert outside.git_is_valid is False and any("is not a valid git directory" in text for text in messages), messages
inside = util.Util(cache_dir=sys.argv[1] + "/cache", use_git=True, path=sys.argv[1] + "/repo")
assert inside.git_is_valid is True and inside.repo.rev_parse("HEAD")
print("ok")
"""

ANOTHER_IMPORTER = """
import sys
import hub_speed.plugin  # noqa: F401
import requests, git
assert requests.Session.__module__ == "requests.sessions" and git.Repo.__module__.startswith("git.")
assert type(sys.modules["requests"]).__name__ == "module"
from mkdocs_rss_plugin import util
assert util.Session is not requests.Session  # util.py's stays deferred until it is used
print("ok")
"""


def run_script(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.slow
def test_the_rss_plugins_http_session_is_made_as_upstream_makes_it_on_first_use(tmp_path: Path) -> None:
    assert run_script(DEFERRED_HTTP, str(tmp_path / "http")) == "ok"


@pytest.mark.slow
def test_use_git_loads_git_on_first_use_and_its_exceptions_are_caught_as_upstream(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.md").write_text("a\n", encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.invalid"]
    for command in (["init", "-q"], ["add", "a.md"], ["commit", "-q", "-m", "a"]):
        subprocess.run([*git, *command], check=True, capture_output=True)
    assert run_script(DEFERRED_GIT, str(tmp_path)) == "ok"


@pytest.mark.slow
def test_another_importer_of_those_libraries_gets_the_real_ones() -> None:
    assert run_script(ANOTHER_IMPORTER) == "ok"
