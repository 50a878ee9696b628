"""Images in pages: their size, smaller WebP and AVIF variants, crops for sharing and cards. No MkDocs imports.

Every encoded file is a :class:`Variant`: the source's bytes (by digest), a
width, a format, an optional crop and the encoder's settings. Its key hashes
all of those together with the encoders' versions, so :func:`render_cached`
encodes it once and every later build links the cached bytes into ``site/``.
Encodes are deterministic: WebP is, and AVIF is once its thread count is fixed
(libaom splits the picture by threads, so a 2-core and an 8-core machine
would otherwise write different bytes; tests/test_images.py checks both).

:func:`rewrite` gives the ``<img>`` elements in a rendered page their
``width``/``height``, lazy loading and ``srcset``, with the standard
library's HTML parser: it finds each tag's exact place, and only those tags
are replaced; everything else in the page stays byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import functools
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from hub import filecache

if TYPE_CHECKING:
    from PIL import Image

# Pillow and its codecs are imported where an image is read or encoded, not with this module: a build
# whose images and cards all come from the cache never loads them (a smaller peak memory).

# Widths of the variants, in CSS pixels of the widest screen we design for
# (and its double density). An image gets those below its own width, plus one
# at its own width capped at MAX_WIDTH (twice the widest text column, 826 px), so no screen needs the original.
WIDTHS = (480, 960, 1440, 1920)
MAX_WIDTH = 1920
# Sizes `make check` warns about: larger files slow the first build, wider
# ones are never shown wider than MAX_WIDTH.
WARN_BYTES = 500 * 1024
WARN_WIDTH = 2400
# An image no wider than this is served as it is: a variant would save little.
SMALL = WIDTHS[0]

# Encoder settings; they are part of every key, so a change re-encodes.
# WebP quality 0-100 (80: no visible loss in photos), method 0-6 (4: Pillow's default speed).
WEBP = {"quality": 80, "method": 4}
# AVIF quality 0-100 (60 is about WebP 80), speed 0-10, and one thread: the bytes depend on the thread count.
AVIF = {"quality": 60, "speed": 6, "max_threads": 1}
# The sharing image: Open Graph's recommended 1200×630, as JPEG (every network reads it), quality 0-100.
SHARE_SIZE = (1200, 630)
JPEG = {"quality": 85, "optimize": True, "progressive": False}
# Card covers: 16:9, at the card's width and its double.
COVER_RATIO = (16, 9)
COVER_WIDTHS = (400, 800)

FORMATS = {"webp": ("WEBP", WEBP, "image/webp"), "avif": ("AVIF", AVIF, "image/avif"),
           "jpeg": ("JPEG", JPEG, "image/jpeg")}
# Formats offered in a srcset, best first: a browser takes the first <source> whose type it reads.
SRCSET_FORMATS = ("avif", "webp")

# Bump when the way variants are made changes (resampling, crop), so cached ones are remade.
VERSION = 1
@functools.cache
def _encoders() -> str:
    import PIL
    from PIL import features

    return f"Pillow {PIL.__version__}, webp {features.version('webp')}, avif {features.version('avif')}"

RASTER = {"JPEG", "PNG", "WEBP", "GIF", "AVIF", "TIFF", "BMP"}


@dataclass(frozen=True)
class Measured:
    """What a local image is: its digest and its size as a browser shows it."""

    digest: str
    width: int
    height: int
    kind: str            # "raster", "animated" (GIF/WebP with frames: served as is) or "svg"
    size: int = 0        # bytes of the source

    @property
    def resizable(self) -> bool:
        return self.kind == "raster"


@dataclass(frozen=True)
class Variant:
    """One encoded file made from a source: resized, maybe cropped, in one format."""

    digest: str                              # sha256 of the source bytes
    width: int
    height: int
    fmt: str                                 # a key of FORMATS
    crop: tuple[int, int] | None = None      # centre crop to this aspect ratio before resizing

    def key(self) -> str:
        settings = FORMATS[self.fmt][1]
        payload = json.dumps({**asdict(self), "settings": settings, "encoders": _encoders(), "version": VERSION},
                             sort_keys=True)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def filename(self, stem: str) -> str:
        """``foto-960w-3fa9c1d2e4b5a6f7.webp``: readable, and a new name whenever the bytes change."""
        ext = "jpg" if self.fmt == "jpeg" else self.fmt
        return f"{_safe_stem(stem)}-{self.width}w-{self.key()}.{ext}"

    @property
    def mime(self) -> str:
        return FORMATS[self.fmt][2]


def _safe_stem(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:40] or "bilde"


# -----------------------------------------------------------------------------
# Measuring
# -----------------------------------------------------------------------------


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def measure(data: bytes, name: str) -> Measured | None:
    """The size of an image as shown (EXIF rotation applied; SVG from width/height or viewBox), or None."""
    if name.lower().endswith(".svg"):
        size = svg_size(data)
        return Measured(digest(data), *size, "svg", len(data)) if size else None
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in RASTER:
                return None
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):  # Orientation: turned a quarter
                width, height = height, width
            kind = "animated" if getattr(image, "n_frames", 1) > 1 else "raster"
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return Measured(digest(data), width, height, kind, len(data))


_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")


def svg_size(data: bytes) -> tuple[int, int] | None:
    """An SVG's intrinsic size: its width and height in px, else its viewBox; None without either."""
    try:
        _, root = next(ElementTree.iterparse(io.BytesIO(data), events=("start",)))
    except (ElementTree.ParseError, StopIteration):
        return None
    width, height = (_LENGTH.match(root.get(name) or "") for name in ("width", "height"))
    box = [float(part) for part in re.split(r"[\s,]+", (root.get("viewBox") or "").strip()) if _is_number(part)]
    if width and height:
        return _round(float(width[1])), _round(float(height[1]))
    if len(box) == 4 and box[2] > 0 and box[3] > 0:
        if width:  # one length given: the other follows the viewBox's ratio
            return _round(float(width[1])), _round(float(width[1]) * box[3] / box[2])
        if height:
            return _round(float(height[1]) * box[2] / box[3]), _round(float(height[1]))
        return _round(box[2]), _round(box[3])
    return None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _round(value: float) -> int:
    return max(1, int(value + 0.5))


# -----------------------------------------------------------------------------
# Planning
# -----------------------------------------------------------------------------


def plan(image: Measured, fmt: str) -> list[Variant]:
    """The srcset variants of *image* in *fmt*, narrowest first; none for small, animated or vector images."""
    if not image.resizable or image.width <= SMALL:
        return []
    widths = [width for width in WIDTHS if width < image.width] + [min(image.width, MAX_WIDTH)]
    return [Variant(image.digest, width, _round(image.height * width / image.width), fmt)
            for width in sorted(set(widths))]


def plan_share(image: Measured) -> Variant | None:
    """The 1200×630 sharing crop, or the largest crop of that shape a smaller image allows (never enlarged)."""
    if not image.resizable:
        return None
    width, height = _fit(image.width, image.height, SHARE_SIZE)
    return Variant(image.digest, min(width, SHARE_SIZE[0]), min(height, SHARE_SIZE[1]), "jpeg", SHARE_SIZE)


def plan_cover(image: Measured, fmt: str) -> list[Variant]:
    """The card cover: a 16:9 centre crop at the card's width and its double, never enlarged."""
    if not image.resizable:
        return []
    most, _ = _fit(image.width, image.height, COVER_RATIO)
    widths = sorted({min(width, most) for width in COVER_WIDTHS})
    return [Variant(image.digest, width, _round(width * COVER_RATIO[1] / COVER_RATIO[0]), fmt, COVER_RATIO)
            for width in widths]


def _fit(width: int, height: int, ratio: tuple[int, int]) -> tuple[int, int]:
    """The largest box of *ratio* inside width × height."""
    if width * ratio[1] > height * ratio[0]:
        return _round(height * ratio[0] / ratio[1]), height
    return width, _round(width * ratio[1] / ratio[0])


def srcset(entries: list[tuple[str, Variant]]) -> str:
    """``a.webp 480w, b.webp 960w`` from (URL, variant) pairs."""
    return ", ".join(f"{url} {variant.width}w" for url, variant in entries)


# -----------------------------------------------------------------------------
# Encoding
# -----------------------------------------------------------------------------


def encode(data: bytes, variant: Variant) -> bytes:
    """The bytes of *variant* made from the source *data*."""
    from PIL import Image, ImageOps

    pillow_format, settings, _ = FORMATS[variant.fmt]
    with Image.open(io.BytesIO(data)) as opened:
        icc = opened.info.get("icc_profile")
        image = _rgb(ImageOps.exif_transpose(opened), alpha=variant.fmt != "jpeg")
    if variant.crop:
        width, height = _fit(image.width, image.height, variant.crop)
        left, top = (image.width - width) // 2, (image.height - height) // 2
        image = image.crop((left, top, left + width, top + height))
    if image.size != (variant.width, variant.height):
        image = image.resize((variant.width, variant.height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format=pillow_format, **settings, **({"icc_profile": icc} if icc else {}))
    return buffer.getvalue()


def _rgb(image: Image.Image, alpha: bool) -> Image.Image:
    """RGB, or RGBA where the image has transparency and the format keeps it (JPEG: on white)."""
    from PIL import Image

    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not transparent:
        return image.convert("RGB")
    image = image.convert("RGBA")
    if alpha:
        return image
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def render_cached(load: Callable[[], bytes], variant: Variant, cache: Path, target: Path) -> bool:
    """Write *variant* to *target*, encoding it (from *load*'s bytes) only if the cache lacks it.

    Returns whether it was encoded.
    """
    return filecache.cached_file(cache / f"{variant.key()}.{variant.fmt}", lambda: encode(load(), variant), target)


# -----------------------------------------------------------------------------
# Rewriting a rendered page
# -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A ``<source>`` of a ``<picture>``."""

    mime: str
    srcset: str
    sizes: str


@dataclass(frozen=True)
class Picture:
    """What an ``<img>`` becomes: attributes in order, and sources to wrap it in a ``<picture>`` with."""

    attributes: tuple[tuple[str, str | None], ...]
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Found:
    """What the resolver knows of one image: its size, and its variants as (URL, variant) per format."""

    width: int
    height: int
    variants: dict[str, list[tuple[str, Variant]]] = field(default_factory=dict)


# Where a page's own images are: the article or page text, and each listing excerpt.
CONTAINERS = (("article", "md-content__inner"), ("div", "md-post__content"))
# The first image before the first of these headings is likely on the first screen: loaded at once.
FOLD_HEADINGS = {"h2", "h3", "h4", "h5", "h6"}
# A whole <img> start tag, quoted attribute values and all.
_LAST_IMG = re.compile(r"""<img\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)
_ATTRIBUTE_NAME = re.compile(r"^[a-zA-Z_:][-a-zA-Z0-9_:.]*$")


# Material's text column on an article page, measured in Chromium (tests/test_images_browser.py
# checks it): (smallest viewport in px, fixed width in px, or 0 and the px it is less than the viewport).
# Material's root font grows at 1600 and 2000 px, so the column does too. `sizes` is written in px: its
# rem would be the browser's 16 px, not Material's 20.
Column = tuple[tuple[int, int, int], ...]
TEXT_COLUMN: Column = ((2000, 826, 0), (1600, 757, 0), (1220, 688, 0), (960, 0, 274), (0, 0, 32))
# A card in the grid: the column less the card's padding (a lone card fills the row).
CARD_COLUMN: Column = tuple((low, fixed - 40 if fixed else 0, less + 40 if less else 0)
                            for low, fixed, less in TEXT_COLUMN)


def sizes_for(width: int, column: Column = TEXT_COLUMN) -> str:
    """The ``sizes`` of an image *width* px wide (0: unknown) in *column*: never wider than either."""
    entries: list[tuple[int, str]] = []
    upper = None
    for low, fixed, less in column:
        if fixed:
            entries.append((low, f"{min(width, fixed) if width else fixed}px"))
        elif width and width + less <= low:
            entries.append((low, f"{width}px"))
        else:
            if width and (upper is None or width + less < upper):
                entries.append((width + less, f"{width}px"))
            entries.append((low, f"calc(100vw - {less}px)"))
        upper = low
    merged: list[tuple[int, str]] = []
    for low, value in entries:  # a wider range with the same width as the next says nothing
        if merged and merged[-1][1] == value:
            merged[-1] = (low, value)
        else:
            merged.append((low, value))
    return ", ".join(f"(min-width: {low}px) {value}" if low else value for low, value in merged)


def picture(attributes: list[tuple[str, str | None]], found: Found | None, eager: bool,
            column: Column = TEXT_COLUMN) -> Picture:
    """An ``<img>``'s new attributes: size, loading, and the WebP srcset; AVIF as a ``<source>``."""
    names = {name for name, _ in attributes}
    added: list[tuple[str, str | None]] = []
    if found and not names & {"width", "height"}:
        added += [("width", str(found.width)), ("height", str(found.height))]
    if not eager and "loading" not in names:
        added.append(("loading", "lazy"))
    if not eager and "decoding" not in names:
        added.append(("decoding", "async"))
    sources: list[Source] = []
    if found and found.variants and not names & {"srcset", "sizes"}:
        sizes = sizes_for(found.width, column)
        fallback = found.variants.get("webp")
        if fallback:
            added += [("srcset", srcset(fallback)), ("sizes", sizes)]
        sources = [Source(FORMATS[fmt][2], srcset(entries), sizes) for fmt, entries in found.variants.items()
                   if fmt != "webp" and entries]
    kept = [(name, value) for name, value in attributes if _ATTRIBUTE_NAME.match(name)]
    return Picture(tuple(kept + added), tuple(sources))


class _Images(HTMLParser):
    """Finds every ``<img>`` inside the page's text containers, with its place in the source."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, int, str, list[tuple[str, str | None]], bool, bool]] = []
        self._container: str | None = None
        self._depth = 0
        self._pictures = 0
        self._heading_seen = False
        self._eager_given = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._container is None:
            classes = (dict(attrs).get("class") or "").split()
            if any(tag == name and wanted in classes for name, wanted in CONTAINERS):
                self._container, self._depth = tag, 1
            return
        if tag == self._container:
            self._depth += 1
        elif tag == "picture":
            self._pictures += 1
        elif tag in FOLD_HEADINGS:
            self._heading_seen = True
        elif tag == "img":
            # An image whose loading the template or author chose keeps it, and is not "the first".
            eager = not self._heading_seen and not self._eager_given and "loading" not in dict(attrs)
            self._eager_given = self._eager_given or eager
            self.found.append((*self.getpos(), self.get_starttag_text() or "", attrs, eager, self._pictures > 0))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self._container is None:
            return
        if tag == "picture":
            self._pictures = max(0, self._pictures - 1)
        elif tag == self._container:
            self._depth -= 1
            if self._depth == 0:
                self._container = None


def rewrite(html: str, resolve: Callable[[str], Found | None], render: Callable[[Picture], str],
            column: Column = TEXT_COLUMN) -> str:
    """*html* with every ``<img>`` in its text containers replaced by what *render* makes of its :class:`Picture`.

    *resolve* maps an ``src`` to what is known of that image (None: not a
    local image); *render* writes the markup (the theme's partial). The
    first image before any subheading is left to load at once: it is likely
    on the first screen, where lazy loading would only delay it.
    """
    return apply(html, replacements(html, resolve, render, column))


def replacements(html: str, resolve: Callable[[str], Found | None], render: Callable[[Picture], str],
                 column: Column = TEXT_COLUMN) -> list[tuple[int, int, str]]:
    """What :func:`rewrite` changes in *html*: (start, end, new markup) for each ``<img>``, in order."""
    # Only the part from the first text container on is parsed: the header before it is most of a page.
    first = min((found for _, wanted in CONTAINERS if (found := html.find(wanted)) >= 0), default=-1)
    offset = html.rfind("<", 0, first)
    if first < 0 or offset < 0 or "<img" not in html[offset:].lower():
        return []
    # ... and only up to the end of the last <img> tag: nothing after it can change (an article's text and
    # forms after its byline are most of the rest).
    last = _LAST_IMG.match(html, html.lower().rfind("<img"))
    parser = _Images()
    parser.feed(html[offset:last.end() if last else len(html)])
    parser.close()
    starts = [offset] + [offset + match.end() for match in re.finditer("\n", html[offset:])]  # as HTMLParser counts
    changes = []
    for line, column_offset, raw, attrs, eager, in_picture in parser.found:
        start = starts[line - 1] + column_offset
        if html[start:start + len(raw)] != raw:  # never replace what the parser did not see exactly
            continue
        src = dict(attrs).get("src") or ""
        found = resolve(src) if src else None
        if in_picture and found:
            found = Found(found.width, found.height)  # the author's <picture> chose its sources
        changes.append((start, start + len(raw), render(picture(attrs, found, eager, column))))
    return changes


def apply(html: str, changes: list[tuple[int, int, str]]) -> str:
    """*html* with each (start, end, markup) of *changes* (in order, not overlapping) put in."""
    pieces, done = [], 0
    for start, end, markup in changes:
        pieces += [html[done:start], markup]
        done = end
    pieces.append(html[done:])
    return "".join(pieces)
