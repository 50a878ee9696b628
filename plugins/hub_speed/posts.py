"""Material's list of posts with a constant-time ``in``.

``page in self.blog.posts`` (material/plugins/blog/plugin.py:250 and :311,
pinned in :data:`.pins.POSTS`) is asked for every page and compared post by
post, so its cost grows with pages × posts. The blog plugin's posts are unique
objects, so membership by identity answers the same.
"""

from __future__ import annotations

from typing import Any


class PostList(list):
    def __init__(self, posts: list[Any]) -> None:
        super().__init__(posts)
        self._ids = frozenset(map(id, posts))

    def __contains__(self, item: object) -> bool:
        return id(item) in self._ids


def install(blog: Any) -> None:
    blog.blog.posts = PostList(blog.blog.posts)
