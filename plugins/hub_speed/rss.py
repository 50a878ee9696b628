"""The RSS plugin's git and HTTP libraries, imported when first used instead of when the plugin loads.

mkdocs-rss-plugin imports GitPython, requests, CacheControl and urllib3 at the
top of ``mkdocs_rss_plugin/util.py`` (lines 17–33; GitPython also in
``git_manager/ci.py``:12) and opens an HTTP session in ``Util.__init__``
(util.py:142–149), whether or not a build uses them. It uses git only with
``use_git: true`` and HTTP only to ask a remote image's size for an
``<enclosure>``. With ``use_git: false`` and local images, as this hub builds,
neither runs, yet loading them costs every build about 10 MB of memory and
0.15 s (bench/RESULTS.md, issue 14).

:func:`defer` imports ``mkdocs_rss_plugin.util`` while stand-ins take the
libraries' places in ``sys.modules``, and puts the real modules back at once
(another plugin importing ``requests`` gets the real one). The names util.py
and ci.py took from them are stand-ins:

* a class or function, when called, imports the real libraries
  (:func:`resolve`), rebinds every stand-in name in both modules to the real
  object and calls it; ``urllib3.disable_warnings()``, which util.py calls as
  it loads, is called then;
* an exception class is a real exception class nothing raises, rebound
  before any code that could raise the real one runs (the code in every such
  ``try`` calls a stand-in first);
* the HTTP session (``Session()``, its headers, ``CacheControl(...)``) is
  recorded, and made for real when something first uses it.

Both files are pinned by the hash of their whole text (:data:`.pins.RSS_UTIL`,
:data:`.pins.RSS_CI`): on any other text, or with the ``rss_imports`` flag off,
the plugin's on_config calls :func:`resolve`, and the RSS plugin runs exactly
as upstream wrote it. Remove when the RSS plugin imports these where it uses
them (upstream: mkdocs-rss-plugin 1.19.0).
"""

from __future__ import annotations

import importlib
import sys
import types
import typing
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from . import pins

RSS_PLUGIN = "1.19.0"
MODULES = ("mkdocs_rss_plugin.util", "mkdocs_rss_plugin.git_manager.ci")
# What those two files import, name by name (kept in step with the pinned text).
CALLABLES = {"git": ("Repo", "Git")}
RECORDED = {"cachecontrol.caches.file_cache": ("SeparateBodyFileCache",)}  # made with the HTTP session
REPLAYED = {"urllib3": ("disable_warnings",)}  # called as util.py loads; called for real on resolve
EXCEPTIONS = {"git": ("GitCommandError", "GitCommandNotFound", "InvalidGitRepositoryError"),
              "requests.exceptions": ("ConnectionError", "HTTPError")}
PACKAGES = ("git", "requests", "requests.exceptions", "cachecontrol", "cachecontrol.caches",
            "cachecontrol.caches.file_cache", "urllib3")


class _State:
    def __init__(self) -> None:
        self.deferred = False  # util.py was imported with stand-ins, not yet resolved
        self.replay: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []  # calls made before resolving
        self.stand_ins: dict[str, Any] = {}  # the stand-in objects, by "module:name" (rebound on resolve)


state = _State()


def pinned_text_holds() -> bool:
    """Whether the installed RSS plugin is the pinned version, with the pinned util.py and ci.py."""
    try:
        if version("mkdocs-rss-plugin") != RSS_PLUGIN:
            return False
    except PackageNotFoundError:
        return False
    return pins.RSS_UTIL.holds() and pins.RSS_CI.holds()


def defer() -> bool:
    """Import the RSS plugin's util.py with stand-ins for its libraries; whether that was done.

    Not done when util.py is loaded already (the RSS plugin came first), when every library is loaded
    already (nothing to save), or when the installed files are not the pinned ones.
    """
    if state.deferred or any(name in sys.modules for name in MODULES):
        return state.deferred
    if all(name in sys.modules for name in PACKAGES) or not pinned_text_holds():
        return False
    saved = {name: sys.modules[name] for name in PACKAGES if name in sys.modules}
    sys.modules.update({name: _stand_in_module(name) for name in PACKAGES})
    state.deferred = True
    try:
        importlib.import_module("mkdocs_rss_plugin.util")
    except BaseException:
        state.deferred = False
        raise
    finally:
        for name in PACKAGES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return True


def resolve() -> None:
    """Import the real libraries and give util.py and ci.py the real names; replay what was called."""
    if not state.deferred:
        return
    real = {name: importlib.import_module(name) for name in PACKAGES}
    labels = {id(stand_in): label for label, stand_in in state.stand_ins.items()}
    for module_name in MODULES:
        namespace = vars(sys.modules[module_name])
        for key, value in list(namespace.items()):
            if isinstance(value, _StandInModule):
                namespace[key] = real[value.__name__]
            elif id(value) in labels:
                package, _, name = labels[id(value)].partition(":")
                namespace[key] = getattr(real[package], name)
    state.deferred = False
    for package, name, args, kwargs in state.replay:
        getattr(real[package], name)(*args, **kwargs)
    state.replay.clear()


class _StandInModule(types.ModuleType):
    """Takes a library's place in ``sys.modules`` only while util.py is imported."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        label = f"{self.__name__}:{name}"
        if label not in state.stand_ins:
            state.stand_ins[label] = _make_stand_in(self.__name__, name)
        return state.stand_ins[label]


def _stand_in_module(name: str) -> _StandInModule:
    module = _StandInModule(name)
    module.__path__ = []  # a package, so its submodules import
    return module


def _make_stand_in(package: str, name: str) -> Any:
    if package == "git" and name == "Optional":
        return typing.Optional  # GitPython re-exports typing's; util.py annotates with it
    if name in EXCEPTIONS.get(package, ()):
        return type(name, (Exception,), {"__module__": __name__, "__doc__": f"Stands in for {package}.{name}."})
    if package == "requests" and name == "Session":
        return _PendingSession
    if package == "cachecontrol" and name == "CacheControl":
        return _LazyHttp
    if name in CALLABLES.get(package, ()):
        return _Deferred(package, name)
    if name in RECORDED.get(package, ()):
        return _Recorded(package, name)
    if name in REPLAYED.get(package, ()):
        return _Replayed(package, name)
    raise ImportError(f"hub-speed: {package}.{name} is not among the names mkdocs_rss_plugin/util.py was pinned "
                      "with (plugins/hub_speed/rss.py)")


class _Deferred:
    """A library's class or function: calling it resolves every stand-in, then calls the real one."""

    def __init__(self, package: str, name: str) -> None:
        self.package, self.name = package, name

    def real(self) -> Any:
        return getattr(importlib.import_module(self.package), self.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        resolve()
        return self.real()(*args, **kwargs)


class _Replayed(_Deferred):
    """Called while util.py loads: recorded, and called for real when the libraries are resolved."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not state.deferred:
            return super().__call__(*args, **kwargs)
        state.replay.append((self.package, self.name, args, kwargs))
        return None


class _Recorded(_Deferred):
    """Part of the HTTP session (its cache): the call is recorded and made with the session."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not state.deferred:
            return super().__call__(*args, **kwargs)
        return _PendingCall(self, args, kwargs)


class _PendingCall:
    def __init__(self, target: _Deferred, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.target, self.args, self.kwargs = target, args, kwargs

    def make(self) -> Any:
        return self.target.real()(*self.args, **self.kwargs)


class _PendingSession:
    """``requests.Session()`` as util.py:143–144 uses it: headers to set on the real session."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class _LazyHttp:
    """``CacheControl(sess=…, cache=…, cacheable_methods=…)`` (util.py:145–149), made on first use."""

    def __init__(self, sess: Any = None, cache: Any = None, **options: Any) -> None:
        self._arguments = (sess, cache, options)
        self._real: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._real is None:
            resolve()
            import requests  # resolved above: the real libraries
            from cachecontrol import CacheControl

            sess, cache, options = self._arguments
            if isinstance(sess, _PendingSession):
                headers, sess = sess.headers, requests.Session()
                sess.headers.update(headers)
            if isinstance(cache, _PendingCall):
                cache = cache.make()
            self._real = CacheControl(sess=sess, cache=cache, **options)
        return getattr(self._real, name)
