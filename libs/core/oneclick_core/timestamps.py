"""PocketBase's datetime format: ``2006-01-02 15:04:05.000Z`` (UTC, milliseconds, space separator)."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%d %H:%M:%S"


def utcnow() -> datetime:
    return datetime.now(UTC)


def format_pb(moment: datetime) -> str:
    """Render a datetime the way PocketBase stores ``created``/``updated``."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
    moment = moment.astimezone(UTC)
    return f"{moment.strftime(_FORMAT)}.{moment.microsecond // 1000:03d}Z"


def now_pb() -> str:
    return format_pb(utcnow())


def parse_pb(value: str) -> datetime:
    """Parse PocketBase's format, and the ISO-8601 variants clients commonly send (``T``, offsets)."""
    text = value.strip()
    if not text:
        raise ValueError("empty datetime")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
