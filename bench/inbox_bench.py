"""Benchmark for the lead inbox: load on loopback, then SIGKILL in the middle of a load run.

    .venv/bin/python bench/inbox_bench.py                      # SQLite in a temporary folder
    .venv/bin/python bench/inbox_bench.py --database-url postgresql+psycopg://…/db

1. *submissions* form posts (half booking requests, half newsletter signups,
   each with its own form token, as the site's script sends them) from
   *clients* concurrent keep-alive clients to `python -m inbox` on 127.0.0.1.
   Every answer must be 2xx and every submission stored exactly once; p50 and
   p99 latency are reported. The rate limit is off (all clients share one
   address); mail goes to the data folder, as in local preview.
   Then the same load with the limits on: each client posts as its own
   address through a trusted proxy, so every post is counted in the
   database's limit table (the cost of limits shared across processes).
2. The same load against a fresh database, and SIGKILL to the server once
   *kill_after* answers have come back. After a restart, every submission
   that was answered 2xx must be in the database.

Not a test: the figures depend on the machine. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from inbox import store  # noqa: E402
from support import free_port, wait_healthy  # noqa: E402

SITE = "http://127.0.0.1:8000/"
HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1:8000",
           "Accept": "application/json"}


# With limits on, each client thread posts as its own address through a trusted proxy (127.0.0.1), so every
# post is counted in the database's rate limit table, as in production behind nginx.
LIMITS = ["--rate-limit", "1000", "--forwarded-allow-ips", "127.0.0.1"]


def start(database_url: str, data: Path, options: list[str] | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database_url, "--site-url", SITE,
         "--data-dir", str(data), *(options or ["--rate-limit", "0"])],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "INBOX_SMTP_HOST": "", "PYTHONDONTWRITEBYTECODE": "1"})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    except AssertionError as error:
        process.kill()
        raise SystemExit(f"the inbox did not start: {error}") from None
    return process, port


def body(number: int, token: str) -> tuple[str, str]:
    if number % 2:
        return "/newsletter", urlencode({"email": f"leser{number}@bench.no", "consent": "ja", "website": "",
                                         "article": "coaching-i-praksis", "form_token": token})
    return "/booking", urlencode({"name": f"Kunde {number}", "company": "Bench AS", "email": f"kunde{number}@bench.no",
                                  "message": "Vi vil gjerne snakke om oppfølging av tilbud.", "consent": "ja",
                                  "website": "", "article": "coaching-i-praksis", "form_token": token})


@dataclass
class Load:
    """What the clients saw: latencies of 2xx answers, their tokens, and everything else."""

    latencies: list[float] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, port: int, clients: int, submissions: int, prefix: str) -> None:
        per_client = submissions // clients
        threads = [threading.Thread(target=self.client, args=(port, c, per_client, prefix)) for c in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def client(self, port: int, number: int, count: int, prefix: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in range(count):
            token = f"{prefix}-{number:03d}-{n:05d}"
            path, payload = body(number * count + n, token)
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=payload,
                                   headers={**HEADERS, "X-Forwarded-For": f"198.51.100.{number % 250 + 1}"})
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.other.append(type(error).__name__)
                connection.close()
                if isinstance(error, ConnectionRefusedError):
                    return
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            elapsed = time.perf_counter() - started
            with self.lock:
                if 200 <= response.status < 300:
                    self.latencies.append(elapsed)
                    self.acknowledged.append(token)
                else:
                    self.other.append(str(response.status))
        connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def load_run(database_url: str, data: Path, clients: int, submissions: int, options: list[str] | None = None) -> None:
    process, port = start(database_url, data, options)
    load = Load()
    started = time.perf_counter()
    load.run(port, clients, submissions, "load")
    wall = time.perf_counter() - started
    process.terminate()
    process.wait(timeout=30)
    engine = store.connect(database_url)
    tokens = store.lead_tokens(engine)
    engine.dispose()
    load_tokens = [token for token in tokens if token.startswith("load-")]
    ok = (len(load.acknowledged) == submissions and not load.other
          and sorted(load_tokens) == sorted(load.acknowledged) and len(set(load_tokens)) == len(load_tokens))
    print(f"load{' (limits on)' if options else ''}: {submissions} submissions from {clients} clients in {wall:.1f} s "
          f"({submissions / wall:.0f}/s); 2xx {len(load.acknowledged)}, other {len(load.other)}; "
          f"stored {len(load_tokens)} (distinct {len(set(load_tokens))}); "
          f"p50 {percentile(load.latencies, 0.5) * 1000:.1f} ms, p99 {percentile(load.latencies, 0.99) * 1000:.1f} ms, "
          f"max {max(load.latencies) * 1000:.1f} ms, mean {statistics.mean(load.latencies) * 1000:.1f} ms"
          f" -> {'OK' if ok else 'FAILED'}")
    if not ok:
        raise SystemExit(1)


def kill_run(database_url: str, data: Path, clients: int, submissions: int, kill_after: int) -> None:
    process, port = start(database_url, data)
    load = Load()
    runner = threading.Thread(target=load.run, args=(port, clients, submissions, "kill"))
    runner.start()
    while len(load.acknowledged) < kill_after and runner.is_alive():
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    runner.join()
    process, _ = start(database_url, data)  # restart: SQLite recovers its WAL here
    engine = store.connect(database_url)
    stored = {token for token in store.lead_tokens(engine) if token.startswith("kill-")}
    engine.dispose()
    process.terminate()
    process.wait(timeout=30)
    lost = set(load.acknowledged) - stored
    print(f"SIGKILL after {kill_after} answers: acknowledged {len(load.acknowledged)}, stored {len(stored)} "
          f"(stored but never answered: {len(stored - set(load.acknowledged))}), failed requests {len(load.other)}, "
          f"acknowledged but lost {len(lost)} -> {'OK' if not lost else 'FAILED'}")
    if lost:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help="default: a SQLite file in a temporary folder")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--submissions", type=int, default=2000)
    parser.add_argument("--kill-after", type=int, default=600)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="inbox-bench-") as folder:
        data = Path(folder)
        for name in ("load", "limits", "kill"):
            url = args.database_url or f"sqlite:///{data / f'{name}.sqlite3'}"
            if args.database_url:
                reset(url)
            if name == "kill":
                kill_run(url, data, args.clients, args.submissions, args.kill_after)
            else:
                load_run(url, data, args.clients, args.submissions, LIMITS if name == "limits" else None)
    return 0


def reset(url: str) -> None:
    """An empty database for each part when PostgreSQL is given."""
    engine = store.connect(url)
    store.metadata.drop_all(engine)
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
