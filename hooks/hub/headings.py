"""Whether Markdown opens with an H1, judged as Python-Markdown renders it.

MkDocs takes a page's title from its rendered HTML only when the very first
element is an ``<h1>`` (``_ExtractTitleTreeprocessor``), and Material's blog
pastes ``# {title}`` into an excerpt whenever it did not. So the question that
matters is not "is there an H1 somewhere" but "is the first block an H1".

Only the first block is read, so a ``# comment`` inside a fenced or indented
code block, an HTML comment or any later line can never count. The answer is
conservative: anything unusual at the start (a fence, raw HTML, an indented
line, a reference definition) is "no", because a wrong "yes" would leave the
raw title to the theme, while a wrong "no" only costs a second heading.
"""

from __future__ import annotations

import re

# An ATX H1 as Python-Markdown reads it: "#" in the first column, not "##",
# with text left after the optional closing hashes (an empty H1 gives no title).
_ATX_H1 = re.compile(r"#(?!#)[ \t]*(?P<text>.*?)[ \t#]*")
# The underline of a setext H1 (Python-Markdown allows trailing spaces).
_SETEXT_H1 = re.compile(r"=+[ \t]*")
# A first line that opens something other than a paragraph: an indented
# code block, a fence, raw HTML or a comment, a quote, a list, a table row,
# a reference, footnote or abbreviation definition.
_NOT_A_PARAGRAPH = re.compile(r"(?: {4}|\t| {0,3}(?:```|~~~|<|>|[-*+][ \t]|\d+[.)][ \t]|\||\[|\*\[))")


def opens_with_h1(markdown: str) -> bool:
    """Whether the first block renders as a non-empty H1 (ATX or setext)."""
    lines = markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return False
    first = lines[0]
    atx = _ATX_H1.fullmatch(first)
    if atx:
        return bool(atx.group("text").strip())
    if _NOT_A_PARAGRAPH.match(first) or len(lines) < 2:
        return False
    return _SETEXT_H1.fullmatch(lines[1]) is not None
