"""The web editor at /admin/ (Decap CMS): its configuration, made from the one front-matter schema.

Nothing here is written by hand twice. Every field the editor shows is a key
of :data:`hub.frontmatter.FIELDS`, and what the build checks of that key
(required, pattern, length, allowed values) becomes the editor's validation;
the keys the editor leaves alone are named in :data:`NOT_IN_EDITOR` with the
reason. ``tests/test_editor.py`` fails if a key is in neither, or if a rule
of the build is missing in the editor. Pure: no MkDocs imports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub import frontmatter, slug
from hub.frontmatter import DESCRIPTION_LIMIT, FIELDS

# Where decap-server (npm, `make serve`) listens: loopback only, port 8081 unless HUB_EDITOR_LOCAL_PORT says.
LOCAL_PORT = 8081
# The inbox's two sign-in routes (inbox/oauth.py); Decap opens base_url + "/" + auth_endpoint in a popup.
AUTH_ENDPOINT = "oauth/github/auth"
GITHUB_API = "https://api.github.com"
# Only the signed-in account's picture in the editor's top bar comes from here.
GITHUB_AVATARS = "https://avatars.githubusercontent.com"
MEDIA_FOLDER = "bilder"  # next to the articles: `image: bilder/x.jpg` resolves from the article, as the build wants

# Keys of FIELDS the editor does not show, and why. An article that has them keeps them as they are.
NOT_IN_EDITOR = {
    "template": "Material-innstilling; alle artikler får malen fra posts/.meta.yml",
    "hide": "Material-innstilling for utviklere",
    "search": "Material-innstilling for utviklere",
    "readtime": "Material-innstilling; lesetiden beregnes",
    "comments": "nettstedet har ikke kommentarer",
}

_REQUIRED_TEXT = "Feltet må fylles ut."


@dataclass(frozen=True)
class Backend:
    """Where the editor reads and writes: decap-server on this machine, or GitHub through the inbox's sign-in."""

    repo: str          # owner/name on GitHub
    branch: str        # the branch articles are published from
    inbox: str         # the inbox's public URL: the sign-in host
    local: bool        # a preview on this machine: decap-server, no editorial workflow
    local_port: int = LOCAL_PORT  # decap-server's port on 127.0.0.1

    @property
    def local_origin(self) -> str:
        return f"http://127.0.0.1:{self.local_port}"


def _pattern(regex: str, message: str) -> list[str]:
    return [regex, message]


def _text(name: str, label: str, widget: str = "string") -> dict[str, Any]:
    return {"label": label, "name": name, "widget": widget, "pattern": _pattern(r"\S", _REQUIRED_TEXT)}


def _widgets(context: frontmatter.Context, authors: dict[str, str]) -> dict[str, dict[str, Any]]:
    """One Decap field per key of FIELDS the editor shows, in FIELDS' order (the order keys are written in)."""
    slug_pattern = FIELDS["slug"].schema["pattern"]
    return {
        "title": _text("title", "Tittel"),
        "description": {
            "label": "Ingress", "name": "description", "widget": "text",
            # Not blank, and at most DESCRIPTION_LIMIT characters: the build's rule, as one pattern.
            "pattern": _pattern(rf"^(?=[\s\S]*\S)[\s\S]{{1,{DESCRIPTION_LIMIT}}}$",
                                f"Høyst {DESCRIPTION_LIMIT} tegn, og ikke tom."),
        },
        "date": {
            "label": "Publiseringsdato", "name": "date", "widget": "datetime",
            # Stored as the text YYYY-MM-DD, written bare (the build rejects a quoted date), shown as 14.03.2025.
            "format": "YYYY-MM-DD", "date_format": "DD.MM.YYYY", "time_format": False, "picker_utc": True,
        },
        "slug": {
            "label": "Fast adresse (slug)", "name": "slug", "widget": "string",
            "pattern": _pattern(slug_pattern, "Bare a–z, tall og bindestrek, for eksempel motebooking-pa-telefon."),
        },
        "authors": {
            "label": "Forfattere", "name": "authors", "widget": "select", "multiple": True,
            "options": [{"label": authors.get(key, key), "value": key} for key in sorted(context.authors)],
        },
        "categories": {
            "label": "Kategorier", "name": "categories", "widget": "select", "multiple": True,
            "options": sorted(context.categories),
        },
        "tags": {"label": "Emneord", "name": "tags", "widget": "list", "allow_add": True},
        "draft": {"label": "Kladd (ikke publisert)", "name": "draft", "widget": "boolean", "default": True},
        "image": {"label": "Delingsbilde", "name": "image", "widget": "image", "choose_url": False},
        "image_alt": _text("image_alt", "Beskrivelse av delingsbildet (alt-tekst)"),
        "pin": {"label": "Fest øverst i oversikten", "name": "pin", "widget": "boolean"},
        "related": {"label": "Liknende artikler (slugs som skal komme først)", "name": "related", "widget": "list"},
        "cta": {"label": "Booking og nyhetsbrev under artikkelen", "name": "cta", "widget": "boolean",
                "default": True},
        "redirect_from": {
            "label": "Gamle adresser som skal videresendes hit", "name": "redirect_from", "widget": "list",
            "field": {"label": "Gammel adresse", "name": "slug", "widget": "string",
                      "pattern": _pattern(slug_pattern, "Bare a–z, tall og bindestrek.")},
        },
    }


# What each field's hint adds to FIELDS' help, for staff in the editor.
_HINTS = {
    "slug": "Lages fra tittelen første gang du lagrer (æ→ae, ø→o, å→a) og endres ikke når tittelen endres. "
            "Endrer du den etter publisering, legg den gamle i «Gamle adresser».",
    "image_alt": "Påkrevd når artikkelen har delingsbilde.",
    "date": "Dagen artikkelen publiseres. En dato frem i tid publiseres ikke før dagen kommer.",
    "authors": "Velg én eller flere; listen kommer fra docs/artikler/.authors.yml.",
    "categories": "Velg fra listen over tillatte kategorier (categories_allowed i mkdocs.yml).",
    "tags": "Skriv emneordene med komma mellom, for eksempel coaching, feedback.",
    "draft": "På: artikkelen er kladd og publiseres ikke (den vises i forhåndsvisningen). Slå av når den er klar.",
    "pin": "På: artikkelen står øverst i artikkeloversikten.",
    "related": "Tomt: lenkene velges automatisk. Skriv slugs for artikler som skal komme først.",
    "cta": "Av: ingen «Book et møte» og ikke noe nyhetsbrevskjema under artikkelen.",
}
# FIELDS' help is written for front matter in a text editor; these keys get the editor's own words instead.
_OWN_HINTS = frozenset({"date", "authors", "categories", "tags", "draft", "pin", "related", "cta"})


def fields(context: frontmatter.Context, authors: dict[str, str]) -> list[dict[str, Any]]:
    """The collection's fields: FIELDS' keys (minus NOT_IN_EDITOR), with FIELDS' required and help, then the body."""
    widgets = _widgets(context, authors)
    result = []
    for name, spec in FIELDS.items():
        if name in NOT_IN_EDITOR:
            # Hidden, not left out: Decap orders the keys it knows by this list and scatters the others,
            # so a key it knows of keeps its value and its place among the others.
            result.append({"label": name, "name": name, "widget": "hidden", "required": False})
            continue
        widget = dict(widgets[name])
        widget["required"] = spec.required
        own = _HINTS.get(name, "")
        widget["hint"] = own if name in _OWN_HINTS else " ".join(part for part in (spec.help, own) if part)
        result.append(widget)
    result += [{"label": name, "name": name, "widget": "hidden", "required": False}
               for name in sorted(frontmatter.PASSTHROUGH)]
    result.append({"label": "Tekst", "name": "body", "widget": "markdown", "required": False,
                   "hint": "Bruk mellomtitler (##), ikke én ny tittel. Linjen <!-- more --> markerer hvor "
                           "utdraget i artikkeloversikten slutter."})
    return result


def config(context: frontmatter.Context, authors: dict[str, str], backend: Backend, site_url: str,
           posts_folder: str) -> dict[str, Any]:
    """Decap's config.yml for the articles in *posts_folder* (relative to the repository)."""
    settings: dict[str, Any] = {
        "locale": "nb_no",
        "backend": {"name": "github", "repo": backend.repo, "branch": backend.branch,
                    "base_url": backend.inbox.rstrip("/"), "auth_endpoint": AUTH_ENDPOINT,
                    "commit_messages": {"create": "Ny artikkel: {{slug}}", "update": "Endret artikkel: {{slug}}",
                                        "delete": "Slettet artikkel: {{slug}}",
                                        "uploadMedia": "Nytt bilde: {{path}}", "deleteMedia": "Slettet bilde: {{path}}"}},
        "site_url": site_url, "display_url": site_url,
        "media_folder": f"{posts_folder}/{MEDIA_FOLDER}", "public_folder": MEDIA_FOLDER,
        "slug": {"encoding": "ascii", "clean_accents": True, "sanitize_replacement": "-"},
        "collections": [{
            "name": "artikler", "label": "Artikler", "label_singular": "artikkel",
            "description": "Artiklene på nettstedet. Nye artikler er kladd til du slår av «Kladd».",
            "folder": posts_folder, "extension": "md", "format": "frontmatter", "create": True, "delete": False,
            # The file name is the pinned slug, which hub-cms.js makes from the title with our rules.
            "slug": "{{fields.slug}}", "summary": "{{title}}", "identifier_field": "title",
            "sortable_fields": ["date", "title"], "editor": {"preview": True},
            "fields": fields(context, authors),
        }],
    }
    if backend.local:
        settings["local_backend"] = {"url": f"{backend.local_origin}/api/v1", "allowed_hosts": ["127.0.0.1", "localhost"]}
    else:
        settings["publish_mode"] = "editorial_workflow"  # a draft is a branch and a pull request
    return settings


def slug_rules() -> dict[str, Any]:
    """hub/slug.py's rules, for the editor's script: the same letters, the same limit."""
    table = {chr(code): text for code, text in slug._TRANSLITERATE.items()}
    return {"transliterate": table, "max_length": slug.MAX_LENGTH, "not_word": slug._NOT_WORD.pattern}


def content_security_policy(backend: Backend) -> str:
    """The policy for /admin/ only: the editor's bundle from our host, GitHub's API, and decap-server when local.

    - ``script-src 'unsafe-eval'``: Decap validates its config with ajv, which compiles each schema with
      ``new Function``; without it the editor stops with "Error loading the CMS configuration".
    - ``style-src 'unsafe-inline'``: its components inject their styles (emotion) at run time.
    - ``img-src blob: data:``: previews of images before they are uploaded; the avatar host for the top bar.
    - The sign-in host (the inbox) needs no entry: Decap opens it with window.open, which CSP does not
      govern, and the token comes back by postMessage.
    """
    connect = ["'self'", GITHUB_API, *([backend.local_origin] if backend.local else [])]
    directives = [
        ("default-src", ["'self'"]),
        ("script-src", ["'self'", "'unsafe-eval'"]),
        ("style-src", ["'self'", "'unsafe-inline'"]),
        ("img-src", ["'self'", "data:", "blob:", GITHUB_AVATARS]),
        ("font-src", ["'self'", "data:"]),
        ("connect-src", connect),
        ("frame-src", ["'self'", "blob:"]),
        ("worker-src", ["'self'", "blob:"]),
        ("form-action", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
        ("base-uri", ["'self'"]),
        ("object-src", ["'none'"]),
    ]
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives)


def dump(settings: dict[str, Any]) -> str:
    """config.yml's text: JSON is YAML, and JSON cannot be misread (no bare `no`, no dates)."""
    return ("# The web editor's configuration, generated by hooks/admin.py from hooks/hub/frontmatter.py.\n"
            + json.dumps(settings, ensure_ascii=False, indent=2) + "\n")

