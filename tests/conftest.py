"""Fixtures: build the real site, or a small one, with the real MkDocs in strict mode."""

from __future__ import annotations

import contextlib
import datetime
import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright
from selectolax.lexbor import LexborHTMLParser as HTMLParser

REPO = Path(__file__).resolve().parent.parent
# Quiet MkDocs' end-of-life banner, and never write bytecode or caches into the repository.
# Sites are built as the published one is: forms point at the deployed inbox (HUB_INBOX_URL).
DEPLOYED_INBOX = "https://innboks.arcticsales.no"
MKDOCS_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1",
              "HUB_CACHE_DIR": tempfile.mkdtemp(prefix="hub-test-cache-"), "HUB_INBOX_URL": DEPLOYED_INBOX}


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml with MkDocs' `!ENV [NAME, default]` tag, resolved as MKDOCS_ENV would."""


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    name, default = loader.construct_sequence(node)
    return MKDOCS_ENV.get(name, default)


_ConfigLoader.add_constructor("!ENV", _env_tag)

# The authors every small site knows, in the shape of docs/artikler/.authors.yml.
AUTHORS = {
    "authors": {
        "kari": {"name": "Kari Nordmann", "description": "Salgscoach", "avatar": "assets/kari.svg"},
    }
}


@dataclass
class Build:
    """The result of one `mkdocs build --strict`: exit code, output and the built folder."""

    returncode: int
    output: str
    site: Path

    def html(self, path: str) -> HTMLParser:
        return HTMLParser((self.site / path).read_text(encoding="utf-8"))

    def text(self, path: str) -> str:
        return (self.site / path).read_text(encoding="utf-8")

    def files(self) -> list[Path]:
        return sorted(path for path in self.site.rglob("*") if path.is_file())


def run_mkdocs(config: Path, site: Path, env: dict[str, str] | None = None, strict: bool = True) -> Build:
    """Run the real CLI, as staff and CI do, so errors are seen exactly as printed."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *(["--strict"] if strict else []), "--config-file", str(config),
         "--site-dir", str(site)],
        capture_output=True, text=True, env={**MKDOCS_ENV, **(env or {})}, cwd=site.parent,
        timeout=600,  # caches stay out of the repo
    )
    return Build(result.returncode, result.stdout + result.stderr, site)


@pytest.fixture(scope="session")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The project's own site, built once per test session."""
    build = run_mkdocs(REPO / "mkdocs.yml", tmp_path_factory.mktemp("real") / "site")
    assert build.returncode == 0, build.output
    return build


def article(title: str | None = "Testartikkel", body: str = "Brødtekst.", **meta: object) -> str:
    """Markdown source of an article with the given front matter; a None value leaves the key out."""
    front = {"title": title, "description": f"Om {title}.", "date": datetime.date(2025, 1, 15), **meta}
    front = {key: value for key, value in front.items() if value is not None}
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


def site_config(**overrides: object) -> dict:
    """The project's mkdocs.yml, made to work from another folder."""
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_ConfigLoader)
    config["theme"]["custom_dir"] = str(REPO / "overrides")
    config["hooks"] = [str(REPO / path) for path in config["hooks"]]
    config.pop("nav", None)
    config.pop("watch", None)
    config["extra_css"] = []
    config["theme"].pop("logo", None)
    config["theme"].pop("favicon", None)
    config.update(overrides)
    return config


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(config: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `mkdocs serve` on a free loopback port; yield its base URL; always stop it."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "--dev-addr", f"127.0.0.1:{port}",
         "--livereload", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**MKDOCS_ENV, **(env or {})}, cwd=config.parent,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                assert server.poll() is None, "mkdocs serve exited early"
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def write_site(root: Path, files: dict[str, str | bytes], authors: dict | None = None, **config_overrides: object) -> Path:
    """Write a small site from a dict of ``{path: text}`` (under docs/) into *root*; return its mkdocs.yml."""
    pages = {
        "index.md": "---\ntitle: Forside\ndescription: Forsiden.\n---\n\n# Forside\n",
        "artikler/.authors.yml": yaml.safe_dump(AUTHORS if authors is None else authors, allow_unicode=True),
        "artikler/posts/.meta.yml": "template: article.html\n",
        "assets/kari.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
        **files,
    }
    for path, text in pages.items():
        target = root / "docs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(yaml.safe_dump(site_config(**config_overrides), allow_unicode=True), encoding="utf-8")
    return config


# Front matter written to break out of every output: built by tests/test_escaping.py (files) and
# tests/test_search_browser.py (the search UI).
HOSTILE_CORPUS = REPO / "tests/corpus/hostile"


def hostile_files() -> dict[str, str]:
    """The hostile corpus as a small site's files, with the avatar its author needs."""
    files = {str(path.relative_to(HOSTILE_CORPUS)): path.read_text(encoding="utf-8")
             for path in HOSTILE_CORPUS.rglob("*") if path.is_file()}
    files["assets/ola.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    return files


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The hostile corpus, built once per test session for every scan and browser test."""
    root = tmp_path_factory.mktemp("hostile")
    build = run_mkdocs(write_site(root, hostile_files()), root / "site")
    assert build.returncode == 0, build.output
    return build


@pytest.fixture
def site_writer(tmp_path: Path) -> Callable[..., Path]:
    """:func:`write_site` into this test's tmp_path."""
    return functools.partial(write_site, tmp_path)


@pytest.fixture
def small_site(site_writer: Callable[..., Path], tmp_path: Path) -> Callable[..., Build]:
    """Write a small site from a dict of ``{path: text}`` into tmp_path and build it."""

    def build(files: dict[str, str], authors: dict | None = None, **config_overrides: object) -> Build:
        return run_mkdocs(site_writer(files, authors, **config_overrides), tmp_path / "site")

    return build


# -----------------------------------------------------------------------------
# Serving a built folder, and headless Chromium
# -----------------------------------------------------------------------------

# Chromium's own background traffic is switched off; this machine has no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "nb-NO"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """A built site on a loopback port, as a static host would serve it; always stopped."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is missing: run `make test`, which installs Debian's chromium package"
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, driven by Playwright through executable_path."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# The lead inbox's fixtures (database_url on SQLite and PostgreSQL, mailbox, make_inbox, inbox) live in
# inbox_fixtures.py; importing them here makes them available to every test module.
from inbox_fixtures import database_url, inbox, mailbox, make_inbox  # noqa: E402, F401
