"""Durable pull consumers: explicit ack, nak with backoff, bounded deliveries, dead-letter subject.

Replicas of a service bind to the same durable consumer and compete for messages; a replica that dies
holding a message without acking it makes JetStream redeliver it after ``ack_wait`` to another one.
Handlers must therefore be idempotent (see :mod:`oneclick_core.runtime.inbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from oneclick_core.bus.publishing import MSG_ID_HEADER
from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.envelope import DEAD_LETTER_SUBJECT_PREFIX, Envelope
from oneclick_core.observability.logs import bound_context, get_logger
from oneclick_core.observability.metrics import BusMetrics
from oneclick_core.observability.tracing import current_traceparent, parse_trace_id

log = get_logger(__name__)


@dataclass(frozen=True)
class ConsumerOptions:
    durable: str
    subjects: tuple[str, ...]
    stream: str = EVENTS_STREAM
    max_deliver: int = 5
    ack_wait: float = 30.0
    # Delay before the n-th redelivery after a handler error; the last value repeats.
    backoff: tuple[float, ...] = (1.0, 5.0, 15.0, 60.0)
    batch: int = 16
    fetch_timeout: float = 2.0

    def backoff_for(self, num_delivered: int) -> float:
        index = min(max(num_delivered - 1, 0), len(self.backoff) - 1)
        return self.backoff[index]

    @property
    def dead_letter_subject(self) -> str:
        return f"{DEAD_LETTER_SUBJECT_PREFIX}.{self.durable}"


@dataclass(frozen=True)
class Delivery:
    subject: str
    stream_seq: int
    num_delivered: int


class PoisonMessage(Exception):
    """Raised by a handler for an event that can never succeed: dead-lettered without retries."""


EventHandler = Callable[[Envelope, Delivery], Awaitable[None]]


class EventConsumer:
    """Runs one durable pull consumer until :meth:`stop`; finishes the message in hand before stopping."""

    def __init__(
        self, js: JetStreamContext, options: ConsumerOptions, handler: EventHandler, metrics: BusMetrics | None = None
    ) -> None:
        self._js = js
        self._options = options
        self._handler = handler
        self._metrics = metrics
        self._stopping = asyncio.Event()
        self._subscription: JetStreamContext.PullSubscription | None = None

    @property
    def options(self) -> ConsumerOptions:
        return self._options

    async def setup(self) -> None:
        """Create or update the durable consumer and bind to it (idempotent across replicas)."""
        opts = self._options
        config = ConsumerConfig(
            name=opts.durable,
            durable_name=opts.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=opts.ack_wait,
            max_deliver=opts.max_deliver,
            filter_subjects=list(opts.subjects),
            max_ack_pending=max(opts.batch * 64, 1000),
        )
        await self._js.add_consumer(opts.stream, config)
        self._subscription = await self._js.pull_subscribe_bind(durable=opts.durable, stream=opts.stream)

    async def run(self) -> None:
        if self._subscription is None:
            await self.setup()
        assert self._subscription is not None
        try:
            await self._poll(self._subscription)
        finally:
            # A pull request still open on the server answers into this subscription after we stop;
            # unsubscribing lets the connection drain at once instead of waiting out its grace period.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()

    async def _poll(self, subscription: JetStreamContext.PullSubscription) -> None:
        while not self._stopping.is_set():
            try:
                messages = await subscription.fetch(self._options.batch, timeout=self._options.fetch_timeout)
            except TimeoutError:
                continue
            except (
                nats.errors.ConnectionClosedError,
                nats.errors.ConnectionReconnectingError,
                nats.errors.NoRespondersError,
                nats.errors.Error,
            ) as exc:
                # NATS restarting or a JetStream hiccup: wait and poll again; messages stay in the stream.
                log.warning("consumer.fetch_failed", consumer=self._options.durable, error=str(exc))
                await asyncio.sleep(0.5)
                continue
            for index, msg in enumerate(messages):
                if self._stopping.is_set():
                    # Hand the rest of the batch back at once instead of making others wait for ack_wait.
                    for pending in messages[index:]:
                        with contextlib.suppress(Exception):
                            await pending.nak()
                    break
                await self._process(msg)

    async def stop(self) -> None:
        self._stopping.set()

    async def _process(self, msg: Msg) -> None:
        opts = self._options
        metadata = msg.metadata
        delivery = Delivery(
            subject=msg.subject, stream_seq=metadata.sequence.stream, num_delivered=metadata.num_delivered
        )
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except ValidationError as exc:
            await self._dead_letter(msg, delivery, f"undecodable envelope: {exc.error_count()} error(s)")
            return

        keep_alive = asyncio.create_task(self._keep_alive(msg))
        started = time.perf_counter()
        token = current_traceparent.set(envelope.traceparent)
        try:
            with bound_context(
                event_id=envelope.id,
                event_type=envelope.type,
                trace_id=parse_trace_id(envelope.traceparent),
                consumer=opts.durable,
            ):
                try:
                    await self._handler(envelope, delivery)
                except PoisonMessage as exc:
                    await self._dead_letter(msg, delivery, f"poison: {exc}")
                    return
                except Exception as exc:
                    if delivery.num_delivered >= opts.max_deliver:
                        log.error("consumer.giving_up", deliveries=delivery.num_delivered, error=repr(exc))
                        await self._dead_letter(msg, delivery, repr(exc))
                    else:
                        delay = opts.backoff_for(delivery.num_delivered)
                        log.warning(
                            "consumer.handler_failed",
                            deliveries=delivery.num_delivered,
                            retry_in=delay,
                            error=repr(exc),
                        )
                        await msg.nak(delay=delay)
                        self._count("retried")
                    return
                await msg.ack()
                self._count("ok")
        finally:
            current_traceparent.reset(token)
            keep_alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keep_alive
            if self._metrics is not None:
                self._metrics.event_duration.labels(opts.durable).observe(time.perf_counter() - started)

    async def _keep_alive(self, msg: Msg) -> None:
        """Tell JetStream a slow handler is still working so it does not redeliver meanwhile."""
        interval = max(self._options.ack_wait / 3, 0.1)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _dead_letter(self, msg: Msg, delivery: Delivery, reason: str) -> None:
        opts = self._options
        headers = {
            # Re-running after a crash between publish and term must not store the message twice.
            MSG_ID_HEADER: f"{opts.durable}:{delivery.stream_seq}",
            "Oneclick-Original-Subject": delivery.subject,
            "Oneclick-Stream-Seq": str(delivery.stream_seq),
            "Oneclick-Deliveries": str(delivery.num_delivered),
            "Oneclick-Error": reason[:1024],
        }
        await self._js.publish(opts.dead_letter_subject, msg.data, headers=headers)
        await msg.term()
        log.error(
            "consumer.dead_lettered", subject=delivery.subject, stream_seq=delivery.stream_seq, reason=reason[:200]
        )
        self._count("dead_lettered")
        if self._metrics is not None:
            self._metrics.events_dead_lettered.labels(opts.durable).inc()

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.events_handled.labels(self._options.durable, outcome).inc()
