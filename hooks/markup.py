"""Material markup that the Nu HTML Checker rejects, in a place no template block reaches: fixed in the output.

``base.html`` writes ``autocomplete="off"`` on its two checkbox toggles
(``#__drawer`` and ``#__search``), outside any block, so only a copy of the
whole 259-line template could change them in ``overrides/``. ``autocomplete``
is not allowed on a checkbox, so the attribute is dropped from exactly those
two elements, as Material writes them. ``base.html`` is pinned in
tests/test_material_pins.py, and tests/test_reader.py runs the Nu HTML Checker
on every built page, so a Material that writes them differently fails loudly.

The templates that can be fixed where they are (``tabindex=""`` in
``partials/nav-item.html``, ``for="__toc"`` in ``partials/toc.html``) are
pinned copies in ``overrides/partials/``.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

# Each toggle exactly as Material 9.8.2's base.html writes it, and as it is valid.
TOGGLES = {
    f'<input class="md-toggle" data-md-toggle="{name}" type="checkbox" id="__{name}" autocomplete="off">':
        f'<input class="md-toggle" data-md-toggle="{name}" type="checkbox" id="__{name}">'
    for name in ("drawer", "search")
}


def fix_toggles(html: str) -> str:
    """The page with Material's two checkbox toggles written without autocomplete."""
    for written, valid in TOGGLES.items():
        html = html.replace(written, valid, 1)
    return html


# Last: every other hook has written its part of the page.
@event_priority(-100)
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Fix the toggles on every page built from Markdown."""
    return fix_toggles(output)


# Last, like on_post_page; 404.html is a theme template, not a page.
@event_priority(-100)
def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    """Fix the toggles on the theme's own HTML pages (404.html)."""
    return fix_toggles(output_content) if template_name.endswith(".html") else output_content
