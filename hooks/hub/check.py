"""Content check for staff: ``make check`` prints a table per article and what to fix.

It reads and validates the articles exactly as the build does (the
catalogue, ``hub/catalogue.py``), and loads mkdocs.yml with every hook's
settings check as a build starts (``hub.site.check_settings``), so every
error the build would stop on is an error here, and every warning
``--strict`` fails on is a warning here.
On top it gives advice: internal links that do not resolve (errors), missing
alt text, images over 500 KB or wider than 2,400 px, skipped heading levels,
long titles, tags only one article uses and unpinned slugs (warnings). Readability is the LIX index with its
Norwegian bands; the reading time is the one the byline shows.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from hub import catalogue, frontmatter, images, site
from hub.frontmatter import Problem
from hub.messages import count, say
from hub.text import FENCE, IMAGE, all_words, prose_blocks

# Longer titles are cut off in search results and link previews.
TITLE_LIMIT = 60

# LIX upper bounds and their Norwegian names (Björnsson's bands as used in Norway).
LIX_BANDS = ((30, "svært lett"), (40, "lett"), (50, "middels"), (60, "vanskelig"), (math.inf, "svært vanskelig"))

_SENTENCE_END = re.compile(r"[.!?:]+(?=\s|$)")
_HEADING = re.compile(r"^(#{1,6})\s+\S")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)")
_EXTERNAL = ("http://", "https://", "mailto:", "tel:", "#", "//")


@dataclass
class Report:
    """What the check found in one article."""

    path: str
    article: bool = True  # False for a .meta.yml or .authors.yml with problems of its own
    words: int = 0
    minutes: int = 0
    lix: float = 0.0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def band(self) -> str:
        return next(name for limit, name in LIX_BANDS if self.lix < limit)


# -----------------------------------------------------------------------------
# Text measures
# -----------------------------------------------------------------------------


def words(blocks: list[str]) -> list[str]:
    return [word for block in blocks for word in all_words(block)]


def lix(blocks: list[str]) -> float:
    """LIX = words per sentence + percentage of words longer than six letters."""
    found = words(blocks)
    if not found:
        return 0.0
    # A heading or list item without a full stop still ends a sentence.
    sentences = sum(max(1, len(_SENTENCE_END.findall(block))) for block in blocks)
    long_words = sum(1 for word in found if len(word) > 6)
    return len(found) / sentences + 100 * long_words / len(found)


# -----------------------------------------------------------------------------
# Checks on one article
# -----------------------------------------------------------------------------


def _body_lines(front: frontmatter.FrontMatter) -> list[tuple[int, str]]:
    """Body lines with their file line numbers, code blocks left out."""
    lines, in_code = [], False
    for offset, line in enumerate(front.body.splitlines()):
        if FENCE.match(line.strip()):
            in_code = not in_code
        elif not in_code:
            lines.append((front.body_line + offset, line))
    return lines


def _missing_alt_texts(front: frontmatter.FrontMatter) -> list[Problem]:
    found = []
    for number, line in _body_lines(front):
        for match in IMAGE.finditer(line):
            if not match.group(1).strip():
                found.append(Problem(front.path, number, "image", say("check.alt_missing", image=match.group(2))))
        for tag in _HTML_IMAGE.findall(line):
            if not re.search(r'\balt="[^"]+"', tag):
                found.append(Problem(front.path, number, "image", say("check.img_alt_missing")))
    return found


def _skipped_heading_levels(front: frontmatter.FrontMatter) -> list[Problem]:
    found, previous = [], 1  # the title is the page's H1
    for number, line in _body_lines(front):
        if match := _HEADING.match(line):
            level = len(match.group(1))
            if level > previous + 1:
                found.append(Problem(front.path, number, "heading", say(
                    "check.heading_jump", previous=previous, level=level, hashes="#" * (previous + 1))))
            previous = level
    return found


def _broken_links(front: frontmatter.FrontMatter, source: Path, facts: site.Site) -> list[Problem]:
    found = []
    for number, line in _body_lines(front):
        for target in _LINK.findall(line):
            if target.startswith(_EXTERNAL):
                continue
            path = target.split("#", 1)[0]
            resolved = (source.parent / path).resolve()
            inside = facts.docs.resolve() in resolved.parents
            if not inside or not resolved.exists():
                found.append(Problem(front.path, number, "link", say("check.broken_link", target=target,
                                                                      docs=facts.relative(facts.docs))))
    return found


def _image_sources(front: frontmatter.FrontMatter) -> list[tuple[str, int, str]]:
    """Every image an article shows, with the file and line that name it: ``image:`` and those in its text."""
    found = []
    if isinstance(image := front.meta.get("image"), str):
        found.append((*front.where("image"), image))  # perhaps from a .meta.yml
    for number, line in _body_lines(front):
        found += [(front.path, number, match.group(2)) for match in IMAGE.finditer(line)]
        found += [(front.path, number, next(part for part in match.groups() if part is not None))
                  for tag in _HTML_IMAGE.findall(line) if (match := _HTML_SRC.search(tag))]
    return found


def _oversized_images(front: frontmatter.FrontMatter, source: Path, facts: site.Site) -> list[Problem]:
    """Local images heavier than images.WARN_BYTES or wider than images.WARN_WIDTH."""
    found = []
    for named_in, number, target in _image_sources(front):
        path = (source.parent / unquote(target.split("#", 1)[0])).resolve()
        if target.startswith(_EXTERNAL) or facts.docs.resolve() not in path.parents or not path.is_file():
            continue  # a missing file is the build's error (image:) or the broken-link check's
        data = path.read_bytes()
        if len(data) > images.WARN_BYTES:
            found.append(Problem(named_in, number, "image", say(
                "check.image_heavy", image=target, size=len(data) // 1024, limit=images.WARN_BYTES // 1024)))
        measured = images.measure(data, path.name)
        if measured is not None and measured.width > images.WARN_WIDTH:
            found.append(Problem(named_in, number, "image", say(
                "check.image_wide", image=target, width=measured.width, limit=images.WARN_WIDTH)))
    return found


def _front_warnings(front: frontmatter.FrontMatter) -> list[Problem]:
    found = []
    title = front.meta.get("title")
    if isinstance(title, str) and len(title) > TITLE_LIMIT:
        found.append(Problem(front.path, front.line("title"), "title",
                             say("check.long_title", length=len(title), limit=TITLE_LIMIT)))
    if "slug" not in front.meta:
        found.append(Problem(front.path, 1, "slug", say("check.unpinned_slug", slug=frontmatter.effective_slug(front))))
    return found


def check_article(front: frontmatter.FrontMatter, facts: site.Site) -> Report:
    """Measures and advice for one article; its front-matter errors come from the catalogue."""
    report = Report(front.path)
    if front.unreadable:
        return report
    blocks = prose_blocks(front.body)
    report.words = len(words(blocks))
    report.minutes = catalogue.reading_minutes(front.body, facts.layout)
    if isinstance(readtime := front.meta.get("readtime"), int) and not isinstance(readtime, bool):
        report.minutes = readtime
    report.lix = lix(blocks)
    report.errors += _broken_links(front, facts.root / front.path, facts)
    report.warnings += _front_warnings(front) + _missing_alt_texts(front) + _skipped_heading_levels(front)
    report.warnings += _oversized_images(front, facts.root / front.path, facts)
    return report


def check_site(facts: site.Site) -> list[Report]:
    """Check every article as the build reads it; tags and slugs are also compared across articles."""
    articles = facts.articles()
    reports = {front.path: check_article(front, facts) for front in articles.fronts}
    for problem in articles.problems:
        reports.setdefault(problem.path, Report(problem.path, article=False)).errors.append(problem)
    # The build's warnings are errors here: `make build` is strict and stops on them.
    for problem in articles.warnings:
        reports.setdefault(problem.path, Report(problem.path, article=False)).errors.append(problem)
    for problem in _lone_tags(list(articles.fronts)):
        reports.setdefault(problem.path, Report(problem.path, article=False)).warnings.append(problem)
    return sorted(reports.values(), key=lambda report: (not report.article, report.path))


def _lone_tags(fronts: list[frontmatter.FrontMatter]) -> list[Problem]:
    def tags(front: frontmatter.FrontMatter) -> list[str]:
        value = front.meta.get("tags") or []
        return [value] if isinstance(value, str) else [tag for tag in value if isinstance(tag, str)]

    uses = Counter(tag for front in fronts for tag in set(tags(front)))
    return [Problem(front.path, front.line("tags"), "tags", say("check.lone_tag", tag=repr(tag)))
            for front in fronts for tag in tags(front) if uses[tag] == 1]


# -----------------------------------------------------------------------------
# Output
# -----------------------------------------------------------------------------


def format_table(reports: list[Report]) -> str:
    header = ("Artikkel", "Ord", "Lesetid", "LIX", "Lesbarhet", "Feil", "Advarsler")
    rows = [(Path(report.path).name, str(report.words), f"{report.minutes} min", f"{report.lix:.0f}", report.band,
             str(len(report.errors)), str(len(report.warnings))) for report in reports if report.article]
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def format_findings(reports: list[Report]) -> str:
    lines = [say("check.error", problem=problem) for report in reports for problem in sorted(report.errors)]
    lines += [say("check.warning", problem=problem) for report in reports for problem in sorted(report.warnings)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sjekk alle artikler: lengde, lesbarhet og vanlige feil.")
    parser.add_argument("--root", type=Path, default=site.REPO, help="depotet (standard: dette)")
    args = parser.parse_args(argv)
    try:
        reports = check_site(site.read(args.root))
    except site.SiteError as error:
        print(say("error", message=error), file=sys.stderr)
        return 1
    setting_errors, setting_warnings = site.check_settings(args.root.resolve())
    print(format_table(reports))
    # Settings warnings are errors: the strict build stops on them.
    setting_errors += setting_warnings
    findings = [say("check.error", problem=text) for text in setting_errors]
    if found := format_findings(reports):
        findings.append(found)
    if findings:
        print()
        print("\n".join(findings))
    errors = sum(len(report.errors) for report in reports) + len(setting_errors)
    warnings = sum(len(report.warnings) for report in reports)
    articles = sum(report.article for report in reports)
    print("\n" + say("check.summary", articles=count(articles, "article"), errors=count(errors, "error"),
                      warnings=count(warnings, "warning")))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
