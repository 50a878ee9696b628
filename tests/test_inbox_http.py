"""The inbox's HTTP surface under attack: methods, sessions, malformed input, throttling, proxies, hosts, errors.

Runs on SQLite and on PostgreSQL (every test that takes ``inbox`` or
``make_inbox``). The multi-process and slow-client tests run real
``python -m inbox`` processes.
"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import time
from urllib.parse import urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import create_engine, text, update
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from inbox import store
from inbox.core import Inbox
from inbox.middleware import ErrorPages
from support import (BOOKING, INBOX, JSON, PASSWORD, PASSWORD_HASH, SIGNUP, SITE, SITE_ORIGIN, inbox_server, log_in,
                     postgres_database)
from support import settings as make_settings

OWN = {"origin": INBOX}
ENGLISH = ("Not Found", "Method Not Allowed", "Internal Server Error", "Invalid host header", "Bad Request")


def norwegian_page(response, status: int) -> HTMLParser:
    """A Norwegian HTML page in the inbox's style, with no English and no trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = HTMLParser(response.text)
    assert page.css_first("html").attributes["lang"] == "nb"
    assert page.css_first('link[rel="stylesheet"]').attributes["href"] == "/static/inbox.css"
    assert page.css_first("h1").text().strip()
    assert not any(word in response.text for word in ENGLISH) and "Traceback" not in response.text
    return page


def subscribe_and_confirm(client: TestClient) -> tuple[str, str]:
    """A confirmed subscriber; the confirm and unsubscribe tokens."""
    inbox = client.inbox
    email = SIGNUP["email"]
    assert client.post("/newsletter", data=SIGNUP).status_code == 303
    confirm = inbox.signer.sign("confirm", email)
    assert client.post("/newsletter/confirm", params={"token": confirm}).status_code == 200
    return confirm, inbox.signer.sign("unsubscribe", email)


# -----------------------------------------------------------------------------
# Only an explicit POST changes data
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT", "DELETE", "PATCH"])
def test_only_a_post_unsubscribes(inbox, method: str) -> None:
    _, token = subscribe_and_confirm(inbox)
    response = inbox.request(method, "/newsletter/unsubscribe", params={"token": token})
    assert response.status_code in {200, 405}
    assert [row["email"] for row in store.confirmed_subscribers(inbox.inbox.engine)] == [SIGNUP["email"]]
    assert inbox.post("/newsletter/unsubscribe", params={"token": token}).status_code == 200
    assert store.confirmed_subscribers(inbox.inbox.engine) == []


@pytest.mark.parametrize("method", ["HEAD", "GET", "PUT", "DELETE", "PATCH"])
def test_only_a_post_confirms(inbox, method: str) -> None:
    inbox.post("/newsletter", data=SIGNUP)
    token = inbox.inbox.signer.sign("confirm", SIGNUP["email"])
    assert inbox.request(method, "/newsletter/confirm", params={"token": token}).status_code in {200, 405}
    assert store.confirmed_subscribers(inbox.inbox.engine) == []  # a link scanner's visit confirms no one
    assert inbox.post("/newsletter/confirm", params={"token": token}).status_code == 200
    assert [row["email"] for row in store.confirmed_subscribers(inbox.inbox.engine)] == [SIGNUP["email"]]


@pytest.mark.parametrize(("method", "path"), [("PUT", "/staff/login"),
                                              ("GET", "/staff/logout"), ("PUT", "/staff/erase"),
                                              ("GET", "/booking"), ("DELETE", "/newsletter")])
def test_other_methods_change_nothing_and_answer_in_norwegian(inbox, method: str, path: str) -> None:
    inbox.post("/booking", data=BOOKING)
    response = inbox.request(method, path, data={"password": PASSWORD, "email": "kari@nordlys.no"}, headers=OWN)
    assert response.status_code == 405
    assert "inbox_staff" not in response.headers.get("set-cookie", "")
    if method != "HEAD":
        norwegian_page(response, 405)
    assert store.count_leads(inbox.inbox.engine) == 1


# -----------------------------------------------------------------------------
# Sessions live in the database
# -----------------------------------------------------------------------------


def stolen_cookie(client: TestClient) -> tuple[str, str]:
    csrf = log_in(client)
    return client.cookies.get("inbox_staff", path="/staff"), csrf


def with_cookie(client: TestClient, cookie: str) -> TestClient:
    copy = TestClient(client.app, base_url=INBOX, headers=OWN, follow_redirects=False)
    copy.cookies.set("inbox_staff", cookie, path="/staff")
    return copy


def test_logout_ends_the_session_for_every_copy_of_the_cookie(inbox) -> None:
    cookie, csrf = stolen_cookie(inbox)
    thief = with_cookie(inbox, cookie)
    assert thief.get("/staff/").status_code == 200
    assert inbox.post("/staff/logout", data={"csrf": csrf}, headers=OWN).status_code == 303
    assert thief.get("/staff/").status_code == 303
    assert thief.get("/staff/henvendelser.csv").status_code == 303
    assert thief.post("/staff/erase", data={"email": "kari@nordlys.no", "csrf": csrf, "bekreft": "ja"}).status_code == 401


@pytest.mark.parametrize(("column", "age"), [("seen_at", dt.timedelta(minutes=31)),   # idle
                                             ("created_at", dt.timedelta(hours=8, minutes=1))])  # too old
def test_idle_and_old_sessions_end(inbox, column: str, age: dt.timedelta) -> None:
    cookie, _ = stolen_cookie(inbox)
    assert with_cookie(inbox, cookie).get("/staff/").status_code == 200
    with inbox.inbox.engine.begin() as conn:
        conn.execute(update(store.staff_sessions).values(**{column: dt.datetime.now(dt.timezone.utc) - age}))
    assert with_cookie(inbox, cookie).get("/staff/").status_code == 303


def test_a_changed_password_ends_every_session(database_url, mailbox, make_inbox) -> None:
    before = make_inbox()
    cookie, _ = stolen_cookie(before)
    after = make_inbox(staff_password_hash=store_password("et helt nytt passord her"))
    assert with_cookie(after, cookie).get("/staff/").status_code == 303
    with after.inbox.engine.connect() as conn:
        assert conn.execute(store.staff_sessions.select()).all() == []  # ended, not merely refused


def store_password(password: str) -> str:
    from inbox import tokens

    return tokens.hash_password(password)


def test_the_database_holds_no_usable_session_token(inbox) -> None:
    cookie, _ = stolen_cookie(inbox)
    with inbox.inbox.engine.connect() as conn:
        [row] = conn.execute(store.staff_sessions.select()).all()
    assert cookie not in row.token_hash and len(row.token_hash) == 64
    assert with_cookie(inbox, row.token_hash).get("/staff/").status_code == 303


# -----------------------------------------------------------------------------
# Malformed input gets a 4xx, never a 500
# -----------------------------------------------------------------------------

ODD = ["æøå", "☃", "%C3%A6", "%ff%fe", "a.b.c", "a.b", "%00", "..", "YWRtaW4.١٢٣.x", "a." * 50]


@pytest.mark.parametrize("token", ODD)
def test_odd_tokens_in_links_are_refused_with_a_page(inbox, token: str) -> None:
    for method, path in [("GET", "/newsletter/confirm"), ("POST", "/newsletter/confirm"),
                         ("GET", "/newsletter/unsubscribe"), ("POST", "/newsletter/unsubscribe")]:
        response = inbox.request(method, f"{path}?token={token}")
        assert response.status_code == 400, (method, path, response.status_code)
        norwegian_page(response, 400)


@pytest.mark.parametrize("cookie", ["æøå".encode(), "☃".encode(), b"\xff\xfe", b"a" * 4000, b"x.y.z"])
def test_odd_session_cookies_are_no_login(inbox, cookie: bytes) -> None:
    headers = {"cookie": b"inbox_staff=" + cookie}
    assert inbox.get("/staff/", headers=headers).status_code == 303
    assert inbox.post("/staff/erase", data={"email": "a@b.no", "bekreft": "ja"}, headers={**headers, **OWN}).status_code == 401


@pytest.mark.parametrize("csrf", ["æøå", "☃", "\U0001f600", "", "x" * 5000])
def test_odd_csrf_tokens_are_refused(inbox, csrf: str) -> None:
    log_in(inbox)
    inbox.post("/booking", data=BOOKING)
    response = inbox.post("/staff/erase", data={"email": "kari@nordlys.no", "csrf": csrf, "bekreft": "ja"},
                          headers=OWN)
    assert response.status_code in {400, 403}
    assert store.count_leads(inbox.inbox.engine) == 1


@pytest.mark.parametrize("length", ["²", "-1", "1e3", "0x10", " 12", "99999999999999999999"])
def test_odd_content_lengths_are_refused(inbox, length: str) -> None:
    response = inbox.post("/booking", content=b"name=x", headers={
        "content-type": "application/x-www-form-urlencoded", "content-length": length.encode(), **JSON})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("lead_id", ["0", "2147483648", "99999999999999999999999"])
def test_odd_lead_ids_are_not_found(inbox, lead_id: str) -> None:
    csrf = log_in(inbox)
    response = inbox.post(f"/staff/leads/{lead_id}/status", data={"status": "avsluttet", "csrf": csrf}, headers=OWN)
    norwegian_page(response, 404)


# -----------------------------------------------------------------------------
# Login throttling: its own, always on, per client and per account
# -----------------------------------------------------------------------------


def client_at(client: TestClient, address: str, **headers: str) -> TestClient:
    return TestClient(client.app, base_url=INBOX, headers={**OWN, **headers}, follow_redirects=False,
                      client=(address, 50000))


def guess(client: TestClient, password: str = "gjetning") -> int:
    return client.post("/staff/login", data={"password": password}).status_code


def test_login_throttling_is_on_even_without_a_form_rate_limit(make_inbox) -> None:
    client = make_inbox(rate_limit=0)
    attacker = client_at(client, "203.0.113.5")
    assert [guess(attacker) for _ in range(7)] == [401] * 5 + [429] * 2
    assert guess(attacker, PASSWORD) == 429  # the right password does not get through from that client
    assert guess(client_at(client, "198.51.100.7"), PASSWORD) == 303  # staff elsewhere are not locked out


def test_correct_logins_are_not_counted(make_inbox) -> None:
    client = make_inbox()
    office = client_at(client, "198.51.100.7")
    assert [guess(office, PASSWORD) for _ in range(12)] == [303] * 12
    assert guess(office) == 401


def test_a_distributed_guesser_cannot_lock_out_staff_who_logged_in_before(make_inbox) -> None:
    client = make_inbox()
    staff = client_at(client, "198.51.100.7")
    assert guess(staff, PASSWORD) == 303  # this browser now carries the device cookie
    for number in range(20):  # 20 failures, each from its own address, under the per-client limit
        assert guess(client_at(client, f"203.0.113.{number + 1}")) == 401
    newcomer = client_at(client, "192.0.2.1")
    assert guess(newcomer, PASSWORD) == 429  # the account is throttled for browsers it does not know
    staff.cookies.delete("inbox_staff", path="/staff")
    assert guess(staff, PASSWORD) == 303  # but not for staff who have logged in from theirs
    forged = client_at(client, "192.0.2.2")
    forged.cookies.set("inbox_device", "c3RhZmY.9999999999.forged", path="/staff")
    assert guess(forged, PASSWORD) == 429


# -----------------------------------------------------------------------------
# Forwarded headers only from trusted proxies
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("spoof", [
    lambda n: {"x-forwarded-for": f"198.51.100.{n}"},
    lambda n: {"x-forwarded-for": f"198.51.100.{n}, 10.9.9.9"},
    lambda n: {"x-real-ip": f"198.51.100.{n}", "forwarded": f"for=198.51.100.{n}"},
])
def test_without_trusted_proxies_no_header_chooses_the_client_address(make_inbox, spoof) -> None:
    client = make_inbox(rate_limit=3)
    direct = client_at(client, "203.0.113.50")
    answers = [direct.post("/booking", data={**BOOKING, "form_token": f"tok-spoof-{n:04d}"},
                           headers={"origin": SITE_ORIGIN, **spoof(n)}).status_code for n in range(5)]
    assert answers == [303, 303, 303, 429, 429]


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client(make_inbox) -> None:
    client = make_inbox(rate_limit=2, forwarded_allow_ips=("10.0.0.0/8",))
    proxy = client_at(client, "10.0.0.2")

    def post(n: int, forwarded: str) -> int:
        return proxy.post("/booking", data={**BOOKING, "form_token": f"tok-proxy-{n:04d}"},
                          headers={"origin": SITE_ORIGIN, "x-forwarded-for": forwarded}).status_code

    # The client prepends a new made-up address every time; the proxy appends the real one.
    assert [post(n, f"6.6.6.{n}, 203.0.113.9") for n in range(3)] == [303, 303, 429]
    assert post(3, "203.0.113.10") == 303  # another real client has its own count
    assert post(4, "6.6.6.6, 203.0.113.9, 10.1.2.3") == 429  # through two proxies: still the same client
    untrusted = client_at(client, "192.0.2.99")  # not a proxy: its header is ignored
    assert [untrusted.post("/booking", data={**BOOKING, "form_token": f"tok-direct-{n:04d}"},
                           headers={"origin": SITE_ORIGIN, "x-forwarded-for": f"7.7.7.{n}"}).status_code
            for n in range(3)] == [303, 303, 429]


def test_limit_keys_hold_no_client_address(make_inbox) -> None:
    client = make_inbox(rate_limit=5)
    client_at(client, "203.0.113.77").post("/booking", data=BOOKING, headers={"origin": SITE_ORIGIN})
    guess(client_at(client, "203.0.113.78"))
    with client.inbox.engine.connect() as conn:
        keys = [row.key for row in conn.execute(store.limit_hits.select())]
    assert len(keys) == 3 and not any("203.0.113" in key for key in keys)


# -----------------------------------------------------------------------------
# The Host header and the origin of staff actions
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.test", "inbox.test.evil.test", "127.0.0.1", "localhost", "xinbox.test",
                                  "evil.test:80", "[::1]"])
def test_a_foreign_host_header_is_refused(inbox, host: str) -> None:
    headers = {"host": host, "origin": f"http://{host}", **JSON}
    response = inbox.post("/booking", data=BOOKING, headers=headers)
    assert response.status_code == 400 and response.json()["ok"] is False
    assert not any(word in response.text for word in ENGLISH)
    norwegian_page(inbox.get("/staff/login", headers={"host": host}), 400)
    log_in(inbox)
    assert inbox.get("/staff/", headers={"host": host}).status_code == 400
    assert store.count_leads(inbox.inbox.engine) == 0


def test_a_loopback_inbox_answers_to_every_loopback_name_only(database_url, mailbox, make_inbox) -> None:
    client = make_inbox(public_url="http://127.0.0.1:8001")
    for host, status in [("127.0.0.1:8001", 200), ("localhost:8001", 200), ("[::1]:8001", 200),
                         ("rebind.evil.test:8001", 400)]:
        assert client.get("/health", headers={"host": host}).status_code == status, host


@pytest.mark.parametrize("headers", [{"origin": SITE_ORIGIN}, {"origin": "", "referer": SITE + "artikler/"},
                                     {"origin": "null"}, {"origin": "http://inbox.test.evil.test"},
                                     {"origin": "https://inbox.test"}])
def test_staff_actions_come_from_the_inbox_itself_only(inbox, headers: dict[str, str]) -> None:
    inbox.post("/booking", data=BOOKING)
    csrf = log_in(inbox)
    [lead] = store.list_leads(inbox.inbox.engine)
    response = inbox.post(f"/staff/leads/{lead['id']}/status", data={"status": "avsluttet", "csrf": csrf},
                          headers=headers)
    norwegian_page(response, 403)
    assert inbox.post("/staff/login", data={"password": PASSWORD}, headers=headers).status_code == 403
    assert store.list_leads(inbox.inbox.engine)[0]["status"] == "ny"
    ok = inbox.post(f"/staff/leads/{lead['id']}/status", data={"status": "avsluttet", "csrf": csrf}, headers=OWN)
    assert ok.status_code == 303


# -----------------------------------------------------------------------------
# Norwegian error pages
# -----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/finnes-ikke", 404), ("GET", "/static/finnes-ikke.css", 404), ("GET", "/staff/leads/x/status", 404),
    ("GET", "/booking", 405), ("PUT", "/health", 405), ("POST", "/health", 405),
])
def test_errors_are_norwegian_pages(inbox, method: str, path: str, status: int) -> None:
    response = inbox.request(method, path)
    norwegian_page(response, status)
    if status == 405:
        assert response.headers["allow"]
    assert response.headers["x-frame-options"] == "DENY"
    as_json = inbox.request(method, path, headers=JSON)
    assert as_json.status_code == status and as_json.json()["ok"] is False
    assert as_json.json()["message"] and not any(word in as_json.text for word in ENGLISH)


def test_a_server_error_is_a_norwegian_page_without_a_trace(database_url, mailbox) -> None:
    from inbox.app import ROUTES

    inbox = Inbox(make_settings(database_url, mailbox))

    async def broken(request):
        raise RuntimeError("secret detail kari@nordlys.no")

    app = Starlette(routes=[*ROUTES, Route("/kaputt", broken)])
    inbox.router = app.router
    client = TestClient(ErrorPages(app, inbox.error), base_url=INBOX, raise_server_exceptions=False)
    page = norwegian_page(client.get("/kaputt"), 500)
    assert "secret detail" not in page.html and "kari@" not in page.html
    assert client.get("/kaputt", headers=JSON).json()["message"].startswith("Vi fikk ikke behandlet")
    inbox.engine.dispose()


# -----------------------------------------------------------------------------
# /health tells whether the database accepts writes
# -----------------------------------------------------------------------------


def test_health_fails_while_the_database_refuses_writes(mailbox) -> None:
    with postgres_database() as url:
        from inbox.app import create_app

        app = create_app(make_settings(url, mailbox))
        with TestClient(app, base_url=INBOX) as client:
            assert client.get("/health").json() == {"status": "ok", "database": "ok"}
            name = urlsplit(url).path.lstrip("/")
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
            admin.dispose()
            app.inbox.engine.dispose()  # new connections see the setting
            app.inbox._health = (-10.0, True)  # past the cache
            response = client.get("/health")
            assert response.status_code == 503 and response.json()["database"] == "error"
            assert client.get("/health").status_code == 503  # the cached answer, without a new write


# -----------------------------------------------------------------------------
# Slow clients, as real processes
# -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_stalled_body_is_cut_off_after_the_read_timeout(tmp_path) -> None:
    with inbox_server("", SITE, tmp_path / "data", "--read-timeout", "1") as (url, _process, _log):
        parts = urlsplit(url)
        started = time.monotonic()
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as slow:
            slow.sendall(f"POST /booking HTTP/1.1\r\nHost: {parts.netloc}\r\nOrigin: {SITE_ORIGIN}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\nname=K"
                         .encode())
            answer = b""
            while chunk := slow.recv(4096):
                answer += chunk
            answer = answer.decode("utf-8", "replace")
        assert answer.startswith("HTTP/1.1 408") and time.monotonic() - started < 5
        assert "kom for sakte fram" in answer


@pytest.mark.parametrize("head", [b"", b"P", b"POST /booking HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                  b"GET /health HTTP/1.1\r\n"])
@pytest.mark.slow
def test_a_request_head_that_trickles_in_is_cut_off(tmp_path, head: bytes) -> None:
    with inbox_server("", SITE, tmp_path / "data", "--read-timeout", "1") as (url, _process, _log):
        parts = urlsplit(url)
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as slow:
            started = time.monotonic()
            for byte in head:  # a byte at a time, each well inside any per-read timeout
                slow.sendall(bytes([byte]))
                time.sleep(0.01)
            assert slow.recv(4096) == b""  # closed by the inbox, without an answer
            assert 0.9 < time.monotonic() - started < 5
        # A prompt client on a kept-alive connection is not cut off between its requests.
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        for _ in range(2):
            connection.request("GET", "/health")
            assert connection.getresponse().read()
        time.sleep(0.5)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200


@pytest.mark.slow
def test_connections_past_the_cap_are_refused_and_the_inbox_recovers(tmp_path) -> None:
    with inbox_server("", SITE, tmp_path / "data", "--max-connections", "4") as (url, process, _log):
        parts = urlsplit(url)
        idle = [socket.create_connection((parts.hostname, parts.port), timeout=10) for _ in range(4)]
        try:
            time.sleep(0.3)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            connection.request("GET", "/health")
            assert connection.getresponse().status == 503
            connection.close()
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.3)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().status == 200
        assert process.poll() is None


# -----------------------------------------------------------------------------
# Several inbox processes on one PostgreSQL database
# -----------------------------------------------------------------------------


def request(url: str, method: str, path: str, body: str = "", headers: dict[str, str] | None = None):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        cookies = "; ".join(cookie.split(";")[0] for cookie in response.msg.get_all("Set-Cookie") or [])
        return response.status, {**dict(response.getheaders()), "Set-Cookie": cookies}, response.read().decode()
    finally:
        connection.close()


@pytest.mark.slow
def test_limits_and_sessions_hold_across_two_processes(tmp_path) -> None:
    env = {"INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH, "INBOX_SECRET": "delt-hemmelighet-" + "x" * 40,
           "INBOX_SMTP_HOST": ""}
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": SITE_ORIGIN, "Accept": "application/json"}
    with postgres_database() as database, \
            inbox_server(database, SITE, tmp_path / "a", "--rate-limit", "3", env=env) as (first, _, _), \
            inbox_server(database, SITE, tmp_path / "b", "--rate-limit", "3", env=env) as (second, _, _):
        answers = [request((first, second)[n % 2], "POST", "/newsletter",
                           f"email=ola{n}%40fjord.no&consent=ja&form_token=tok-two-{n:04d}", form)[0]
                   for n in range(5)]
        assert answers == [200, 200, 200, 429, 429]

        def login(url: str, password: str) -> tuple[int, str]:
            status, headers, _ = request(url, "POST", "/staff/login", f"password={password}",
                                         {"Content-Type": "application/x-www-form-urlencoded", "Origin": url})
            return status, headers.get("Set-Cookie", "")

        assert [login((first, second)[n % 2], "feil")[0] for n in range(6)] == [401] * 5 + [429]
        assert login(second, "riktig+hest+batteri+stift")[0] == 429  # the throttle is shared, too
    with postgres_database() as database, \
            inbox_server(database, SITE, tmp_path / "c", env=env) as (first, _, _), \
            inbox_server(database, SITE, tmp_path / "d", env=env) as (second, _, _):
        status, cookie = login(first, "riktig+hest+batteri+stift")
        assert status == 303
        session = next(part for part in cookie.split("; ") if part.startswith("inbox_staff="))
        assert request(second, "GET", "/staff/", headers={"Cookie": session})[0] == 200  # one login, both processes
        page = request(second, "GET", "/staff/", headers={"Cookie": session})[2]
        csrf = HTMLParser(page).css_first('input[name="csrf"]').attributes["value"]
        logout = request(second, "POST", "/staff/logout", f"csrf={csrf}",
                         {"Content-Type": "application/x-www-form-urlencoded", "Origin": second, "Cookie": session})
        assert logout[0] == 303
        assert request(first, "GET", "/staff/", headers={"Cookie": session})[0] == 303  # ended in the other one too


# -----------------------------------------------------------------------------
# Found in review: more variants of the same classes
# -----------------------------------------------------------------------------


@pytest.mark.parametrize("referer", ["http://[x/", "http://[::1", "http://a:b:c]/", "\\\\[", "http://%zz/"])
def test_a_malformed_referer_is_a_refusal_not_a_server_error(inbox, referer: str) -> None:
    inbox.headers.pop("origin")
    assert inbox.post("/newsletter", data=SIGNUP, headers={"referer": referer, **JSON}).status_code == 403
    assert inbox.post("/staff/login", data={"password": PASSWORD}, headers={"referer": referer}).status_code == 403
    csrf = log_in(inbox)
    assert inbox.post("/staff/erase", data={"email": "a@b.no", "csrf": csrf, "bekreft": "ja"},
                      headers={"referer": referer}).status_code == 403


@pytest.mark.parametrize("digits", [11, 400, 4301, 6000])
def test_an_overlong_row_id_is_not_found(inbox, digits: int) -> None:
    for method in ("GET", "POST"):
        norwegian_page(inbox.request(method, f"/staff/leads/{'1' * digits}/status", headers=OWN), 404)


def test_parallel_guesses_cannot_slip_past_the_login_throttle(make_inbox) -> None:
    import concurrent.futures

    client = make_inbox()
    attacker = client_at(client, "203.0.113.66")
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _: guess(attacker), range(24)))
    assert answers.count(401) == 5 and answers.count(429) == 19  # five real guesses, not 24


@pytest.mark.parametrize(("first", "second"), [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fff0"),   # one /64: one client
    ("198.51.100.4", "::ffff:198.51.100.4"),                  # IPv4, and the same address seen by a dual-stack listener
])
def test_one_network_is_one_client_for_the_limits(make_inbox, first: str, second: str) -> None:
    client = make_inbox()
    assert [guess(client_at(client, first)) for _ in range(5)] == [401] * 5
    assert guess(client_at(client, second), PASSWORD) == 429
    assert guess(client_at(client, "2001:db8:1:3::1"), PASSWORD) == 303  # the next /64 is someone else


def test_a_link_cannot_put_text_on_the_staff_page(inbox) -> None:
    log_in(inbox)
    for query in ("melding=Passordet+er+utl%C3%B8pt%2C+ring+oss", "melding=slettet&antall=1e9", "melding=<b>x</b>"):
        page = HTMLParser(inbox.get(f"/staff/?{query}").text)
        assert page.css_first("[role=status]") is None, query
    assert HTMLParser(inbox.get("/staff/?melding=status-lagret").text).css_first("[role=status]").text() == \
        "Status lagret."


def test_an_address_stored_under_older_rules_can_still_be_erased(inbox) -> None:
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)  # its mail is not due while the test runs
    legacy = "gammel=?x?=@xn--zz.no"
    store.store_lead(inbox.inbox.engine, "booking", "tok-legacy-0001", {"email": legacy, "name": "Gammel"}, later,
                     [store.Mail("salg@arcticsales.no", f"Subject: x\n\nE-post:   {legacy}\n")])  # no `about`
    csrf = log_in(inbox)
    response = inbox.post("/staff/erase", data={"email": legacy, "csrf": csrf, "bekreft": "ja"}, headers=OWN)
    assert response.status_code == 303 and "antall=2" in response.headers["location"]
    assert store.count_leads(inbox.inbox.engine) == 0 and store.outbox_state(inbox.inbox.engine)["waiting"] == 0
