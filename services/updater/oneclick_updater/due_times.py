"""When things are due: autoUpdates on a fixed grid from their creation, the scheduler on cron ticks.

The original checked an autoUpdate when ``minutesSinceCreation % interval == 0`` at a tick: a tick that
came late or not at all skipped the whole interval, and intervals under a minute divided by zero. Here
an autoUpdate is due at ``anchor + k * interval``; after a check its next due time is the first grid
point after *now*, so any number of missed grid points is caught up by exactly one check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import croniter


def next_due(anchor: datetime, interval: timedelta, after: datetime) -> datetime:
    """The first ``anchor + k * interval`` (k ≥ 0) strictly later than ``after``."""
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    if after < anchor:
        return anchor
    steps = (after - anchor) // interval + 1
    return anchor + steps * interval


def next_tick(cron: str, after: datetime) -> datetime:
    """The first time the cron expression fires after ``after`` (6 fields: the last is seconds)."""
    moment: datetime = croniter(cron, after).get_next(datetime)
    return moment
