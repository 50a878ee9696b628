"""`make check` (hub/check.py) and the editor schema (hub/schema.py)."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from hub import check, frontmatter, schema, site
from support import REPO


def test_lix_counts_words_per_sentence_and_long_words() -> None:
    # 7 words, 2 sentences, 3 words over six letters: 7/2 + 100*3/7 = 46.4
    assert check.lix(["Dette er en setning.", "Salgsledelse krever tålmodighet."]) == pytest.approx(46.357, abs=0.01)
    assert check.lix([]) == 0.0


@pytest.mark.parametrize(("value", "band"), [
    (12, "svært lett"), (30, "lett"), (39.9, "lett"), (40, "middels"), (50, "vanskelig"), (60, "svært vanskelig"),
])
def test_lix_bands_are_norwegian(value: float, band: str) -> None:
    assert check.Report("x", lix=value).band == band


def test_prose_leaves_out_code_images_and_link_targets() -> None:
    body = "## Tittel\n\nSe [denne siden](../a.md) og ![bilde](b.png).\n\n```\nkode her\n```\n"
    assert check.prose_blocks(body) == ["Tittel", "Se denne siden og ."]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A checkout with the real mkdocs.yml, hooks and templates, and articles of the test's own."""
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    for folder in ("hooks", "overrides"):
        (tmp_path / folder).symlink_to(REPO / folder)
    (tmp_path / "docs/artikler/posts").mkdir(parents=True)
    shutil.copy(REPO / "docs/artikler/.authors.yml", tmp_path / "docs/artikler/.authors.yml")
    (tmp_path / "docs/index.md").write_text("# Forside\n", encoding="utf-8")
    return tmp_path


def write(repo: Path, name: str, body: str, **meta: object) -> None:
    front = {"title": "Tittel", "description": "Kort ingress.", "date": "2025-01-01", "slug": name, **meta}
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False).replace("'2025-01-01'", "2025-01-01")
    (repo / f"docs/artikler/posts/{name}.md").write_text(text + "---\n\n" + body, encoding="utf-8")


@pytest.mark.slow  # make check loads the settings in a process of its own
def test_check_reports_warnings_and_exits_zero(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "a", "Tekst.\n\n![](bilde.png)\n\n#### Dypt\n\n[Forsiden](../../index.md)\n",
          title="T" * 70, tags=["ensom", "felles"])
    write(repo, "b", "Mer tekst her.\n", tags=["felles"])
    assert check.main(["--root", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["Artikkel", "Ord", "Lesetid", "LIX", "Lesbarhet", "Feil", "Advarsler"]
    for line in (
        "advarsel: docs/artikler/posts/a.md:2: title: er 70 tegn; hold den under 60 så den får plass i søkeresultater",
        "advarsel: docs/artikler/posts/a.md:13: image: bilde.png har ingen alt-tekst; beskriv bildet inni ![…]",
        "advarsel: docs/artikler/posts/a.md:15: heading: hopper fra nivå 1 til 4; bruk ##",
        "advarsel: docs/artikler/posts/a.md:6: tags: 'ensom' brukes ikke av noen annen artikkel; bruk et emneord "
        "som finnes, eller fjern det",
        "2 artikler, 0 feil, 4 advarsler",
    ):
        assert line in out


@pytest.mark.slow  # make check loads the settings in a process of its own
def test_check_exits_non_zero_on_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(repo, "a", "Se [borte](finnes-ikke.md).\n", description="x" * 170)
    assert check.main(["--root", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "feil: docs/artikler/posts/a.md:3: description: er 170 tegn, grensen er 160" in out
    assert ("feil: docs/artikler/posts/a.md:8: link: finnes-ikke.md fører ikke til en fil i docs/; "
            "lenk til .md-filen, for eksempel ../index.md") in out


@pytest.mark.slow  # make check loads the settings in a process of its own
def test_check_of_the_real_articles_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main([]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("10 artikler, 0 feil, 0 advarsler")


def test_committed_schema_is_up_to_date() -> None:
    assert (REPO / schema.SCHEMA_PATH).read_text(encoding="utf-8") == schema.render(site.read(REPO)), \
        "run `make schema` and commit schemas/article.schema.json"


def front_of(path: Path) -> dict:
    """Front matter as an editor's YAML server sees it: dates stay text."""
    return yaml.load(path.read_text(encoding="utf-8").split("---")[1], Loader=yaml.BaseLoader)


def test_schema_accepts_every_real_article() -> None:
    validator = jsonschema.Draft7Validator(json.loads((REPO / schema.SCHEMA_PATH).read_text(encoding="utf-8")))
    paths = sorted((REPO / "docs/artikler/posts").glob("*.md"))
    assert len(paths) >= 10
    for path in paths:
        meta = front_of(path)
        meta["draft"] = {"true": True, "false": False}.get(meta.get("draft"), meta.get("draft"))
        assert not list(validator.iter_errors({k: v for k, v in meta.items() if k != "draft" or v is not None})), path


@pytest.mark.parametrize(("key", "value"), [
    ("catgories", ["Coaching"]), ("description", "x" * 161), ("categories", ["Salg"]), ("authors", ["ola"]),
    ("slug", "Møte På"), ("date", "snart"),
])
def test_schema_rejects_what_the_build_rejects(key: str, value: object) -> None:
    validator = jsonschema.Draft7Validator(json.loads((REPO / schema.SCHEMA_PATH).read_text(encoding="utf-8")))
    assert list(validator.iter_errors({"title": "T", "description": "D", "date": "2025-01-01", key: value}))
    front = frontmatter.FrontMatter("a.md", meta={"title": "T", "description": "D",
                                                  "date": datetime.date(2025, 1, 1), key: value})
    facts = site.read(REPO)
    context = frontmatter.Context(frozenset(facts.categories), frozenset(facts.authors))
    assert frontmatter.validate(front, context) or frontmatter.unknown_keys(front)
