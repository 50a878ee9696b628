"""«Liknende artikler» in built sites: the real one, and small ones for pins, drafts and settings."""

from __future__ import annotations

import datetime
import re
import time
import urllib.request

import pytest

from support import NORWEGIAN_DATE, SLUGS, Build, article, serving

COACHING = "Coaching av selgere gir bedre samtaler, tydelig tilbakemelding og mestring hver uke."
PRICING = "Forhandling om pris: hold marginen, gi få innrømmelser og bytt rabatt mot volum."


def related_links(page) -> list[str]:
    section = page.css_first("section.hub-related")
    if section is None:
        return []
    assert section.css_first("h2").text().strip() == "Liknende artikler"
    return [link.attributes["href"].strip("./").split("/")[-1] for link in section.css("a.hub-card__link")]


@pytest.mark.parametrize("slug", SLUGS)
def test_every_real_article_ends_with_related_articles(real_site: Build, slug: str) -> None:
    page = real_site.html(f"artikler/{slug}/index.html")
    links = related_links(page)
    assert 1 <= len(links) <= 3
    assert slug not in links and len(set(links)) == len(links)
    assert set(links) <= set(SLUGS)
    cards = page.css("section.hub-related .hub-card")
    assert len(cards) == len(links)
    for card in cards:
        meta = card.css_first(".hub-card__meta").text()
        assert NORWEGIAN_DATE.search(meta) and re.search(r"\d+ min lesetid", meta)
        assert card.css_first(".hub-card__description").text().strip()


def test_related_articles_fit_the_topic(real_site: Build) -> None:
    links = related_links(real_site.html("artikler/motebooking-pa-telefon/index.html"))
    assert links[0] == "prospektering-pa-linkedin"
    assert "rekruttering-av-selgere" in related_links(real_site.html("artikler/onboarding-av-nye-selgere/index.html"))


def coaching_site(**extra: object) -> dict[str, str]:
    return {
        "artikler/posts/a.md": article("Coaching hver uke", COACHING, slug="a", **extra),
        "artikler/posts/b.md": article("Coaching og tilbakemelding", COACHING, slug="b"),
        "artikler/posts/c.md": article("Coachingsamtalen", COACHING, slug="c"),
        "artikler/posts/p.md": article("Prisforhandling", PRICING, slug="p"),
        "artikler/posts/q.md": article("Rabatt og margin", PRICING, slug="q"),
    }


def test_pins_come_first_and_related_false_hides_the_section(small_site) -> None:
    files = coaching_site(related=["p", "q.md"])
    files["artikler/posts/c.md"] = article("Coachingsamtalen", COACHING, slug="c", related=False)
    build = small_site(files)
    assert build.returncode == 0, build.output
    assert related_links(build.html("artikler/a/index.html")) == ["p", "q", "b"]
    assert build.html("artikler/c/index.html").css_first("section.hub-related") is None
    assert "c" in related_links(build.html("artikler/b/index.html"))
    assert related_links(build.html("artikler/p/index.html")) == ["q"]


def test_drafts_and_future_articles_are_never_linked(small_site) -> None:
    future = datetime.date.today() + datetime.timedelta(days=10)
    files = coaching_site()
    files["artikler/posts/d.md"] = article("Coaching hver uke", COACHING, slug="kladd", draft=True)
    files["artikler/posts/f.md"] = article("Coaching hver uke", COACHING, slug="fremtid", date=future)
    build = small_site(files)
    assert build.returncode == 0, build.output
    for slug in "abc":
        assert not {"kladd", "fremtid"} & set(related_links(build.html(f"artikler/{slug}/index.html")))


@pytest.mark.parametrize(("pin", "message"), [
    # An article that does not exist is a front-matter error, named with its line (`make check` says it too).
    ("finnes-ikke", "docs/artikler/posts/a.md:6: related: 'finnes-ikke' er ikke en artikkel; bruk slugen eller filnavnet"),
    ("kladd", "docs/artikler/posts/a.md: related: 'kladd' er ikke en publisert artikkel"),
])
def test_unknown_or_unpublished_pin_fails_naming_file_and_value(small_site, pin: str, message: str) -> None:
    files = coaching_site(related=[pin])
    files["artikler/posts/d.md"] = article("Kladd", COACHING, slug="kladd", draft=True)
    build = small_site(files)
    assert build.returncode != 0
    assert message in build.output and "Traceback" not in build.output


@pytest.mark.parametrize(("settings", "message"), [
    ({"count": 0}, "mkdocs.yml: extra.related.count: 0 er utenfor området; bruk 1 til 20"),
    ({"count": "tre"}, "mkdocs.yml: extra.related.count: må være et heltall"),
    ({"min_score": 2}, "mkdocs.yml: extra.related.min_score: 2 er utenfor området; bruk 0 til 1"),
    ({"relative_score": 1.5}, "mkdocs.yml: extra.related.relative_score: 1.5 er utenfor området; bruk 0 til 1"),
    ({"weights": {"text": 0}}, "mkdocs.yml: extra.related.weights.text: må være over 0"),
    ({"weights": {"tags": -1}}, "mkdocs.yml: extra.related.weights.tags: -1 er utenfor området"),
    ({"antall": 3}, "mkdocs.yml: extra.related.antall: er ikke en kjent innstilling og blir ikke brukt"),
])
def test_bad_settings_fail_naming_the_key(small_site, settings: dict, message: str) -> None:
    build = small_site(coaching_site(), extra={"related": settings})
    assert build.returncode != 0
    # The message names mkdocs.yml's line: "mkdocs.yml:57: extra.…".
    assert re.search(at_line(message), build.output) and "Traceback" not in build.output


def test_count_setting_is_honoured(small_site) -> None:
    build = small_site(coaching_site(), extra={"related": {"count": 1, "min_score": 0}})
    assert build.returncode == 0, build.output
    assert len(related_links(build.html("artikler/a/index.html"))) == 1


@pytest.mark.slow
def test_a_new_article_shows_up_after_a_save_in_preview(site_writer, tmp_path) -> None:
    config = site_writer(coaching_site())
    with serving(config) as url:
        page = f"{url}artikler/p/"
        assert "ny-pris" not in urllib.request.urlopen(page, timeout=10).read().decode()
        (tmp_path / "docs/artikler/posts/ny.md").write_text(article("Prisen holder", PRICING, slug="ny-pris"),
                                                             encoding="utf-8")
        deadline = time.monotonic() + 60
        while "ny-pris" not in urllib.request.urlopen(page, timeout=10).read().decode():
            assert time.monotonic() < deadline, "the new article never appeared in «Liknende artikler»"
            time.sleep(0.5)


def at_line(message: str) -> str:
    """A pattern for *message* as the build prints it: with the line of the key in the test site's mkdocs.yml."""
    return re.escape(message).replace(re.escape("mkdocs.yml: "), r"mkdocs\.yml:\d+: ")
