"""Bounded per-connection queues: a slow client gets its updates coalesced or dropped, never slows others.

Producers only ever call the non-blocking ``push``; one sender task per connection awaits ``next`` and writes
to the socket at whatever pace the client reads.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from oneclick_core.contracts.streaming import ChangeType
from oneclick_edge.live.changes import Change, Form


class SlowClient(Exception):
    """The client fell so far behind that even one update per object does not fit its queue."""


class LogUnavailable(Exception):
    """The log cannot be read (the pod does not exist)."""


@dataclass
class _Queued:
    key: str
    status: ChangeType
    change: Change


def _merge(first: ChangeType, then: ChangeType) -> ChangeType | None:
    """One status with the effect of two in a row on the same object (None: nothing to tell)."""
    if first == "ADDED":
        return None if then == "DELETED" else "ADDED"
    return then


class ChangeQueue:
    """Frames of object changes; past ``limit`` frames, queued changes of one object merge into one."""

    def __init__(self, form: Form, limit: int) -> None:
        self.form = form
        self._limit = limit
        self._items: deque[_Queued] = deque()
        self._ready = asyncio.Event()
        # Set when the client is given up on; the sender may be stuck writing to it, so it is told this way.
        self.stalled = asyncio.Event()

    def push(self, change: Change, status: ChangeType | None = None) -> None:
        self._items.append(_Queued(f"{change.kind}/{change.uid}", status or change.status, change))
        if len(self._items) > self._limit:
            self._compact()
        self._ready.set()

    def _compact(self) -> None:
        merged: dict[str, _Queued] = {}
        for item in self._items:
            earlier = merged.pop(item.key, None)
            if earlier is None:
                merged[item.key] = item
                continue
            status = _merge(earlier.status, item.status)
            if status is not None:
                merged[item.key] = _Queued(item.key, status, item.change)
        self._items = deque(merged.values())
        if len(self._items) > self._limit:
            self.stalled.set()

    async def next(self) -> list[str]:
        """The frames queued so far (waits for at least one)."""
        while not self._items:
            if self.stalled.is_set():
                raise SlowClient
            self._ready.clear()
            await self._ready.wait()
        if self.stalled.is_set():
            raise SlowClient
        items, self._items = self._items, deque()
        return [item.change.frame(self.form, item.status) for item in items]


class LineQueue:
    """Log text; past ``limit`` bytes the oldest lines are dropped and the client is told how many."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lines: deque[str] = deque()
        self._bytes = 0
        self._dropped = 0
        self._ready = asyncio.Event()
        # A slow reader loses lines instead of being given up on, so there is nothing to watch for.
        self.stalled: None = None
        self.ended = False
        self.error: str | None = None

    def push(self, lines: list[str]) -> None:
        for line in lines:
            self._lines.append(line)
            self._bytes += len(line)
        while self._bytes > self._limit and self._lines:
            self._bytes -= len(self._lines.popleft())
            self._dropped += 1
        self._ready.set()

    def end(self, error: str | None = None) -> None:
        self.ended = True
        self.error = error
        self._ready.set()

    async def next(self) -> list[str] | None:
        """The lines queued so far, None once the log has ended and everything was taken
        (:class:`LogUnavailable` if it ended with an error)."""
        while not self._lines:
            if self.error is not None:
                raise LogUnavailable(self.error)
            if self.ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        lines = list(self._lines)
        if self._dropped:
            lines.insert(0, f"[{self._dropped} lines dropped: the connection is too slow]")
            self._dropped = 0
        self._lines.clear()
        self._bytes = 0
        return lines
