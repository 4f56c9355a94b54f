"""The updater's work queue: one message per due check, shared by the replicas.

The scheduler writes a check message to the outbox in the same transaction that moves the autoUpdate to
its next due time, so a claimed due time always leads to exactly one message, even if the scheduler
dies right after. The stream has work-queue retention (a message is gone once acknowledged) and is the
updater's alone; domain events stay on ``ONECLICK_EVENTS``.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel

from oneclick_core.bus.consuming import ConsumerOptions
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.observability.tracing import current_traceparent
from oneclick_core.runtime.outbox import enqueue

WORK_STREAM = "ONECLICK_UPDATER_WORK"
CHECK_SUBJECT = "oneclick.work.updater.check"
CHECK_TYPE = "oneclick.updater.check.v1"
SCHEMA = "updater"
SOURCE = "updater"


class CheckJob(BaseModel):
    autoUpdate: str
    deployment: str
    dueAt: datetime
    freshAfter: datetime  # a tag listing fetched at or after this moment is fresh enough for this check


def check_consumer(ack_wait: float) -> ConsumerOptions:
    # Registry trouble is handled inside a check (retries, then a recorded failure); a redelivery only
    # follows infrastructure errors (records or PostgreSQL unavailable), so a few spaced tries suffice.
    return ConsumerOptions(
        durable="updater-checks",
        subjects=(CHECK_SUBJECT,),
        stream=WORK_STREAM,
        ack_wait=ack_wait,
        max_deliver=6,
        backoff=(1.0, 5.0, 15.0, 30.0),
        batch=1,
    )


def work_stream(replicas: int) -> StreamConfig:
    return StreamConfig(
        name=WORK_STREAM,
        description="Due autoUpdate checks for the updater's replicas",
        subjects=["oneclick.work.updater.>"],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        max_age=24 * 3600.0,
        duplicate_window=120.0,
        num_replicas=replicas,
    )


async def ensure_work_stream(js: JetStreamContext, replicas: int) -> None:
    config = work_stream(replicas)
    try:
        await js.stream_info(WORK_STREAM)
    except NotFoundError:
        try:
            await js.add_stream(config)
            return
        except Exception:
            # Another replica created it between our lookup and our create.
            await js.stream_info(WORK_STREAM)
    await js.update_stream(config)


async def enqueue_check(conn: asyncpg.Connection, job: CheckJob) -> None:
    envelope = Envelope(
        source=SOURCE,
        type=CHECK_TYPE,
        subject=job.autoUpdate,
        traceparent=current_traceparent.get(),
        data=job.model_dump(mode="json"),
    )
    await enqueue(conn, CHECK_SUBJECT, envelope, schema=SCHEMA)
