"""A full build writes over the last build's files instead of emptying the site folder first.

MkDocs empties the site folder as a full build begins (``clean_directory``,
mkdocs/utils/__init__.py:134, called from mkdocs/commands/build.py:249;
pinned in :data:`.pins.OUTPUT`), then writes every page, asset and
template as a new file in a new folder. Making about 1,600 folders and 3,000
files again took this project's 2-core machines 1–3 s of system time at
1,000 articles, against about 0.1 s for writing over files that are there.
So, in ``mkdocs build``:

* the clean step only notes what the folder holds (:class:`Snapshot`). It
  removes at once only what must not be written through: symbolic links, and
  hard links (a sharing card shares its bytes with ``.cache/``);
* pages and templates are written over the old files, and a file that already
  holds the same bytes is not written at all (:func:`write_file`); before
  anything is written, an old file or folder standing where this build needs
  the other kind is removed (:meth:`Snapshot.clear_way`);
* the first thing ``on_post_build`` does, before any plugin or hook writes
  or reads the folder there, is :meth:`Snapshot.sweep`: every old file this
  build neither wrote nor kept is deleted, and so is every old folder that
  this leaves empty. From then on the folder is what a clean build's is at
  that point, so the feeds, the search index, the cards and the headers
  (which read every page) are written into the same folder as before.

The one thing this cannot see is a writer that skips a file because it
already exists, before ``on_post_build``: the sweep would delete that file.
So it is on only with the plugins read for this (:data:`AUDITED`) and the
hub's own hooks.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import mkdocs.utils

log = logging.getLogger("mkdocs.plugins.hub_speed")

ORIGINAL_CLEAN = mkdocs.utils.clean_directory
ORIGINAL_WRITE = mkdocs.utils.write_file

# The plugins whose writes into the site folder were read for this: each writes its files in every full build,
# none skips a file that is already there (Material 9.8.2's meta, search, blog and tags; mkdocs-rss-plugin 1.19.0).
AUDITED = frozenset({"material/meta", "material/search", "material/blog", "material/tags", "rss", "hub-speed"})
# The hub's own hooks, which write their files only in on_post_build, after the sweep.
HOOKS = Path(__file__).resolve().parents[2] / "hooks"
# The commands that empty the site folder in a full build.
COMMANDS = frozenset({"build", "gh-deploy"})


class Stamp(NamedTuple):
    """What changes when a file is written, truncated, linked or replaced."""

    inode: int
    size: int
    modified: int
    changed: int


def stamp(status: os.stat_result) -> Stamp:
    return Stamp(status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


class Snapshot:
    """The last build's files and folders in the site folder, as the clean step found them."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: dict[str, Stamp] = {}
        self.folders: set[str] = set()
        self.kept: set[str] = set()  # old files this build left as they were, holding the bytes it would write
        if os.path.isdir(root):
            for entry in os.scandir(root):
                if not entry.name.startswith("."):  # as MkDocs' clean step: hidden entries are never ours
                    self._note(entry)

    def _note(self, entry: os.DirEntry[str]) -> None:
        if entry.is_dir(follow_symlinks=False):
            self.folders.add(entry.path)
            for child in os.scandir(entry.path):
                self._note(child)
            return
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISREG(status.st_mode) and status.st_nlink == 1 and status.st_mode & stat.S_IWUSR:
            self.files[entry.path] = stamp(status)
        else:  # written through, it would change what it points to or shares its bytes with
            os.unlink(entry.path)

    def stale(self, path: str) -> bool:
        """Whether *path* is an old file this build has not written or kept (yet)."""
        old = self.files.get(path)
        if old is None or path in self.kept:
            return False
        try:
            return stamp(os.lstat(path)) == old
        except OSError:
            return False

    def same(self, path: str, content: bytes) -> bool:
        """Whether the old file at *path* holds exactly *content*."""
        if path not in self.files:
            return False
        try:
            with open(path, "rb") as file:
                return os.fstat(file.fileno()).st_size == len(content) and file.read() == content
        except OSError:
            return False

    def clear_way(self, path: str) -> None:
        """Remove an old file standing where *path* needs a folder, and an old folder where it needs a file."""
        parent = os.path.dirname(path)
        while len(parent) > len(self.root):
            if self.stale(parent):
                os.unlink(parent)
                del self.files[parent]
            parent = os.path.dirname(parent)
        if path in self.folders and self._only_stale(path):
            shutil.rmtree(path)
            inside = path + os.sep
            self.files = {file: old for file, old in self.files.items() if not file.startswith(inside)}
            self.folders = {folder for folder in self.folders if folder != path and not folder.startswith(inside)}

    def _only_stale(self, folder: str) -> bool:
        """Whether everything in *folder* is the last build's (a clean build would have deleted it all)."""
        return all(self.stale(os.path.join(parent, name)) for parent, _, names in os.walk(folder) for name in names)

    def sweep(self) -> tuple[int, int]:
        """Delete every old file this build did not write or keep, then the old folders left empty."""
        files = folders = 0
        for path in list(self.files):
            if self.stale(path):
                os.unlink(path)
                files += 1
        for folder in sorted(self.folders, key=lambda folder: folder.count(os.sep), reverse=True):
            try:
                os.rmdir(folder)  # only if empty
                folders += 1
            except OSError:
                pass
        self.files.clear()
        self.folders.clear()
        self.kept.clear()
        return files, folders


class State:
    root = ""  # the site folder of the build in progress, as the clean step is given it
    snapshot: Snapshot | None = None


state = State()


def keep_instead_of_clean(directory: str) -> None:
    """Stands in for MkDocs' clean_directory: the site folder is noted, not emptied (see the module's text)."""
    if os.path.abspath(directory) != state.root:
        ORIGINAL_CLEAN(directory)
        return
    state.snapshot = Snapshot(state.root)


def write_file(content: bytes, output_path: str) -> None:
    """MkDocs' write_file, which leaves an old file holding the same bytes as it is."""
    snapshot = state.snapshot
    path = os.path.abspath(output_path)
    if snapshot is not None and snapshot.same(path, content):
        snapshot.kept.add(path)
        return
    ORIGINAL_WRITE(content, output_path)


def unaudited(plugins: Iterable[str], hooks: Iterable[str]) -> list[str]:
    """The plugins and hooks of this build whose writes were not read for this (none: it may be on)."""
    ours = {hook for hook in hooks if Path(hook).resolve().parent == HOOKS}
    return sorted(name for name in plugins if name not in AUDITED and name not in ours)


def install(site_dir: str) -> None:
    state.root, state.snapshot = os.path.abspath(site_dir), None
    mkdocs.utils.clean_directory = keep_instead_of_clean
    mkdocs.utils.write_file = write_file


def prepare(paths: Iterable[str]) -> None:
    """Make way for the files this build will write (before anything is written)."""
    if state.snapshot is not None:
        for path in paths:
            state.snapshot.clear_way(os.path.abspath(path))


def sweep() -> None:
    """Leave the site folder as a clean build's is at this point; MkDocs' own functions from here on."""
    snapshot = state.snapshot
    uninstall()
    if snapshot is not None:
        files, folders = snapshot.sweep()
        log.debug("site folder: %d old files and %d old folders removed", files, folders)


def uninstall() -> None:
    mkdocs.utils.clean_directory = ORIGINAL_CLEAN
    mkdocs.utils.write_file = ORIGINAL_WRITE
    state.root, state.snapshot = "", None


def blocked(error: BaseException, site_dir: str) -> str | None:
    """The path in the site folder that an old build's file or folder blocked, if that is what *error* is."""
    if not isinstance(error, (IsADirectoryError, NotADirectoryError, FileExistsError)) or not error.filename:
        return None
    path, root = os.path.abspath(str(error.filename)), os.path.abspath(site_dir)
    return os.path.relpath(path, root) if path.startswith(root + os.sep) else None
