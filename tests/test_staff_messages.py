"""Every mistake a staff member can make, through every command they run: `make build`, `make check`,
`make new` and `make serve`. Each names the file, the line and the key, in Norwegian, and never with a
traceback.

The commands run as staff run them: the real Makefile, in a checkout of a small site.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support import AUTHORS, MKDOCS_ENV, REPO, article, preview, write_site

pytestmark = pytest.mark.slow

ARTICLE = "docs/artikler/posts/a.md"
AUTHORS_FILE = "docs/artikler/.authors.yml"
BODY = "Coaching av selgere hver uke gir fremgang."
# Words that give an English message away.
ENGLISH = re.compile(r"\b(must|is not|isn't|should|cannot|invalid|expected|missing|allowed|error reading|"
                     r"not found|unknown|required|the file|front matter is)\b", re.IGNORECASE)


def good_article(**meta: object) -> str:
    values = {"slug": "a", "authors": ["kari"], "categories": ["Coaching"], "tags": ["coaching"], **meta}
    return article("Coaching hver uke", BODY, **values)


def _edit_config(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
        change(config)
        (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return edit


def _write(path: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        (root / path).write_text(text, encoding="utf-8")
    return edit


def _blog(config: dict) -> dict:
    return next(entry["blog"] for entry in config["plugins"] if isinstance(entry, dict) and "blog" in entry)


def _break_indentation(root: Path) -> None:
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: Arctic\n  theme: brutt\n" + text, encoding="utf-8")


@dataclass(frozen=True)
class Mistake:
    """One mistake: how to make it, and where every command must say it is."""

    name: str
    make: Callable[[Path], None]
    file: str
    needle: str  # text on the line the message must name
    key: str
    commands: tuple[str, ...] = ("build", "check", "serve")
    # A warning: the strict build stops on it, the preview shows it in the terminal and keeps working.
    warning: bool = False

    def location(self, root: Path) -> str:
        lines = (root / self.file).read_text(encoding="utf-8").splitlines()
        number = next(index for index, line in enumerate(lines, 1) if self.needle in line)
        name = Path(self.file).name if self.file == "mkdocs.yml" else self.file
        return f"{name}:{number}: {self.key}"


ALL = ("build", "check", "new", "serve")
MISTAKES = [
    # Front matter
    Mistake("tags as text", _write(ARTICLE, good_article(tags="coaching, feedback")), ARTICLE, "tags:", "tags"),
    Mistake("quoted date", _write(ARTICLE, good_article().replace("date: 2025-01-15", "date: '2025-01-15'")),
            ARTICLE, "date:", "date"),
    Mistake("date that does not exist", _write(ARTICLE, good_article().replace("2025-01-15", "2025-02-30")),
            ARTICLE, "date:", "date"),
    Mistake("unknown category", _write(ARTICLE, good_article(categories=["Salg"])), ARTICLE, "categories:",
            "categories"),
    Mistake("pin to nothing", _write(ARTICLE, good_article(related=["finnes-ikke"])), ARTICLE, "related:", "related"),
    Mistake("make new's text kept", _write(ARTICLE, good_article(
        description="Skriv en ingress på høyst 160 tegn: hva leseren lærer, og hvorfor det er nyttig.")),
        ARTICLE, "description:", "description"),
    Mistake("typo in a key", _write(ARTICLE, good_article(catgories=["Coaching"])), ARTICLE, "catgories:",
            "catgories", warning=True),
    Mistake("broken YAML", _write(ARTICLE, good_article().replace("title: Coaching hver uke", "title: [Coaching")),
            ARTICLE, "description:", ""),
    # .authors.yml, three ways
    Mistake("authors: broken indentation", _write(AUTHORS_FILE, "authors:\n  kari:\n    name: Kari\n   avatar: x\n"),
            AUTHORS_FILE, "avatar", "", ALL),
    Mistake("authors: a name, not a mapping", _write(AUTHORS_FILE, "authors:\n  kari: Kari Nordmann\n"),
            AUTHORS_FILE, "kari:", "authors.kari", ALL),
    Mistake("authors: no avatar", _write(AUTHORS_FILE, "authors:\n  kari:\n    name: Kari\n    description: Coach\n"),
            AUTHORS_FILE, "kari:", "authors.kari.avatar", ALL),
    # mkdocs.yml, three ways
    Mistake("mkdocs.yml: broken indentation", _break_indentation, "mkdocs.yml", "theme: brutt", "", ALL),
    Mistake("mkdocs.yml: reading speed as text",
            _edit_config(lambda config: _blog(config).update(post_readtime_words_per_minute="fort")),
            "mkdocs.yml", "post_readtime_words_per_minute", "plugins.blog.post_readtime_words_per_minute", ALL),
    Mistake("mkdocs.yml: draft_if_future_date as text",
            _edit_config(lambda config: _blog(config).update(draft_if_future_date="ja")),
            "mkdocs.yml", "draft_if_future_date", "plugins.blog.draft_if_future_date", ALL),
    # extra.* settings
    Mistake("extra.booking.provider misspelt", _edit_config(lambda config: config["extra"]["booking"].update(
        provider="calendy")), "mkdocs.yml", "calendy", "extra.booking.provider"),
    Mistake("extra.newsletter.double_opt_in as text", _edit_config(lambda config: config["extra"].update(
        newsletter={"provider": "generic", "url": "https://skjema.arcticsales.no/nyhetsbrev", "double_opt_in": "ja"})),
        "mkdocs.yml", "double_opt_in", "extra.newsletter.double_opt_in"),
    Mistake("extra.inbox not https", _edit_config(lambda config: config["extra"].update(inbox="ftp://innboks.no")),
            "mkdocs.yml", "ftp://innboks.no", "extra.inbox"),
    Mistake("extra.related.count as text", _edit_config(lambda config: config["extra"]["related"].update(count="tre")),
            "mkdocs.yml", "count: tre", "extra.related.count"),
    Mistake("extra.related typo", _edit_config(lambda config: config["extra"]["related"].update(antall=3)),
            "mkdocs.yml", "antall", "extra.related.antall", warning=True),
]


def checkout(root: Path) -> Path:
    """A small site as staff have it: mkdocs.yml, docs/, and the tools (Makefile's .venv and hooks)."""
    write_site(root, {"artikler/posts/a.md": good_article()}, AUTHORS)
    for name in (".venv", "hooks", "overrides", "plugins", "requirements.txt", "requirements-test.txt"):
        (root / name).symlink_to(REPO / name)
    (root / ".cache").mkdir()
    (root / ".cache/decap").symlink_to(REPO / ".cache/decap")  # the editor, installed by `make test`
    return root


def make(root: Path, *target: str) -> tuple[int, str]:
    result = subprocess.run(["make", "-s", "-f", str(REPO / "Makefile"), "-C", str(root), *target],
                            capture_output=True, text=True, env={**MKDOCS_ENV, "MAKEFLAGS": ""}, timeout=600)
    return result.returncode, result.stdout + result.stderr


def assert_said(output: str, location: str) -> None:
    lines = [line for line in output.splitlines() if location in line]
    assert lines, f"{location} not in:\n{output}"
    for line in lines:
        assert not ENGLISH.search(line.split(location, 1)[1]), f"English: {line}"
    assert "Traceback" not in output, output


def _cases() -> list:
    return [pytest.param(mistake, command, id=f"{command}: {mistake.name}")
            for mistake in MISTAKES for command in ("build", "check", "new") if command in mistake.commands]


@pytest.mark.parametrize(("mistake", "command"), _cases())
def test_every_command_names_file_line_and_key_in_norwegian(tmp_path: Path, mistake: Mistake, command: str) -> None:
    root = checkout(tmp_path / "repo")
    mistake.make(root)
    target = {"build": ("build",), "check": ("check",), "new": ("new", "TITLE=Ny artikkel om coaching")}[command]
    code, output = make(root, *target)
    assert code != 0 or command == "new", output
    assert_said(output, mistake.location(root))


def test_the_preview_names_every_mistake_and_shows_it_in_the_browser(tmp_path: Path) -> None:
    root = checkout(tmp_path / "repo")
    originals = {name: (root / name).read_text(encoding="utf-8") for name in ("mkdocs.yml", ARTICLE, AUTHORS_FILE)}
    with preview(root / "mkdocs.yml", tmp_path / "serve.log", "artikler/a/") as running:
        for mistake in MISTAKES:
            if "serve" not in mistake.commands:
                continue
            before = running.output()
            mistake.make(root)
            location = mistake.location(root)
            if not mistake.warning:
                running.wait(lambda: running.get("artikler/a/")[0] == 500
                             and location.split(":", 1)[0] in running.get("artikler/a/")[1], mistake.name)
                page = running.get("artikler/a/")[1]
                assert 'lang="nb"' in page and "Forhåndsvisningen kan ikke bygges" in page, mistake.name
            # Printed for this save, in full, even when an earlier mistake printed the same line.
            running.wait(lambda: running.output().count(location) > before.count(location),
                         f"{mistake.name} in the terminal")
            assert_said(running.output(), location)
            for name, text in originals.items():
                (root / name).write_text(text, encoding="utf-8")
            running.wait(lambda: running.get("artikler/a/")[0] == 200, f"the fix of {mistake.name}")
    assert "Traceback" not in running.output()
