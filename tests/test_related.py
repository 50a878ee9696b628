"""Unit tests for hub/related.py on small fake documents, and the topic corpus."""

from __future__ import annotations

import datetime
import random

import pytest

from hub import frontmatter, text
from hub.related import Document, Match, RelatedIndex, Settings, Weights, rank_all
from support import REPO

DOCS = [
    Document("coach-1", "Coaching av selgere", "Ukentlig coaching gir bedre selgere",
             "coaching samtale selger tilbakemelding uke", ("Coaching",), ("coaching",), 1),
    Document("coach-2", "Coachingsamtalen", "Slik gir du tilbakemelding i coaching",
             "coaching tilbakemelding samtale leder", ("Coaching",), ("coaching",), 2),
    Document("coach-3", "Tilbakemelding som virker", "Tilbakemelding i samtalen med selgeren",
             "tilbakemelding samtale selger", (), (), 3),
    Document("pris-1", "Forhandling om pris", "Rabatt og margin i forhandling",
             "pris rabatt forhandling margin kunde", ("Forhandling",), ("pris",), 4),
    Document("pris-2", "Prisforhandling", "Hold prisen når kunden presser på rabatt",
             "forhandling pris rabatt kunde innrømmelse", ("Forhandling",), ("pris",), 5),
]


def keys(matches: list[Match]) -> list[str]:
    return [match.key for match in matches]


def test_exact_order_for_small_documents() -> None:
    ranked = rank_all(DOCS, Settings(count=3, min_score=0.05))
    assert keys(ranked["coach-1"]) == ["coach-2", "coach-3"]
    assert keys(ranked["coach-3"]) == ["coach-1", "coach-2"]
    assert keys(ranked["pris-1"]) == ["pris-2"]
    assert all(match.key != key for key, matches in ranked.items() for match in matches)


def test_scores_are_blended_and_bounded() -> None:
    ranked = rank_all(DOCS, Settings(min_score=0.0))
    scores = [match.score for matches in ranked.values() for match in matches]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert ranked["pris-1"][0] == Match("pris-2", ranked["pris-2"][0].score)  # symmetric


def test_ties_go_to_the_newer_article_then_the_key() -> None:
    twins = [Document(key, "Pris og rabatt", "Pris", "pris rabatt", (), (), published)
             for key, published in [("a", 1), ("b", 3), ("c", 3), ("source", 0)]]
    assert keys(RelatedIndex(twins, Settings(count=3, min_score=0)).related("source")) == ["b", "c", "a"]


def test_pins_come_first_in_their_order() -> None:
    index = RelatedIndex(DOCS, Settings(count=3, min_score=0.05))
    assert keys(index.related("coach-1", pins=["pris-2", "pris-1"])) == ["pris-2", "pris-1", "coach-2"]
    assert keys(index.related("coach-1", pins=["pris-1", "pris-1", "coach-1"])) == ["pris-1", "coach-2", "coach-3"]
    with pytest.raises(KeyError):
        index.related("coach-1", pins=["finnes-ikke"])


def test_hidden_articles_get_no_links_but_can_be_linked() -> None:
    ranked = rank_all(DOCS, Settings(min_score=0.05), hidden={"coach-2"})
    assert ranked["coach-2"] == []
    assert "coach-2" in keys(ranked["coach-1"])


def test_drafts_and_future_articles_are_never_suggested() -> None:
    docs = [*DOCS[:2], Document("coach-draft", "Coaching av selgere", "Coaching", "coaching samtale selger",
                                ("Coaching",), ("coaching",), 9, draft=True),
            Document("coach-future", "Coaching av selgere", "Coaching", "coaching samtale selger",
                     ("Coaching",), ("coaching",), 100)]
    ranked = rank_all(docs, Settings(min_score=0.0), now=50)
    assert keys(ranked["coach-1"]) == ["coach-2"]
    assert keys(ranked["coach-draft"]) == ["coach-1", "coach-2"]  # a draft in preview still gets links
    with pytest.raises(KeyError):
        RelatedIndex(docs, now=50).related("coach-1", pins=["coach-draft"])


def test_minimum_score_gives_fewer_links_instead_of_irrelevant_ones() -> None:
    assert keys(rank_all(DOCS, Settings(count=3, min_score=0.3))["pris-1"]) == ["pris-2"]
    assert rank_all(DOCS, Settings(count=3, min_score=0.99))["pris-1"] == []


def test_untagged_article_is_judged_on_its_text_alone() -> None:
    # With tag and category weight unused, a pure-text match can still clear a high bar.
    ranked = rank_all(DOCS, Settings(min_score=0.3, weights=Weights(text=0.2, tags=0.5, categories=0.3)))
    assert keys(ranked["coach-3"]) == ["coach-1"]


def test_output_is_deterministic_whatever_the_input_order() -> None:
    shuffled = DOCS[:]
    random.Random(4).shuffle(shuffled)
    assert rank_all(shuffled) == rank_all(DOCS)


def test_norwegian_text_processing() -> None:
    stemmer = text.Stemmer()
    counts = stemmer.count("Selgerne og selgeren i Tromsø – ÆØÅ! Selgeren.", {})
    assert counts == {"selgern": 1, "selger": 2, "tromsø": 1, "æøå": 1}
    assert "og" in text.STOP_WORDS and stemmer.count("og i på det", {}) == {}
    assert stemmer.count("selgeren", counts, weight=3) is counts and counts["selger"] == 5


# -----------------------------------------------------------------------------
# The topic corpus: clearly separated topics, many articles without any tags.

CORPUS = REPO / "tests/corpus/related"


def corpus_documents() -> list[tuple[str, Document]]:
    found = []
    for path in sorted(CORPUS.glob("*.md")):
        front = frontmatter.read(path.name, path.read_bytes())
        meta = front.meta
        found.append((path.stem.split("-")[0], Document(
            key=meta["slug"], title=meta["title"], description=meta["description"],
            body=" ".join(text.prose_blocks(front.body)), categories=tuple(meta.get("categories", ())),
            tags=tuple(meta.get("tags", ())),
            published=datetime.datetime.combine(meta["date"], datetime.time()).timestamp(),
        )))
    return found


def test_corpus_has_separated_topics_and_untagged_articles() -> None:
    documents = corpus_documents()
    assert len({topic for topic, _ in documents}) >= 6
    assert sum(1 for _, document in documents if not document.tags and not document.categories) >= 10


def test_at_least_90_percent_of_links_stay_within_the_topic() -> None:
    documents = corpus_documents()
    topic = {document.key: name for name, document in documents}
    ranked = rank_all([document for _, document in documents])
    links = [(key, match.key) for key, matches in ranked.items() for match in matches]
    assert len(links) >= 2 * len(documents)
    within = sum(topic[source] == topic[target] for source, target in links) / len(links)
    assert within >= 0.9, within
    untagged = {document.key for _, document in documents if not document.tags}
    assert all(ranked[key] for key in untagged), "untagged articles must still get links"
