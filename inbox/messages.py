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
    "møte": "møter",  # issue 20
}
# What each table of the store holds, as erasure and retention count it (store.erase, purge, purge_expired).
TABLE_NOUNS = {"leads": "henvendelse", "subscribers": "påmelding", "outbox": "e-post i utboksen",
               "sessions": "innlogging", "limit_hits": "talt forsøk", "bookings": "møte"}


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


# --- the web editor's sign-in (issue 17, inbox/oauth.py) -----------------------------------------

EDITOR_NOT_CONFIGURED = Notice(
    "Innlogging til editoren er ikke satt opp",
    "Innboksen har ingen GitHub OAuth-app ennå. Den som drifter nettstedet, setter INBOX_GITHUB_CLIENT_ID, "
    "INBOX_GITHUB_CLIENT_SECRET og INBOX_GITHUB_REPO (se README).", "site")
EDITOR_SIGN_IN_TITLE = "Innlogging til editoren"
EDITOR_SIGN_IN_DONE = "Du er logget inn. Dette vinduet lukkes av seg selv; gå tilbake til editoren."
EDITOR_SIGN_IN_STATE = ("Innloggingen kunne ikke bekreftes (den er for gammel, eller startet i en annen "
                        "nettleser). Lukk vinduet og trykk «Logg inn med GitHub» på nytt.")
EDITOR_SIGN_IN_DENIED = "Innloggingen hos GitHub ble avbrutt eller avvist. Lukk vinduet og prøv igjen."
EDITOR_SIGN_IN_NO_ACCESS = ("GitHub-kontoen din har ikke skrivetilgang til nettstedets repository. Be den som "
                            "drifter nettstedet, om å gi deg tilgang (Write), og prøv igjen.")
EDITOR_SIGN_IN_FAILED = "Vi fikk ikke kontakt med GitHub. Prøv igjen om litt."
EDITOR_SIGN_IN_PROVIDER = "Editoren kan bare logge inn med GitHub."
LOG_EDITOR_SIGNED_IN = "editor: innlogging godkjent, nøkkelen er gitt til editoren"
LOG_EDITOR_NO_TOKEN = "editor: GitHub ga ingen nøkkel for koden (%s)"
LOG_EDITOR_NO_PUSH = "editor: innlogging avvist, kontoen har ikke skrivetilgang til repositoriet"
LOG_EDITOR_GITHUB_STATUS = "editor: GitHub svarte %s"
LOG_EDITOR_GITHUB_DOWN = "editor: fikk ikke kontakt med GitHub, eller svaret var ikke JSON"
# --- booking with time slots (issue 20: inbox/booking.py, /moter/ and /staff/moter) ----------------------

BOOKING_TEXTS = {
    "slots_title": "Velg et tidspunkt",
    "slots_intro": "Gratis konsultasjon på {minutes} minutter. Alle tider er norsk tid.",
    "slots_none": "Det er ingen ledige tider de nærmeste dagene. Send oss en forespørsel, så foreslår vi et tidspunkt.",
    "slots_later": "Senere tider",
    "slots_request": "Send en forespørsel uten å velge tid",
    "form_title": "Book møtet",
    "form_chosen": "Du har valgt {when} ({minutes} minutter) med {consultant}.",
    "form_other": "Velg en annen tid",
    "choices_legend": "Ledige tider",
    "manage_title": "Møtet ditt",
    "manage_intro": "Møtet er {when} med {consultant}.",
    "manage_cancel": "Avbestill møtet",
    "manage_move_legend": "Flytt møtet til",
    "manage_move": "Flytt møtet",
    "manage_none": "Det er ingen andre ledige tider nå.",
}
BOOKING_TAKEN = "Noen andre booket denne tiden akkurat nå. Velg en av de neste ledige tidene; det du skrev er tatt vare på."
BOOKING_SLOT_GONE = "Tiden er ikke ledig lenger. Velg en av de neste ledige tidene."
BOOKING_DONE_TITLE = "Møtet er booket"
BOOKING_DUPLICATE = "Møtet er booket. Du får en bekreftelse med kalenderinvitasjon på e-post."
BOOKING_SUMMARY = "Gratis konsultasjon med Arctic Sales Development"
MEETING_BOOKED_SUBJECT = "Møtet er booket"
MEETING_MOVED_SUBJECT = "Møtet er flyttet"
MEETING_CANCELLED_SUBJECT = "Møtet er avlyst"
MEETING_STAFF_SUBJECT = "Nytt møte booket"
MEETING_STAFF_MOVED_SUBJECT = "Et møte er flyttet"
MEETING_STAFF_CANCELLED_SUBJECT = "Et møte er avlyst"
BOOKING_LINK_EXPIRED = Notice("Lenken er utløpt", "Lenken for å endre møtet er for gammel. Svar på e-posten, så "
                              "hjelper vi deg.", "site")
BOOKING_LINK_BAD = Notice("Lenken virker ikke", "Lenken er ufullstendig eller endret. Kopier hele lenken fra "
                          "e-posten.", "site")
BOOKING_LINK_USED = Notice("Lenken er brukt", "Møtet er allerede avbestilt eller flyttet, og lenken virker bare én "
                           "gang. Bruk lenken i den nyeste e-posten fra oss.", "site")
BOOKING_LINK_PAST = Notice("Møtet har begynt", "Et møte som har begynt, kan ikke endres her. Svar på e-posten, så "
                           "hjelper vi deg.", "site")
BOOKING_FOREIGN = Notice("Handlingen ble avvist", "Endre møtet fra lenken i e-posten.", "site")
BOOKING_CANCELLED = Notice("Møtet er avbestilt", "Tiden er frigitt, og du har fått en avlysning på e-post som "
                           "fjerner møtet fra kalenderen din.", "site", "Til nettstedet")
MEETING_MISSING = Notice("Fant ikke møtet", "Det kan være avbestilt eller slettet.", "staff_meetings", "Til møtene")
MEETING_NOTICES = {"avlyst": "Møtet er avlyst, og den som booket det har fått beskjed.",
                   "lagret": "Tilgjengeligheten er lagret."}
AVAILABILITY_UNREADABLE = "Innstillingene kunne ikke leses som YAML{where}. Ingenting er endret."


def booking_done(when: str, consultant: str) -> str:
    return (f"Møtet er booket {when} med {consultant}. Vi har sendt deg en bekreftelse med kalenderinvitasjon "
            "på e-post.")


def booking_moved(when: str, consultant: str) -> Notice:
    return Notice("Møtet er flyttet", f"Møtet er flyttet til {when} med {consultant}. Du har fått en ny "
                  "invitasjon på e-post.", "site", "Til nettstedet")


def booking_move_failed() -> Notice:
    return Notice("Tiden er ikke ledig", "Noen andre booket den tiden akkurat nå. Møtet ditt er ikke endret. "
                  "Åpne lenken i e-posten igjen og velg en annen tid.", "site")


def booking_description(consultant: str, article_url: str) -> str:
    """The invitation's DESCRIPTION: who, and the article it came from."""
    return f"Gratis konsultasjon med {consultant}, Arctic Sales Development." + (
        f"\nBooket fra {article_url}" if article_url else "")


LOG_BOOKING_TAKEN = "Et tidspunkt hos konsulent %s var allerede booket; den som kom sist fikk neste ledige tider"
LOG_MEETING_CANCELLED = "Møte %d avlyst av en ansatt"
LOG_FEED_FAILED = "Kalenderen for konsulent %s kunne ikke leses (%s); tidligere opptatte tider gjelder"
LOG_AVAILABILITY_BAD = "Tilgjengeligheten i innstillingsfilen er feil: %s"
START_AVAILABILITY = "--availability / INBOX_AVAILABILITY: {error}"
# --- the newsletter (issue 18: inbox/newsletter.py, letters.py, newsletter_mail.py) ----------------

WELCOME_SUBJECT = "Velkommen til nyhetsbrevet fra Arctic Sales Development"
NEWSLETTER_TEST_SUBJECT = "[Test] {subject}"
NEWSLETTER_MISSING = Notice("Fant ikke utgaven", "Den finnes ikke.", "letters", "Til nyhetsbrevet")
NEWSLETTER_BAD_SUBJECT = "Skriv et emne på én linje, høyst 150 tegn, uten kontrolltegn eller «=?»."
NEWSLETTER_NO_ARTICLES = "Velg minst én artikkel."
NEWSLETTER_LONG_INTRO = "Innledningen kan være høyst 5000 tegn."
NEWSLETTER_NOTICES = {
    "test-sendt": "Testen er lagt i utboksen og sendes til deg om et øyeblikk.",
    "ugyldig-adresse": "Skriv inn en gyldig e-postadresse for testen.",
    "bekreft": "Kryss av for at du har sett på testen før du sender til alle.",
    "i-ko": "Utgaven er lagt i kø for alle bekreftede abonnenter og sendes nå.",
    "allerede-sendt": "Utgaven er allerede sendt eller under utsending; ingen får den to ganger.",
    "sammendrag-lagret": "Innstillingene for det månedlige sammendraget er lagret.",
    "ugyldig-dag": "Velg en dag mellom 1 og 28.",
}
MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember"]
TABLE_NOUNS.update({"newsletter_sends": "utsending av nyhetsbrev", "newsletter_welcomes": "velkomst-e-post"})
PLURALS.update({"utsending av nyhetsbrev": "utsendinger av nyhetsbrev", "velkomst-e-post": "velkomst-e-poster",
                "abonnent": "abonnenter", "utgave": "utgaver"})
LOG_NEWSLETTER_FEED = "Fikk ikke lest artiklene fra nettstedets JSON-feed (%s)"
LOG_NEWSLETTER_PUMP = "Utsendingen av nyhetsbrev stoppet en runde (%s); prøver igjen om litt"
LOG_NEWSLETTER_QUEUED = "Nyhetsbrev %d lagt i kø for %d abonnenter"
LOG_NEWSLETTER_DIGEST = "Månedlig sammendrag: utgave %d med %d artikler lagt i kø"
LOG_NEWSLETTER_FINISHED = "Nyhetsbrev %d er ferdig sendt"
LOG_NEWSLETTER_GAVE_UP = "Ga opp %d e-poster med nyhetsbrev etter mange mislykkede forsøk"
LOG_MAIL_IN_DOUBT = ("E-post %d: forbindelsen brøt etter at hele e-posten var overlevert; den regnes som sendt "
                     "og sendes ikke på nytt")


def digest_subject(moment: object) -> str:
    """«Nytt fra Arctic Sales Development – desember 2026»."""
    return f"Nytt fra Arctic Sales Development – {MONTHS[moment.month - 1]} {moment.year}"  # type: ignore[attr-defined]


def month_name(month: str) -> str:
    """«2026-11» as «november 2026»."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"
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
