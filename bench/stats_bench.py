"""Benchmark for the cookie-free statistics (inbox/stats.py), against `python -m inbox` as a real process.

    flock /work/bench.lock .venv/bin/python bench/stats_bench.py
    flock /work/bench.lock .venv/bin/python bench/stats_bench.py --postgres postgresql+psycopg://u:p@127.0.0.1/postgres

1. Ingest: *hits* page-view beacons (as stats.js sends them: form-encoded, the site's Origin, a desktop
   browser's user agent) from *clients* concurrent keep-alive clients on 127.0.0.1. The rate limit is on
   (--hit-rate-limit 120, the default): the inbox trusts 127.0.0.1 as its proxy and each request names one
   of 5,000 reader addresses in X-Forwarded-For, so every hit is also counted in the database's limit
   table, as in production behind nginx. Paths are drawn from 160 pages (Zipf-like), a third of the hits
   carry a referrer host, a tenth a UTM source and campaign. Every answer must be 204 and the stored daily
   totals must add up to *hits*. Reported: throughput (hits / wall time) and p50/p99 of each request.
2. Report: a fresh database seeded with one year of data: 5,000 views a day over the same 160 pages (one row
   per page and day), 40 referrer hosts and 12 campaigns a day, 75 leads a day (1.5 % of views) and 20
   confirmed subscribers a day. Then `GET /staff/statistikk?dager=90` (logged in) on the real process,
   after one warm-up request, *renders* times; the site's catalogue of 150 articles is served from a
   local folder, so the page is complete (titles, categories). Reported: the HTTP time per request
   (median, p95, max), and, in this process on the same database, the SQL alone (read_period) and the
   join and template (build_report + render) alone. Budget: 200 ms for the 90-day page.

Not a test: the figures depend on the machine. Results go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "hooks")]

from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from hub import stats as site_stats  # noqa: E402
from inbox import core, stats, store, tokens  # noqa: E402
from support import free_port, serve_folder, wait_healthy  # noqa: E402

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/131.0.0.0 Safari/537.36")
PASSWORD = "benk benk benk benk"
ARTICLES = [f"artikler/artikkel-{number:03d}/" for number in range(150)]
PAGES = ARTICLES + ["", "gratis-konsultasjon/", "nyhetsbrev/", "om-oss/", "emner/", "artikler/", "personvern/",
                    "takk/", "artikler/kategori/coaching/", "artikler/side/2/"]
CATEGORIES = ["Salgsledelse", "Coaching", "Prospektering", "Forhandling", "Rekruttering", "Motivasjon",
              "KPI og oppfølging"]
HOSTS = [f"nettsted{number}.no" for number in range(38)] + ["google.com", "linkedin.com"]
CAMPAIGNS = [("nyhetsbrev", f"2026-{number:02d}") for number in range(1, 11)] + [("linkedin", "vår"), ("bing", "")]
WEIGHTS = [1 / (rank + 1) for rank in range(len(PAGES))]  # Zipf-like: a few pages take most views


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


# -----------------------------------------------------------------------------
# The processes: the inbox, a folder standing in for the built site, PostgreSQL databases
# -----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the work, whatever else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_pids: dict[int, int] = {}  # port -> the inbox's pid


@contextlib.contextmanager
def inbox(database_url: str, site_url: str, data: Path) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "inbox", "--port", str(port), "--database-url", database_url, "--site-url", site_url,
         "--data-dir", str(data), "--forwarded-allow-ips", "127.0.0.1", "--max-connections", "400"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "INBOX_SMTP_HOST": "", "PYTHONDONTWRITEBYTECODE": "1",
             "INBOX_STAFF_PASSWORD_HASH": tokens.hash_password(PASSWORD)})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        _pids[port] = process.pid
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def write_site(folder: Path) -> None:
    """What the inbox reads from the built site: the catalogue, the feed and the search index."""
    entries = [site_stats.Entry(path, path.split("/")[1], f"Artikkel {number}", (CATEGORIES[number % 7],))
               for number, path in enumerate(ARTICLES)]
    (folder / site_stats.CATALOGUE).write_text(site_stats.catalogue_json(entries), encoding="utf-8")
    (folder / "search").mkdir()
    (folder / "search" / "search_index.json").write_text(json.dumps(
        {"docs": [{"location": path, "title": f"Artikkel {number}"} for number, path in enumerate(ARTICLES)]}))
    (folder / "feed_json_created.json").write_text(json.dumps({"home_page_url": "http://x/", "items": []}))


@contextlib.contextmanager
def database(kind: str, admin: str, folder: Path, name: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'{name}.sqlite3'}"
        return
    db = f"stats_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db}"'))
    try:
        yield make_url(admin).set(database=db).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        engine.dispose()


# -----------------------------------------------------------------------------
# 1. Ingest
# -----------------------------------------------------------------------------


def hit_body(rng: random.Random) -> str:
    fields = {"p": "/" + rng.choices(PAGES, WEIGHTS)[0]}
    if rng.random() < 1 / 3:
        fields["r"] = rng.choice(HOSTS)
    if rng.random() < 0.1:
        fields["s"], fields["c"] = rng.choice(CAMPAIGNS)
    return urlencode(fields)


def ingest(database_url: str, site_url: str, data: Path, clients: int, hits: int) -> None:
    per_client = hits // clients
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def client(port: int, number: int) -> None:
        rng = random.Random(number)
        bodies = [hit_body(rng) for _ in range(per_client)]
        mine: list[float] = []
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for index, payload in enumerate(bodies):
            reader = (number * per_client + index) % 5000
            headers = {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
                       "Origin": site_url.rstrip("/"),
                       "User-Agent": CHROME, "X-Forwarded-For": f"10.{reader // 250}.{reader % 250}.7"}
            started = time.perf_counter()
            try:
                connection.request("POST", "/hit", body=payload, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    failures.append(type(error).__name__)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
            if response.status != 204:
                with lock:
                    failures.append(str(response.status))
        connection.close()
        with lock:
            latencies.extend(mine)

    with inbox(database_url, site_url, data) as port:
        threads = [threading.Thread(target=client, args=(port, number)) for number in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    engine = store.connect(database_url)
    with engine.connect() as conn:
        stored = int(conn.execute(select(func.coalesce(func.sum(stats.views.c.views), 0))).scalar_one())
        rows = int(conn.execute(select(func.count()).select_from(stats.views)).scalar_one())
    engine.dispose()
    total = per_client * clients
    ok = not failures and stored == total
    print(f"  ingest: {total} hits from {clients} clients in {wall:.1f} s ({total / wall:.0f} hits/s); "
          f"non-204 or failed {len(failures)}; stored views {stored} in {rows} rows; "
          f"p50 {ms(percentile(latencies, 0.5))}, p99 {ms(percentile(latencies, 0.99))}, "
          f"max {ms(max(latencies))} -> {'OK' if ok else 'FAILED'}", flush=True)
    if not ok:
        raise SystemExit(1)


# -----------------------------------------------------------------------------
# 2. The 90-day report on a year of data
# -----------------------------------------------------------------------------


def seed_year(database_url: str, end: dt.date) -> dict[str, int]:
    """One year to *end*: daily totals, leads and confirmed subscribers, inserted in bulk."""
    rng = random.Random(19)
    engine = store.connect(database_url)
    counts = {"view rows": 0, "referrer rows": 0, "campaign rows": 0, "leads": 0, "subscribers": 0, "views": 0}
    with engine.begin() as conn:
        for offset in range(365):
            day = end - dt.timedelta(days=offset)
            drawn = rng.choices(range(len(PAGES)), WEIGHTS, k=5000)
            per_page = [0] * len(PAGES)
            for index in drawn:
                per_page[index] += 1
            rows = [{"day": day, "path": PAGES[index], "views": count} for index, count in enumerate(per_page) if count]
            conn.execute(insert(stats.views), rows)
            conn.execute(insert(stats.referrers), [{"day": day, "host": host, "views": rng.randint(1, 60)}
                                                   for host in HOSTS])
            conn.execute(insert(stats.campaigns), [{"day": day, "source": source, "campaign": campaign,
                                                    "views": rng.randint(1, 40)} for source, campaign in CAMPAIGNS])
            moment = dt.datetime.combine(day, dt.time(12), dt.timezone.utc)
            leads = []
            for number in range(75):
                path = rng.choices(ARTICLES, WEIGHTS[:len(ARTICLES)])[0]
                leads.append({"form_token": f"{day}-{number}", "kind": "booking" if number % 3 else "newsletter",
                              "created_at": moment + dt.timedelta(seconds=number), "email": f"l{number}@{day}.no",
                              "article": path.split("/")[1], "page": path, "status": "ny"})
            conn.execute(insert(store.leads), leads)
            conn.execute(insert(store.subscribers), [
                {"email": f"s{number}@{day}.no", "created_at": moment, "confirmed_at": moment,
                 "article": rng.choice(ARTICLES).split("/")[1]} for number in range(20)])
            counts["view rows"] += len(rows)
            counts["views"] += 5000
            counts["referrer rows"] += len(HOSTS)
            counts["campaign rows"] += len(CAMPAIGNS)
            counts["leads"] += 75
            counts["subscribers"] += 20
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to a table this size within minutes
    engine.dispose()
    return counts


def log_in(port: int) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/staff/login", body=urlencode({"password": PASSWORD}),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Origin": f"http://127.0.0.1:{port}"})
    response = connection.getresponse()
    response.read()
    cookies = [value.split(";")[0] for name, value in response.getheaders() if name.lower() == "set-cookie"]
    assert response.status == 303 and cookies, response.status
    return "; ".join(cookies)


def report(database_url: str, site_url: str, data: Path, renders: int) -> None:
    end = stats.today(core.now())
    started = time.perf_counter()
    seeded = seed_year(database_url, end)
    print(f"  seeded one year in {time.perf_counter() - started:.0f} s: " +
          ", ".join(f"{count} {name}" for name, count in seeded.items()), flush=True)
    times: list[float] = []
    with inbox(database_url, site_url, data) as port:
        cookie = log_in(port)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        cpu = 0.0
        for attempt in range(renders + 1):
            if attempt == 1:
                cpu = cpu_seconds(_pids[port])
            started = time.perf_counter()
            connection.request("GET", "/staff/statistikk?dager=90", headers={"Cookie": cookie})
            response = connection.getresponse()
            page = response.read().decode("utf-8")
            elapsed = time.perf_counter() - started
            assert response.status == 200, response.status
            if attempt:
                times.append(elapsed)
        cpu = (cpu_seconds(_pids[port]) - cpu) / renders
        connection.close()
    rows = len(re.findall(r"<tr data-path=", page))
    categorised = page.count("<td data-label=\"Kategorier\">Coaching</td>")
    shown = re.search(r"<strong>([\d\u00a0]+)</strong> visninger", page)
    engine = store.connect(database_url)
    sql, joined, sql_cpu, joined_cpu = [], [], [], []
    catalogue = {path: stats.Article(path, path.split("/")[1], f"Artikkel {n}", (CATEGORIES[n % 7],))
                 for n, path in enumerate(ARTICLES)}
    start = end - dt.timedelta(days=89)
    from inbox.core import _pages
    for _ in range(renders):
        first, first_cpu = time.perf_counter(), time.process_time()
        raw = stats.read_period(engine, start, end)
        second, second_cpu = time.perf_counter(), time.process_time()
        built = stats.build_report(raw, start, end, catalogue)
        _pages.get_template("statistikk.html").render(
            url_for=lambda name, query=None, **_: "/", site_url=site_url, report=built, chart=stats.chart(built.days),
            description="", quick="90", periods={}, start="", end="", csv_query={}, csrf="", error="")
        joined.append(time.perf_counter() - second)
        joined_cpu.append(time.process_time() - second_cpu)
        sql.append(second - first)
        sql_cpu.append(second_cpu - first_cpu)
    engine.dispose()
    verdict = "OK" if statistics.median(times) < 0.2 else "OVER BUDGET"
    print(f"  90-day report over HTTP, {renders} renders: median {ms(statistics.median(times))}, "
          f"p95 {ms(percentile(times, 0.95))}, max {ms(max(times))} ({len(page) // 1024} KiB, {rows} page rows, "
          f"{categorised} in Coaching, {shown.group(1) if shown else '?'} views) -> {verdict}; "
          f"the inbox process's CPU per request {ms(cpu)}", flush=True)
    print(f"    in this process: SQL (read_period) median {ms(statistics.median(sql))} "
          f"(CPU here {ms(statistics.median(sql_cpu))}); join + chart + template median "
          f"{ms(statistics.median(joined))} (CPU {ms(statistics.median(joined_cpu))})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="", help="an admin URL: also run both parts on PostgreSQL")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--hits", type=int, default=100_000)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--ingest-on", default="sqlite,postgresql", help="which databases the ingest part runs on")
    args = parser.parse_args(argv)
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    with tempfile.TemporaryDirectory(prefix="stats-bench-") as name:
        folder = Path(name)
        (folder / "site").mkdir()
        write_site(folder / "site")
        with serve_folder(folder / "site") as site_url:
            for kind in kinds:
                print(f"{kind}:", flush=True)
                if not args.skip_ingest and kind in args.ingest_on.split(","):
                    with database(kind, args.postgres, folder, "ingest") as url:
                        ingest(url, site_url, folder / f"data-{kind}-ingest", args.clients, args.hits)
                with database(kind, args.postgres, folder, "report") as url:
                    report(url, site_url, folder / f"data-{kind}-report", args.renders)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
