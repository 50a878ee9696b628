"""Files kept by their content's key in ``.cache/`` (sharing cards, image variants). No MkDocs imports.

The Markdown and template caches are the hub-speed plugin's (plugins/hub_speed/cache.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path


def cache_root(config_dir: str | Path) -> Path:
    """``.cache/`` beside mkdocs.yml, or HUB_CACHE_DIR (the tests keep the repository clean with it)."""
    return Path(os.environ.get("HUB_CACHE_DIR") or Path(config_dir) / ".cache")


def store(path: Path, content: bytes) -> None:
    """Write *path* atomically: a build stopped half-way, or another process writing it too, leaves no broken file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(content)
    temporary.replace(path)


def cached_file(cached: Path, make: Callable[[], bytes], target: Path) -> bool:
    """Put the file *cached* names at *target*, making it with *make* only if the cache lacks it.

    For files kept by their content's key (sharing cards, image variants): written atomically, so a build
    stopped half-way leaves no broken entry, and placed as a hard link where the file system allows it,
    else as a copy. Returns whether it was made.
    """
    made = not cached.exists()
    if made:
        store(cached, make())
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(cached, target)
    except OSError:
        shutil.copyfile(cached, target)
    return made
