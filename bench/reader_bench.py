"""Reader performance budget: page weight against plain Material, and Lighthouse on mobile.

    make bench-reader      # or: .venv/bin/python bench/reader_bench.py

1. Page weight: the bytes a first visit to an article transfers (HTML, CSS,
   JS, fonts, images, JSON), gzip-compressed as a static host serves text.
   The hub's article is compared with a plain Material blog article built
   from the same Markdown in the same run (search + blog plugins, system fonts,
   since this machine cannot fetch Google Fonts). Goal: at most 15 KB more.
2. Lighthouse (npm `lighthouse`, Debian's chromium through CHROME_PATH), mobile
   profile, on the home page and an article, served from localhost with gzip.
   Goals: Performance >= 95, Accessibility 100, Best Practices >= 95, SEO 100.

Not a test: results go to bench/RESULTS.md by hand.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO / "tests")]

from support import CHROMIUM_ARGS, DEPLOYED_INBOX, QuietHandler, chromium_path, serve_folder  # noqa: E402

LIGHTHOUSE = REPO / ".cache/lighthouse/node_modules/.bin/lighthouse"
ARTICLE = "motebooking-pa-telefon"
TEXT_TYPES = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt")


class GzipHandler(QuietHandler):
    """Serves text gzip-compressed (level 9) and everything with a cache lifetime, like a static host."""

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file() or "gzip" not in self.headers.get("Accept-Encoding", "") \
                or path.suffix not in TEXT_TYPES:
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 9, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=3600")
        self.end_headers()
        return io.BytesIO(body)


def build(config: Path, site: Path) -> None:
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--config-file", str(config),
                    "--site-dir", str(site)], check=True, cwd=site.parent,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "HUB_CACHE_DIR": str(site.parent / "cache"),
                        "HUB_INBOX_URL": DEPLOYED_INBOX})


def plain_material(root: Path) -> Path:
    """A plain Material blog with the same article Markdown, and nothing of ours."""
    docs = root / "docs"
    shutil.copytree(REPO / "docs/artikler", docs / "artikler", ignore=shutil.ignore_patterns(".meta.yml"))
    shutil.copytree(REPO / "docs/assets/authors", docs / "assets/authors")
    (docs / "index.md").write_text("# Arctic Sales Development\n", encoding="utf-8")
    config = {"site_name": "Arctic Sales Development", "site_url": "https://www.arcticsales.no/",
              "theme": {"name": "material", "language": "nb", "font": False},
              "plugins": [{"search": {"lang": ["no"]}}, {"blog": {"blog_dir": "artikler", "post_url_format": "{slug}"}}]}
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return root / "mkdocs.yml"


def page_weight(url: str) -> dict[str, int]:
    """Bytes transferred by a first visit, by kind, measured in Chromium."""
    from playwright.sync_api import sync_playwright

    sizes: dict[str, int] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        seen = []
        page.on("response", lambda response: seen.append(response))
        page.goto(url, wait_until="networkidle")
        for response in seen:
            if not response.url.startswith("http://127.0.0.1"):
                continue
            sizes_of = response.request.sizes()
            kind = response.request.resource_type
            sizes[kind] = sizes.get(kind, 0) + sizes_of["responseBodySize"] + sizes_of["responseHeadersSize"]
        browser.close()
    sizes["total"] = sum(sizes.values())
    return sizes


def lighthouse(url: str) -> dict[str, int]:
    if not LIGHTHOUSE.exists():
        raise SystemExit("Lighthouse is missing: run `make bench-reader`, which installs it from the npm registry")
    result = subprocess.run([str(LIGHTHOUSE), url, "--quiet", "--output=json", "--form-factor=mobile",
                             "--only-categories=performance,accessibility,best-practices,seo",
                             "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-background-networking"],
                            capture_output=True, text=True, check=True, env={**os.environ, "CHROME_PATH": chromium_path()})
    report = json.loads(result.stdout)
    scores = {name: round(category["score"] * 100) for name, category in report["categories"].items()}
    failing = sorted({audit["id"] for audit in report["audits"].values()
                      if audit.get("score") is not None and audit["score"] < 0.9
                      and audit.get("scoreDisplayMode") in {"binary", "numeric"}})
    return {**scores, "failing_audits": failing}


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "hub").mkdir()
        build(REPO / "mkdocs.yml", root / "hub" / "site")
        (root / "plain").mkdir()
        build(plain_material(root / "plain"), root / "plain" / "site")
        results: dict[str, object] = {}
        with serve_folder(root / "hub" / "site", GzipHandler) as hub, \
                serve_folder(root / "plain" / "site", GzipHandler) as plain:
            hub_weight = page_weight(f"{hub}artikler/{ARTICLE}/")
            plain_weight = page_weight(f"{plain}artikler/{ARTICLE}/")
            results["page_weight_bytes"] = {"hub": hub_weight, "plain_material": plain_weight,
                                            "difference": hub_weight["total"] - plain_weight["total"]}
            results["lighthouse_mobile"] = {"home": lighthouse(hub), "article": lighthouse(f"{hub}artikler/{ARTICLE}/")}
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
