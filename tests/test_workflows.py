"""The GitHub workflows: a daily scheduled build in a file of its own publishes what is due at 08:00 Oslo time."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from hub import catalogue
from support import REPO

WORKFLOWS = REPO / ".github/workflows"
PUBLISH = "./.github/workflows/publish.yml"


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads a bare `on` as true
    return data


def scheduled_files() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.y*ml") if "schedule" in (workflow(path.name)["on"] or {}))


def cron_times(cron: str) -> tuple[int, int]:
    """Minute and hour of a daily cron line; any other shape fails the test."""
    minute, hour, *rest = cron.split()
    assert rest == ["*", "*", "*"] and minute.isdigit() and hour.isdigit(), f"not a daily cron: {cron!r}"
    return int(minute), int(hour)


def test_the_schedule_lives_in_a_file_of_its_own_that_calls_the_publish_workflow() -> None:
    # GitHub disables a scheduled workflow after 60 days without activity, and with it the whole file.
    assert scheduled_files() == ["scheduled.yml"]
    scheduled = workflow("scheduled.yml")
    assert set(scheduled["on"]) <= {"schedule", "workflow_dispatch"}
    callers = [job for job in scheduled["jobs"].values() if job.get("uses") == PUBLISH]
    assert len(callers) == 1
    # Pages deployment needs these, and a called workflow gets no more than its caller grants.
    assert callers[0]["permissions"].items() >= {"pages": "write", "id-token": "write", "contents": "read"}.items()
    # The rest of the file only keeps the schedule alive: no build of its own.
    others = [job for job in scheduled["jobs"].values() if job is not callers[0]]
    assert all("make" not in str(job) for job in others)


def test_the_publish_workflow_can_be_called_and_still_builds_every_push() -> None:
    publish = workflow("publish.yml")
    assert "workflow_call" in publish["on"] and "schedule" not in publish["on"]
    assert publish["on"]["push"]["branches"] == ["main"]
    # Called on a schedule, github.ref is the caller's: the default branch, which the deploy job requires.
    assert publish["jobs"]["deploy"]["if"] == "github.ref == 'refs/heads/main'"


# Both kinds of Oslo day (CET and CEST) and the two days the clocks change.
DAYS = [dt.date(2026, 1, 15), dt.date(2026, 3, 29), dt.date(2026, 7, 1), dt.date(2026, 10, 25),
        dt.date(2026, 12, 31)]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_daily_build_comes_after_8_in_oslo_and_publishes_the_days_articles(day: dt.date) -> None:
    for entry in workflow("scheduled.yml")["on"]["schedule"]:
        minute, hour = cron_times(entry["cron"])
        run = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.timezone.utc)  # cron is UTC
        due = catalogue.moment(day)  # an article dated `day`: 08:00 Oslo time
        assert due <= run, f"{entry['cron']} runs before 08:00 Oslo time on {day}"
        # …and on the same Oslo morning, not a day late.
        local = run.astimezone(catalogue.ZONE)
        assert local.date() == day and local.time() < dt.time(12), local
        # A bare date means 08:00 local time, whatever the season.
        assert due.astimezone(catalogue.ZONE).time() == catalogue.PUBLISHING_TIME
