"""The lines of a container's log as the API sends them with ``timestamps=true``: an RFC 3339 time, a space,
the text. Times are kept as nanoseconds since the epoch, because Kubernetes writes up to nine fraction digits
and two lines of the same second must stay in order."""

from __future__ import annotations

from datetime import UTC, datetime


def split_timestamp(line: str) -> tuple[int, str]:
    """``2024-05-01T10:00:00.123456789Z text`` → (nanoseconds since the epoch, text)."""
    stamp, _, text = line.partition(" ")
    return parse_nanos(stamp), text


def parse_nanos(stamp: str) -> int:
    """RFC 3339 with up to nine fraction digits (Kubernetes trims trailing zeros) → nanoseconds; 0 if unreadable."""
    body = stamp.removesuffix("Z")
    whole, _, fraction = body.partition(".")
    try:
        seconds = int(datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp())
        nanos = int((fraction + "000000000")[:9]) if fraction else 0
    except ValueError:
        return 0
    return seconds * 1_000_000_000 + nanos


def nanos_to_datetime(nanos: int) -> datetime:
    """The whole second of ``nanos`` (``sinceTime`` takes whole seconds)."""
    return datetime.fromtimestamp(nanos // 1_000_000_000, UTC)
