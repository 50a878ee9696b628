"""Publishing rules, proven on small sites built in tmp_path with the real MkDocs."""

from __future__ import annotations

import datetime
import json
import urllib.request

import pytest

from support import article, serving

PUBLISHED = {"artikler/posts/publisert.md": article("Publisert artikkel", "Synlig tekst.", slug="publisert")}


def test_draft_and_future_articles_leave_no_trace(small_site) -> None:
    future = datetime.date.today() + datetime.timedelta(days=30)
    build = small_site({
        **PUBLISHED,
        "artikler/posts/kladd.md": article("Kladd zebrakladd", "Tekst zebrakladd.", draft=True,
                                           tags=["zebrakladd"], slug="zebrakladd"),
        "artikler/posts/fremtid.md": article("Fremtid zebrafremtid", "Tekst zebrafremtid.", date=future,
                                             tags=["zebrafremtid"], slug="zebrafremtid"),
    })
    assert build.returncode == 0, build.output
    files = build.files()
    assert any(path.name == "sitemap.xml" for path in files)
    assert any(path.name == "search_index.json" for path in files)
    assert any(path.name == "feed_rss_created.xml" for path in files)
    for path in files:
        if path.suffix == ".gz":
            continue
        text = path.read_text(encoding="utf-8", errors="replace").lower()
        assert "zebrakladd" not in text, f"draft leaked into {path.relative_to(build.site)}"
        assert "zebrafremtid" not in text, f"future article leaked into {path.relative_to(build.site)}"
    assert (build.site / "artikler/publisert/index.html").exists()


@pytest.mark.slow
def test_drafts_and_future_articles_are_visible_in_the_local_preview(site_writer) -> None:
    future = datetime.date.today() + datetime.timedelta(days=30)
    config = site_writer({
        **PUBLISHED,
        "artikler/posts/kladd.md": article("Kladd", "Tekst.", draft=True, slug="kladd"),
        "artikler/posts/fremtid.md": article("Fremtid", "Tekst.", date=future, slug="fremtid"),
    })
    with serving(config) as url:
        for slug in ("kladd", "fremtid", "publisert"):
            with urllib.request.urlopen(f"{url}artikler/{slug}/", timeout=10) as response:
                assert response.status == 200
                assert "hub-byline" in response.read().decode("utf-8")


def test_article_with_only_required_keys_builds_at_a_transliterated_url(small_site) -> None:
    source = "---\ntitle: Møtebooking på telefon\ndescription: Kort om møtebooking.\ndate: 2025-02-03\n---\n\nTekst.\n"
    build = small_site({"artikler/posts/minimal.md": source})
    assert build.returncode == 0, build.output
    page = build.html("artikler/motebooking-pa-telefon/index.html")
    assert page.css_first("h1").text().rstrip("¶").strip() == "Møtebooking på telefon"
    assert "3. februar 2025" in page.css_first(".hub-byline").text()
    feed = json.loads(build.text("feed_json_created.json"))
    assert [item["title"] for item in feed["items"]] == ["Møtebooking på telefon"]
    assert feed["items"][0]["date_published"].startswith("2025-02-03")


def test_listing_shows_only_the_first_paragraph_without_a_separator(small_site) -> None:
    body = "Første avsnitt vises.\n\nAndre avsnitt zebraskjult skal ikke stå i oversikten.\n"
    build = small_site({"artikler/posts/a.md": article("Uten skille", body, slug="uten-skille")})
    assert build.returncode == 0, build.output
    listing = build.html("artikler/index.html").css_first("article.md-post").text()
    assert "Første avsnitt vises." in listing and "zebraskjult" not in listing
    assert "zebraskjult" in build.text("artikler/uten-skille/index.html")


@pytest.mark.parametrize("key", ["title", "description", "date"])
def test_missing_required_key_names_file_and_key(small_site, key: str) -> None:
    meta = {"title": "Mangler noe", "description": "Om noe.", "date": datetime.date(2025, 1, 15), key: None}
    build = small_site({"artikler/posts/mangler.md": article(**meta)})
    assert build.returncode != 0
    assert f"docs/artikler/posts/mangler.md:1: {key}: mangler" in build.output
    assert "Traceback" not in build.output


def test_unknown_key_is_a_warning_that_strict_fails_on(small_site) -> None:
    build = small_site({"artikler/posts/skrivefeil.md": article("Skrivefeil", catgories=["Coaching"])})
    assert build.returncode != 0
    assert "docs/artikler/posts/skrivefeil.md:5: catgories: er ikke en kjent nøkkel i front matter" in build.output
    assert "mente du 'categories'?" in build.output
    assert "Traceback" not in build.output
