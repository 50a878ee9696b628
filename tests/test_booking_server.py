"""Twenty visitors take the same time at once, against `python -m inbox` as a real process, on both databases."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from sqlalchemy import create_engine, func, select

from inbox import slots, store
from support import BOOKING, SITE, SITE_ORIGIN, inbox_server

CLIENTS = 20


def write_availability(path: Path) -> Path:
    path.write_text(yaml.safe_dump({
        "motelengde_minutter": 30, "buffer_minutter": 0, "varsel_timer": 0, "horisont_dager": 7,
        "konsulenter": [{"id": "kari", "navn": "Kari Nordmann", "epost": "kari@arcticsales.no",
                         "timer": {day: "00:00-24:00" for day in slots.WEEKDAYS}}]}), encoding="utf-8")
    return path


def post(url: str, fields: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST", headers={
        "origin": SITE_ORIGIN, "accept": "application/json", "content-type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_twenty_clients_one_slot_one_booking(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    options = ("--availability", str(write_availability(tmp_path / "availability.yaml")), "--rate-limit", "0")
    with inbox_server(database_url, SITE, data, *options, env={"INBOX_SMTP_HOST": ""}) as (url, _process, _log):
        with urllib.request.urlopen(f"{url}/moter/ledige.json", timeout=10) as response:
            slot = json.loads(response.read())["days"][0]["slots"][0]["slot"]
        start = threading.Barrier(CLIENTS)

        def attempt(index: int) -> tuple[int, dict]:
            start.wait()
            return post(f"{url}/booking", {**BOOKING, "slot": slot, "email": f"kunde{index}@fjord.no",
                                           "form_token": f"tok-race-{index:04d}"})

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(attempt, range(CLIENTS)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), statuses
    assert all(body["taken"] and slot not in {s["slot"] for s in body["slots"]} for status, body in answers
               if status == 409)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(store.bookings)).scalar_one() == 1
            assert conn.execute(select(func.count()).select_from(store.leads)).scalar_one() == 1
    finally:
        engine.dispose()
