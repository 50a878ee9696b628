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
        return f"Slettet {counted(int(count), 'oppføring')} om adressen."
    return STAFF_NOTICES.get(key, "")


STATUS_LABELS = {"ny": "Ny", "kontaktet": "Kontaktet", "avsluttet": "Avsluttet"}
KIND_LABELS = {"booking": "Møte", "newsletter": "Nyhetsbrev"}  # the leads' kinds, as the staff page and CSV name them

# The CSV exports (inbox/export.py): the staff's names for the stored columns (a column not listed keeps its
# own name), and for the coded values in them.
CSV_HEADINGS = {
    "created_at": "Mottatt", "kind": "Type", "status": "Status", "name": "Navn", "company": "Firma",
    "email": "E-post", "phone": "Telefon", "message": "Melding", "article": "Artikkel", "page": "Side",
    "confirmed_at": "Bekreftet",
}
CSV_LABELS = {"kind": KIND_LABELS, "status": STATUS_LABELS}

# --- counts: bokmål takes the singular for exactly one («1 oppføring», «0 oppføringer») ----------------

PLURALS = {
    "oppføring": "oppføringer", "henvendelse": "henvendelser", "påmelding": "påmeldinger", "e-post": "e-poster",
    "dag": "dager", "e-post i utboksen": "e-poster i utboksen", "innlogging": "innlogginger",
    "talt forsøk": "talte forsøk",
}
# What each table of the store holds, as erasure and retention count it (store.erase, purge, purge_expired).
TABLE_NOUNS = {"leads": "henvendelse", "subscribers": "påmelding", "outbox": "e-post i utboksen",
               "sessions": "innlogging", "limit_hits": "talt forsøk"}


def counted(number: int, noun: str) -> str:
    """*number* and *noun* in its singular or plural (PLURALS)."""
    return f"{number} {noun if number == 1 else PLURALS[noun]}"


def listed(parts: list[str]) -> str:
    """«a», «a og b», «a, b og c»."""
    return " og ".join(filter(None, [", ".join(parts[:-1]), parts[-1] if parts else ""]))


def removed(counts: dict[str, int]) -> str:
    """Rows per table (store's names) as staff read them: «2 henvendelser, 1 påmelding og 0 e-poster i utboksen»."""
    return listed([counted(number, TABLE_NOUNS[table]) for table, number in counts.items()])


def outbox_waiting(number: int) -> str:
    return f"{counted(number, 'e-post')} venter på å bli sendt."


def retention_note(days: int) -> str:
    return f"Forespørsler slettes automatisk {counted(days, 'dag')} etter at de kom inn."


def erase_summary(counts: dict[str, int]) -> str:
    """The confirmation step's sentence: what «Slett for godt» will delete."""
    if not any(counts.values()):
        return "Vi har ingenting lagret om denne adressen. Det er ingenting å slette."
    return f"Dette slettes for godt: {removed(counts)}. Det kan ikke angres."


# --- log lines: read by staff and operators, with ids and counts, never an address, a name or a link ----

LOG_STAFF_REFUSED = "Avviste en handling på ansattsiden uten innboksens egen opprinnelse og gyldig CSRF-token"
LOG_LOGIN_FAILED = "Mislykket innlogging på ansattsiden"
LOG_ERASED = "Slettet alt om én adresse etter ønske fra en ansatt: %s"
LOG_HONEYPOT = "Fellefeltet var fylt ut i skjemaet «%s»; innsendingen er forkastet"
LOG_FOREIGN_ORIGIN = "Avviste et skjema sendt fra et annet nettsted"
LOG_HEALTH_FAILED = "Helsesjekk: databasen tok ikke imot en skriving (%s)"
LOG_OUTBOX_UNREADABLE = "Utboksen kunne ikke leses (%s); prøver igjen om litt"
LOG_MAIL_FAILED = "E-post %d ble ikke levert (forsøk %d): %s; neste forsøk %s"
LOG_RETENTION = "Oppbevaringstiden er ute: slettet %s"
LOG_RETENTION_FAILED = "Sletting etter oppbevaringstiden feilet (%s); prøver igjen om en time"
LOG_MAIL_SAVED = "E-post lagret i %s («%s»)"
LOG_MAIL_SAVED_OLD = "eldre e-post"  # the subject of a mail from before subjects were checked for the log
LOG_SESSION_PASSWORD = "Ansattsiden: %s/staff/ – passord for denne økten: %s"
LOG_LISTENING = "Tar imot skjemaer fra %s på %s"
LOG_TITLES_UNREADABLE = "Fikk ikke artikkeltitlene fra nettstedet (%s); ansattsiden viser kortnavnene til neste forsøk"


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


# Start-up: what the person who starts the inbox reads when a setting is wrong (python -m inbox exits).
START_SMTP_SECURITY = "INBOX_SMTP_SECURITY: {value} er ukjent; bruk starttls, ssl eller none"
START_ADDRESS = "{variable}: {value} er ikke en adresse det kan sendes e-post til eller fra"
START_MAIL_FROM_NAME = "INBOX_MAIL_FROM: navnet foran <adressen> har kontrolltegn eller =?"
START_HASH_INVALID = ("INBOX_STAFF_PASSWORD_HASH er ikke en hash fra `python -m inbox --hash-password`; "
                      "lag en ny med den kommandoen")
START_HASH_MISSING = ("INBOX_STAFF_PASSWORD_HASH er ikke satt. Lag en med `python -m inbox --hash-password`; "
                      "uten den starter innboksen bare på 127.0.0.1 (lokal forhåndsvisning).")
START_PROXIES = "--forwarded-allow-ips / INBOX_FORWARDED_ALLOW_IPS: {error}"


# --- Statistics (issue 19: inbox/stats.py, templates/statistikk.html) ---------------------------------

STATS_FOREIGN_ORIGIN = "Visningen kom ikke fra nettstedet og ble ikke telt."
STATS_UNSUPPORTED = "Visningen må sendes som skjemadata."
STATS_TITLE = "Statistikk"
STATS_BAD_RANGE = "Perioden er ugyldig: velg to datoer, den første ikke etter den andre, høyst {days} dager."
STATS_PERIODS = {"7": "Siste 7 dager", "30": "Siste 30 dager", "90": "Siste 90 dager"}
STATS_UNKNOWN_PAGE = "(ukjent side)"
STATS_HOME = "Forsiden"
STATS_NO_CATEGORY = "Uten kategori (andre sider)"
STATS_CSV_TABLES = {"article": "Artikkel", "category": "Kategori", "referrer": "Henvisende nettsted",
                    "campaign": "Kampanje", "day": "Dag", "total": "Totalt"}
STATS_CSV_COLUMNS = ["Tabell", "Navn", "Detalj", "Visninger", "Bookinger", "Påmeldinger nyhetsbrev",
                     "Bekreftede abonnenter", "Henvendelser", "Konvertering (%)"]


def stats_chart_description(start: str, end: str, views: int, peak: int, peak_day: str, leads: int) -> str:
    """The chart's <desc>: what a reader who cannot see it needs, the table below has the rest."""
    if not views and not leads:
        return f"Ingen visninger eller henvendelser fra {start} til {end}."
    return (f"Fra {start} til {end}: {views} visninger i alt, flest {peak} den {peak_day}; {leads} henvendelser "
            "(bookinger og påmeldinger til nyhetsbrevet). Tabellen under grafen har tallene for hver dag.")
LOG_STATS_CATALOGUE = ("Fikk ikke artikkelkatalogen (artikler.json) fra nettstedet (%s); statistikken viser "
                       "artiklene uten kategori til neste forsøk")
