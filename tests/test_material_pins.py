"""Where we copy or reach into Material, fail loudly when Material changes underneath us."""

from __future__ import annotations

import hashlib
from pathlib import Path

import material
import pytest

from support import REPO

TEMPLATES = Path(material.__file__).parent / "templates"
OVERRIDES = REPO / "overrides"

# Our overrides that are copies of Material's file at the same path (each says in its header what it
# changes), with the sha256 of the upstream file as shipped in mkdocs-material 9.8.2.
COPIED = {
    "partials/content.html": "ce33929c85af129f6e2f3b0aed47159e9c4a519482d1938bae15f5ff4a3cfae5",
    "partials/search.html": "bfd556535abcddb99396ab2a7e3acc2ebcd3f36756007d3969396caa4126be30",
    "fragments/tags/default/listing.html": "93d20bc3c64a84de35203564a2e4e98c85679917e2bdd04dbff14655fde053d4",
    "partials/consent.html": "2ba7f1d07d58ae11084092771d884230164a0fc538ad63b087776fcff0174c70",
    "partials/languages/nb.html": "4c9dc198d9c95648c9b55b18d007fc355d3e3eafaa7851671776e9d5a256f6c0",
    "partials/logo.html": "e0925ef6c190174a5162ed1ecc55295016dd8a7beec3018db3e04aac283a2dd9",  # plugins/hub_speed reads it too
    "partials/nav-item.html": "89895208f22d68ce405a4bcb6649b9150eba5bbb04663a6cb3f93f02daf1d2f7",  # plugins/hub_speed too
    "partials/toc.html": "fde48f583563364b0e0e6865a5ab1e7060ec1826161f69f5cbee653e621b0f84",
    "partials/copyright.html": "bc86bca3bf75070fe5d72e2a3463bdddf87c10f4d6459c945fe81c5d384e35ea",
    "partials/post.html": "756bb999794dc09dcee2e993a3fb30bf1c22334627ce39d82e82c3464eb35dc7",  # the listing's excerpt, with the article's cover
}

# Overrides at a Material path that are written anew, not copied: main.html only adds to base.html's
# blocks (Material's own main.html is that same empty extension), 404.html is our own page.
WRITTEN_ANEW = {"main.html", "404.html"}

# Material files we build on without copying them: templates of ours extend them, or hooks read them.
BUILT_ON = {
    # hooks/markup.py rewrites the two checkbox toggles exactly as this writes them.
    "base.html": "a919e32d2225e09ecbdeb8076ca6ce9ca0836329760bf7871a04172569b77842",
    "blog.html": "02cf7095d8fad22fa7ec289da043d89a7fb92c6ee68681cf3d67f4605fc1b667",       # author.html extends it
    "blog-post.html": "d1a725d4b5fe7c7596ebed76ed29e3c198390575baefe9f019715ea25761916a",  # article.html extends it
    # plugins/hub_speed/navigation.py renders the navigation once per state from what these read (key).
    "partials/nav.html": "af33f6e032f632eb055c365eb5f1a975bf8456152fa768e69a1aad6d470b843f",
    "partials/language.html": "3a44516f305006ac794f51a45ad7b532cf270916d8e92e8c42784e58b2eff0a3",  # imports nb.html
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("path", sorted(COPIED.keys() | BUILT_ON.keys()))
def test_material_templates_we_build_on_are_unchanged(path: str) -> None:
    assert sha256(TEMPLATES / path) == {**BUILT_ON, **COPIED}[path], (
        f"Material's {path} changed: compare it with our override in overrides/, carry the change over, "
        "then update the hash here")


def test_every_copy_of_a_material_template_is_pinned() -> None:
    """An override at a path Material ships replaces that file: its upstream hash must be in COPIED."""
    overrides = {str(path.relative_to(OVERRIDES)) for path in OVERRIDES.rglob("*.html")}
    shadowing = {path for path in overrides if (TEMPLATES / path).exists()}
    assert shadowing == COPIED.keys() | WRITTEN_ANEW, "pin the Material file each override copies, and only those"
