"""Structured data, sharing tags and cards, and robots.txt, on built sites; cards and JSON-LD as units."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from hub import cards, seo
from support import REPO, SITE_URL, SLUGS, Build, article


def json_ld(page) -> dict[str, dict]:
    nodes = [json.loads(script.text()) for script in page.css('script[type="application/ld+json"]')]
    return {node["@type"]: node for node in nodes}


def meta(page) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in page.css("meta[property], meta[name]"):
        key = tag.attributes.get("property") or tag.attributes.get("name")
        found.setdefault(key, []).append(tag.attributes.get("content"))
    return found


@pytest.mark.parametrize("slug", SLUGS)
def test_articles_carry_blog_posting_and_breadcrumbs(real_site: Build, slug: str) -> None:
    page = real_site.html(f"artikler/{slug}/index.html")
    nodes = json_ld(page)
    post = nodes["BlogPosting"]
    url = f"{SITE_URL}artikler/{slug}/"
    assert post["headline"] == page.css_first('meta[property="og:title"]').attributes["content"]
    assert post["description"] == page.css_first('meta[name="description"]').attributes["content"]
    assert post["mainEntityOfPage"]["@id"] == url and post["inLanguage"] == "nb"
    assert post["datePublished"][:10] == post["dateModified"][:10]
    [author] = post["author"]
    assert author["@type"] == "Person" and author["url"].startswith(f"{SITE_URL}artikler/forfatter/")
    assert post["publisher"]["logo"]["url"] == f"{SITE_URL}assets/images/logo-512.png"
    assert post["image"]["url"] == f"{SITE_URL}assets/cards/artikler-{slug}.png"
    crumbs = [item["item"] for item in nodes["BreadcrumbList"]["itemListElement"]]
    assert crumbs == [SITE_URL, f"{SITE_URL}artikler/", url]


@pytest.mark.parametrize("slug", SLUGS)
def test_articles_carry_open_graph_and_twitter_tags(real_site: Build, slug: str) -> None:
    tags = meta(real_site.html(f"artikler/{slug}/index.html"))
    assert tags["og:type"] == ["article"] and tags["og:locale"] == ["nb_NO"]
    assert tags["og:url"] == [f"{SITE_URL}artikler/{slug}/"]
    assert tags["og:image"] == tags["twitter:image"] and tags["twitter:card"] == ["summary_large_image"]
    assert tags["og:title"][0] and tags["og:description"][0]
    assert tags["article:published_time"][0].startswith("2025-")
    assert tags["article:author"][0].startswith(f"{SITE_URL}artikler/forfatter/")
    assert tags["article:tag"]


def test_home_page_has_organization_and_website(real_site: Build) -> None:
    page = real_site.html("index.html")
    nodes = json_ld(page)
    assert nodes["Organization"]["url"] == SITE_URL and nodes["Organization"]["logo"].endswith("logo-512.png")
    assert nodes["WebSite"]["inLanguage"] == "nb" and nodes["WebSite"]["url"] == SITE_URL
    assert meta(page)["og:type"] == ["website"]
    assert meta(real_site.html("om-oss/index.html"))["og:type"] == ["website"]


def test_sharing_cards_are_1200_by_630(real_site: Build) -> None:
    for slug in SLUGS:
        with Image.open(real_site.site / f"assets/cards/artikler-{slug}.png") as image:
            assert image.size == (1200, 630) and image.format == "PNG"
    with Image.open(real_site.site / "assets/images/logo-512.png") as logo:
        assert logo.size == (512, 512)


def test_robots_txt_points_to_the_sitemap(real_site: Build) -> None:
    assert real_site.text("robots.txt") == f"User-agent: *\nAllow: /\n\nSitemap: {SITE_URL}sitemap.xml\n"


def test_article_image_from_front_matter_is_shared(small_site) -> None:
    png = io.BytesIO()
    Image.new("RGB", (1200, 630), "white").save(png, format="PNG")
    build = small_site({
        "artikler/posts/a.md": article("Med bilde", slug="med-bilde", image="bilder/forside.png",
                                       image_alt="Et møterom med utsikt over fjorden"),
        "artikler/posts/bilder/forside.png": png.getvalue(),
    })
    assert build.returncode == 0, build.output
    tags = meta(build.html("artikler/med-bilde/index.html"))
    assert tags["og:image"] == [f"{SITE_URL}artikler/bilder/forside.png"]
    assert tags["og:image:alt"] == ["Et møterom med utsikt over fjorden"]
    assert (build.site / "artikler/bilder/forside.png").exists()


def test_missing_article_image_fails_naming_file_and_field(small_site) -> None:
    build = small_site({"artikler/posts/a.md": article("Uten bilde", slug="a", image="finnes-ikke.png")})
    assert build.returncode != 0
    assert "docs/artikler/posts/a.md: image: 'finnes-ikke.png' er ikke en fil ved siden av artikkelen" in build.output
    assert "Traceback" not in build.output


def test_hostile_title_cannot_close_the_json_ld_script(small_site) -> None:
    title = "Pris </script><script>alert('x')</script> & <!-- «sitat»"
    build = small_site({"artikler/posts/a.md": article(title, slug="a")})
    assert build.returncode == 0, build.output
    html = build.text("artikler/a/index.html")
    [raw] = [block.split(">", 1)[1].split("</script>", 1)[0]
             for block in html.split('<script type="application/ld+json"')[1:] if "BlogPosting" in block]
    assert "\\u003c/script\\u003e" in raw and "\\u0026" in raw and "<" not in raw and ">" not in raw
    assert json.loads(raw)["headline"] == title


def test_cards_are_deterministic_and_cached(tmp_path: Path) -> None:
    card = cards.Card("Møtebooking på telefon: slik får du ja til første møte", "Prospektering", "Arctic")
    assert cards.render(card) == cards.render(card)
    assert cards.render(card) != cards.render(cards.Card(card.title + "!", card.label, card.brand))
    assert cards.render_cached(card, tmp_path / "cache", tmp_path / "a.png") is True
    assert cards.render_cached(card, tmp_path / "cache", tmp_path / "b.png") is False
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_cards_drawn_by_the_worker_process_are_the_bytes_drawn_in_the_build(tmp_path: Path) -> None:
    """The Painter's worker (spawned; one core stays with the build) writes exactly what render() makes."""
    new = [cards.Card(f"Kort nummer {number} om salgsledelse", "Coaching", "Arctic") for number in range(10)]
    painter = cards.Painter(tmp_path / "cache", str(REPO / "hooks"), workers=1)
    for card in new:
        painter.add(card)
    assert painter._pool is not None  # at MIN_BATCH new cards, a worker draws them
    assert painter.wait() == 10
    assert all((tmp_path / "cache" / f"{card.key()}.png").read_bytes() == cards.render(card) for card in new)
    again = cards.Painter(tmp_path / "cache", str(REPO / "hooks"), workers=1)
    for card in new:
        again.add(card)
    assert again.wait() == 0 and again._pool is None  # nothing new: no worker started


def test_long_titles_are_wrapped_and_shortened() -> None:
    font = cards._font(68, "Bold")
    draw = ImageDraw.Draw(Image.new("RGB", cards.SIZE))
    lines = cards._wrap(draw, "Salgsledelse " * 40, font, 1000, 3)
    assert len(lines) == 3 and lines[-1].endswith(" …")
    assert all(draw.textlength(line, font=font) <= 1000 for line in lines)


def test_json_ld_for_pages_without_breadcrumbs_is_empty() -> None:
    facts = seo.PageFacts(kind="page", title="T", description="D", url="https://x/", image="https://x/a.png",
                          image_alt="T", site_name="S", breadcrumbs=(("S", "https://x/"),))
    assert seo.json_ld(facts, seo.Organization("S", "https://x/", "https://x/l.png")) == []
