"""Every front-matter rule, through a real strict build of a small site: exact message, no traceback."""

from __future__ import annotations

import pytest

VALID = "---\ntitle: Tittel\ndescription: Kort ingress.\ndate: 2025-03-14\nslug: {slug}\n{extra}---\n\nTekst.\n"


def source(slug: str = "a", extra: str = "") -> str:
    return VALID.format(slug=slug, extra=extra)


@pytest.mark.parametrize(("text", "message"), [
    (source(extra="categories: [Salg]\n"),
     "docs/artikler/posts/a.md:6: categories: 'Salg' is not an allowed category; choose from: Coaching, "
     "Forhandling, KPI og oppfølging, Motivasjon, Prospektering, Rekruttering, Salgsledelse"),
    (source(extra="authors: [ola]\n"), "docs/artikler/posts/a.md:6: authors: 'ola' is not an allowed author; "
                                       "choose from: kari"),
    (source().replace("Kort ingress.", "x" * 212),
     "docs/artikler/posts/a.md:3: description: is 212 characters, the limit is 160"),
    (source().replace("2025-03-14", "2025-02-30"),
     "docs/artikler/posts/a.md:4: date: '2025-02-30' cannot be read (day is out of range for month); "
     "dates are written YYYY-MM-DD"),
    (source().replace("2025-03-14", "'2025-03-14'"),
     "docs/artikler/posts/a.md:4: date: '2025-03-14' is in quotes, so it is text, not a date; remove the quotes"),
    (source(slug="Møte På"), "docs/artikler/posts/a.md:5: slug: 'Møte På' is not a slug: use lowercase a-z, "
                             "digits and single hyphens; for example 'mote-pa'"),
    (source(extra="draft: kanskje\n"), "docs/artikler/posts/a.md:6: draft: 'kanskje' must be true or false"),
    (source(extra="related: ja\n"), "docs/artikler/posts/a.md:6: related: must be false (no related articles) "
                                    "or a list of slugs or file names"),
    (source(extra="cta:\n  boking: true\n"),
     "docs/artikler/posts/a.md:6: cta: 'boking' is not a known block; use booking and newsletter"),
    (source(extra="redirect_from: [Gammel Adresse]\n"),
     "docs/artikler/posts/a.md:6: redirect_from: 'Gammel Adresse' is not a slug"),
    ("---\ntitle: [ugyldig\n---\n\nTekst.\n", "docs/artikler/posts/a.md:3: the front matter is not valid YAML ("),
    ("", "docs/artikler/posts/a.md:1: the file is empty; it needs front matter between two '---' lines and a text"),
    ("Bare tekst.\n", "docs/artikler/posts/a.md:1: no front matter; start the file with '---'"),
    (b"---\ntitle: \xe6rlig\n---\n", "docs/artikler/posts/a.md:2: the file is not UTF-8 text; save it again as "
                                    "UTF-8 in your editor"),
])
def test_each_rule_fails_the_build_with_its_message(small_site, text: str | bytes, message: str) -> None:
    build = small_site({"artikler/posts/a.md": text})
    assert build.returncode != 0
    assert message in build.output
    assert "Traceback" not in build.output


def test_duplicate_slugs_name_both_files(small_site) -> None:
    build = small_site({"artikler/posts/a.md": source(slug="samme"), "artikler/posts/b.md": source(slug="samme")})
    assert build.returncode != 0
    assert "docs/artikler/posts/b.md:5: slug: 'samme' is already used by docs/artikler/posts/a.md" in build.output


def test_all_problems_in_all_files_are_reported_in_one_run(small_site) -> None:
    build = small_site({
        "artikler/posts/a.md": source(extra="categories: [Salg]\n").replace("Kort ingress.", "x" * 170),
        "artikler/posts/b.md": "---\ntitle: Uten resten\n---\n\nTekst.\n",
        "artikler/posts/c.md": "",
    })
    assert build.returncode != 0
    lines = [line.strip() for line in build.output.splitlines() if line.strip().startswith("docs/")]
    assert lines == [
        "docs/artikler/posts/a.md:3: description: is 170 characters, the limit is 160",
        "docs/artikler/posts/a.md:6: categories: 'Salg' is not an allowed category; choose from: Coaching, "
        "Forhandling, KPI og oppfølging, Motivasjon, Prospektering, Rekruttering, Salgsledelse",
        "docs/artikler/posts/b.md:1: date: is missing; add a line 'date: …' to the front matter",
        "docs/artikler/posts/b.md:1: description: is missing; add a line 'description: …' to the front matter",
        "docs/artikler/posts/c.md:1: the file is empty; it needs front matter between two '---' lines and a text",
    ]
    assert "5 problem(s) in article front matter" in build.output and "Traceback" not in build.output
