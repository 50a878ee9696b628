"""Seeded generator of synthetic Norwegian sales-leadership corpora.

Each article belongs to one topic: its title, description and about a third
of its body come from that topic's vocabulary, the rest from a shared one.
A share of the articles has neither tags nor categories, so relatedness must
come from the text alone. The same seed always gives the same corpus.

    python bench/corpus.py --articles 1000 --seed 1 --out /tmp/korpus/docs
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

TOPICS: dict[str, tuple[str, list[str], list[str]]] = {
    # topic: (category, tags, vocabulary)
    "coaching": ("Coaching", ["coaching", "feedback", "utviklingssamtale"], """
        coaching coach samtale tilbakemelding spørsmål lytte refleksjon utvikling ferdighet øvelse rollespill
        observasjon medarbeider mestring læring mentor veiledning styrke svakhet forbedring mål tillit
        selvinnsikt oppfølgingssamtale treningsplan ukesamtale""".split()),
    "prospektering": ("Prospektering", ["telefonsalg", "linkedin", "møtebooking"], """
        prospektering telefon ringe møtebooking kaldt emne åpning innvending kontaktliste beslutningstaker
        linkedin nettverk melding invitasjon svarrate segment målgruppe kundeprofil leadliste sekvens oppringning
        eposter henvendelse førstemøte nysalg""".split()),
    "forhandling": ("Forhandling", ["pris", "rabatt", "forhandlingsteknikk"], """
        forhandling pris rabatt margin innrømmelse motpart bud tilbud betingelser avtaleperiode volum
        betalingsvilkår grense forankring alternativ kompromiss press stillhet verdi kostnad lønnsomhet
        prisøkning kontrakt innkjøper anbud""".split()),
    "rekruttering": ("Rekruttering", ["ansettelse", "intervju", "onboarding"], """
        rekruttering ansettelse kandidat intervju stillingsannonse referanse cv arbeidsprøve fadder onboarding
        opplæring prøvetid kompetanse personlighet talent søker utvelgelse ansettelsesprosess introduksjon
        nyansatt kultur tilpasning milepæl vurdering""".split()),
    "motivasjon": ("Motivasjon", ["teamkultur", "anerkjennelse", "energi"], """
        motivasjon energi anerkjennelse ros trivsel engasjement stolthet fellesskap mening belønning
        konkurranse bonus utbrenthet stress pause feiring moral indre ytre drivkraft glede pågangsmot
        samhold humør tilhørighet""".split()),
    "kpi": ("KPI og oppfølging", ["nøkkeltall", "pipeline", "crm"], """
        nøkkeltall kpi pipeline konvertering måling dashbord rapport crm prognose omsetning aktivitet
        avtaleverdi sannsynlighet salgstrakt ordrestørrelse vinnrate syklustid datakvalitet måltall
        resultatmål budsjett kvartal trend statistikk""".split()),
    "ledelse": ("Salgsledelse", ["ledelse", "møtestruktur", "strategi"], """
        salgsleder ledelse teammøte ukerytme prioritering delegering strategi struktur ansvar kalender
        beslutning kommunikasjon forventning rolle plan lederrolle lederskap organisering møteplan
        retning tydelighet handlingsplan endring""".split()),
}

SHARED = """
    kunde selger salg team uke måned arbeid bedrift marked produkt tjeneste løsning resultat tid
    erfaring eksempel situasjon hverdag prosess gruppe avdeling leder kollega møte dialog behov
    problem mulighet utfordring fordel innsikt metode verktøy steg start slutt del tall jobb
    hjelp råd tips praksis fokus retning spørsmål svar ide plan""".split()
GLUE = "og i på som det er en til å for med at av de ikke kan vi du har skal når også men".split()


@dataclass(frozen=True)
class Article:
    slug: str
    topic: str
    title: str
    description: str
    body: str
    date: dt.date
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    author: str

    def markdown(self) -> str:
        front = {"title": self.title, "description": self.description, "date": self.date, "slug": self.slug,
                 "authors": [self.author]}
        if self.categories:
            front["categories"] = list(self.categories)
        if self.tags:
            front["tags"] = list(self.tags)
        return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + self.body + "\n"


def _sentence(rng: random.Random, topic_words: list[str], length: int, share: float) -> str:
    picked = []
    for _ in range(length):
        roll = rng.random()
        pool = topic_words if roll < share else GLUE if roll < share + 0.3 else SHARED
        picked.append(rng.choice(pool))
    text = " ".join(picked)
    return text[0].upper() + text[1:] + "."


# Benchmarks build as a published site would: with the deployed inbox's address.
DEPLOYED_INBOX = "https://innboks.arcticsales.no"


class _ConfigLoader(yaml.SafeLoader):
    """mkdocs.yml with its `!ENV [NAME, default]` tags resolved to the default."""


_ConfigLoader.add_constructor("!ENV", lambda loader, node: loader.construct_sequence(node)[-1])


def load_config(path: Path) -> dict:
    """The project's mkdocs.yml as a dict, its inbox pointed at the deployed one."""
    config = yaml.load(path.read_text(encoding="utf-8"), Loader=_ConfigLoader)
    if "inbox" in config.get("extra", {}):
        config["extra"]["inbox"] = DEPLOYED_INBOX
    return config


def generate(count: int, seed: int = 1, words: tuple[int, int] = (600, 1200), untagged: float = 0.3,
             authors: tuple[str, ...] = ("ingrid", "magnus", "sara")) -> list[Article]:
    """*count* articles spread over the topics; the same seed gives the same corpus."""
    rng = random.Random(seed)
    topics = sorted(TOPICS)
    start = dt.date(2019, 1, 1)
    articles = []
    for number in range(count):
        topic = topics[number % len(topics)]
        category, tag_pool, vocabulary = TOPICS[topic]
        title = " ".join(rng.sample(vocabulary, 3) + rng.sample(SHARED, 2)).capitalize()
        description = _sentence(rng, vocabulary, 14, 0.45)
        length = rng.randint(*words)
        paragraphs, total = [], 0
        while total < length:
            sentences = [_sentence(rng, vocabulary, rng.randint(8, 18), 0.33) for _ in range(rng.randint(3, 6))]
            paragraph = " ".join(sentences)
            total += len(paragraph.split())
            paragraphs.append(paragraph)
            if len(paragraphs) % 3 == 0:
                paragraphs.append("## " + " ".join(rng.sample(vocabulary, 2)).capitalize())
        tagless = rng.random() < untagged
        articles.append(Article(
            slug=f"{topic}-{number:05d}",
            topic=topic,
            title=title,
            description=description,
            body="\n\n".join(paragraphs),
            date=start + dt.timedelta(days=number % 2400),
            categories=() if tagless else (category,),
            tags=() if tagless else tuple(rng.sample(tag_pool, 2)),
            author=authors[number % len(authors)],
        ))
    return articles


def write_site(articles: list[Article], docs: Path) -> None:
    """Write *articles* as Markdown files under docs/artikler/posts/."""
    posts = docs / "artikler/posts"
    posts.mkdir(parents=True, exist_ok=True)
    for article in articles:
        (posts / f"{article.slug}.md").write_text(article.markdown(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--min-words", type=int, default=600)
    parser.add_argument("--max-words", type=int, default=1200)
    parser.add_argument("--out", type=Path, required=True, help="the docs folder to write into")
    args = parser.parse_args(argv)
    write_site(generate(args.articles, args.seed, (args.min_words, args.max_words)), args.out)
    print(f"Wrote {args.articles} articles into {args.out / 'artikler/posts'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
