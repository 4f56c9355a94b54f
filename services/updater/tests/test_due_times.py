"""Due times on a fixed grid from the autoUpdate's creation; cron ticks; the tick setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from oneclick_updater.due_times import next_due, next_tick
from oneclick_updater.settings import UpdaterSettings

ANCHOR = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (ANCHOR - timedelta(hours=1), ANCHOR),  # not yet created: due at creation
        (ANCHOR, ANCHOR + FIVE_MINUTES),
        (ANCHOR + timedelta(minutes=4, seconds=59), ANCHOR + FIVE_MINUTES),
        (ANCHOR + FIVE_MINUTES, ANCHOR + 2 * FIVE_MINUTES),  # strictly after
        # A scheduler that was away for an hour catches up with one check, then stays on the grid.
        (ANCHOR + timedelta(hours=1, seconds=1), ANCHOR + timedelta(hours=1, minutes=5)),
    ],
)
def test_next_due_stays_on_the_grid(after: datetime, expected: datetime) -> None:
    assert next_due(ANCHOR, FIVE_MINUTES, after) == expected


def test_late_ticks_do_not_drift() -> None:
    # Ticks arriving a little late every time still find the grid points, one per interval.
    due = ANCHOR
    checked = []
    for tick in range(1, 40):
        now = ANCHOR + timedelta(minutes=tick, seconds=7)
        if now >= due:
            checked.append(due)
            due = next_due(ANCHOR, FIVE_MINUTES, now)
    assert checked == [ANCHOR + k * FIVE_MINUTES for k in range(8)]


def test_sub_minute_intervals_work() -> None:
    # One-Click computed minutes % int(interval.Minutes()) and divided by zero for "30s".
    assert next_due(ANCHOR, timedelta(seconds=30), ANCHOR + timedelta(seconds=45)) == ANCHOR + timedelta(minutes=1)


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError):
        next_due(ANCHOR, timedelta(0), ANCHOR)


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("*/1 * * * *", datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), datetime(2026, 1, 1, 0, 1, tzinfo=UTC)),
        ("*/5 * * * *", datetime(2026, 1, 1, 0, 5, tzinfo=UTC), datetime(2026, 1, 1, 0, 10, tzinfo=UTC)),
        ("* * * * * */2", datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, 2, tzinfo=UTC)),
    ],
)
def test_next_tick(cron: str, after: datetime, expected: datetime) -> None:
    assert next_tick(cron, after) == expected


def test_cron_tick_comes_from_one_clicks_variable_and_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRON_TICK", "*/2 * * * *")
    assert UpdaterSettings().cron_tick == "*/2 * * * *"
    monkeypatch.setenv("CRON_TICK", "every minute")
    with pytest.raises(ValidationError, match="CRON_TICK"):
        UpdaterSettings()
