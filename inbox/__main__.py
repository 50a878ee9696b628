"""``python -m inbox``: run the lead inbox. ``--help`` lists every option and its environment variable."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import secrets
import sys
from email.utils import parseaddr
from pathlib import Path

from . import limits, messages, serving, tokens, validation
from .mail import Delivery, FolderDelivery, SMTPDelivery
from .settings import DATA_DIR, LOOPBACK, Settings, load_secret, with_slash

log = logging.getLogger("inbox")


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m inbox",
        description="Tar imot møteforespørsler og påmeldinger til nyhetsbrevet fra nettstedets skjemaer.")
    p.add_argument("--host", default=_env("INBOX_HOST", "127.0.0.1"), help="adressen innboksen lytter på (INBOX_HOST)")
    p.add_argument("--port", type=int, default=int(_env("INBOX_PORT", "8001")), help="porten (INBOX_PORT)")
    p.add_argument("--data-dir", type=Path, default=Path(_env("INBOX_DATA_DIR", str(DATA_DIR))),
                   help="mappen for SQLite-filen, den hemmelige nøkkelen og e-post i forhåndsvisningen "
                        "(INBOX_DATA_DIR)")
    p.add_argument("--database-url", default=_env("INBOX_DATABASE_URL"),
                   help="SQLAlchemy-adresse, for eksempel postgresql+psycopg://bruker:passord@vert/db "
                        "(INBOX_DATABASE_URL; standard: SQLite i datamappen)")
    p.add_argument("--site-url", default=_env("INBOX_SITE_URL", "http://127.0.0.1:8000/"),
                   help="nettstedet med skjemaene; innsendinger må komme derfra (INBOX_SITE_URL)")
    p.add_argument("--public-url", default=_env("INBOX_PUBLIC_URL"),
                   help="innboksens adresse slik leserne når den, for lenker i e-post (INBOX_PUBLIC_URL)")
    p.add_argument("--retention-days", type=int, default=int(_env("INBOX_RETENTION_DAYS", "365")),
                   help="slett henvendelser så mange dager etter at de kom (INBOX_RETENTION_DAYS)")
    p.add_argument("--rate-limit", type=int, default=int(_env("INBOX_RATE_LIMIT", "10")),
                   help="skjemainnsendinger per klient og minutt, 0 for ingen grense (INBOX_RATE_LIMIT)")
    p.add_argument("--forwarded-allow-ips", default=_env("INBOX_FORWARDED_ALLOW_IPS"),
                   help="kommaseparerte adresser eller nett for reverse proxyene hvis X-Forwarded-For "
                        "stoles på, for eksempel 127.0.0.1 (INBOX_FORWARDED_ALLOW_IPS; standard: ingen)")
    p.add_argument("--allowed-hosts", default=_env("INBOX_ALLOWED_HOSTS"),
                   help="kommaseparerte vertsnavn som godtas i tillegg til den offentlige adressens "
                        "(INBOX_ALLOWED_HOSTS)")
    p.add_argument("--idle-minutes", type=int, default=int(_env("INBOX_IDLE_MINUTES", "30")),
                   help="en innlogging på ansattsiden slutter etter så mange minutter uten bruk (INBOX_IDLE_MINUTES)")
    p.add_argument("--read-timeout", type=float, default=float(_env("INBOX_READ_TIMEOUT", "10")),
                   help="sekunder hodet og deretter innholdet i en forespørsel får bruke; et sent hode "
                        "lukker forbindelsen, et sent innhold får 408 (INBOX_READ_TIMEOUT)")
    p.add_argument("--max-connections", type=int, default=int(_env("INBOX_MAX_CONNECTIONS", "200")),
                   help="åpne forbindelser og forespørsler samtidig; flere får 503 (INBOX_MAX_CONNECTIONS)")
    # --- booking with time slots (issue 20, inbox/booking.py) ---
    p.add_argument("--availability", default=_env("INBOX_AVAILABILITY"),
                   help="YAML- eller JSON-fil med konsulentenes arbeidstider, møtelengde, buffer, varsel og "
                        "horisont (INBOX_AVAILABILITY; se inbox/availability.example.yaml). Uten den, og til "
                        "ansattsiden lagrer sin egen, er bookingskjemaet en forespørsel uten tidspunkt")
    p.add_argument("--busy-refresh-minutes", type=float, default=float(_env("INBOX_BUSY_REFRESH_MINUTES", "5")),
                   help="minutter mellom hver lesing av konsulentenes kalendere (ICS) (INBOX_BUSY_REFRESH_MINUTES)")
    # --- newsletter (issue 18) ---
    p.add_argument("--newsletter-per-minute", type=int, default=int(_env("INBOX_NEWSLETTER_PER_MINUTE", "60")),
                   help="e-poster med nyhetsbrev per minutt, minst 1; SMTP-leverandører begrenser det "
                        "(INBOX_NEWSLETTER_PER_MINUTE)")
    # --- statistics (issue 19, inbox/stats.py) ---
    p.add_argument("--hit-rate-limit", type=int, default=int(_env("INBOX_HIT_RATE_LIMIT", "120")),
                   help="sidevisninger som telles per klientadresse og minutt, 0 slår grensen av (INBOX_HIT_RATE_LIMIT)")
    p.add_argument("--hash-password", action="store_true",
                   help="skriv ut en hash til INBOX_STAFF_PASSWORD_HASH og avslutt")
    return p


def delivery(data_dir: Path) -> Delivery:
    """SMTP when INBOX_SMTP_HOST is set, else .eml files in the data folder (local preview)."""
    host = _env("INBOX_SMTP_HOST")
    if not host:
        return FolderDelivery(data_dir / "mail")
    security = _env("INBOX_SMTP_SECURITY", "starttls")
    if security not in {"starttls", "ssl", "none"}:
        sys.exit(messages.START_SMTP_SECURITY.format(value=repr(security)))
    return SMTPDelivery(host, int(_env("INBOX_SMTP_PORT", "587")), security,
                        _env("INBOX_SMTP_USER"), _env("INBOX_SMTP_PASSWORD"))


def private_data_dir(path: Path) -> None:
    """The data folder for the owner only: it holds the leads, the secret key and preview mail.

    The umask covers every file this process makes; store and mail also set
    their files' modes themselves, so an inbox started some other way is safe too.
    """
    os.umask(0o077)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def mail_addresses() -> tuple[str, str]:
    """INBOX_MAIL_FROM and INBOX_STAFF_EMAIL, checked now: a bad one would fail every mail, as a 500."""
    mail_from = _env("INBOX_MAIL_FROM", Settings.mail_from)
    staff_email = _env("INBOX_STAFF_EMAIL", Settings.staff_email)
    name, address = parseaddr(mail_from)
    for variable, value in (("INBOX_MAIL_FROM", address), ("INBOX_STAFF_EMAIL", staff_email)):
        if (value or variable == "INBOX_MAIL_FROM") and validation.email_error(validation.normalise_email(value)):
            sys.exit(messages.START_ADDRESS.format(variable=variable, value=repr(value)))
    if not name.isprintable() or "=?" in name:
        sys.exit(messages.START_MAIL_FROM_NAME)
    return mail_from, staff_email


def settings_from(args: argparse.Namespace) -> Settings:
    public = args.public_url or f"http://{args.host}:{args.port}"
    mail_from, staff_email = mail_addresses()
    password_hash = _env("INBOX_STAFF_PASSWORD_HASH")
    if password_hash and not tokens.valid_password_hash(password_hash):
        sys.exit(messages.START_HASH_INVALID)
    if not password_hash:
        if args.host not in LOOPBACK:
            sys.exit(messages.START_HASH_MISSING)
        password = secrets.token_urlsafe(12)
        password_hash = tokens.hash_password(password)
        log.warning(messages.LOG_SESSION_PASSWORD, public.rstrip("/"), password)
    return Settings(
        database_url=args.database_url or f"sqlite:///{(args.data_dir / 'inbox.sqlite3').resolve()}",
        site_url=with_slash(args.site_url),
        public_url=public.rstrip("/"),
        secret=load_secret(args.data_dir),
        delivery=delivery(args.data_dir),
        staff_password_hash=password_hash,
        mail_from=mail_from,
        staff_email=staff_email,
        retention_days=args.retention_days,
        rate_limit=args.rate_limit,
        forwarded_allow_ips=_split(args.forwarded_allow_ips),
        allowed_hosts=tuple(host.lower() for host in _split(args.allowed_hosts)),
        idle_minutes=args.idle_minutes,
        read_timeout=args.read_timeout,
        # The web editor's sign-in (issue 17): from the environment only, so the secret is in no command line.
        github_client_id=_env("INBOX_GITHUB_CLIENT_ID"),
        github_client_secret=_env("INBOX_GITHUB_CLIENT_SECRET"),
        github_repo=_env("INBOX_GITHUB_REPO"),
        github_url=_env("INBOX_GITHUB_URL", "https://github.com"),
        github_api_url=_env("INBOX_GITHUB_API_URL", "https://api.github.com"),
        # booking with time slots (issue 20)
        availability_path=str(Path(args.availability).resolve()) if args.availability else "",
        busy_refresh_minutes=args.busy_refresh_minutes,
        # --- newsletter (issue 18) ---
        newsletter_per_minute=max(1, args.newsletter_per_minute),
        # --- statistics (issue 19) ---
        hit_rate_limit=args.hit_rate_limit,
    )


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.hash_password:
        password = getpass.getpass("Passord: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if len(password) < 12:
            sys.exit("Bruk minst 12 tegn.")
        print(tokens.hash_password(password))
        return
    logging.basicConfig(level=logging.INFO, format="inbox: %(message)s")
    private_data_dir(args.data_dir)
    import uvicorn

    from .app import create_app

    settings = settings_from(args)
    try:
        limits.parse_networks(settings.forwarded_allow_ips)
    except ValueError as error:
        sys.exit(messages.START_PROXIES.format(error=error))
    if settings.availability_path:  # issue 20: a wrong availability file stops the start, with the key that is wrong
        from .booking import read_file
        from .slots import AvailabilityError
        try:
            read_file(Path(settings.availability_path))
        except AvailabilityError as error:
            sys.exit(messages.START_AVAILABILITY.format(error=error))
    log.info(messages.LOG_LISTENING, settings.site_url, settings.public_url)
    # proxy_headers off: the inbox reads X-Forwarded-For itself, per hop, from trusted proxies only.
    # timeout_keep_alive ends idle connections; limit_concurrency caps open connections and requests
    # (503 past it); the request head and then the body each have settings.read_timeout. Per-address
    # connection limits belong to the reverse proxy (README, «Production»).
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning",
                server_header=False, proxy_headers=False, timeout_keep_alive=5,
                limit_concurrency=args.max_connections, http=serving.protocol(settings.read_timeout))


if __name__ == "__main__":
    main()
