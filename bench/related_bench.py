"""Benchmark «Liknende artikler»: ranking speed and memory, and what our hooks add to a full build.

    make bench-related              # or: .venv/bin/python bench/related_bench.py

1. Index + query time of hub/related.py for 1,000 and 10,000 synthetic
   articles (best of three, one process, so one core).
2. Peak memory of ranking 10,000 articles (tracemalloc peak of Python
   allocations, and the child process's maximum resident set size).
3. A full `mkdocs build` of 1,000 articles with and without our hooks,
   alternated in the same run, reported as a ratio.

Targets (issue 3): 10,000 articles indexed and queried in under 2 s; our
hooks add at most 5 % to the 1,000-article build. Not a test: results go to
bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO / "hooks"), str(BENCH)]

import corpus  # noqa: E402
from hub import related, text  # noqa: E402


def documents(count: int, seed: int = 1) -> list[related.Document]:
    return [related.Document(
        key=article.slug, title=article.title, description=article.description,
        body=" ".join(text.prose_blocks(article.body)), categories=article.categories, tags=article.tags,
        published=dt.datetime.combine(article.date, dt.time()).timestamp(),
    ) for article in corpus.generate(count, seed)]


def time_ranking(count: int, repeats: int = 3) -> dict[str, float]:
    docs = documents(count)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        index = related.RelatedIndex(docs)
        built = time.perf_counter()
        for document in index.documents:
            index.related(document.key)
        timings.append((built - start, time.perf_counter() - built))
    build, query = min(timings, key=sum)
    return {"articles": count, "index_s": round(build, 3), "query_s": round(query, 3),
            "total_s": round(build + query, 3)}


def memory_of_ranking(count: int) -> dict[str, float]:
    """Run in a child process, so its peak RSS is the ranking's alone."""
    docs = documents(count)
    tracemalloc.start()
    related.rank_all(docs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"articles": count, "tracemalloc_peak_mb": round(peak / 2**20, 1),
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def write_site(root: Path, count: int, hooks: bool, leave_out: str = "") -> Path:
    """The hub's configuration and templates with *count* generated articles; without our hooks, or one of them.

    Each variant has its own card cache beside its mkdocs.yml: the first round
    draws the sharing cards, later rounds reuse them, as a staff member's builds do.
    """
    docs = root / "docs"
    shutil.copytree(REPO / "docs", docs, ignore=shutil.ignore_patterns("posts"))
    (docs / "artikler/posts").mkdir(parents=True)
    shutil.copy(REPO / "docs/artikler/posts/.meta.yml", docs / "artikler/posts/.meta.yml")
    corpus.write_site(corpus.generate(count, seed=1), docs)
    config = corpus.load_config(REPO / "mkdocs.yml")
    config["theme"]["custom_dir"] = str(REPO / "overrides")
    config.pop("watch", None)
    config["hooks"] = [str(REPO / hook) for hook in config["hooks"] if hook != leave_out] if hooks else []
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root / "mkdocs.yml"


def time_build(config: Path) -> float:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file", str(config),
                    "--site-dir", str(config.parent / "site")], check=True, env=env, cwd=config.parent)
    return time.perf_counter() - start


def compare_builds(count: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        configs = {
            "without_hooks": write_site(Path(folder) / "plain", count, hooks=False),
            "all_hooks_but_related": write_site(Path(folder) / "norelated", count, hooks=True,
                                                leave_out="hooks/related.py"),
            "with_hooks": write_site(Path(folder) / "hub", count, hooks=True),
        }
        times: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(rounds):  # alternate, so drift on the machine hits all alike
            for name, config in configs.items():
                times[name].append(time_build(config))
    median = {name: statistics.median(values) for name, values in times.items()}
    return {"articles": count, "rounds": rounds, **{f"{name}_s": round(value, 2) for name, value in median.items()},
            "raw_s": {name: [round(value, 2) for value in values] for name, values in times.items()},
            "ratio_all_hooks": round(median["with_hooks"] / median["without_hooks"], 3),
            "ratio_related_hook": round(median["with_hooks"] / median["all_hooks_but_related"], 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--parts", default="ranking,memory,build", help="comma-separated subset to run")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_of_ranking(args.memory_child)))
        return 0
    parts, results = set(args.parts.split(",")), {}
    if "ranking" in parts:
        results["ranking"] = [time_ranking(1000), time_ranking(10000)]
    if "memory" in parts:
        child = subprocess.run([sys.executable, __file__, "--memory-child", "10000"], capture_output=True,
                               text=True, check=True)
        results["memory"] = json.loads(child.stdout)
    if "build" in parts:
        results["build"] = compare_builds(args.build_articles, args.rounds)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
