"""hub-speed's site_in_place: a full build written over the last one's files leaves exactly what a clean build leaves.

The unit tests drive plugins/hub_speed/output.py on plain folders; the build
tests run the real `mkdocs build --strict` twice into one site folder, with
the sources changed in between and the folder tampered with, and compare it,
file by file and folder by folder, with a build into an empty folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from hub_speed import output
from support import MKDOCS_ENV, article, photo, run_mkdocs, write_site

SPEED = "hub-speed"


# -----------------------------------------------------------------------------
# The snapshot, the sweep and the way cleared, on plain folders
# -----------------------------------------------------------------------------


def tree(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
        os.utime(root / path, ns=(10**18, 10**18))  # written long ago, as by the last build


def take(root: Path, since: int | None = None) -> output.Snapshot:
    """A snapshot as the clean step takes it, as if the build began a while after *root* was written."""
    return output.Snapshot.take(str(root), output.current_modes(), time.time_ns() + 1 if since is None else since)


def listing(root: Path) -> tuple[list[str], list[str]]:
    """Every file and every folder under *root*, relative, sorted."""
    found = sorted(path.relative_to(root).as_posix() for path in root.rglob("*"))
    return [path for path in found if (root / path).is_file()], [path for path in found if (root / path).is_dir()]


def test_the_snapshot_notes_the_last_builds_files_and_takes_away_what_would_be_written_through(tmp_path) -> None:
    site, outside = tmp_path / "site", tmp_path / "utenfor"
    tree(site, {"index.html": "gammel", "a/b/index.html": "gammel", ".git/HEAD": "skjult"})
    tree(outside, {"kort.png": "kortet i hurtigbufferen", "mappe/x.txt": "x", "lenket.html": "lenket"})
    os.link(outside / "kort.png", site / "kort.png")  # a sharing card shares its bytes with .cache/
    (site / "lenke.html").symlink_to(outside / "lenket.html")
    (site / "mappelenke").symlink_to(outside / "mappe", target_is_directory=True)
    snapshot = take(site)
    assert sorted(Path(path).relative_to(site).as_posix() for path in snapshot.files) == ["a/b/index.html",
                                                                                          "index.html"]
    assert sorted(Path(path).relative_to(site).as_posix() for path in snapshot.folders) == ["a", "a/b"]
    assert not (site / "kort.png").exists() and not (site / "lenke.html").is_symlink()
    assert not (site / "mappelenke").is_symlink() and (outside / "mappe/x.txt").read_text() == "x"
    assert (outside / "kort.png").read_text() == "kortet i hurtigbufferen"
    assert (site / ".git/HEAD").read_text() == "skjult"  # as MkDocs' clean step: hidden entries are not ours


def rewrite_same(path: Path) -> None:
    path.write_bytes(path.read_bytes())


def replace(path: Path) -> None:
    partial = path.with_name("ny.tmp")
    partial.write_text("ny", encoding="utf-8")
    os.replace(partial, path)


def relink(path: Path) -> None:
    path.unlink()
    os.link(path.parent / "kilde.txt", path)


@pytest.mark.parametrize("write", [
    pytest.param(lambda path: path.write_text("ny tekst", encoding="utf-8"), id="written"),
    pytest.param(rewrite_same, id="the-same-bytes-written-again"),
    pytest.param(lambda path: os.truncate(path, 0), id="truncated"),
    pytest.param(replace, id="replaced"),
    pytest.param(relink, id="linked-anew"),
])
def test_a_file_this_build_wrote_in_any_way_is_not_stale(tmp_path, write) -> None:
    tree(tmp_path, {"side.html": "gammel tekst", "kilde.txt": "kilde"})
    snapshot = take(tmp_path)
    path = str(tmp_path / "side.html")
    assert snapshot.stale(path)
    write(tmp_path / "side.html")
    assert not snapshot.stale(path)


def test_a_file_written_with_the_bytes_it_holds_is_kept_as_it_is(tmp_path) -> None:
    tree(tmp_path, {"site/side.html": "samme", "site/annen.html": "gammel"})
    time.sleep(0.2)  # longer ago than a tick of the file system's clock
    status = os.stat(tmp_path / "site/side.html")
    output.install(str(tmp_path / "site"))
    try:
        output.keep_instead_of_clean(str(tmp_path / "site"))
        output.write_file(b"samme", str(tmp_path / "site/side.html"))
        output.write_file(b"ny", str(tmp_path / "site/annen.html"))
        output.write_file(b"helt ny", str(tmp_path / "site/ny/index.html"))
        output.sweep()
    finally:
        output.uninstall()
    kept = os.stat(tmp_path / "site/side.html")
    assert (kept.st_ino, kept.st_mtime_ns) == (status.st_ino, status.st_mtime_ns)
    assert (tmp_path / "site/annen.html").read_text() == "ny"
    assert (tmp_path / "site/ny/index.html").read_text() == "helt ny"


def test_another_folder_given_to_the_clean_step_is_emptied_as_mkdocs_empties_it(tmp_path) -> None:
    tree(tmp_path, {"site/side.html": "x", "annen/side.html": "y", "annen/.skjult": "z"})
    output.install(str(tmp_path / "site"))
    try:
        output.keep_instead_of_clean(str(tmp_path / "annen"))
    finally:
        output.uninstall()
    assert listing(tmp_path / "annen") == ([".skjult"], [])
    assert (tmp_path / "site/side.html").exists()


def test_the_sweep_leaves_what_was_written_and_kept_and_the_folders_holding_them(tmp_path) -> None:
    tree(tmp_path, {"skrevet/index.html": "gammel", "beholdt/index.html": "samme", "borte/index.html": "gammel",
                    "dyp/a/b/index.html": "gammel", "blandet/ny.html": "gammel", "blandet/borte.html": "gammel"})
    snapshot = take(tmp_path)
    (tmp_path / "skrevet/index.html").write_text("ny", encoding="utf-8")
    (tmp_path / "blandet/ny.html").write_text("ny", encoding="utf-8")
    snapshot.kept.add(str(tmp_path / "beholdt/index.html"))
    (tmp_path / "tom-ny").mkdir()  # a folder this build made and left empty, as a clean build would too
    assert snapshot.sweep() == (3, 4)
    assert listing(tmp_path) == (["beholdt/index.html", "blandet/ny.html", "skrevet/index.html"],
                                 ["beholdt", "blandet", "skrevet", "tom-ny"])


def test_the_way_is_cleared_of_old_files_and_folders_of_the_other_kind(tmp_path) -> None:
    tree(tmp_path, {"artikler/ny": "en gammel fil der en mappe trengs", "404.html/gammel.txt": "en gammel mappe",
                    "ny-denne/index.html/x.txt": "gammel"})
    snapshot = take(tmp_path)
    (tmp_path / "ny-denne/index.html/y.txt").write_text("skrevet av dette bygget", encoding="utf-8")
    for path in ("artikler/ny/index.html", "404.html", "ny-denne/index.html"):
        snapshot.clear_way(str(tmp_path / path))
    assert not (tmp_path / "artikler/ny").exists() and not (tmp_path / "404.html").exists()
    # A folder holding what this build wrote is not the last build's to take away (a clean build fails there too).
    assert (tmp_path / "ny-denne/index.html/y.txt").exists()


def test_what_a_clean_build_would_make_otherwise_is_made_anew(tmp_path) -> None:
    """Other permissions or owner, or a change too recent to tell a rewrite by: removed, and written as new."""
    tree(tmp_path, {"vanlig.html": "x", "les.html": "x", "kjor.html": "x", "eier.html": "x", "ny.html": "x",
                    "stengt/a.html": "x", "apen/a.html": "x"})
    (tmp_path / "les.html").chmod(0o444)
    (tmp_path / "kjor.html").chmod(0o755)
    if os.geteuid() == 0:  # only root can give a file away; elsewhere it stays ours, and is noted
        os.chown(tmp_path / "eier.html", 4242, -1)
    (tmp_path / "stengt").chmod(0o700)
    since = time.time_ns()
    (tmp_path / "ny.html").write_text("y", encoding="utf-8")  # changed as the build began
    snapshot = take(tmp_path, since)
    ours = [] if os.geteuid() == 0 else ["eier.html"]
    assert sorted(Path(path).name for path in snapshot.files) == sorted(["a.html", "vanlig.html", *ours])
    assert listing(tmp_path) == (sorted(["apen/a.html", "vanlig.html", *ours]), ["apen"])


def test_the_file_system_is_asked_about_names_and_times_and_left_as_it_was(tmp_path) -> None:
    found = output.probe(str(tmp_path))
    assert found is not None and found.folds is False  # Linux: names as written
    assert found.recent_ns in output.RECENT_NS.values()
    assert list(tmp_path.iterdir()) == []
    assert output.probe(str(tmp_path / "finnes-ikke")) is None


@pytest.mark.parametrize("found", [output.Probe(folds=True, recent_ns=0), None])
def test_a_site_folder_that_folds_names_or_cannot_be_asked_is_emptied_as_mkdocs_empties_it(tmp_path, monkeypatch,
                                                                                            found) -> None:
    """There `Foto.jpg` written over `foto.jpg` would keep the old name."""
    tree(tmp_path, {"site/foto.jpg": "x", "site/.skjult": "z"})
    monkeypatch.setattr(output, "probe", lambda root: found)
    output.install(str(tmp_path / "site"))
    try:
        output.keep_instead_of_clean(str(tmp_path / "site"))
        assert output.state.snapshot is None
    finally:
        output.uninstall()
    assert listing(tmp_path / "site") == ([".skjult"], [])


@pytest.mark.parametrize("error, named", [
    (IsADirectoryError(21, "Is a directory", "tags.json"), "tags.json"),  # an old folder where a file goes
    (NotADirectoryError(20, "Not a directory", "fil/b.txt"), "fil"),  # an old file where a folder goes
    (FileExistsError(17, "File exists", "fil"), "fil"),
    (IsADirectoryError(21, "Is a directory", "mappe/ny"), None),  # this build's own clash: as MkDocs says it
    (FileExistsError(17, "File exists", "../annen/fil"), None),
    (PermissionError(13, "Permission denied", "fil"), None),
])
def test_only_the_last_builds_file_or_folder_in_the_way_is_blamed(tmp_path, error, named) -> None:
    tree(tmp_path, {"site/tags.json/x": "x", "site/fil": "x", "site/mappe/a.html": "x"})
    time.sleep(0.2)  # longer ago than a tick of the file system's clock
    output.install(str(tmp_path / "site"))
    try:
        output.keep_instead_of_clean(str(tmp_path / "site"))
        error.filename = str(tmp_path / "site" / error.filename)
        assert output.old_in_the_way(error) == named
        assert output.old_in_the_way(ValueError("noe annet")) is None
    finally:
        output.uninstall()


def test_every_hook_of_the_hub_was_read_for_this_and_none_from_elsewhere_is_trusted(tmp_path, monkeypatch) -> None:
    """A new hook in hooks/ turns the speed-up off until it is read and listed (output.AUDITED_HOOKS)."""
    import importlib.util
    import types

    settings = yaml.safe_load((output.HOOKS.parent / "mkdocs.yml").read_text(encoding="utf-8").replace("!ENV", ""))
    assert {Path(hook).name for hook in settings["hooks"]} == output.AUDITED_HOOKS
    assert {path.name for path in output.HOOKS.glob("*.py")} == output.AUDITED_HOOKS

    def hook(path: Path) -> types.ModuleType:
        module = types.ModuleType(str(path))
        module.__file__ = str(path)
        return module

    (tmp_path / "hooks").mkdir()
    plugins = {"material/blog": object(), "rss": object(), "hub-speed": object(),
               "hooks/seo.py": hook(output.HOOKS / "seo.py")}
    assert output.unaudited(plugins) == []
    assert importlib.util.find_spec("material.plugins.privacy") is not None
    assert output.unaudited({**plugins, "material/privacy": object()}) == ["material/privacy"]
    elsewhere = {**plugins, "x/seo.py": hook(tmp_path / "hooks/seo.py"), "hooks/ny.py": hook(output.HOOKS / "ny.py")}
    assert output.unaudited(elsewhere) == ["hooks/ny.py", "x/seo.py"]
    monkeypatch.setattr(output, "version", lambda name: "1.20.0")
    assert output.unaudited(plugins) == ["rss"]


# -----------------------------------------------------------------------------
# Real builds
# -----------------------------------------------------------------------------


def pages(version: int) -> dict[str, str | bytes]:
    """Version 1 of a small site, or version 2: one article gone, one renamed with its old address kept, one new,
    one changed, one image gone."""
    found: dict[str, str | bytes] = {
        "artikler/index.md": "# Artikler\n",  # or Material writes it into the sources at the first build
        "artikler/posts/uendret.md": article("Uendret", "Samme tekst.\n\n<!-- more -->\n\nMer.", slug="uendret",
                                             categories=["Coaching"], tags=["felles"]),
        "artikler/posts/endret.md": article("Endret", f"Versjon {version}.\n\n<!-- more -->\n\nMer.", slug="endret",
                                            categories=["Coaching"]),
        "artikler/posts/bilde.jpg": photo(900, 600),
        "artikler/posts/med-bilde.md": article("Med bilde", "Tekst.\n\n<!-- more -->\n\n![Et bilde](bilde.jpg)\n",
                                               slug="med-bilde"),
    }
    for number in range(8):  # enough for a second listing page
        found[f"artikler/posts/fyll-{number}.md"] = article(f"Fyll {number}", "Kort.\n\n<!-- more -->\n\nMer.",
                                                            slug=f"fyll-{number}", categories=["Forhandling"])
    if version == 1:
        found["artikler/posts/borte.md"] = article("Borte", "Slettes.", slug="borte", categories=["Motivasjon"])
        found["artikler/posts/flyttet.md"] = article("Flyttet", "Tekst.", slug="gammel-adresse")
        found["assets/gammel.svg"] = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    else:
        found["artikler/posts/flyttet.md"] = article("Flyttet", "Tekst.", slug="ny-adresse",
                                                     redirect_from=["gammel-adresse"])
        found["artikler/posts/ny.md"] = article("Ny", "Helt ny.", slug="ny")
    return found


def site_at(root: Path, version: int, speed: dict[str, object] | None = None) -> Path:
    """*root*'s sources at *version*: files of the other version taken away."""
    for path in pages(1 if version == 2 else 2).keys() - pages(version).keys():
        (root / "docs" / path).unlink(missing_ok=True)
    config = write_site(root, pages(version))
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["plugins"] = [plugin if not (isinstance(plugin, dict) and SPEED in plugin)
                           else {SPEED: {**(plugin[SPEED] or {}), **(speed or {})}} for plugin in settings["plugins"]]
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return config


def built(config: Path, site: Path, cache: Path):
    result = run_mkdocs(config, site, env={"HUB_CACHE_DIR": str(cache)})
    assert result.returncode == 0, result.output
    return result


def tamper(site: Path, outside: Path) -> None:
    """What a site folder may hold besides the last build: strays, links, and the other kind where one is needed."""
    tree(outside, {"kort.png": "utenfor", "lenket.html": "utenfor"})
    (site / "404.html").unlink()
    (site / "sitemap.xml.gz").unlink()
    tree(site, {"rester/gammel.txt": "x", "lose.html": "x", ".git/HEAD": "skjult", "artikler/ny": "en fil, ikke mappe",
                "404.html/gammel.txt": "x", "sitemap.xml.gz/x": "x"})
    (site / "artikler/uendret/index.html").unlink()
    os.link(outside / "kort.png", site / "artikler/uendret/index.html")  # a hard link to a file elsewhere
    (site / "lenke.html").symlink_to(outside / "lenket.html")
    (site / "artikler/fyll-0/index.html").unlink()
    (site / "artikler/fyll-0/index.html").mkdir()
    (site / "artikler/fyll-0/index.html/x").write_text("x", encoding="utf-8")
    (site / "artikler/fyll-1/index.html").chmod(0o444)


@pytest.mark.slow
def test_a_build_over_the_last_ones_files_leaves_exactly_what_a_build_into_an_empty_folder_leaves(tmp_path) -> None:
    root, cache = tmp_path / "over", tmp_path / "cache"
    built(site_at(root, 1), root / "site", cache)
    tamper(root / "site", tmp_path / "utenfor")
    over = built(site_at(root, 2), root / "site", cache)
    empty = built(site_at(tmp_path / "tom", 2), tmp_path / "tom/site", tmp_path / "cache-2")
    plain = built(site_at(tmp_path / "uten", 2, {"site_in_place": False}), tmp_path / "uten/site", tmp_path / "c3")
    files, folders = listing(over.site)
    assert files == sorted([*listing(empty.site)[0], ".git/HEAD"]) and folders == sorted([*listing(empty.site)[1], ".git"])
    assert listing(plain.site) == listing(empty.site)
    files.remove(".git/HEAD")
    assert [path for path in files if (over.site / path).read_bytes() != (empty.site / path).read_bytes()] == []
    assert [path for path in files if (over.site / path).read_bytes() != (plain.site / path).read_bytes()] == []
    # Nothing was written through a link.
    assert (tmp_path / "utenfor/kort.png").read_text() == "utenfor"
    assert (tmp_path / "utenfor/lenket.html").read_text() == "utenfor"
    # The renamed article's old address forwards, though the last build's page stood there until on_post_build.
    assert 'url=../ny-adresse/' in over.text("artikler/gammel-adresse/index.html")
    assert not (over.site / "artikler/borte").exists() and not (over.site / "assets/gammel.svg").exists()


def stamps(site: Path, paths: list[str]) -> list[tuple[int, int]]:
    return [((status := os.stat(site / path)).st_ino, status.st_mtime_ns) for path in paths]


UNCHANGED = ["artikler/uendret/index.html", "artikler/fyll-3/index.html", "404.html"]


@pytest.mark.slow
@pytest.mark.parametrize("in_place", [True, False])
def test_an_unchanged_page_is_left_as_it_was_and_a_changed_one_written(tmp_path, in_place: bool) -> None:
    """With the flag off, MkDocs' clean step makes every file anew: so this test can tell the two apart."""
    config = site_at(tmp_path, 1, {"site_in_place": in_place})
    first = built(config, tmp_path / "site", tmp_path / "cache")
    before = stamps(first.site, UNCHANGED)
    changed = os.stat(first.site / "artikler/endret/index.html").st_mtime_ns
    (tmp_path / "docs/artikler/posts/endret.md").write_text(
        article("Endret", "Versjon 3.\n\n<!-- more -->\n\nMer.", slug="endret", categories=["Coaching"]),
        encoding="utf-8")
    second = built(config, tmp_path / "site", tmp_path / "cache")
    assert (stamps(second.site, UNCHANGED) == before) is in_place
    assert os.stat(second.site / "artikler/endret/index.html").st_mtime_ns != changed
    assert "Versjon 3" in second.text("artikler/endret/index.html")


@pytest.mark.slow
def test_a_hook_from_outside_the_hubs_hooks_turns_it_off(tmp_path) -> None:
    """A writer nobody read may skip a file that exists: then MkDocs empties the folder as before, and says why."""
    config = site_at(tmp_path, 1)
    (tmp_path / "egen.py").write_text("def on_post_build(config):\n    pass\n", encoding="utf-8")
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings["hooks"].append(str(tmp_path / "egen.py"))
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    first = built(config, tmp_path / "site", tmp_path / "cache")
    before = stamps(first.site, UNCHANGED)
    result = run_mkdocs(config, tmp_path / "site", env={"HUB_CACHE_DIR": str(tmp_path / "cache")}, strict=False)
    assert result.returncode == 0, result.output
    assert stamps(result.site, UNCHANGED) != before
    assert f"site_in_place er av; {tmp_path / 'egen.py'}" in result.output


@pytest.mark.slow
def test_an_old_folder_where_a_plugin_writes_a_file_is_one_norwegian_line_and_the_next_build_is_clean(tmp_path):
    """The tags plugin writes tags.json before on_post_build, outside MkDocs' own files: the last resort."""
    config = site_at(tmp_path, 1)
    first = built(config, tmp_path / "site", tmp_path / "cache")
    (first.site / "tags.json").unlink()
    tree(first.site, {"tags.json/gammel.txt": "x", ".git/HEAD": "skjult"})
    failed = run_mkdocs(config, tmp_path / "site", env={"HUB_CACHE_DIR": str(tmp_path / "cache")})
    assert failed.returncode == 1
    assert ("hub-speed: tags.json i byggemappen var en fil eller mappe fra et tidligere bygg, der dette bygget "
            "trenger det motsatte. Byggemappen er tømt; bygg på nytt.") in failed.output
    assert "Traceback" not in failed.output
    assert listing(first.site) == ([".git/HEAD"], [".git"])
    again = built(config, tmp_path / "site", tmp_path / "cache")
    assert (again.site / "tags.json").is_file()


@pytest.mark.slow
def test_a_dirty_build_leaves_the_last_builds_files_as_mkdocs_does(tmp_path) -> None:
    config = site_at(tmp_path, 1)
    first = built(config, tmp_path / "site", tmp_path / "cache")
    tree(first.site, {"rester/gammel.txt": "x"})
    result = run_mkdocs(config, tmp_path / "site", env={"HUB_CACHE_DIR": str(tmp_path / "cache")}, strict=False)
    assert result.returncode == 0 and not (first.site / "rester").exists()
    tree(first.site, {"rester/gammel.txt": "x"})
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--dirty", "--config-file", str(config), "--site-dir",
                    str(first.site)], env={**MKDOCS_ENV, "HUB_CACHE_DIR": str(tmp_path / "cache")}, check=True,
                   capture_output=True, cwd=tmp_path)
    assert (first.site / "rester/gammel.txt").read_text() == "x"


class Plugins(dict):
    """As much of MkDocs' PluginCollection as the plugin asks: names, and the handlers of each event."""

    def __init__(self, names: list[str], post_build: list[object]) -> None:
        super().__init__((name, None) for name in names)
        self.events = {"post_build": post_build}


@pytest.mark.parametrize("names, priority, on", [
    (["material/blog", "rss", "hub-speed"], -100, True),
    (["material/blog", "rss", "hub-speed"], 1000, False),  # a handler that may read the folder before the sweep
    (["material/blog", "material/privacy", "hub-speed"], 0, False),
])
def test_it_is_on_only_when_the_sweep_comes_first_and_every_writer_was_read(tmp_path, names, priority, on) -> None:
    from types import SimpleNamespace

    from hub_speed.plugin import SpeedPlugin

    plugin = SpeedPlugin()
    plugin.active = {"site_in_place"}

    def other(config: object) -> None:
        pass

    other.mkdocs_priority = priority  # type: ignore[attr-defined]
    config = SimpleNamespace(plugins=Plugins(names, [plugin.on_post_build.methods[0], other]), hooks=[],
                             site_dir=str(tmp_path / "site"))
    try:
        plugin._write_in_place(config)  # type: ignore[arg-type]
        assert ("site_in_place" in plugin.active) is on
        assert (output.state.root == str(tmp_path / "site")) is on
    finally:
        output.uninstall()
