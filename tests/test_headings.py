"""hub.headings against Python-Markdown itself: "opens with an H1" must mean what MkDocs' title extraction sees."""

from __future__ import annotations

import markdown
import pytest
from mkdocs.structure.pages import _ExtractTitleTreeprocessor

from hub.headings import opens_with_h1
from support import site_config


def title_from_render(text: str) -> str | None:
    """The title MkDocs takes from the first rendered element, with the site's own Markdown extensions."""
    names, options = [], {}
    for entry in site_config()["markdown_extensions"]:
        name, settings = next(iter(entry.items())) if isinstance(entry, dict) else (entry, {})
        names.append(name)
        options[name] = settings
    md = markdown.Markdown(extensions=names, extension_configs=options)
    extract = _ExtractTitleTreeprocessor()
    extract._register(md)
    md.convert(text)
    return extract.title


CASES = {
    "# Tittel\n\nTekst.": True,
    "\n\n   \n# Tittel": True,
    "#Tittel uten mellomrom": True,
    "# Tittel med lukking ##": True,
    "Tittel\n======\n\nTekst.": True,
    "Tittel\n===   \n": True,
    "## Mellomtittel\n\n# Tittel": False,
    "#\n\nTekst.": False,
    "# ##\n": False,
    "Ingress.\n\n# Tittel": False,
    "Tittel\n------": False,
    "```python\n# kommentar\n```\n\n# Tittel": False,
    "~~~\n# kommentar\n~~~": False,
    "   ```\n# kommentar\n   ```": False,
    "````\n```\n# kommentar\n````": False,
    "    # innrykket kode\n\nTekst.": False,
    "\t# innrykket kode": False,
    "<!-- # kommentar -->\n\n# Tittel": False,
    "<!--\n# kommentar\n-->": False,
    "<div markdown>\n# Tittel\n</div>": False,
    "> # Sitat": False,
    "- # Punkt": False,
    "1. # Punkt": False,
    "*[HTML]: HyperText\n\n# Tittel": False,
    "[lenke]: https://www.arcticsales.no/\n# Tittel": False,
    "| a |\n| - |\n| # |": False,
    "": False,
}


@pytest.mark.parametrize(("text", "expected"), CASES.items())
def test_opens_with_h1(text: str, expected: bool) -> None:
    assert opens_with_h1(text) is expected


@pytest.mark.parametrize("text", CASES)
def test_a_yes_is_always_an_h1_to_mkdocs(text: str) -> None:
    """A wrong "yes" would leave the raw title to the theme; a wrong "no" only adds a heading."""
    assert not opens_with_h1(text) or title_from_render(text)


def test_the_only_cautious_noes_are_definitions_before_the_heading() -> None:
    """Where MkDocs finds an H1 that we do not, the cost (a second heading) is known and small."""
    cautious = [text for text in CASES if title_from_render(text) and not opens_with_h1(text)]
    assert cautious == ["*[HTML]: HyperText\n\n# Tittel", "[lenke]: https://www.arcticsales.no/\n# Tittel"]
