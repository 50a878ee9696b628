"""The preview (`make serve`) says what is wrong, every time, in the terminal and in the browser.

MkDocs' preview has two habits that leave staff with nothing to read:

* its ``DuplicateFilter`` drops a log line it has shown once in the session,
  so the same front-matter error after the next save prints only
  "Aborted with a BuildError!";
* while a rebuild fails, every page request waits for a build that never
  comes, so the browser hangs.

Here every rebuild starts with a fresh filter, so each one prints its
problems in full; a failed rebuild is caught, printed as one line (never a
traceback), and until the next good build every page of the preview is a
Norwegian error page that lists the problems, file, line and field first,
and reloads by itself when they are fixed, as Hugo's server does.

Only ``mkdocs serve`` is touched: ``mkdocs build`` fails as before.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils import DuplicateFilter

from hub import site

log = logging.getLogger("mkdocs.hooks.preview")

TEMPLATE = "preview-error.html"
# "docs/artikler/posts/a.md:5: tags: is a text, not a list" → file, line, field, message.
_PROBLEM = re.compile(r"^\s*(?P<path>[^\s:][^:]*?)(?::(?P<line>\d+))?: (?:(?P<field>[\w.\-]+): )?(?P<message>.+)$")
_MKDOCS_LOGGER = "mkdocs.commands.build"

# What the last failed build said, or None while the preview is good. Lives
# for the serve session, as this module does.
_broken: str | None = None
_last_error: BaseException | None = None


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Forget what earlier builds logged, so this build's problems are printed in full again."""
    for log_filter in logging.getLogger(_MKDOCS_LOGGER).filters:
        if isinstance(log_filter, DuplicateFilter):
            log_filter.msgs.clear()
    return config


def on_build_error(error: BaseException) -> None:
    """Keep the error itself: MkDocs replaces a BuildError by a bare "Aborted" before the preview sees it."""
    global _last_error
    _last_error = error


def on_serve(server: Any, config: MkDocsConfig, builder: Any) -> Any:
    """Catch failed rebuilds, and answer page requests with the error page until the next good build."""
    server.builder = _guarded(server.builder, Path(config.config_file_path).parent)
    serve_request = server.serve_request
    environment = _environment()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if _broken is None or path.startswith("/livereload/") or not _is_page(path):
            return serve_request(environ, start_response)
        html = environment.get_template(TEMPLATE).render(problems=problems(_broken), raw=_broken)
        with server._epoch_cond:
            epoch = server._visible_epoch
        body = server._inject_js_into_html(html.encode("utf-8"), epoch)
        start_response("500 Internal Server Error", [("Content-Type", "text/html; charset=utf-8"),
                                                      ("Content-Length", str(len(body))),
                                                      ("Cache-Control", "no-store")])
        return [body]

    server.set_app(app)
    return server


def _guarded(build: Any, root: Path) -> Any:
    def rebuild(*args: Any, **kwargs: Any) -> None:
        global _broken, _last_error
        _last_error = None
        try:
            build(*args, **kwargs)
        except (Exception, SystemExit) as error:  # click's Abort is an Exception; keep the server alive
            cause = _last_error or error
            _broken = _config_problem(root) or str(cause).strip() or type(cause).__name__
            if _last_error is None or not _logged_by_mkdocs(_last_error):
                log.error(_broken)
            log.error("Forhåndsvisningen ble ikke bygget. Rett feilen over og lagre; nettleseren viser feilen "
                      "og laster siden på nytt når den er rettet.")
        else:
            if _broken is not None:
                log.info("Forhåndsvisningen er bygget igjen.")
            _broken = None
    return rebuild


def _config_problem(root: Path) -> str | None:
    """mkdocs.yml itself broken (say its indentation): our Norwegian line instead of the YAML parser's."""
    try:
        site.read(root)
    except site.SiteError as error:
        return str(error)
    return None


def _logged_by_mkdocs(error: BaseException) -> bool:
    from mkdocs.exceptions import BuildError

    return isinstance(error, BuildError)  # MkDocs logs a BuildError's message itself


def _is_page(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return path.endswith("/") or name.endswith(".html") or "." not in name


def _environment() -> Environment:
    folder = Path(__file__).parent / "templates"
    return Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(default=True))


def problems(message: str) -> list[dict[str, str]]:
    """The lines of a build error as file, line, field and message; lines that are not problems are text."""
    found = []
    for line in message.splitlines():
        if not line.strip():
            continue
        match = _PROBLEM.match(line)
        if match and ("/" in match["path"] or match["path"].endswith((".md", ".yml", ".yaml"))):
            found.append({key: value or "" for key, value in match.groupdict().items()})
        else:
            found.append({"path": "", "line": "", "field": "", "message": line.strip()})
    return found
