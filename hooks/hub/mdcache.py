"""A persistent cache of rendered Markdown, keyed by content, with recorded dependencies. No MkDocs imports.

An entry is found by a key that hashes everything the conversion reads
directly (the Markdown text, the page's address, the Markdown settings and
the versions of the code that converts it). What it reads indirectly, the
other files a link points to, is recorded while converting as *dependencies*
(``path → what the lookup answered``). An entry is used only when every
dependency still answers the same, so a stale result cannot be served: rename
a linked article and every page linking to it converts afresh.

Entries live in one SQLite file. A full build ends with :meth:`prune`, which
drops what that build did not use, so the file holds one site's worth.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import shutil
import sqlite3
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

FORMAT = 1  # bump when the shape of an entry changes


def cache_root(config_dir: str | Path) -> Path:
    """``.cache/`` beside mkdocs.yml, or HUB_CACHE_DIR (the tests keep the repository clean with it)."""
    return Path(os.environ.get("HUB_CACHE_DIR") or Path(config_dir) / ".cache")


def cached_file(cached: Path, make: Callable[[], bytes], target: Path) -> bool:
    """Put the file *cached* names at *target*, making it with *make* only if the cache lacks it.

    For files kept by their content's key (sharing cards, image variants): written atomically, so a build
    stopped half-way leaves no broken entry, and placed as a hard link where the file system allows it,
    else as a copy. Returns whether it was made.
    """
    made = not cached.exists()
    if made:
        cached.parent.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        temporary.write_bytes(make())
        temporary.replace(cached)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(cached, target)
    except OSError:
        shutil.copyfile(cached, target)
    return made


def stable(value: Any) -> str:
    """A repr that is the same in every process: mappings sorted, functions by name and source."""
    if isinstance(value, Mapping) or hasattr(value, "items") and callable(value.items):
        return "{" + ", ".join(f"{stable(k)}: {stable(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))\
            + "}"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(map(stable, value)) if isinstance(value, (set, frozenset)) else map(stable, value)
        return "[" + ", ".join(items) + "]"
    if isinstance(value, Enum):
        return f"{type(value).__qualname__}.{value.name}"
    if inspect.isroutine(value) or inspect.isclass(value):
        try:
            source = hashlib.sha256(inspect.getsource(value).encode()).hexdigest()[:16]
        except (OSError, TypeError):
            source = ""
        return f"<{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}:{source}>"
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass"))
        hasher.update(b"\x00")
    return hasher.hexdigest()


class Recorder:
    """Stands in for a lookup object and records every ``get_file_from_path`` answer as a dependency."""

    def __init__(self, inner: Any, describe: Callable[[Any], Any]) -> None:
        self._inner = inner
        self._describe = describe
        self.dependencies: dict[str, Any] = {}

    def get_file_from_path(self, path: str) -> Any:
        found = self._inner.get_file_from_path(path)
        self.dependencies[path] = self._describe(found)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class MarkdownCache:
    """Rendered results by key, each with the dependencies to check before it is used."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: losing the last writes only costs time
        self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        self._used: set[str] = set()
        self._pending: list[tuple[str, bytes]] = []
        self.hits = self.misses = 0

    def get(self, key: str, current: Callable[[str], Any]) -> dict[str, Any] | None:
        """The entry for *key* if every dependency still answers as recorded (*current* answers now)."""
        row = self._db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        entry = pickle.loads(row[0]) if row else None
        if entry is None or any(current(path) != answer for path, answer in entry["dependencies"].items()):
            self.misses += 1
            return None
        self.hits += 1
        self._used.add(key)
        return entry["value"]

    def put(self, key: str, value: dict[str, Any], dependencies: dict[str, Any]) -> None:
        self._used.add(key)
        self._pending.append((key, pickle.dumps({"dependencies": dependencies, "value": value}, protocol=5)))
        if len(self._pending) >= 200:  # written in batches: little memory, few transactions
            self.flush()

    def flush(self) -> None:
        if self._pending:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", self._pending)
            self._pending.clear()

    def prune(self) -> int:
        """Forget every entry this build did not use; returns how many went."""
        self.flush()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM used")
            self._db.executemany("INSERT OR IGNORE INTO used (key) VALUES (?)", ((key,) for key in self._used))
            removed = self._db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM used)").rowcount
        return removed

    def close(self) -> None:
        self.flush()
        self._db.close()
