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
    ("description: " + "x" * 212, "docs/a.md:3: description: er 212 tegn, grensen er 160"),
    ("date: 2025-02-30", "docs/a.md:4: date: '2025-02-30' er ikke en dato som finnes; skriv den som ÅÅÅÅ-MM-DD med måned 01–12 "
                         "og en dag måneden har, for eksempel 2025-03-14"),
    ("date: '2025-02-03'", "docs/a.md:4: date: '2025-02-03' er tekst, ikke en dato; fjern eventuelle anførselstegn, og skriv "
                           "klokkeslett med sekunder, for eksempel 2025-03-14 eller 2025-03-14 08:30:00"),
    ("date: 2025-02-03 08:30", "docs/a.md:4: date: '2025-02-03 08:30' er tekst, ikke en dato; fjern eventuelle anførselstegn, og "
                               "skriv klokkeslett med sekunder, for eksempel 2025-03-14 eller 2025-03-14 08:30:00"),
    ("date: snart", "docs/a.md:4: date: 'snart' er ikke en dato; skriv den som ÅÅÅÅ-MM-DD, for eksempel 2025-03-14"),
    ("title: ''", "docs/a.md:2: title: må være en tekst som ikke er tom; sett den i anførselstegn hvis den begynner med et spesialtegn"),
])
def test_bad_values_name_line_and_field(line: str, expected: str) -> None:
    key = line.split(":")[0]
    lines = [existing if not existing.startswith(key + ":") else line for existing in VALID.splitlines()]
    assert problems("\n".join(lines) + "\n") == [expected]


@pytest.mark.parametrize(("extra", "expected"), [
    ("categories: [Salg]", "docs/a.md:5: categories: 'Salg' er ikke tillatt her; velg blant: Coaching, Forhandling"),
    ("authors: [ola]", "docs/a.md:5: authors: 'ola' er ikke tillatt her; velg blant: kari"),
    ("slug: Møte På", "docs/a.md:5: slug: 'Møte På' er ikke en slug: bruk små bokstaver a–z, tall og enkle "
                      "bindestreker; for eksempel 'mote-pa'"),
    ("draft: kanskje", "docs/a.md:5: draft: 'kanskje' må være true eller false"),
    ("tags: [coaching, coaching]", "docs/a.md:5: tags: har samme verdi to ganger"),
])
def test_optional_keys_are_checked(extra: str, expected: str) -> None:
    assert problems(VALID.replace("---\n\n", extra + "\n---\n\n", 1)) == [expected]


def test_missing_required_keys_are_all_reported() -> None:
    assert problems("---\ntitle: Bare tittel\n---\nTekst\n") == [
        "docs/a.md:1: description: mangler; legg til en linje 'description: …' i front matter",
        "docs/a.md:1: date: mangler; legg til en linje 'date: …' i front matter",
    ]


@pytest.mark.parametrize(("raw", "expected"), [
    (b"", "docs/a.md:1: filen er tom; den trenger front matter mellom to linjer med '---', og en tekst"),
    (b"---\ntitle: x\n\xff\n---\n", "docs/a.md:3: filen er ikke UTF-8-tekst; lagre den på nytt som UTF-8 i redigeringsprogrammet"),
    (b"Bare tekst\n", "docs/a.md:1: mangler front matter; begynn filen med '---', nøklene title, description og "
                      "date, og en ny '---'"),
    (b"---\n- en\n- liste\n---\n", "docs/a.md:2: front matter må bestå av linjer med «nøkkel: verdi»"),
])
def test_unreadable_files_are_reported_not_raised(raw: bytes, expected: str) -> None:
    assert problems(raw) == [expected]


def test_broken_yaml_names_the_line() -> None:
    [message] = problems(b"---\ntitle: [ugyldig\ndate: 2025-01-01\n---\n")
    # Our words, not the parser's (libyaml and pure PyYAML word it differently), and the line.
    assert message.startswith("docs/a.md:3: front matter er ikke gyldig YAML;")
    assert message.endswith("sjekk innrykk og anførselstegn på denne linjen eller linjen over, og sett verdier som "
                            "inneholder ':' i anførselstegn")


def test_unknown_keys_suggest_the_closest_known_key() -> None:
    front = frontmatter.read("docs/a.md", VALID.replace("---\n\n", "catgories: [Coaching]\n---\n\n", 1).encode())
    assert frontmatter.unknown_keys(front) == [Problem(
        "docs/a.md", 5, "catgories", "er ikke en kjent nøkkel i front matter og blir ikke brukt; mente du 'categories'?")]


def test_duplicate_slugs_name_both_files() -> None:
    first = frontmatter.read("docs/b.md", VALID.encode())
    second = frontmatter.read("docs/a.md", VALID.replace("title: Tittel", "title: Annen\nslug: tittel").encode())
    assert [str(problem) for problem in frontmatter.duplicate_slugs([first, second])] == [
        "docs/b.md:1: slug: 'tittel' brukes allerede av docs/a.md; gi en av dem en annen slug"]
