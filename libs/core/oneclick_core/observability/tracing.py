"""W3C trace context: one ``traceparent`` follows a request from the edge through RPCs and events."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")

# The traceparent of the request or message being handled; RPC calls and published events inherit it.
current_traceparent: ContextVar[str | None] = ContextVar("current_traceparent", default=None)


def new_traceparent(trace_id: str | None = None) -> str:
    return f"00-{trace_id or secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def parse_trace_id(traceparent: str | None) -> str | None:
    if not traceparent:
        return None
    match = _TRACEPARENT.match(traceparent.strip().lower())
    return match.group(1) if match else None


def child_traceparent() -> str:
    """A traceparent for an outgoing call: same trace as the current one, new span id."""
    return new_traceparent(parse_trace_id(current_traceparent.get()))
