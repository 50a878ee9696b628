"""The web editor at /admin/: Decap CMS from npm (pinned, .cache/decap), configured from the front-matter schema.

Every build writes ``admin/`` into the site: Decap's bundle, copied from the
npm package the Makefile installs (nothing from a CDN), ``config.yml`` made by
``hub/editor.py`` from ``hub/frontmatter.py``, ``hub-cms.js`` (our slug rule,
the image check and the preview template) and ``index.html``. A preview
(``mkdocs serve``, or a build whose inbox is on this machine) points the
editor at decap-server on 127.0.0.1:8081, which ``make serve`` starts; a
published build uses GitHub through the inbox's sign-in, with the editorial
workflow. ``HUB_EDITOR=off`` builds without the editor (the tests do, but
for the editor's own).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from hub import catalogue, editor, forms, frontmatter, headers, site
from hub.messages import say
from jinja2 import Environment, FileSystemLoader, select_autoescape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.admin")

ADMIN = "admin"
TEMPLATES = Path(__file__).parent / "templates" / "admin"
# Where `make` installs decap-cms (npm, pinned in the Makefile); HUB_DECAP_DIR points elsewhere.
BUNDLE = Path(__file__).resolve().parent.parent / ".cache/decap/node_modules/decap-cms/dist"
# The bundle's entry, the chunks it loads on demand, and its WebAssembly: all from our host.
_BUNDLE_FILES = re.compile(r"^(decap-cms\.js|\d+\.decap-cms\.js|[0-9a-f]+\.wasm|decap-cms\.js\.LICENSE\.txt)$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]+$")

_command = "build"
_backend: editor.Backend | None = None  # None: this build has no editor


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether this is a preview: it edits this checkout through decap-server."""
    global _command
    _command = command


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Check extra.editor before anything is built; reset for each rebuild of a serve session."""
    global _backend
    _backend = None
    if os.environ.get("HUB_EDITOR", "").lower() == "off":
        return config
    settings = config.extra.get("editor") or {}
    inbox = str(config.extra.get("inbox") or "")
    local = _command == "serve" or urlsplit(inbox).hostname in forms.LOCAL_HOSTS
    # GitHub Actions names the repository it builds; HUB_EDITOR_REPO (extra.editor.repo) wins.
    repo = str(settings.get("repo") or os.environ.get("GITHUB_REPOSITORY") or "")
    branch = str(settings.get("branch") or "main")
    if repo and not _REPO.match(repo):
        raise PluginError(f"mkdocs.yml: {say('editor.bad_repo', value=repr(repo))}")
    if not _BRANCH.match(branch):
        raise PluginError(f"mkdocs.yml: {say('editor.bad_branch', value=repr(branch))}")
    if not repo and not local:
        log.warning("mkdocs.yml: %s", say("editor.no_repo"))
    port = int(os.environ.get("HUB_EDITOR_LOCAL_PORT") or editor.LOCAL_PORT)  # tests run decap-server elsewhere
    _backend = editor.Backend(repo=repo, branch=branch, inbox=inbox, local=local, local_port=port)
    return config


# After hooks/cta.py (-100) has written the security headers, so the /admin/ block is added to them.
@event_priority(-110)
def on_post_build(config: MkDocsConfig) -> None:
    """Write admin/: the bundle, config.yml, hub-cms.js and index.html; and /admin/'s own headers."""
    if _backend is None:
        return
    bundle = Path(os.environ.get("HUB_DECAP_DIR") or BUNDLE)
    if not (bundle / "decap-cms.js").is_file():
        log.warning("%s", say("editor.no_bundle", folder=bundle))
        return
    target = Path(config.site_dir) / ADMIN
    target.mkdir(parents=True, exist_ok=True)
    _copy_bundle(bundle, target)
    layout = site.layout(config)
    authors = _authors(layout)
    context = frontmatter.Context(categories=frozenset(layout.categories), authors=frozenset(authors))
    posts = (layout.docs / layout.posts).relative_to(layout.root).as_posix()
    settings = editor.config(context, authors, _backend, config.site_url or "/", posts)
    (target / "config.yml").write_text(editor.dump(settings), encoding="utf-8")
    shutil.copyfile(TEMPLATES / "hub-cms.js", target / "hub-cms.js")
    policy = editor.content_security_policy(_backend)
    (target / "index.html").write_text(_render_page(config, policy, authors), encoding="utf-8")
    _add_headers(Path(config.site_dir), policy)


def _copy_bundle(bundle: Path, target: Path) -> None:
    # Copied only when changed: a preview rebuild does not copy 6 MB each time.
    for source in bundle.iterdir():
        if not _BUNDLE_FILES.match(source.name):
            continue
        copy = target / source.name
        stat = source.stat()
        if copy.exists() and copy.stat().st_size == stat.st_size and copy.stat().st_mtime >= stat.st_mtime:
            continue
        shutil.copy2(source, copy)


def _authors(layout: catalogue.Layout) -> dict[str, str]:
    found, _ = catalogue.read_authors(layout)  # the build itself reports a broken .authors.yml
    return {key: author.name for key, author in found.items()}


def _render_page(config: MkDocsConfig, policy: str, authors: dict[str, str]) -> str:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                      keep_trailing_newline=True)
    styles = [f"../{path}" for path in (_material_css(Path(config.site_dir)), *config.extra_css) if path]
    # A <meta> policy cannot hold frame-ancestors (the header has it).
    meta_policy = "; ".join(part for part in policy.split("; ") if not part.startswith("frame-ancestors"))
    return env.get_template("index.html").render(policy=meta_policy, site_name=config.site_name, styles=styles,
                                                 authors=authors, rules=editor.slug_rules())


def _material_css(site_dir: Path) -> str:
    """Material's built stylesheet (its name carries a hash), relative to the site."""
    found = sorted((site_dir / "assets/stylesheets").glob("main.*.min.css"))
    return found[0].relative_to(site_dir).as_posix() if found else ""


def _add_headers(site_dir: Path, policy: str) -> None:
    """/admin/ gets its own policy in _headers and in the nginx include (written by hooks/cta.py)."""
    for name, block in (("_headers", headers.admin_headers_block), ("nginx-security-headers.conf",
                                                                     headers.admin_nginx_block)):
        path = site_dir / name
        if path.exists():
            path.write_text(path.read_text(encoding="utf-8") + block(f"/{ADMIN}/", policy), encoding="utf-8")


