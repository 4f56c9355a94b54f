"""Transactional outbox: an event is stored with the change it describes and published afterwards.

Writers call :func:`enqueue` inside their transaction; :class:`OutboxRelay` publishes committed events
in order with ``Nats-Msg-Id`` = event id and deletes them once JetStream acknowledged. A crash between
publish and delete republishes the same id, which the stream's duplicate window drops. One relay per
schema works at a time (advisory lock), which keeps the order events were committed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

import asyncpg
from nats.js import JetStreamContext

from oneclick_core.bus.publishing import publish_envelope
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.observability.logs import get_logger

log = get_logger(__name__)


def _channel(schema: str) -> str:
    return f"oneclick_outbox_{schema}"


def _relay_lock(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"oneclick.outbox.{schema}".encode()).digest()[:8], "big", signed=True)


async def enqueue(conn: asyncpg.Connection, subject: str, envelope: Envelope, *, schema: str) -> None:
    """Store an event in the caller's transaction; the relay is woken when that transaction commits."""
    await conn.execute(
        "INSERT INTO event_outbox (id, subject, envelope) VALUES ($1, $2, $3)",
        envelope.id,
        subject,
        envelope.model_dump_json().encode(),
    )
    await conn.execute("SELECT pg_notify($1, '')", _channel(schema))


def _lost(conn: asyncpg.Connection) -> bool:
    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:
        # The pool takes back a connection whose server went away; its proxy then refuses every call.
        return True


class OutboxRelay:
    def __init__(
        self, pool: asyncpg.Pool, js: JetStreamContext, schema: str, *, batch: int = 200, poll_interval: float = 1.0
    ) -> None:
        self._pool = pool
        self._js = js
        self._schema = schema
        self._batch = batch
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        listener: asyncpg.Connection | None = None
        try:
            while not self._stopping.is_set():
                if listener is not None and _lost(listener):
                    await self._unlisten(listener)
                    listener = None
                if listener is None:
                    listener = await self._listen()
                # Cleared before reading so a commit notified while we publish is not missed.
                self._wake.clear()
                try:
                    published = await self.relay_once()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("outbox.database_unavailable", error=str(exc))
                    published = 0
                except Exception as exc:  # NATS down: keep events in the table and retry
                    log.warning("outbox.publish_failed", error=repr(exc))
                    published = 0
                if published >= self._batch:
                    continue  # more waiting; don't sleep
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
        finally:
            if listener is not None:
                await self._unlisten(listener)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _listen(self) -> asyncpg.Connection | None:
        """A connection held for LISTEN: polling alone works, this makes events leave within milliseconds."""
        try:
            conn: asyncpg.Connection = await self._pool.acquire()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None
        try:
            await conn.add_listener(_channel(self._schema), self._on_notify)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._pool.release(conn)
            return None
        return conn

    async def _unlisten(self, conn: asyncpg.Connection) -> None:
        with contextlib.suppress(Exception):
            await conn.remove_listener(_channel(self._schema), self._on_notify)
        with contextlib.suppress(Exception):
            await self._pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def relay_once(self) -> int:
        """Publish up to one batch of pending events; returns how many were published."""
        async with self._pool.acquire() as conn, conn.transaction():
            locked = await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", _relay_lock(self._schema))
            if not locked:
                return 0
            rows = await conn.fetch(
                "SELECT seq, subject, envelope FROM event_outbox ORDER BY seq LIMIT $1", self._batch
            )
            if not rows:
                return 0
            for row in rows:
                envelope = Envelope.model_validate_json(row["envelope"])
                await publish_envelope(self._js, row["subject"], envelope)
            await conn.execute("DELETE FROM event_outbox WHERE seq = ANY($1::bigint[])", [r["seq"] for r in rows])
            return len(rows)
