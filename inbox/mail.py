"""Email: the Norwegian texts, and delivery over SMTP or into a folder for local preview.

Mail is never sent inside a request. The request stores it in the outbox table
in the same transaction as the submission; :func:`drain` delivers it and
removes it once the SMTP server has accepted it. A failed delivery stays in
the outbox and is retried with growing pauses, so an SMTP outage delays mail
but never loses it, and the staff page shows what is waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

log = logging.getLogger("inbox.mail")

_texts = Environment(loader=PackageLoader("inbox", "templates/mail"), undefined=StrictUndefined,
                     autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def compose(sender: str, recipient: str, subject: str, template: str, *, reply_to: str = "",
            unsubscribe: str = "", now: dt.datetime, **context: object) -> str:
    """A plain-text email in quoted-printable UTF-8, as text for the outbox."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or "localhost")
    if reply_to:
        message["Reply-To"] = reply_to
    if unsubscribe:
        # RFC 2369 and RFC 8058: mail programs show an «Avslutt abonnement» button that posts here.
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = _texts.get_template(template).render(unsubscribe=unsubscribe, **context)
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    return message.as_string()


class Delivery(Protocol):
    def send(self, recipient: str, message: str) -> None: ...


@dataclass(frozen=True)
class SMTPDelivery:
    """Delivery through an SMTP server; *security* is "none", "starttls" or "ssl"."""

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    def send(self, recipient: str, message: str) -> None:
        parsed = message_from_string(message, policy=policy.SMTP)
        context = ssl.create_default_context()
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            client.send_message(parsed, to_addrs=[recipient])


@dataclass(frozen=True)
class FolderDelivery:
    """Local preview without an SMTP server: each email becomes an .eml file, and the log says where."""

    folder: Path

    def send(self, recipient: str, message: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{recipient.replace('@', '_at_')}.eml"
        path.write_text(message, encoding="utf-8")
        parsed = message_from_string(message, policy=policy.default)
        body = parsed.get_body(("plain",))
        links = [line.strip() for line in (body.get_content() if body else "").splitlines()
                 if line.strip().startswith("http")]
        log.info("E-post til %s («%s») lagret i %s%s", recipient, parsed["Subject"], path,
                 "".join(f"\n    {link}" for link in links))


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours apart."""
    return dt.timedelta(minutes=min(2 ** attempts, 360))


def booking_notification(sender, recipient, lead, *, now, article_url, staff_url):  # TEMPORARY
    return compose(sender, recipient, "Ny forespørsel om møte: " + lead["name"] + (f" ({lead['company']})" if lead["company"] else ""),
                   "booking.txt", reply_to=lead["email"], now=now, lead=lead, article_url=article_url, staff_url=staff_url)


def confirmation(sender, recipient, *, now, confirm_url, unsubscribe_url, hours):  # TEMPORARY
    return compose(sender, recipient, "Bekreft påmeldingen til nyhetsbrevet", "confirm.txt", now=now,
                   confirm=confirm_url, unsubscribe=unsubscribe_url, hours=hours)
