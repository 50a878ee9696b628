"""The booking and newsletter forms, declared once for the site and the lead inbox. Stdlib only.

Every fact about a form lives here: its fields (name, Norwegian label,
control, required, length limit, autocomplete and messages), the bot trap,
the inbox's endpoint path, the thank-you page, and every text a visitor reads
about the form as a whole (success, error summary, failure). Three readers
use it:

- the site's hooks (``hooks/cta.py`` via ``hub/cta.py``) hand a :class:`Form`
  to ``overrides/partials/booking.html`` and ``newsletter.html``;
- the inbox (``inbox/validation.py``, ``inbox/forms.py``) checks posts against
  the same :class:`Form` and shows it again on its error page;
- both render it with the one macro in ``overrides/partials/forms.html``.

Why here, and imported as ``hub.forms`` by both: ``hooks/hub`` is where the
site's pure modules live, and MkDocs puts only ``hooks/`` on ``sys.path``
while it loads a hook, so the site can import nothing outside it. The inbox
adds the same ``hooks/`` folder to ``sys.path`` in ``inbox/__init__.py``
(pytest.ini's ``pythonpath = hooks .`` does it for the tests), so all three
load one module under one name.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# The names of this machine: plain http is allowed there (site settings), and a
# loopback inbox needs no staff password (python -m inbox). As urlsplit gives them.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

# The invisible bot trap in our own forms: people never see it, bots fill it in.
HONEYPOT = "website"
TRAP_LABEL = "La dette feltet stå tomt"

EMAIL_ERROR = "Skriv inn en gyldig e-postadresse, for eksempel navn@firma.no."
# The error summary above the button, from the site's script and on the inbox's page alike.
SUMMARY_ONE = "Skjemaet har én feil. Se meldingen ved feltet."
SUMMARY_MANY = "Skjemaet har {count} feil. Se meldingene ved feltene."
# The site's script, when the endpoint cannot be reached or answers without a message of its own.
FAILED = ("Noe gikk galt, og skjemaet ble ikke sendt. Det du skrev er tatt vare på. "
          "Prøv igjen om litt, eller send e-post til kontakt@arcticsales.no.")
# The site's script, for a field the browser refuses that has no message of its own.
CHECK_FIELD = "Sjekk dette feltet."
# After a signup that needs no confirmation (a provider with double_opt_in: false),
# and on the inbox's page after the confirmation link.
WELCOME = "Velkommen som abonnent!"


@dataclass(frozen=True)
class Field:
    """One field a visitor fills in: how it is shown, what it may hold, and what to say when it is wrong."""

    name: str
    label: str                 # by the field; a checkbox's label is followed by the link to the privacy page
    control: str = "text"      # text, email, tel, textarea or checkbox
    required: bool = False
    max_length: int = 0        # characters after cleaning; 0: no limit (a checkbox)
    autocomplete: str = ""
    noun: str = ""             # the field in a sentence: "Navnet kan være høyst …"
    missing: str = ""          # when a required field is empty (or a checkbox unticked)
    invalid: str = ""          # when the value has the wrong shape (an e-mail address, a phone number)
    value: str = ""            # what a ticked checkbox sends

    @property
    def multiline(self) -> bool:
        return self.control == "textarea"

    @property
    def message(self) -> str:
        """What the site's script shows when the browser refuses the field."""
        return self.missing or self.invalid

    def too_long(self, length: int) -> str:
        return f"{self.noun} kan være høyst {self.max_length} tegn (nå {length})."


@dataclass(frozen=True)
class Form:
    """A form the inbox accepts and the site shows: its fields, hidden fields, endpoint and texts."""

    kind: str                  # booking or newsletter: the inbox's route name and the ids' prefix
    heading: str
    path: str                  # the inbox's endpoint, under its public URL
    thanks: str                # the site's page for a post without JavaScript, under site_url
    submit: str                # the button
    success: str               # after a post with JavaScript
    fields: tuple[Field, ...]
    hidden: tuple[str, ...] = ("article", "page", "form_token")  # filled by the site (and its script)
    honeypot: str = HONEYPOT

    # Texts for every form (class attributes, not fields), so a template reaches them through the form.
    summary_one = SUMMARY_ONE
    summary_many = SUMMARY_MANY
    failed = FAILED
    check_field = CHECK_FIELD
    trap_label = TRAP_LABEL

    def field(self, name: str) -> Field:
        return next(field for field in self.fields if field.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a post of this form carries: visible, trap and hidden."""
        return (*(field.name for field in self.fields), self.honeypot, *self.hidden)

    @property
    def required(self) -> frozenset[str]:
        return frozenset(field.name for field in self.fields if field.required)

    @property
    def limits(self) -> dict[str, int]:
        """Length limit by field name, for the fields that have one."""
        return {field.name: field.max_length for field in self.fields if field.max_length}

    def summary(self, count: int) -> str:
        return summary(count)


def summary(count: int) -> str:
    """The error summary for *count* mistakes."""
    return SUMMARY_ONE if count == 1 else SUMMARY_MANY.format(count=count)


BOOKING = Form(
    kind="booking",
    heading="Gratis konsultasjon – Book et møte",
    path="/booking",
    thanks="takk/",
    submit="Send forespørsel",
    success="Takk! Vi har mottatt forespørselen din og tar kontakt innen én arbeidsdag.",
    fields=(
        Field("name", "Navn", required=True, max_length=200, autocomplete="name", noun="Navnet",
              missing="Skriv inn navnet ditt."),
        Field("company", "Firma", max_length=200, autocomplete="organization", noun="Firmanavnet"),
        Field("email", "E-post", "email", required=True, max_length=254, autocomplete="email",
              noun="E-postadressen", missing=EMAIL_ERROR, invalid=EMAIL_ERROR),
        Field("phone", "Telefon", "tel", max_length=40, autocomplete="tel", noun="Telefonnummeret",
              invalid="Skriv telefonnummeret med sifre, for eksempel +47 912 34 567."),
        Field("message", "Hva vil du snakke om?", "textarea", max_length=4000, noun="Meldingen"),
        Field("consent", "Jeg samtykker i at Arctic Sales Development bruker opplysningene til å avtale og følge "
              "opp møtet, som beskrevet i", "checkbox", required=True, value="ja",
              missing="Du må samtykke for at vi kan kontakte deg."),
    ),
    # slot: the time the visitor picked on the site or the inbox's slot page (issue 20); empty: a request.
    hidden=("slot", "article", "page", "form_token"),
)

NEWSLETTER = Form(
    kind="newsletter",
    heading="Nyhetsbrev",
    path="/newsletter",
    thanks="sjekk-innboksen/",
    submit="Meld meg på",
    success="Sjekk innboksen din for å bekrefte. Vi har sendt deg en e-post med en lenke.",
    fields=(
        Field("email", "E-post", "email", required=True, max_length=254, autocomplete="email",
              noun="E-postadressen", missing=EMAIL_ERROR, invalid=EMAIL_ERROR),
        Field("consent", "Ja, send meg nyhetsbrevet på e-post. Jeg kan melde meg av når som helst, og har lest",
              "checkbox", required=True, value="ja",
              missing="Du må krysse av for at vi kan sende deg nyhetsbrevet."),
    ),
)

FORMS = {form.kind: form for form in (BOOKING, NEWSLETTER)}

# Booking with time slots (issue 20): the inbox's free times, as JSON for the site's script and as a page that
# needs no script (inbox/booking.py serves both), and what the site's booking block says about them.
SLOTS_JSON_PATH = "/moter/ledige.json"
SLOTS_PAGE_PATH = "/moter/"
SLOTS_TEXTS = {
    "link": "Se ledige tider og book et møte",
    "or_request": "Finner du ingen tid som passer? Send en forespørsel, så foreslår vi et tidspunkt.",
    "heading": "Velg et tidspunkt (norsk tid)",
    "chosen": "Valgt tid: {when}.",
    "change": "Velg en annen tid",
    "book": "Book møtet",
    "more": "Flere tider",
    "loading": "Henter ledige tider …",
}


def origin(url: str) -> str:
    """``scheme://host[:port]`` of *url*, lowercased, as browsers send it in ``Origin`` (ValueError if malformed)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
