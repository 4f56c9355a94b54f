"""Leader election with a lease in the NATS KV bucket ``oneclick-locks``.

Expiry is judged the way Kubernetes' leader election does it: a contender notes when it last saw the
lease's revision change, by its own monotonic clock, and takes over (compare-and-swap on that revision)
only after a full TTL without change. No clocks are compared between machines. The holder renews every
TTL/3 and steps down by itself once it has failed to renew for a TTL, which is never later than the
moment a contender can take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)

LOCKS_BUCKET = "oneclick-locks"


async def locks_bucket(js: JetStreamContext, replicas: int = 1) -> KeyValue:
    try:
        return await js.key_value(LOCKS_BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(
            bucket=LOCKS_BUCKET, history=1, replicas=replicas, description="Leader leases of One-Click services"
        )


class Lease:
    """One named lease; :meth:`try_acquire` and :meth:`renew` are single non-blocking attempts."""

    def __init__(self, kv: KeyValue, name: str, holder: str, ttl: float = 10.0) -> None:
        self._kv = kv
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._revision: int | None = None  # ours, while we hold the lease
        self._observed: tuple[int, float] | None = None  # (revision, monotonic time first seen)
        self._renewed_at = 0.0

    @property
    def held(self) -> bool:
        return self._revision is not None and time.monotonic() - self._renewed_at < self.ttl

    def _value(self) -> bytes:
        return orjson.dumps({"holder": self.holder, "ttl": self.ttl, "renewed": time.time()})

    async def try_acquire(self) -> bool:
        try:
            self._revision = await self._kv.create(self.name, self._value())
            self._renewed_at = time.monotonic()
            return True
        except KeyWrongLastSequenceError:
            pass
        try:
            entry = await self._kv.get(self.name)
        except KeyNotFoundError:
            return False  # released between our create and get; next attempt will create it
        assert entry.revision is not None
        now = time.monotonic()
        if self._observed is None or self._observed[0] != entry.revision:
            self._observed = (entry.revision, now)
            return False
        if now - self._observed[1] < self.ttl:
            return False
        try:
            self._revision = await self._kv.update(self.name, self._value(), last=entry.revision)
        except KeyWrongLastSequenceError:
            return False
        self._renewed_at = time.monotonic()
        log.info("lease.taken_over", lease=self.name, previous=_holder_of(entry.value))
        return True

    async def renew(self) -> bool:
        if self._revision is None:
            return False
        try:
            self._revision = await self._kv.update(self.name, self._value(), last=self._revision)
        except KeyWrongLastSequenceError:
            self._revision = None
            return False
        self._renewed_at = time.monotonic()
        return True

    async def release(self) -> None:
        """Give the lease up at once so a contender need not wait for the TTL."""
        if self._revision is None:
            return
        revision, self._revision = self._revision, None
        with contextlib.suppress(Exception):
            await self._kv.delete(self.name, last=revision)


def _holder_of(value: bytes | None) -> str | None:
    try:
        holder = orjson.loads(value or b"{}").get("holder")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return holder if isinstance(holder, str) else None


class LeaderElector:
    """Campaigns for a lease and runs ``lead()`` only while holding it; cancels it on loss."""

    def __init__(self, lease: Lease, lead: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._lease = lease
        self._lead = lead
        self._leading: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def is_leader(self) -> bool:
        return self._leading is not None and not self._leading.done() and self._lease.held

    async def run(self) -> None:
        interval = self._lease.ttl / 3
        try:
            while not self._stopping.is_set():
                if self._leading is None:
                    if await self._attempt(self._lease.try_acquire):
                        log.info("lease.acquired", lease=self._lease.name, holder=self._lease.holder)
                        self._leading = asyncio.create_task(self._lead())
                else:
                    renewed = await self._attempt(self._lease.renew)
                    if not renewed and not self._lease.held:
                        log.warning("lease.lost", lease=self._lease.name, holder=self._lease.holder)
                        await self._step_down()
                    elif self._leading.done() and not self._leading.cancelled() and self._leading.exception():
                        log.error("lease.leader_task_failed", error=repr(self._leading.exception()))
                        await self._step_down()
                        await self._lease.release()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=interval)
        finally:
            await self._step_down()
            await self._lease.release()

    async def stop(self) -> None:
        self._stopping.set()

    async def _attempt(self, action: Callable[[], Awaitable[bool]]) -> bool:
        try:
            return await action()
        except Exception as exc:  # NATS down or slow: the lease logic copes on the next round
            log.warning("lease.attempt_failed", lease=self._lease.name, error=repr(exc))
            return False

    async def _step_down(self) -> None:
        if self._leading is not None:
            self._leading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._leading
            self._leading = None
