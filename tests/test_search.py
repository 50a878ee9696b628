"""Unit tests for hub/search.py: the Norwegian forms a search entry gets, on small fake entries."""

from __future__ import annotations

import re

import pytest

from hub.search import (FIELDS, Vocabulary, client_rules, compound_parts, entry_forms, field_boosts, forms,
                        words)
from hub.text import Stemmer

STEMMER = Stemmer()


def vocabulary(*texts: str) -> Vocabulary:
    return Vocabulary.of(texts, STEMMER)


def test_words_are_the_text_of_an_index_value() -> None:
    """Index values are HTML: tags go, entities are decoded, case is dropped, digits are not words."""
    assert words("<p>Salg &amp; <code>Møte</code> i 2025</p>") == ["salg", "møte", "i"]


def test_the_vocabulary_keeps_content_words_and_their_stems() -> None:
    known = vocabulary("<p>Selgere og salgsledere på et møte</p>")
    assert known.words == {"selgere", "salgsledere", "møte"}  # "og", "på", "et": stop words or too short
    assert {"selger", "salgsleder", "møt"} <= known.stems
    assert known.ending_count("ere") == 2 and known.ending_count("te") == 1 and known.ending_count("x") == 0


@pytest.mark.parametrize(("word", "texts", "parts"), [
    ("salgsleder", ["salg", "leder"], ["leder"]),                  # a linking s
    ("salgslederens", ["salg", "ledere"], ["lederens"]),           # a part known by its stem
    ("kundemøte", ["kunde", "møte"], ["møte"]),
    ("salgsledermøte", ["salg", "leder", "møte"], ["møte"]),       # a compound as the first part
    ("rabattpanikk", ["rabatt"], ["panikk"]),                      # a part the site never uses alone
    ("salgsleder", ["salg"], []),                                  # never "sleder"
    ("vurdering", ["ring", "vurdere"], []),                        # "vurde" is no word: no "ring"
    ("stillinger", ["still"], []),                                 # "inger" opens with a vowel
    ("ferdigheter", ["ferdig", "ferdigheter", "muligheter", "rettigheter"], []),  # a shared ending
    ("pipeline", ["pipeline"], []),
])
def test_compound_parts(word: str, texts: list[str], parts: list[str]) -> None:
    assert compound_parts(word, vocabulary(*texts), STEMMER) == parts


def test_forms_are_ascii_spellings_and_parts_the_text_does_not_show() -> None:
    known = vocabulary("møte booking telefon salg")
    text = "<p>Møtebooking på telefon, og telefonsalg for møtebooking.</p>"
    # "på" is a stop word (no "pa"); "telefon" is written already; each form once, in the text's order.
    assert forms(text, known, STEMMER) == "motebooking booking salg"


def test_forms_take_the_words_of_hidden_text_the_text_lacks() -> None:
    known = vocabulary("coaching samtale")
    assert forms("<p>Samtalen</p>", known, STEMMER, hidden="En årlig coachingsamtale.") == \
        "årlig arlig coachingsamtale samtale"
    assert forms("<p>Samtalen</p>", known, STEMMER) == ""


def test_entry_forms_name_a_field_for_each_field_with_forms() -> None:
    known = vocabulary("møte booking telefon salg")
    entry = {"location": "artikler/a/", "title": "Møtebooking", "text": "<p>Ring kunden.</p>",
             "tags": ["telefonsalg", "møtebooking"]}
    assert entry_forms(entry, known, STEMMER, description="Ærlig møte.") == {
        "title_forms": "motebooking booking",
        "text_forms": "ærlig aerlig møte mote",
        "tags_forms": "salg motebooking booking",
    }
    assert entry_forms({"location": "b/", "title": "Salg", "text": ""}, known, STEMMER) == {}


# Index values as Material writes them (escaped HTML), and descriptions as front matter gives them (raw).
HOSTILE = [
    "<p>&lt;img src=x onerror=alert('xss')&gt; &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; Møte</p>",
    "Pris &lt;/script&gt;&lt;script&gt;alert('xss-title')&lt;/script&gt; &amp; «sitat» på ærlig vis",
]
RAW = [
    "Beskrivelse \"><img src=x onerror=alert('xss-desc')> slutt <!-- møte --> «årlig»",
    "<b onmouseover=alert('xss-tag')>tag</b> javascript:alert(1) {{ config.site_name }} ${x} `y` &lt;øre&gt;",
]


@pytest.mark.parametrize(("value", "hidden"), [(value, hidden) for value in HOSTILE for hidden in ["", *RAW]])
def test_forms_of_hostile_values_are_only_words(value: str, hidden: str) -> None:
    """Whatever a page or its description says, a form is a run of letters: nothing an HTML parser acts on."""
    found = forms(value, vocabulary(*HOSTILE, *RAW), STEMMER, hidden=hidden)
    assert found, "the hostile values do give forms (æ, ø and å have ASCII spellings)"
    assert all(re.fullmatch(r"[^\W\d_]+", form) for form in found.split(" ")), found


def test_the_forms_fields_weigh_what_their_source_fields_weigh() -> None:
    fields = {"title": {"boost": 1000.0}, "text": {"boost": 1.0}, "tags": {"boost": 1e6}}
    assert field_boosts(fields) == {**fields, "title_forms": {"boost": 1000.0}, "text_forms": {"boost": 1.0},
                                    "tags_forms": {"boost": 1e6}}
    assert FIELDS == ("title", "text", "tags")


def test_the_browser_gets_the_query_rules() -> None:
    assert client_rules() == {"endings": ["ern", "er"], "minStem": 3}
