"""ASCII slugs for Norwegian titles: short, readable and stable URLs."""

from __future__ import annotations

import re
import unicodedata

# Letters that Unicode normalisation does not decompose (ø, æ, ß, …) or that
# Norwegian readers expect spelt out (å → a). Everything else is handled by
# NFKD, which splits é into e + a combining accent that we then drop.
_TRANSLITERATE = str.maketrans({
    "æ": "ae", "Æ": "ae",
    "ø": "o", "Ø": "o",
    "å": "a", "Å": "a",
    "ß": "ss",
    "œ": "oe", "Œ": "oe",
    "ð": "d", "þ": "th",
})
_NOT_WORD = re.compile(r"[^a-z0-9]+")

# Longest slug kept, cut at a word boundary: long titles make unwieldy URLs.
MAX_LENGTH = 60


def ascii_fold(text: str) -> str:
    """*text* in ASCII as a Norwegian types it without æ, ø and å (``Møtebooking`` → ``Motebooking``)."""
    text = text.translate(_TRANSLITERATE)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def slugify(text: str, separator: str = "-") -> str:
    """Turn a title into a lowercase ASCII slug (``Møtebooking på telefon`` → ``motebooking-pa-telefon``)."""
    text = ascii_fold(text)
    words = [word for word in _NOT_WORD.split(text.lower()) if word]
    slug = ""
    for word in words:
        candidate = f"{slug}{separator}{word}" if slug else word
        if len(candidate) > MAX_LENGTH and slug:
            break
        slug = candidate
    return slug[:MAX_LENGTH]


def is_slug(text: str) -> bool:
    """Whether *text* is already a valid slug, as staff may pin one by hand."""
    return bool(text) and slugify(text) == text
