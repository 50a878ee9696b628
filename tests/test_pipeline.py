"""One front-matter pipeline, end to end: the real build, `make check` and `make new` read articles alike.

Front matter is parsed once per article and build; an article in a subfolder
of the post folder is an article everywhere; `.meta.yml` values are checked
like the article's own; `make check` reports at least what the build stops on,
and the same reading time as the byline.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import feedparser
import pytest

from support import MKDOCS_ENV, REPO, article, run_mkdocs
from hub import check, newpost

# Real builds and servers.
pytestmark = pytest.mark.slow

COACHING = ("Ukentlig coaching av selgere gir raskere fremgang. Salgslederen coacher hver selger i en fast "
            "samtale hver uke, med konkrete mål og oppfølging av forrige ukes avtaler.")

# Counts every YAML parse whose text holds one of the marks, then runs the real CLI.
COUNTER = textwrap.dedent('''
    import collections, json, os, sys
    import yaml
    marks, counts = json.loads(os.environ["COUNT_MARKS"]), collections.Counter()

    def counting(parse):
        def counted(stream, *args, **kwargs):
            text = stream if isinstance(stream, (str, bytes)) else stream.read()
            decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
            counts.update(mark for mark in marks if mark in decoded)
            return parse(text, *args, **kwargs)
        return counted

    for name in ("load", "safe_load", "full_load", "unsafe_load", "load_all", "safe_load_all", "compose",
                 "compose_all", "parse", "scan"):
        setattr(yaml, name, counting(getattr(yaml, name)))
    from mkdocs.__main__ import cli
    try:
        cli(sys.argv[1:])
    finally:
        with open(os.environ["COUNT_OUT"], "w") as handle:
            json.dump(counts, handle)
''')


def test_front_matter_is_parsed_once_per_article_per_build(site_writer, tmp_path: Path) -> None:
    titles = [f"Telleartikkel {letter}" for letter in "ABCD"]
    files = {f"artikler/posts/{index}.md": article(title, COACHING, tags=["coaching"], categories=["Coaching"])
             for index, title in enumerate(titles)}
    files["artikler/posts/2025/4.md"] = article("Telleartikkel E", COACHING, tags=["coaching"])
    files["artikler/posts/.meta.yml"] = "template: article.html\n# Tellefil for meta\n"
    config = site_writer(files)
    script = tmp_path / "count_yaml.py"
    script.write_text(COUNTER, encoding="utf-8")
    out = tmp_path / "counts.json"
    marks = [*titles, "Telleartikkel E", "Tellefil for meta"]
    result = subprocess.run(
        [sys.executable, str(script), "build", "--strict", "--config-file", str(config), "--site-dir",
         str(tmp_path / "site")], capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**MKDOCS_ENV, "COUNT_MARKS": json.dumps(marks), "COUNT_OUT": str(out)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == dict.fromkeys(marks, 1)


def _subfolder_site() -> dict[str, str]:
    return {
        "artikler/posts/a.md": article("Coaching hver uke", COACHING, slug="a", tags=["coaching"],
                                       categories=["Coaching"]),
        "artikler/posts/2025/mars/b.md": article("Coaching av nye selgere", COACHING, slug="b", tags=["coaching"],
                                                 categories=["Coaching"]),
    }


def test_an_article_in_a_subfolder_is_an_article_everywhere(site_writer, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = site_writer(_subfolder_site())
    build = run_mkdocs(config, tmp_path / "site")
    assert build.returncode == 0, build.output
    # The related ranking links the two, both ways.
    page = build.html("artikler/a/index.html")
    assert [link.attributes["href"] for link in page.css(".hub-related a")] == ["../b/"]
    assert [link.attributes["href"] for link in build.html("artikler/b/index.html").css(".hub-related a")] == ["../a/"]
    # Both feeds carry it.
    for feed in ("feed_rss_created.xml", "feed_json_created.json"):
        assert "/artikler/b/" in (tmp_path / "site" / feed).read_text(encoding="utf-8"), feed
    assert any(entry.link.endswith("/artikler/b/")
               for entry in feedparser.parse((tmp_path / "site/feed_rss_created.xml").read_bytes()).entries)
    # `make check` lists it, and `make new` will not reuse its slug.
    assert check.main(["--root", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^b\.md\s+\d+", table, re.MULTILINE) and "2 artikler" in table
    with pytest.raises(newpost.Refused, match="docs/artikler/posts/2025/mars/b.md"):
        newpost.create("B", tmp_path)


@pytest.mark.parametrize(("meta_yml", "message"), [
    ("template: article.html\ncategories: [Ukjent]\n",
     "docs/artikler/posts/.meta.yml:2: categories: 'Ukjent' er ikke tillatt her"),
    ("template: article.html\ntags: coaching\n", "docs/artikler/posts/.meta.yml:2: tags: er en tekst, ikke en liste"),
    ("template: article.html\ndraft: nei\n", "docs/artikler/posts/.meta.yml:2: draft: 'nei' må være true eller false"),
])
def test_meta_yml_is_checked_by_the_build_and_by_make_check(site_writer, tmp_path: Path, meta_yml: str, message: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = site_writer({**_subfolder_site(), "artikler/posts/.meta.yml": meta_yml})
    build = run_mkdocs(config, tmp_path / "site")
    assert build.returncode != 0 and message in build.output and "Traceback" not in build.output
    assert check.main(["--root", str(tmp_path)]) == 1
    assert f"feil: {message}" in capsys.readouterr().out


@pytest.mark.parametrize(("meta", "message"), [
    # Material would stop on these itself, in English and without the line.
    ({"tags": "coaching, feedback"}, "docs/artikler/posts/a.md:5: tags: er en tekst, ikke en liste"),
    ({"authors": "kari"}, "docs/artikler/posts/a.md:5: authors: er en tekst, ikke en liste"),
    ({"readtime": "fem"}, "docs/artikler/posts/a.md:5: readtime: 'fem' må være et helt antall minutter"),
    ({"related": ["finnes-ikke"]}, "docs/artikler/posts/a.md:5: related: 'finnes-ikke' er ikke en artikkel"),
    ({"date": {"created": "2025-01-15"}}, "docs/artikler/posts/a.md:4: date: '2025-01-15' er tekst, ikke en dato"),
])
def test_make_check_stops_on_what_the_build_stops_on(site_writer, tmp_path: Path, meta: dict, message: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    files = _subfolder_site()
    files["artikler/posts/a.md"] = article("Coaching hver uke", COACHING, **meta)
    build = run_mkdocs(site_writer(files), tmp_path / "site")
    assert build.returncode != 0 and message in build.output, build.output
    assert "Traceback" not in build.output and "Error reading metadata" not in build.output
    assert check.main(["--root", str(tmp_path)]) == 1
    assert f"feil: {message}" in capsys.readouterr().out


def test_make_check_and_the_byline_give_the_same_reading_time(real_site, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main([]) == 0
    table = {line.split()[0]: int(line.split()[2]) for line in capsys.readouterr().out.splitlines()
             if line.endswith(tuple("0123456789")) and line.split()[0].endswith(".md")}
    assert len(table) == len(list((REPO / "docs/artikler/posts").rglob("*.md")))
    for name, minutes in table.items():
        slug = _slug(REPO / "docs/artikler/posts" / name)
        page = real_site.html(f"artikler/{slug}/index.html")
        shown = {node.text(strip=True) for node in page.css(".hub-byline__readtime")}
        assert shown == {f"{minutes} min lesetid"}, (name, shown)


def _slug(path: Path) -> str:
    return re.search(r"^slug: (\S+)$", path.read_text(encoding="utf-8"), re.MULTILINE).group(1)
