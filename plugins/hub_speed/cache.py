"""A persistent cache of converted Markdown, keyed by content, with recorded dependencies. No MkDocs imports.

An entry is found by a key that hashes everything the conversion reads
directly (the Markdown text, the page's address, the Markdown settings and
the versions of the code that converts it). What it reads indirectly, the
other files a link points to, is recorded while converting as *dependencies*
(``path → what the lookup answered``). An entry is used only when every
dependency still answers the same, so a stale result cannot be served: rename
a linked article and every page linking to it converts afresh.

Entries are JSON text in one SQLite file, never pickles: CI restores the
cache from a previous run, and reading it must not be able to run code. A full
build ends with :meth:`MarkdownCache.prune`, which drops what that build did
not use, so the file holds one site's worth.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any

FORMAT = 2  # bump when the shape of an entry changes (2: JSON entries)


def cache_root(config_dir: str | Path) -> Path:
    """``.cache/`` beside mkdocs.yml, or HUB_CACHE_DIR (the tests keep the repository clean with it)."""
    return Path(os.environ.get("HUB_CACHE_DIR") or Path(config_dir) / ".cache")


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
    """Stands in for a lookup object and records every ``get_file_from_path`` answer as a dependency.

    *describe* must answer in JSON's own types (lists, not tuples), so a
    recorded answer compares equal to the same answer read back.
    """

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


class Store:
    """Text by key in one SQLite table: what :class:`MarkdownCache` and the template cache keep."""

    def __init__(self, path: Path, table: str, batch: int = 50) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._table = table
        self._batch = batch
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # a cache: losing the last writes only costs time
        # Each entry is read once a build: SQLite's page cache (2 MB a connection by default) would only
        # hold pages nobody asks for again, and a build has one connection per cache.
        self._db.execute("PRAGMA cache_size=-128")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._used: set[str] = set()
        self._pending: list[tuple[str, str]] = []

    def read(self, key: str) -> str | None:
        row = self._db.execute(f"SELECT value FROM {self._table} WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def write(self, key: str, value: str) -> None:
        self._used.add(key)
        self._pending.append((key, value))
        if len(self._pending) >= self._batch:  # written in batches: little memory, few transactions
            self.flush()

    def used(self, key: str) -> None:
        self._used.add(key)

    def flush(self) -> None:
        if self._pending:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany(f"INSERT OR REPLACE INTO {self._table} (key, value) VALUES (?, ?)",
                                     self._pending)
            self._pending.clear()

    def prune(self) -> int:
        """Forget every entry this build did not use; returns how many went."""
        self.flush()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
            self._db.execute("DELETE FROM used")
            self._db.executemany("INSERT OR IGNORE INTO used (key) VALUES (?)", ((key,) for key in self._used))
            removed = self._db.execute(f"DELETE FROM {self._table} WHERE key NOT IN (SELECT key FROM used)").rowcount
        return removed

    def close(self) -> None:
        self.flush()
        self._db.close()


class MarkdownCache:
    """Converted results by key, each with the dependencies to check before it is used."""

    def __init__(self, path: Path) -> None:
        self._store = Store(path, "entries")
        self.hits = self.misses = 0

    def get(self, key: str, current: Callable[[str], Any]) -> dict[str, Any] | None:
        """The entry for *key* if every dependency still answers as recorded (*current* answers now)."""
        text = self._store.read(key)
        entry = _load(text) if text is not None else None
        if entry is None or any(current(path) != answer for path, answer in entry["dependencies"].items()):
            self.misses += 1
            return None
        self.hits += 1
        self._store.used(key)
        return entry["value"]

    def put(self, key: str, value: dict[str, Any], dependencies: dict[str, Any]) -> None:
        self._store.write(key, json.dumps({"dependencies": dependencies, "value": value}, ensure_ascii=False,
                                          separators=(",", ":")))

    def prune(self) -> int:
        return self._store.prune()

    def close(self) -> None:
        self._store.close()


def _load(text: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None  # a damaged entry is a miss, converted again
    if not isinstance(entry, dict) or not isinstance(entry.get("dependencies"), dict) or "value" not in entry:
        return None
    return entry
