"""Helpers and shared test data for tests/ and bench/: plain functions and constants, no fixtures.

Fixtures live in tests/conftest.py and are built from these. Tests import this
module as ``support`` (pytest puts tests/ on ``sys.path``, as for conftest.py);
bench scripts put tests/ on ``sys.path`` first. Test modules never import each other: what two
of them share belongs here.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import functools
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

import pytest
import yaml
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import create_engine
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # the inbox package, for bench scripts run from anywhere
    sys.path.insert(0, str(REPO))

from inbox import tokens  # noqa: E402  (and inbox/__init__.py puts hooks/ on the path, for hub)
from hub.forms import SLOTS_JSON_PATH  # noqa: E402
from inbox.mail import SMTPDelivery  # noqa: E402
from inbox.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from starlette.testclient import TestClient

# Quiet MkDocs' end-of-life banner, and never write bytecode or caches into the repository.
# Sites are built as the published one is: forms point at the deployed inbox (HUB_INBOX_URL).
DEPLOYED_INBOX = "https://innboks.arcticsales.no"
MKDOCS_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONDONTWRITEBYTECODE": "1",
              "HUB_CACHE_DIR": tempfile.mkdtemp(prefix="hub-test-cache-"), "HUB_INBOX_URL": DEPLOYED_INBOX,
              # The web editor (admin/, 6 MB of Decap CMS) only where a test asks for it: tests/test_editor*.py.
              "HUB_EDITOR": "off"}


class ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml with MkDocs' `!ENV [NAME, default]` tag, resolved as MKDOCS_ENV would."""


def _env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    name, default = loader.construct_sequence(node)
    return MKDOCS_ENV.get(name, default)


ConfigLoader.add_constructor("!ENV", _env_tag)

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


def article(title: str | None = "Testartikkel", body: str = "Brødtekst.", **meta: object) -> str:
    """Markdown source of an article with the given front matter; a None value leaves the key out."""
    front = {"title": title, "description": f"Om {title}.", "date": datetime.date(2025, 1, 15), **meta}
    front = {key: value for key, value in front.items() if value is not None}
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"


def site_config(**overrides: object) -> dict:
    """The project's mkdocs.yml, made to work from another folder."""
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=ConfigLoader)
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
def serving(config: Path, *options: str, env: dict[str, str] | None = None, log: Path | None = None) -> Iterator[str]:
    """Run `mkdocs serve` on a free loopback port; yield its base URL; always stop it. *log* gets what it prints."""
    port = free_port()
    output = open(log, "w", encoding="utf-8") if log else subprocess.DEVNULL  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "--dev-addr", f"127.0.0.1:{port}",
         "--livereload", *options],
        stdout=output, stderr=output, env={**MKDOCS_ENV, **(env or {})}, cwd=config.parent,
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
        if log:
            output.close()


def build_forms_site(root: Path, inbox_url: str, articles: dict[str, str], extra: dict[str, object]) -> Build:
    """A strict build of *articles* with the site's booking and newsletter pages and scripts, its forms posting
    to the inbox at *inbox_url* (*extra* names the providers), for the browser tests against a real inbox."""
    pages = {**articles, **{name: (REPO / "docs" / name).read_text(encoding="utf-8")
                            for name in ("personvern.md", "takk.md", "sjekk-innboksen.md", "nyhetsbrev.md")}}
    config = write_site(root, pages, extra={"inbox": inbox_url, **extra}, site_url="http://127.0.0.1:8000/",
                        extra_javascript=[], extra_css=["assets/stylesheets/hub.css"])
    for asset in ("assets/javascripts/cta.js", "assets/stylesheets/hub.css"):
        target = root / "docs" / asset
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((REPO / "docs" / asset).read_bytes())
    (root / "docs" / "artikler" / "index.md").write_text("# Artikler\n", encoding="utf-8")
    result = run_mkdocs(config, root / "site")
    assert result.returncode == 0, result.output
    return result


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


# -----------------------------------------------------------------------------
# Facts of the project's own site
# -----------------------------------------------------------------------------

SITE_URL = "https://www.arcticsales.no/"
POSTS = sorted((REPO / "docs/artikler/posts").glob("*.md"))
SLUGS = sorted(path.stem for path in POSTS)  # every sample pins slug == file name
NORWEGIAN_MONTHS = "januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember"
NORWEGIAN_DATE = re.compile(rf"\b\d{{1,2}}\. ({NORWEGIAN_MONTHS}) \d{{4}}\b")


# -----------------------------------------------------------------------------
# Call-to-action settings: one working URL per provider, and a consent dialog
# -----------------------------------------------------------------------------

BOOKING_URLS = {
    "calendly": "https://calendly.com/arcticsales/gratis-konsultasjon",
    "calcom": "https://cal.com/arcticsales/30min",
    "hubspot": "https://meetings-eu1.hubspot.com/arcticsales",
    "microsoft": "https://outlook.office365.com/owa/calendar/Booking@arcticsales.no/bookings/",
    "google": "https://calendar.google.com/calendar/appointments/schedules/AcZssZ0abc",
    "form": "https://skjema.arcticsales.no/booking",
}
NEWSLETTER_URLS = {
    "mailchimp": "https://arcticsales.us21.list-manage.com/subscribe/post?u=8f2b6c1d4e&id=7c4e1a9b2d",
    "brevo": "https://a1b2c3.sibforms.com/serve/MUIFAbc",
    "mailerlite": "https://assets.mailerlite.com/jsonp/123456/forms/987654321/subscribe",
    "kit": "https://app.kit.com/forms/1234567/subscriptions",
    "buttondown": "https://buttondown.com/api/emails/embed-subscribe/arcticsales",
    "generic": "https://skjema.arcticsales.no/nyhetsbrev",
}
CONSENT = {"title": "Innhold fra andre", "description": "Tekst.",
           "cookies": {"booking": {"name": "Bookingkalender", "checked": False}}, "actions": ["accept", "reject"]}


# -----------------------------------------------------------------------------
# Serving a built folder, and headless Chromium
# -----------------------------------------------------------------------------

# Chromium's own background traffic is switched off; this machine has no network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "nb-NO"}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve_folder(folder: Path, handler: type[http.server.SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """A built site on a loopback port, as a static host would serve it; always stopped."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
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


# -----------------------------------------------------------------------------
# Material's search worker, driven directly (tests/test_search_browser.py, bench/search_bench.py)
# -----------------------------------------------------------------------------

# In a page of the served site: start the worker the page's config names (or *worker*), hand it
# *index* as Material's UI does, and return for each query the pages of its result groups, best
# first, as the UI lists them ("" is the home page).
_WORKER_SEARCH = """async ({worker, index, queries}) => {
  const config = JSON.parse(document.getElementById("__config").textContent);
  const search = new Worker(new URL(worker || config.search, new URL(config.base, location.href)));
  const reply = () => new Promise((resolve, reject) => {
    search.addEventListener("message", event => resolve(event.data), {once: true});
    search.addEventListener("error", event => reject(new Error(event.message)), {once: true});
  });
  search.postMessage({type: 0, data: {config: index.config, docs: index.docs, options: {suggest: false}}});
  await reply();
  const pages = {};
  for (const query of queries) {
    search.postMessage({type: 2, data: query});
    const {data} = await reply();
    pages[query] = data.items.map(group => group.find(item => !item.location.includes("#")).location);
  }
  search.terminate();
  return pages;
}"""


def worker_search(page: Any, index: dict, queries: list[str], worker: str | None = None) -> dict[str, list[str]]:
    """The pages each query finds, in Material's order, from the search worker of the open *page*."""
    return page.evaluate(_WORKER_SEARCH, {"worker": worker, "index": index, "queries": queries})


def material_index(index: dict) -> dict:
    """*index* as Material alone writes it: without our Norwegian forms fields and rules."""
    from hub.search import FORMS_SUFFIX

    config = {key: value for key, value in index["config"].items() if key != "norwegian"}
    config["fields"] = {name: boost for name, boost in config["fields"].items() if not name.endswith(FORMS_SUFFIX)}
    docs = [{key: value for key, value in doc.items() if not key.endswith(FORMS_SUFFIX)} for doc in index["docs"]]
    return {"config": config, "docs": docs}


# -----------------------------------------------------------------------------
# The lead inbox
# -----------------------------------------------------------------------------

SITE = "http://127.0.0.1:8000/"
SITE_ORIGIN = "http://127.0.0.1:8000"
INBOX = "http://inbox.test"
PASSWORD = "riktig hest batteri stift"
PASSWORD_HASH = tokens.hash_password(PASSWORD)
SECRET = b"test-secret-" + b"x" * 40

BOOKING = {"name": "Kari Nordmann", "company": "Nordlys AS", "email": "kari@nordlys.no", "phone": "+47 912 34 567",
           "message": "Vi vil bli bedre på oppfølging.\nHar dere tid i mars?", "consent": "ja", "website": "",
           "article": "coaching-i-praksis", "page": "artikler/coaching-i-praksis/", "form_token": "tok-booking-001"}
SIGNUP = {"email": "ola@fjord.no", "consent": "ja", "website": "", "article": "coaching-i-praksis",
          "page": "artikler/coaching-i-praksis/", "form_token": "tok-signup-0001"}
JSON = {"accept": "application/json"}


@dataclass
class Mailbox:
    """What the local SMTP server received."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # the DATA exactly as it arrived, for what a parser would decode

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.raw.append(envelope.original_content)  # type: ignore[attr-defined]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))  # type: ignore[attr-defined]
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"expected {count} emails, got {len(self.messages)}"
            time.sleep(0.05)
        return self.messages

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if message["To"] == address]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


def links(message: EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", body(message))


def read_csv(data: bytes) -> list[dict[str, str]]:
    """A staff export as Excel reads it: UTF-8 after a BOM, `;` between fields; rows by Norwegian heading."""
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def plain(value: str) -> str:
    """A cell without the ' that the export puts before a formula character where a cell could begin."""
    return re.sub(r"(^|[;,\t\r\n\"])(\s*)'(?=[=+\-@\uff1d\uff0b\uff0d\uff20\t\r\n])", r"\1\2", value)


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    admin = os.environ.get("INBOX_TEST_POSTGRES")
    if not admin:
        if os.environ.get("INBOX_REQUIRE_POSTGRES"):
            pytest.fail("INBOX_TEST_POSTGRES is not set; `make test` starts PostgreSQL and sets it")
        pytest.skip("PostgreSQL not configured (INBOX_TEST_POSTGRES); `make test` runs these")
    name = f"inbox_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(engine, name)
        engine.dispose()


def _drop(engine: Any, name: str) -> None:
    """Drop a test database, ending what still uses it. WITH (FORCE) is refused while an autovacuum worker
    (a superuser process) is busy in the new database; that takes a moment, hence the retries."""
    for attempt in range(40):
        try:
            with engine.connect() as conn:
                conn.execute(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            if attempt == 39:
                raise
            time.sleep(0.25)


def settings(database_url: str, mailbox: Mailbox | None, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url, "site_url": SITE, "public_url": INBOX, "secret": SECRET,
        "delivery": SMTPDelivery("127.0.0.1", mailbox.port if mailbox else free_port(), security="none", timeout=5),
        "staff_password_hash": PASSWORD_HASH, "staff_email": "salg@arcticsales.no", "rate_limit": 0,
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def log_in(client: TestClient) -> str:
    """Log in to the staff page; the CSRF token of the new session."""
    response = client.post("/staff/login", data={"password": PASSWORD}, headers={"origin": INBOX})
    assert response.status_code == 303, response.text
    page = client.get("/staff/")
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


@contextlib.contextmanager
def inbox_server(database_url: str, site_url: str, data_dir: Path, *options: str,
                 env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """`python -m inbox` as a real process on a free port; yields its URL, the process and its log file."""
    port = free_port()
    log = data_dir / f"inbox-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database_url, "--site-url", site_url,
         "--data-dir", str(data_dir), *options],
        stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=REPO,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process)
        yield url, process, log
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None, "the inbox exited early"
        assert time.monotonic() < deadline, "the inbox did not become healthy"
        time.sleep(0.1)


def words(node) -> str:
    return " ".join(node.text(separator=" ").split())


def staff_rows(client) -> list[dict[str, str]]:
    page = HTMLParser(client.get("/staff/").text)
    return [{"received": cells[0].text(strip=True), "kind": words(cells[1]), "contact": words(cells[2]),
             "message": cells[3].text(),
             "article": cells[4].text(strip=True), "status": row.css_first("option[selected]").attributes["value"],
             "id": row.css_first("form.status").attributes["action"].split("/")[3]}
            for row in page.css("tbody tr") for cells in [row.css("td")]]


# -----------------------------------------------------------------------------
# `mkdocs serve`, as staff run it, with everything it prints
# -----------------------------------------------------------------------------


class Preview:
    """A running `mkdocs serve`, its address and everything it printed."""

    def __init__(self, url: str, log: Path) -> None:
        self.url, self.log = url, log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int, str]:
        """Status and body of *path*; 0 when nothing answers."""
        try:
            with urllib.request.urlopen(self.url + path, timeout=20) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")
        except OSError:
            return 0, ""

    def wait(self, condition: Callable[[], bool], what: str, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; output:\n{self.output()[-6000:]}")


@contextlib.contextmanager
def preview(config: Path, log: Path, first_page: str) -> Iterator[Preview]:
    """`mkdocs serve --livereload` of *config* on a free port, once *first_page* answers; always stopped."""
    port = free_port()
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--config-file", str(config), "--dev-addr",
             f"127.0.0.1:{port}", "--livereload"],
            stdout=out, stderr=subprocess.STDOUT, env=MKDOCS_ENV, cwd=config.parent)
        running = Preview(f"http://127.0.0.1:{port}/", log)
        try:
            running.wait(lambda: running.get(first_page)[0] == 200, "the first build", seconds=120)
            yield running
        finally:
            server.terminate()
            server.wait(timeout=20)


# -----------------------------------------------------------------------------
# Generated images (tests/test_images*.py): made with Pillow in the test, never stored in the repository
# -----------------------------------------------------------------------------


def photo(width: int, height: int, fmt: str = "JPEG", noise: bool = False, **save: object) -> bytes:
    """A generated picture: coloured discs on blue (or random noise, which no encoder can shrink)."""
    from PIL import Image, ImageDraw

    if noise:
        image = Image.frombytes("RGB", (width, height), random_bytes(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (30, 90, 140))
        draw = ImageDraw.Draw(image)
        step = max(1, width // 12)
        for index, left in enumerate(range(0, width, step)):
            top = (index * height) // 14
            draw.ellipse((left, top, left + width // 4, top + height // 3), fill=(40 * index % 256, 160, 220 - index))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


def random_bytes(count: int, seed: int = 7) -> bytes:
    import random

    return random.Random(seed).randbytes(count)


SVG_DIAGRAM = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 360"><rect width="640" height="360"/></svg>'


# The page-view beacon (inbox/stats.py) goes to our own inbox, which the CSP allows; a page built for the deployed
# inbox sends it there. refuse_other_hosts refuses it like any other request but does not list it.
# What pages ask our own deployed inbox for by themselves: the page-view beacon (issue 19) and, for a booking
# block in view, the free times (issue 20). Offline they are refused, as an unreachable inbox would be, and
# not recorded: they are first-party, and the pages' fallbacks (no count, the slot page's link) are tested.
DEPLOYED_BEACON = DEPLOYED_INBOX + "/hit"
DEPLOYED_OWN = (DEPLOYED_BEACON, DEPLOYED_INBOX + SLOTS_JSON_PATH)


def refuse_other_hosts(context: Any) -> list[str]:
    """Refuse, and record, every request a browser context makes to a host other than this machine (the
    deployed inbox's own requests, DEPLOYED_OWN, are refused without being recorded)."""
    outside: list[str] = []

    def route(route: Any, request: Any) -> None:
        if urlsplit(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            if urlsplit(request.url)._replace(query="").geturl() not in DEPLOYED_OWN:
                outside.append(request.url)
            route.abort()

    context.route("**/*", route)
    return outside


# -----------------------------------------------------------------------------
# A fake GitHub for the web editor's sign-in (tests/test_editor_oauth.py, tests/test_editor_browser.py)
# -----------------------------------------------------------------------------

GITHUB_CLIENT_ID = "Iv1.test-client-id"
GITHUB_CLIENT_SECRET = "test-client-secret-5f3c9a0d"
GITHUB_REPO = "arcticsales/innholdshub"
GITHUB_CODE = "good-code"
GITHUB_TOKEN = "gho_test-token"


class FakeGitHub(http.server.BaseHTTPRequestHandler):
    """GitHub's token endpoint and ``GET /repos/{repo}``; ``push`` says whether the account may write."""

    seen: ClassVar[list[dict]] = []
    push: ClassVar[bool] = True

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = urllib.parse.parse_qs(self.rfile.read(int(self.headers["content-length"])).decode())
        type(self).seen.append({"path": self.path, "body": body})
        good = (self.path == "/login/oauth/access_token" and body.get("client_secret") == [GITHUB_CLIENT_SECRET]
                and body.get("code") == [GITHUB_CODE] and body.get("client_id") == [GITHUB_CLIENT_ID])
        self._json({"access_token": GITHUB_TOKEN, "token_type": "bearer", "scope": "repo"} if good
                   else {"error": "bad_verification_code"})

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/login/oauth/authorize?"):  # the person signs in and allows the app
            asked = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            back = asked["redirect_uri"][0] + "?" + urllib.parse.urlencode({"code": GITHUB_CODE,
                                                                            "state": asked["state"][0]})
            self.send_response(302)
            self.send_header("location", back)
            self.end_headers()
            return
        type(self).seen.append({"path": self.path, "authorization": self.headers.get("authorization")})
        if self.path == f"/repos/{GITHUB_REPO}" and self.headers.get("authorization") == f"Bearer {GITHUB_TOKEN}":
            self._json({"full_name": GITHUB_REPO, "permissions": {"admin": False, "push": type(self).push,
                                                                   "pull": True}})
        else:
            self._json({"message": "Not Found"}, 404)

    def _json(self, value: dict, status: int = 200) -> None:
        data = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def fake_github() -> Iterator[str]:
    """The fake on a loopback port, with a fresh record; always stopped."""
    FakeGitHub.seen, FakeGitHub.push = [], True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
# Pages in Chromium: width and axe (the staff pages)
# -----------------------------------------------------------------------------


def page_width(page: Any) -> tuple[int, int]:
    """Scroll width and width of the page, once its stylesheet has loaded (the heading can come first)."""
    page.wait_for_load_state("load")
    page.wait_for_function("[...document.styleSheets].some(sheet => sheet.href && sheet.cssRules.length > 0)")
    return tuple(page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


def serious_axe_findings(page: Any) -> list[tuple[str, list]]:
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js")
    assert axe.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    page.add_script_tag(content=axe.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(violation["id"], [node["target"] for node in violation["nodes"]][:3])
            for violation in result["violations"] if violation["impact"] in {"serious", "critical"}]
