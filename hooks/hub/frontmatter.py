"""Front matter of an article: reading it with line numbers, and one declared schema.

Every problem is a :class:`Problem` that names the file, the line and the
field, so staff can find and fix it without reading Python. The schema in
:data:`FIELDS` is the single declaration of what an article may carry; the
validation here and the editor's JSON Schema are both derived from it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from hub import cta
from hub.messages import say
from hub.slug import is_slug, slugify

# libyaml's loader when PyYAML has it (several times faster on 1,000 files), else the pure one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A description longer than this is cut off by search engines and link previews.
DESCRIPTION_LIMIT = 160

# What `make new` writes for staff to replace. An article that is not a draft
# may keep none of it, nor the empty lists of authors and categories it starts with.
PLACEHOLDER_DESCRIPTION = "Skriv en ingress på høyst 160 tegn: hva leseren lærer, og hvorfor det er nyttig."
PLACEHOLDER_LINES = ("Skriv første avsnitt her. Det vises i artikkeloversikten.", "## Første mellomtittel",
                     "Resten av teksten.")

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong in one file, formatted as ``path:line: field: message``."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass
class FrontMatter:
    """The parsed front matter of one file, with the line of every top-level key.

    ``origins`` names the file a key came from when it is not *path* itself:
    a value inherited from a ``.meta.yml`` is reported at that file's line.
    """

    path: str
    meta: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    body: str = ""
    body_line: int = 1  # the file line the body starts on
    source: str = ""  # the YAML text between the two '---' lines, newlines normalised to \n
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def unreadable(self) -> bool:
        """Whether the file itself could not be read (not UTF-8, empty, broken YAML)."""
        return any(not problem.field for problem in self.problems)

    def line(self, key: str) -> int:
        """Line of *key*, or of the opening ``---`` when the key is missing."""
        return self.lines.get(key, 1)

    def where(self, key: str) -> tuple[str, int]:
        """The file and line that gave *key* its value (the article itself when it is missing)."""
        return self.origins.get(key, self.path), self.line(key)

    def problem(self, key: str, message: str) -> Problem:
        """A problem with *key*, reported where its value was written."""
        path, line = self.where(key)
        return Problem(path, line, key, message)


@dataclass(frozen=True)
class Context:
    """What a value is checked against: the site's allow-lists."""

    categories: frozenset[str] = frozenset()
    authors: frozenset[str] = frozenset()


# -----------------------------------------------------------------------------
# Reading
# -----------------------------------------------------------------------------


def read(path: str, raw: bytes) -> FrontMatter:
    """Parse the front matter of *raw*, collecting problems instead of raising."""
    result = FrontMatter(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        result.problems.append(Problem(path, line, "", say("read.not_utf8")))
        return result
    # Newlines as Material's blog reads them (universal newlines), so the YAML
    # text it parses is exactly the text parsed here.
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        result.problems.append(Problem(path, 1, "", say("read.empty")))
        return result
    match = _FRONT_MATTER.match(text)
    if not match:
        result.problems.append(Problem(path, 1, "", say("read.no_front_matter")))
        return result
    result.source = match.group(1) or ""
    _parse_yaml(result, result.source)
    result.body = text[match.end():]
    result.body_line = text[: match.end()].count("\n") + 1
    return result


def read_yaml_file(path: str, raw: bytes) -> FrontMatter:
    """Parse a whole YAML file of front-matter defaults (a ``.meta.yml``), collecting problems."""
    result = FrontMatter(path)
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        result.problems.append(Problem(path, line, "", say("read.not_utf8")))
        return result
    result.source = text.replace("\r\n", "\n").replace("\r", "\n")
    _parse_yaml(result, result.source, first_line=1, what=say("what.file"))
    return result


def _parse_yaml(result: FrontMatter, source: str, first_line: int = 2, what: str = "") -> None:
    # An article's YAML starts on line 2, right after the opening '---'.
    what = what or say("what.front_matter")
    try:
        node = yaml.compose(source, Loader=_LOADER)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + first_line if mark else 1
        result.problems.append(Problem(result.path, line, "", say("read.not_yaml", what=what)))
        return
    except yaml.YAMLError:
        result.problems.append(Problem(result.path, 1, "", say("read.not_yaml", what=what)))
        return
    if node is None:
        return
    if not isinstance(node, yaml.MappingNode):
        result.problems.append(Problem(result.path, first_line, "", say("read.not_mapping", what=what)))
        return
    _construct_keys(result, node, first_line)


def _construct_keys(result: FrontMatter, node: yaml.MappingNode, first_line: int) -> None:
    # Key by key, so a value YAML cannot build (say the date 2025-13-01) is
    # reported on its own line instead of failing the whole file.
    loader = _LOADER("")
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + first_line
        key = str(key_node.value)
        try:
            value = loader.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            # YAML took it for a date or time that does not exist, such as 2025-13-01 or 2025-02-30.
            result.problems.append(Problem(result.path, line, key,
                                           say("read.not_a_real_date", value=repr(value_node.value))))
            continue
        result.meta[key] = value
        result.lines[key] = line


# -----------------------------------------------------------------------------
# Checks: each returns an error message, or None when the value is fine
# -----------------------------------------------------------------------------

Check = Callable[[Any, Context], "str | None"]


def _check_text(value: Any, _: Context) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return say("check.text")
    return None


def _check_description(value: Any, context: Context) -> str | None:
    if problem := _check_text(value, context):
        return problem
    if len(value) > DESCRIPTION_LIMIT:
        return say("check.too_long", length=len(value), limit=DESCRIPTION_LIMIT)
    return None


def as_date(value: Any) -> dt.datetime | None:
    """The article's publication time from a ``date`` value, or None if it is not a date."""
    if isinstance(value, Mapping):
        value = value.get("created")
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _check_date(value: Any, _: Context) -> str | None:
    if not isinstance(value, Mapping):
        return _check_moment(value)
    unknown = sorted(set(map(str, value)) - {"created", "updated"})
    if unknown:
        return say("check.date_unknown_key", key=repr(unknown[0]))
    if "created" not in value:
        return say("check.date_no_created")
    if problem := _check_moment(value["created"]):
        return problem
    if "updated" in value and (problem := _check_moment(value["updated"])):
        return say("check.date_updated", problem=problem)
    return None


def _check_moment(value: Any) -> str | None:
    if isinstance(value, dt.date):  # a datetime is a date too
        return None
    if isinstance(value, str) and as_date(value) is not None:
        return say("check.date_is_text", value=_show(value))
    return say("check.not_a_date", value=_show(value))


def _check_slug(value: Any, _: Context) -> str | None:
    if not isinstance(value, str) or not is_slug(value):
        shown = _show(value)
        hint = say("check.slug_hint", example=repr(slugify(str(value)))) if slugify(str(value)) else ""
        return say("check.slug", value=shown, hint=hint)
    return None


def _check_list_of(allowed: Callable[[Context], frozenset[str]], what: str, one: str) -> Check:
    def check(value: Any, context: Context) -> str | None:
        if isinstance(value, str):
            # Material reads a plain text as a list of letters; the editor's schema rejects it too.
            return say("check.list_is_text", value=value)
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            return say("check.list_of", what=what, example=_example(allowed(context), what))
        choices = allowed(context)
        for item in value:
            if choices and item not in choices:
                return say("check.not_allowed", item=repr(item), choices=", ".join(sorted(choices)))
        if len(set(value)) != len(value):
            return say("check.twice")
        return None
    return check


def _check_bool(value: Any, _: Context) -> str | None:
    return None if isinstance(value, bool) else say("check.bool", value=_show(value))


def _check_image(value: Any, _: Context) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    return say("check.image")


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else repr(str(value))


def _example(choices: frozenset[str], what: str) -> str:
    return ", ".join(sorted(choices)[:2]) if choices else "…"


# -----------------------------------------------------------------------------
# The schema
# -----------------------------------------------------------------------------


def _check_slugs(value: Any, context: Context) -> str | None:
    if isinstance(value, str):
        return say("check.list_is_text", value=value)
    if not isinstance(value, list) or not value:
        return say("check.old_slugs")
    if len(set(map(str, value))) != len(value):
        return say("check.twice")
    return next((problem for item in value if (problem := _check_slug(item, context))), None)


def _check_related(value: Any, _: Context) -> str | None:
    if value is False:
        return None
    if isinstance(value, list) and value and all(isinstance(item, str) and item.strip() for item in value):
        return say("check.related_twice") if len(set(value)) != len(value) else None
    return say("check.related")


def _check_readtime(value: Any, _: Context) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 600:
        return None
    return say("check.readtime", value=_show(value))


def _check_template(value: Any, _: Context) -> str | None:
    if isinstance(value, str) and re.fullmatch(_TEMPLATE_PATTERN, value):
        return None
    return say("check.template", value=_show(value))


def _check_hide(value: Any, _: Context) -> str | None:
    if isinstance(value, list) and all(item in HIDEABLE for item in value) and len(set(value)) == len(value):
        return None
    return say("check.hide", choices=", ".join(HIDEABLE))


def _check_search(value: Any, _: Context) -> str | None:
    if not isinstance(value, Mapping) or not set(map(str, value)) <= {"boost", "exclude"}:
        return say("check.search")
    boost = value.get("boost", 1)
    if isinstance(boost, bool) or not isinstance(boost, (int, float)) or not 0 < boost <= 100:
        return say("check.search_boost", value=_show(boost))
    if not isinstance(value.get("exclude", False), bool):
        return say("check.search_exclude")
    return None


_SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"
_TEMPLATE_PATTERN = r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*\.html$"
# A text with at least one character that is not white space.
_TEXT_SCHEMA = {"type": "string", "pattern": r"\S"}
# What Material's `hide:` understands.
HIDEABLE = ("navigation", "toc", "footer", "path", "tags", "feedback")
# A date, or a date and a time with seconds (YAML reads anything else as text).
_DATE_SCHEMA = {"type": "string",
                "pattern": r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$"}


@dataclass(frozen=True)
class Field:
    """One front-matter key: whether it is required, how it is checked, what it means.

    ``schema`` is the key's JSON Schema for editors; ``{categories}`` and
    ``{authors}`` in an ``enum`` are filled from the site by :func:`json_schema`.
    """

    check: Check
    help: str
    schema: dict[str, Any]
    required: bool = False


def _list_schema(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items, "uniqueItems": True}


# The one declaration of an article's front matter. Keys outside it are
# warnings (so `--strict` catches a typo such as `catgories:`).
FIELDS: dict[str, Field] = {
    "title": Field(_check_text, "Tittelen på artikkelen, helst under 60 tegn.",
                   _TEXT_SCHEMA, required=True),
    "description": Field(
        _check_description,
        f"Ingress på høyst {DESCRIPTION_LIMIT} tegn; vises i søkemotorer og lenkedeling.",
        {**_TEXT_SCHEMA, "maxLength": DESCRIPTION_LIMIT},
        required=True,
    ),
    "date": Field(
        _check_date, "Publiseringsdato, YYYY-MM-DD. Fremtidige datoer publiseres ikke før dagen kommer.",
        {"anyOf": [_DATE_SCHEMA, {"type": "object", "required": ["created"], "additionalProperties": False,
                                  "properties": {"created": _DATE_SCHEMA, "updated": _DATE_SCHEMA}}]},
        required=True,
    ),
    "slug": Field(_check_slug, "Fast adresse (URL) med a-z, tall og bindestrek. Endres ikke etter publisering.",
                  {"type": "string", "pattern": _SLUG_PATTERN}),
    "authors": Field(_check_list_of(lambda context: context.authors, "forfatter-id-er", "author"),
                     "Forfattere, med id-en fra .authors.yml.", _list_schema({"enum": "{authors}"})),
    "categories": Field(_check_list_of(lambda context: context.categories, "kategorier", "category"),
                        "Kategorier fra den tillatte listen.", _list_schema({"enum": "{categories}"})),
    "tags": Field(_check_list_of(lambda _: frozenset(), "emneord", "tag"), "Emneord, fritt valgt.",
                  _list_schema(_TEXT_SCHEMA)),
    "draft": Field(_check_bool, "true holder artikkelen upublisert (synlig i forhåndsvisningen).",
                   {"type": "boolean"}),
    "image": Field(_check_image, "Bilde for deling, relativt til artikkelen.", _TEXT_SCHEMA),
    "image_alt": Field(_check_text, "Beskrivelse av delingsbildet (alt-tekst), for skjermlesere og lenkedeling.",
                       _TEXT_SCHEMA),
    "pin": Field(_check_bool, "true fester artikkelen øverst i oversikten.", {"type": "boolean"}),
    "related": Field(
        _check_related, "Liknende artikler: false skjuler dem; en liste med slugs eller filnavn kommer først.",
        {"anyOf": [{"const": False}, {**_list_schema(_TEXT_SCHEMA), "minItems": 1}]},
    ),
    "cta": Field(
        lambda value, _: cta.check_front_matter(value),
        "Booking og nyhetsbrev under artikkelen: false, true, eller booking/newsletter med heading og pitch.",
        {"anyOf": [{"type": "boolean"}, {"type": "object", "additionalProperties": False, "properties": {
            name: {"anyOf": [{"type": "boolean"}, {"type": "object", "additionalProperties": False, "properties": {
                text: _TEXT_SCHEMA for text in cta.TEXTS}}]} for name in cta.BLOCKS}}]},
    ),
    "redirect_from": Field(
        _check_slugs, "Gamle adresser (slugs) som skal videresendes hit når du har endret slug med vilje.",
        {**_list_schema({"type": "string", "pattern": _SLUG_PATTERN}), "minItems": 1},
    ),
    # Settings MkDocs and Material read, checked here so a wrong value gets our
    # message instead of an English one from inside Material.
    "template": Field(_check_template, "Malen siden bygges med (MkDocs/Material-innstilling).",
                      {"type": "string", "pattern": _TEMPLATE_PATTERN}),
    "hide": Field(_check_hide, "Deler av siden som skjules (Material-innstilling).",
                  _list_schema({"enum": list(HIDEABLE)})),
    "search": Field(_check_search, "Søk: boost gir treff i artikkelen høyere vekt, exclude holder den utenfor.",
                    {"type": "object", "additionalProperties": False, "properties": {
                        "boost": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                        "exclude": {"type": "boolean"}}}),
    "readtime": Field(_check_readtime, "Lesetid i minutter, når den beregnede ikke stemmer (Material-innstilling).",
                      {"type": "integer", "minimum": 1, "maximum": 600}),
    "comments": Field(_check_bool, "true viser kommentarfeltet, når nettstedet har et (Material-innstilling).",
                      {"type": "boolean"}),
}

# Keys Material understands whose values it checks itself.
PASSTHROUGH = frozenset({"links"})


def validate(front: FrontMatter, context: Context, complete: bool = True) -> list[Problem]:
    """Check *front* against :data:`FIELDS`; return errors (warnings come from :func:`unknown_keys`).

    A ``.meta.yml`` holds defaults, not a whole article: it is checked with
    *complete* false, so only the keys it has are checked.
    """
    problems = list(front.problems)
    if front.unreadable:
        return problems  # nothing more to check
    unreadable = {problem.field for problem in problems}
    for name, spec in FIELDS.items():
        if name in unreadable:
            continue
        if name not in front.meta:
            if spec.required and complete:
                problems.append(front.problem(name, say("check.missing", name=name)))
            continue
        if message := spec.check(front.meta[name], context):
            problems.append(front.problem(name, message))
    return problems


def placeholders(front: FrontMatter) -> list[Problem]:
    """What ``make new`` wrote and staff have not replaced yet, in an article that is no longer a draft."""
    if front.unreadable or front.meta.get("draft") is True:
        return []
    found = []
    if front.meta.get("description") == PLACEHOLDER_DESCRIPTION:
        found.append(front.problem("description", say("placeholder.value")))
    for key in ("authors", "categories"):
        if front.meta.get(key) == []:
            found.append(front.problem(key, say("placeholder.empty")))
    for offset, line in enumerate(front.body.splitlines()):
        if line.strip() in PLACEHOLDER_LINES:
            found.append(Problem(front.path, front.body_line + offset, "text",
                                 say("placeholder.line", line=repr(line.strip()))))
    return found


def unknown_keys(front: FrontMatter) -> list[Problem]:
    """Keys nobody reads: usually a typo, reported as warnings."""
    known = FIELDS.keys() | PASSTHROUGH
    return [
        front.problem(str(key), _unknown_message(str(key), known))
        for key in front.meta
        if key not in known
    ]


def _unknown_message(key: str, known: set[str] | frozenset[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, sorted(known), n=1)
    hint = say("check.unknown_key_hint", close=close[0]) if close else ""
    return say("check.unknown_key", hint=hint)


def effective_slug(front: FrontMatter) -> str:
    """The slug an article is published under: the pinned one, else one from its title."""
    slug = front.meta.get("slug")
    if isinstance(slug, str) and slug:
        return slug
    return slugify(str(front.meta.get("title", "")))


def duplicate_slugs(fronts: list[FrontMatter]) -> list[Problem]:
    """Two articles may not share a URL: name both files."""
    seen: dict[str, FrontMatter] = {}
    problems = []
    for front in sorted(fronts, key=lambda item: item.path):
        if front.unreadable:
            continue
        slug = effective_slug(front)
        if slug in seen:
            first = seen[slug]
            problems.append(Problem(
                front.path, front.line("slug"), "slug",
                say("site.duplicate_slug", slug=repr(slug), other=first.path),
            ))
        else:
            seen[slug] = front
    return problems


def old_slugs(meta: dict[str, Any]) -> list[str]:
    """The old addresses an article's ``redirect_from`` claims (one slug or a list)."""
    value = meta.get("redirect_from") or []
    return [value] if isinstance(value, str) else [item for item in value if isinstance(item, str)]


def redirect_conflicts(fronts: list[FrontMatter]) -> list[Problem]:
    """An old slug in ``redirect_from`` may not be a live article's slug, nor claimed twice."""
    live = {effective_slug(front): front.path for front in fronts if not front.unreadable}
    claimed: dict[str, str] = {}
    problems = []
    for front in sorted(fronts, key=lambda item: item.path):
        for old in old_slugs(front.meta):
            if old in live:
                problems.append(front.problem("redirect_from", say("site.redirect_is_live", old=repr(old),
                                                                   other=live[old])))
            elif old in claimed:
                problems.append(front.problem("redirect_from", say("site.redirect_twice", old=repr(old),
                                                                   other=claimed[old])))
            else:
                claimed[old] = front.path
    return problems


def json_schema(context: Context) -> dict[str, Any]:
    """JSON Schema of an article's front matter, for editors, derived from :data:`FIELDS`."""
    choices = {"{categories}": sorted(context.categories), "{authors}": sorted(context.authors)}

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: choices.get(value, value) if key == "enum" and isinstance(value, str) else fill(value)
                    for key, value in node.items()}
        return [fill(item) for item in node] if isinstance(node, list) else node

    properties = {name: {"description": spec.help, **fill(spec.schema)} for name, spec in FIELDS.items()}
    properties.update({name: {"description": "MkDocs/Material-innstilling."} for name in sorted(PASSTHROUGH)})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Artikkel i Arctic Sales Development",
        "description": "Front matter for artiklene: alle .md-filer under docs/artikler/posts/, også i undermapper. "
                       "Generert fra hooks/hub/frontmatter.py.",
        "type": "object",
        "required": [name for name, spec in FIELDS.items() if spec.required],
        "properties": properties,
        "additionalProperties": False,
    }
