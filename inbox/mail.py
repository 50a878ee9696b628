"""Email: the Norwegian texts, and delivery over SMTP or into a folder for local preview.

Mail is never sent inside a request. The request stores it in the outbox table
in the same transaction as the submission; :func:`inbox.worker.drain` delivers it and
removes it once the SMTP server has accepted it. A failed delivery stays in
the outbox and is retried with growing pauses, so an SMTP outage delays mail
but never loses it, and the staff page shows what is waiting.

Headers carry no visitor text. Python's email package decodes an RFC 2047
encoded word (``=?utf-8?q?…=0D=0A…?=``) when it folds a header and writes
what it hides as real header lines, so a name in the subject could add a Bcc
or replace the body. The subject is fixed text (plus the article's slug, which
is ``[a-z0-9-]``), the visitor's name and message go in the body only, and an
address reaches a header only after :func:`validation.email_error` accepted it,
IDNA-encoded, without a display name. After composing, the message is parsed
again and must have exactly the intended headers, each on one line.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import message_from_string, policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, PackageLoader, StrictUndefined

from . import messages, validation

log = logging.getLogger("inbox.mail")

_texts = Environment(loader=PackageLoader("inbox", "templates/mail"), undefined=StrictUndefined,
                     autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)

BOOKING_SUBJECT = "Ny forespørsel om møte"
CONFIRMATION_SUBJECT = "Bekreft påmeldingen til nyhetsbrevet"
MAX_LINE = 998  # octets per line, CRLF excluded (RFC 5322 2.1.1)

# Headers are written unfolded: every value is short and validated, and List-Unsubscribe must reach mail
# programs as one raw <URL> (RFC 2369), which the default policy would RFC 2047-encode and fold.
_ONE_LINE = policy.SMTP.clone(max_line_length=None)
# A link in List-Unsubscribe: printable ASCII without spaces, quotes or angle brackets.
_URL = re.compile(r"https?://[\x21\x23-\x3b\x3d\x3f-\x7e]+")
_LOGGABLE_SUBJECT = re.compile(
    rf"{re.escape(CONFIRMATION_SUBJECT)}|{re.escape(BOOKING_SUBJECT)}(?: \([a-z0-9-]+\))?")


class UnsafeHeader(ValueError):
    """A value would change the header set of a mail; the mail is not built."""


def booking_notification(sender: str, recipient: str, lead: Mapping[str, str], *, now: dt.datetime,
                         article_url: str, staff_url: str) -> str:
    """The staff's notice of a booking request; Reply-To is the visitor's validated address and nothing else."""
    slug = lead.get("article", "")
    subject = f"{BOOKING_SUBJECT} ({slug})" if validation.SLUG.fullmatch(slug) else BOOKING_SUBJECT
    return _compose(sender, recipient, subject, "booking.txt", reply_to=lead["email"], now=now, lead=lead,
                    article_url=article_url, staff_url=staff_url)


def confirmation(sender: str, recipient: str, *, now: dt.datetime, confirm_url: str, unsubscribe_url: str,
                 hours: int) -> str:
    """The double opt-in mail, with one-click unsubscribe headers (RFC 2369 and RFC 8058)."""
    return _compose(sender, recipient, CONFIRMATION_SUBJECT, "confirm.txt", unsubscribe=unsubscribe_url, now=now,
                    confirm=confirm_url, hours=hours)


def _compose(sender: str, recipient: str, subject: str, template: str, *, reply_to: str = "",
             unsubscribe: str = "", now: dt.datetime, **context: object) -> str:
    """A plain-text email in quoted-printable UTF-8 with CRLF line ends, as text for the outbox."""
    name, from_address = parseaddr(sender)
    intended = {
        "From": _address(from_address, _safe(name, "display name")),
        "To": _address(recipient),
        "Subject": _safe(subject, "subject"),
        "Date": format_datetime(now),
        "Message-ID": make_msgid(domain=_address(from_address).rpartition("@")[2]),
    }
    if reply_to:
        intended["Reply-To"] = _address(reply_to)
    if unsubscribe:
        # Mail programs show an «Avslutt abonnement» button that posts here.
        if not _URL.fullmatch(unsubscribe):
            raise UnsafeHeader("List-Unsubscribe: not a plain http(s) link")
        intended["List-Unsubscribe"] = f"<{unsubscribe}>"
        intended["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(policy=policy.SMTP)
    for header, value in intended.items():
        message[header] = value
    body = _texts.get_template(template).render(unsubscribe=unsubscribe, **context)
    message.set_content(body, charset="utf-8", cte="quoted-printable")
    text = message.as_string(policy=_ONE_LINE)
    _check(text, intended)
    return text


def _safe(value: str, what: str) -> str:
    """*value* unchanged if it cannot start a header line or an encoded word; else UnsafeHeader.

    Only for the inbox's own text (the subject, the sender's name from the settings): visitor text never
    reaches a header, so this guards against a change of code, not against a visitor.
    """
    if "=?" in value or not value.isprintable():  # isprintable: no CR, LF, U+2028, U+0085 or other controls
        raise UnsafeHeader(f"{what}: control characters or an RFC 2047 marker")
    return value


def _address(address: str, display_name: str = "") -> str:
    """A validated address with an IDNA domain; a display name only from the inbox's own settings."""
    try:
        encoded = validation.ascii_email(validation.normalise_email(address))
    except ValueError:
        raise UnsafeHeader("an address that did not pass validation") from None
    username, _, domain = encoded.rpartition("@")
    return str(Address(display_name=display_name, username=username, domain=domain))


def _check(text: str, intended: Mapping[str, str]) -> None:
    """Parse the composed mail again: exactly the intended headers, one line each, and an ASCII message."""
    if not text.isascii():
        raise UnsafeHeader("the composed mail is not ASCII")
    head, separator, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not separator or any(len(line) > MAX_LINE or not line or line[0] in " \t" for line in lines):
        raise UnsafeHeader("a header line is folded, empty or longer than 998 octets")
    parsed = message_from_string(text, policy=policy.compat32)  # nothing decoded
    expected = [*intended, "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]
    if parsed.keys() != expected or parsed.is_multipart():
        raise UnsafeHeader(f"the composed mail has the headers {parsed.keys()}, not {expected}")
    for header, value in intended.items():
        raw = parsed[header]
        shown = str(make_header(decode_header(raw))) if header in {"From", "Subject"} else raw
        if shown != value:
            raise UnsafeHeader(f"{header} came out as something else")


def describe_error(error: BaseException) -> str:
    """An SMTP failure for the log: its class and reply code, never its text (servers echo the recipient)."""
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code = ",".join(str(reply[0]) for reply in error.recipients.values())
    return f"{type(error).__name__}{f' {code}' if code else ''}"


# Called by a delivery once the server holds the whole message but before the final "." that makes it
# accept it: it commits the mail as handed over and says whether to go on. False: the mail is gone from
# the outbox meanwhile (an unsubscribe, an erasure, another process), and the server is left without the
# final "." so it discards what it got. A process killed before the commit sent nothing (the server drops
# a message without its "."), and the mail is still in the outbox; killed after it, the one write of
# ".\r\n" is all that was left to do. So no mail is ever delivered twice (see README, «Utboksen»).
HandOver = Callable[[], bool]


class Withdrawn(Exception):
    """The mail left the outbox while it was being sent; the server got no final "." and drops it."""


class Delivery(Protocol):
    def send(self, recipient: str, message: str, handed_over: HandOver | None = None) -> None: ...


def refused(error: BaseException) -> bool:
    """Whether a failure after the hand-over is the server's explicit refusal (the mail is surely not
    delivered: put it back), rather than a lost connection (perhaps delivered: not sent again)."""
    return isinstance(error, smtplib.SMTPResponseException)


@dataclass(frozen=True)
class SMTPDelivery:
    """Delivery through an SMTP server; *security* is "none", "starttls" or "ssl"."""

    host: str
    port: int
    security: str = "starttls"
    username: str = ""
    password: str = ""
    timeout: float = 20.0

    def send(self, recipient: str, message: str, handed_over: HandOver | None = None) -> None:
        """The composed bytes as they are: send_message would fold the headers again (and encode them)."""
        sender = parseaddr(message_from_string(message, policy=policy.compat32)["From"] or "")[1]
        to = validation.ascii_email(validation.normalise_email(recipient))
        context = _tls_context() if self.security != "none" else None
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with client:
            if self.security == "starttls":
                client.starttls(context=context)
            if self.username:
                client.login(self.username, self.password)
            if handed_over is None:
                client.sendmail(sender, [to], message.encode("ascii"))
            else:
                _send_handing_over(client, sender, to, message.encode("ascii"), handed_over)


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One context per process: making one loads the CA store (about 0.2 s), which capped sending at ~4/s."""
    return ssl.create_default_context()


def _send_handing_over(client: smtplib.SMTP, sender: str, to: str, data: bytes, handed_over: HandOver) -> None:
    """smtplib's sendmail, with :data:`HandOver` between the message and its final "."."""
    if client.sock is not None:  # the final "." goes alone: without this, Nagle holds it ~40 ms for an ACK
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.ehlo_or_helo_if_needed()
    code, reply = client.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    code, reply = client.rcpt(to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({to: (code, reply)})
    code, reply = client.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", data)  # dot-stuffing (RFC 5321 4.5.2), as smtplib.data does
    client.send(body if body.endswith(b"\r\n") else body + b"\r\n")
    if not handed_over():
        client.close()  # no QUIT: inside DATA it would be message text; the server drops the unfinished mail
        raise Withdrawn
    client.send(b".\r\n")
    code, reply = client.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


@dataclass(frozen=True)
class FolderDelivery:
    """Local preview without an SMTP server: each email becomes an .eml file readable by its owner only.

    The file is named by time and a random id, never by the recipient (an address may hold a ``/``); the log
    names the file and the subject, which is fixed text, and neither the recipient nor the links.
    """

    folder: Path

    def send(self, recipient: str, message: str, handed_over: HandOver | None = None) -> None:
        if not self.folder.is_dir():
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        path = self.folder / f"{stamp}-{secrets.token_hex(6)}.eml"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(fd, 0o600)  # whatever the umask
        with os.fdopen(fd, "w", encoding="ascii", newline="") as handle:
            handle.write(message)
        if handed_over is not None and not handed_over():
            path.unlink()
            raise Withdrawn
        subject = str(message_from_string(message, policy=policy.default)["Subject"])
        log.info(messages.LOG_MAIL_SAVED, path.name,
                 subject if _LOGGABLE_SUBJECT.fullmatch(subject) else messages.LOG_MAIL_SAVED_OLD)


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours apart."""
    return dt.timedelta(minutes=min(2 ** attempts, 360))

