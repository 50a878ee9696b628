"""Unit tests for hub/frontmatter.py: reading front matter and the declared schema."""

import pytest

from hub import frontmatter
from hub.frontmatter import Context, Problem

CONTEXT = Context(categories=frozenset({"Coaching", "Forhandling"}), authors=frozenset({"kari"}))
VALID = "---\ntitle: Tittel\ndescription: Kort ingress.\ndate: 2025-03-14\n---\n\nTekst.\n"


def problems(source: str | bytes, path: str = "docs/a.md") -> list[str]:
    raw = source.encode("utf-8") if isinstance(source, str) else source
    front = frontmatter.read(path, raw)
    return [str(problem) for problem in frontmatter.validate(front, CONTEXT)]


def test_valid_article_has_no_problems() -> None:
    assert problems(VALID) == []


@pytest.mark.parametrize(("line", "expected"), [
    ("description: " + "x" * 212, "docs/a.md:3: description: is 212 characters, the limit is 160"),
    ("date: 2025-02-30", "docs/a.md:4: date: '2025-02-30' is not a real date; write it as YYYY-MM-DD with a month "
                         "from 01 to 12 and a day that month has, e.g. 2025-03-14"),
    ("date: '2025-02-03'", "docs/a.md:4: date: '2025-02-03' is text, not a date; remove any quotes, and write a time "
                           "with seconds, e.g. 2025-03-14 or 2025-03-14 08:30:00"),
    ("date: 2025-02-03 08:30", "docs/a.md:4: date: '2025-02-03 08:30' is text, not a date; remove any quotes, and "
                               "write a time with seconds, e.g. 2025-03-14 or 2025-03-14 08:30:00"),
    ("date: snart", "docs/a.md:4: date: 'snart' is not a date; write it as YYYY-MM-DD, e.g. 2025-03-14"),
    ("title: ''", "docs/a.md:2: title: must be a non-empty text; put it in quotes if it starts with a special character"),
])
def test_bad_values_name_line_and_field(line: str, expected: str) -> None:
    key = line.split(":")[0]
    lines = [existing if not existing.startswith(key + ":") else line for existing in VALID.splitlines()]
    assert problems("\n".join(lines) + "\n") == [expected]


@pytest.mark.parametrize(("extra", "expected"), [
    ("categories: [Salg]", "docs/a.md:5: categories: 'Salg' is not an allowed category; choose from: Coaching, Forhandling"),
    ("authors: [ola]", "docs/a.md:5: authors: 'ola' is not an allowed author; choose from: kari"),
    ("slug: Møte På", "docs/a.md:5: slug: 'Møte På' is not a slug: use lowercase a-z, digits and single hyphens; "
                      "for example 'mote-pa'"),
    ("draft: kanskje", "docs/a.md:5: draft: 'kanskje' must be true or false"),
    ("tags: [coaching, coaching]", "docs/a.md:5: tags: lists the same value twice"),
])
def test_optional_keys_are_checked(extra: str, expected: str) -> None:
    assert problems(VALID.replace("---\n\n", extra + "\n---\n\n", 1)) == [expected]


def test_missing_required_keys_are_all_reported() -> None:
    assert problems("---\ntitle: Bare tittel\n---\nTekst\n") == [
        "docs/a.md:1: description: is missing; add a line 'description: …' to the front matter",
        "docs/a.md:1: date: is missing; add a line 'date: …' to the front matter",
    ]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"", "docs/a.md:1: the file is empty; it needs front matter between two '---' lines and a text"),
    (b"---\ntitle: x\n\xff\n---\n", "docs/a.md:3: the file is not UTF-8 text; save it again as UTF-8 in your editor"),
    (b"Bare tekst\n", "docs/a.md:1: no front matter; start the file with '---', the keys title, description and "
                      "date, and another '---'"),
    (b"---\n- en\n- liste\n---\n", "docs/a.md:2: the front matter must be a list of 'key: value' lines"),
])
def test_unreadable_files_are_reported_not_raised(raw: bytes, expected: str) -> None:
    assert problems(raw) == [expected]


def test_broken_yaml_names_the_line() -> None:
    [message] = problems(b"---\ntitle: [ugyldig\ndate: 2025-01-01\n---\n")
    # The parser's own words differ between libyaml and pure PyYAML; the frame is ours.
    assert message.startswith("docs/a.md:3: the front matter is not valid YAML (")
    assert message.endswith("); check quotes and indentation, and put values with ':' in quotes")


def test_unknown_keys_suggest_the_closest_known_key() -> None:
    front = frontmatter.read("docs/a.md", VALID.replace("---\n\n", "catgories: [Coaching]\n---\n\n", 1).encode())
    assert frontmatter.unknown_keys(front) == [Problem(
        "docs/a.md", 5, "catgories", "is not a known front-matter key and is ignored; did you mean 'categories'?")]


def test_duplicate_slugs_name_both_files() -> None:
    first = frontmatter.read("docs/b.md", VALID.encode())
    second = frontmatter.read("docs/a.md", VALID.replace("title: Tittel", "title: Annen\nslug: tittel").encode())
    assert [str(problem) for problem in frontmatter.duplicate_slugs([first, second])] == [
        "docs/b.md:1: slug: 'tittel' is already used by docs/a.md; give one of them another slug"]
