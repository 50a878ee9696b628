"""Norwegian text processing: plain prose from Markdown, and stemmed terms for similarity.

Lowercasing keeps æ, ø and å; stop words are common bokmål function words;
stems come from the Snowball Norwegian stemmer, cached per distinct word.
"""

from __future__ import annotations

import re
from collections import Counter

import Stemmer as snowball  # PyStemmer: Snowball's own C stemmers

FENCE = re.compile(r"^(```|~~~)")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_LINK_TEXT = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LINE_MARKUP = re.compile(r"^\s*(#{1,6}|[-*+]|\d+[.)]|>)\s*")
_INLINE_MARKUP = re.compile(r"[*_`{}]")
# Words of two or more letters after lowercasing: Norwegian and the accented
# Latin letters loanwords bring. An explicit class is about twice as fast as
# a Unicode \w class on long texts.
_WORD = re.compile(r"[a-zæøåäöüéèêëáàâóòôíìîúùûýçñ]{2,}")

# Common bokmål function words, then numbers, units of time and the most general verbs and
# adjectives: none says what an article is about, and on a small corpus IDF cannot tell.
STOP_WORDS = frozenset("""
    alle andre at av bare begge ble blei bli blir blitt både da dag de deg dei deim deira deires dem den
    denne der dere deres det dette di din disse dit ditt du dykk dykkar då eg ein eit eitt eller elles en enn
    er et ett etter for fordi fra før ganske godt ha hadde han hans har hennar henne hennes her hjå ho hoe
    honom hoss hossen hun hva hvem hver hvilke hvilken hvis hvor hvordan hvorfor i ikke ikkje ingen ingi
    inkje inn inni ja jeg kan kom korleis korso kun kunne kva kvar kvarhelst kven kvi kvifor man mange me med
    medan meg meget mellom men mens mer mest mi min mine mitt mot mye mykje må måtte ned no noe noen noka noko
    nokon nokor nokre nå når og også om opp oss over på samme seg selv si sia sidan siden sin sine sitt sjøl
    skal skulle slik slike so som somme somt så sånn til um upp ut uten var vart varte ved vere verte vi vil
    ville vore vors vort vår være vært å ofte får få går gjør gjøre gjennom hele helt mer mindre nok nye ny
    også uten veldig videre vår våre
""".split()) | frozenset("""
    to tre fire fem seks sju syv åtte ni ti elleve tolv femten tjue tretti førti femti seksti hundre tusen
    første tredje fjerde først sist siste neste forrige annen annet
    sekund sekunder sekundene minutt minutter minuttene time timer timen dager dagen uke uker uken
    år året gang ganger gangen ting tingen
    la se si sa sier ta tar gi gir gikk kommer komme sett satt stå står sto
    god gode bra bedre best beste stor store større små liten lite kort korte lang lange lenger
    rett fast faste lett lettere klar klart tidlig sent alltid aldri igjen ekstra
""".split())


def prose_blocks(markdown: str) -> list[str]:
    """The readable text of a Markdown body, one block per paragraph line, heading or list item."""
    blocks: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        if in_code or line.strip().startswith(("<!--", "|", "<")):
            continue
        text = IMAGE.sub(" ", line)
        text = _LINK_TEXT.sub(r"\1", text)
        text = _LINE_MARKUP.sub("", text)
        text = " ".join(_INLINE_MARKUP.sub("", text).split())
        if text:
            blocks.append(text)
    return blocks


# Every word a reader reads, digits included (``make check``'s word count and the reading time).
_ANY_WORD = re.compile(r"[^\W\d_]+(?:[-'][^\W\d_]+)*|\d+(?:[.,]\d+)*", re.UNICODE)


def all_words(text: str) -> list[str]:
    """Every word of *text* as a reader counts it: letters or numbers, case and accents kept."""
    return _ANY_WORD.findall(text)


def image_count(markdown: str) -> int:
    """Images in a Markdown body outside code blocks, Markdown or HTML."""
    count, in_code = 0, False
    for line in markdown.splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
        elif not in_code:
            count += len(IMAGE.findall(line)) + len(_HTML_IMAGE.findall(line))
    return count


class Stemmer:
    """Norwegian Snowball stems with stop words removed, cached per distinct word."""

    def __init__(self) -> None:
        self._stemmer = snowball.Stemmer("norwegian")
        self._cache: dict[str, str | None] = {}

    def stem(self, word: str) -> str | None:
        """The stem of a lowercase word, or None for a stop word."""
        stem = self._cache.get(word, "")
        if stem == "":
            stem = self._cache[word] = None if word in STOP_WORDS else self._stemmer.stemWord(word)
        return stem

    def count(self, text: str, counts: dict[str, int], weight: int = 1) -> dict[str, int]:
        """Add *weight* for every content word of *text* to *counts*, by stem."""
        # Count words first (in C), then look each distinct word up once.
        cache, stem_of = self._cache, self.stem
        for word, times in Counter(_WORD.findall(text.lower())).items():
            stem = cache[word] if word in cache else stem_of(word)
            if stem:
                counts[stem] = counts.get(stem, 0) + times * weight
        return counts


# Linking letters between the parts of a bokmål compound: salg-s-samtale, kunde-møte (kund-e-møt).
_LINKERS = ("", "s", "e")
_PART = 3  # shortest part: «møt» in «teammøt»


def compound_parts(stem: str, vocabulary: frozenset[str] | set[str]) -> tuple[str, str] | None:
    """The two known stems a compound stem is made of, or None.

    Short Norwegian texts say «coachingsamtalen» where another says «coaching»
    and «samtale»; without the parts the two share no term. A split counts only
    when both parts are words of *vocabulary* (the stems of the corpus), and the
    longest known last part wins (the last part carries a compound's meaning),
    then the shortest linker: deterministic.
    """
    for cut in range(_PART, len(stem) - _PART + 1):
        head = stem[:cut]
        if head not in vocabulary:
            continue
        for linker in _LINKERS:
            tail = stem[cut + len(linker):]
            if len(tail) >= _PART and stem.startswith(linker, cut) and tail in vocabulary:
                return head, tail
    return None
