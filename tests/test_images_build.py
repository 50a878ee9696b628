"""Images in built sites: sizes, srcsets whose files exist at their widths, lazy loading, sharing crops, card
covers, determinism and the cache; and make check's warnings. Every image is generated in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image

from hub import check, site
from support import SVG_DIAGRAM, Build, article, photo, run_mkdocs, write_site

SITE_URL = "https://www.arcticsales.no/"
ALT = 'Møterom med «utsikt» & "sitat" <b>'


def files() -> dict[str, str | bytes]:
    """Two articles on one topic (so each is the other's related article), one with images; a home page with cards."""
    body = ("![Et stort bilde](bilder/stort.jpg)\n\nInnledning om coaching.\n\n## Første del\n\n"
            "![Et lite bilde](bilder/lite.png)\n\n![Et diagram](bilder/diagram.svg)\n\n"
            "![Et eksternt bilde](https://example.com/x.png)\n\n![Satt bredde](bilder/lite.png){ width=\"100\" }\n")
    return {
        "index.md": "---\ntitle: Forside\ndescription: Forsiden.\ntemplate: home.html\n---\n\n# Forside\n",
        "artikler/index.md": "# Artikler\n",
        "artikler/posts/bilder/stort.jpg": photo(3000, 2000),
        "artikler/posts/bilder/lite.png": photo(300, 200, "PNG"),
        "artikler/posts/bilder/diagram.svg": SVG_DIAGRAM,
        "artikler/posts/bilder/deling.jpg": photo(4000, 3000),
        "artikler/posts/a.md": article("Coaching med bilder", slug="med-bilder", authors=["kari"],
                                       categories=["Coaching"], tags=["coaching", "feedback"],
                                       image="bilder/deling.jpg", image_alt=ALT, body=body),
        "artikler/posts/b.md": article("Coaching uten bilder", slug="uten-bilder", authors=["kari"],
                                       categories=["Coaching"], tags=["coaching", "feedback"],
                                       body="Coaching og feedback hver uke."),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Build:
    root = tmp_path_factory.mktemp("images")
    build = run_mkdocs(write_site(root, files()), root / "site", env={"HUB_CACHE_DIR": str(root / "cache")})
    assert build.returncode == 0, build.output
    return build


pytestmark = pytest.mark.slow  # the module's fixture builds a site


def resolve(build: Build, page: str, url: str) -> Path:
    """The built file an address on *page* points at."""
    return build.site / urlsplit(urljoin("https://x/" + page, url)).path.lstrip("/")


def srcset(value: str) -> list[tuple[str, int]]:
    return [(url, int(width[:-1])) for url, width in (entry.split() for entry in value.split(", "))]


def text_images(build: Build, page: str) -> list:
    return build.html(page).css("article.md-content__inner p img")  # not the byline's avatar


def test_local_images_get_their_real_width_and_height(built: Build) -> None:
    found = {img.attributes["alt"]: img.attributes for img in text_images(built, "artikler/med-bilder/index.html")}
    assert (found["Et stort bilde"]["width"], found["Et stort bilde"]["height"]) == ("3000", "2000")
    assert (found["Et lite bilde"]["width"], found["Et lite bilde"]["height"]) == ("300", "200")
    assert (found["Et diagram"]["width"], found["Et diagram"]["height"]) == ("640", "360")
    assert "width" not in found["Et eksternt bilde"]
    assert found["Satt bredde"]["width"] == "100" and "height" not in found["Satt bredde"]  # the author's choice


def test_the_first_image_loads_at_once_and_the_rest_lazily(built: Build) -> None:
    images = text_images(built, "artikler/med-bilder/index.html")
    first, rest = images[0].attributes, [img.attributes for img in images[1:] if img.attributes.get("alt") != ""]
    assert first["alt"] == "Et stort bilde" and "loading" not in first and "decoding" not in first
    assert rest and all(attrs["loading"] == "lazy" and attrs["decoding"] == "async" for attrs in rest)


def test_srcset_entries_are_files_of_the_declared_widths_and_the_original_stays_the_src(built: Build) -> None:
    page = "artikler/med-bilder/index.html"
    html = built.html(page)
    [picture] = html.css("article.md-content__inner picture")
    img = picture.css_first("img").attributes
    assert resolve(built, page, img["src"]).read_bytes() == files()["artikler/posts/bilder/stort.jpg"]
    [avif] = picture.css("source")
    assert avif.attributes["type"] == "image/avif" and avif.attributes["sizes"] == img["sizes"]
    for value, fmt in ((img["srcset"], "WEBP"), (avif.attributes["srcset"], "AVIF")):
        entries = srcset(value)
        assert [width for _, width in entries] == [480, 960, 1440, 1920]
        for url, width in entries:
            with Image.open(resolve(built, page, url)) as variant:
                assert variant.format == fmt and variant.width == width
                assert abs(variant.height - width * 2 / 3) <= 1


def test_small_and_vector_images_get_no_srcset(built: Build) -> None:
    found = {img.attributes["alt"]: img.attributes for img in text_images(built, "artikler/med-bilder/index.html")}
    assert "srcset" not in found["Et lite bilde"] and "srcset" not in found["Et diagram"]


def test_listing_excerpts_point_at_the_same_variants(built: Build) -> None:
    page = "artikler/index.html"
    [img] = [img for img in built.html(page).css(".md-post__content img") if img.attributes["alt"] == "Et stort bilde"]
    for url, width in srcset(img.attributes["srcset"]):
        with Image.open(resolve(built, page, url)) as variant:
            assert variant.width == width


def test_the_sharing_image_is_a_1200_by_630_crop_declared_as_such(built: Build) -> None:
    html = built.html("artikler/med-bilder/index.html")
    tags = {node.attributes["property"]: node.attributes["content"] for node in html.css("meta[property]")}
    assert tags["og:image"] == f"{SITE_URL}assets/cards/artikler-med-bilder.jpg"
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1200", "630")
    assert tags["og:image:alt"] == ALT
    with Image.open(built.site / "assets/cards/artikler-med-bilder.jpg") as shared:
        assert shared.size == (1200, 630) and shared.format == "JPEG"
    [posting] = [json.loads(node.text()) for node in html.css('script[type="application/ld+json"]')
                 if "BlogPosting" in node.text()]
    assert posting["image"] == {"@type": "ImageObject", "url": tags["og:image"], "width": 1200, "height": 630}


@pytest.mark.parametrize("page", ["index.html", "artikler/uten-bilder/index.html"])
def test_cards_show_the_cover_with_its_alt_text_and_others_keep_todays_card(built: Build, page: str) -> None:
    cards = {card.css_first(".hub-card__link").text(): card for card in built.html(page).css("li.hub-card")}
    covered = cards["Coaching med bilder"]
    img = covered.css_first("img").attributes
    assert img["alt"] == ALT and img["loading"] == "lazy" and img["decoding"] == "async"
    assert (img["width"], img["height"]) == ("400", "225")
    with Image.open(resolve(built, page, img["src"])) as cover:
        assert cover.size == (400, 225)
    for source in covered.css("source"):
        for url, width in srcset(source.attributes["srcset"]):
            with Image.open(resolve(built, page, url)) as variant:
                assert variant.size == (width, width * 9 // 16 + (width * 9 % 16 >= 8))
    if "Coaching uten bilder" in cards:
        assert cards["Coaching uten bilder"].css("img, picture") == []
    assert "hub-card--cover" in covered.attributes["class"]


@pytest.mark.parametrize("page", ["artikler/index.html", "artikler/kategori/coaching/index.html"])
def test_material_listings_show_the_cover_above_the_excerpt(built: Build, page: str) -> None:
    posts = {post.css_first(".md-post__content h2, .md-post__content a").text(strip=True): post
             for post in built.html(page).css("article.md-post")}
    covered = [post for post in built.html(page).css("article.md-post") if post.css_first(".hub-post__cover")]
    assert len(covered) == 1, list(posts)
    img = covered[0].css_first(".hub-post__cover img, img.hub-post__cover").attributes
    assert img["alt"] == ALT and img["loading"] == "lazy" and (img["width"], img["height"]) == ("400", "225")
    with Image.open(resolve(built, page, img["src"])) as cover:
        assert cover.size == (400, 225)
    for source in covered[0].css("source"):
        for url, width in srcset(source.attributes["srcset"]):
            assert resolve(built, page, url).is_file(), url
    # The cover sits between Material's header and the excerpt, outside the text the excerpt rewrite reads.
    assert covered[0].css_first(".md-post__content .hub-post__cover") is None
    assert len(built.html(page).css("article.md-post")) > len(covered)  # the one without an image has none


def test_an_alt_text_cannot_become_markup(built: Build) -> None:
    for page in ("index.html", "artikler/med-bilder/index.html", "artikler/uten-bilder/index.html"):
        assert "<b>" not in built.text(page).replace("&lt;b&gt;", "")


def test_two_builds_write_byte_identical_variants_and_the_second_encodes_nothing(tmp_path: Path) -> None:
    config = write_site(tmp_path, files())
    cache = tmp_path / "cache"
    first = run_mkdocs(config, tmp_path / "site-1", env={"HUB_CACHE_DIR": str(cache)})
    assert first.returncode == 0, first.output
    stamps = {path: path.stat().st_mtime_ns for path in (cache / "images").iterdir()}
    assert len(stamps) > 10
    second = run_mkdocs(config, tmp_path / "site-2", env={"HUB_CACHE_DIR": str(cache)})
    cold = run_mkdocs(config, tmp_path / "site-3", env={"HUB_CACHE_DIR": str(tmp_path / "cache-cold")})
    assert second.returncode == cold.returncode == 0
    assert {path: path.stat().st_mtime_ns for path in (cache / "images").iterdir()} == stamps  # nothing re-encoded
    for other in (tmp_path / "site-2", tmp_path / "site-3"):
        for folder in ("assets/images/varianter", "assets/cards"):
            names = sorted(path.name for path in (first.site / folder).iterdir())
            assert names == sorted(path.name for path in (other / folder).iterdir())
            assert all((first.site / folder / name).read_bytes() == (other / folder / name).read_bytes()
                       for name in names)


def test_a_remote_sharing_image_declares_no_size(small_site) -> None:
    build = small_site({"artikler/posts/a.md": article("Ekstern", slug="a", image="https://example.com/a.jpg")})
    assert build.returncode == 0, build.output
    html = build.html("artikler/a/index.html")
    properties = [node.attributes["property"] for node in html.css("meta[property]")]
    assert "og:image:width" not in properties and "og:image:height" not in properties
    assert html.css_first('meta[property="og:image"]').attributes["content"] == "https://example.com/a.jpg"


# -----------------------------------------------------------------------------
# make check
# -----------------------------------------------------------------------------


def test_make_check_warns_about_heavy_and_wide_images(tmp_path: Path) -> None:
    heavy, wide = photo(700, 700, noise=True, quality=95), photo(2600, 40, "PNG")
    assert len(heavy) > 500 * 1024 and len(wide) < 500 * 1024
    write_site(tmp_path, {
        "artikler/posts/bilder/tung.jpg": heavy,
        "artikler/posts/bilder/bred.png": wide,
        "artikler/posts/bilder/grei.png": photo(800, 400, "PNG"),
        "artikler/posts/a.md": article("Bilder", slug="a", image="bilder/bred.png", body=(
            "Tekst.\n\n![Tung](bilder/tung.jpg)\n\n<img src=\"bilder/bred.png\" alt=\"Bred\">\n\n"
            "![Grei](bilder/grei.png)\n")),
    })
    reports = check.check_site(site.read(tmp_path))
    said = [str(problem) for report in reports for problem in report.warnings if problem.field == "image"]
    kb = len(heavy) // 1024
    assert said == [
        "docs/artikler/posts/a.md:6: image: bilder/bred.png er 2600 px bredt, over grensen på 2400 px; skaler det "
        "ned til høyst 2400 px, bredere vises det aldri",
        f"docs/artikler/posts/a.md:11: image: bilder/tung.jpg er {kb} KB, over grensen på 500 KB; lagre det mindre, "
        "for eksempel som JPEG med kvalitet 80, så bygget går raskere og originalen lastes fortere",
        "docs/artikler/posts/a.md:13: image: bilder/bred.png er 2600 px bredt, over grensen på 2400 px; skaler det "
        "ned til høyst 2400 px, bredere vises det aldri",
    ]
