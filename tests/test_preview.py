"""`make serve` shows every problem every time: in the terminal in full, and in the browser as a Norwegian page.

A real `mkdocs serve` process on a small site; the same mistake is saved
twice, then fixed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from support import Preview, article, preview

# Real builds and servers.
pytestmark = pytest.mark.slow

BODY = "Coaching av selgere hver uke gir fremgang."
TAGS_ERROR = "docs/artikler/posts/a.md:6: tags: er en tekst, ikke en liste"


@pytest.fixture
def serving_preview(site_writer, tmp_path: Path) -> Iterator[tuple[Preview, Path]]:
    config = site_writer({"artikler/posts/a.md": article("Coaching hver uke", BODY, slug="a", tags=["coaching"])})
    with preview(config, tmp_path / "serve.log", "artikler/a/") as server:
        yield server, config


def _write(config: Path, text: str) -> None:
    (config.parent / "docs/artikler/posts/a.md").write_text(text, encoding="utf-8")


def test_a_broken_save_shows_every_time_and_the_browser_gets_a_norwegian_page(serving_preview) -> None:
    running, config = serving_preview
    _write(config, article("Coaching hver uke", BODY, slug="a", tags="coaching, feedback"))
    running.wait(lambda: running.get("artikler/a/")[0] == 500, "the error page")
    status, html = running.get("artikler/a/")
    page = HTMLParser(html)
    assert page.css_first("html").attributes["lang"] == "nb"
    assert page.css_first("h1").text() == "Forhåndsvisningen kan ikke bygges"
    items = [item.text(separator=" ") for item in page.css("ol li")]
    assert any("docs/artikler/posts/a.md, linje 6" in item and "feltet tags" in " ".join(item.split())
               and "er en tekst, ikke en liste" in item for item in items), items
    assert "/livereload/" in html  # it reloads by itself when the build is good again
    assert running.get("artikler/")[0] == 500  # every page says so, not only the broken one
    # The same mistake saved again is printed in full again.
    _write(config, article("Coaching hver uke", BODY + " Mer.", slug="a", tags="coaching, feedback"))
    running.wait(lambda: running.output().count(TAGS_ERROR) >= 2, "the second report")
    # Fixed: the article is back.
    _write(config, article("Coaching hver uke", BODY, slug="a", tags=["coaching", "feedback"]))
    running.wait(lambda: running.get("artikler/a/")[0] == 200, "the fixed article")
    assert "Traceback" not in running.output()


def test_a_broken_setting_is_one_line_not_a_traceback(serving_preview) -> None:
    running, config = serving_preview
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["extra"]["related"] = {"count": 0}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    running.wait(lambda: running.get("artikler/a/")[0] == 500, "the error page")
    assert "extra.related.count" in running.get("artikler/a/")[1]
    running.wait(lambda: re.search(r"mkdocs\.yml:\d+: extra\.related\.count: 0 er utenfor området", running.output()),
                 "the message")
    assert "Traceback" not in running.output()
