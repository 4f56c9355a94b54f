"""The transactional outbox against real PostgreSQL and NATS: events leave only with committed writes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from oneclick_core.bus.streams import EVENTS_STREAM, ensure_streams
from oneclick_core.runtime.database import create_pool
from oneclick_core.runtime.migrations import core_migrations, migrate
from oneclick_core.runtime.outbox import OutboxRelay, enqueue
from oneclick_testing.infrastructure import Database
from oneclick_testing.waiting import eventually

from .events_for_tests import Ping, unique_spec

SCHEMA = "outbox_test"


@pytest.fixture
async def pool(database: Database) -> AsyncIterator[asyncpg.Pool]:
    conn = await database.connect()
    try:
        await migrate(conn, SCHEMA, core_migrations("event_outbox"))
        await conn.execute(f"CREATE TABLE {SCHEMA}.things (id text PRIMARY KEY)")
    finally:
        await conn.close()
    created = await create_pool(database.url, SCHEMA, max_size=4)
    yield created
    await created.close()


@pytest.fixture
async def js(nc: NATS) -> JetStreamContext:
    context = nc.jetstream()
    await ensure_streams(context)
    return context


async def stored_ids(js: JetStreamContext, subject: str) -> list[str]:
    """Every envelope id the stream holds on ``subject``, in order."""
    info = await js.stream_info(EVENTS_STREAM)
    ids: list[str] = []
    sub = await js.subscribe(subject, stream=EVENTS_STREAM, ordered_consumer=True)
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.3)
            except TimeoutError:
                return ids
            assert msg.headers is not None
            ids.append(msg.headers["Nats-Msg-Id"])
            if msg.metadata.sequence.stream >= info.state.last_seq:
                return ids
    finally:
        await sub.unsubscribe()


async def test_committed_writes_publish_their_events_in_order(pool: asyncpg.Pool, js: JetStreamContext) -> None:
    spec = unique_spec()
    relay = OutboxRelay(pool, js, SCHEMA, poll_interval=5.0)
    task = asyncio.create_task(relay.run())
    try:
        envelopes = []
        for n in range(3):
            envelope = spec.envelope(source="test", data=Ping(n=n))
            envelopes.append(envelope.id)
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("INSERT INTO things (id) VALUES ($1)", envelope.id)
                await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
        # LISTEN/NOTIFY wakes the relay long before its 5 s poll.
        await eventually(lambda: pool.fetchval("SELECT count(*) = 0 FROM event_outbox"))
    finally:
        await relay.stop()
        await task
    assert await stored_ids(js, spec.subject) == envelopes


async def test_rolled_back_write_publishes_nothing(pool: asyncpg.Pool, js: JetStreamContext) -> None:
    spec = unique_spec()
    envelope = spec.envelope(source="test", data=Ping(n=1))

    async def write_that_fails() -> None:
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
            await conn.execute("INSERT INTO things (id) VALUES ('dup'), ('dup')")

    with pytest.raises(asyncpg.UniqueViolationError):
        await write_that_fails()
    relay = OutboxRelay(pool, js, SCHEMA)
    assert await relay.relay_once() == 0
    assert await stored_ids(js, spec.subject) == []


async def test_republish_after_a_crash_is_dropped_by_the_stream(pool: asyncpg.Pool, js: JetStreamContext) -> None:
    """A relay that published but died before deleting the row publishes again; JetStream keeps one copy."""
    spec = unique_spec()
    envelope = spec.envelope(source="test", data=Ping(n=1))
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
    relay = OutboxRelay(pool, js, SCHEMA)
    assert await relay.relay_once() == 1
    # Put the row back as if the DELETE had never committed.
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
    assert await relay.relay_once() == 1
    assert await stored_ids(js, spec.subject) == [envelope.id]


async def test_events_wait_in_the_table_while_nats_is_unreachable(pool: asyncpg.Pool, nats_url: str) -> None:
    import nats

    spec = unique_spec()
    envelope = spec.envelope(source="test", data=Ping(n=1))
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
    closed = await nats.connect(nats_url)
    await closed.close()
    relay = OutboxRelay(pool, closed.jetstream(), SCHEMA)
    with pytest.raises(Exception):  # noqa: B017 - any transport error; the point is what remains
        await relay.relay_once()
    assert await pool.fetchval("SELECT count(*) FROM event_outbox WHERE id = $1", envelope.id) == 1


async def test_only_one_relay_publishes_at_a_time(pool: asyncpg.Pool, js: JetStreamContext) -> None:
    spec = unique_spec()
    committed = []
    for n in range(20):
        envelope = spec.envelope(source="test", data=Ping(n=n))
        committed.append(envelope.id)
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, spec.subject, envelope, schema=SCHEMA)
    relays = [OutboxRelay(pool, js, SCHEMA, batch=5) for _ in range(3)]
    while await pool.fetchval("SELECT count(*) FROM event_outbox"):
        await asyncio.gather(*(r.relay_once() for r in relays))
    # Each event exactly once, in the order the transactions committed, however the relays raced.
    assert await stored_ids(js, spec.subject) == committed
