"""Cron schedules as the CronJob controller reads them: robfig/cron expressions with a time zone, and the
``@every <duration>`` descriptor Kubernetes also accepts (pure)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from kubesim import clock

# At most this many missed start times are counted (the controller gives up counting, and says so, beyond it).
MAX_MISSED = 100


EVERY = "@every "


def every_interval(schedule: str) -> float | None:
    """Whole seconds between runs of an ``@every <Go duration>`` schedule, None for any other schedule.

    Kubernetes parses schedules with robfig/cron's ``ParseStandard``, which accepts this descriptor besides
    cron expressions; like it, the delay is cut to whole seconds and is at least one second.
    """
    if not schedule.startswith(EVERY):
        return None
    return float(max(1, int(clock.parse_go_duration(schedule[len(EVERY) :].strip()))))


def valid_schedule(schedule: str) -> bool:
    if schedule.startswith(EVERY):
        try:
            every_interval(schedule)
        except ValueError:
            return False
        return True
    if schedule.startswith("@"):
        return schedule in ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
    text = schedule
    if text.startswith(("TZ=", "CRON_TZ=")):
        return False
    if len(text.split()) != 5:
        return False
    return bool(croniter.is_valid(text))


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def most_recent_schedule(schedule: str, time_zone: str | None, earliest: float, now: float) -> tuple[float | None, int]:
    """The latest scheduled time in (earliest, now] and how many were missed in that window."""
    interval = every_interval(schedule)
    if interval is not None:
        # robfig/cron's constant delay: the next run is the whole second of the previous one plus the delay.
        first = math.floor(earliest) + interval
        if first > now:
            return None, 0
        count = int((now - first) // interval) + 1
        return first + (count - 1) * interval, min(count, MAX_MISSED + 1)
    zone = _zone(time_zone)
    start = datetime.fromtimestamp(earliest, zone)
    itr = croniter(schedule, start)
    latest: float | None = None
    missed = 0
    while True:
        candidate = float(itr.get_next(float))
        if candidate > now:
            break
        latest = candidate
        missed += 1
        if missed > MAX_MISSED:
            break
    return latest, missed


def next_schedule(schedule: str, time_zone: str | None, after: float) -> float:
    interval = every_interval(schedule)
    if interval is not None:
        return math.floor(after) + interval
    zone = _zone(time_zone)
    return float(croniter(schedule, datetime.fromtimestamp(after, zone)).get_next(float))
