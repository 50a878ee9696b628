"""What each speed-up replaces upstream, and the exact source it was written against."""

from __future__ import annotations

import hashlib
import inspect
import json
import linecache
import os
from importlib import resources
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

MATERIAL = "9.8.2"
MKDOCS = "1.6.1"


@dataclass(frozen=True)
class Patch:
    """One replaced upstream function or template, and when the replacement can be removed."""

    name: str           # the speed-up's flag in SpeedConfig
    upstream: str       # "package/file.py:line Qualified.name" of what is replaced or wrapped
    sha256: str         # of the upstream source (inspect.getsource), as pinned
    remove_when: str    # the upstream change that makes the patch unnecessary

    def current(self) -> str:
        if " " not in self.upstream:  # a template: the hash of the whole file
            package, _, path = self.upstream.partition("/")
            return hashlib.sha256((resources.files(package) / path).read_bytes()).hexdigest()
        return source_hash(resolve(self.upstream.split()[1], self.upstream.split(":")[0]))

    def holds(self) -> bool:
        try:
            return self.current() == self.sha256
        except (AttributeError, ImportError, OSError, TypeError):
            return False

    def file(self) -> str:
        """The upstream file (found without reading it)."""
        if " " not in self.upstream:
            package, _, path = self.upstream.partition("/")
            return str(resources.files(package) / path)
        return inspect.getsourcefile(resolve(self.upstream.split()[1], self.upstream.split(":")[0])) or ""


def resolve(qualified: str, path: str) -> Any:
    """The object *qualified* (``Class.method``) in the module at *path* (``package/module.py``)."""
    module = __import__(path.removesuffix(".py").replace("/", ".").removesuffix(".__init__"), fromlist=["_"])
    found: Any = module
    for part in qualified.split("."):
        found = getattr(found, part)
    return found


def source_hash(target: Any) -> str:
    return hashlib.sha256(inspect.getsource(target).encode("utf-8")).hexdigest()


def versions_hold() -> bool:
    return version("mkdocs-material") == MATERIAL and version("mkdocs") == MKDOCS


EXCERPT = Patch(
    "excerpts", "material/plugins/blog/structure/__init__.py:205 Excerpt.render",
    "6ee38b3efd751ef5996bf852d21008bf7e504476671a6b1b9d5025110899c27a",
    "Material renders an excerpt from the text before the separator itself, and once per build")
EXCERPT_INIT = Patch(
    "excerpts", "material/plugins/blog/structure/__init__.py:156 Excerpt.__init__",
    "32c96fb86b8a80c8b219fae1cf2c1627b3b5ad5bdd65b555e4f0286e4c393854",
    "Material makes an excerpt's Markdown parser when the excerpt is first rendered")
MARKDOWN_CONVERT = Patch(
    "excerpts", "markdown/core.py:322 Markdown.convert",
    "e70d19e814646ee89dbf1981762f37c8f65e32fd75f9aee829751865835b6e4b",
    "never: excerpts._convert_for_listing follows this function line for line; re-check it on a Markdown upgrade")
PAGE_RENDER = Patch(
    "markdown_cache", "mkdocs/structure/pages.py:263 Page.render",
    "320529348f7a8af152073d0a3ab02960ccce91f9204716144e51b20931983cc6",
    "MkDocs caches converted pages itself (it does not in 1.6)")
POSTS = Patch(
    "post_lookup", "material/plugins/blog/plugin.py:250 BlogPlugin.on_page_markdown",
    "45d570b444f189b7e8e2e771decc03c6e0c923c4f3306d6de5e8c10d02b4b769",
    "Material keeps its posts in a set, or asks `page in posts` once per page instead of once per event")
NAVIGATION = Patch(
    "navigation", "material/templates/partials/nav.html",
    "af33f6e032f632eb055c365eb5f1a975bf8456152fa768e69a1aad6d470b843f",
    "Material renders the navigation once per state, or the template reads more than navigation._key knows")
COMPILE = Patch(
    "templates", "jinja2/environment.py:732 Environment.compile",
    "634cba867b25347fd9807a02dcb5a7e49bec3c150a9ebb5a76931d3369c027a6",
    "MkDocs gives its environment a persistent bytecode cache")
LISTINGS = Patch(
    "preview_listings", "material/plugins/blog/plugin.py:108 BlogPlugin.on_files",
    "cba6b06722756a6a733d97bf37e167708375a8f404f461614591c593aababece",
    "Material stops writing its listing sources anew on every build of a --dirty preview")
LISTING_COPIES = (
    Patch("preview_listings", "material/plugins/blog/plugin.py:647 BlogPlugin._generate_pages",
          "cbd8dc08c98ffc925e62c3fb9dcf9fa428b26e9a59f8960748c99a14f5fe1cca",
          "Material copies a listing's source for each of its later pages only when that source changed"),
    Patch("preview_listings", "material/plugins/blog/plugin.py:1032 BlogPlugin._save_to_file",
          "8330a58a284c4751ac6a8cede09ad7f1540bd9781fecac7921179ce0831c87dd",
          "Material writes a generated listing source only when its text changed"),
)

SERVE = Patch(
    "preview_two_phase", "mkdocs/commands/serve.py:20 serve",
    "518c785249cd4e9d56a4e4bca47559dee4d5a7347293feaa4b0bc551381586ed",
    "MkDocs serves a saved page before the rest of the rebuild is done")
BUILD_LOOP = Patch(
    "preview_two_phase", "mkdocs/livereload/__init__.py:192 LiveReloadServer._build_loop",
    "0bea1402bb4a41bfd626e0532bc254a1c5e3eafac07b73eef5bceef484852e31",
    "MkDocs serves a saved page before the rest of the rebuild is done")

COLLECTION = Patch(
    "preview_gc", BUILD_LOOP.upstream, BUILD_LOOP.sha256,
    "MkDocs runs its preview's rebuilds with the garbage collector paused, or Python's collector gets cheap")

POLLING = (
    Patch("preview_polling", "mkdocs/livereload/__init__.py:98 LiveReloadServer.__init__",
          "e79efeb939bfe4b4bbf5d2f11b320778194229b1fd3f9c061e2a5c66e0df43a2",
          "MkDocs lets a plugin choose how often the preview polls, or watches for changes without polling"),
    Patch("preview_polling", "watchdog/observers/api.py:114 EventEmitter",
          "6188b368ac27be9d8c4bcc4466a64c49082cf2863f349f994edb325a8f832c50",
          "MkDocs lets a plugin choose how often the preview polls, or watches for changes without polling"),
    Patch("preview_polling", "watchdog/observers/api.py:192 EventDispatcher",
          "f5e03b3f882d7bb81fd196d6552d05750a44fa216a2db229a2c17e3e737f1f9e",
          "MkDocs lets a plugin choose how often the preview polls, or watches for changes without polling"),
)

TABS = Patch(
    "navigation", "material/templates/partials/tabs.html",
    "d2c82916569e645a6b6dc5a36a2beddfaca5a66c8738c5b3e13b7d100ac2e8b7",
    "Material renders the tabs once per state, or the template reads more than navigation.key knows")
TABS_ITEM = Patch(
    "navigation", "material/templates/partials/tabs-item.html",
    "52fe1f551aa2dbfc9e15a19718a4cadd1f1e728d567ca21fea493ebfccaf3fe2",
    "Material renders the tabs once per state, or the template reads more than navigation.key knows")
SEARCH_ENTRY = Patch(
    "search_sections", "material/plugins/search/plugin.py:181 SearchIndex.add_entry_from_context",
    "4ca78ac4321f7704149f84dac0abc5a26afbd7c43de197ce7f481dcab47edb7b",
    "Material's search index keeps each page's parsed sections between builds")
SEARCH_PARSER = Patch(
    "search_sections", "material/plugins/search/plugin.py:386 Parser",
    "3227e18afa8a20e15210cd0e298b6edee838f72f05024bd5d191dae87f57fa2b",
    "the parser's output is no longer a function of the page's HTML alone (then the cache must go)")

RSS_UTIL = Patch(
    "rss_imports", "mkdocs_rss_plugin/util.py",
    "b9ddb7664bb3ed1025c9921dd41e775948d251921686fb0ad6d98c84be45f8b8",
    "mkdocs-rss-plugin imports GitPython, requests and CacheControl where it uses them, not as it loads")
RSS_CI = Patch(
    "rss_imports", "mkdocs_rss_plugin/git_manager/ci.py",
    "f098103dae5af91fbb23d0cd485b08e0a715fc60fdd8bd7cb9262e394ce850a8",
    "mkdocs-rss-plugin imports GitPython where it uses it, not as it loads")

# A full build writes over the last build's files (output.py): the two functions replaced, the build that calls
# them (clean first, every page and template written before on_post_build), and every writer on the way.
_IN_PLACE = "MkDocs writes a full build over the last one's files, or stops emptying the site folder first"
OUTPUT = (
    Patch("site_in_place", "mkdocs/utils/__init__.py:134 clean_directory",
          "b3c0aa8107311f444a1e97dd3384c10c85807697f225387c97c6a06bfb42ce92", _IN_PLACE),
    Patch("site_in_place", "mkdocs/utils/__init__.py:126 write_file",
          "7ca9477c4bda00c8928bfe09d8e83137adeb8cffde47be7bdb33f8984fb95a5a", _IN_PLACE),
    Patch("site_in_place", "mkdocs/commands/build.py:249 build",
          "c476b64474acfaa20c08fdedc074238c6521bf320263065ee7de983ebf2032f9", _IN_PLACE),
    Patch("site_in_place", "mkdocs/commands/build.py:91 _build_theme_template",
          "628a78f6a129c8a053a2f803990e8102540958d5e880ac0feae6c6c4ef544980", _IN_PLACE),
    Patch("site_in_place", "mkdocs/commands/build.py:124 _build_extra_template",
          "ecfe1ffd8b50aee7e8f4b3091402892142119e3e6995e66c4f2d7228b6037c2c", _IN_PLACE),
    Patch("site_in_place", "mkdocs/commands/build.py:185 _build_page",
          "adcdbd14b236112697cafec9171bd281981f15a776e0d2f941a62e7bffd9a0d5", _IN_PLACE),
    Patch("site_in_place", "mkdocs/structure/files.py:113 Files.copy_static_files",
          "d26112b6cfc80a76e157f7b1a8571d61b20cfbdcccb17514240ff42b6a530409", _IN_PLACE),
    Patch("site_in_place", "mkdocs/structure/files.py:473 File.copy_file",
          "369c71ea1799a93848ff69d0fe0146ec6580b0b1e7580996f6e1a39bda20e2ed", _IN_PLACE),
    Patch("site_in_place", "mkdocs/utils/__init__.py:113 copy_file",
          "ce5ccca491bb38a873e11c125452ee09f0df0a8322daf0882896902576ed9b80", _IN_PLACE),
)

PATCHES = (EXCERPT, EXCERPT_INIT, MARKDOWN_CONVERT, PAGE_RENDER, POSTS, NAVIGATION, COMPILE, LISTINGS, *LISTING_COPIES, SERVE, BUILD_LOOP,
           SEARCH_ENTRY, SEARCH_PARSER, TABS, TABS_ITEM, COLLECTION, *POLLING,
           RSS_UTIL, RSS_CI, *OUTPUT)


def check(names: set[str] | None = None, record: Path | None = None) -> dict[str, list[Patch]]:
    """The patches (of the speed-ups *names*, or all) whose upstream source is not the pinned one, by flag.

    Hashing a patch's upstream source means reading and tokenizing its whole module (a few MB held for the
    rest of the build), so once a patch held, *record* (a JSON file) remembers its file's path, size and
    modification time: an untouched file is not read again. A reinstalled package is a new file time.
    """
    known = _read_record(record)
    found = dict(known)
    broken: dict[str, list[Patch]] = {}
    for patch in PATCHES:
        if names is not None and patch.name not in names:
            continue
        if patch not in _held:  # once a process: the installed code does not change under a preview
            stamp = _stamp(patch)
            _held[patch] = stamp is not None and known.get(patch.upstream) == [*stamp, patch.sha256]
            if not _held[patch]:
                _held[patch] = patch.holds()
                if _held[patch] and stamp is not None:
                    found[patch.upstream] = [*stamp, patch.sha256]
        if not _held[patch]:
            broken.setdefault(patch.name, []).append(patch)
    linecache.clearcache()  # inspect.getsource read whole modules into it: nothing here needs them again
    if record is not None and found != known:
        _write_record(record, found)
    return broken


_held: dict[Patch, bool] = {}


def _stamp(patch: Patch) -> list[Any] | None:
    try:
        path = patch.file()
        status = os.stat(path)
    except (AttributeError, ImportError, OSError, TypeError):
        return None
    return [path, status.st_size, status.st_mtime_ns]


def _read_record(path: Path | None) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path is not None else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_record(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(data, sort_keys=True, indent=1), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass  # a read-only cache folder: the sources are hashed again next time
