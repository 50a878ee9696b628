"""Benchmark for the newsletter: one issue to 5,000 confirmed subscribers, through `python -m inbox` to a local
SMTP sink, while staff keep loading the newsletter pages.

    flock /work/bench.lock .venv/bin/python bench/newsletter_bench.py
    flock /work/bench.lock .venv/bin/python bench/newsletter_bench.py --database-url postgresql+psycopg://…/postgres

1. *subscribers* confirmed subscribers are written into a fresh database (SQLite in a temporary folder, or a
   throwaway database made through the given PostgreSQL admin URL), and an issue is made.
2. Sending starts as the staff's «Send til alle» does (``letters.start_sending``): the time of that one
   transaction (all send rows committed) is reported.
3. The inbox runs as a real process with ``--newsletter-per-minute`` *rate*, delivering over SMTP to an
   aiosmtpd sink on loopback that counts each recipient. Two staff clients, logged in, load the issue's
   page (live counts) and the newsletter overview (feed, archive) in a loop the whole time: p50 and p99.
4. The run ends when the issue is finished; every subscriber must have exactly one copy. The achieved rate
   (mails per minute between the first and the last mail at the sink) is reported next to the configured one.

Not a test: the figures depend on the machine. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from inbox import letters, store  # noqa: E402
from support import PASSWORD, PASSWORD_HASH, free_port, serve_folder, wait_healthy  # noqa: E402


class Sink:
    """An SMTP server that only counts: recipient → copies, and when each mail arrived."""

    def __init__(self) -> None:
        self.copies: collections.Counter[str] = collections.Counter()
        self.times: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        with self.lock:
            for recipient in envelope.rcpt_tos:  # type: ignore[attr-defined]
                self.copies[recipient] += 1
            self.times.append(time.monotonic())
        return "250 OK"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def write_feed(folder: Path, site: str) -> None:
    items = [{"id": f"{site}artikler/a{n}/", "url": f"{site}artikler/a{n}/", "title": f"Artikkel {n}",
              "summary": "Kort om artikkelen.", "date_published": f"2026-11-{n + 1:02d}T08:00:00+01:00"}
             for n in range(20)]
    (folder / "feed_json_created.json").write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                                               "home_page_url": site, "items": items}))


def fresh_database(admin: str | None, folder: Path) -> tuple[str, object]:
    """A database URL, and how to drop it afterwards."""
    if not admin:
        return f"sqlite:///{folder / 'inbox.sqlite3'}", lambda: None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return make_url(admin).set(database=name).render_as_string(hide_password=False), drop


class Staff:
    """A logged-in staff client on one keep-alive connection, timing each page."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        origin = f"http://127.0.0.1:{port}"
        self.connection.request("POST", "/staff/login", urlencode({"password": PASSWORD}),
                                {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin})
        answer = self.connection.getresponse()
        answer.read()
        cookie = answer.getheader("set-cookie") or ""
        self.cookie = re.match(r"[^;]+", cookie)[0]  # type: ignore[index]
        assert answer.status == 303, answer.status

    def get(self, path: str) -> float:
        started = time.perf_counter()
        self.connection.request("GET", path, headers={"Cookie": self.cookie})
        answer = self.connection.getresponse()
        answer.read()
        assert answer.status == 200, (path, answer.status)
        return time.perf_counter() - started


def run(database: str, drop: object, folder: Path, subscribers: int, rate: int) -> dict[str, object]:
    engine = store.connect(database)
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)  # before the inbox starts: no welcome mails
    addresses = [f"leser{number:05d}@fjord.no" for number in range(subscribers)]
    with engine.begin() as conn:
        conn.execute(store.subscribers.insert(), [{"email": a, "created_at": moment, "confirmed_at": moment}
                                                  for a in addresses])
    issue_id = letters.create_issue(engine, "Nytt om salgsledelse", "Hei!", [
        {"url": "https://www.arcticsales.no/artikler/a1/", "title": "Artikkel 1", "summary": "Kort.",
         "published": moment.isoformat()}], "bench", moment)
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    (folder / "site").mkdir()
    latencies: dict[str, list[float]] = {"utgave": [], "oversikt": []}
    with serve_folder(folder / "site") as site:
        write_feed(folder / "site", site)
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database, "--site-url", site,
             "--data-dir", str(folder / "data"), "--newsletter-per-minute", str(rate)],
            cwd=REPO, stdout=(folder / "inbox.log").open("w"), stderr=subprocess.STDOUT,
            env={**os.environ, "INBOX_SMTP_HOST": "127.0.0.1", "INBOX_SMTP_PORT": str(controller.port),
                 "INBOX_SMTP_SECURITY": "none", "INBOX_STAFF_PASSWORD_HASH": PASSWORD_HASH,
                 "PYTHONDONTWRITEBYTECODE": "1"})
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process)
            started = time.perf_counter()
            queued = letters.start_sending(engine, issue_id, dt.datetime.now(dt.timezone.utc))
            queue_seconds = time.perf_counter() - started
            stop = threading.Event()

            def staff(kind: str, path: str) -> None:
                client = Staff(port)
                while not stop.is_set():
                    latencies[kind].append(client.get(path))
                    time.sleep(0.1)

            threads = [threading.Thread(target=staff, args=("utgave", f"/staff/nyhetsbrev/{issue_id}")),
                       threading.Thread(target=staff, args=("oversikt", "/staff/nyhetsbrev"))]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 30 + subscribers * 60 / rate * 3
            while letters.sending_issues(engine):
                assert time.monotonic() < deadline, f"not finished: {letters.progress(engine, issue_id)}"
                time.sleep(0.5)
            stop.set()
            for thread in threads:
                thread.join()
        finally:
            process.terminate()
            process.wait(timeout=20)
            controller.stop()
    issue = letters.get_issue(engine, issue_id)
    engine.dispose()
    drop()  # type: ignore[operator]
    twice = [address for address, count in sink.copies.items() if count > 1]
    missing = sorted(set(addresses) - set(sink.copies))
    span = sink.times[-1] - sink.times[0] if len(sink.times) > 1 else float("nan")
    return {"database": make_url(database).get_backend_name(), "subscribers": subscribers, "queued": queued,
            "queue_ms": round(queue_seconds * 1000), "received": sum(sink.copies.values()), "twice": len(twice),
            "missing": len(missing), "sent_count": issue["sent"], "rate": rate,
            "achieved_per_minute": round((len(sink.times) - 1) / span * 60) if span == span else None,
            "seconds": round(span, 1), **{f"{kind}_{name}_ms": round(percentile(values, share) * 1000, 1)
                                          for kind, values in latencies.items()
                                          for name, share in (("p50", 0.5), ("p99", 0.99))},
            "staff_requests": sum(len(values) for values in latencies.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="a PostgreSQL admin URL; a throwaway database is made")
    parser.add_argument("--subscribers", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=6000, help="--newsletter-per-minute of the inbox")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        database, drop = fresh_database(args.database_url or None, folder)
        result = run(database, drop, folder, args.subscribers, args.rate)
    print(json.dumps(result, indent=2))
    return 0 if result["twice"] == 0 and result["missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
