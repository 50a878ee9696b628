"""What a visitor may submit, and the Norwegian message shown next to a field that is wrong. Pure.

The fields, their limits, which are required and their messages come from the
one declaration the site's forms are rendered from (``hooks/hub/forms.py``),
so a reader sees one wording whether the browser, the site's script or this
server catches the mistake. What is checked here besides: the shape of an
e-mail address and a phone number, and the hidden fields.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import idna
from hub.forms import BOOKING, EMAIL_ERROR, NEWSLETTER, Form  # noqa: F401 - the two forms, for validate()
# Mail servers take æ, ø and å before the @ only with SMTPUTF8, which many do not offer.
LOCAL_PART_ERROR = ("Delen før @ kan bare ha bokstavene a–z (ikke æ, ø eller å), sifre og tegn som . - _ +. "
                    "Skriv den som i e-postprogrammet ditt.")
DOMAIN_ERROR = "Delen etter @ er ikke et gyldig domenenavn. Sjekk stavemåten, for eksempel navn@firma.no."
_LOCAL = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})*\.[^\W\d_]{{2,63}}")
PHONE = re.compile(r"\+?[0-9 ()./-]{4,40}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{8,100}")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,199}")
SLOT = re.compile(r"[a-z0-9][a-z0-9-]{0,39}\.\d{8}T\d{4}Z")  # a chosen time: consultant.YYYYMMDDTHHMMZ (issue 20)
PAGE = re.compile(r"(?:[a-z0-9][a-z0-9_-]*/){0,10}")  # a page's path on the site, e.g. artikler/slug/
# Control and format characters (NUL, NEL, zero-width spaces, BOM, direction overrides, soft hyphen …): never
# visible on purpose in a name or a message, and able to hide a formula or spoof text.
_INVISIBLE = frozenset({"Cc", "Cf"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


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
    text = "".join(char for char in unicodedata.normalize("NFC", text)
                   if char in "\n\r\t" or unicodedata.category(char) not in _INVISIBLE)
    text = _CONTROL.sub("", text)
    if multiline:
        lines = (line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return " ".join(text.split())


def normalise_email(text: str) -> str:
    """One spelling per mailbox, so dedupe, unsubscribe and erase find the stored row.

    Cleaned like every field, the local part lowercased (as the forms always
    did), the domain in its canonical Unicode form by IDNA/UTS 46: ``OLA@BÜCHER.no``
    and ``ola@xn--bcher-kva.no`` both become ``ola@bücher.no``, which staff can
    read. A domain that is not valid IDNA is only lowercased; :func:`email_error`
    then refuses it.
    """
    address = clean(text)
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    try:
        domain = idna.decode(idna.encode(domain, uts46=True))
    except UnicodeError:  # idna.IDNAError and the codec's own errors
        domain = domain.lower()
    return f"{local.lower()}@{domain}"


def ascii_email(address: str) -> str:
    """The address with its domain in IDNA A-labels, for To:, Reply-To: and the SMTP envelope.

    ValueError unless the address is usable (see :func:`email_error`).
    """
    if error := email_error(address):
        raise ValueError(error)
    local, _, domain = address.rpartition("@")
    return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"


def email_error(address: str) -> str:
    """'' for a usable address (as :func:`normalise_email` gives it), else the message for the field.

    Usable means: one ASCII local part (no SMTPUTF8), no RFC 2047 marker ``=?``
    that the email package would decode into header text, a dotted domain with a
    letter TLD that IDNA can encode, and RFC 5321's limits on the encoded form.
    """
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return EMAIL_ERROR
    if not local.isascii():
        return LOCAL_PART_ERROR
    if ("=?" in address or EMAIL.fullmatch(address) is None or len(local) > 64
            or local.startswith(".") or local.endswith(".") or ".." in local):
        return EMAIL_ERROR
    try:
        encoded = idna.encode(domain, uts46=True)
    except UnicodeError:
        return DOMAIN_ERROR
    return EMAIL_ERROR if len(local) + 1 + len(encoded) > 254 else ""


def valid_email(address: str) -> bool:
    """A practical check: one @, a dotted IDNA domain with a letter TLD, and the length limits of RFC 5321."""
    return len(address) <= 254 and not email_error(normalise_email(address))


def _first(raw: Mapping[str, Sequence[str]], name: str) -> str:
    values = raw.get(name) or [""]
    return values[0]


def validate(form: Form, raw: Mapping[str, Sequence[str]]) -> Submission:
    """Check a posted form (as ``urllib.parse.parse_qs`` gives it); never raises."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in form.fields:
        value = clean(_first(raw, spec.name), spec.multiline)
        if spec.control != "checkbox":  # a tick is checked, not kept
            values[spec.name] = value
        if not value:
            if spec.required:
                errors[spec.name] = spec.missing
        elif spec.max_length and len(value) > spec.max_length:
            errors[spec.name] = spec.too_long(len(value))
    if values.get("email") and "email" not in errors:
        values["email"] = normalise_email(values["email"])
        if message := email_error(values["email"]):
            errors["email"] = message
    if values.get("phone") and "phone" not in errors and not PHONE.fullmatch(values["phone"]):
        errors["phone"] = form.field("phone").invalid
    article = clean(_first(raw, "article")).lower()
    values["article"] = article if SLUG.fullmatch(article) else ""
    page = clean(_first(raw, "page")).lower()
    values["page"] = page if len(page) <= 300 and PAGE.fullmatch(page) else ""
    if "slot" in form.hidden:  # the chosen time (issue 20, inbox/slots.py names it like kari.20260303T0800Z)
        slot = clean(_first(raw, "slot"))
        values["slot"] = slot if SLOT.fullmatch(slot) else ""
    token = clean(_first(raw, "form_token"))
    values["form_token"] = token if TOKEN.fullmatch(token) else ""
    trapped = bool(clean(_first(raw, form.honeypot)))
    return Submission(form, values, {} if trapped else errors, trapped)


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

