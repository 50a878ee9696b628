"""A full build writes over the last build's files instead of emptying the site folder first.

MkDocs empties the site folder as a full build begins (``clean_directory``,
mkdocs/utils/__init__.py:134, called from mkdocs/commands/build.py:249;
pinned in :data:`.pins.OUTPUT`), then writes every page, asset and
template as a new file in a new folder. Making about 1,600 folders and 3,000
files again took this project's 2-core machines 1–3 s of system time at
1,000 articles, against about 0.1 s for writing over files that are there.
So, in ``mkdocs build``:

* the clean step only notes what the folder holds (:meth:`Snapshot.take`),
  and removes at once what must not be written over: links (written through,
  they would change what they point to; a sharing card shares its bytes with
  ``.cache/``), files and folders a clean build would make with other
  permissions or another owner, and files changed just before (a rewrite in
  the same tick of the file system's clock could not be told apart). On a
  file system that folds case or Unicode forms in names, it empties the
  folder as MkDocs does: there ``Foto.jpg`` would be written into ``foto.jpg``
  (:func:`probe`);
* pages and templates are written over the old files, and a file that already
  holds the same bytes is not written at all (:func:`write_file`); before
  anything is written, an old file or folder standing where MkDocs needs the
  other kind is removed (:meth:`Snapshot.clear_way`);
* the first thing ``on_post_build`` does, before any plugin or hook writes
  or reads the folder there, is :meth:`Snapshot.sweep`: every old file this
  build neither wrote nor kept is deleted, and so is every old folder this
  leaves empty. From then on the folder is what a clean build's is at that
  point, so the feeds, the search index, the cards and the headers (read from
  every page) are written into the same folder as before.

What this cannot see is a writer that skips a file because it already exists,
or reads the folder, before ``on_post_build``. So it is on only with the
plugins and hooks read for this (:data:`AUDITED`, :data:`AUDITED_HOOKS`).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import mkdocs.utils

from .rss import RSS_PLUGIN

log = logging.getLogger("mkdocs.plugins.hub_speed")

ORIGINAL_CLEAN = mkdocs.utils.clean_directory
ORIGINAL_WRITE = mkdocs.utils.write_file

# The plugins whose writes into the site folder were read for this: before on_post_build, none skips a file that
# is there or reads the folder (Material 9.8.2's meta, search, blog and tags, checked by pins.versions_hold; the
# tags plugin writes tags.json in on_env, over the old one). mkdocs-rss-plugin only at the version read.
AUDITED = frozenset({"material/meta", "material/search", "material/blog", "material/tags", "rss", "hub-speed"})
# The hub's own hooks, read for this: they write into the site folder only in on_post_build. A new hook is
# added here once it is read (tests/test_speed_in_place.py fails until then).
HOOKS = Path(__file__).resolve().parents[2] / "hooks"
AUDITED_HOOKS = frozenset({"admin.py", "articles.py", "cta.py", "escaping.py", "images.py", "markup.py",
                           "preview.py", "redirects.py", "related.py", "seo.py", "stats.py"})
# The commands that empty the site folder in a full build.
COMMANDS = frozenset({"build", "gh-deploy"})
# An old file changed this recently is made anew, as a rewrite within one tick of the file system's clock would
# leave its stamp as it was: ext4 and APFS keep nanoseconds from a clock that ticks every 1–10 ms, FAT keeps
# 2 s, ext4's small inodes and HFS+ whole seconds.
RECENT_NS = {"fine": 10**8, "whole seconds": 3 * 10**9}


class Stamp(NamedTuple):
    """What changes when a file is written, truncated, linked or replaced."""

    inode: int
    size: int
    modified: int
    changed: int


def stamp(status: os.stat_result) -> Stamp:
    return Stamp(status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


class Modes(NamedTuple):
    """The permissions a clean build gives what it makes, and its owner."""

    file: int
    folder: int
    owner: int


def current_modes() -> Modes:
    mask = _umask()
    return Modes(0o666 & ~mask, 0o777 & ~mask, os.geteuid())


def _umask() -> int:
    try:  # Linux says it without changing it
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Snapshot:
    """The last build's files and folders in the site folder, as the clean step left them."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: dict[str, Stamp] = {}
        self.folders: set[str] = set()
        self.kept: set[str] = set()  # old files this build left as they were, holding the bytes it would write
        # As found, for telling the last build's file or folder in the way from this build's own clash.
        self.old_files: frozenset[str] = frozenset()
        self.old_folders: frozenset[str] = frozenset()

    @classmethod
    def take(cls, root: str, modes: Modes, since: int) -> Snapshot:
        """Note the old files and folders under *root*, removing at once what must not be written over.

        A file changed at or after *since* (nanoseconds) is removed too.
        """
        snapshot = cls(root)
        if os.path.isdir(root):
            with os.scandir(root) as entries:
                for entry in entries:
                    if not entry.name.startswith("."):  # as MkDocs' clean step: hidden entries are never ours
                        snapshot._note_or_remove(entry, modes, since)
        snapshot.old_files, snapshot.old_folders = frozenset(snapshot.files), frozenset(snapshot.folders)
        return snapshot

    def _note_or_remove(self, entry: os.DirEntry[str], modes: Modes, since: int) -> None:
        status = entry.stat(follow_symlinks=False)
        if stat.S_ISDIR(status.st_mode):
            if stat.S_IMODE(status.st_mode) != modes.folder or status.st_uid != modes.owner:
                shutil.rmtree(entry.path)
                return
            self.folders.add(entry.path)
            with os.scandir(entry.path) as entries:
                for child in entries:
                    self._note_or_remove(child, modes, since)
        elif (stat.S_ISREG(status.st_mode) and status.st_nlink == 1 and status.st_uid == modes.owner
              and stat.S_IMODE(status.st_mode) == modes.file and status.st_ctime_ns < since):
            self.files[entry.path] = stamp(status)
        else:
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
        for parent in parents(path, self.root):
            if self.stale(parent):
                os.unlink(parent)
                del self.files[parent]
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


def parents(path: str, root: str) -> Iterator[str]:
    """The folders between *path* and *root*, innermost first, *root* itself not among them."""
    parent = os.path.dirname(path)
    while len(parent) > len(root):
        yield parent
        parent = os.path.dirname(parent)


class Probe(NamedTuple):
    """What the file system under the site folder does with names and times."""

    folds: bool  # takes "A" and "a", or "å" composed and decomposed, as one name
    recent_ns: int  # how long after a write another one may leave the same stamp


def probe(root: str) -> Probe | None:
    """Ask the file system under *root* with a hidden file of its own (None: it cannot be asked)."""
    name = f".hub-speed-{os.getpid()}-Aå"
    path = os.path.join(root, name)
    try:
        with open(path, "x", encoding="utf-8"):
            pass
        try:
            folds = any(os.path.lexists(os.path.join(root, variant))
                        for variant in (name.replace("A", "a"), unicodedata.normalize("NFD", name)))
            whole_seconds = os.stat(path).st_ctime_ns % 10**9 == 0
        finally:
            os.unlink(path)
    except OSError:
        return None
    return Probe(folds, RECENT_NS["whole seconds" if whole_seconds else "fine"])


class State:
    root = ""  # the site folder of the build in progress (absolute), while the speed-up is installed
    snapshot: Snapshot | None = None


state = State()


def keep_instead_of_clean(directory: str) -> None:
    """Stands in for MkDocs' clean_directory: the site folder is noted, not emptied (see the module's text)."""
    if os.path.abspath(directory) != state.root:
        ORIGINAL_CLEAN(directory)
        return
    found = probe(directory) if os.path.isdir(directory) else Probe(False, 0)
    if found is None or found.folds:
        ORIGINAL_CLEAN(directory)
        return
    try:
        state.snapshot = Snapshot.take(state.root, current_modes(), time.time_ns() - found.recent_ns)
    except OSError as error:  # an unreadable folder, say: MkDocs empties what it can and goes on
        log.debug("site folder: not written over (%s)", error)
        state.snapshot = None
        ORIGINAL_CLEAN(directory)


def write_file(content: bytes, output_path: str) -> None:
    """MkDocs' write_file, which leaves an old file holding the same bytes as it is."""
    snapshot = state.snapshot
    path = os.path.abspath(output_path)
    if snapshot is not None and snapshot.same(path, content):
        snapshot.kept.add(path)
        return
    ORIGINAL_WRITE(content, output_path)


def unaudited(plugins: Mapping[str, object]) -> list[str]:
    """The plugins and hooks of this build whose writes were not read for this; it is on only if there are none."""
    found = []
    for name, plugin in plugins.items():
        if isinstance(plugin, ModuleType):  # a hook
            path = Path(getattr(plugin, "__file__", "") or "").resolve()
            if path.parent != HOOKS or path.name not in AUDITED_HOOKS:
                found.append(name)
        elif name not in AUDITED or name == "rss" and version("mkdocs-rss-plugin") != RSS_PLUGIN:
            found.append(name)
    return sorted(found)


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


def old_in_the_way(error: BaseException) -> str | None:
    """The path (relative to the site folder) where the last build's file or folder stopped this build, if it did.

    Asked before :func:`uninstall`; after the sweep nothing of the last build is left to be in the way.
    """
    snapshot = state.snapshot
    if snapshot is None or not isinstance(error, (IsADirectoryError, NotADirectoryError, FileExistsError)):
        return None
    path = os.path.abspath(str(error.filename or ""))
    if path in snapshot.old_files or path in snapshot.old_folders:
        return os.path.relpath(path, state.root)
    blocker = next((parent for parent in parents(path, state.root) if parent in snapshot.old_files), None)
    return os.path.relpath(blocker, state.root) if blocker is not None else None  # an old file where a folder goes
