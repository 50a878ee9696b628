"""The new-article command: a valid draft with a pinned slug, and no overwrites."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from hub import frontmatter, newpost
from support import REPO


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"  # apart from the small sites the same test may build in tmp_path
    root.mkdir()
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


def test_creates_a_draft_with_pinned_slug_and_allowed_categories(repo: Path) -> None:
    path = newpost.create("Møtebooking på telefon", repo, today=datetime.date(2026, 11, 27))
    assert path == repo / "docs/artikler/posts/motebooking-pa-telefon.md"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: Møtebooking på telefon\n")
    for line in ("date: 2026-11-27", "slug: motebooking-pa-telefon", "draft: true",
                 "# Tillatte kategorier: Salgsledelse, Coaching, Prospektering, Forhandling, Rekruttering, "
                 "Motivasjon, KPI og oppfølging"):
        assert f"\n{line}\n" in text


def test_the_untouched_template_cannot_be_published(repo: Path, small_site) -> None:
    text = newpost.create("Slik coacher du selgerne dine", repo).read_text(encoding="utf-8")
    build = small_site({"artikler/posts/ny.md": text.replace("draft: true\n", "")})
    assert build.returncode != 0 and "Traceback" not in build.output
    for line in ("docs/artikler/posts/ny.md:3: description: er fortsatt eksempelteksten fra make new",
                 "docs/artikler/posts/ny.md:6: authors: er tom", "docs/artikler/posts/ny.md:7: categories: er tom",
                 "docs/artikler/posts/ny.md:13: text: 'Skriv første avsnitt her. Det vises i artikkeloversikten.' "
                 "er fortsatt eksempelteksten", "docs/artikler/posts/ny.md:17: text: '## Første mellomtittel'",
                 "docs/artikler/posts/ny.md:19: text: 'Resten av teksten.'"):
        assert line in build.output, line
    # As a draft, it builds: the preview shows it.
    assert small_site({"artikler/posts/ny.md": text}).returncode == 0


def test_created_article_builds_and_publishes_once_written(repo: Path, small_site) -> None:
    # Dated yesterday: an article dated today goes live at 08:00 Oslo time.
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    text = newpost.create("Slik coacher du selgerne dine", repo, today=yesterday).read_text(encoding="utf-8")
    written = (text.replace("draft: true\n", "").replace("authors: []", "authors: [kari]")
               .replace("categories: []", "categories: [Coaching]")
               .replace(frontmatter.PLACEHOLDER_DESCRIPTION, "Én fast samtale i uken.")
               .replace(frontmatter.PLACEHOLDER_LINES[0], "Første avsnitt.")
               .replace(frontmatter.PLACEHOLDER_LINES[1], "## Slik gjør du det")
               .replace(frontmatter.PLACEHOLDER_LINES[2], "Mer tekst."))
    build = small_site({"artikler/posts/ny.md": written})
    assert build.returncode == 0, build.output
    page = build.html("artikler/slik-coacher-du-selgerne-dine/index.html")
    assert page.css_first("h1").text().rstrip("¶").strip() == "Slik coacher du selgerne dine"


def test_refuses_to_overwrite_or_reuse_a_slug(repo: Path) -> None:
    newpost.create("Forhandling uten panikk", repo)
    with pytest.raises(newpost.Refused, match="finnes allerede"):
        newpost.create("Forhandling uten panikk!", repo)
    other = repo / "docs/artikler/posts/annen-fil.md"
    other.write_text("---\ntitle: X\ndescription: Y.\ndate: 2025-01-01\nslug: prisforhandling\n---\n\nT\n", "utf-8")
    with pytest.raises(newpost.Refused, match="'prisforhandling' brukes allerede av docs/artikler/posts/annen-fil.md"):
        newpost.create("Prisforhandling", repo)
    other.write_text(other.read_text("utf-8").replace("slug: prisforhandling", "slug: pris\nredirect_from: [rabatt]"))
    with pytest.raises(newpost.Refused, match="'rabatt' brukes allerede av docs/artikler/posts/annen-fil.md"):
        newpost.create("Rabatt", repo)


def test_command_prints_preview_url_or_reason(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert newpost.main(["Ny artikkel", "--root", str(repo)]) == 0
    assert "http://127.0.0.1:8000/artikler/ny-artikkel/" in capsys.readouterr().out
    assert newpost.main(["Ny artikkel", "--root", str(repo)]) == 1
    assert capsys.readouterr().err.startswith("Ikke laget: docs/artikler/posts/ny-artikkel.md finnes allerede")
    assert newpost.main(["  ", "--root", str(repo)]) == 1
