"""Unit tests for hub/slug.py: ASCII slugs from Norwegian titles."""

import pytest

from hub.slug import MAX_LENGTH, ascii_fold, is_slug, slugify


@pytest.mark.parametrize(("title", "slug"), [
    ("Møtebooking på telefon", "motebooking-pa-telefon"),
    ("Ærlig tale: KPI-er & økt salg", "aerlig-tale-kpi-er-okt-salg"),
    ("Å lede – én samtale i uken", "a-lede-en-samtale-i-uken"),
    ("  Crème brûlée!!  ", "creme-brulee"),
    ("ØSTLANDET ÆØÅ", "ostlandet-aeoa"),
    ("2025: 10 tips", "2025-10-tips"),
    ("«Sitat» og \"anførsel\"", "sitat-og-anforsel"),
    ("🙂", ""),
])
def test_slugify_transliterates_norwegian(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word_boundary() -> None:
    slug = slugify("Salgsledelse " * 20)
    assert len(slug) <= MAX_LENGTH
    assert not slug.endswith("-") and slug.split("-") == ["salgsledelse"] * len(slug.split("-"))


@pytest.mark.parametrize(("text", "expected"), [
    ("motebooking-pa-telefon", True), ("Motebooking", False), ("møte", False), ("a--b", False), ("", False),
])
def test_is_slug(text: str, expected: bool) -> None:
    assert is_slug(text) is expected


@pytest.mark.parametrize(("text", "folded"), [
    ("Møtebooking", "Motebooking"), ("ærlig", "aerlig"), ("årlig", "arlig"), ("Crème", "Creme"), ("salg", "salg"),
])
def test_ascii_fold_spells_a_word_as_typed_without_norwegian_letters(text: str, folded: str) -> None:
    assert ascii_fold(text) == folded
