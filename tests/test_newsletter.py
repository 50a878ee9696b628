"""The newsletter (issue 18): compose, preview, test, send; exactly once; unsubscribe and erase while sending;
the welcome mail; the monthly digest. Asserted on raw SMTP bytes from a local aiosmtpd server, HTTP answers
and the database. Tests that take ``inbox``, ``make_inbox`` or ``database_url`` run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import email
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, expect
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from inbox import letters, mail, newsletter, newsletter_mail, store, titles
from support import (INBOX, PASSWORD, PASSWORD_HASH, PHONE, inbox_server, log_in, path_of, refuse_other_hosts,
                     serve_folder)

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone.utc)
HOSTILE_TITLE = 'Salg & <script>alert("x")</script> =?utf-8?q?=0D=0ABcc:_e@x.test?='
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
           "MIME-Version", "Content-Type"]


def feed_items(site: str, count: int = 4, start: dt.datetime = NOW) -> list[dict]:
    """A JSON feed's items as the rss plugin writes them: HTML text in title and summary, newest first."""
    items = []
    for number in range(count):
        title = HOSTILE_TITLE if number == 0 else f"Artikkel nummer {number} om møter"
        items.append({"id": f"{site}artikler/a{number}/", "url": f"{site}artikler/a{number}/",
                      "title": title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
                      "summary": f"Kort om artikkel {number} &amp; oppfølging.", "content_html": "x",
                      "date_published": (start - dt.timedelta(days=number)).isoformat()})
    return items


@contextlib.contextmanager
def site_with_feed(folder: Path, count: int = 4, start: dt.datetime = NOW) -> Iterator[str]:
    """A static site on a loopback port with feed_json_created.json, as the inbox reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    with serve_folder(folder) as site:
        write_feed(folder, site, count, start)
        yield site


def write_feed(folder: Path, site: str, count: int, start: dt.datetime = NOW) -> None:
    (folder / "feed_json_created.json").write_text(json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Artikler", "home_page_url": site,
        "items": feed_items(site, count, start)}), encoding="utf-8")


def subscribe(engine, addresses: list[str], confirmed: bool = True, at: dt.datetime | None = None) -> None:
    """Subscribers (confirmed: by default yesterday, before the inbox started, so without a welcome mail), written
    straight into the table: a signup's confirmation mail would reach the SMTP server in the middle of a test."""
    moment = at or dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    with engine.begin() as conn:
        conn.execute(store.subscribers.insert(), [{"email": address, "created_at": moment,
                                                   "confirmed_at": moment if confirmed else None}
                                                  for address in addresses])


def raw_of(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=policy.compat32)


def hrefs(html: str) -> list[str]:
    return [node.attributes["href"] for node in HTMLParser(html).css("a[href]")]


def parts(raw: bytes) -> tuple[str, str]:
    """The plain text and the HTML of a received newsletter, decoded."""
    message = email.message_from_bytes(raw, policy=policy.default)
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def wait_for(condition, timeout: float = 20, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


def staff_post(client, path: str, data: dict, csrf: str):
    return client.post(path, data={**data, "csrf": csrf}, headers={"origin": INBOX})


def check_newsletter_bytes(raw: bytes, recipient: str, campaign: str) -> str:
    """Every newsletter's raw bytes: headers, structure, links; its personal unsubscribe link."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    assert all(re.match(r"[A-Za-z-]+: \S", line) for line in head), head  # one line per header, none folded
    parsed = raw_of(raw)
    assert parsed.keys() == HEADERS
    assert parsed["To"] == recipient
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.get_payload()] == ["text/plain", "text/html"]
    assert all(part.get_content_charset() == "utf-8" and part["Content-Transfer-Encoding"] == "quoted-printable"
               for part in parsed.get_payload())
    unsubscribe = parsed["List-Unsubscribe"]
    assert re.fullmatch(r"<https?://[^\s<>]+>", unsubscribe), unsubscribe  # unencoded, one <URL>
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = parts(raw)
    links = hrefs(html) + re.findall(r"https?://\S+", text)
    assert links
    for link in links:
        query = parse_qs(urlsplit(link).query)
        assert query["utm_source"] == ["nyhetsbrev"] and query["utm_medium"] == ["epost"], link
        assert query["utm_campaign"] == [campaign], link
    assert "<img" not in html  # no tracking pixel, nor any image
    assert "<style" not in html and 'style="' in html  # inlined
    return unsubscribe[1:-1]


# -----------------------------------------------------------------------------
# Composing
# -----------------------------------------------------------------------------


def test_hostile_titles_are_escaped_in_html_and_never_reach_a_header() -> None:
    articles = [{"url": "https://www.arcticsales.no/artikler/a/", "title": HOSTILE_TITLE, "summary": "<b>x</b>",
                 "published": NOW.isoformat()}]
    text = newsletter_mail.compose("Arctic <post@arcticsales.no>", "ola@fjord.no", "Nytt om møter", now=NOW,
                                   campaign_name="2026-11-nytt", intro="Hei <b>alle</b>\n\nAvsnitt to",
                                   articles=articles, site_url="https://www.arcticsales.no/",
                                   unsubscribe_url="https://inbox.arcticsales.no/newsletter/unsubscribe?token=a.b.c")
    raw = text.encode("ascii")
    check_newsletter_bytes(raw, "ola@fjord.no", "2026-11-nytt")
    plain_text, html = parts(raw)
    tree = HTMLParser(html)
    assert tree.css("script") == [] and tree.css("b") == []
    assert tree.css_first("h2 a").text() == HOSTILE_TITLE
    assert [node.text() for node in tree.css(".body p")] == ["Hei <b>alle</b>", "Avsnitt to", "<b>x</b>"]
    assert HOSTILE_TITLE in plain_text
    assert raw_of(raw)["Subject"] == "Nytt om =?utf-8?q?m=C3=B8ter?="


@pytest.mark.parametrize("subject", ["Hei =?utf-8?q?=0ABcc:_e@x?=", "Hei\r\nBcc: e@x", "Hei\u2028x", "", "x" * 151])
def test_a_subject_that_could_change_the_headers_is_refused(subject: str) -> None:
    with pytest.raises(mail.UnsafeHeader):
        newsletter_mail.check_subject(subject)


def test_tracked_links_replace_any_utm_they_had() -> None:
    link = newsletter_mail.tracked("https://x.no/a/?utm_source=annet&side=2", "c1")
    assert parse_qs(urlsplit(link).query) == {"side": ["2"], "utm_source": ["nyhetsbrev"], "utm_medium": ["epost"],
                                              "utm_campaign": ["c1"]}


# -----------------------------------------------------------------------------
# The staff flow: compose, preview, test, send
# -----------------------------------------------------------------------------


def test_compose_preview_test_and_send(make_inbox, mailbox, tmp_path: Path) -> None:
    with site_with_feed(tmp_path / "site") as site:
        client = make_inbox(site_url=site, newsletter_per_minute=600)
        engine = client.inbox.engine
        subscribers = [f"leser{number}@fjord.no" for number in range(5)]
        subscribe(engine, subscribers)
        subscribe(engine, ["venter@fjord.no"], confirmed=False)
        mailbox.messages.clear(), mailbox.raw.clear()
        csrf = log_in(client)
        page = client.get("/staff/")
        assert HTMLParser(page.text).css_first('nav a[href="/staff/nyhetsbrev"]').text() == "Nyhetsbrev"
        overview = client.get("/staff/nyhetsbrev")
        assert overview.status_code == 200
        labels = [node.text() for node in HTMLParser(overview.text).css(".issue-form label[for^=artikkel]")]
        assert len(labels) == 4 and labels[0].startswith(HOSTILE_TITLE)  # escaped by the page, shown as text
        assert "<script>alert" not in overview.text
        created = staff_post(client, "/staff/nyhetsbrev", {
            "subject": "Nytt om møter", "intro": "Hei!\r\n\r\nTo nye artikler.",
            "article": [f"{site}artikler/a0/", f"{site}artikler/a1/"]}, csrf)
        assert created.status_code == 303, created.text
        issue_path = path_of(created.headers["location"])
        issue = client.get(issue_path)
        assert issue.status_code == 200
        tree = HTMLParser(issue.text)
        assert "To nye artikler." in tree.css_first("#ren-tekst").text()
        preview = client.get(issue_path + "/html")
        assert preview.status_code == 200 and "sandbox" in preview.headers["content-security-policy"]
        assert HTMLParser(preview.text).css_first("h2 a").text() == HOSTILE_TITLE
        campaign = parse_qs(urlsplit(hrefs(preview.text)[0]).query)["utm_campaign"][0]
        assert campaign == "2026-" + campaign[5:7] + "-nytt-om-moter"

        tested = staff_post(client, issue_path + "/test", {"email": "salg@arcticsales.no"}, csrf)
        assert tested.status_code == 303 and "test-sendt" in tested.headers["location"]
        mailbox.wait(1)
        check_newsletter_bytes(mailbox.raw[0], "salg@arcticsales.no", campaign)
        assert raw_of(mailbox.raw[0])["Subject"].startswith("[Test]")
        # nothing carried yet: a test sends no issue
        assert len(HTMLParser(client.get("/staff/nyhetsbrev").text).css(".issue-form label[for^=artikkel]")) == 4

        refused = staff_post(client, issue_path + "/send", {}, csrf)
        assert "bekreft" in refused.headers["location"]
        sent = staff_post(client, issue_path + "/send", {"bekreft": "ja"}, csrf)
        assert sent.status_code == 303 and "i-ko" in sent.headers["location"]
        again = staff_post(client, issue_path + "/send", {"bekreft": "ja"}, csrf)
        assert "allerede-sendt" in again.headers["location"]
        mailbox.wait(6)
        wait_for(lambda: client.get(issue_path + "/status").json()["finished"], what="the issue to finish")
        status = client.get(issue_path + "/status").json()
        assert status == {"id": status["id"], "recipients": 5, "finished": True, "started": True, "queued": 0,
                          "sent": 5, "failing": 0, "failed": 0, "stopped": 0}
        time.sleep(1.5)
        assert sorted(message["To"] for message in mailbox.messages[1:]) == subscribers  # once each, no one else
        for raw in mailbox.raw[1:]:
            link = check_newsletter_bytes(raw, raw_of(raw)["To"], campaign)
            assert client.get(path_of(link)).status_code == 200  # the personal link opens the page
        with engine.connect() as conn:  # the archive keeps the numbers, not the addresses
            assert conn.execute(select(func.count()).select_from(letters.sends)).scalar_one() == 0
        archive = HTMLParser(client.get("/staff/nyhetsbrev").text)
        assert "Sendt: 5 av 5" in archive.css_first("tbody tr").text()
        labels = [node.text() for node in archive.css(".issue-form label[for^=artikkel]")]
        assert len(labels) == 2 and not any(label.startswith(HOSTILE_TITLE) for label in labels)
        # one click, as a mail program does it: a POST without Origin, CSRF token or session
        link = check_newsletter_bytes(mailbox.raw[1], raw_of(mailbox.raw[1])["To"], campaign)
        client.cookies.clear()
        done = client.post(path_of(link), content=b"List-Unsubscribe=One-Click",
                           headers={"origin": "", "content-type": "application/x-www-form-urlencoded"})
        assert done.status_code == 200
        assert raw_of(mailbox.raw[1])["To"] not in [row["email"] for row in store.confirmed_subscribers(engine)]


def test_staff_forms_need_the_csrf_token_and_a_session(inbox) -> None:
    assert inbox.get("/staff/nyhetsbrev").status_code == 303
    assert inbox.post("/staff/nyhetsbrev", data={"subject": "x"}, headers={"origin": INBOX}).status_code == 401
    log_in(inbox)
    assert inbox.post("/staff/nyhetsbrev", data={"subject": "x", "csrf": "feil"},
                      headers={"origin": INBOX}).status_code == 403


# -----------------------------------------------------------------------------
# Exactly once, unsubscribe and erasure while sending
# -----------------------------------------------------------------------------


def make_issue(engine, site: str = "https://www.arcticsales.no/") -> int:
    articles = [{"url": f"{site}artikler/a1/", "title": "En artikkel", "summary": "", "published": NOW.isoformat()}]
    return letters.create_issue(engine, "Nytt om møter", "Hei", articles, "2026-11-nytt", NOW)


def test_the_unique_key_gives_each_address_one_send_row(database_url: str) -> None:
    engine = store.connect(database_url)
    subscribe(engine, ["a@fjord.no", "b@fjord.no"])
    issue_id = make_issue(engine)
    assert letters.start_sending(engine, issue_id, NOW) == 2
    assert letters.start_sending(engine, issue_id, NOW) is None
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(letters.sends.insert(), {"issue_id": issue_id, "email": "a@fjord.no", "state": "venter"})
    engine.dispose()


def test_unsubscribe_and_erasure_while_sending_stop_those_recipients(make_inbox, mailbox) -> None:
    client = make_inbox(newsletter_per_minute=60)  # one a second: the others are still waiting
    engine = client.inbox.engine
    addresses = [f"leser{number:02d}@fjord.no" for number in range(12)]
    subscribe(engine, addresses)
    mailbox.messages.clear(), mailbox.raw.clear()
    issue_id = make_issue(engine)
    assert letters.start_sending(engine, issue_id, dt.datetime.now(dt.timezone.utc)) == 12
    mailbox.wait(1)
    counts = store.erasable(engine, "leser11@fjord.no")
    assert counts["newsletter_sends"] == 1
    assert store.erase(engine, "LESER11@fjord.no")["newsletter_sends"] == 1
    assert store.unsubscribe(engine, "leser10@fjord.no")
    wait_for(lambda: not letters.sending_issues(engine), timeout=40,
             what=f"the issue to finish: {letters.progress(engine, issue_id)}")
    received = [str(message["To"]) for message in mailbox.messages]
    assert "None" not in received, [m.keys() for m in mailbox.messages]
    assert sorted(received) == addresses[:10]
    issue = letters.get_issue(engine, issue_id)
    assert (issue["sent"], issue["stopped"], issue["recipients"]) == (10, 1, 12)


def test_a_mail_unsubscribed_during_its_smtp_dialogue_is_not_finished(database_url: str, mailbox) -> None:
    """The hand-over finds the outbox row gone: the server gets no final "." and drops the message."""
    engine = store.connect(database_url)
    subscribe(engine, ["ola@fjord.no"])
    with store._transaction(engine) as conn:
        store._queue(conn, [store.Mail("ola@fjord.no", "From: post@arcticsales.no\r\nTo: ola@fjord.no\r\n"
                                       "Subject: x\r\n\r\nHei\r\n", "ola@fjord.no")], NOW)
    [item] = store.due_mail(engine, NOW + dt.timedelta(seconds=1))
    delivery = mail.SMTPDelivery("127.0.0.1", mailbox.port, security="none", timeout=5)

    def unsubscribed_meanwhile() -> bool:
        store.unsubscribe(engine, "ola@fjord.no")
        return store.mail_sent(engine, item["id"])

    with pytest.raises(mail.Withdrawn):
        delivery.send(item["recipient"], item["message"], unsubscribed_meanwhile)
    time.sleep(0.3)
    assert mailbox.messages == []
    delivery.send("ola@fjord.no", item["message"], lambda: True)
    mailbox.wait(1)
    engine.dispose()


# -----------------------------------------------------------------------------
# Welcome mail and digest
# -----------------------------------------------------------------------------


def test_a_confirmed_reader_gets_one_welcome_with_the_three_newest(make_inbox, mailbox, tmp_path: Path) -> None:
    with site_with_feed(tmp_path / "site", count=5) as site:
        client = make_inbox(site_url=site)
        engine = client.inbox.engine
        subscribe(engine, ["gammel@fjord.no"], at=NOW - dt.timedelta(days=30))  # before the feature: none
        wait_for(lambda: letters.get_options(engine, NOW), what="options")
        response = client.post("/newsletter", data={"email": "ny@fjord.no", "consent": "ja", "website": "",
                                                    "form_token": "tok-welcome-01", "article": "", "page": ""},
                               headers={"origin": site.rstrip("/")})
        assert response.status_code == 303, response.text
        [confirmation] = mailbox.wait(1)
        confirm_link = next(link for link in re.findall(r"https?://\S+", confirmation.get_body(("plain",))
                                                        .get_content()) if "confirm" in link)
        assert client.post(path_of(confirm_link)).status_code == 200
        mailbox.wait(2, timeout=20)
        time.sleep(2)
        welcome_raw = [raw for raw in mailbox.raw if b"Velkommen" in raw or b"velkommen" in raw]
        assert len(welcome_raw) == 1 and len(mailbox.messages) == 2
        check_newsletter_bytes(welcome_raw[0], "ny@fjord.no", "velkommen")
        text, html = parts(welcome_raw[0])
        titles = [node.text() for node in HTMLParser(html).css("h2 a")]
        assert titles == [HOSTILE_TITLE, "Artikkel nummer 1 om møter", "Artikkel nummer 2 om møter"]
        assert "gammel@fjord.no" not in [message["To"] for message in mailbox.messages]


def test_a_welcome_waits_for_an_unreadable_feed_then_goes_without_articles(database_url: str, mailbox,
                                                                            tmp_path: Path) -> None:
    from inbox.app import create_app
    from support import settings
    app = create_app(settings(database_url, mailbox, site_url="http://127.0.0.1:9/"))  # nothing listens there
    inbox = app.inbox
    engine = inbox.engine
    letters.get_options(engine, NOW - dt.timedelta(days=1))
    subscribe(engine, ["ny@fjord.no"], at=NOW)
    assert newsletter.welcome(inbox, NOW + dt.timedelta(minutes=5)) == 0  # waits for the site
    assert newsletter.welcome(inbox, NOW + newsletter.WELCOME_WAIT + dt.timedelta(minutes=1)) == 1
    [row] = store.due_mail(engine, NOW + dt.timedelta(hours=2))
    text, html = parts(row["message"].encode("ascii"))
    assert HTMLParser(html).css("h2 a") == [] and "Se alle artiklene" in html and "artikler/?utm_source" in text
    assert newsletter.welcome(inbox, NOW + dt.timedelta(hours=3)) == 0  # once
    engine.dispose()


@pytest.mark.parametrize("with_articles", [True, False])
def test_the_monthly_digest(database_url: str, mailbox, tmp_path: Path, with_articles: bool) -> None:
    from inbox.app import create_app
    from support import settings
    day = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
    with site_with_feed(tmp_path / "site", count=3 if with_articles else 0, start=day - dt.timedelta(days=2)) as site:
        app = create_app(settings(database_url, mailbox, site_url=site))
        inbox, engine = app.inbox, app.inbox.engine
        subscribe(engine, ["a@fjord.no", "b@fjord.no"])
        letters.get_options(engine, day - dt.timedelta(days=60))
        letters.set_digest(engine, True, 1, "2026-11", day - dt.timedelta(days=20))
        assert newsletter.digest(inbox, day - dt.timedelta(days=1)) is None  # November is handled already
        issue_id = newsletter.digest(inbox, day)
        assert newsletter.digest(inbox, day + dt.timedelta(hours=1)) is None  # once a month
        if not with_articles:
            assert issue_id is None and letters.list_issues(engine) == []
            assert letters.get_options(engine, day)["digest_month"] == "2026-12"
        else:
            issue = letters.get_issue(engine, issue_id)
            assert issue["digest"] and issue["subject"] == "Nytt fra Arctic Sales Development – desember 2026"
            assert len(issue["articles"]) == 3 and issue["recipients"] == 2
            inbox.settings = inbox.settings.__class__(**{**inbox.settings.__dict__, "newsletter_per_minute": 600})
            newsletter.move_due(inbox, day)
            rows = store.due_mail(engine, day + dt.timedelta(minutes=1))
            assert sorted(row["recipient"] for row in rows) == ["a@fjord.no", "b@fjord.no"]
            check_newsletter_bytes(rows[0]["message"].encode("ascii"), rows[0]["recipient"], "sammendrag-2026-12")
        engine.dispose()


def test_the_rate_holds_across_rounds(database_url: str, mailbox) -> None:
    from inbox.app import create_app
    from support import settings
    app = create_app(settings(database_url, mailbox, newsletter_per_minute=120))
    inbox, engine = app.inbox, app.inbox.engine
    subscribe(engine, [f"r{number}@fjord.no" for number in range(300)])
    issue_id = make_issue(engine)
    letters.start_sending(engine, issue_id, NOW)
    moved = [newsletter.move_due(inbox, NOW + dt.timedelta(seconds=second)) for second in range(90)]
    assert moved[:3] == [2, 2, 2] and sum(moved[:60]) == 120 and sum(moved) == 180
    # a slow round moves the share of the time it took (6 s: 12), within what the last minute leaves (12)
    assert newsletter.move_due(inbox, NOW + dt.timedelta(seconds=95)) == 12
    # a failing newsletter mail stops the moving until it goes
    with engine.begin() as conn:
        conn.execute(update(store.outbox).values(attempts=1))
    assert newsletter.move_due(inbox, NOW + dt.timedelta(minutes=5)) == 0
    engine.dispose()


# -----------------------------------------------------------------------------
# `python -m inbox` as a real process: SIGKILL in the middle of a send; the staff flow in headless Chromium
# -----------------------------------------------------------------------------

RECIPIENTS = 500


def smtp_env(mailbox) -> dict[str, str]:
    return {"INBOX_SMTP_HOST": "127.0.0.1", "INBOX_SMTP_PORT": str(mailbox.port), "INBOX_SMTP_SECURITY": "none",
            "INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH}


def received_by(mailbox) -> collections.Counter[str]:
    return collections.Counter(str(message["To"]) for message in list(mailbox.messages))


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def handed_over_but_not_received(engine, received: set[str]) -> set[str]:
    """Mails out of the outbox as handed over that the server never accepted: what a kill between a hand-over's
    commit and its final "." loses (README, «The at-most-once boundary»)."""
    with engine.connect() as conn:
        moved = set(conn.scalars(select(letters.sends.c.email).where(letters.sends.c.state != "venter")))
        waiting = set(conn.scalars(select(store.outbox.c.recipient)))
    return moved - waiting - received


def test_sigkill_mid_send_resumes_without_a_second_copy(database_url: str, mailbox, tmp_path: Path) -> None:
    """500 subscribers; the inbox is killed twice while it sends and started again: never a second copy.

    SMTP cannot commit with the database, so a mail leaves the outbox just before its final "." and a kill
    between the two loses that one mail (the commit's half millisecond: 2 kills of 24 here). So each kill may
    lose at most the one mail it interrupted, and every other address gets its one copy.
    """
    engine = store.connect(database_url)
    addresses = [f"leser{number:03d}@fjord.no" for number in range(RECIPIENTS)]
    subscribe(engine, addresses)
    issue_id = make_issue(engine)
    assert letters.start_sending(engine, issue_id, dt.datetime.now(dt.timezone.utc)) == RECIPIENTS
    options = ("--newsletter-per-minute", "3000")  # 50 a second
    interrupted: set[str] = set()
    for kill_at in (120, 300):
        with inbox_server(database_url, "http://127.0.0.1:9/", tmp_path / "data", *options,
                          env=smtp_env(mailbox)) as (_url, process, _log):
            wait_until(lambda count=kill_at: len(mailbox.messages) >= count, 60, f"{kill_at} mails")
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        copies = received_by(mailbox)
        assert max(copies.values()) == 1, [address for address, count in copies.items() if count > 1]
        assert len(copies) < RECIPIENTS  # killed mid-send indeed
        lost = handed_over_but_not_received(engine, set(copies))
        assert len(lost - interrupted) <= 1, sorted(lost)
        interrupted |= lost
    with inbox_server(database_url, "http://127.0.0.1:9/", tmp_path / "data", *options,
                      env=smtp_env(mailbox)) as (_url, _process, _log):
        wait_until(lambda: not letters.sending_issues(engine), 90, "the issue to finish")
        time.sleep(1)
    copies = received_by(mailbox)
    assert set(copies.values()) == {1}
    assert sorted([*copies, *interrupted]) == addresses  # every other address got its one copy
    issue = letters.get_issue(engine, issue_id)
    assert (issue["recipients"], issue["sent"], issue["failed"], issue["stopped"]) == (RECIPIENTS, RECIPIENTS, 0, 0)
    assert store.outbox_state(engine)["waiting"] == 0
    engine.dispose()


def axe_serious(browser: Browser, inbox_url: str, paths: list[str]) -> dict[str, list]:
    """Serious and critical axe-core findings on each page (the CSP is bypassed for the injected script)."""
    axe = Path(os.environ.get("AXE_PATH") or Path(__file__).parent.parent / ".cache/axe/node_modules/axe-core/axe.min.js")
    assert axe.exists(), "axe-core is missing: `make test` installs it from the npm registry"
    context = browser.new_context(**PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{inbox_url}/staff/")
    page.get_by_label("Passord").fill(PASSWORD)
    page.get_by_role("button", name="Logg inn").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Henvendelser")
    found = {}
    for path in paths:
        page.goto(path if path.startswith("http") else inbox_url + path)
        page.add_script_tag(content=axe.read_text(encoding="utf-8"))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [(violation["id"], [node["target"] for node in violation["nodes"]][:3])
                   for violation in result["violations"] if violation["impact"] in {"serious", "critical"}]
        if serious:
            found[path] = serious
    context.close()
    return found


@pytest.mark.browser
def test_the_staff_flow_in_chromium(browser: Browser, mailbox, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'data' / 'inbox.sqlite3'}"
    engine = store.connect(database)
    subscribe(engine, ["kari@nordlys.no", "ola@fjord.no"])
    (tmp_path / "site").mkdir()
    with serve_folder(tmp_path / "site") as site:
        write_feed(tmp_path / "site", site, 3)
        with inbox_server(database, site, tmp_path / "data", "--newsletter-per-minute", "600",
                          env=smtp_env(mailbox)) as (inbox_url, _process, _log):
            context = browser.new_context(**PHONE)
            outside = refuse_other_hosts(context)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(f"{inbox_url}/staff/")
            page.get_by_label("Passord").fill(PASSWORD)
            page.get_by_role("button", name="Logg inn").click()
            page.get_by_role("link", name="Nyhetsbrev").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Nyhetsbrev")
            page.get_by_label("Artikkel nummer 1 om møter").check()
            page.get_by_label("Emne").fill("Desember hos oss")
            page.get_by_label("Innledning").fill("Hei!\n\nEn ny artikkel.")
            page.get_by_role("button", name="Forhåndsvis").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Desember hos oss")
            expect(page.locator("#ren-tekst")).to_contain_text("En ny artikkel.")
            with context.expect_page() as opened:
                page.get_by_role("link", name="Vis HTML-versjonen").click()
            preview = opened.value
            expect(preview.get_by_role("link", name="Artikkel nummer 1 om møter")).to_be_visible()
            preview.close()
            page.get_by_role("button", name="Send test").click()
            expect(page.get_by_role("status")).to_contain_text("Testen er lagt i utboksen")
            wait_until(lambda: len(mailbox.messages) == 1, 20, "the test")
            assert str(mailbox.messages[0]["To"]) == "kontakt@arcticsales.no"
            page.get_by_label("Jeg har sett på testen").check()
            page.get_by_role("button", name="Send til alle").click()
            expect(page.get_by_role("status")).to_contain_text("lagt i kø")
            expect(page.locator("#antall-sendt")).to_have_text("2", timeout=20000)  # the page refreshes itself
            expect(page.get_by_role("heading", name="Sendt", exact=True)).to_be_visible(timeout=20000)
            page.get_by_role("link", name="Nyhetsbrev").first.click()
            expect(page.locator("tbody tr").first).to_contain_text("Sendt: 2 av 2")
            assert page.get_by_label("Artikkel nummer 1 om møter").count() == 0  # carried: not offered again
            assert outside == [] and errors == []
            context.close()
            assert axe_serious(browser, inbox_url, ["/staff/nyhetsbrev", page.url.split("?")[0],
                                                    page.url.split("?")[0] + "/html"]) == {}
    received = sorted(str(message["To"]) for message in mailbox.messages[1:])
    assert received == ["kari@nordlys.no", "ola@fjord.no"]
    raw = email.message_from_bytes(mailbox.raw[1], policy=policy.compat32)
    assert raw["Subject"] == "Desember hos oss" and raw.get_content_type() == "multipart/alternative"
    engine.dispose()


class RefusingOnce:
    """Takes the whole message, then refuses it after the final "." the first time (451), accepts after."""

    def __init__(self) -> None:
        self.refused = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        if not self.refused:
            self.refused += 1
            return "451 4.3.0 Prøv igjen senere"
        self.accepted.append(envelope.original_content)  # type: ignore[attr-defined]
        return "250 OK"


def test_a_mail_refused_after_its_final_dot_goes_back_into_the_outbox(make_inbox) -> None:
    from aiosmtpd.controller import Controller
    from support import free_port
    server = RefusingOnce()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        client = make_inbox(delivery=mail.SMTPDelivery("127.0.0.1", controller.port, security="none", timeout=5))
        engine = client.inbox.engine
        with store._transaction(engine) as conn:
            store._queue(conn, [store.Mail("ola@fjord.no", "From: post@arcticsales.no\r\nTo: ola@fjord.no\r\n"
                                           "Subject: x\r\n\r\nHei\r\n", "ola@fjord.no")],
                         dt.datetime.now(dt.timezone.utc))
        client.inbox.wake.set()
        wait_for(lambda: server.refused == 1 and store.outbox_state(engine)["waiting"] == 1, what="the refusal")
        with engine.connect() as conn:
            [row] = conn.execute(select(store.outbox)).all()
        assert row.attempts == 1 and "451" in row.last_error  # back, under its own id, to be retried
        with engine.begin() as conn:
            conn.execute(update(store.outbox).values(next_attempt_at=dt.datetime.now(dt.timezone.utc)))
        client.inbox.wake.set()
        wait_for(lambda: len(server.accepted) == 1 and store.outbox_state(engine)["waiting"] == 0, what="delivery")
        time.sleep(0.5)
        assert len(server.accepted) == 1
    finally:
        controller.stop()


def test_the_real_feed_of_a_hostile_build_becomes_plain_titles_escaped_in_the_mail(hostile) -> None:
    """The rss plugin's own feed_json_created.json (a strict MkDocs build), read over HTTP as the inbox reads it."""
    feed = json.loads(hostile.text("feed_json_created.json"))
    site_url = feed["home_page_url"]  # the configured site_url; the build is served from a loopback port
    with serve_folder(hostile.site) as served:
        def fetch(url: str) -> bytes:
            return titles.fetch(served + url.removeprefix(site_url))

        articles = newsletter_mail.read_feed(site_url, fetch)
    assert [a.url for a in articles] and all(a.url.startswith(site_url) for a in articles)
    by_slug = {a.url.rstrip("/").rsplit("/", 1)[-1]: a for a in articles}
    assert by_slug["skript"].title == "Pris </script><script>alert('xss-title')</script> & «sitat»"
    raw = newsletter_mail.compose(
        "Arctic <post@arcticsales.no>", "ola@fjord.no", "Nytt", now=NOW, campaign_name="c",
        intro="", articles=newsletter_mail.article_rows(articles), site_url=site_url,
        unsubscribe_url="https://inbox.arcticsales.no/newsletter/unsubscribe?token=a.b.c").encode("ascii")
    check_newsletter_bytes(raw, "ola@fjord.no", "c")
    _text, html = parts(raw)
    tree = HTMLParser(html)
    assert tree.css("script") == []
    assert by_slug["skript"].title in [node.text() for node in tree.css("h2 a")]
