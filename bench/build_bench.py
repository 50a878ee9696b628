"""Build speed against plain Material (issue 14): fresh, cold and warm, peak memory, the preview, a profile.

    make bench-build        # or: .venv/bin/python bench/build_bench.py --articles 100 400 1000 --profile

For each size, one generated corpus (bench/corpus.py, seed 1, 600–1,200
words an article) is built as
  * plain: Material's blog, search, tags and RSS plugins with this hub's
    mkdocs.yml, but none of our hooks, templates or the hub-speed plugin;
  * hub:   the hub as it ships.
Each figure is the wall time and peak RSS of one `mkdocs build` process
(GNU time around it). --rounds times (3), alternated, side by side in one run:
  plain (over its last build's site/), hub fresh (no .cache/ and no site/:
  no Markdown, no templates, no sharing cards, no search forms, nothing to
  write over: a new clone), hub warm (the next build, over the fresh one's
  site/), hub cold (every cache database deleted; sharing cards and site/
  kept); then plain once more.
This machine's speed drifts by a third from minute to minute, so ratios divide
the median of each kind by the median of the plain builds; peak RSS is the
largest of each kind's rounds.
Then the preview turnaround at each size given with --preview: `mkdocs serve`
as `make serve` starts it (--dirty above the plugin's limit), one article
saved --saves times (5), seconds until its page serves the new text; and, with
--profile, a cProfile summary of a warm hub build at the first size, made
before that size's preview saves an article (so it is as warm as the timed
warm builds).
Not a test: results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import os
import pstats
import shutil
import statistics
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

ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "HUB_EDITOR_REPO": "arcticsales/innholdshub"}


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
        config["plugins"] = [plugin for plugin in config["plugins"]
                             if (next(iter(plugin)) if isinstance(plugin, dict) else plugin) != "hub-speed"]
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


def serve_options(config: Path) -> list[str]:
    """What `make serve` passes: --dirty above the plugin's preview_full_rebuild_limit (hub.site --serve-options)."""
    result = subprocess.run([sys.executable, "-m", "hub.site", "--root", str(config.parent), "--serve-options"],
                            env={**ENV, "PYTHONPATH": str(REPO / "hooks")}, capture_output=True, text=True, check=True)
    return result.stdout.split()


def turnaround(config: Path, saves: int = 3) -> list[float]:
    """Seconds from saving an article to its page serving the new text, for each of *saves* saves."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", *serve_options(config), "--livereload",
                               "--dev-addr", f"127.0.0.1:{port}", "--config-file", str(config)], env=ENV,
                              cwd=config.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    post = sorted((config.parent / "docs/artikler/posts").glob("*.md"))[0]
    url = f"http://127.0.0.1:{port}/artikler/{post.stem}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=5).close()
                break
            except OSError:
                time.sleep(0.5)
        times = []
        for _ in range(saves):
            time.sleep(8)  # the full rebuild after the last save is over
            marker = f"lagret{time.time_ns()}"
            post.write_text(post.read_text(encoding="utf-8") + f"\n\nEn ny setning {marker}.\n", encoding="utf-8")
            start = time.monotonic()
            while marker not in urllib.request.urlopen(url, timeout=60).read().decode():
                time.sleep(0.02)
            times.append(round(time.monotonic() - start, 2))
        return times
    finally:
        server.terminate()
        server.wait()


def profile_summary(config: Path, top: int = 25) -> str:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    profiler = cProfile.Profile()
    # As `mkdocs build --quiet` logs (timed_build): the Markdown cache keys include the log level, so the
    # profiled build reads the entries the timed builds wrote, and is the warm build it is said to be.
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    cwd, environment = os.getcwd(), dict(os.environ)
    os.chdir(config.parent)
    os.environ.update(ENV)  # the timed builds' environment (the editor's repository among it)
    try:
        settings = load_config(str(config), site_dir=str(config.parent / "site"))  # over the timed builds' site/
        settings.plugins.on_startup(command="build", dirty=False)
        profiler.runcall(build, settings)
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environment)
    output = io.StringIO()
    stats = pstats.Stats(profiler, stream=output)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return output.getvalue()


def forget_converted(hub: Path) -> None:
    """Cold: every cache file of converted work gone (Markdown, pictures, search sections and forms, templates);
    the sharing cards and image variants (files, not databases) kept."""
    for stale in (hub.parent / ".cache").glob("*.sqlite3*"):
        stale.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--preview", type=int, nargs="*", default=[100, 1000],
                        help="sizes to time the preview at (of those in --articles)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of plain, fresh, warm and cold")
    parser.add_argument("--saves", type=int, default=5, help="saves timed in each preview")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of a warm hub build")
    parser.add_argument("--profile-only", action="store_true", help="skip the timings; profile the first size")
    args = parser.parse_args()
    results: dict[str, object] = {"builds": [], "preview_s": {}}
    with tempfile.TemporaryDirectory() as folder:
        if args.profile_only:
            hub = write_site(Path(folder) / "hub", args.articles[0], hub=True)
            timed_build(hub)
            print(profile_summary(hub))
            return 0
        for count in args.articles:
            plain = write_site(Path(folder) / f"plain-{count}", count, hub=False)
            hub = write_site(Path(folder) / f"hub-{count}", count, hub=True)
            runs: dict[str, list[tuple[float, float]]] = {"plain": [], "fresh": [], "warm": [], "cold": []}
            for _ in range(args.rounds):  # alternated, so a slow spell of the machine falls on every kind
                runs["plain"].append(timed_build(plain))
                for made in (".cache", "site"):  # a new clone has neither
                    shutil.rmtree(hub.parent / made, ignore_errors=True)
                runs["fresh"].append(timed_build(hub))
                runs["warm"].append(timed_build(hub))
                forget_converted(hub)
                runs["cold"].append(timed_build(hub))
            runs["plain"].append(timed_build(plain))
            plain_s = statistics.median(seconds for seconds, _ in runs["plain"])
            row = {"articles": count, "rounds": args.rounds, "plain_s": [round(s, 2) for s, _ in runs["plain"]],
                   "plain_median_s": round(plain_s, 2),
                   "plain_peak_rss_mb": round(max(rss for _, rss in runs["plain"]))}
            for name in ("fresh", "warm", "cold"):
                median = statistics.median(seconds for seconds, _ in runs[name])
                row[f"hub_{name}_s"] = [round(seconds, 2) for seconds, _ in runs[name]]
                row[f"ratio_{name}"] = round(median / plain_s, 3)
                row[f"hub_{name}_peak_rss_mb"] = round(max(rss for _, rss in runs[name]))
            results["builds"].append(row)
            print(json.dumps(row), flush=True)
            if args.profile and count == args.articles[0]:  # the cold build just filled every cache again
                profile = profile_summary(hub)
            if count in args.preview:
                results["preview_s"][count] = turnaround(hub, args.saves)
                print(json.dumps({"preview": count, "seconds": results["preview_s"][count]}), flush=True)
        print(json.dumps(results, indent=2))
        if args.profile:
            print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
