"""Per-project locks in the NATS KV bucket ``oneclick-executor-locks``, so replicas never apply out of order.

Reconciliation is level-triggered: whoever holds a project's lock reads the deployment's state from records
*after* taking it, and applies that. Since each holder starts after the previous one finished, the state it
reads is at least as new as everything applied before, so an older state can never overwrite a newer one,
whichever replica got which event. Project deletion takes the same lock, so no apply that read the state
before the project was deleted can recreate its namespace afterwards.

A lock is a key created only if absent (compare-and-swap on revision 0). The bucket's ``max_age`` is the
TTL: a replica killed while holding a lock stops renewing it and the key expires. The holder renews every
TTL/3; if a renewal fails the lock is marked lost and the holder's next cluster write raises
:class:`LockLost`, so the event is retried rather than applied without the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats.errors
import orjson
from nats.js import JetStreamContext
from nats.js.errors import BucketNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)

LOCKS_BUCKET = "oneclick-executor-locks"
POLL_INTERVAL = 0.05


class LockBusy(Exception):
    """The project's lock stayed taken for the whole wait; the event is retried later."""


class LockLost(Exception):
    """The lock expired while held (renewals failed); stop writing and retry the event."""


class Held:
    """A lock while it is held; :meth:`check` before every write to the cluster."""

    def __init__(self, key: str, revision: int) -> None:
        self.key = key
        self.revision = revision
        self.lost = False

    def check(self) -> None:
        if self.lost:
            raise LockLost(self.key)


async def locks_bucket(js: JetStreamContext, ttl: float, replicas: int = 1) -> KeyValue:
    try:
        return await js.key_value(LOCKS_BUCKET)
    except BucketNotFoundError:
        return await js.create_key_value(
            bucket=LOCKS_BUCKET,
            history=1,
            ttl=ttl,
            replicas=replicas,
            description="Per-project locks of the k8s-executor",
        )


class ProjectLocks:
    def __init__(self, kv: KeyValue, holder: str, *, ttl: float, wait: float) -> None:
        self._kv = kv
        self._holder = holder
        self._ttl = ttl
        self._wait = wait

    @contextlib.asynccontextmanager
    async def hold(self, project: str) -> AsyncIterator[Held]:
        key = f"project.{project}"
        held = Held(key, await self._acquire(key))
        renewing = asyncio.create_task(self._renew(held))
        try:
            yield held
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if not held.lost:
                with contextlib.suppress(Exception):
                    await self._kv.delete(key, last=held.revision)

    def _value(self) -> bytes:
        return orjson.dumps({"holder": self._holder})

    async def _acquire(self, key: str) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        while True:
            try:
                revision: int = await self._kv.create(key, self._value())
                return revision
            except KeyWrongLastSequenceError:
                pass
            if loop.time() >= deadline:
                raise LockBusy(key)
            await asyncio.sleep(POLL_INTERVAL)

    async def _renew(self, held: Held) -> None:
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                held.revision = await self._kv.update(held.key, self._value(), last=held.revision)
            except (KeyWrongLastSequenceError, nats.errors.Error) as exc:
                log.warning("lock.lost", lock=held.key, error=repr(exc))
                held.lost = True
                return
