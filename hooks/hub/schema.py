"""Write ``schemas/article.schema.json``: the editor's view of :data:`hub.frontmatter.FIELDS`.

``make schema`` regenerates it after the categories or authors change;
``tests/test_check.py`` fails when the committed file is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hub import frontmatter, site
from hub.messages import say

SCHEMA_PATH = Path("schemas/article.schema.json")


def render(facts: site.Site) -> str:
    context = frontmatter.Context(categories=frozenset(facts.categories), authors=frozenset(facts.authors))
    return json.dumps(frontmatter.json_schema(context), ensure_ascii=False, indent=2) + "\n"


def main() -> int:
    try:
        facts = site.read()
    except site.SiteError as error:
        print(say("error", message=error), file=sys.stderr)
        return 1
    path = facts.root / SCHEMA_PATH
    path.parent.mkdir(exist_ok=True)
    path.write_text(render(facts), encoding="utf-8")
    print(say("schema.written", path=SCHEMA_PATH))
    return 0


if __name__ == "__main__":
    sys.exit(main())
