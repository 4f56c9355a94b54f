"""The updater's copy of the autoUpdates, fed by records' ``autoupdate.{created,updated,deleted}`` events.

Applying an event is idempotent and order-tolerant (see :func:`store.remember`), so redeliveries and
replicas competing for the durable consumer leave the same state.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.bus.consuming import ConsumerOptions, Delivery, PoisonMessage
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.records import RecordChange, record_event
from oneclick_updater import store

CONSUMER = ConsumerOptions(
    durable="updater-autoupdates",
    subjects=tuple(record_event("autoUpdates", action).subject for action in ("create", "update", "delete")),
)


class AutoUpdateTracker:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def handle(self, envelope: Envelope, delivery: Delivery) -> None:
        change = RecordChange.model_validate(envelope.data)
        async with self._pool.acquire() as conn, conn.transaction():
            try:
                if change.action == "delete":
                    await store.forget(conn, change.record)
                else:
                    await store.remember(conn, change.record)
            except (KeyError, ValueError) as exc:
                # Records validates autoUpdates on save; one it published malformed will not heal by retrying.
                raise PoisonMessage(f"unusable autoUpdate record: {exc!r}") from None
