"""What a visitor may submit, and the Norwegian message shown next to a field that is wrong. Pure.

The rules mirror the HTML forms (overrides/partials/booking.html and
newsletter.html): the same fields, the same length limits and the same
messages, so a reader sees one wording whether the browser, the site's script
or this server catches the mistake.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# The invisible bot trap in every form (overrides/partials/form-trap.html).
HONEYPOT = "website"

EMAIL_ERROR = "Skriv inn en gyldig e-postadresse, for eksempel navn@firma.no."
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[^\W\d_]{{2,63}}")
PHONE = re.compile(r"\+?[0-9 ()./-]{4,40}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,100}")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
PAGE = re.compile(r"(?:[a-z0-9][a-z0-9_-]*/){0,10}")  # a page's path on the site, e.g. artikler/slug/
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Field:
    """One form field: its limit, whether it is required, and what to say when it is wrong."""

    name: str
    label: str
    max_length: int
    required: bool = False
    multiline: bool = False
    missing: str = ""


@dataclass(frozen=True)
class Form:
    """A form the inbox accepts: its fields and the message for a missing consent."""

    kind: str
    fields: tuple[Field, ...]
    consent_error: str


BOOKING = Form("booking", (
    Field("name", "Navnet", 200, required=True, missing="Skriv inn navnet ditt."),
    Field("company", "Firmanavnet", 200),
    Field("email", "E-postadressen", 254, required=True, missing=EMAIL_ERROR),
    Field("phone", "Telefonnummeret", 40),
    Field("message", "Meldingen", 4000, multiline=True),
), consent_error="Du må samtykke for at vi kan kontakte deg.")

NEWSLETTER = Form("newsletter", (
    Field("email", "E-postadressen", 254, required=True, missing=EMAIL_ERROR),
), consent_error="Du må krysse av for at vi kan sende deg nyhetsbrevet.")

FORMS = {form.kind: form for form in (BOOKING, NEWSLETTER)}


@dataclass
class Submission:
    """A parsed form: clean values, errors by field name, and whether a bot filled the trap."""

    form: Form
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    trapped: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def clean(text: str, multiline: bool = False) -> str:
    """NFC, no control or direction characters, trimmed; single-line fields get single spaces."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    if multiline:
        lines = (line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())


def valid_email(address: str) -> bool:
    """A practical check: one @, a dotted domain with a letter TLD, and the length limits of RFC 5321."""
    if len(address) > 254 or "@" not in address:
        return False
    local = address.rsplit("@", 1)[0]
    return (EMAIL.fullmatch(address) is not None and len(local) <= 64
            and not local.startswith(".") and not local.endswith(".") and ".." not in local)


def _first(raw: Mapping[str, Sequence[str]], name: str) -> str:
    values = raw.get(name) or [""]
    return values[0]


def validate(form: Form, raw: Mapping[str, Sequence[str]]) -> Submission:
    """Check a posted form (as ``urllib.parse.parse_qs`` gives it); never raises."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        value = clean(_first(raw, spec.name), spec.multiline)
        values[spec.name] = value
        if not value:
            if spec.required:
                errors[spec.name] = spec.missing
        elif len(value) > spec.max_length:
            errors[spec.name] = f"{spec.label} kan være høyst {spec.max_length} tegn (nå {len(value)})."
    if "email" in values and values["email"] and "email" not in errors:
        values["email"] = _normalise_email(values["email"])
        if not valid_email(values["email"]):
            errors["email"] = EMAIL_ERROR
    if values.get("phone") and "phone" not in errors and not PHONE.fullmatch(values["phone"]):
        errors["phone"] = "Skriv telefonnummeret med sifre, for eksempel +47 912 34 567."
    if not clean(_first(raw, "consent")):
        errors["consent"] = form.consent_error
    article = clean(_first(raw, "article")).lower()
    values["article"] = article if SLUG.fullmatch(article) else ""
    page = clean(_first(raw, "page")).lower()
    values["page"] = page if len(page) <= 300 and PAGE.fullmatch(page) else ""
    token = clean(_first(raw, "form_token"))
    values["form_token"] = token if TOKEN.fullmatch(token) else ""
    trapped = bool(clean(_first(raw, HONEYPOT)))
    return Submission(form, values, {} if trapped else errors, trapped)


def _normalise_email(address: str) -> str:
    """Domains are case-insensitive; the local part is kept as typed (RFC 5321) but lowercased in practice."""
    return address.strip().lower()


def form_token(submission: Submission, hour: str) -> str:
    """The token that makes a resend idempotent: the form's own, or one derived from the content.

    With JavaScript every form view carries a random token, so a double click or
    a retried request is stored once. A form posted without JavaScript has none;
    then the same content sent again within the same hour counts as the same
    submission.
    """
    if submission.values.get("form_token"):
        return submission.values["form_token"]
    content = "\x1f".join([submission.form.kind, hour, *(f"{k}={v}" for k, v in sorted(submission.values.items()))])
    return "auto-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:40]


def normalise_email(text: str) -> str:
    """TEMPORARY until the inbox-mail branch lands."""
    return _normalise_email(clean(text))
