"""Norwegian search forms: the words a reader types that an article does not spell out.

Material's search (lunr in the browser) matches every query word as a prefix
of an indexed word (it appends ``*``), and it does not stem: ``selgerne``
finds only ``selgerne…``. Two things close the gap, and they split the work:

* **At build time** (this module, through ``hooks/escaping.py``) each search
  entry gets hidden fields with the forms its words do not show: the ASCII
  spelling of every word with æ, ø or å (``møtebooking`` → ``motebooking``,
  as in ``slug.py``), and the later parts of compounds (``leder`` in
  ``salgsleder``, ``booking`` in ``møtebooking``). A compound is split only
  where its first part is a word of the site and the rest is one too (or
  shares a Snowball stem with one), so ``vurdering`` never yields ``ring``.
* **In the browser** (``overrides/assets/javascripts/workers/search-no.js``)
  each query word is cut to its *query stem*: the Snowball Norwegian stem
  (the same algorithm as PyStemmer's, shipped with Material as
  ``lunr.no.stemmer``), then one of :data:`QUERY_ENDINGS` more. A stem is a
  prefix of the word, so the prefix search finds every inflection:
  ``selgerne`` → ``selg`` finds ``selger``, ``selgere`` and ``selgeren``.
  The rules the script applies come from :func:`client_rules`, written into
  ``search_index.json``, so they are declared here once.

Every form is a run of letters, lowercased: nothing in these fields can be
markup, whatever the page says.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.slug import ascii_fold
from hub.text import STOP_WORDS, Stemmer

# The entry fields that get a hidden field of forms, each named FIELD + FORMS_SUFFIX
# ("title_forms"); a form weighs what the word it comes from weighs (the same boost).
FIELDS = ("title", "text", "tags")
FORMS_SUFFIX = "_forms"

# Endings cut from a query word's Snowball stem, the first that fits: Snowball
# takes one suffix, so "selgerne" is "selgern" and "selgere" is "selger", while
# "selger" is "selg". Cutting one more level gives all three the prefix "selg".
QUERY_ENDINGS = ("ern", "er")
# Shortest query stem, in letters (2–6, default 3): a shorter one matches too much,
# so the word is searched as typed ("kpi", "mål").
MIN_STEM = 3

# Shortest first part of a compound, and shortest later part, in letters.
MIN_HEAD = 3
MIN_TAIL = 4
# The same for a later part the site never uses alone: longer, so that fewer chance splits pass.
MIN_NEW_HEAD = 4
MIN_NEW_TAIL = 5
# A later part that ends this many words of the site or more is an ending, not a word.
MAX_ENDING_WORDS = 3
VOWELS = frozenset("aeiouyæøå")
# Letters that join the parts of a Norwegian compound ("salg-s-leder", "kund-e-møte" is "kunde-møte").
LINKERS = ("s", "e")

_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[^\W\d_]+")


def words(markup: str) -> list[str]:
    """The lowercase words of an index value: HTML tags dropped, entities decoded."""
    return _WORD.findall(html.unescape(_TAG.sub(" ", markup)).lower())


@dataclass(frozen=True)
class Vocabulary:
    """The words a site uses, and their Snowball stems: what a compound may be split into."""

    words: frozenset[str]
    stems: frozenset[str]
    backwards: tuple[str, ...]  # every word spelt backwards, sorted: words by their endings
    # Each word's compound parts, found once: a site repeats its words thousands of times.
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, texts: Iterable[str], stemmer: Stemmer | None = None, also: Iterable[str] = ()) -> Vocabulary:
        """The content words of *texts* (index values, HTML allowed) and the words *also*, stop words left out."""
        stemmer = stemmer or Stemmer()
        known = {word for text in texts for word in words(text) if len(word) >= MIN_HEAD}
        known.update(also)
        known -= STOP_WORDS
        return cls(frozenset(known), frozenset(filter(None, map(stemmer.stem, known))),
                   tuple(sorted(word[::-1] for word in known)))

    def ending_count(self, ending: str) -> int:
        """How many words of the site end in *ending*."""
        start = bisect.bisect_left(self.backwards, ending[::-1])
        return bisect.bisect_left(self.backwards, ending[::-1] + "\U0010ffff", start) - start

    def knows(self, part: str, stemmer: Stemmer) -> bool:
        """Whether *part* is a word of the site, or an inflection of one."""
        return part in self.words or (len(part) >= MIN_TAIL and stemmer.stem(part) in self.stems)


def compound_parts(word: str, vocabulary: Vocabulary, stemmer: Stemmer) -> list[str]:
    """Every later part of *word* that a reader may search for, longest first."""
    parts = []
    for cut in range(MIN_HEAD, len(word) - MIN_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        if vocabulary.knows(tail, stemmer) and _is_head(head, vocabulary, stemmer):
            parts.append(tail)
        elif _is_new_tail(head, tail, vocabulary):
            parts.append(tail)
    return parts


def _is_new_tail(head: str, tail: str, vocabulary: Vocabulary) -> bool:
    # A later part the site never uses alone ("panikk" in "rabattpanikk"): only after a
    # whole word of MIN_NEW_HEAD letters, opening as a word opens (a consonant, then a
    # vowel: never "sleder" from "salgs-leder", "inger" or "tlige"), and not an ending
    # that many words share ("heter" in "ferdigheter" and "rettigheter").
    return (len(head) >= MIN_NEW_HEAD and len(tail) >= MIN_NEW_TAIL and head in vocabulary.words
            and tail[0] not in VOWELS and tail[1] in VOWELS and not tail.startswith(LINKERS)
            and vocabulary.ending_count(tail) < MAX_ENDING_WORDS)


def _is_head(head: str, vocabulary: Vocabulary, stemmer: Stemmer, compound: bool = True) -> bool:
    # A word of the site, maybe with a linker ("salgs"), or a compound of two ("salgsleder" in "salgsledermøte").
    if head in vocabulary.words:
        return True
    base = head[:-1] if head.endswith(LINKERS) and len(head) > MIN_HEAD else head
    if base in vocabulary.words:
        return True
    return compound and any(
        _is_head(base[:cut], vocabulary, stemmer, compound=False) and vocabulary.knows(base[cut:], stemmer)
        for cut in range(MIN_HEAD, len(base) - MIN_TAIL + 1))


def forms(markup: str, vocabulary: Vocabulary, stemmer: Stemmer, hidden: str = "") -> str:
    """The hidden forms of one index value and of the *hidden* text that goes with it.

    Space-separated, each once, in the order of the text: the words of *hidden* that
    *markup* lacks, then the ASCII spelling and compound parts of every word.
    """
    seen = set(words(markup))
    found: dict[str, None] = {}
    for word in dict.fromkeys(words(markup) + words(hidden)):
        if word in STOP_WORDS:
            continue  # "på" is not "pa", and a reader never searches for it
        parts = vocabulary.parts.get(word)
        if parts is None:
            parts = vocabulary.parts[word] = tuple(compound_parts(word, vocabulary, stemmer))
        for part in (word, *parts):
            for form in (part, ascii_fold(part)):
                if form and form not in seen and form not in found:
                    found[form] = None
    return " ".join(found)


def entry_forms(entry: dict[str, object], vocabulary: Vocabulary, stemmer: Stemmer,
                description: str = "") -> dict[str, str]:
    """The hidden fields for one search entry: ``{"title_forms": "…", …}``, empty ones left out.

    A page's *description* (front matter, plain text) is what listings and search
    engines show of it, so its words go with the text of the page's first entry.
    """
    fields = {}
    for name in FIELDS:
        value = entry.get(name) or ""
        text = " ".join(value) if isinstance(value, list) else value
        hidden = description if name == "text" else ""
        extra = forms(text, vocabulary, stemmer, hidden) if isinstance(text, str) else ""
        if extra:
            fields[name + FORMS_SUFFIX] = extra
    return fields


def field_boosts(fields: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """The search fields with a forms field for each of FIELDS, weighted as its source."""
    extra = {name + FORMS_SUFFIX: {"boost": fields[name]["boost"]} for name in FIELDS if name in fields}
    return {**fields, **extra}


def client_rules() -> dict[str, object]:
    """What the browser needs to cut query words as this module expects (search-no.js)."""
    return {"endings": list(QUERY_ENDINGS), "minStem": MIN_STEM}
