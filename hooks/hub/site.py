"""Where the articles are and what the build knows of them: one answer for the build and for the tools.

The build asks :func:`layout` with MkDocs' validated configuration; ``make
check``, ``make new`` and ``make schema`` ask :func:`read`, which reads
mkdocs.yml with MkDocs' own YAML loader and validates the blog plugin's part
with the blog plugin's own configuration class, without building anything.
Either way the answer is a :class:`hub.catalogue.Layout`, so the two can
never disagree about which files are articles.

During a build, the articles hook loads the :class:`hub.catalogue.Catalogue`
once and every other hook reads it here with :func:`articles`.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from material.plugins.blog.config import BlogConfig
from material.plugins.meta.config import MetaConfig
from mkdocs.exceptions import ConfigurationError, PluginError
from mkdocs.utils import yaml_load

from hub import catalogue, messages

REPO = Path(__file__).resolve().parents[2]
CONFIG_FILE = "mkdocs.yml"


class SiteError(Exception):
    """mkdocs.yml cannot be read; the message names the file, the line or key, and the fix."""


@dataclass(frozen=True)
class Site:
    """One checkout, as the tools see it: where things are, and the blog's settings."""

    layout: catalogue.Layout
    # The hub-speed plugin's preview_full_rebuild_limit: `make serve` previews with --dirty above it (0: never).
    preview_limit: int = 0

    @property
    def root(self) -> Path:
        return self.layout.root

    @property
    def docs(self) -> Path:
        return self.layout.docs

    @property
    def posts(self) -> Path:
        return self.layout.docs / self.layout.posts

    @property
    def categories(self) -> tuple[str, ...]:
        return self.layout.categories

    @property
    def words_per_minute(self) -> int:
        return self.layout.words_per_minute

    @property
    def authors(self) -> dict[str, str]:
        """Author ids and names; an unreadable ``.authors.yml`` gives none (the catalogue says why)."""
        authors, _ = catalogue.read_authors(self.layout)
        return {key: author.name for key, author in authors.items()}

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def articles(self) -> catalogue.Catalogue:
        """Every article on disk, read and validated as the build reads and validates them."""
        return catalogue.load(self.layout, catalogue.docs_uris(self.layout))


def read(root: Path = REPO) -> Site:
    """The site in *root*, from its mkdocs.yml."""
    path = root / CONFIG_FILE
    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml_load(handle) or {}
    except OSError as error:
        raise SiteError(f"{CONFIG_FILE}: kan ikke leses ({error.strerror}); kjør kommandoen i mappen med "
                        f"{CONFIG_FILE}") from None
    except (ConfigurationError, yaml.YAMLError, UnicodeDecodeError) as error:
        # MkDocs wraps the YAML parser's error, which knows the line.
        cause = error.__cause__ or error.__context__ or error
        mark = getattr(cause, "problem_mark", None) or getattr(cause, "context_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SiteError(f"{CONFIG_FILE}{line}: {messages.say('read.not_yaml', what='filen')}") from None
    if not isinstance(config, dict):
        raise SiteError(f"{CONFIG_FILE}: må være en liste med «nøkkel: verdi»-linjer")
    docs = (root / str(config.get("docs_dir") or "docs")).resolve()
    return Site(catalogue.Layout.from_blog(root.resolve(), docs, _blog_settings(config, path),
                                           _meta_file(config)), _preview_limit(config, path))


class _Nodes(yaml.SafeLoader):
    """Composes mkdocs.yml with MkDocs' own tags (!ENV, !relative) left unresolved, for line numbers."""


_Nodes.add_multi_constructor("", lambda loader, suffix, node: None)


def config_line(config_file: str | Path, dotted: str) -> int | None:
    """The line of ``a.b.c`` in mkdocs.yml (a list of plugins is searched by plugin name), or None."""
    try:
        node = yaml.compose(Path(config_file).read_text(encoding="utf-8"), Loader=_Nodes)
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return None
    line = None
    for key in dotted.split("."):
        if isinstance(node, yaml.SequenceNode):  # plugins: [- search, - blog: {…}]
            node = next((item for item in node.value if isinstance(item, yaml.MappingNode)
                         and any(k.value in (key, f"material/{key}") for k, _ in item.value)), None)
        if not isinstance(node, yaml.MappingNode):
            return line
        found = next(((k, v) for k, v in node.value if k.value in (key, f"material/{key}")), None)
        if found is None:
            return line
        line, node = found[0].start_mark.line + 1, found[1]
    return line


def where(config_file: str | Path, dotted: str) -> str:
    """``mkdocs.yml:57: extra.booking.provider``: the file, the line when the key is written, and the key."""
    line = config_line(config_file, dotted)
    return f"{CONFIG_FILE}:{line}: {dotted}" if line else f"{CONFIG_FILE}: {dotted}"


def _plugin(config: dict[str, Any], name: str) -> tuple[bool, dict[str, Any]]:
    """Whether *name* is among the plugins, and its settings."""
    for entry in config.get("plugins") or []:
        if entry in (name, f"material/{name}"):
            return True, {}
        if isinstance(entry, dict):
            for key in (name, f"material/{name}"):
                if key in entry:
                    return True, entry[key] or {}
    return False, {}


def _blog_settings(config: dict[str, Any], path: Path) -> Mapping[str, Any]:
    found, settings = _plugin(config, "blog")
    if not found:
        raise SiteError(f"{CONFIG_FILE}: plugins: blog mangler; artiklene bygges av Materials blog-plugin")
    return _validated(BlogConfig(), settings, path, "plugins.blog")


def _preview_limit(config: dict[str, Any], path: Path) -> int:
    found, settings = _plugin(config, "hub-speed")
    if not found:
        return 0
    from hub_speed.plugin import SpeedConfig  # the plugin's own schema: the two cannot disagree

    speed = _validated(SpeedConfig(), settings, path, "plugins.hub-speed")
    return speed.preview_full_rebuild_limit if speed.preview_listings else 0


def _validated(schema: Any, settings: Mapping[str, Any], path: Path, where_in: str) -> Any:
    """A plugin's settings read by the plugin's own config class; its first error as one Norwegian line."""
    schema.load_dict(settings)
    errors, _ = schema.validate()
    if errors:
        key, error = errors[0]
        raise SiteError(f"{where(path, f'{where_in}.{key}')}: {messages.config_error(error)}")
    return schema


def _meta_file(config: dict[str, Any]) -> str:
    found, settings = _plugin(config, "meta")
    if not found:
        return ""
    meta = MetaConfig()
    meta.load_dict(settings)
    meta.validate()
    return str(meta.meta_file) if meta.enabled else ""


def check_settings(root: Path = REPO) -> tuple[list[str], list[str]]:
    """Errors and warnings the build would give for mkdocs.yml's settings (``extra.*`` and the plugins).

    MkDocs loads the configuration and every hook checks its part, exactly as
    a build starts, but nothing is built. It runs as the preview does, so the
    published build's own guard (forms pointing at this machine) stays quiet.
    The hooks set Material up for a build as they start, so this runs in a
    process of its own (``python -m hub.site --settings``).
    """
    import json
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "hub.site", "--root", str(root), "--settings"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        found = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return [result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "mkdocs.yml"], []
    return found["errors"], found["warnings"]


def _settings_here(root: Path) -> tuple[list[str], list[str]]:
    """:func:`check_settings`, in this process."""
    from mkdocs.config import load_config

    records: list[logging.LogRecord] = []
    handler = _Collect(records)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    failure = None
    try:
        config = load_config(config_file=str(root / CONFIG_FILE))
        config.plugins.on_startup(command="serve", dirty=False)
        config.plugins.on_config(config)
    except (ConfigurationError, PluginError) as error:
        failure = str(error)
    except SystemExit:  # MkDocs has logged why it cannot load the configuration
        failure = ""
    finally:
        logger.removeHandler(handler)
    said = [_mkdocs_said(record.getMessage()) for record in records]
    errors = [text for record, text in zip(records, said) if record.levelno >= logging.ERROR]
    warnings = [text for record, text in zip(records, said) if record.levelno < logging.ERROR]
    if failure:
        errors.append(failure)
    return errors, warnings


_CONFIG_VALUE = re.compile(r"^Config value '(?P<key>[^']+)': (?P<message>.+)$", re.DOTALL)


def _mkdocs_said(text: str) -> str:
    """MkDocs' "Config value 'x': …" as ``mkdocs.yml: x: …``, in Norwegian where the wording is known."""
    if match := _CONFIG_VALUE.match(text):
        return f"{CONFIG_FILE}: {match['key']}: {messages.config_error(match['message'])}"
    return text


class _Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


# -----------------------------------------------------------------------------
# For the build's hooks
# -----------------------------------------------------------------------------


def blog(config: Any) -> Any:
    """Material's blog plugin: the hub's articles are its posts."""
    try:
        return config.plugins["material/blog"]
    except KeyError:
        raise PluginError(f"{CONFIG_FILE}: plugins: blog mangler; artiklene bygges av Materials blog-plugin") \
            from None


def layout(config: Any) -> catalogue.Layout:
    """The article layout of the running build."""
    meta = config.plugins.get("material/meta")
    meta_file = str(meta.config.meta_file) if meta is not None and meta.config.enabled else ""
    return catalogue.Layout.from_blog(Path(config.config_file_path).resolve().parent,
                                      Path(config.docs_dir).resolve(), blog(config).config, meta_file)


def relative(config: Any, path: str) -> str:
    """A file's path as staff see it in messages: relative to the repository (the folder of mkdocs.yml)."""
    return Path(os.path.relpath(path, os.path.dirname(os.path.abspath(config.config_file_path)))).as_posix()


def slug_of(url: str) -> str:
    """The last part of a page's address: ``artikler/kpi/`` → ``kpi``; the home page is ``forside``."""
    return posixpath.basename(url.rstrip("/")) or "forside"


# This build's articles, loaded by hooks/articles.py in its on_config.
_current: catalogue.Catalogue | None = None


def publish(articles: catalogue.Catalogue | None) -> None:
    """Hand this build's catalogue to the other hooks (None between builds)."""
    global _current
    _current = articles


def articles() -> catalogue.Catalogue:
    """This build's catalogue of articles."""
    if _current is None:
        raise PluginError("hooks/articles.py must be listed in mkdocs.yml's hooks: it reads the articles")
    return _current


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.site``: mkdocs.yml can be read (one Norwegian line if not); ``--count``: how many articles."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="Sjekker mkdocs.yml, og teller artiklene slik bygget ser dem.")
    parser.add_argument("--count", action="store_true", help="skriv ut antall artikler")
    parser.add_argument("--serve-options", action="store_true",
                        help="skriv ut valgene til mkdocs serve: --dirty når huben har flere artikler enn "
                             "preview_full_rebuild_limit")
    parser.add_argument("--settings", action="store_true",
                        help="sjekk innstillingene som bygget gjør, og skriv feil og advarsler som JSON")
    parser.add_argument("--root", type=Path, default=REPO, help="depotet (standard: dette)")
    args = parser.parse_args(argv)
    try:
        facts = read(args.root)
    except SiteError as error:
        print(f"feil: {error}", file=sys.stderr)
        return 1
    if args.settings:
        import json

        errors, warnings = _settings_here(args.root.resolve())
        print(json.dumps({"errors": errors, "warnings": warnings}, ensure_ascii=False))
        return 0
    if args.count or args.serve_options:
        layout = facts.layout
        count = sum(layout.is_article(uri) for uri in catalogue.docs_uris(layout))
        print(("--dirty" if 0 < facts.preview_limit < count else "") if args.serve_options else count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
