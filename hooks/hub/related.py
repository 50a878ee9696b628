"""Related articles: documents in, ranked lists out. No MkDocs imports.

The score of a candidate for an article blends three signals, each in 0..1:

* text: cosine similarity of TF-IDF vectors over stemmed Norwegian terms from
  the title (boosted), the description (boosted) and the start of the body;
* tags: Jaccard overlap of the two tag sets;
* categories: Jaccard overlap of the two category sets.

Short untagged articles must still find their neighbours, so: a signal counts
only when both articles have it (weights renormalised per pair); terms only
one article has are left out of the vectors (they match nothing, yet took the
place of shared terms and shrank a short article's every score); compounds
also count as their parts; and a link must reach both ``min_score`` and a
share (``relative_score``) of the article's best candidate's score.

It scales as an inverted index with top-k selection, never dense all-pairs:
each vector keeps its strongest terms, each posting list keeps its strongest
documents, and an article is compared only with the documents its strongest
terms and its tags lead to. Order is deterministic: score (rounded, so float
noise cannot reorder), then the newer article, then the key.
"""

from __future__ import annotations

import heapq
import math
import operator
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from hub.text import Stemmer, compound_parts


@dataclass(frozen=True)
class Document:
    """One article as the ranking sees it."""

    key: str                       # unique and stable: the slug
    title: str
    description: str = ""
    body: str = ""                 # plain text
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    published: float = 0.0         # publication time as a timestamp; newer wins ties
    draft: bool = False            # drafts (and articles dated in the future) are never suggested


@dataclass(frozen=True)
class Weights:
    """How much each signal counts; they are normalised to sum to 1."""

    text: float = 0.5
    tags: float = 0.3
    categories: float = 0.2


@dataclass(frozen=True)
class Settings:
    count: int = 3                 # links per article, 1..20
    min_score: float = 0.06        # 0..1: below this an article gets fewer links, not weaker ones
    relative_score: float = 0.6    # 0..1: nor below this share of the article's best candidate's score
    weights: Weights = field(default_factory=Weights)
    title_boost: int = 3           # a title word counts as this many body words
    description_boost: int = 2
    body_chars: int = 1500         # about 200 words: the start of the body carries its topic;
                                   # beyond it cost grows, not precision
    terms_per_document: int = 12   # strongest terms kept in each vector (and searched with)
    posting_limit: int = 24        # strongest documents kept per term
    shortlist: int = 12            # best text matches blended with tags and categories, per article
    tag_posting_limit: int = 16    # newest documents followed per tag


@dataclass(frozen=True, order=True)
class Match:
    """A suggested article and its blended score (0..1)."""

    key: str
    score: float


# -----------------------------------------------------------------------------


class RelatedIndex:
    """An inverted index over a set of documents, queried one article at a time."""

    def __init__(self, documents: Iterable[Document], settings: Settings = Settings(),
                 now: float = math.inf) -> None:
        self.settings = settings
        self.documents = sorted(documents, key=lambda document: document.key)
        # Drafts and articles dated after *now* may ask for suggestions but are never suggested.
        self.suggestable = [not document.draft and document.published <= now for document in self.documents]
        self.position = {document.key: index for index, document in enumerate(self.documents)}
        if len(self.position) != len(self.documents):
            raise ValueError("document keys must be unique")
        self.vectors = self._vectors()
        self.postings = self._postings()
        self.tag_postings = self._label_postings(lambda document: document.tags)
        self.tag_masks = _masks(self.documents, lambda document: document.tags)
        self.category_masks = _masks(self.documents, lambda document: document.categories)
        self._pair_weights = self._weights()

    # -- building -------------------------------------------------------------

    def _terms(self, stemmer: Stemmer, document: Document) -> dict[str, int]:
        settings = self.settings
        counts: dict[str, int] = stemmer.count(document.body[: settings.body_chars], {})
        stemmer.count(document.title, counts, settings.title_boost)
        return stemmer.count(document.description, counts, settings.description_boost)

    def _vectors(self) -> list[dict[str, float]]:
        """Sublinear TF × IDF over the terms articles share, cut to the strongest terms, L2-normalised.

        Compounds also count as their known parts. A term only one article has
        can match nothing: it is left out, so it neither takes the place of a
        shared term when the vector is cut nor dilutes a short article's norm
        (which would push its every score under ``min_score``).
        """
        stemmer = Stemmer()
        counts = [self._terms(stemmer, document) for document in self.documents]
        _add_compound_parts(counts)
        frequency = Counter(term for terms in counts for term in terms)
        total = len(self.documents)
        # Smoothed IDF, always above zero: a term every article shares still counts a little.
        idf = {term: math.log(1 + total / seen) for term, seen in frequency.items() if seen > 1}
        keep = self.settings.terms_per_document
        vectors = []
        for terms in counts:
            weighted = [(_tf(count) * idf[term], term) for term, count in terms.items() if term in idf]
            weighted.sort(reverse=True)  # by weight, then term: deterministic
            strongest = weighted[:keep]
            norm = math.sqrt(sum(weight * weight for weight, _ in strongest)) or 1.0
            vectors.append({term: weight / norm for weight, term in strongest if weight > 0})
        return vectors

    def _postings(self) -> dict[str, list[tuple[int, float]]]:
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, vector in enumerate(self.vectors):
            if not self.suggestable[index]:
                continue
            for term, weight in vector.items():
                postings[term].append((index, weight))
        limit = self.settings.posting_limit
        return {term: sorted(entries, key=_by_weight_then_index)[:limit] for term, entries in postings.items()}

    def _label_postings(self, labels) -> dict[str, list[int]]:
        postings: dict[str, list[int]] = defaultdict(list)
        for index, document in enumerate(self.documents):
            if not self.suggestable[index]:
                continue
            for label in set(labels(document)):
                postings[label].append(index)
        limit = self.settings.tag_posting_limit
        newest = lambda index: (self.documents[index].published, self.documents[index].key)  # noqa: E731
        return {label: sorted(entries, key=newest, reverse=True)[:limit] for label, entries in postings.items()}

    # -- querying -------------------------------------------------------------

    def related(self, key: str, pins: Sequence[str] = ()) -> list[Match]:
        """Up to ``count`` suggestions for *key*: the pinned keys first, in order, then the best others."""
        source = self.position[key]
        for pin in pins:
            if pin not in self.position or not self.suggestable[self.position[pin]]:
                raise KeyError(pin)
        chosen = [Match(pin, 1.0) for pin in dict.fromkeys(pins) if pin != key]
        wanted = self.settings.count - len(chosen)
        if wanted <= 0:
            return chosen
        taken = {self.position[match.key] for match in chosen} | {source}
        best = heapq.nsmallest(wanted + len(taken), self._ranked_candidates(source))
        scores = [(-quantum / _QUANTUM, index) for quantum, _, _, index in best if index not in taken][:wanted]
        # The bar is the absolute floor or a share of the best candidate's score, whichever is higher:
        # a weak third link after a strong first one is noise, but a short article's best match stays.
        bar = max(self.settings.min_score, self.settings.relative_score * scores[0][0]) if scores else 0.0
        picked = [(score, index) for score, index in scores if score >= bar]
        return chosen + [Match(self.documents[index].key, round(score, 6)) for score, index in picked]

    def _ranked_candidates(self, source: int) -> list[tuple[int, float, str, int]]:
        """Sort keys (score, newer, key) of the shortlisted candidates.

        The shortlist is the best text matches plus the newest articles sharing
        a tag. Each pair is scored on the signals both articles have
        (``_weights``). Scores are quantised to integers so float noise never
        decides an order; label overlaps use bit masks.
        """
        text = self._text_scores(source)
        text.pop(source, None)
        # A C-level sort beats heapq.nlargest with a key here; ties keep the
        # (deterministic) order in which the postings were walked.
        shortlist = dict(sorted(text.items(), key=_SCORE, reverse=True)[: self.settings.shortlist])
        for tag in self.documents[source].tags:
            for index in self.tag_postings.get(tag, ()):
                if index != source:
                    shortlist.setdefault(index, text.get(index, 0.0))
        tags, categories = self.tag_masks[source], self.category_masks[source]
        tag_count, category_count = tags.bit_count(), categories.bit_count()
        weights_for = self._pair_weights
        tag_masks, category_masks, documents = self.tag_masks, self.category_masks, self.documents
        ranked = []
        for index, similarity in shortlist.items():
            other_tags, other_categories = tag_masks[index], category_masks[index]
            w_text, w_tags, w_categories = weights_for[bool(tag_count and other_tags),
                                                       bool(category_count and other_categories)]
            score = w_text * similarity
            if w_tags and (shared := (tags & other_tags).bit_count()):
                score += w_tags * shared / (tag_count + other_tags.bit_count() - shared)
            if w_categories and (shared := (categories & other_categories).bit_count()):
                score += w_categories * shared / (category_count + other_categories.bit_count() - shared)
            document = documents[index]
            ranked.append((-int(score * _QUANTUM + 0.5), -document.published, document.key, index))
        return ranked

    def _weights(self) -> dict[tuple[bool, bool], tuple[float, float, float]]:
        """Text, tag and category weights for a pair, by (both have tags, both have categories), summing to 1.

        A signal counts only when both articles have it: an untagged article
        says nothing about its tags, so it is neither rewarded nor punished for
        them, and is judged on what both have (its text at least).
        """
        weights = self.settings.weights
        table = {}
        for both_tags in (False, True):
            for both_categories in (False, True):
                text, tags, categories = weights.text, weights.tags * both_tags, weights.categories * both_categories
                total = text + tags + categories or 1.0
                table[both_tags, both_categories] = (text / total, tags / total, categories / total)
        return table

    def _text_scores(self, source: int) -> dict[int, float]:
        """Cosine similarity with every document the source's terms lead to (truncated postings)."""
        scores: dict[int, float] = {}
        get = scores.get
        postings = self.postings
        for term, weight in self.vectors[source].items():
            for index, other in postings.get(term, ()):
                scores[index] = get(index, 0.0) + weight * other
        return scores


def _add_compound_parts(counts: list[dict[str, int]]) -> None:
    """Count a compound's parts too unless it is more common than a part (``hub.text.compound_parts``).

    «coachingsamtal» in one article then meets «coaching» and «samtal» in
    others. A compound many articles use as it is («spørsmål», «tilbakemelding»)
    is a word of its own and is not split.
    """
    frequency = Counter(term for terms in counts for term in terms)
    vocabulary = frozenset(frequency)
    parts = {}
    for term in sorted(vocabulary):
        split = compound_parts(term, vocabulary)
        if split and all(frequency[term] <= frequency[part] for part in split):
            parts[term] = split
    for terms in counts:
        for term, count in list(terms.items()):
            for part in parts.get(term, ()):
                terms[part] = terms.get(part, 0) + count

_TF = [0.0] + [1 + math.log(count) for count in range(1, 256)]


def _tf(count: int) -> float:
    """Sublinear term frequency, 1 + ln(count), from a table for the usual small counts."""
    return _TF[count] if count < 256 else 1 + math.log(count)


def _by_weight_then_index(entry: tuple[int, float]) -> tuple[float, int]:
    return (-entry[1], entry[0])


_SCORE = operator.itemgetter(1)


# Scores are compared as integers in millionths.
_QUANTUM = 1_000_000


def _masks(documents: Sequence[Document], labels) -> list[int]:
    """One int per document with a bit set for each of its labels (tags or categories)."""
    bits: dict[str, int] = {}
    masks = []
    for document in documents:
        mask = 0
        for label in labels(document):
            mask |= 1 << bits.setdefault(label, len(bits))
        masks.append(mask)
    return masks


def rank_all(documents: Sequence[Document], settings: Settings = Settings(),
             pins: Mapping[str, Sequence[str]] | None = None, hidden: Collection[str] = (),
             now: float = math.inf, only: Collection[str] | None = None) -> dict[str, list[Match]]:
    """Suggestions for every document (or those keyed in *only*): pinned keys first; none for *hidden* ones
    (``related: false``). Every document is a candidate either way."""
    index = RelatedIndex(documents, settings, now)
    pins = pins or {}
    return {document.key: [] if document.key in hidden else index.related(document.key, pins.get(document.key, ()))
            for document in index.documents if only is None or document.key in only}
