"""Unit tests for the inbox's pure parts: validation, tokens, password hashes, the rate limiter, CSV cells."""

from __future__ import annotations

import datetime as dt

import pytest

from inbox import export, tokens, validation
from inbox.limits import Proxies, parse_networks
from inbox.mail import confirmation, retry_delay
from support import plain, read_csv

SECRET = b"k" * 32


@pytest.mark.parametrize("address", ["kari@nordlys.no", "kari.nordmann+salg@nordlys.co.uk", "o'brien@firma.no",
                                     "ola@bjørnøy.no", "a@b.io"])
def test_valid_addresses(address: str) -> None:
    assert validation.valid_email(address)


@pytest.mark.parametrize("address", ["", "kari", "kari@", "@nordlys.no", "kari@nordlys", "kari@@nordlys.no",
                                     "kari nordmann@nordlys.no", "kari@nordlys..no", ".kari@nordlys.no",
                                     "kari.@nordlys.no", "ka..ri@nordlys.no", "kari@-nordlys.no", "kari@nordlys.n0",
                                     "<kari>@nordlys.no", "k" * 65 + "@nordlys.no", "k@" + "n" * 250 + ".no"])
def test_invalid_addresses(address: str) -> None:
    assert not validation.valid_email(address)


def test_clean_drops_control_and_direction_characters_and_normalises() -> None:
    assert validation.clean("  Kari\t\u202eNordmann\x00  ") == "Kari Nordmann"
    assert validation.clean("Bjo\u0308rn") == "Björn"  # NFC
    assert validation.clean("a\r\n\r\n\r\n\r\nb  \n c", multiline=True) == "a\n\nb\n c"


def test_validate_returns_clean_values_and_no_errors_for_a_good_form() -> None:
    raw = {"name": ["  Kari  Nordmann "], "email": ["Kari@Nordlys.NO"], "consent": ["ja"], "website": [""],
           "article": ["Coaching-I-Praksis"], "page": ["artikler/coaching-i-praksis/"], "form_token": ["abc-123_XYZ"]}
    submission = validation.validate(validation.BOOKING, raw)
    assert submission.ok and not submission.trapped
    assert submission.values == {"name": "Kari Nordmann", "company": "", "email": "kari@nordlys.no", "phone": "",
                                 "message": "", "article": "coaching-i-praksis", "page": "artikler/coaching-i-praksis/",
                                 "form_token": "abc-123_XYZ", "slot": ""}


@pytest.mark.parametrize(("field", "value", "kept"), [
    ("article", "../../etc/passwd", ""), ("page", "//evil.example/", ""), ("page", "../x/", ""),
    ("page", "https://evil.example/", ""), ("form_token", "short", ""), ("form_token", "x" * 101, ""),
    ("form_token", "<script>", ""), ("article", "ok-slug", "ok-slug"), ("page", "", ""),
])
def test_hidden_fields_are_kept_only_when_well_formed(field: str, value: str, kept: str) -> None:
    raw = {"name": ["K"], "email": ["k@n.no"], "consent": ["ja"], field: [value]}
    assert validation.validate(validation.BOOKING, raw).values[field] == kept


def test_a_filled_honeypot_marks_the_submission_and_hides_errors() -> None:
    submission = validation.validate(validation.NEWSLETTER, {"website": ["http://spam"], "email": ["nope"]})
    assert submission.trapped and submission.ok


def test_form_token_is_the_forms_own_or_derived_from_content_and_hour() -> None:
    own = validation.validate(validation.NEWSLETTER, {"email": ["a@b.no"], "consent": ["ja"],
                                                     "form_token": ["token-123"]})
    assert validation.form_token(own, "2026112710") == "token-123"
    plain = validation.validate(validation.NEWSLETTER, {"email": ["a@b.no"], "consent": ["ja"]})
    other = validation.validate(validation.NEWSLETTER, {"email": ["c@b.no"], "consent": ["ja"]})
    first = validation.form_token(plain, "2026112710")
    assert first.startswith("auto-") and first == validation.form_token(plain, "2026112710")
    assert first != validation.form_token(plain, "2026112711") != validation.form_token(other, "2026112711")


def test_tokens_round_trip_and_reject_tampering_purpose_and_age() -> None:
    signer = tokens.Signer(SECRET)
    token = signer.sign("confirm", "kari@nordlys.no", now=1_000_000)
    assert signer.verify("confirm", token, max_age=60, now=1_000_030) == "kari@nordlys.no"
    with pytest.raises(tokens.ExpiredToken):
        signer.verify("confirm", token, max_age=60, now=1_000_061)
    with pytest.raises(tokens.BadToken):
        signer.verify("unsubscribe", token, max_age=None)
    payload, stamp, mac = token.split(".")
    with pytest.raises(tokens.BadToken):
        signer.verify("confirm", f"{payload}.{int(stamp) + 1000}.{mac}", max_age=60, now=1_000_030)
    with pytest.raises(tokens.BadToken):
        tokens.Signer(b"o" * 32).verify("confirm", token, max_age=None)
    for broken in ("", "a.b", "a.b.c.d", "a.notanumber.c"):
        with pytest.raises(tokens.BadToken):
            signer.verify("confirm", broken, max_age=None)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        tokens.Signer(b"short")


def test_password_hashes_check_and_are_salted() -> None:
    first, second = tokens.hash_password("hemmelig passord"), tokens.hash_password("hemmelig passord")
    assert first != second and tokens.valid_password_hash(first)
    assert tokens.check_password("hemmelig passord", first) and tokens.check_password("hemmelig passord", second)
    assert not tokens.check_password("Hemmelig passord", first)
    assert not tokens.check_password("x", "not-a-hash") and not tokens.check_password("x", "bcrypt$1$2$3$4$5")


PROXIES = Proxies(parse_networks(["10.0.0.0/8", "::1", "192.168.1.7"]))


@pytest.mark.parametrize(("peer", "forwarded", "client"), [
    ("203.0.113.9", ["1.1.1.1"], "203.0.113.9"),                     # not a proxy: its header is ignored
    ("10.0.0.2", ["203.0.113.9"], "203.0.113.9"),                    # one trusted proxy
    ("10.0.0.2", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),           # the client's own claim on the left is ignored
    ("10.0.0.2", ["6.6.6.6, 203.0.113.9, 10.1.1.1"], "203.0.113.9"),  # two proxies in a chain
    ("10.0.0.2", ["6.6.6.6", "203.0.113.9"], "203.0.113.9"),         # every header line counts, the last one last
    ("10.0.0.2", ["203.0.113.9:4711"], "203.0.113.9"),               # a port is not part of the address
    ("10.0.0.2", ["[2001:db8::5]:443"], "2001:db8::5"),
    ("::1", ["2001:db8::5, ::1"], "2001:db8::5"),
    ("10.0.0.2", ["6.6.6.6, nonsense"], "10.0.0.2"),                 # garbage where a proxy writes: stop at the proxy
    ("10.0.0.2", ["10.0.0.3, 10.0.0.4"], "10.0.0.3"),                # all hops trusted: the left-most
    ("10.0.0.2", [], "10.0.0.2"),
    ("192.168.1.8", ["1.1.1.1"], "192.168.1.8"),                     # a neighbour of a trusted single address
])
def test_the_client_is_the_right_most_untrusted_hop(peer: str, forwarded: list[str], client: str) -> None:
    assert PROXIES.client(peer, forwarded) == client


def test_no_trusted_proxies_means_the_header_is_never_read() -> None:
    assert Proxies().client("203.0.113.9", ["1.1.1.1"]) == "203.0.113.9"
    assert Proxies().client("127.0.0.1", ["1.1.1.1"]) == "127.0.0.1"


def test_a_bad_proxy_address_is_named() -> None:
    with pytest.raises(ValueError, match="'10.0.0.0/33' er ikke en IP-adresse"):
        parse_networks(["10.0.0.1", " 10.0.0.0/33 "])


@pytest.mark.parametrize("given", ["æøå", "\u2603", "\ud800", "x" * 43, "", "ÿ"])
def test_comparing_request_text_never_raises(given: str) -> None:
    assert not tokens.same(given, "abc")
    assert tokens.same(given, given)


@pytest.mark.parametrize(("value", "cell"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+47 912", "'+47 912"), ("-1", "'-1"), ("@x", "'@x"), ("Kari", "Kari"),
    (None, ""), (dt.datetime(2026, 11, 27, 10, 5, 3), "2026-11-27T11:05:03+01:00"),
])
def test_csv_cells_never_become_formulas(value, cell: str) -> None:
    assert export.cell(value) == cell


def test_retry_delay_grows_to_six_hours() -> None:
    assert [retry_delay(n).total_seconds() / 60 for n in (0, 1, 2, 10, 20)] == [1, 2, 4, 360, 360]


def test_composed_mail_is_utf8_with_unsubscribe_headers() -> None:
    text = confirmation("Arctic Sales <post@arcticsales.no>", "ola@fjord.no",
                        now=dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc), confirm_url="http://inbox/c?token=y",
                        unsubscribe_url="http://inbox/u?token=x", hours=72)
    assert "List-Unsubscribe: <http://inbox/u?token=x>" in text
    assert "Subject: Bekreft =?utf-8?q?p=C3=A5meldingen?= til nyhetsbrevet" in text  # æøå encoded for every server
    assert text.isascii()


@pytest.mark.parametrize(("typed", "normalised"), [
    ("Kari@Nordlys.NO", "kari@nordlys.no"),
    ("  OLA@Bücher.no ", "ola@bücher.no"),
    ("ola@BU\u0308CHER.no", "ola@bücher.no"),          # decomposed ü, NFC first
    ("ola@xn--bcher-kva.no", "ola@bücher.no"),         # the A-label comes back readable
    ("ola@XN--BCHER-KVA.NO", "ola@bücher.no"),
    ("kari@ÆRLIG.no", "kari@ærlig.no"),
    ("kari@ｎｏｒｄｌｙｓ。ｎｏ", "kari@nordlys.no"),        # fullwidth letters and dot (UTS 46)
    ("ola@straße.de", "ola@straße.de"),                # not folded to strasse (IDNA 2008)
    ("kari@xn--zz.no", "kari@xn--zz.no"),              # not IDNA: only lowercased, refused below
    ("ikke en adresse", "ikke en adresse"),
])
def test_normalise_email_gives_one_spelling_per_mailbox(typed: str, normalised: str) -> None:
    assert validation.normalise_email(typed) == normalised


@pytest.mark.parametrize(("address", "error", "wire"), [
    ("ola@bücher.no", "", "ola@xn--bcher-kva.no"),
    ("kari@ærlig.no", "", "kari@xn--rlig-uoa.no"),
    ("x@пример.рф", "", "x@xn--e1afmkfd.xn--p1ai"),
    ("ola/salg@fjord.no", "", "ola/salg@fjord.no"),
    ("kari@xn--zz.no", validation.DOMAIN_ERROR, None),
    ("kari@ab--cd.no", validation.DOMAIN_ERROR, None),
    ("kari@nord_lys.no", validation.DOMAIN_ERROR, None),
    ("kari@\u05d0a.no", validation.DOMAIN_ERROR, None),
    ("kari@" + "ø" * 60 + ".no", validation.DOMAIN_ERROR, None),
    # 227 characters, 299 once encoded:
    ("k" * 64 + "@" + ".".join(["æøåäöüæøåäöüæøåäöüa"] * 8) + ".no", validation.EMAIL_ERROR, None),
    ("øyvind@fjord.no", validation.LOCAL_PART_ERROR, None),
    ("=?utf-8?q?x?=@fjord.no", validation.EMAIL_ERROR, None),
    ("kari=?@fjord.no", validation.EMAIL_ERROR, None),
    ("kari@nordlys", validation.EMAIL_ERROR, None),
])
def test_email_error_and_the_idna_form_for_headers(address: str, error: str, wire: str | None) -> None:
    assert validation.email_error(address) == error
    if wire is None:
        with pytest.raises(ValueError):
            validation.ascii_email(address)
    else:
        assert validation.ascii_email(address) == wire


# Cells that would start a formula somewhere, however a reader splits the line.
CSV_PAYLOADS = ["Ola;=1+1", "Ola,=1+1", 'x"; =1+1', "a\n=1+1", "a\r\n@SUM(A1)", "\t=1", " =1", "\u3000=1",
                "\uff1d1+1", "a;\uff0b1", "=cmd|' /C calc'!A0", "-2+3", "+47 912 34 567", "a\t-2", '"=1"',
                'a,"@x"', "x;;;=1", "ok, - punkt", "\r=1", "\n", "=", "Kari Nordmann"]
FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


@pytest.mark.parametrize("payload", CSV_PAYLOADS)
def test_no_csv_piece_starts_a_formula_however_the_line_is_split(payload: str) -> None:
    decoded = export.csv_bytes(["message"], [{"message": payload}]).decode("utf-8-sig")
    for separator in (";", ",", "\n", "\r", "\t", '"'):
        for piece in decoded.split(separator):
            assert not piece.strip().strip('"').strip().startswith(FORMULA_START), (separator, piece)


@pytest.mark.parametrize("payload", CSV_PAYLOADS)
def test_csv_values_round_trip_in_excels_dialect(payload: str) -> None:
    data = export.csv_bytes(["name", "message"], [{"name": "Kari", "message": payload}])
    [row] = read_csv(data)
    assert row["Navn"] == "Kari" and plain(row["Melding"]) == payload


def test_csv_file_format_for_norwegian_excel() -> None:
    oslo = dt.timezone(dt.timedelta(hours=1))
    rows = [{"created_at": dt.datetime(2026, 11, 27, 11, 5, tzinfo=oslo), "kind": "booking", "name": "Åse Ø",
             "email": "ola@bücher.no", "phone": None},
            {"created_at": dt.datetime(2026, 11, 27, 10, 6), "kind": "newsletter", "extra": 1}]  # SQLite: naive UTC
    data = export.csv_bytes(["created_at", "kind", "name", "email", "phone", "extra"], rows)
    assert data == ('\ufeff"Mottatt";"Type";"Navn";"E-post";"Telefon";"extra"\r\n'
                    '"2026-11-27T11:05:00+01:00";"Møte";"Åse Ø";"ola@bücher.no";"";""\r\n'
                    '"2026-11-27T11:06:00+01:00";"Nyhetsbrev";"";"";"";"1"\r\n').encode("utf-8")
