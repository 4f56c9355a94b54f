"""Wall-clock time in the formats the Kubernetes API uses."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from types import MappingProxyType


def now() -> float:
    return time.time()


def rfc3339(ts: float) -> str:
    """``metav1.Time``: second precision, UTC, ``Z`` suffix."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(ts: float) -> str:
    """``metav1.MicroTime`` (event times)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def rfc3339_nano(ts: float) -> str:
    """The timestamp prefix the kubelet writes in front of log lines (``timestamps=true``)."""
    whole = int(ts)
    # Floats carry microseconds faithfully, not nanoseconds: round there so timestamps read cleanly.
    nanos = round((ts - whole) * 1_000_000) * 1000
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def parse_time(value: str | None) -> float | None:
    if not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def human_duration(seconds: float) -> str:
    """The short ages ``kubectl get`` prints (``5s``, ``2m3s``, ``4h``, ``3d5h``), as the API server renders them."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    total = int(seconds)
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d" if rest == 0 else f"{days}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y" if rest == 0 else f"{years}y{rest}d"
    return f"{years}y"


def age(timestamp: str | None, at: float | None = None) -> str:
    parsed = parse_time(timestamp)
    if parsed is None:
        return "<unknown>"
    return human_duration((at if at is not None else now()) - parsed)


_GO_DURATION_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION_UNITS = MappingProxyType(
    {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
)


def parse_go_duration(text: str) -> float:
    """Seconds of a Go ``time.ParseDuration`` string (``90s``, ``1h30m``, ``-1.5h``); ValueError otherwise."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in ("-", "+") else text
    if body == "0":
        return 0.0
    total, position = 0.0, 0
    for part in _GO_DURATION_PART.finditer(body):
        if part.start() != position:
            break
        total += float(part.group(1)) * _GO_DURATION_UNITS[part.group(2)]
        position = part.end()
    if not body or position != len(body):
        raise ValueError(f"time: invalid duration {text!r}")
    return sign * total
