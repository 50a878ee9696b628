"""hub/images.py: sizes, variant plans, cache keys, deterministic encodes and the rewriting of <img> tags."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from hub import images
from support import REPO, SVG_DIAGRAM, photo


def measured(width: int, height: int, kind: str = "raster") -> images.Measured:
    return images.Measured("d" * 64, width, height, kind)


# -----------------------------------------------------------------------------
# Measuring
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", "raster"), ("PNG", "raster"), ("WEBP", "raster")])
def test_raster_images_are_measured_from_the_file(fmt: str, kind: str) -> None:
    found = images.measure(photo(640, 360, fmt), f"x.{fmt.lower()}")
    assert (found.width, found.height, found.kind) == (640, 360, kind)


def test_a_photo_turned_by_exif_is_measured_as_shown() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when shown
    found = images.measure(photo(400, 300, "JPEG", exif=exif), "x.jpg")
    assert (found.width, found.height) == (300, 400)
    variant = images.Variant(found.digest, 150, 200, "webp")
    with Image.open(io.BytesIO(images.encode(photo(400, 300, "JPEG", exif=exif), variant))) as image:
        assert image.size == (150, 200)


def test_an_animated_gif_is_measured_but_never_resized() -> None:
    frames = [Image.new("RGB", (600, 400), colour) for colour in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    found = images.measure(buffer.getvalue(), "x.gif")
    assert (found.width, found.height, found.kind) == (600, 400, "animated")
    assert images.plan(found, "webp") == [] and images.plan_share(found) is None


@pytest.mark.parametrize(("svg", "size"), [
    (SVG_DIAGRAM, (640, 360)),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="200px" height="100" viewBox="0 0 20 10"/>', (200, 100)),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="300" viewBox="0,0,600,200"/>', (300, 100)),
    ('<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 90.4 30.2"/>', (90, 30)),
    ('<svg xmlns="http://www.w3.org/2000/svg"/>', None),
    ("<svg", None),
])
def test_svg_size_comes_from_width_height_or_viewbox(svg: str, size: tuple[int, int] | None) -> None:
    assert images.svg_size(svg.encode()) == size


def test_what_is_not_an_image_is_not_measured() -> None:
    assert images.measure(b"not an image", "x.png") is None
    assert images.measure(b"%PDF-1.4", "x.pdf") is None


# -----------------------------------------------------------------------------
# Planning
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "widths"), [
    (4000, [480, 960, 1440, 1920]),
    (1000, [480, 960, 1000]),
    (960, [480, 960]),
    (481, [480, 481]),
    (480, []),   # small enough as it is
    (300, []),
])
def test_variants_are_the_standard_widths_below_the_image_and_its_own(width: int, widths: list[int]) -> None:
    planned = images.plan(measured(width, width // 2), "webp")
    assert [variant.width for variant in planned] == widths
    assert all(variant.height == round(variant.width / 2) or abs(variant.height - variant.width / 2) <= 1
               for variant in planned)


def test_vector_images_get_no_variants() -> None:
    assert images.plan(measured(4000, 2000, "svg"), "webp") == []


@pytest.mark.parametrize(("size", "share"), [
    ((4000, 3000), (1200, 630)),
    ((1200, 630), (1200, 630)),
    ((800, 600), (800, 420)),      # never enlarged: the largest crop of that shape
    ((600, 2000), (600, 315)),
])
def test_the_sharing_crop_is_1200_by_630_or_the_largest_of_that_shape(size: tuple[int, int],
                                                                     share: tuple[int, int]) -> None:
    crop = images.plan_share(measured(*size))
    assert (crop.width, crop.height, crop.fmt, crop.crop) == (*share, "jpeg", (1200, 630))


def test_card_covers_are_16_by_9_at_the_card_width_and_its_double() -> None:
    assert [(v.width, v.height) for v in images.plan_cover(measured(3000, 2000), "avif")] == [(400, 225), (800, 450)]
    assert [(v.width, v.height) for v in images.plan_cover(measured(500, 500), "webp")] == [(400, 225), (500, 281)]


def test_the_cache_key_changes_with_every_input() -> None:
    base = images.Variant("a" * 64, 480, 270, "webp")
    others = [images.Variant("b" * 64, 480, 270, "webp"), images.Variant("a" * 64, 960, 270, "webp"),
              images.Variant("a" * 64, 480, 270, "avif"), images.Variant("a" * 64, 480, 270, "webp", (16, 9))]
    assert len({base.key(), *(other.key() for other in others)}) == 5
    assert base.key() == images.Variant("a" * 64, 480, 270, "webp").key()
    assert base.filename("Møte på kontoret") == f"m-te-p-kontoret-480w-{base.key()}.webp"


def test_the_encoder_settings_are_part_of_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    variant = images.Variant("a" * 64, 480, 270, "webp")
    before = variant.key()
    monkeypatch.setitem(images.WEBP, "quality", 81)
    assert variant.key() != before


# -----------------------------------------------------------------------------
# Encoding
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["webp", "avif", "jpeg"])
def test_two_encodes_are_byte_identical_and_have_the_planned_size(fmt: str) -> None:
    source = photo(1600, 900)
    variant = images.Variant(images.digest(source), 960, 540, fmt, (1200, 630) if fmt == "jpeg" else None)
    first, second = images.encode(source, variant), images.encode(source, variant)
    assert first == second
    with Image.open(io.BytesIO(first)) as image:
        assert image.size == (960, 540) and image.format == {"webp": "WEBP", "avif": "AVIF", "jpeg": "JPEG"}[fmt]


@pytest.mark.slow  # starts Python
def test_avif_is_byte_identical_in_another_process() -> None:
    """AVIF depends on the encoder's thread count; one fixed thread makes it the same on every machine."""
    source = photo(1200, 800)
    variant = images.Variant(images.digest(source), 960, 640, "avif")
    here = hashlib.sha256(images.encode(source, variant)).hexdigest()
    script = ("import hashlib, sys; from hub import images; from support import photo; s = photo(1200, 800); "
              "v = images.Variant(images.digest(s), 960, 640, 'avif'); "
              "print(hashlib.sha256(images.encode(s, v)).hexdigest())")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120,
                            env={"PYTHONPATH": f"{REPO / 'hooks'}:{REPO / 'tests'}:{REPO}", "PATH": "/usr/bin:/bin"})
    assert result.stdout.strip() == here
    assert images.AVIF["max_threads"] == 1


def test_transparency_is_kept_in_webp_and_flattened_on_white_in_jpeg() -> None:
    source = photo(800, 450, "PNG")
    with Image.open(io.BytesIO(source)) as opened:
        rgba = opened.convert("RGBA")
    rgba.paste((0, 0, 0, 0), (0, 0, 48, 48))  # a block, so JPEG's colour blocks do not bleed into it
    buffer = io.BytesIO()
    rgba.save(buffer, format="PNG")
    data = buffer.getvalue()
    with Image.open(io.BytesIO(images.encode(data, images.Variant("x", 800, 450, "webp")))) as webp:
        assert webp.mode == "RGBA" and webp.getpixel((8, 8))[3] == 0
    with Image.open(io.BytesIO(images.encode(data, images.Variant("x", 800, 450, "jpeg")))) as jpeg:
        assert jpeg.mode == "RGB" and min(jpeg.getpixel((8, 8))) > 240


def test_a_cached_variant_is_not_encoded_again(tmp_path: Path) -> None:
    source = photo(1000, 500)
    variant = images.Variant(images.digest(source), 480, 240, "webp")
    calls: list[int] = []

    def load() -> bytes:
        calls.append(1)
        return source

    assert images.render_cached(load, variant, tmp_path / "cache", tmp_path / "site/a.webp") is True
    cached = tmp_path / "cache" / f"{variant.key()}.webp"
    stamp = cached.stat().st_mtime_ns
    assert images.render_cached(load, variant, tmp_path / "cache", tmp_path / "site2/a.webp") is False
    assert len(calls) == 1 and cached.stat().st_mtime_ns == stamp
    assert (tmp_path / "site/a.webp").read_bytes() == (tmp_path / "site2/a.webp").read_bytes() == cached.read_bytes()


# -----------------------------------------------------------------------------
# sizes and the rewriting of a page
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "sizes"), [
    (0, "(min-width: 2000px) 826px, (min-width: 1600px) 757px, (min-width: 1220px) 688px, "
        "(min-width: 960px) calc(100vw - 274px), calc(100vw - 32px)"),
    (3000, "(min-width: 2000px) 826px, (min-width: 1600px) 757px, (min-width: 1220px) 688px, "
           "(min-width: 960px) calc(100vw - 274px), calc(100vw - 32px)"),
    (300, "(min-width: 332px) 300px, calc(100vw - 32px)"),
    (700, "(min-width: 1600px) 700px, (min-width: 1220px) 688px, (min-width: 974px) 700px, "
          "(min-width: 960px) calc(100vw - 274px), (min-width: 732px) 700px, calc(100vw - 32px)"),
])
def test_sizes_is_the_text_column_never_wider_than_the_image(width: int, sizes: str) -> None:
    assert images.sizes_for(width) == sizes


def render(picture: images.Picture) -> str:
    """A stand-in for partials/picture.html, enough to see what the rewrite decided."""
    attributes = "".join(f' {name}="{value}"' if value is not None else f" {name}" for name, value in
                         picture.attributes)
    sources = "".join(f"[{source.mime} {source.srcset}]" for source in picture.sources)
    return f"{sources}<img{attributes}>"


def resolver(src: str) -> images.Found | None:
    if src == "big.jpg":
        variant = images.Variant("d", 480, 240, "webp")
        avif = images.Variant("d", 480, 240, "avif")
        return images.Found(2000, 1000, {"avif": [("v/b-480.avif", avif)], "webp": [("v/b-480.webp", variant)]})
    if src == "small.png":
        return images.Found(300, 200)
    return None


PAGE = ('<header><img src="big.jpg" alt="logo"></header>\n'
        '<article class="md-content__inner md-typeset">\n'
        '<p><img alt="Først &amp; «fremst»" src="big.jpg"></p>\n'
        '<h2 id="a">A</h2>\n'
        '<p><img src="small.png" alt=""/> <img src="https://example.com/x.png" alt="x" loading="eager"></p>\n'
        '<picture><source srcset="own.avif" type="image/avif"><img src="big.jpg" alt="egen"></picture>\n'
        '<p><img src="small.png" alt="satt" width="10" height="5"></p>\n'
        '<pre><code>&lt;img src="big.jpg"&gt;</code></pre>\n'
        '</article>\n<footer><img src="big.jpg" alt="bunn"></footer>\n')


def test_rewrite_touches_only_the_images_in_the_text() -> None:
    out = images.rewrite(PAGE, resolver, render)
    assert out.startswith('<header><img src="big.jpg" alt="logo"></header>\n')
    assert out.endswith('</article>\n<footer><img src="big.jpg" alt="bunn"></footer>\n')
    assert '<pre><code>&lt;img src="big.jpg"&gt;</code></pre>' in out
    lines = out.splitlines()
    # The first image before a subheading: on the first screen, loaded at once; values re-escaped by the partial.
    assert lines[2] == ('<p>[image/avif v/b-480.avif 480w]<img alt="Først & «fremst»" src="big.jpg" width="2000" '
                        'height="1000" srcset="v/b-480.webp 480w" sizes="(min-width: 2000px) 826px, (min-width: '
                        '1600px) 757px, (min-width: 1220px) 688px, (min-width: 960px) calc(100vw - 274px), '
                        'calc(100vw - 32px)"></p>')
    assert lines[4] == ('<p><img src="small.png" alt="" width="300" height="200" loading="lazy" decoding="async"> '
                        '<img src="https://example.com/x.png" alt="x" loading="eager" decoding="async"></p>')
    # An author's own <picture> keeps its sources; the image gets its size and lazy loading only.
    assert lines[5] == ('<picture><source srcset="own.avif" type="image/avif"><img src="big.jpg" alt="egen" '
                        'width="2000" height="1000" loading="lazy" decoding="async"></picture>')
    assert lines[6] == '<p><img src="small.png" alt="satt" width="10" height="5" loading="lazy" decoding="async"></p>'


@pytest.mark.parametrize("last", ['<img src="small.png" alt="a > b">', "<img alt='a>b' src=\"small.png\">",
                                  '<IMG SRC="small.png" ALT="stor">', '<img src="small.png"\nalt="to linjer">'])
def test_the_last_image_of_a_page_is_rewritten_whatever_its_attributes_hold(last: str) -> None:
    """Only the page up to the end of its last <img> is parsed: that tag must be read whole."""
    tail = "<p>" + "Mer tekst, ingen bilder. " * 200 + "</p>\n<form><input value='<img'></form>\n</article>\n"
    page = f'<article class="md-content__inner">\n<h2>A</h2>\n<p>{last}</p>\n{tail}'
    out = images.rewrite(page, resolver, render)
    assert 'width="300" height="200" loading="lazy"' in out and last not in out
    assert out.endswith(tail)


def test_an_image_after_the_first_subheading_is_lazy_even_if_first() -> None:
    page = '<article class="md-content__inner">\n<h2>A</h2>\n<p><img src="small.png" alt=""></p>\n</article>'
    assert 'loading="lazy"' in images.rewrite(page, resolver, render)


def test_listing_excerpts_are_text_containers_too() -> None:
    page = ('<div class="md-content" data-md-component="content"><div class="md-content__inner">'
            '<article class="md-post md-post--excerpt"><nav class="md-post__authors md-typeset">'
            '<img src="small.png" alt="Kari"></nav>'
            '<div class="md-post__content md-typeset"><div><img src="small.png" alt="a"></div>'
            '<img src="small.png" alt="b"></div></article></div></div>')
    out = images.rewrite(page, resolver, render)
    assert '<img src="small.png" alt="Kari">' in out  # the avatar is Material's, outside the text
    assert '<img src="small.png" alt="a" width="300" height="200">' in out
    assert '<img src="small.png" alt="b" width="300" height="200" loading="lazy" decoding="async">' in out


def test_a_page_without_text_images_is_returned_unchanged() -> None:
    page = '<header><img src="big.jpg" alt="logo"></header><article class="md-content__inner"><p>x</p></article>'
    assert images.rewrite(page, resolver, render) is page


def test_attribute_names_that_are_not_names_are_dropped() -> None:
    page = '<article class="md-content__inner"><img src="small.png" alt="" "onerror=x"></article>'
    assert 'onerror' not in images.rewrite(page, resolver, render)
