"""One form contract: the built site's forms and the inbox's error page carry exactly what hub/forms.py declares.

The site is the real one, built with MkDocs in strict mode; the inbox page is
what the running app answers to a post with mistakes. Both are parsed and
compared with the declaration: names, controls, required fields, length
limits, autocomplete, labels, the bot trap, the action path and the texts the
site's script shows.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from support import DEPLOYED_INBOX, Build
from hub import forms

ARTICLE = "artikler/forhandling-uten-rabattpanikk/index.html"
# A post the inbox refuses: every required field empty, so its page shows the form again with messages.
EMPTY = {"website": "", "article": "forhandling-uten-rabattpanikk", "page": "artikler/forhandling-uten-rabattpanikk/",
         "form_token": "tok-contract-01"}


def _label(field: forms.Field) -> str:
    """The label as a reader sees it: a consent ends with the privacy link, an optional field says so."""
    if field.control == "checkbox":
        return f"{field.label} personvernerklæringen."
    return field.label if field.required else f"{field.label} (valgfritt)"


def declared(form: forms.Form) -> dict:
    """What a rendered form must carry, from the declaration alone."""
    return {
        "action": form.path,
        "fields": {field.name: (field.control, field.required, field.max_length or None, field.autocomplete or None,
                                _label(field)) for field in form.fields},
        "trap": form.honeypot,
        "hidden": set(form.hidden),
        "names": set(form.names),
        "texts": (form.submit, form.summary_one, form.summary_many, form.failed),
    }


def parsed(node, form: forms.Form) -> dict:
    """The same facts, read from a rendered ``<form>``."""
    controls = node.css("input, textarea")
    visible = [c for c in controls if c.attributes.get("type") != "hidden" and "data-hub-trap" not in c.attributes]
    [trap] = [c for c in controls if "data-hub-trap" in c.attributes]

    def label(control) -> str:
        return " ".join(node.css_first(f'label[for="{control.attributes["id"]}"]').text().split())

    def facts(control) -> tuple:
        maxlength = control.attributes.get("maxlength")
        return (control.tag if control.tag == "textarea" else control.attributes["type"],
                "required" in control.attributes, int(maxlength) if maxlength else None,
                control.attributes.get("autocomplete"), label(control))

    return {
        "action": urlsplit(node.attributes["action"]).path,
        "fields": {c.attributes["name"]: facts(c) for c in visible},
        "trap": trap.attributes["name"],
        "hidden": {c.attributes["name"] for c in controls if c.attributes.get("type") == "hidden"},
        "names": {c.attributes["name"] for c in controls},
        "texts": (node.css_first("button[type=submit]").text(strip=True), node.attributes["data-summary-one"],
                  node.attributes["data-summary-many"], node.attributes["data-failed"]),
    }


@pytest.mark.parametrize("form", [forms.BOOKING, forms.NEWSLETTER], ids=lambda form: form.kind)
def test_the_built_site_renders_each_form_as_declared(real_site: Build, form: forms.Form) -> None:
    node = real_site.html(ARTICLE).css_first(f"section.hub-cta--{form.kind} form")
    assert node.attributes["action"] == DEPLOYED_INBOX + form.path
    assert parsed(node, form) == declared(form)
    assert (real_site.site / form.thanks / "index.html").is_file()  # where the inbox sends a post without script


@pytest.mark.parametrize("form", [forms.BOOKING, forms.NEWSLETTER], ids=lambda form: form.kind)
def test_the_inbox_error_page_renders_each_form_as_declared(inbox, form: forms.Form) -> None:
    response = inbox.post(form.path, data=EMPTY)
    assert response.status_code == 422
    page = HTMLParser(response.text)
    assert parsed(page.css_first("form"), form) == declared(form)
    errors = {node.attributes["id"]: node.text() for node in page.css(".hub-field__error")}
    assert errors == {f"{form.kind}-{field.name}-error": field.missing for field in form.fields if field.required}
    assert page.css_first("[role=alert]").text(strip=True) == forms.summary(len(form.required))
    json = inbox.post(form.path, data=EMPTY, headers={"accept": "application/json"}).json()
    assert json == {"ok": False, "message": forms.summary(len(form.required)),
                    "errors": {field.name: field.missing for field in form.fields if field.required}}


@pytest.mark.parametrize("change", [
    lambda form: dataclasses.replace(form, fields=form.fields[:-1]),                       # a field less
    lambda form: dataclasses.replace(form, fields=tuple(dataclasses.replace(field, max_length=field.max_length + 1)
                                                       if field.max_length else field for field in form.fields)),
    lambda form: dataclasses.replace(form, fields=tuple(dataclasses.replace(field, required=not field.required)
                                                       for field in form.fields)),
    lambda form: dataclasses.replace(form, honeypot="homepage"),
    lambda form: dataclasses.replace(form, path=form.path + "/"),
    lambda form: dataclasses.replace(form, hidden=form.hidden[:-1]),
], ids=["field", "maxlength", "required", "honeypot", "path", "hidden"])
def test_the_comparison_sees_any_drift_from_the_declaration(real_site: Build, change) -> None:
    node = real_site.html(ARTICLE).css_first("section.hub-cta--booking form")
    assert parsed(node, forms.BOOKING) == declared(forms.BOOKING)
    assert parsed(node, forms.BOOKING) != declared(change(forms.BOOKING))
