"""Signed, expiring tokens (confirmation links, staff sessions) and staff password hashes. Pure, stdlib only.

A token is ``payload.timestamp.signature`` in URL-safe base64. The signature
is an HMAC-SHA256 over a *purpose* as well as the payload, so a token made for
one use (say, unsubscribing) is worthless for another (confirming).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

# scrypt at n=2**14, r=8, p=1: about 50 ms and 16 MB per check, OWASP's floor for interactive logins.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class BadToken(ValueError):
    """The token was tampered with, made for another purpose, or is malformed."""


class ExpiredToken(BadToken):
    """The token was genuine but is older than its allowed age."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Makes and checks tokens with one secret key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the secret key must be at least 32 bytes")
        self._secret = secret

    def _mac(self, purpose: str, body: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}\x00{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: str, now: float | None = None) -> str:
        body = f"{_b64(payload.encode('utf-8'))}.{int(time.time() if now is None else now)}"
        return f"{body}.{self._mac(purpose, body)}"

    def verify(self, purpose: str, token: str, max_age: float | None, now: float | None = None) -> str:
        """The payload of a genuine token no older than *max_age* seconds (None: any age)."""
        try:
            encoded, stamp, mac = token.split(".")
            issued = int(stamp)
        except ValueError:
            raise BadToken("malformed token") from None
        if not same(mac, self._mac(purpose, f"{encoded}.{stamp}")):
            raise BadToken("bad signature")
        if max_age is not None and (time.time() if now is None else now) - issued > max_age:
            raise ExpiredToken("expired")
        try:
            return _unb64(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise BadToken("bad payload") from None

    def digest(self, purpose: str, value: str) -> str:
        """A keyed hash: the staff CSRF token, the password tag of sessions, the keys of rate limits."""
        return self._mac(purpose, value)


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of text from a request; any character is allowed (compare_digest on a
    non-ASCII str raises TypeError, so both sides are compared as UTF-8 bytes)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash``: what INBOX_STAFF_PASSWORD_HASH holds."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether *password* matches a hash from :func:`hash_password`; a malformed hash never matches."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                dklen=32, maxmem=128 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def valid_password_hash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) == 6 and parts[0] == "scrypt" and all(part.isdigit() for part in parts[1:4])
