"""Every message staff read from the build, the preview, ``make check``, ``make new`` and ``make schema``.

Norwegian bokmål, in one table, so a later English edition is one more
table. Keys name where a message is used; values are ``str.format``
templates. A message says what is wrong and what to do; the file, the line
and the field come from :class:`hub.frontmatter.Problem`.
"""

from __future__ import annotations

import re

TEXTS: dict[str, str] = {
    # Reading files
    "read.not_utf8": "filen er ikke UTF-8-tekst; lagre den på nytt som UTF-8 i redigeringsprogrammet",
    "read.empty": "filen er tom; den trenger front matter mellom to linjer med '---', og en tekst",
    "read.no_front_matter": "mangler front matter; begynn filen med '---', nøklene title, description og date, "
                            "og en ny '---'",
    "read.not_yaml": "{what} er ikke gyldig YAML; sjekk innrykk og anførselstegn på denne linjen eller linjen over, "
                     "og sett verdier som inneholder ':' i anførselstegn",
    "read.not_mapping": "{what} må bestå av linjer med «nøkkel: verdi»",
    "read.not_a_real_date": "{value} er ikke en dato som finnes; skriv den som ÅÅÅÅ-MM-DD med måned 01–12 og en dag "
                            "måneden har, for eksempel 2025-03-14",
    "what.front_matter": "front matter",
    "what.file": "filen",
    # Checks of one value
    "check.text": "må være en tekst som ikke er tom; sett den i anførselstegn hvis den begynner med et spesialtegn",
    "check.too_long": "er {length} tegn, grensen er {limit}",
    "check.date_unknown_key": "har den ukjente nøkkelen {key}; bruk 'created' og eventuelt 'updated'",
    "check.date_no_created": "mangler 'created', publiseringsdatoen, for eksempel {{created: 2025-03-14}}",
    "check.date_updated": "updated: {problem}",
    "check.date_is_text": "{value} er tekst, ikke en dato; fjern eventuelle anførselstegn, og skriv klokkeslett med "
                          "sekunder, for eksempel 2025-03-14 eller 2025-03-14 08:30:00",
    "check.not_a_date": "{value} er ikke en dato; skriv den som ÅÅÅÅ-MM-DD, for eksempel 2025-03-14",
    "check.slug": "{value} er ikke en slug: bruk små bokstaver a–z, tall og enkle bindestreker{hint}",
    "check.slug_hint": "; for eksempel {example}",
    "check.list_is_text": "er en tekst, ikke en liste; skriv [{value}], eller én linje med '- …' for hver",
    "check.list_of": "må være en liste med {what}, for eksempel [{example}]",
    "check.not_allowed": "{item} er ikke tillatt her; velg blant: {choices}",
    "check.twice": "har samme verdi to ganger",
    "check.bool": "{value} må være true eller false",
    "check.image": "må være stien til et bilde, for eksempel bilder/forside.jpg",
    "check.old_slugs": "må være en liste med gamle slugs, for eksempel [gammel-adresse]",
    "check.related_twice": "har samme artikkel to ganger",
    "check.related": "må være false (ingen liknende artikler) eller en liste med slugs eller filnavn, for eksempel "
                     "[motebooking-pa-telefon]",
    "check.readtime": "{value} må være et helt antall minutter, fra 1 til 600",
    "check.template": "{value} må være filnavnet til en mal i overrides/, for eksempel article.html",
    "check.hide": "må være en liste over det som skal skjules, blant: {choices}",
    "check.search": "må ha boost (et tall) og/eller exclude (true eller false)",
    "check.search_boost": "boost {value} må være et tall over 0 og høyst 100",
    "check.search_exclude": "exclude må være true eller false",
    "check.cta": "må være false, true, eller booking og newsletter med true, false eller heading og pitch",
    "check.cta_block": "{name} er ikke en kjent blokk; bruk booking og newsletter",
    "check.cta_setting": "{name}: må være true, false, eller heading og pitch",
    "check.cta_text_key": "{name}.{key}: er ukjent; bruk heading og pitch",
    "check.cta_text": "{name}.{key}: må være en tekst som ikke er tom",
    "check.missing": "mangler; legg til en linje '{name}: …' i front matter",
    "check.unknown_key": "er ikke en kjent nøkkel i front matter og blir ikke brukt{hint}",
    "check.unknown_key_hint": "; mente du '{close}'?",
    # Placeholders left from `make new`
    "placeholder.value": "er fortsatt eksempelteksten fra make new; bytt den ut, eller behold 'draft: true' til "
                         "artikkelen er klar",
    "placeholder.line": "{line} er fortsatt eksempelteksten fra make new; bytt den ut, eller behold 'draft: true' "
                        "til artikkelen er klar",
    "placeholder.empty": "er tom; skriv minst én, eller behold 'draft: true' til artikkelen er klar",
    # Across articles
    "site.duplicate_slug": "{slug} brukes allerede av {other}; gi en av dem en annen slug",
    "site.redirect_is_live": "{old} er slugen til {other}; en gammel adresse kan ikke samtidig være i bruk",
    "site.redirect_twice": "{old} videresendes allerede til {other}; ha den i bare én artikkel",
    "site.type_clash": "har en annen type enn i {other} (linje {line}), så de kan ikke slås sammen; bruk samme slags "
                       "verdi begge steder",
    "site.unknown_pin": "{pin} er ikke en artikkel; bruk slugen eller filnavnet til en, for eksempel "
                        "motebooking-pa-telefon",
    "site.unpublished_pin": "{pin} er ikke en publisert artikkel; bruk slugen eller filnavnet til en som er "
                            "publisert, for eksempel motebooking-pa-telefon",
    "site.redirect_taken": "{old} er adressen til en annen side ({url}); velg slugen artikkelen faktisk hadde før",
    "site.image_missing": "{image} er ikke en fil ved siden av artikkelen; legg bildet i {folder}/ eller rett stien",
    # Authors
    "authors.not_mapping": "må knytte hver forfatter-id til name, description og avatar",
    "authors.entry": "må ha name, description og avatar på innrykkede linjer under seg, ikke {value}",
    "authors.missing": "mangler; hver forfatter trenger et navn (name), en rolle (description) og et bilde (avatar)",
    # The build
    "build.problems": "{count} feil i artiklene:",
    "build.fix": "Rett linjene over og lagre; forhåndsvisningen bygger seg selv på nytt.",
    # Settings in mkdocs.yml
    "settings.related": "må ha nøklene count, min_score og weights",
    "settings.range": "{value} er utenfor området; bruk {low} til {high}",
    "settings.text_weight": "må være over 0, ellers kan artikler uten emneord aldri få lenker",
    "settings.type": "må være {expected}, ikke {received}",
    "settings.required": "mangler",
    "settings.unknown": "er ikke en kjent innstilling og blir ikke brukt; sjekk stavemåten",
    "settings.text": "må være en tekst som ikke er tom",
    "settings.bool": "{value} må være true eller false",
    "settings.double_opt_in": "innboksen ber alltid nye abonnenter bekrefte på e-post; fjern innstillingen eller "
                              "sett den til true",
    "settings.mailchimp": "må være skjemaadressen (form action) fra Mailchimps innebygde skjema: "
                          "https://<dc>.list-manage.com/subscribe/post?u=…&id=…",
    "settings.url_shape": "må se ut som {example}",
    "settings.url_missing": "mangler; skriv hele https://-adressen",
    "settings.url_scheme": "{url} bruker {scheme}:, som aldri er tillatt; skriv en https://-adresse",
    "settings.url_not_https": "{url} er ikke en https://-adresse (http:// er bare tillatt for localhost, 127.0.0.1 "
                              "og ::1, under utvikling)",
    "settings.url_credentials": "{url} kan ikke inneholde brukernavn eller passord",
    "settings.url_host": "{url}: vertsnavnet {host} hører ikke til {provider}; bruk {wanted}",
    "settings.provider": "{value} er ikke en kjent leverandør; velg en av: {choices}",
    "settings.inbox_has_no_url": "brukes ikke med provider inbox: adressen kommer fra extra.inbox",
    "settings.inbox_missing": "mangler; {block}.provider inbox trenger innboksens adresse, for eksempel "
                              "inbox: http://127.0.0.1:8001",
    "settings.consent_missing": "mangler; en innebygd bookingkalender trenger et samtykkevalg med et norsk navn og "
                                "checked: false",
    "settings.consent_checked": "må være false, så bookingkalenderen aldri er forhåndsvalgt",
    # `make check`
    "check.alt_missing": "{image} har ingen alt-tekst; beskriv bildet inni ![…]",
    "check.img_alt_missing": "en <img> har ingen alt-tekst; legg til alt=\"…\"",
    "check.image_heavy": "{image} er {size} KB, over grensen på {limit} KB; lagre det mindre, for eksempel som JPEG "
                         "med kvalitet 80, så bygget går raskere og originalen lastes fortere",
    "check.image_wide": "{image} er {width} px bredt, over grensen på {limit} px; skaler det ned til høyst "
                        "{limit} px, bredere vises det aldri",
    "check.heading_jump": "hopper fra nivå {previous} til {level}; bruk {hashes}",
    "check.broken_link": "{target} fører ikke til en fil i {docs}/; lenk til .md-filen, for eksempel ../index.md",
    "check.long_title": "er {length} tegn; hold den under {limit} så den får plass i søkeresultater",
    "check.unpinned_slug": "er ikke festet, så adressen endres med tittelen; legg til 'slug: {slug}'",
    "check.lone_tag": "{tag} brukes ikke av noen annen artikkel; bruk et emneord som finnes, eller fjern det",
    "check.error": "feil: {problem}",
    "check.warning": "advarsel: {problem}",
    "check.summary": "{articles}, {errors}, {warnings}",
    # `make new`
    "new.empty_title": 'tittelen er tom; skriv make new TITLE="Tittel på artikkelen"',
    "new.exists": "{path} finnes allerede; velg en annen tittel, eller rediger den filen",
    "new.slug_taken": "slugen {slug} brukes allerede av {owner}; velg en annen tittel",
    "new.created": "Laget {path} (kladd).",
    "new.preview": "Se den med «make serve» på {url}",
    "new.refused": "Ikke laget: {reason}",
    # `make schema`
    "schema.written": "Skrev {path}",
    # The web editor at /admin/ (hooks/admin.py, issue 17)
    "editor.no_bundle": "Decap CMS mangler i {folder}; kjør make serve eller make build, som installerer den "
                        "(npm, fast versjon), eller sett HUB_EDITOR=off for å bygge uten editoren",
    "editor.no_repo": "extra.editor.repo er tom; sett HUB_EDITOR_REPO=eier/navn (GitHub-repositoriet editoren "
                      "skriver til), eller HUB_EDITOR=off for å bygge uten editoren",
    "editor.bad_repo": "extra.editor.repo: {value} er ikke eier/navn på et GitHub-repository",
    "editor.bad_branch": "extra.editor.branch: {value} er ikke et gyldig navn på en gren",
    # Any command
    "error": "feil: {message}",
}

# Nouns whose plural the summaries need: (one, many).
NOUNS: dict[str, tuple[str, str]] = {
    "article": ("artikkel", "artikler"),
    "error": ("feil", "feil"),
    "warning": ("advarsel", "advarsler"),
}


def say(message: str, /, **values: object) -> str:
    """The message named *message*, filled in."""
    return TEXTS[message].format(**values)


def count(number: int, noun: str) -> str:
    """``1 artikkel``, ``2 artikler``."""
    one, many = NOUNS[noun]
    return f"{number} {one if number == 1 else many}"


# MkDocs' own wording for a wrong setting (mkdocs.config.config_options), in Norwegian.
_TYPE_NAMES = {"int": "et heltall", "float": "et tall", "str": "tekst", "bool": "true eller false",
               "dict": "innrykkede linjer med «nøkkel: verdi»", "list": "en liste", "NoneType": "tom"}
_EXPECTED = re.compile(r"Expected type: (?P<expected>.+?) but received: (?P<received>.+)$")
_CLASS = re.compile(r"<class '(\w+)'>")


def _type_names(text: str) -> str:
    names = [_TYPE_NAMES.get(name, name) for name in _CLASS.findall(text)]
    return "et tall" if set(names) == {"et heltall", "et tall"} else " eller ".join(dict.fromkeys(names))


def config_error(error: object) -> str:
    """A validation error from MkDocs' Config classes, said in Norwegian when we know its wording."""
    text = str(error)
    if match := _EXPECTED.match(text):
        return say("settings.type", expected=_type_names(match["expected"]), received=_type_names(match["received"]))
    if text.startswith("Required configuration not provided"):
        return say("settings.required")
    return text


def config_warning(warning: object) -> str:
    """A validation warning from MkDocs' Config classes (an unknown key), in Norwegian."""
    text = str(warning)
    if text.startswith("Unrecognised configuration name"):
        return say("settings.unknown")
    return config_error(text)
