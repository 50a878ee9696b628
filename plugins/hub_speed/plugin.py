"""The ``hub-speed`` MkDocs plugin: one flag per speed-up, all on by default; output unchanged."""

from __future__ import annotations

import gc
import linecache
import logging
import os
from importlib.metadata import version
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import Files

from . import excerpts, navigation, output, pages, pins, posts, preview, rss, search
from .cache import FORMAT, MarkdownCache, cache_root, digest, stable
from .templates import GeneratedSource, SessionBytecode

log = logging.getLogger("mkdocs.plugins.hub_speed")

# Before MkDocs loads the RSS plugin (listed after hub-speed): its git and HTTP libraries load when first
# used (rss.py). on_config undoes it when the rss_imports flag is off or the pinned files changed.
rss.defer()

# Markdown extensions that read other files while converting: a cached page
# could not know that such a file changed, so the Markdown cache stays off.
READS_FILES = frozenset({"pymdownx.snippets", "markdown_include.include", "mdx_include", "pymdownx.b64",
                         "mkdocs_include_markdown_plugin"})


# Speed-ups of `mkdocs serve` alone.
PREVIEW_ONLY = frozenset({"preview_listings", "preview_two_phase", "preview_polling", "preview_gc"})

# The sweep of the last build's files runs before every other on_post_build (output.py).
SWEEP_PRIORITY = 1000


class SpeedConfig(Config):
    # The RSS plugin's GitPython, requests and CacheControl imported when first used, not as it loads (rss.py).
    rss_imports = c.Type(bool, default=True)
    # Listings convert only the text before <!-- more -->, each excerpt parsed once per build (excerpts.py).
    excerpts = c.Type(bool, default=True)
    # Each page's search sections parsed from its HTML once, kept in .cache/search.sqlite3 (search.py).
    search_sections = c.Type(bool, default=True)
    # `page in blog.posts` by identity, in constant time (posts.py).
    post_lookup = c.Type(bool, default=True)
    # Every page's and excerpt's HTML kept in .cache/markdown.sqlite3 (pages.py, cache.py).
    markdown_cache = c.Type(bool, default=True)
    # The navigation rendered once per distinct state (navigation.py).
    navigation = c.Type(bool, default=True)
    # Jinja's generated Python kept in .cache/templates.sqlite3; in `mkdocs serve`, compiled code too (templates.py).
    templates = c.Type(bool, default=True)
    # A full `mkdocs build` writes over the last build's files instead of emptying site/ first, leaves files
    # holding the same bytes as they are, and deletes what it did not write before on_post_build (output.py).
    site_in_place = c.Type(bool, default=True)
    # `mkdocs serve --dirty` keeps listing pages it has built (preview.py) ...
    preview_listings = c.Type(bool, default=True)
    # ... above this many articles; `make serve` starts --dirty above it too (1 or more).
    preview_full_rebuild_limit = c.Type(int, default=200)
    # Below it, a save serves the saved page from a quick build first, then rebuilds everything (preview.py).
    preview_two_phase = c.Type(bool, default=True)
    # The preview looks for saved files every 0.2 s instead of MkDocs' 0.5 s (preview.py).
    preview_polling = c.Type(bool, default=True)
    # The preview collects cyclic garbage after a rebuild is served, not while it builds (preview.py).
    preview_gc = c.Type(bool, default=True)


class SpeedPlugin(BasePlugin[SpeedConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.command = "build"
        self.dirty = False
        self.site_dir = ""
        self.active: set[str] = set()
        self.sources: GeneratedSource | None = None
        self.bytecode = SessionBytecode()  # lives as long as the plugin: the `mkdocs serve` session

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command, self.dirty = command, dirty

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Switch on each speed-up whose flag is set and whose upstream code is the one it was written for."""
        self._close()
        excerpts.uninstall()
        pages.uninstall()
        search.uninstall()
        preview.uninstall()  # the pins below are checked against the upstream code itself
        output.uninstall()
        self.site_dir = config.site_dir
        if self.config.preview_full_rebuild_limit < 1:
            raise PluginError("hub-speed: preview_full_rebuild_limit må være 1 eller mer "
                              f"(er {self.config.preview_full_rebuild_limit}).")
        if not pins.versions_hold():
            log.info("hub-speed: av; laget for mkdocs-material %s og mkdocs %s, men %s og %s er installert "
                     "(bygget blir likt, bare tregere)", pins.MATERIAL, pins.MKDOCS, version("mkdocs-material"),
                     version("mkdocs"))
            self.active = set()
            rss.resolve()
            return config
        wanted = {name for name, _ in SpeedConfig._schema if self.config.get(name) is True}
        if self.command != "serve":
            wanted -= PREVIEW_ONLY  # and their upstream code (the preview's server) is never imported
        if self.command not in output.COMMANDS or self.dirty:
            wanted.discard("site_in_place")  # only a full build empties the site folder
        root = cache_root(os.path.dirname(config.config_file_path))
        broken = pins.check(wanted, root / "pins.json")
        for name, patches in broken.items():
            log.info("hub-speed: %s er av; %s er endret siden den ble festet (bygget blir likt, bare tregere)",
                     name, "; ".join(patch.upstream for patch in patches))
        self.active = wanted - set(broken)
        if "rss_imports" not in self.active:
            rss.resolve()  # the RSS plugin as upstream wrote it
        readers = sorted(READS_FILES & set(config.markdown_extensions))
        if readers and "markdown_cache" in self.active:
            log.info("hub-speed: markdown_cache er av; %s leser andre filer mens siden lages", ", ".join(readers))
            self.active.discard("markdown_cache")
        if "site_in_place" in self.active:
            self._write_in_place(config)
        if "preview_listings" in self.active and self.command == "serve":
            preview.install()  # the blog's folder of listing sources lives as long as the preview
        if "excerpts" in self.active:
            excerpts.install(whole_excerpts=excerpts.excerpts_in_toc(_blog(config).config))
        if "markdown_cache" in self.active:
            pages.install(MarkdownCache(root / "markdown.sqlite3"))
        if "templates" in self.active:
            self.sources = GeneratedSource(root / "templates.sqlite3")
        if "search_sections" in self.active:
            search.install(MarkdownCache(root / "search.sqlite3"))
        return config

    # Last: every hook and plugin has had its say about the Markdown settings.
    @event_priority(-100)
    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        pages.state.fingerprint = _fingerprint(config)

    # After the blog plugin (-50) has made its list of posts and its listing views.
    @event_priority(-55)
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        blog = _blog(config)
        if "excerpts" in self.active:
            excerpts.count_showings(preview.views(blog.blog))
        if "post_lookup" in self.active:
            posts.install(blog)
        large = self.dirty and len(blog.blog.posts) > self.config.preview_full_rebuild_limit
        if "preview_listings" in self.active and self.command == "serve" and (large or preview.phase.quick):
            log.debug("preview: %d listing pages kept", preview.keep_listings(blog))
        return files

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if "preview_polling" in self.active:
            preview.poll_every(server, preview.POLL_SECONDS)
        if "preview_two_phase" in self.active and not self.dirty:
            from mkdocs.commands import serve as serve_module  # here: a build never loads the preview's server

            preview.two_phase(server, serve_module)
        if "preview_gc" in self.active:
            preview.collect_between_builds(server)
        return server

    # After hooks/escaping.py (110) turns autoescaping on, before anything else compiles a template.
    @event_priority(105)
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        if env.autoescape is not True:
            raise PluginError("hub-speed: malene må kompileres med autoescape på, men den er av. "
                              "hooks/escaping.py slår den på i on_env (prioritet 110), før denne utvidelsen; "
                              "se at den står under hooks: i mkdocs.yml.")
        if self.sources is not None:
            self.sources.install(env)
        if "site_in_place" in self.active:  # the last moment before MkDocs writes anything
            output.prepare(_destinations(files, config))
        if self.command == "serve" and "templates" in self.active:
            env.bytecode_cache = self.bytecode  # every rebuild makes a new environment with the same settings
        if "navigation" in self.active:
            navigation.install(env)
        return env

    # First: before any plugin or hook writes or reads the site folder in on_post_build.
    @event_priority(SWEEP_PRIORITY)
    def _sweep_site(self, *, config: MkDocsConfig) -> None:
        """Delete what the last build left and this one did not write (output.py)."""
        output.sweep()

    @event_priority(-100)
    def _keep_what_was_used(self, *, config: MkDocsConfig) -> None:
        """Keep only what this build used; a preview keeps everything."""
        excerpts.parsed.clear()
        navigation.forget()
        keep_all = self.command == "serve"  # a preview's quick builds render a few pages
        cache = pages.state.cache
        if cache is not None:
            removed = 0 if keep_all else cache.prune()
            log.debug("markdown cache: %d hits, %d conversions, %d entries dropped", cache.hits, cache.misses,
                      removed)
        if self.sources is not None:
            log.debug("templates: %d from the cache, %d generated", self.sources.hits, self.sources.misses)
            self.sources.close(prune=not keep_all)
            self.sources = None
        if search.state.cache is not None and not keep_all:
            search.state.cache.prune()
        pages.uninstall()
        search.uninstall()

    on_post_build = CombinedEvent(_sweep_site, _keep_what_was_used)

    # Last, so every other plugin and hook has let go of what it held before this may stop the build.
    @event_priority(-1000)
    def on_build_error(self, *, error: Exception) -> None:
        self._close()
        navigation.forget()
        pages.uninstall()
        search.uninstall()
        blocked = output.old_in_the_way(error)
        output.uninstall()
        if blocked is not None:
            try:
                output.ORIGINAL_CLEAN(self.site_dir)  # the next build starts from an empty folder
            except OSError:
                pass  # the message below still holds: the folder holds an older build's files
            raise PluginError(f"hub-speed: {blocked} i byggemappen var en fil eller mappe fra et tidligere bygg, "
                              "der dette bygget trenger det motsatte. Byggemappen er tømt; bygg på nytt.") from error

    def on_shutdown(self) -> None:
        self._close()
        gc.enable()  # off while a preview ran (preview.collect_between_builds)
        preview.uninstall()
        output.uninstall()
        excerpts.uninstall()
        pages.uninstall()
        search.uninstall()

    def _write_in_place(self, config: MkDocsConfig) -> None:
        """Write this build over the last one's files, if every plugin and hook is known to allow it."""
        unknown = output.unaudited(config.plugins)
        before = [event for event in config.plugins.events["post_build"]
                  if getattr(event, "mkdocs_priority", 0) >= SWEEP_PRIORITY
                  and getattr(event, "__func__", None) is not SpeedPlugin._sweep_site]
        if unknown or before:
            log.info("hub-speed: site_in_place er av; %s kan lese eller hoppe over filer i byggemappen før den er "
                     "ryddet (bygget blir likt, bare tregere)", ", ".join(unknown) or "on_post_build med høyere prioritet")
            self.active.discard("site_in_place")
            return
        output.install(config.site_dir)

    def _close(self) -> None:
        if self.sources is not None:
            self.sources.close(prune=False)
            self.sources = None


def _destinations(files: Files, config: MkDocsConfig) -> list[str]:
    """Every path MkDocs itself writes in the site folder: the files, the theme's templates and the sitemap's copy."""
    templates = [os.path.join(config.site_dir, name) for name in config.theme.static_templates]
    return [file.abs_dest_path for file in files] + templates + [os.path.join(config.site_dir, "sitemap.xml.gz")]


def _blog(config: MkDocsConfig) -> Any:
    """The blog plugin (Material's name for it; the speed-ups assume one instance)."""
    try:
        return config.plugins["material/blog"]
    except KeyError:
        raise PluginError("hub-speed: fant ikke Materials blog-utvidelse under plugins: i mkdocs.yml.") from None


def _fingerprint(config: MkDocsConfig) -> str:
    versions = [version(name) for name in ("mkdocs", "markdown", "pymdown-extensions", "mkdocs-material")]
    fingerprint = digest(str(FORMAT), *versions, stable(config.markdown_extensions), stable(config.mdx_configs),
                         stable(config.validation), str(config.use_directory_urls), stable(pages.render),
                         stable(excerpts.cached_render), stable(excerpts.render), stable(excerpts.render_once_parsed),
                         stable(excerpts.convert_for_listing))
    linecache.clearcache()  # stable() read the sources of these functions through it
    return fingerprint
