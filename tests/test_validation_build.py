"""Every front-matter rule, through a real strict build of a small site: exact message, no traceback."""

from __future__ import annotations

import pytest

VALID = "---\ntitle: Tittel\ndescription: Kort ingress.\ndate: 2025-03-14\nslug: {slug}\n{extra}---\n\nTekst.\n"


def source(slug: str = "a", extra: str = "") -> str:
    return VALID.format(slug=slug, extra=extra)


@pytest.mark.parametrize(("text", "message"), [
    (source(extra="categories: [Salg]\n"),
     "docs/artikler/posts/a.md:6: categories: 'Salg' er ikke tillatt her; velg blant: Coaching, "
     "Forhandling, KPI og oppfølging, Motivasjon, Prospektering, Rekruttering, Salgsledelse"),
    (source(extra="authors: [ola]\n"), "docs/artikler/posts/a.md:6: authors: 'ola' er ikke tillatt her; "
                                       "velg blant: kari"),
    (source().replace("Kort ingress.", "x" * 212),
     "docs/artikler/posts/a.md:3: description: er 212 tegn, grensen er 160"),
    (source().replace("2025-03-14", "2025-02-30"),
     "docs/artikler/posts/a.md:4: date: '2025-02-30' er ikke en dato som finnes; skriv den som ÅÅÅÅ-MM-DD med "
     "måned 01–12 og en dag måneden har, for eksempel 2025-03-14"),
    (source().replace("2025-03-14", "'2025-03-14'"),
     "docs/artikler/posts/a.md:4: date: '2025-03-14' er tekst, ikke en dato; fjern eventuelle anførselstegn"),
    (source(slug="Møte På"), "docs/artikler/posts/a.md:5: slug: 'Møte På' er ikke en slug: bruk små bokstaver a–z, "
                             "tall og enkle bindestreker; for eksempel 'mote-pa'"),
    (source(extra="draft: kanskje\n"), "docs/artikler/posts/a.md:6: draft: 'kanskje' må være true eller false"),
    (source(extra="related: ja\n"), "docs/artikler/posts/a.md:6: related: må være false (ingen liknende "
                                    "artikler) eller en liste med slugs eller filnavn"),
    (source(extra="cta:\n  boking: true\n"),
     "docs/artikler/posts/a.md:6: cta: 'boking' er ikke en kjent blokk; bruk booking og newsletter"),
    (source(extra="redirect_from: [Gammel Adresse]\n"),
     "docs/artikler/posts/a.md:6: redirect_from: 'Gammel Adresse' er ikke en slug"),
    ("---\ntitle: [ugyldig\n---\n\nTekst.\n", "docs/artikler/posts/a.md:3: front matter er ikke gyldig YAML;"),
    ("", "docs/artikler/posts/a.md:1: filen er tom; den trenger front matter mellom to linjer med '---', og en tekst"),
    ("Bare tekst.\n", "docs/artikler/posts/a.md:1: mangler front matter; begynn filen med '---'"),
    (b"---\ntitle: \xe6rlig\n---\n", "docs/artikler/posts/a.md:2: filen er ikke UTF-8-tekst; lagre den på nytt "
                                    "som UTF-8 i redigeringsprogrammet"),
])
def test_each_rule_fails_the_build_with_its_message(small_site, text: str | bytes, message: str) -> None:
    build = small_site({"artikler/posts/a.md": text})
    assert build.returncode != 0
    assert message in build.output
    assert "Traceback" not in build.output


def test_duplicate_slugs_name_both_files(small_site) -> None:
    build = small_site({"artikler/posts/a.md": source(slug="samme"), "artikler/posts/b.md": source(slug="samme")})
    assert build.returncode != 0
    assert "docs/artikler/posts/b.md:5: slug: 'samme' brukes allerede av docs/artikler/posts/a.md" in build.output


def test_all_problems_in_all_files_are_reported_in_one_run(small_site) -> None:
    build = small_site({
        "artikler/posts/a.md": source(extra="categories: [Salg]\n").replace("Kort ingress.", "x" * 170),
        "artikler/posts/b.md": "---\ntitle: Uten resten\n---\n\nTekst.\n",
        "artikler/posts/c.md": "",
    })
    assert build.returncode != 0
    lines = [line.strip() for line in build.output.splitlines() if line.strip().startswith("docs/")]
    assert lines == [
        "docs/artikler/posts/a.md:3: description: er 170 tegn, grensen er 160",
        "docs/artikler/posts/a.md:6: categories: 'Salg' er ikke tillatt her; velg blant: Coaching, "
        "Forhandling, KPI og oppfølging, Motivasjon, Prospektering, Rekruttering, Salgsledelse",
        "docs/artikler/posts/b.md:1: date: mangler; legg til en linje 'date: …' i front matter",
        "docs/artikler/posts/b.md:1: description: mangler; legg til en linje 'description: …' i front matter",
        "docs/artikler/posts/c.md:1: filen er tom; den trenger front matter mellom to linjer med '---', og en tekst",
    ]
    assert "5 feil i artiklene" in build.output and "Traceback" not in build.output
