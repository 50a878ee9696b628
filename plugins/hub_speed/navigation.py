"""Material's navigation and tabs, rendered once for each distinct state instead of once per page.

``partials/nav.html`` and ``partials/tabs.html`` (pinned by hash in
:data:`.pins.NAVIGATION` and :data:`.pins.TABS`, and in
tests/test_material_pins.py with the partials they include) differ from page
to page only in which items are active and in every item's address relative
to the page. Pages that are themselves in the navigation (their table of
contents is drawn inside it) are rendered as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mkdocs.utils import normalize_url


def _items(items: list[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _items(getattr(item, "children", None) or [])


class _Shape:
    """What one build's navigation is made of, found once: its items, and the pages drawn inside it."""

    def __init__(self, nav: Any) -> None:
        self.nav = nav  # held, so the ids below stay this build's objects
        self.items = list(_items(nav.items))
        # Only an item itself draws its table of contents (``nav_item == page`` in nav-item.html): a blog
        # view's later pages (page/2/, …) are not items, and their navigation is that of any other page.
        self.inside = {id(item) for item in self.items}
        self.urls = [getattr(item, "url", None) for item in self.items]


_shape: _Shape | None = None


def key(context: Any) -> tuple[Any, ...] | None:
    """Everything partials/nav.html reads that changes from page to page; None where it reads more."""
    global _shape
    page, nav = context.get("page"), context.get("nav")
    if page is None or nav is None:
        return None
    if _shape is None or _shape.nav is not nav:
        _shape = _Shape(nav)
    if id(page) in _shape.inside:
        return None  # the page's own table of contents is drawn inside the navigation
    base = context.get("base_url")
    config = context.get("config")
    homepage = config.extra.get("homepage") or (nav.homepage.url if nav.homepage else "")
    urls = [*_shape.urls, homepage, config.theme.get("logo") or ""]
    return (tuple(bool(item.active) for item in _shape.items),
            tuple(None if url is None else normalize_url(str(url), page=page, base=base) for url in urls))


def forget() -> None:
    """Let the last build's navigation go."""
    global _shape
    _shape = None


TEMPLATES = ("partials/nav.html", "partials/tabs.html")


def install(env: Any) -> None:
    """Wrap the compiled navigation and tabs of this build's environment (they live as long as the build)."""
    for name in TEMPLATES:
        _once_per_state(env, name)


def _once_per_state(env: Any, name: str) -> None:
    template = env.get_template(name)
    render = template.root_render_func
    rendered: dict[tuple[Any, ...], str] = {}

    def root_render_func(context: Any) -> Iterator[str]:
        state = key(context)
        if state is None:
            yield from render(context)
            return
        if state not in rendered:
            rendered[state] = "".join(render(context))
        yield rendered[state]

    template.root_render_func = root_render_func
