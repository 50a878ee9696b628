"""`python -m inbox` as a real process: start-up, settings, password hashes, and surviving SIGKILL."""

from __future__ import annotations

import http.client
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from inbox import store, tokens
from support import REPO, SITE, SITE_ORIGIN, inbox_server

pytestmark = pytest.mark.slow  # every test starts `python -m inbox`


def run_inbox(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "inbox", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=60)


def test_starts_on_loopback_with_sqlite_in_wal_mode_and_a_session_password(tmp_path: Path) -> None:
    with inbox_server("", SITE, tmp_path / "data") as (url, _process, log):
        assert urlsplit(url).hostname == "127.0.0.1"
    database = tmp_path / "data" / "inbox.sqlite3"
    assert database.exists() and (tmp_path / "data" / "secret.key").stat().st_mode & 0o077 == 0
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    output = log.read_text()
    assert f"Ansattsiden: {url}/staff/ – passord for denne økten: " in output


def test_refuses_to_listen_publicly_without_a_staff_password(tmp_path: Path) -> None:
    result = run_inbox("--host", "0.0.0.0", "--data-dir", str(tmp_path), env={"INBOX_STAFF_PASSWORD_HASH": ""})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "INBOX_STAFF_PASSWORD_HASH er ikke satt" in result.stderr


def test_a_malformed_password_hash_is_named(tmp_path: Path) -> None:
    result = run_inbox("--data-dir", str(tmp_path), env={"INBOX_STAFF_PASSWORD_HASH": "hunter2"})
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "INBOX_STAFF_PASSWORD_HASH er ikke en hash fra `python -m inbox --hash-password`" in result.stderr


def test_hash_password_prints_a_hash_that_logs_in() -> None:
    result = run_inbox("--hash-password", stdin="et langt og godt passord\n")
    assert result.returncode == 0
    assert tokens.check_password("et langt og godt passord", result.stdout.strip())
    short = run_inbox("--hash-password", stdin="kort\n")
    assert short.returncode != 0 and "Bruk minst 12 tegn." in short.stderr


def post(url: str, token: str) -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        body = urlencode({"email": f"{token}@last.no", "consent": "ja", "form_token": token})
        connection.request("POST", "/newsletter", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": SITE_ORIGIN, "Accept": "application/json"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_every_acknowledged_submission_survives_sigkill(tmp_path: Path, database_url: str) -> None:
    """Kill the server mid-load: whatever was answered 2xx is in the database after a restart."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    with inbox_server(database_url, SITE, tmp_path / "data", "--rate-limit", "0") as (url, process, _log):
        def client(number: int) -> None:
            for n in range(200):
                token = f"kill-{number:02d}-{n:04d}"
                try:
                    status = post(url, token)
                except OSError:
                    return  # the server is gone
                if 200 <= status < 300:
                    with lock:
                        acknowledged.append(token)
        threads = [threading.Thread(target=client, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 150:
            assert time.monotonic() < deadline, "the load never reached 150 answers"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)
    assert 150 <= len(acknowledged) < 1600
    with inbox_server(database_url, SITE, tmp_path / "data") as _:
        engine = store.connect(database_url)
        stored = set(store.lead_tokens(engine))
        engine.dispose()
    assert set(acknowledged) <= stored
    assert len(stored) == len(set(stored))


def test_database_url_option_points_elsewhere(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "leads.sqlite3"
    with inbox_server(f"sqlite:///{target}", SITE, tmp_path / "data"):
        assert target.exists()
    assert not (tmp_path / "data" / "inbox.sqlite3").exists()
