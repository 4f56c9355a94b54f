"""A consumer replica as its own process, for the crash tests: handles events idempotently into PostgreSQL.

Usage: python consumer_worker.py NATS_URL DATABASE_URL DURABLE SUBJECT NAME [PAUSE_POINT]

With PAUSE_POINT ``before_commit`` or ``after_commit`` the worker prints ``paused <event id>`` at that
point of its first message and hangs there, so the test can SIGKILL it mid-message.
"""

from __future__ import annotations

import asyncio
import sys

import asyncpg
import nats

from oneclick_core.bus.consuming import ConsumerOptions, Delivery, EventConsumer
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.runtime.inbox import claim


async def main(nats_url: str, database_url: str, durable: str, subject: str, name: str, pause: str) -> None:
    nc = await nats.connect(nats_url)
    db = await asyncpg.connect(database_url, server_settings={"search_path": "bus_test"})
    paused_once = False

    async def handle(envelope: Envelope, delivery: Delivery) -> None:
        nonlocal paused_once
        async with db.transaction():
            if not await claim(db, durable, envelope.id):
                print(f"skipped {envelope.id} {delivery.num_delivered}", flush=True)
                return
            await db.execute(
                "INSERT INTO handled (event_id, worker, deliveries) VALUES ($1, $2, $3)",
                envelope.id,
                name,
                delivery.num_delivered,
            )
            if pause == "before_commit" and not paused_once:
                paused_once = True
                print(f"paused {envelope.id}", flush=True)
                await asyncio.Event().wait()
        if pause == "after_commit" and not paused_once:
            paused_once = True
            print(f"paused {envelope.id}", flush=True)
            await asyncio.Event().wait()
        print(f"handled {envelope.id} {delivery.num_delivered}", flush=True)

    # ack_wait is short so the redelivery after a crash comes within the test's patience.
    consumer = EventConsumer(
        nc.jetstream(),
        ConsumerOptions(durable=durable, subjects=(subject,), ack_wait=1.5, batch=1, fetch_timeout=0.2),
        handle,
    )
    await consumer.setup()
    print("ready", flush=True)
    await consumer.run()


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(*args[:5], args[5] if len(args) > 5 else ""))
