"""Build speed at 1,000+ articles (issue 9): the hub against plain Material, preview turnaround, profile.

    make bench-build        # or: .venv/bin/python bench/build_bench.py --articles 1000 3000

For each size, one generated corpus (bench/corpus.py, seed 1, 600–1,200
words an article) is built as
  * plain: Material's blog, search and RSS plugins with this hub's mkdocs.yml
    but none of our hooks or templates;
  * hub:   the hub as it ships (hooks, templates, sharing cards from a warm cache).
Wall time and peak RSS of `mkdocs build`: a warm-up build of each first
(the hub's sharing cards are drawn), then the hub cold (its Markdown cache
deleted, as on a fresh clone), plain Material, and the hub warm (the next
build, as every later one). Then the preview turnaround at the first size:
`mkdocs serve --dirty` on the hub, one article saved, seconds until its page
serves the new text. Last, a cProfile summary of the hub build.
Not a test: results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO / "tests")]

import corpus  # noqa: E402
from support import free_port  # noqa: E402

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def write_site(root: Path, count: int, hub: bool) -> Path:
    docs = root / "docs"
    shutil.copytree(REPO / "docs", docs, ignore=shutil.ignore_patterns("posts"))
    (docs / "artikler/posts").mkdir(parents=True)
    corpus.write_site(corpus.generate(count, seed=1), docs)
    config = corpus.load_config(REPO / "mkdocs.yml")
    config.pop("watch", None)
    if hub:
        shutil.copy(REPO / "docs/artikler/posts/.meta.yml", docs / "artikler/posts/.meta.yml")
        config["theme"]["custom_dir"] = str(REPO / "overrides")
        config["hooks"] = [str(REPO / hook) for hook in config["hooks"]]
    else:
        home = docs / "index.md"  # our home template is ours, not Material's
        home.write_text(home.read_text(encoding="utf-8").replace("template: home.html\n", ""), encoding="utf-8")
        config["theme"].pop("custom_dir", None)
        config["hooks"] = []
        config["extra_css"] = []
        for name in ("inbox", "booking", "newsletter", "consent", "related"):
            config["extra"].pop(name, None)
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root / "mkdocs.yml"


def timed_build(config: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `mkdocs build`, measured by GNU time around it."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "mkdocs", "build", "--quiet",
                             "--config-file", str(config), "--site-dir", str(config.parent / "site")],
                            env=ENV, cwd=config.parent, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"build of {config} failed:\n{result.stderr}")
    elapsed = time.perf_counter() - start
    return elapsed, int(result.stderr.strip().splitlines()[-1]) / 1024


def turnaround(config: Path) -> float:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "--dirty", "--livereload", "--dev-addr",
                               f"127.0.0.1:{port}", "--config-file", str(config)], env=ENV, cwd=config.parent,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    post = sorted((config.parent / "docs/artikler/posts").glob("*.md"))[0]
    url = f"http://127.0.0.1:{port}/artikler/{post.stem}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(3)
        marker = f"lagret{time.time_ns()}"
        post.write_text(post.read_text(encoding="utf-8") + f"\n\nEn ny setning {marker}.\n", encoding="utf-8")
        start = time.monotonic()
        while marker not in urllib.request.urlopen(url, timeout=60).read().decode():
            time.sleep(0.1)
        return time.monotonic() - start
    finally:
        server.terminate()
        server.wait()


def profile_summary(config: Path, top: int = 12) -> str:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    profiler = cProfile.Profile()
    cwd = os.getcwd()
    os.chdir(config.parent)
    try:
        settings = load_config(str(config), site_dir=str(config.parent / "site-profile"))
        settings.plugins.on_startup(command="build", dirty=False)
        profiler.runcall(build, settings)
    finally:
        os.chdir(cwd)
    output = io.StringIO()
    pstats.Stats(profiler, stream=output).sort_stats("cumulative").print_stats(top)
    return output.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1000, 3000])
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of the first hub build")
    parser.add_argument("--profile-only", action="store_true", help="skip the timings; profile the first size")
    args = parser.parse_args()
    results: dict[str, object] = {"builds": []}
    with tempfile.TemporaryDirectory() as folder:
        if args.profile_only:
            print(profile_summary(write_site(Path(folder) / "hub", args.articles[0], hub=True)))
            return 0
        for count in args.articles:
            plain = write_site(Path(folder) / f"plain-{count}", count, hub=False)
            hub = write_site(Path(folder) / f"hub-{count}", count, hub=True)
            timed_build(hub)  # warm-up: draws the sharing cards into the cache
            timed_build(plain)
            # Cold: no Markdown cache (as on a fresh clone); warm: the next build, as every later one.
            for stale in (hub.parent / ".cache").glob("markdown.sqlite3*"):
                stale.unlink()
            cold_time, cold_rss = timed_build(hub)
            plain_time, plain_rss = timed_build(plain)
            hub_time, hub_rss = timed_build(hub)
            results["builds"].append({"articles": count, "plain_s": round(plain_time, 2),
                                      "hub_cold_s": round(cold_time, 2), "hub_warm_s": round(hub_time, 2),
                                      "ratio_cold": round(cold_time / plain_time, 3),
                                      "ratio_warm": round(hub_time / plain_time, 3),
                                      "plain_peak_rss_mb": round(plain_rss), "hub_cold_peak_rss_mb": round(cold_rss),
                                      "hub_warm_peak_rss_mb": round(hub_rss)})
        first = Path(folder) / f"hub-{args.articles[0]}" / "mkdocs.yml"
        results["preview_turnaround_s"] = round(turnaround(first), 2)
        print(json.dumps(results, indent=2))
        if args.profile:
            print(profile_summary(first))
    return 0


if __name__ == "__main__":
    sys.exit(main())
