"""Search in Norwegian: hit rate at 5 on the real site, with and without our forms.

    make bench-search      # or: .venv/bin/python bench/search_bench.py

The project's own site (docs/, mkdocs.yml) is built strictly into a temporary
folder and served on 127.0.0.1. In headless Chromium, on the home page, the
search worker the page's config names (ours: search-no.js wrapping Material's
lunr worker) is given the built search/search_index.json exactly as Material's
UI gives it, and each query of QUERIES is posted as the UI posts a typed query.
A query hits when the article it was written for is among the first five
result groups (pages), in Material's order.

The baseline is what the site did before: Material's own worker with the same
index stripped of our forms fields and rules (``support.material_index``), which
is byte for byte the index Material writes alone.

QUERIES were written for this benchmark: the words a reader looking for one
article would type, inflected differently from the text, typed without æ, ø
and å, or only one part of a compound. tests/test_search_browser.py uses
other queries. Not a test: results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "hooks")]

from playwright.sync_api import sync_playwright  # noqa: E402

from support import (CHROMIUM_ARGS, chromium_path, material_index, run_mkdocs, serve_folder,  # noqa: E402
                     worker_search)

TOP = 5

# (query, the article's slug, what the query tests)
QUERIES = [
    ("coache selgere", "slik-coacher-du-selgerne-dine", "inflection"),
    ("coachingsamtaler", "slik-coacher-du-selgerne-dine", "inflection"),
    ("ukentlige samtaler", "slik-coacher-du-selgerne-dine", "inflection"),
    ("arlig medarbeidersamtale", "slik-coacher-du-selgerne-dine", "ascii"),
    ("forhandle pris", "forhandling-uten-rabattpanikk", "inflection"),
    ("rabatter", "forhandling-uten-rabattpanikk", "inflection"),
    ("innrømmelse", "forhandling-uten-rabattpanikk", "inflection"),
    ("forhandlinger", "forhandling-uten-rabattpanikk", "inflection"),
    ("panikk", "forhandling-uten-rabattpanikk", "compound"),
    ("kpi", "kpi-er-som-styrer-salget", "as written"),
    ("nøkkeltallene", "kpi-er-som-styrer-salget", "inflection"),
    ("nokkeltall", "kpi-er-som-styrer-salget", "ascii"),
    ("konverteringsrate", "kpi-er-som-styrer-salget", "inflection"),
    ("styre salget", "kpi-er-som-styrer-salget", "inflection"),
    ("møtebookingen", "motebooking-pa-telefon", "inflection"),
    ("motebooking", "motebooking-pa-telefon", "ascii"),
    ("booking", "motebooking-pa-telefon", "compound"),
    ("ringe kunder", "motebooking-pa-telefon", "inflection"),
    ("innvendinger telefon", "motebooking-pa-telefon", "inflection"),
    ("apningen", "motebooking-pa-telefon", "ascii"),
    ("motivere teamet", "motivasjon-nar-tallene-svikter", "inflection"),
    ("motivert", "motivasjon-nar-tallene-svikter", "inflection"),
    ("peptalk", "motivasjon-nar-tallene-svikter", "inflection"),
    ("darlig kvartal", "motivasjon-nar-tallene-svikter", "ascii"),
    ("tallene svikter", "motivasjon-nar-tallene-svikter", "as written"),
    ("onboarding", "onboarding-av-nye-selgere", "as written"),
    ("forste dagene", "onboarding-av-nye-selgere", "ascii"),
    ("milepaeler", "onboarding-av-nye-selgere", "ascii"),
    ("fadder", "onboarding-av-nye-selgere", "inflection"),
    ("pipelinegjennomgangen", "pipelinegjennomgang-pa-30-minutter", "inflection"),
    ("gjennomgang", "pipelinegjennomgang-pa-30-minutter", "compound"),
    ("halvtimen", "pipelinegjennomgang-pa-30-minutter", "inflection"),
    ("prospektere", "prospektering-pa-linkedin", "inflection"),
    ("linkedin profil", "prospektering-pa-linkedin", "inflection"),
    ("invitasjoner", "prospektering-pa-linkedin", "inflection"),
    ("spam", "prospektering-pa-linkedin", "inflection"),
    ("rekruttere", "rekruttering-av-selgere", "inflection"),
    ("rekrutteringsprosessen", "rekruttering-av-selgere", "inflection"),
    ("intervju", "rekruttering-av-selgere", "inflection"),
    ("nysgjerrige kandidater", "rekruttering-av-selgere", "inflection"),
    ("referansesjekk", "rekruttering-av-selgere", "inflection"),
    ("ukerytmen", "salgslederens-ukerytme", "inflection"),
    ("rytme", "salgslederens-ukerytme", "compound"),
    ("lederens uke", "salgslederens-ukerytme", "compound"),
    ("teammote mandag", "salgslederens-ukerytme", "ascii"),
    ("kundebesok", "salgslederens-ukerytme", "ascii"),
]


# The queries of issue 15 ("Search in Norwegian"), counted as it counted them: results (pages) per query.
ISSUE_QUERIES = ["selger", "selgere", "selgerne", "selgeren", "motebooking", "prospektere", "rekruttere"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build = run_mkdocs(REPO / "mkdocs.yml", Path(tmp) / "site")
        assert build.returncode == 0, build.output
        raw = build.site.joinpath("search/search_index.json").read_bytes()
        index = json.loads(raw)
        plain = material_index(index)
        worker = re.search(r'"search": "[^"]*\?material=([^"]+)"', build.text("index.html")).group(1)
        queries = [query for query, _, _ in QUERIES] + ISSUE_QUERIES
        with serve_folder(build.site) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url, wait_until="networkidle")
            ours = worker_search(page, index, queries)
            theirs = worker_search(page, plain, queries, worker=f"assets/javascripts/workers/{worker}")
            browser.close()
    plain_raw = json.dumps(plain, separators=(",", ":")).encode("utf-8")
    report = _report(ours, theirs)
    report["issue_queries"] = {query: {"ours": len(ours[query]), "material": len(theirs[query])}
                               for query in ISSUE_QUERIES}
    report["index_bytes"] = {"material": len(plain_raw), "ours": len(raw),
                             "growth": round(len(raw) / len(plain_raw) - 1, 3),
                             "material_gzip": len(gzip.compress(plain_raw, 9, mtime=0)),
                             "ours_gzip": len(gzip.compress(raw, 9, mtime=0))}
    print(json.dumps(report, ensure_ascii=False, indent=2))


def _report(ours: dict[str, list[str]], theirs: dict[str, list[str]]) -> dict:
    rows, hits, firsts = [], {"ours": 0, "material": 0}, {"ours": 0, "material": 0}
    for query, slug, kind in QUERIES:
        target = f"artikler/{slug}/"
        row = {"query": query, "article": slug, "kind": kind}
        for name, results in (("ours", ours), ("material", theirs)):
            found = results[query]
            row[name] = found.index(target) + 1 if target in found else None
            row[f"{name}_results"] = len(found)
            hits[name] += target in found[:TOP]
            firsts[name] += found[:1] == [target]
        rows.append(row)
    by_kind = {}
    for kind in sorted({row["kind"] for row in rows}):
        mine = [row for row in rows if row["kind"] == kind]
        by_kind[kind] = {name: f"{sum(1 for r in mine if r[name] and r[name] <= TOP)}/{len(mine)}"
                         for name in ("ours", "material")}
    return {
        "queries": len(QUERIES),
        f"hit_rate_at_{TOP}": {name: round(count / len(QUERIES), 3) for name, count in hits.items()},
        "hits": hits,
        "hit_rate_at_1": {name: round(count / len(QUERIES), 3) for name, count in firsts.items()},
        "by_kind": by_kind,
        "misses": [row for row in rows if not (row["ours"] and row["ours"] <= TOP)],
        "rows": rows,
    }


if __name__ == "__main__":
    main()
