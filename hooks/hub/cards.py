"""Sharing images (1200×630) drawn with Pillow, offline and deterministic. No MkDocs imports.

The typeface is Source Sans Pro (SIL Open Font License), installed from
PyPI with the pinned ``font-source-sans-pro`` package, so nothing is
downloaded at build time and æ, ø and å are drawn. The same title, category
and brand always give the same bytes; :func:`render_cached` keys each card by a hash of
its inputs and draws it only when that key is new.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import site
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from hub import filecache

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from PIL import Image, ImageDraw, ImageFont

# Pillow is imported where a card is drawn: a build whose cards all come from the cache never loads it,
# and a first build draws them in worker processes (Painter).

SIZE = (1200, 630)
MARGIN = 72
# Brand colours (see docs/assets/stylesheets/hub.css); text on them keeps AA contrast.
BACKGROUND = (11, 61, 92)
ACCENT = (159, 211, 230)
TEXT = (255, 255, 255)
MUTED = (200, 222, 232)

# Bump when the drawing changes, so cached cards are redrawn (3: a palette PNG; 4: zlib level 1).
DESIGN_VERSION = 4


@dataclass(frozen=True)
class Card:
    title: str
    label: str          # the category, or the page kind
    brand: str

    def key(self) -> str:
        payload = json.dumps({**asdict(self), "version": DESIGN_VERSION}, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]


FONTS = resources.files("font_source_sans_pro") / "files"


@functools.lru_cache(maxsize=16)
def _font(size: int, weight: str = "Regular") -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    with resources.as_file(FONTS / f"SourceSansPro-{weight}.ttf") as path:
        return ImageFont.truetype(str(path), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, lines: int) -> list[str]:
    """Greedy word wrap to *width* pixels, at most *lines* lines, the last one ellipsised."""
    words, result, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
            continue
        if line:
            result.append(line)
        line = word
        if len(result) == lines:
            break
    if line and len(result) < lines:
        result.append(line)
    consumed = len(" ".join(result).split())
    if consumed < len(words) and result:
        last = result[-1]
        while last and draw.textlength(last + " …", font=font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        result[-1] = last + " …"
    return result


def render(card: Card) -> bytes:
    """The PNG bytes of *card*."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, SIZE[1] - 16, SIZE[0], SIZE[1]), fill=ACCENT)
    label_font, brand_font = _font(34, "Semibold"), _font(32)
    draw.text((MARGIN, MARGIN), card.label.upper(), font=label_font, fill=ACCENT)
    for size, lines in ((68, 3), (56, 4), (46, 5)):
        title_font = _font(size, "Bold")
        wrapped = _wrap(draw, card.title, title_font, SIZE[0] - 2 * MARGIN, lines)
        if not wrapped or not wrapped[-1].endswith(" …"):
            break  # the title fits at this size
    y = MARGIN + 70
    for line in wrapped:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += int(size * 1.22)
    # The brand mark: a small mountain, then the name.
    base = SIZE[1] - MARGIN - 18
    draw.polygon([(MARGIN, base + 30), (MARGIN + 26, base - 18), (MARGIN + 42, base + 8), (MARGIN + 52, base - 6),
                  (MARGIN + 78, base + 30)], fill=TEXT)
    draw.text((MARGIN + 98, base - 8), card.brand, font=brand_font, fill=MUTED)
    # Every pixel is the background, an ink, or a blend of the two at a letter's edge: a fixed palette of
    # those blends holds the card exactly, and a palette PNG is a third the size and twice as fast to write.
    buffer = io.BytesIO()
    # zlib level 1: half the time of level 6 for a card (3 ms, not 6), 17 KB instead of 12 KB; still the same bytes
    # for the same card every time.
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _palette() -> Image.Image:
    from PIL import Image

    colours: list[tuple[int, ...]] = []
    for ink in (TEXT, ACCENT, MUTED):
        for step in range(BLENDS):
            colour = tuple(round(low + (high - low) * step / (BLENDS - 1)) for low, high in zip(BACKGROUND, ink))
            if colour not in colours:
                colours.append(colour)
    palette = Image.new("P", (1, 1))
    palette.putpalette([value for colour in colours for value in colour])
    return palette


BLENDS = 64  # steps from the background to each ink: finer than the eye, and than 8-bit antialiasing needs


def draw(card: Card, cache: Path) -> bool:
    """Draw *card* into *cache* if it is not there yet (for :class:`Painter`'s worker processes)."""
    target = cache / f"{card.key()}.png"
    if target.exists():
        return False
    filecache.store(target, render(card))
    return True


class Painter:
    """Draws new cards in worker processes while the build goes on; :meth:`wait` before using them.

    A card the cache already has is never drawn. Fewer than MIN_BATCH new cards are drawn in the
    build's own process when waited for: starting workers would cost more. Workers are spawned,
    not forked, so a preview's threads are never copied half-way through something.
    """

    MIN_BATCH = 8

    def __init__(self, cache: Path, import_path: str, workers: int | None = None) -> None:
        self.cache = cache
        self._import_path = import_path
        # One core stays with the build itself, which renders pages meanwhile: on two cores one worker draws
        # 1,000 cards (about 10 s) well within the build, and a second would only slow the pages down.
        self._workers = workers or len(os.sched_getaffinity(0)) - 1
        self._waiting: list[tuple[Callable[..., bool], tuple[object, ...]]] = []
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[bool]] = []

    def add(self, card: Card) -> None:
        if not (self.cache / f"{card.key()}.png").exists():
            self._queue(draw, card, self.cache)

    def add_logo(self) -> None:
        if not (self.cache / LOGO_FILE).exists():
            self._queue(draw_logo, self.cache)

    def _queue(self, job: Callable[..., bool], *args: object) -> None:
        self._waiting.append((job, args))
        if self._pool is None and len(self._waiting) >= self.MIN_BATCH and self._workers >= 1:
            import multiprocessing  # here: a build with every card drawn before loads no process pool
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self._workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=site.addsitedir, initargs=(self._import_path,))
        if self._pool is not None:
            self._futures += [self._pool.submit(job, *args) for job, args in self._waiting]
            self._waiting.clear()

    def wait(self) -> int:
        """Finish every card; returns how many were drawn."""
        drawn = sum(job(*args) for job, args in self._waiting)
        self._waiting.clear()
        try:
            drawn += sum(future.result() for future in self._futures)
        finally:
            self.close()
        return drawn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._futures.clear()


def render_cached(card: Card, cache: Path, target: Path) -> bool:
    """Write *card* to *target*, drawing it only if the cache has no card with the same inputs.

    Returns whether it was drawn.
    """
    return filecache.cached_file(cache / f"{card.key()}.png", lambda: render(card), target)


LOGO_SIZE = 512


def render_logo() -> bytes:
    """The organisation's logo as a square PNG, for search engines that want a raster logo."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (LOGO_SIZE, LOGO_SIZE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.polygon([(56, 400), (200, 112), (284, 256), (336, 176), (456, 400)], fill=TEXT)
    draw.polygon([(200, 112), (240, 192), (200, 172), (172, 212)], fill=ACCENT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)  # optimize=True triples the time for 1 % smaller
    return buffer.getvalue()


LOGO_FILE = f"logo-{DESIGN_VERSION}.png"


def draw_logo(cache: Path) -> bool:
    """Draw the logo into *cache* if it is not there yet (for :class:`Painter`)."""
    if (cache / LOGO_FILE).exists():
        return False
    filecache.store(cache / LOGO_FILE, render_logo())
    return True


def render_logo_cached(cache: Path, target: Path) -> None:
    filecache.cached_file(cache / LOGO_FILE, render_logo, target)
