"""PocketBase's datetime macros (``@now``, ``@todayStart``, ``@year``…), all in UTC.

Date macros give PocketBase-formatted text (``2024-05-01 13:45:00.123Z``) so they compare with date fields
the way PocketBase's do; the part macros (``@second`` … ``@year``) give integers; ``@weekday`` counts from
Sunday = 0 like Go.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from oneclick_core.timestamps import format_pb

Clock = Callable[[], datetime]


def _start_of_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _end_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=999999)


def _month_end(now: datetime) -> datetime:
    last_day = calendar.monthrange(now.year, now.month)[1]
    return _end_of_day(now.replace(day=last_day))


_DATE_MACROS: dict[str, Callable[[datetime], datetime]] = {
    "now": lambda now: now,
    "yesterday": lambda now: now - timedelta(days=1),
    "tomorrow": lambda now: now + timedelta(days=1),
    "todayStart": _start_of_day,
    "todayEnd": _end_of_day,
    "monthStart": lambda now: _start_of_day(now.replace(day=1)),
    "monthEnd": _month_end,
    "yearStart": lambda now: _start_of_day(now.replace(month=1, day=1)),
    "yearEnd": lambda now: _end_of_day(now.replace(month=12, day=31)),
}

_PART_MACROS: dict[str, Callable[[datetime], int]] = {
    "second": lambda now: now.second,
    "minute": lambda now: now.minute,
    "hour": lambda now: now.hour,
    "day": lambda now: now.day,
    "month": lambda now: now.month,
    "weekday": lambda now: (now.weekday() + 1) % 7,
    "year": lambda now: now.year,
}

MACROS: frozenset[str] = frozenset(_DATE_MACROS) | frozenset(_PART_MACROS)


def system_clock() -> datetime:
    return datetime.now(UTC)


def macro_value(name: str, now: datetime) -> str | int:
    """The value of ``@<name>`` at ``now`` (an aware datetime; converted to UTC)."""
    moment = now.astimezone(UTC)
    if name in _PART_MACROS:
        return _PART_MACROS[name](moment)
    return format_pb(_DATE_MACROS[name](moment))
