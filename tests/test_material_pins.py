"""Where we copy or reach into Material, fail loudly when Material changes underneath us."""

from __future__ import annotations

import hashlib
from pathlib import Path

import material
import pytest

TEMPLATES = Path(material.__file__).parent / "templates"

# Material files our overrides are based on (overrides/…), as shipped in mkdocs-material 9.8.2.
BASED_ON = {
    "partials/search.html": "bfd556535abcddb99396ab2a7e3acc2ebcd3f36756007d3969396caa4126be30",   # partials/search.html
    "fragments/tags/default/listing.html":
        "93d20bc3c64a84de35203564a2e4e98c85679917e2bdd04dbff14655fde053d4",                       # same path
    "partials/consent.html": "2ba7f1d07d58ae11084092771d884230164a0fc538ad63b087776fcff0174c70",  # partials/consent.html
    "blog.html": "02cf7095d8fad22fa7ec289da043d89a7fb92c6ee68681cf3d67f4605fc1b667",             # author.html
    "blog-post.html": "d1a725d4b5fe7c7596ebed76ed29e3c198390575baefe9f019715ea25761916a",        # article.html
}


@pytest.mark.parametrize("path", sorted(BASED_ON))
def test_material_templates_we_build_on_are_unchanged(path: str) -> None:
    digest = hashlib.sha256((TEMPLATES / path).read_bytes()).hexdigest()
    assert digest == BASED_ON[path], (
        f"Material's {path} changed: compare it with our override in overrides/, carry the change over, "
        "then update the hash here")
