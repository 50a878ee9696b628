"""Benchmark for booking with time slots (issue 20), against `python -m inbox` on 127.0.0.1.

    flock /work/bench.lock .venv/bin/python bench/booking_bench.py                   # SQLite in a temp folder
    flock /work/bench.lock .venv/bin/python bench/booking_bench.py --database-url postgresql+psycopg://…/db

1. The slot page and its JSON with 10 consultants (weekdays 08:00–16:00, 30-minute
   meetings, 15 minutes' buffer, 60 days' horizon) and 60 days of bookings
   (every other slot of every consultant booked, written straight into the
   bookings table): *requests* sequential GETs of each over one keep-alive
   connection; p50, p99 and max.
2. 50 concurrent bookings spread over 200 free slots: 50 clients, released at
   once, each posts a booking for a slot drawn at random from the first 200
   free ones (so some collide). Every request must be answered (200 booked or
   409 taken), the number of 200s must equal the new rows, and no
   (consultant, start) may hold two rows.

Not a test: the figures depend on the machine. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "hooks")]

from sqlalchemy import func, insert, select  # noqa: E402

from inbox import slots, store  # noqa: E402
from support import free_port, wait_healthy  # noqa: E402

SITE = "http://127.0.0.1:8000/"
HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://127.0.0.1:8000",
           "Accept": "application/json"}
CONSULTANTS = 10


def availability_file(folder: Path) -> Path:
    path = folder / "availability.yaml"
    path.write_text(yaml.safe_dump({
        "motelengde_minutter": 30, "buffer_minutter": 15, "varsel_timer": 0, "horisont_dager": 60,
        "konsulenter": [{"id": f"konsulent-{index}", "navn": f"Konsulent {index}", "epost": f"k{index}@arcticsales.no",
                         "timer": {day: "08:00-16:00" for day in slots.WEEKDAYS[:5]}}
                        for index in range(CONSULTANTS)]}), encoding="utf-8")
    return path


def fill_bookings(database_url: str, path: Path) -> int:
    """Every other slot of the next 60 days, for every consultant, as rows in the bookings table."""
    from inbox.booking import read_file

    rules = read_file(path)
    now = dt.datetime.now(dt.timezone.utc)
    found = slots.free_slots(rules, now)
    chosen = found[::2]
    engine = store.connect(database_url)
    try:
        with store._transaction(engine) as conn:
            conn.execute(insert(store.bookings), [
                {"consultant": slot.consultant, "start_at": slot.start, "end_at": slot.start + rules.meeting,
                 "uid": f"bench-{index}@innboks", "sequence": 0, "nonce": secrets.token_urlsafe(8), "created_at": now,
                 "lead_id": None, "email": f"kunde{index}@fjord.no", "name": f"Kunde {index}"}
                for index, slot in enumerate(chosen)])
    finally:
        engine.dispose()
    return len(chosen)


def start(database_url: str, data: Path, availability: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database_url, "--site-url", SITE,
         "--data-dir", str(data), "--rate-limit", "0", "--availability", str(availability)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "INBOX_SMTP_HOST": "", "PYTHONDONTWRITEBYTECODE": "1"})
    wait_healthy(f"http://127.0.0.1:{port}", process)
    return process, port


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed_gets(port: int, path: str, count: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for _ in range(count):
        began = time.perf_counter()
        connection.request("GET", path, headers={"Origin": "http://127.0.0.1:8000"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
        times.append((time.perf_counter() - began) * 1000)
    connection.close()
    return times


def concurrent_bookings(port: int, clients: int, pool: int) -> dict[str, object]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/moter/ledige.json?dager=60")
    days = json.loads(connection.getresponse().read())["days"]
    connection.close()
    offered = [slot["slot"] for day in days for slot in day["slots"]][:pool]
    assert len(offered) == pool, len(offered)
    picks = [random.Random(index).choice(offered) for index in range(clients)]
    gate = threading.Barrier(clients)
    answers: list[tuple[int, float]] = [(0, 0.0)] * clients

    def client(index: int) -> None:
        body = urlencode({"name": f"Kunde {index}", "email": f"samtidig{index}@fjord.no", "consent": "ja",
                          "website": "", "slot": picks[index], "form_token": f"tok-bench-{index:05d}",
                          "article": "", "page": ""})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        gate.wait()
        began = time.perf_counter()
        connection.request("POST", "/booking", body=body, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        answers[index] = (response.status, (time.perf_counter() - began) * 1000)
        connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    statuses = [status for status, _ in answers]
    return {"statuses": statuses, "distinct": len(set(picks)), "wall": wall,
            "p99": percentile([ms for _, ms in answers], 0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir()
        database_url = args.database_url or f"sqlite:///{data / 'inbox.sqlite3'}"
        backend = urlsplit(database_url).scheme.split("+")[0]
        path = availability_file(Path(folder))
        booked = fill_bookings(database_url, path)
        process, port = start(database_url, data, path)
        try:
            for warm in ("/moter/", "/moter/ledige.json"):
                timed_gets(port, warm, 5)
            for name, target in (("slot page (HTML)", "/moter/"), ("slots JSON", "/moter/ledige.json")):
                times = timed_gets(port, target, args.requests)
                print(f"{backend}: {name}, {CONSULTANTS} consultants, {booked} bookings over 60 days, "
                      f"{args.requests} requests: p50 {statistics.median(times):.1f} ms, "
                      f"p99 {percentile(times, 0.99):.1f} ms, max {max(times):.1f} ms")
            result = concurrent_bookings(port, 50, 200)
        finally:
            process.terminate()
            process.wait(timeout=20)
        engine = store.connect(database_url)
        try:
            with store._transaction(engine) as conn:
                total = conn.execute(select(func.count()).select_from(store.bookings)).scalar_one()
                doubled = conn.execute(select(store.bookings.c.consultant, store.bookings.c.start_at)
                                       .group_by(store.bookings.c.consultant, store.bookings.c.start_at)
                                       .having(func.count() > 1)).all()
        finally:
            engine.dispose()
        statuses = result["statuses"]
        ok, taken = statuses.count(200), statuses.count(409)
        print(f"{backend}: 50 concurrent bookings over 200 slots ({result['distinct']} distinct picks): "
              f"{ok} booked, {taken} taken, {len(statuses) - ok - taken} other; new rows {total - booked}; "
              f"double-booked slots {len(doubled)}; wall {result['wall']:.2f} s, p99 {result['p99']:.0f} ms")
        assert ok + taken == 50 and total - booked == ok and not doubled


if __name__ == "__main__":
    main()
