"""`make serve` shows every problem every time: in the terminal in full, and in the browser as a Norwegian page.

A real `mkdocs serve` process on a small site; the same mistake is saved
twice, then fixed.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from support import MKDOCS_ENV, article, free_port

# Real builds and servers.
pytestmark = pytest.mark.slow

BODY = "Coaching av selgere hver uke gir fremgang."
TAGS_ERROR = "docs/artikler/posts/a.md:6: tags: er en tekst, ikke en liste"


class Preview:
    """A running `mkdocs serve`, its address and everything it printed."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=20) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def wait(self, condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; output:\n{self.output()}")


@pytest.fixture
def preview(site_writer, tmp_path: Path) -> Iterator[tuple[Preview, Path]]:
    config = site_writer({"artikler/posts/a.md": article("Coaching hver uke", BODY, slug="a", tags=["coaching"])})
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "--dev-addr",
             f"127.0.0.1:{port}", "--livereload"],
            stdout=out, stderr=subprocess.STDOUT, env=MKDOCS_ENV, cwd=tmp_path)
        running = Preview(f"http://127.0.0.1:{port}/", log)
        try:
            running.wait(lambda: _answers(running), "the first build", seconds=120)
            yield running, config
        finally:
            server.terminate()
            server.wait(timeout=20)


def _answers(preview: Preview) -> bool:
    try:
        return preview.get("artikler/a/")[0] == 200
    except OSError:
        return False


def _write(config: Path, text: str) -> None:
    (config.parent / "docs/artikler/posts/a.md").write_text(text, encoding="utf-8")


def test_a_broken_save_shows_every_time_and_the_browser_gets_a_norwegian_page(preview) -> None:
    running, config = preview
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


def test_a_broken_setting_is_one_line_not_a_traceback(preview) -> None:
    running, config = preview
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["extra"]["related"] = {"count": 0}
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    running.wait(lambda: running.get("artikler/a/")[0] == 500, "the error page")
    assert "extra.related.count" in running.get("artikler/a/")[1]
    running.wait(lambda: re.search(r"mkdocs\.yml:\d+: extra\.related\.count: 0 er utenfor området", running.output()),
                 "the message")
    assert "Traceback" not in running.output()
