"""Unit tests for hub/catalogue.py: what an article is, .meta.yml merged and validated, typed records.

The same table of front-matter values is run through the build's checks and
the generated JSON Schema, which must agree in both directions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from hub import catalogue, frontmatter, site

CATEGORIES = ("Coaching", "Salgsledelse")
AUTHORS = {"authors": {"kari": {"name": "Kari Berg", "description": "Rådgiver", "avatar": "kari.svg"}}}


def layout(root: Path, **changes: object) -> catalogue.Layout:
    values = {"root": root, "docs": root / "docs", "posts": "artikler/posts", "authors_file": "artikler/.authors.yml",
              "categories": CATEGORIES, "words_per_minute": 200, **changes}
    return catalogue.Layout(**values)  # type: ignore[arg-type]


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in {"artikler/.authors.yml": yaml.safe_dump(AUTHORS), **files}.items():
        target = root / "docs" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def front(**meta: object) -> str:
    values = {"title": "Tittel", "description": "Ingress.", "date": dt.date(2025, 3, 14), **meta}
    return "---\n" + yaml.safe_dump(values, allow_unicode=True, sort_keys=False) + "---\n\nTekst her.\n"


def load(root: Path, files: dict[str, str], **changes: object) -> catalogue.Catalogue:
    write(root, files)
    shape = layout(root, **changes)
    return catalogue.load(shape, catalogue.docs_uris(shape))


# -----------------------------------------------------------------------------
# What an article is
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("uri", "expected"), [
    ("artikler/posts/a.md", True),
    ("artikler/posts/2025/a.md", True),
    ("artikler/posts/2025/mars/a.md", True),
    ("artikler/posts/bilde.png", False),
    ("artikler/posts.md", False),
    ("artikler/postsgammel/a.md", False),
    ("artikler/index.md", False),
    ("om.md", False),
])
def test_an_article_is_markdown_anywhere_under_the_post_folder(tmp_path: Path, uri: str, expected: bool) -> None:
    assert layout(tmp_path).is_article(uri) is expected


def test_the_layout_comes_from_the_blog_plugins_own_settings(tmp_path: Path) -> None:
    shape = catalogue.Layout.from_blog(tmp_path, tmp_path / "innhold", {"blog_dir": "blogg", "post_dir": "{blog}/innlegg",
                                                                      "post_readtime_words_per_minute": 180})
    assert (shape.posts, shape.authors_file, shape.words_per_minute) == ("blogg/innlegg", "blogg/.authors.yml", 180)
    assert shape.is_article("blogg/innlegg/2024/a.md") and not shape.is_article("blogg/a.md")


def test_the_tools_and_the_build_read_the_same_layout_from_mkdocs_yml() -> None:
    facts = site.read()
    assert facts.layout.posts == "artikler/posts" and facts.layout.meta_file == ".meta.yml"
    assert facts.layout.categories and facts.layout.words_per_minute == 230


def test_subfolder_articles_are_read_and_hidden_folders_are_not(tmp_path: Path) -> None:
    articles = load(tmp_path, {"artikler/posts/a.md": front(slug="a"), "artikler/posts/2025/b.md": front(slug="b"),
                               "artikler/posts/.utkast/c.md": front(slug="c")})
    assert [article.src_uri for article in articles.articles] == ["artikler/posts/2025/b.md", "artikler/posts/a.md"]
    assert articles.problems == ()


# -----------------------------------------------------------------------------
# .meta.yml
# -----------------------------------------------------------------------------


def test_meta_yml_values_are_merged_under_the_articles_own(tmp_path: Path) -> None:
    articles = load(tmp_path, {
        "artikler/posts/.meta.yml": "template: article.html\ntags: [salg]\ncategories: [Coaching]\n",
        "artikler/posts/2025/.meta.yml": "tags: [år-2025]\n",
        "artikler/posts/2025/a.md": front(tags=["coaching"], categories=["Salgsledelse"]),
    })
    record = articles.get("artikler/posts/2025/a.md")
    assert record is not None, articles.problems
    # As Material's meta plugin merges them: lists extended, outer folders first, the article last.
    assert record.tags == ("salg", "år-2025", "coaching")
    assert record.categories == ("Coaching", "Salgsledelse")
    assert record.meta["template"] == "article.html" and "template" not in record.own


@pytest.mark.parametrize(("meta_yml", "expected"), [
    ("categories: [Ukjent]\n", "docs/artikler/posts/.meta.yml:1: categories: 'Ukjent' er ikke tillatt her"),
    ("tags: salg\n", "docs/artikler/posts/.meta.yml:1: tags: er en tekst, ikke en liste"),
    ("template: ../hemmelig\n", "docs/artikler/posts/.meta.yml:1: template: '../hemmelig' må være filnavnet til en mal"),
    ("draft: kanskje\n", "docs/artikler/posts/.meta.yml:1: draft: 'kanskje' må være true eller false"),
    ("\n\ncatgories: [Coaching]\n", "docs/artikler/posts/.meta.yml:3: catgories: er ikke en kjent nøkkel i front matter"),
    ("tags: [salg\n", "docs/artikler/posts/.meta.yml:2: filen er ikke gyldig YAML"),
])
def test_meta_yml_values_are_validated_like_the_articles_own(tmp_path: Path, meta_yml: str, expected: str) -> None:
    articles = load(tmp_path, {"artikler/posts/.meta.yml": meta_yml, "artikler/posts/a.md": front()})
    found = [str(problem) for problem in (*articles.problems, *articles.warnings)]
    assert any(line.startswith(expected) for line in found), found


def test_a_type_clash_between_meta_yml_and_article_names_both(tmp_path: Path) -> None:
    articles = load(tmp_path, {"artikler/posts/.meta.yml": "related: [b]\n",
                               "artikler/posts/a.md": front(related=False)})
    assert [str(problem) for problem in articles.problems] == [
        "docs/artikler/posts/a.md:5: related: har en annen type enn i docs/artikler/posts/.meta.yml (linje 1), så "
        "de kan ikke slås sammen; bruk samme slags verdi begge steder"]


# -----------------------------------------------------------------------------
# Records
# -----------------------------------------------------------------------------


def test_records_are_typed_and_immutable(tmp_path: Path) -> None:
    articles = load(tmp_path, {"artikler/posts/a.md": front(tags=["x"], related=["b"],
                                                           cta={"newsletter": {"heading": "Hei"}}),
                               "artikler/posts/b.md": front(title="Annen")})
    record = articles.get("artikler/posts/a.md")
    assert record is not None, articles.problems
    assert (record.slug, record.slug_pinned, record.tags, record.related) == ("tittel", False, ("x",), ("b",))
    assert set(record.cta) == {"newsletter"} and record.cta["newsletter"]["heading"] == "Hei"
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.title = "Ny"  # type: ignore[misc]
    with pytest.raises(TypeError):
        record.meta["title"] = "Ny"  # type: ignore[index]
    with pytest.raises(AttributeError):
        record.meta["tags"].append("y")


@pytest.mark.parametrize(("written", "expected"), [
    ("2025-03-14", "2025-03-14T08:00:00+01:00"),  # a bare date: 08:00 in Oslo, winter time
    ("2025-06-14", "2025-06-14T08:00:00+02:00"),  # summer time
    ("2025-06-14 13:30:00", "2025-06-14T13:30:00+02:00"),  # a time without a zone is Oslo time
    ("2025-06-14T13:30:00+00:00", "2025-06-14T13:30:00+00:00"),  # a zone written wins
    ("2025-10-26 02:30:00", "2025-10-26T02:30:00+02:00"),  # the repeated hour when summer time ends: the first
])
def test_the_moment_of_a_date(written: str, expected: str) -> None:
    value = yaml.safe_load(f"date: {written}")["date"]
    assert catalogue.moment(value).isoformat() == expected


def test_unpublished_means_draft_or_not_yet_due(tmp_path: Path) -> None:
    articles = load(tmp_path, {"artikler/posts/a.md": front(slug="a"), "artikler/posts/b.md": front(slug="b", draft=True),
                               "artikler/posts/c.md": front(slug="c", date=dt.date(2025, 3, 15))})
    before_eight = dt.datetime(2025, 3, 15, 6, 59, tzinfo=dt.timezone.utc)  # 07:59 in Oslo
    after_eight = dt.datetime(2025, 3, 15, 7, 0, tzinfo=dt.timezone.utc)
    assert [article.slug for article in articles.published(before_eight)] == ["a"]
    assert [article.slug for article in articles.published(after_eight)] == ["a", "c"]
    assert articles.newest_date(after_eight) == dt.datetime(2025, 3, 15, 7, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(("body", "minutes"), [
    ("ord " * 200, 1),
    ("ord " * 201, 2),
    ("ord " * 150 + "\n\n![bilde](a.png)\n", 1),  # 45 s of text and 12 s for the image: still a minute
    ("ord " * 150 + "\n\n![a](a.png) ![b](b.png)\n", 2),  # 45 + 12 + 11 s
    ("```\n" + "kode " * 1000 + "\n```\nord\n", 1),  # code is not read like prose
])
def test_reading_minutes(tmp_path: Path, body: str, minutes: int) -> None:
    assert catalogue.reading_minutes(body, layout(tmp_path)) == minutes


def test_a_written_readtime_wins(tmp_path: Path) -> None:
    articles = load(tmp_path, {"artikler/posts/a.md": front(readtime=7)})
    assert articles.articles[0].reading_minutes == 7


# -----------------------------------------------------------------------------
# Authors
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("authors_yml", "expected"), [
    ("authors:\n  kari: Kari Berg\n", "docs/artikler/.authors.yml:2: authors.kari: må ha name, description og avatar"),
    ("authors:\n  kari:\n    name: Kari\n    description: Rådgiver\n",
     "docs/artikler/.authors.yml:2: authors.kari.avatar: mangler"),
    ("authors:\n  kari:\n    name: Kari\n   description: x\n", "docs/artikler/.authors.yml:4: filen er ikke gyldig YAML"),
    ("- kari\n", "docs/artikler/.authors.yml:1: filen må bestå av linjer med «nøkkel: verdi»"),
    ("forfattere: {}\n", "docs/artikler/.authors.yml:1: authors: må knytte hver forfatter-id"),
])
def test_broken_authors_files_name_the_line_and_the_author(tmp_path: Path, authors_yml: str, expected: str) -> None:
    write(tmp_path, {})
    (tmp_path / "docs/artikler/.authors.yml").write_text(authors_yml, encoding="utf-8")
    _, problems = catalogue.read_authors(layout(tmp_path))
    assert [str(problem) for problem in problems][0].startswith(expected), problems


# -----------------------------------------------------------------------------
# The build's checks and the editor's JSON Schema agree, in both directions
# -----------------------------------------------------------------------------

CONTEXT = frontmatter.Context(categories=frozenset(CATEGORIES), authors=frozenset({"kari"}))
VALID = {"title": "Tittel", "description": "Ingress.", "date": dt.date(2025, 3, 14)}

# key, value as YAML, and whether both must accept it.
TABLE = [
    ("title", "Salgsledelse i praksis", True), ("title", "''", False), ("title", "'   '", False),
    ("title", "42", False), ("title", "[a]", False),
    ("description", "'" + "x" * 160 + "'", True), ("description", "'" + "x" * 161 + "'", False),
    ("description", "null", False),
    ("date", "2025-03-14", True), ("date", "2025-03-14 08:30:00", True), ("date", "2025-03-14 08:30", False),
    ("date", "2025-03-14T08:30:00+01:00", True), ("date", "{created: 2025-03-14}", True),

    ("date", "{created: 2025-03-14, updated: 2025-04-01}", True), ("date", "snart", False),
    ("date", "{updated: 2025-04-01}", False), ("date", "{created: 2025-03-14, endret: 2025-04-01}", False),
    ("slug", "kpi-er-som-styrer", True), ("slug", "Møte På", False), ("slug", "a--b", False), ("slug", "'1'", True),
    ("slug", "1", False),
    ("authors", "[kari]", True), ("authors", "[]", True), ("authors", "kari", False), ("authors", "[ola]", False),
    ("authors", "[kari, kari]", False), ("authors", "{kari: 1}", False),
    ("categories", "[Coaching]", True), ("categories", "Coaching", False), ("categories", "[Salg]", False),
    ("tags", "[coaching, feedback]", True), ("tags", "coaching, feedback", False), ("tags", "['']", False),
    ("tags", "[a, a]", False), ("tags", "[1]", False),
    ("draft", "true", True), ("draft", "'true'", False), ("draft", "ja", False),
    ("pin", "false", True), ("pin", "1", False),
    ("image", "bilder/a.jpg", True), ("image", "''", False),
    ("image_alt", "Et bilde", True), ("image_alt", "' '", False),
    ("related", "false", True), ("related", "[a, b]", True), ("related", "true", False), ("related", "[]", False),
    ("related", "[a, a]", False), ("related", "a", False),
    ("cta", "false", True), ("cta", "true", True), ("cta", "{booking: false}", True),
    ("cta", "{booking: {heading: Hei}}", True), ("cta", "{booking: {heading: ''}}", False),
    ("cta", "{kalender: true}", False), ("cta", "ja", False),
    ("redirect_from", "[gammel-adresse]", True), ("redirect_from", "gammel-adresse", False),
    ("redirect_from", "[]", False), ("redirect_from", "[Gammel]", False), ("redirect_from", "[a, a]", False),
    ("template", "article.html", True), ("template", "../x.html", False), ("template", "article", False),
    ("hide", "[toc, navigation]", True), ("hide", "[sidebar]", False), ("hide", "toc", False),
    ("search", "{boost: 2}", True), ("search", "{exclude: true}", True), ("search", "{boost: mye}", False),
    ("search", "{boost: 0}", False), ("search", "{vekt: 2}", False),
    ("readtime", "5", True), ("readtime", "0", False), ("readtime", "'5'", False), ("readtime", "true", False),
    ("comments", "true", True), ("comments", "ja", False),
    ("catgories", "[Coaching]", False),  # unknown: a warning, and --strict fails on it
]


def _as_json(value: object) -> object:
    """A YAML value as an editor sends it to the schema: dates become ISO text."""
    return json.loads(json.dumps(value, default=lambda moment: moment.isoformat()))


def _schema() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(frontmatter.json_schema(CONTEXT))


@pytest.mark.parametrize(("key", "written", "valid"), TABLE)
def test_checks_and_schema_agree(key: str, written: str, valid: bool) -> None:
    value = yaml.load(f"value: {written}", Loader=yaml.SafeLoader)["value"]
    meta = {**VALID, key: value}
    build_accepts = not frontmatter.validate(frontmatter.FrontMatter("a.md", meta=meta), CONTEXT) \
        and not frontmatter.unknown_keys(frontmatter.FrontMatter("a.md", meta=meta))
    schema_accepts = not list(_schema().iter_errors(_as_json(meta)))
    assert (build_accepts, schema_accepts) == (valid, valid)


def test_the_table_covers_every_declared_key() -> None:
    assert {key for key, _, _ in TABLE} >= set(frontmatter.FIELDS)
    for key in frontmatter.FIELDS:
        assert {valid for name, _, valid in TABLE if name == key} == {True, False}, key


@pytest.mark.parametrize("date", ["'2025-03-14'", "{created: '2025-03-14'}", "{created: 2025-03-14, updated: '2025-04-01'}"])
def test_a_quoted_date_is_the_one_thing_only_the_build_sees(date: str) -> None:
    # An editor's YAML server reads both spellings as the same text, so the
    # schema cannot tell them apart; the build can, and refuses the quoted one
    # (Material would stop on it with an English error).
    quoted = {**VALID, "date": yaml.safe_load(f"date: {date}")["date"]}
    assert frontmatter.validate(frontmatter.FrontMatter("a.md", meta=quoted), CONTEXT)
    assert not list(_schema().iter_errors(_as_json(quoted)))


@pytest.mark.parametrize("date", ["2025-13-01", "2025-02-30", "2025-00-10"])
def test_a_date_that_does_not_exist_gets_our_own_words(date: str) -> None:
    read = frontmatter.read("docs/a.md", f"---\ntitle: T\ndate: {date}\n---\n".encode())
    assert [str(problem) for problem in read.problems] == [
        f"docs/a.md:3: date: '{date}' er ikke en dato som finnes; skriv den som ÅÅÅÅ-MM-DD med måned 01–12 og en "
        "dag måneden har, for eksempel 2025-03-14"]
