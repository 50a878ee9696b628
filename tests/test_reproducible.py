"""Two builds of the same commit on different days give byte-identical output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import MKDOCS_ENV, REPO

pytestmark = pytest.mark.slow  # every test builds the real site under faketime


def build_on(day_offset: str, site: Path, cache: Path) -> None:
    faketime = shutil.which("faketime")
    assert faketime, "faketime is missing: `make test` installs it"
    env = {**MKDOCS_ENV, "HUB_CACHE_DIR": str(cache)}
    env.pop("SOURCE_DATE_EPOCH", None)
    subprocess.run([faketime, "-f", day_offset, sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
                    "--config-file", str(REPO / "mkdocs.yml"), "--site-dir", str(site)],
                   check=True, env=env, cwd=site.parent, timeout=600)


def test_builds_on_different_days_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "dag-1", tmp_path / "dag-40"
    build_on("+1d", first, tmp_path / "cache-1")
    build_on("+40d", second, tmp_path / "cache-2")
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    differing = [str(path) for path in files if (first / path).read_bytes() != (second / path).read_bytes()]
    assert differing == []
    assert len(files) > 50


@pytest.mark.parametrize("name", ["sitemap.xml", "feed_rss_created.xml"])
def test_dates_come_from_front_matter(tmp_path: Path, name: str) -> None:
    build_on("+3d", tmp_path / "site", tmp_path / "cache")
    text = (tmp_path / "site" / name).read_text(encoding="utf-8")
    assert "2025-10-14" in text or "14 Oct 2025" in text  # the newest article's date
