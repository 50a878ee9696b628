"""The web editor's configuration (hub/editor.py) against the one front-matter schema, and its build output.

The unit tests compare Decap's fields with :data:`hub.frontmatter.FIELDS`
rule by rule, so the editor and the build cannot drift apart; the slow ones
run the editor's own slug function in Node against ``hub/slug.py``, and build
the real site with the editor for this machine and for production.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from hub import editor, frontmatter, headers, site
from hub.frontmatter import FIELDS, PASSTHROUGH
from hub.slug import slugify
from support import REPO, run_mkdocs

from inbox import oauth

CONTEXT = frontmatter.Context(categories=frozenset({"Coaching", "KPI og oppfølging"}),
                              authors=frozenset({"ingrid", "sara"}))
AUTHORS = {"ingrid": "Ingrid Solberg", "sara": "Sara Nilsen"}
LOCAL = editor.Backend(repo="", branch="main", inbox="http://127.0.0.1:8001", local=True, local_port=8123)
PUBLISHED = editor.Backend(repo="arcticsales/innholdshub", branch="main", inbox="https://innboks.arcticsales.no",
                           local=False)


def fields() -> dict[str, dict]:
    return {field["name"]: field for field in editor.fields(CONTEXT, AUTHORS)}


def collection(backend: editor.Backend = LOCAL) -> dict:
    [articles] = editor.config(CONTEXT, AUTHORS, backend, "https://www.arcticsales.no/",
                               "docs/artikler/posts")["collections"]
    return articles


def test_every_key_of_the_schema_is_in_the_editor_in_the_schemas_order() -> None:
    names = [name for name in fields() if name != "body"]
    assert names == [*FIELDS, *sorted(PASSTHROUGH)]
    assert list(fields())[-1] == "body"
    # The keys the editor does not show are hidden fields, with a reason each: kept, and kept in place.
    hidden = {name for name, field in fields().items() if field["widget"] == "hidden"}
    assert hidden == set(editor.NOT_IN_EDITOR) | PASSTHROUGH
    assert set(editor.NOT_IN_EDITOR) <= set(FIELDS) and all(editor.NOT_IN_EDITOR.values())


@pytest.mark.parametrize("name", [name for name in FIELDS if name not in editor.NOT_IN_EDITOR])
def test_each_shown_field_is_required_exactly_when_the_build_requires_it(name: str) -> None:
    field = fields()[name]
    assert field["required"] is FIELDS[name].required
    assert field["hint"] and field["label"]


SAMPLES = {
    "title": ["Tittel", "", "   ", "\n", "Møtebooking på telefon"],
    "image_alt": ["Et bilde av en telefon", "", " "],
    "description": ["Kort.", "", "  ", "x" * 159, "x" * 160, "x" * 161, "æ" * 160, "to\nlinjer", " " * 10 + "x"],
    "slug": ["motebooking-pa-telefon", "abc", "a1-b2", "", "Abc", "a--b", "-a", "a-", "møte", "a b", "a_b"],
}


@pytest.mark.parametrize(("name", "value"), [(name, value) for name, values in SAMPLES.items() for value in values])
def test_the_editors_pattern_accepts_what_the_build_accepts(name: str, value: str) -> None:
    regex, message = fields()[name]["pattern"]
    assert message
    build_accepts = FIELDS[name].check(value, CONTEXT) is None
    editor_accepts = re.search(regex, value) is not None
    if not value and not FIELDS[name].required:
        return  # Decap checks an empty optional field against nothing; the build never sees the key
    assert editor_accepts is build_accepts, (regex, value)


def test_redirect_from_items_follow_the_slug_rule() -> None:
    field = fields()["redirect_from"]
    assert field["widget"] == "list" and field["field"]["pattern"][0] == FIELDS["slug"].schema["pattern"]


def test_choices_come_from_the_site() -> None:
    assert fields()["authors"]["options"] == [{"label": "Ingrid Solberg", "value": "ingrid"},
                                              {"label": "Sara Nilsen", "value": "sara"}]
    assert fields()["categories"]["options"] == ["Coaching", "KPI og oppfølging"]
    assert fields()["authors"]["multiple"] is fields()["categories"]["multiple"] is True


def test_the_date_is_stored_as_a_bare_day_and_drafts_are_the_default() -> None:
    date = fields()["date"]
    assert (date["widget"], date["format"], date["time_format"], date["picker_utc"]) == \
        ("datetime", "YYYY-MM-DD", False, True)
    assert fields()["draft"]["default"] is True and fields()["draft"]["widget"] == "boolean"


def test_images_go_where_the_build_finds_them() -> None:
    settings = editor.config(CONTEXT, AUTHORS, LOCAL, "/", "docs/artikler/posts")
    assert settings["media_folder"] == "docs/artikler/posts/bilder"
    assert settings["public_folder"] == "bilder"  # image: bilder/x.jpg, relative to the article
    assert fields()["image"]["widget"] == "image" and fields()["image_alt"]["required"] is False


def test_the_file_name_is_the_pinned_slug() -> None:
    articles = collection()
    assert articles["slug"] == "{{fields.slug}}" and articles["folder"] == "docs/artikler/posts"
    assert articles["format"] == "frontmatter" and articles["extension"] == "md"


def test_local_and_published_backends() -> None:
    local = editor.config(CONTEXT, AUTHORS, LOCAL, "/", "docs/artikler/posts")
    published = editor.config(CONTEXT, AUTHORS, PUBLISHED, "/", "docs/artikler/posts")
    assert local["local_backend"]["url"] == "http://127.0.0.1:8123/api/v1" and "publish_mode" not in local
    assert "local_backend" not in published and published["publish_mode"] == "editorial_workflow"
    assert published["locale"] == local["locale"] == "nb_no"
    backend = published["backend"]
    assert (backend["name"], backend["repo"], backend["branch"]) == ("github", "arcticsales/innholdshub", "main")
    assert backend["base_url"] == "https://innboks.arcticsales.no"
    # Decap opens base_url + "/" + auth_endpoint: the inbox's sign-in route.
    start = next(route for route in oauth.ROUTES if route.name == "oauth_start")
    assert "/" + backend["auth_endpoint"] == start.path


def directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_the_editors_policy_allows_github_and_decap_server_only_when_local() -> None:
    local, published = directives(editor.content_security_policy(LOCAL)), \
        directives(editor.content_security_policy(PUBLISHED))
    assert local["connect-src"] == ["'self'", "https://api.github.com", "http://127.0.0.1:8123"]
    assert published["connect-src"] == ["'self'", "https://api.github.com"]
    for policy in (local, published):
        assert policy["script-src"] == ["'self'", "'unsafe-eval'"]  # ajv compiles Decap's config schema
        assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert not any("*" in source for sources in policy.values() for source in sources)


def test_the_admin_header_blocks() -> None:
    policy = editor.content_security_policy(PUBLISHED)
    block = headers.admin_headers_block("/admin/", policy).splitlines()
    assert block[0] == "/admin/*" and f"  Content-Security-Policy: {policy}" in block
    assert "  Cross-Origin-Opener-Policy: same-origin-allow-popups" in block  # the sign-in popup may answer
    nginx = headers.admin_nginx_block("/admin/", policy)
    assert nginx.startswith("location ^~ /admin/ {") and nginx.rstrip().endswith("}")
    # add_header in a location replaces the server block's: every header is repeated there.
    for name, _ in headers.STATIC_HEADERS:
        assert f"add_header {name} " in nginx


def test_the_config_file_is_json_so_yaml_cannot_misread_it() -> None:
    settings = editor.config(CONTEXT, AUTHORS, LOCAL, "/", "docs/artikler/posts")
    text = editor.dump(settings)
    assert yaml.safe_load(text) == settings == json.loads(text.split("\n", 1)[1])


# -----------------------------------------------------------------------------
# Slow: Node runs the editor's slug function; the real site is built with the editor
# -----------------------------------------------------------------------------

TITLES = ["Møtebooking på telefon", "Lønnssamtaler på én time: så får du dem i mål", "ÆØÅ æøå", "Straße & Œuvre",
          "Þórður Guðmundsson", "KPI-er som styrer salget", "  mange   mellomrom  ", "Café naïve résumé",
          "«Sitat» – med tankestrek", "2025: året", "😀 emoji", "", "a" * 70, "ord " * 30,
          "Salgslederens ukerytme: fem faste møter som holder teamet i gang hele året"]


@pytest.mark.slow
def test_the_editors_slug_is_hub_slug() -> None:
    rules = json.dumps(editor.slug_rules())
    script = (
        "global.window = globalThis;"
        f"global.document = {{currentScript: {{dataset: {{styles: '[]', authors: '{{}}', rules: {json.dumps(rules)}}}}}}};"
        f"require({json.dumps(str(REPO / 'hooks/templates/admin/hub-cms.js'))});"
        f"console.log(JSON.stringify({json.dumps(TITLES)}.map(window.hubSlugify)));"
    )
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [slugify(title) for title in TITLES]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory):
    build = run_mkdocs(REPO / "mkdocs.yml", tmp_path_factory.mktemp("published") / "site",
                       env={"HUB_EDITOR": "on", "HUB_EDITOR_REPO": "arcticsales/innholdshub"})
    assert build.returncode == 0, build.output
    return build


@pytest.mark.slow
def test_the_published_site_has_the_editor_with_its_own_policy(published) -> None:
    admin = published.site / "admin"
    settings = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    facts = site.read()
    context = frontmatter.Context(categories=frozenset(facts.categories), authors=frozenset(facts.authors))
    backend = editor.Backend(repo="arcticsales/innholdshub", branch="main", inbox="https://innboks.arcticsales.no",
                             local=False)
    assert settings == editor.config(context, facts.authors, backend, "https://www.arcticsales.no/",
                                     "docs/artikler/posts")
    page = (admin / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == ["decap-cms.js", "hub-cms.js"] and all((admin / name).is_file() for name in scripts)
    assert "<script>" not in page and not re.search(r'(src|href)="(https?:)?//', page)
    # Decap's chunks, loaded on demand, are all here (nothing from a CDN).
    bundle = (admin / "decap-cms.js").read_text(encoding="utf-8")
    assert "unpkg.com" not in bundle and "cdn.jsdelivr" not in bundle
    assert len(list(admin.glob("*.decap-cms.js"))) > 50
    styles = json.loads(re.search(r'data-styles="([^"]+)"', page).group(1).replace("&#34;", '"'))
    assert all((admin / style).resolve().is_file() for style in styles) and len(styles) == 2
    # The host's headers: the site's policy for everything, the editor's for /admin/, after it.
    rules = (published.site / "_headers").read_text(encoding="utf-8")
    assert rules.index("/*\n") < rules.index("/admin/*\n")
    policy = editor.content_security_policy(backend)
    assert f"  Content-Security-Policy: {policy}\n" in rules.split("/admin/*\n")[1]
    assert "127.0.0.1" not in policy
    nginx = (published.site / "nginx-security-headers.conf").read_text(encoding="utf-8")
    assert f'add_header Content-Security-Policy "{policy}" always;' in nginx.split("location ^~ /admin/ {")[1]


@pytest.mark.slow
def test_a_published_build_without_a_repository_fails_and_says_why(tmp_path: Path) -> None:
    build = run_mkdocs(REPO / "mkdocs.yml", tmp_path / "site",
                       env={"HUB_EDITOR": "on", "HUB_EDITOR_REPO": "", "GITHUB_REPOSITORY": ""})
    assert build.returncode != 0
    assert "extra.editor.repo er tom; sett HUB_EDITOR_REPO" in build.output
    assert "Traceback" not in build.output
