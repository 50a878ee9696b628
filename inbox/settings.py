"""The inbox's settings: command-line options, each with an environment variable and a default."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from hub.forms import LOCAL_HOSTS, origin

from .mail import Delivery

# The repository's git-ignored data folder: the SQLite file, the secret key, mail in local preview.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
# The names of this machine (hub/forms.py), and ::1 as a Host header writes it: the inbox runs without a
# staff password only there, and a loopback inbox answers to each of them (no outside DNS name can point a
# visitor's browser at them).
LOOPBACK = (*sorted(LOCAL_HOSTS), "[::1]")


@dataclass(frozen=True)
class Settings:
    database_url: str
    site_url: str                     # the site the forms are on; Origin must match, thank-you pages live here
    public_url: str                   # this inbox's own address, for the links in email
    secret: bytes                     # signs confirmation links and staff sessions
    delivery: Delivery
    staff_password_hash: str = ""     # scrypt hash (python -m inbox --hash-password); empty: no staff login
    mail_from: str = "Arctic Sales Development <post@arcticsales.no>"
    staff_email: str = "kontakt@arcticsales.no"  # gets a notification for every booking request
    retention_days: int = 365         # leads are deleted this many days after they arrive
    confirm_hours: int = 72           # a confirmation link works this long; unconfirmed signups go after it
    rate_limit: int = 10              # form posts per client and minute; 0 turns the limit off
    max_body: int = 16 * 1024         # bytes; larger posts get 413
    # Reverse proxies (addresses or networks, e.g. "10.0.0.0/8") whose X-Forwarded-For is believed; the
    # client is the right-most hop that is not one of them. Empty: the peer address is the client.
    forwarded_allow_ips: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()  # Host names accepted besides the public URL's (e.g. a health-check name)
    session_hours: int = 8            # a staff login lasts at most this long
    idle_minutes: int = 30            # … and ends after this long without a request
    read_timeout: float = 10.0        # seconds a request body may take to arrive; slower gets 408
    # The web editor's sign-in (issue 17, inbox/oauth.py): a GitHub OAuth app. Without a client id,
    # secret and repository the two /oauth/github/ routes answer 404.
    github_client_id: str = ""        # the OAuth app's client id (INBOX_GITHUB_CLIENT_ID)
    github_client_secret: str = ""    # its secret (INBOX_GITHUB_CLIENT_SECRET); sent to GitHub only, never a browser
    github_repo: str = ""             # owner/name the editor writes to; only accounts that may push get a token
    github_url: str = "https://github.com"          # sign-in and code exchange (tests: a fake on loopback)
    github_api_url: str = "https://api.github.com"  # where write access is checked (tests: a fake on loopback)
    # --- booking with time slots (issue 20, inbox/booking.py) ---
    availability_path: str = ""       # YAML/JSON with consultants' hours etc.; empty: requests without a time
    busy_refresh_minutes: float = 5.0  # how often the consultants' busy calendars (ICS feeds) are read again
    # --- newsletter (issue 18) ---
    newsletter_per_minute: int = 60   # newsletter mails handed to the outbox per minute (SMTP providers limit it)
    # --- statistics (issue 19, inbox/stats.py) ---
    hit_rate_limit: int = 120         # page-view beacons per client and minute; 0 turns the limit off

    @property
    def site_origin(self) -> str:
        return origin(self.site_url)

    @property
    def public_origin(self) -> str:
        return origin(self.public_url)

    @property
    def public_host(self) -> str:
        return (urlsplit(self.public_url).hostname or "").lower()

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")


def with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def load_secret(data_dir: Path) -> bytes:
    """INBOX_SECRET, or a key generated once into the data folder (readable by the owner only)."""
    if value := os.environ.get("INBOX_SECRET"):
        return value.encode("utf-8")
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode("utf-8")
