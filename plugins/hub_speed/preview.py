"""A large hub's preview: `mkdocs serve --dirty` keeps the listing pages it has already built.

Material writes its listing sources (index pages, archive, categories,
authors) anew on every build (material/plugins/blog/plugin.py:108, pinned in
:data:`.pins.LISTINGS`), so MkDocs' --dirty would re-render every listing on
each save. A listing that is already in the preview is kept; listings, related
links and feeds catch up at the next full build. Only above the plugin's
``preview_full_rebuild_limit`` articles: a smaller hub is served without
--dirty and shows everything live.
"""

from __future__ import annotations

import os
from typing import Any


def _views(view: Any) -> list[Any]:
    found = [view]
    for child in view.views:
        found += _views(child)
    return found


def keep_listings(blog: Any) -> int:
    """Mark every listing page already in the preview as unmodified; returns how many."""
    kept = 0
    for view in _views(blog.blog):
        for page in view.pages or [view]:
            if os.path.isfile(page.file.abs_dest_path):
                page.file.is_modified = lambda: False
                kept += 1
    return kept
