"""The web editor at /admin/, in headless Chromium, against `mkdocs serve` and a real decap-server.

Everything runs on a copy of the repository in tmp_path: the editor writes
into the copy's docs/, never the real one. Every request the browser makes to
a host other than this machine is refused and recorded; there must be none.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hub import frontmatter, slug
from support import (
    GITHUB_CLIENT_ID,
    GITHUB_CLIENT_SECRET,
    GITHUB_REPO,
    GITHUB_TOKEN,
    REPO,
    FakeGitHub,
    fake_github,
    free_port,
    inbox_server,
    refuse_other_hosts,
    run_mkdocs,
    serve_folder,
    serving,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DECAP = REPO / ".cache/decap/node_modules"
TITLE = "Lønnssamtaler på én time: så får du dem i mål"
PINNED = "lonnssamtaler-pa-en-time-sa-far-du-dem-i-mal"
DESCRIPTION = "Slik forbereder du lønnssamtalen med selgerne, og hva du gjør når forventningene er høye."
BODY = "Første avsnitt om lønn.\n\n<!-- more -->\n\n## Forberedelse\n\n- Tallene\n- Målene\n- Neste steg\n"
EXISTING = "eksisterende-artikkel"
# An article written by hand: keys the editor does not show (template settings, and one nobody reads),
# in an order of its own, and the excerpt separator.
EXISTING_TEXT = """---
title: Eksisterende artikkel
description: Den gamle ingressen.
date: 2025-01-20
slug: eksisterende-artikkel
authors: [ingrid]
categories: [Coaching]
tags: [coaching]
hide: [toc]
search:
  boost: 2
readtime: 7
---

Innledningen som vises i oversikten.

<!-- more -->

## Resten

Teksten etter utdraget.
"""


@dataclass
class Editor:
    root: Path          # the copy of the repository
    url: str            # mkdocs serve
    log: Path

    @property
    def posts(self) -> Path:
        return self.root / "docs/artikler/posts"


def _copy_repository(root: Path) -> None:
    for name in ("docs", "overrides", "hooks", "mkdocs.yml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, root / name)
    (root / "docs/artikler/posts" / f"{EXISTING}.md").write_text(EXISTING_TEXT, encoding="utf-8")


def _wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited early"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not start")


@pytest.fixture(scope="module")
def editor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Editor]:
    assert (DECAP / "decap-cms/dist/decap-cms.js").exists(), "Decap CMS is missing: `make test` installs it from npm"
    root = tmp_path_factory.mktemp("editor")
    _copy_repository(root)
    backend_port = free_port()
    log = root.parent / "decap-server.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(DECAP / ".bin/decap-server")], cwd=root, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "BIND_HOST": "127.0.0.1", "PORT": str(backend_port), "MODE": "fs",
                 "GIT_REPO_DIRECTORY": str(root), "LOG_LEVEL": "info"})
        try:
            _wait_for_port(backend_port, server, "decap-server")
            env = {"HUB_EDITOR": "on", "HUB_EDITOR_LOCAL_PORT": str(backend_port),
                   "HUB_DECAP_DIR": str(DECAP / "decap-cms/dist")}
            with serving(root / "mkdocs.yml", env=env) as url:
                yield Editor(root, url, log)
        finally:
            server.terminate()
            server.wait(timeout=20)


def _open(context, editor: Editor, refused: list[str] | None = None):
    """The editor, signed in; what its Content-Security-Policy refused goes into *refused*."""
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # «Er du sikker på at du vil publisere?»
    if refused is not None:
        page.on("console", lambda message: refused.append(message.text)
                if "Content Security Policy" in message.text else None)
    page.goto(editor.url + "admin/")
    page.get_by_role("button", name="Logg inn").click()  # the local backend: no account, no password
    page.get_by_text("Artikler", exact=True).first.wait_for()
    return page


def _publish(page) -> None:
    """«Publiser» → «Publiser nå»: with the local backend, that writes the file (a draft stays draft: true)."""
    # The toast of an earlier save may still be showing: wait for a new one, added after this click.
    page.evaluate("""() => {
        window.hubSaved = false;
        new MutationObserver((records, observer) => {
            if (records.some(record => [...record.addedNodes].some(node =>
                    (node.textContent || "").includes("Innlegg lagret")))) {
                window.hubSaved = true;
                observer.disconnect();
            }
        }).observe(document.body, {childList: true, subtree: true, characterData: true});
    }""")
    page.get_by_role("button", name="Publiser", exact=True).click()
    page.get_by_text("Publiser nå", exact=True).click()
    try:
        page.wait_for_function("() => window.hubSaved === true", timeout=20_000)
    except Exception:
        page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "editor-not-saved.png"), full_page=True)
        raise


def _wait_for_file(path: Path, contains: str = "", seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and contains in (text := path.read_text(encoding="utf-8")):
            return text
        time.sleep(0.2)
    raise AssertionError(f"{path.name} was not written" + (f" with {contains!r}" if contains else ""))


def _wait_for_page(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not appear in the preview")


def _select(page, label: str, option: str) -> None:
    field = page.get_by_label(label)
    field.click()
    field.type(option)
    page.get_by_role("option", name=option).click()


def test_an_article_written_in_the_editor_is_saved_with_our_slug_and_builds(browser, editor: Editor,
                                                                            tmp_path: Path) -> None:
    context = browser.new_context(locale="nb-NO", viewport={"width": 1400, "height": 1000})
    outside = refuse_other_hosts(context)
    refused: list[str] = []
    page = _open(context, editor, refused)
    page.goto(editor.url + "admin/#/collections/artikler/new")
    page.get_by_label("Tittel", exact=True).fill(TITLE)
    page.get_by_label("Ingress").fill(DESCRIPTION)
    page.get_by_label("Publiseringsdato").fill("2025-03-14")
    _select(page, "Forfattere (valgfritt)", "Sara Nilsen")
    _select(page, "Kategorier (valgfritt)", "Coaching")
    page.get_by_label("Emneord (valgfritt)").fill("lønn, samtale")
    # The body as Markdown text: the toggle beside «Markdown» in the body's toolbar.
    page.get_by_text("Markdown", exact=True).locator("xpath=preceding-sibling::button[@role='switch']").click()
    page.locator("[data-slate-editor]").last.click()
    page.keyboard.type(BODY)
    # The preview pane: the site's stylesheet, the title, the byline and the body.
    preview = page.frame_locator("iframe").first
    assert preview.locator("h1.hub-title").inner_text() == TITLE
    assert "Sara Nilsen" in preview.locator(".hub-byline").inner_text()
    assert "14. mars 2025" in preview.locator(".hub-byline time").inner_text()
    assert preview.locator("h2").inner_text() == "Forberedelse"
    assert preview.locator("li").count() == 3
    sheets = preview.locator("link[rel=stylesheet]").evaluate_all("links => links.map(link => link.href)")
    assert any(re.search(r"/assets/stylesheets/main\.[0-9a-f]+\.min\.css$", href) for href in sheets), sheets
    assert any(href.endswith("/assets/stylesheets/hub.css") for href in sheets), sheets
    _publish(page)

    # The file: named by our slug rule, pinned in front matter, a bare date, valid for the build.
    path = editor.posts / f"{PINNED}.md"
    text = _wait_for_file(path)
    assert PINNED == slug.slugify(TITLE)
    front = frontmatter.read(f"docs/artikler/posts/{PINNED}.md", text.encode())
    assert front.problems == []
    assert re.search(r"^date: 2025-03-14$", text, re.MULTILINE), text  # bare, not "2025-03-14"
    assert front.meta["date"] == dt.date(2025, 3, 14)
    assert (front.meta["title"], front.meta["description"], front.meta["slug"]) == (TITLE, DESCRIPTION, PINNED)
    assert (front.meta["authors"], front.meta["categories"], front.meta["tags"]) == \
        (["sara"], ["Coaching"], ["lønn", "samtale"])
    assert front.meta["draft"] is True  # on by default
    context_ = frontmatter.Context(categories=frozenset(["Coaching"]), authors=frozenset(["sara"]))
    assert frontmatter.validate(front, context_) == [] and frontmatter.unknown_keys(front) == []
    assert front.body.strip() == BODY.strip()

    # The article shows in the site's preview (drafts show there) once it has rebuilt, list and heading too.
    # In a tab of its own: the preview reloads that page again when the full rebuild after the save is done
    # (hub-speed's two phases), which would cut short the editor's next navigation in the same tab.
    _wait_for_page(editor.url + f"artikler/{PINNED}/")
    article_tab = page.context.new_page()
    article_tab.goto(editor.url + f"artikler/{PINNED}/")
    assert article_tab.locator("h1").first.inner_text() == TITLE
    assert article_tab.locator("article li, .md-content li").count() >= 3
    article_tab.close()

    # A later title edit keeps the slug and the file name.
    page.goto(editor.url + f"admin/#/collections/artikler/entries/{PINNED}")
    page.get_by_label("Tittel", exact=True).fill("Et helt annet navn")
    _publish(page)
    edited = _wait_for_file(path, "Et helt annet navn")
    assert f"slug: {PINNED}" in edited and not (editor.posts / "et-helt-annet-navn.md").exists()

    # The strict build of the copy passes (the editor's own file included), and publishes it once not a draft.
    path.write_text(edited.replace("draft: true", "draft: false"), encoding="utf-8")
    build = run_mkdocs(editor.root / "mkdocs.yml", tmp_path / "site")
    assert build.returncode == 0, build.output
    assert build.html(f"artikler/{PINNED}/index.html").css_first("h1").text() == "Et helt annet navn"
    assert outside == []
    # The editor ran under its own policy (the <meta> in admin/index.html), which refused nothing it
    # needed: the one refusal is the preview server's live-reload script, injected inline by mkdocs serve.
    served = urllib.request.urlopen(editor.url + "admin/").read().decode()
    assert len(re.findall(r"<script>", served)) == 1 and "livereload" in served
    assert refused and all(text.startswith("Executing inline script violates") for text in refused), refused
    context.close()


def test_editing_an_existing_article_keeps_what_the_editor_does_not_show(browser, editor: Editor) -> None:
    context = browser.new_context(locale="nb-NO", viewport={"width": 1400, "height": 1000})
    outside = refuse_other_hosts(context)
    page = _open(context, editor)
    page.goto(editor.url + f"admin/#/collections/artikler/entries/{EXISTING}")
    page.get_by_label("Ingress").fill("Den nye ingressen.")
    # The body edited in the rich-text mode (the default): a sentence added at its end.
    body = page.locator("[data-slate-editor]").last
    body.get_by_text("Teksten etter utdraget.").click()
    page.wait_for_timeout(300)  # Slate sets its selection after the click's events
    page.keyboard.press("End")
    page.wait_for_timeout(300)
    page.keyboard.type(" Et tillegg.")
    body.get_by_text("Teksten etter utdraget. Et tillegg.").wait_for()
    _publish(page)
    text = _wait_for_file(editor.posts / f"{EXISTING}.md", "Den nye ingressen.")
    before = frontmatter.read("a.md", EXISTING_TEXT.encode())
    after = frontmatter.read("a.md", text.encode())
    assert {**before.meta, "description": "Den nye ingressen."} == {key: value for key, value in after.meta.items()
                                                                    if key != "draft"}
    assert list(after.meta) == list(before.meta)  # the same order (FIELDS' order, which Decap sorts by)
    assert "<!-- more -->" in after.body
    assert after.body.split("<!-- more -->")[0].strip() == before.body.split("<!-- more -->")[0].strip()
    assert after.body.split("<!-- more -->")[1].strip() == \
        before.body.split("<!-- more -->")[1].strip().replace("utdraget.", "utdraget. Et tillegg.")
    assert re.search(r"^date: 2025-01-20$", text, re.MULTILINE), text
    assert outside == []
    context.close()


def test_axe_on_the_editor(browser, editor: Editor) -> None:
    """axe-core on /admin/ (the list of articles and the editing view): reported, the CMS's own violations too."""
    axe = Path(os.environ.get("AXE_PATH") or REPO / ".cache/axe/node_modules/axe-core/axe.min.js").read_text()
    # bypass_csp: axe is injected as an inline script, which the editor's policy (rightly) refuses.
    context = browser.new_context(locale="nb-NO", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    outside = refuse_other_hosts(context)
    page = _open(context, editor)
    found = {}
    for view in ("#/collections/artikler", f"#/collections/artikler/entries/{EXISTING}"):
        page.goto(editor.url + "admin/" + view)
        page.wait_for_timeout(1500)
        page.add_script_tag(content=axe)
        result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                               "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})")
        found[view] = sorted((item["id"], item["impact"], [node["target"] for node in item["nodes"]])
                             for item in result["violations"])
    print("axe on /admin/:", json.dumps(found, ensure_ascii=False))
    assert outside == []
    assert all(isinstance(rules, list) for rules in found.values()) and len(found) == 2
    # The page itself, ours: a language and a title.
    assert page.evaluate("document.documentElement.lang") == "nb"
    assert page.title().startswith("Editor")
    # Decap's own markup, as of decap-cms 3.16.3 (README, «Editoren»): listed, so a new one fails here.
    known = {"color-contrast", "aria-input-field-name", "aria-required-attr", "button-name", "frame-title",
             "label-content-name-mismatch", "nested-interactive"}
    assert {rule for rules in found.values() for rule, _, _ in rules} <= known, found
    context.close()


def test_signing_in_with_github_hands_the_token_to_the_editor_only(browser, tmp_path: Path) -> None:
    """The published set-up: the built site, the inbox as a real process, and a fake GitHub on loopback.

    Decap's popup goes to the inbox, on to the fake GitHub's sign-in and back; the inbox exchanges the
    code, checks write access and hands the token over by postMessage. The editor's calls to
    api.github.com are answered inside the browser (nothing leaves the machine), so the test can see
    that they carry the token.
    """
    root = tmp_path / "repo"
    root.mkdir()
    _copy_repository(root)
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    with fake_github() as github, serve_folder(site_dir) as site_url:
        env = {"INBOX_GITHUB_CLIENT_ID": GITHUB_CLIENT_ID, "INBOX_GITHUB_CLIENT_SECRET": GITHUB_CLIENT_SECRET,
               "INBOX_GITHUB_REPO": GITHUB_REPO, "INBOX_GITHUB_URL": github, "INBOX_GITHUB_API_URL": github}
        with inbox_server(f"sqlite:///{tmp_path / 'inbox.sqlite3'}", site_url, tmp_path / "data", env=env) \
                as (inbox_url, _, log):
            # No decap-server answers on the local port, so Decap uses its GitHub backend, as published.
            build = run_mkdocs(root / "mkdocs.yml", site_dir, env={
                "HUB_EDITOR": "on", "HUB_INBOX_URL": inbox_url, "HUB_SITE_URL": site_url,
                "HUB_EDITOR_REPO": GITHUB_REPO, "HUB_EDITOR_LOCAL_PORT": str(free_port()),
                "HUB_DECAP_DIR": str(DECAP / "decap-cms/dist")})
            assert build.returncode == 0, build.output
            context = browser.new_context(locale="nb-NO")
            outside = refuse_other_hosts(context)
            api: list[tuple[str, str]] = []

            def github_api(route, request) -> None:
                api.append((urlsplit(request.url).path, request.headers.get("authorization", "")))
                path = urlsplit(request.url).path
                answers = {"/user": {"login": "kari", "name": "Kari Nordmann", "avatar_url": ""},
                           f"/repos/{GITHUB_REPO}": {"full_name": GITHUB_REPO, "permissions": {"push": True}}}
                route.fulfill(status=200 if path in answers else 404, content_type="application/json",
                              body=json.dumps(answers.get(path, {"message": "Not Found"})))

            context.route("https://api.github.com/**", github_api)  # matched before refuse_other_hosts' route
            page = context.new_page()
            page.goto(site_url + "admin/")
            with context.expect_page() as popup:
                page.get_by_role("button", name="Logg på med GitHub").click()
            popup.value.wait_for_event("close", timeout=30_000)  # Decap closes it when the token has come
            deadline = time.monotonic() + 30
            while not any(path == "/user" for path, _ in api) and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            context.close()
            inbox_log = log.read_text(encoding="utf-8")
    assert ("/user", f"token {GITHUB_TOKEN}") in api
    assert [seen["path"] for seen in FakeGitHub.seen] == ["/login/oauth/access_token", f"/repos/{GITHUB_REPO}"]
    assert outside == []
    assert GITHUB_TOKEN not in inbox_log and GITHUB_CLIENT_SECRET not in inbox_log
