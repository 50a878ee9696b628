"""Every Norwegian text the inbox shows a visitor or a staff member, in one place.

The forms' own texts (labels, messages by the fields, success, the error
summary) are declared with the forms in ``hooks/hub/forms.py``, which the
site renders from too.

A page message is a title and a text, and optionally a link back (a route
name for :meth:`inbox.core.Inbox.url_for`, or ``"site"`` for the site's
front page, or ``"newsletter"`` for its newsletter page).
"""

from __future__ import annotations

from dataclasses import dataclass

from hub import forms


@dataclass(frozen=True)
class Notice:
    """A page of the inbox that only tells something: title, text and an optional link."""

    title: str
    text: str
    link: str = ""        # a route name, "site" or "newsletter"
    link_text: str = ""


# --- form answers ----------------------------------------------------------------

FORM_REFUSED_TITLE = "Skjemaet ble ikke sendt"
FORM_FOREIGN_ORIGIN = "Skjemaet må sendes fra nettstedet vårt."
FORM_TOO_MANY = "Du har sendt mange skjemaer på kort tid. Vent et minutt og prøv igjen."
FORM_UNSUPPORTED = "Skjemaet ble sendt i et format vi ikke kan lese."
FORM_TOO_LARGE = "Skjemaet er for stort. Korte ned meldingen og prøv igjen."
FORM_UNREADABLE = "Skjemaet kunne ikke leses. Prøv igjen fra nettstedet."
FORM_TOO_SLOW = "Skjemaet kom for sakte fram. Prøv igjen."


# --- newsletter links ----------------------------------------------------------------

CONFIRM_EXPIRED = Notice("Lenken er utløpt", "Bekreftelseslenken er for gammel. Meld deg på nyhetsbrevet på nytt, "
                         "så sender vi en ny.", "newsletter")
CONFIRM_BAD = Notice("Lenken virker ikke", "Lenken er ufullstendig eller endret. Kopier hele lenken fra e-posten, "
                     "eller meld deg på nyhetsbrevet på nytt.", "newsletter")
CONFIRM_GONE = Notice("Påmeldingen finnes ikke lenger", "Adressen er meldt av eller slettet. Meld deg på igjen "
                      "hvis du vil ha nyhetsbrevet.", "newsletter")
CONFIRMED = Notice(forms.WELCOME, "Takk for at du bekreftet. Du får neste nyhetsbrev fra Arctic Sales "
                   "Development på e-post. Hver utgave har en lenke for å melde seg av.", "site", "Til artiklene")
UNSUBSCRIBE_BAD = Notice("Lenken virker ikke", "Lenken er ufullstendig eller endret. Kopier hele lenken fra "
                         "e-posten.", "site")
UNSUBSCRIBED = Notice("Du er meldt av", "Du får ikke flere nyhetsbrev fra oss, og adressen er slettet fra listen.",
                      "site", "Til nettstedet")

# --- staff ---------------------------------------------------------------------------------

NOT_LOGGED_IN = Notice("Du er ikke logget inn", "Logg inn på ansattsiden først.", "login", "Logg inn")
STAFF_UNREADABLE = Notice("Ugyldig forespørsel", "Skjemaet kunne ikke leses.", "staff", "Til ansattsiden")
STAFF_REFUSED = Notice("Handlingen ble avvist", "Skjemaet var utløpt eller kom fra en annen side. Last ansattsiden "
                       "på nytt og prøv igjen.", "staff", "Til ansattsiden")
LOGIN_FOREIGN_ORIGIN = Notice("Handlingen ble avvist", "Logg inn fra ansattsiden.", "login", "Til innloggingen")
UNKNOWN_STATUS = Notice("Ukjent status", "Velg ny, kontaktet eller avsluttet.", "staff", "Til ansattsiden")
LEAD_MISSING = Notice("Fant ikke henvendelsen", "Den kan være slettet.", "staff", "Til ansattsiden")
WRONG_PASSWORD = "Feil passord."
LOGIN_THROTTLED = "For mange mislykkede forsøk. Vent et kvarter og prøv igjen."
# The notices on the staff page after an action. The redirect carries only the key (and a count), never
# text: no link can put words of its own on the staff page, and no address lands in history or proxy logs.
STAFF_NOTICES = {"status-lagret": "Status lagret.", "ugyldig-adresse": "Skriv inn en gyldig e-postadresse."}


def staff_notice(key: str, count: str = "") -> str:
    """The notice for *key*; "" for anything else."""
    if key == "slettet" and count.isascii() and count.isdigit() and len(count) <= 6:
        return f"Slettet {int(count)} oppføringer om adressen."
    return STAFF_NOTICES.get(key, "")


STATUS_LABELS = {"ny": "Ny", "kontaktet": "Kontaktet", "avsluttet": "Avsluttet"}

# --- errors for any address --------------------------------------------------------------------

ERRORS = {
    400: Notice("Ugyldig forespørsel", "Forespørselen kunne ikke leses. Gå tilbake og prøv igjen.", "site"),
    404: Notice("Siden finnes ikke", "Adressen er feil, eller siden er flyttet. Sjekk lenken, eller gå til "
                "nettstedet.", "site", "Til nettstedet"),
    405: Notice("Handlingen er ikke tillatt", "Denne adressen kan ikke brukes slik. Gå tilbake og prøv igjen fra "
                "nettstedet.", "site"),
    413: Notice("Forespørselen er for stor", FORM_TOO_LARGE, "site"),
    429: Notice("For mange forespørsler", "Vent litt og prøv igjen.", "site"),
    500: Notice("Noe gikk galt hos oss", "Vi fikk ikke behandlet forespørselen. Prøv igjen om litt. "
                "Feilen er logget.", "site"),
    503: Notice("Tjenesten er opptatt", "Det er mange forespørsler akkurat nå. Prøv igjen om litt.", "site"),
}


def error(status: int) -> Notice:
    """The page for an HTTP error *status*; an unlisted 4xx or 5xx gets the nearest general one."""
    return ERRORS.get(status) or ERRORS[500 if status >= 500 else 400]
