"""Hostile input against the lead inbox: injection, oversized bodies, forged origins, no login, CSRF.

Runs on SQLite and on PostgreSQL, like test_inbox.py.
"""

from __future__ import annotations

import re

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from inbox import store
from support import BOOKING, INBOX, JSON, PASSWORD, SIGNUP, SITE_ORIGIN, log_in, plain, read_csv, staff_rows

HOSTILE = [
    "Robert'); DROP TABLE leads;--",
    "' OR '1'='1",
    "1; DELETE FROM subscribers WHERE 1=1",
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% raw %}",
    "\u202eevil\u202c",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_injection_in_every_booking_field_is_stored_as_text_and_shown_escaped(inbox, payload: str) -> None:
    fields = {"name": payload, "company": payload, "message": payload, "article": payload, "page": payload}
    response = inbox.post("/booking", data={**BOOKING, **fields})
    assert response.status_code == 303
    assert inbox.post("/newsletter", data={**SIGNUP, "article": payload, "page": payload}).status_code == 303
    [signup, lead] = store.list_leads(inbox.inbox.engine)
    expected = payload.replace("\u202e", "").replace("\u202c", "")  # direction overrides are dropped
    assert (lead["name"], lead["company"], lead["message"]) == (expected, expected, expected)
    slug = expected if re.fullmatch(r"[a-z0-9-]+", expected) else ""
    assert lead["article"] == slug and lead["page"] == ""  # not a slug or a path: dropped, not trusted
    log_in(inbox)
    html = inbox.get("/staff/").text
    assert "<script>alert" not in html and "<img src=x" not in html
    page = HTMLParser(html)
    assert not page.css("img") and len(page.css("script")) == 0
    [_, row] = staff_rows(inbox)
    assert row["message"] == expected and row["contact"].startswith(" ".join(expected.split()))
    exported = read_csv(inbox.get("/staff/henvendelser.csv").content)
    assert plain(exported[1]["Navn"]) == expected
    assert store.count_leads(inbox.inbox.engine) == 2  # the tables are all still there


def test_injection_in_the_email_field_is_refused(inbox) -> None:
    for payload in ("x@y.no' OR '1'='1", "<script>@x.no", "a@b.no\r\nBcc: alle@x.no"):
        response = inbox.post("/newsletter", data={**SIGNUP, "email": payload}, headers=JSON)
        assert response.status_code == 422 and set(response.json()["errors"]) == {"email"}, payload
    assert store.count_leads(inbox.inbox.engine) == 0


def test_oversized_bodies_are_refused_before_they_are_read(inbox) -> None:
    huge = {**BOOKING, "message": "x" * 20_000}
    assert inbox.post("/booking", data=huge).status_code == 413
    assert inbox.post("/booking", data=huge, headers=JSON).json()["message"].startswith("Skjemaet er for stort")

    def chunks():  # no Content-Length: the limit holds while streaming
        for _ in range(40):
            yield b"message=" + b"x" * 1000 + b"&"
    streamed = inbox.post("/booking", content=chunks(),
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    assert store.count_leads(inbox.inbox.engine) == 0


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:8000.evil.example", ""])
def test_a_post_from_another_origin_is_refused(inbox, origin: str) -> None:
    response = inbox.post("/booking", data=BOOKING, headers={"origin": origin, **JSON})
    assert response.status_code == 403
    assert response.json()["message"] == "Skjemaet må sendes fra nettstedet vårt."
    assert "access-control-allow-origin" not in response.headers
    assert store.count_leads(inbox.inbox.engine) == 0


def test_a_referer_from_the_site_stands_in_for_a_missing_origin(inbox) -> None:
    client_headers = {"origin": "", "referer": SITE_ORIGIN + "/artikler/coaching-i-praksis/"}
    # httpx sends an empty header as given; drop it so only the Referer is there.
    inbox.headers.pop("origin")
    assert inbox.post("/booking", data=BOOKING, headers={"referer": client_headers["referer"]}).status_code == 303
    assert inbox.post("/booking", data={**BOOKING, "form_token": "tok-2-booking"}).status_code == 403


@pytest.mark.parametrize("form", ["booking", "newsletter"])
def test_missing_consent_is_refused(inbox, form: str) -> None:
    data = {**(BOOKING if form == "booking" else SIGNUP)}
    del data["consent"]
    response = inbox.post(f"/{form}", data=data, headers=JSON)
    assert response.status_code == 422 and list(response.json()["errors"]) == ["consent"]
    assert store.count_leads(inbox.inbox.engine) == 0


def test_other_content_types_are_refused(inbox) -> None:
    response = inbox.post("/booking", json=BOOKING)
    assert response.status_code == 415


def test_rate_limit_per_client(make_inbox) -> None:
    client = make_inbox(rate_limit=3)
    answers = [client.post("/booking", data={**BOOKING, "form_token": f"tok-rate-{n:04d}"}).status_code
               for n in range(5)]
    assert answers == [303, 303, 303, 429, 429]
    limited = client.post("/booking", data=BOOKING, headers=JSON)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"
    assert store.count_leads(client.inbox.engine) == 3


@pytest.mark.parametrize("path", ["/staff/", "/staff/henvendelser.csv", "/staff/abonnenter.csv"])
def test_staff_pages_without_login_redirect_to_login(inbox, path: str) -> None:
    inbox.post("/booking", data=BOOKING)
    response = inbox.get(path)
    assert response.status_code == 303 and response.headers["location"] == f"{INBOX}/staff/login"
    assert "kari@nordlys.no" not in response.text


@pytest.mark.parametrize(("path", "data"), [
    ("/staff/leads/1/status", {"status": "avsluttet"}),
    ("/staff/erase", {"email": "kari@nordlys.no", "bekreft": "ja"}),
    ("/staff/logout", {}),
])
def test_staff_actions_without_login_answer_401(inbox, path: str, data: dict) -> None:
    inbox.post("/booking", data=BOOKING)
    response = inbox.post(path, data=data, headers={"origin": INBOX})
    assert response.status_code == 401
    [lead] = store.list_leads(inbox.inbox.engine)
    assert lead["status"] == "ny"


def test_a_forged_session_cookie_is_not_a_login(inbox) -> None:
    inbox.cookies.set("inbox_staff", "YWRtaW4.9999999999.forged", path="/staff")
    assert inbox.get("/staff/").status_code == 303
    other = inbox.inbox.signer.sign("unsubscribe", "x")  # genuine, but for another purpose
    inbox.cookies.set("inbox_staff", other, path="/staff")
    assert inbox.get("/staff/").status_code == 303


@pytest.mark.parametrize(("csrf", "origin"), [
    (None, INBOX),                 # no token
    ("wrong", INBOX),              # a made-up token
    ("other-session", INBOX),      # a real token of another session
    ("valid", "https://evil.example"),  # the right token, posted from another site
])
def test_a_cross_site_request_forgery_on_a_staff_action_is_refused(make_inbox, csrf: str | None, origin: str) -> None:
    client = make_inbox()
    client.post("/booking", data=BOOKING)
    [lead] = store.list_leads(client.inbox.engine)
    other = log_in(client)
    valid = log_in(client)  # a new login: a new session
    token = {"valid": valid, "wrong": "wrong", "other-session": other, None: None}[csrf]
    data = {"status": "avsluttet", **({"csrf": token} if token else {})}
    response = client.post(f"/staff/leads/{lead['id']}/status", data=data, headers={"origin": origin})
    assert response.status_code == 403
    erase = client.post("/staff/erase", headers={"origin": origin},
                        data={"email": "kari@nordlys.no", "bekreft": "ja", **({"csrf": token} if token else {})})
    assert erase.status_code == 403
    [lead] = store.list_leads(client.inbox.engine)
    assert lead["status"] == "ny"


def test_wrong_password_and_too_many_attempts(make_inbox) -> None:
    client = make_inbox(rate_limit=10)
    answers = [client.post("/staff/login", data={"password": "gjetning"}, headers={"origin": INBOX}).status_code
               for _ in range(6)]
    assert answers == [401] * 5 + [429]
    assert "inbox_staff" not in client.cookies
    assert client.post("/staff/login", data={"password": PASSWORD}, headers={"origin": INBOX}).status_code == 429


def test_login_cookie_is_http_only_and_strict(inbox) -> None:
    response = inbox.post("/staff/login", data={"password": PASSWORD}, headers={"origin": INBOX})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/staff" in cookie


def test_a_login_posted_from_another_site_is_refused(inbox) -> None:
    response = inbox.post("/staff/login", data={"password": PASSWORD}, headers={"origin": "https://evil.example"})
    assert response.status_code == 403 and "inbox_staff" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("path", ["/health", "/staff/login", "/newsletter/confirm?token=x"])
def test_every_page_forbids_framing_sniffing_and_caching(inbox, path: str) -> None:
    headers = inbox.get(path).headers
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "same-origin"
    policy = headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
