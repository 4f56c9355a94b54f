"""Publishing and consuming domain events over a real NATS server with JetStream."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
from collections.abc import AsyncIterator

import orjson
import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from oneclick_core.bus.consuming import ConsumerOptions, Delivery, EventConsumer, PoisonMessage
from oneclick_core.bus.publishing import publish_envelope, publish_event
from oneclick_core.bus.streams import DEAD_LETTER_STREAM, EVENTS_STREAM, drifted, ensure_streams, platform_streams
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.observability.tracing import current_traceparent, new_traceparent
from oneclick_testing.waiting import eventually

from .events_for_tests import Ping, unique_spec


@pytest.fixture
async def js(nc: NATS) -> JetStreamContext:
    context = nc.jetstream()
    await ensure_streams(context)
    return context


@contextlib.asynccontextmanager
async def running(consumer: EventConsumer) -> AsyncIterator[EventConsumer]:
    await consumer.setup()
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        await consumer.stop()
        await asyncio.wait_for(task, 10)


async def test_ensure_streams_is_idempotent(js: JetStreamContext) -> None:
    await ensure_streams(js)
    await ensure_streams(js)
    info = await js.stream_info(EVENTS_STREAM)
    assert info.config.subjects == ["oneclick.events.>"]
    assert info.config.duplicate_window == 120.0
    assert (await js.stream_info(DEAD_LETTER_STREAM)).config.subjects == ["oneclick.dlq.>"]


async def test_an_event_published_once_is_processed_once(js: JetStreamContext) -> None:
    spec = unique_spec()
    seen: list[tuple[str, int]] = []

    async def handle(envelope: Envelope, delivery: Delivery) -> None:
        seen.append((envelope.id, spec.parse(envelope).n))

    consumer = EventConsumer(
        js, ConsumerOptions(durable=f"t{secrets.token_hex(4)}", subjects=(spec.subject,), fetch_timeout=0.2), handle
    )
    async with running(consumer):
        published = [await publish_event(js, spec, Ping(n=n), source="test") for n in range(5)]
        await eventually(lambda: len(seen) == 5)
        await asyncio.sleep(0.5)  # time for any stray redelivery to show up
    assert seen == [(p.envelope.id, n) for n, p in enumerate(published)]
    assert published[0].envelope.type == f"oneclick.{spec.aggregate}.pinged.v1"


async def test_events_travel_as_cloudevents_and_carry_the_trace_to_the_handler(js: JetStreamContext) -> None:
    """The stored message is a CloudEvents 1.0 JSON event (attribute names as the spec has them), and the
    publisher's traceparent becomes the handler's current one: a trace follows a change across services."""
    spec = unique_spec()
    traceparent = new_traceparent()
    handled: list[str | None] = []

    async def handle(envelope: Envelope, delivery: Delivery) -> None:
        handled.append(current_traceparent.get())

    consumer = EventConsumer(
        js, ConsumerOptions(durable=f"t{secrets.token_hex(4)}", subjects=(spec.subject,), fetch_timeout=0.2), handle
    )
    async with running(consumer):
        token = current_traceparent.set(traceparent)
        try:
            published = await publish_event(js, spec, Ping(n=7), source="tester", subject="rec123456789012")
        finally:
            current_traceparent.reset(token)
        await eventually(lambda: len(handled) == 1)
    stored = await js.get_last_msg(EVENTS_STREAM, spec.subject)
    wire = orjson.loads(stored.data or b"")
    assert stored.headers is not None
    assert set(wire) == {
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "subject",
        "datacontenttype",
        "traceparent",
        "data",
    }
    assert wire["specversion"] == "1.0"
    assert wire["id"] == published.envelope.id == stored.headers["Nats-Msg-Id"]
    assert wire["source"] == "tester"
    assert wire["type"] == f"oneclick.{spec.aggregate}.pinged.v1"
    assert wire["subject"] == "rec123456789012"
    assert wire["datacontenttype"] == "application/json"
    assert wire["data"] == {"n": 7}
    assert wire["time"].endswith("Z") or wire["time"].endswith("+00:00")
    assert wire["traceparent"] == traceparent == stored.headers["traceparent"]
    assert handled == [traceparent]


async def test_repeated_message_id_is_deduplicated_by_the_stream(js: JetStreamContext) -> None:
    spec = unique_spec()
    envelope = spec.envelope(source="test", data=Ping(n=1))
    first = await publish_envelope(js, spec.subject, envelope)
    again = await publish_envelope(js, spec.subject, envelope)
    assert not first.duplicate
    assert again.duplicate
    assert again.stream_seq == first.stream_seq
    stored = await js.get_last_msg(EVENTS_STREAM, spec.subject)
    assert stored.seq == first.stream_seq
    assert stored.headers is not None
    assert stored.headers["Nats-Msg-Id"] == envelope.id


async def test_failing_handler_is_retried_then_dead_lettered(js: JetStreamContext) -> None:
    spec = unique_spec()
    deliveries: list[int] = []

    async def always_fails(envelope: Envelope, delivery: Delivery) -> None:
        deliveries.append(delivery.num_delivered)
        raise RuntimeError("downstream is broken")

    options = ConsumerOptions(
        durable=f"t{secrets.token_hex(4)}", subjects=(spec.subject,), max_deliver=3, backoff=(0.05,), fetch_timeout=0.2
    )
    dead = await js.subscribe(options.dead_letter_subject, stream=DEAD_LETTER_STREAM, ordered_consumer=True)
    async with running(EventConsumer(js, options, always_fails)):
        published = await publish_event(js, spec, Ping(n=7), source="test")
        message = await dead.next_msg(timeout=20)
    await dead.unsubscribe()
    assert deliveries == [1, 2, 3]
    assert Envelope.model_validate_json(message.data).id == published.envelope.id
    assert message.headers is not None
    assert message.headers["Oneclick-Original-Subject"] == spec.subject
    assert message.headers["Oneclick-Deliveries"] == "3"
    assert "downstream is broken" in message.headers["Oneclick-Error"]


async def test_poison_message_is_dead_lettered_without_retries(js: JetStreamContext) -> None:
    spec = unique_spec()
    deliveries: list[int] = []

    async def refuses(envelope: Envelope, delivery: Delivery) -> None:
        deliveries.append(delivery.num_delivered)
        raise PoisonMessage("refers to a record that can never exist")

    options = ConsumerOptions(durable=f"t{secrets.token_hex(4)}", subjects=(spec.subject,), fetch_timeout=0.2)
    dead = await js.subscribe(options.dead_letter_subject, stream=DEAD_LETTER_STREAM, ordered_consumer=True)
    async with running(EventConsumer(js, options, refuses)):
        await publish_event(js, spec, Ping(n=1), source="test")
        message = await dead.next_msg(timeout=20)
        await asyncio.sleep(0.3)
    await dead.unsubscribe()
    assert deliveries == [1]
    assert message.headers is not None
    assert message.headers["Oneclick-Error"].startswith("poison:")


async def test_undecodable_message_is_dead_lettered(js: JetStreamContext) -> None:
    spec = unique_spec()
    handled: list[Envelope] = []

    async def handle(envelope: Envelope, delivery: Delivery) -> None:
        handled.append(envelope)

    options = ConsumerOptions(durable=f"t{secrets.token_hex(4)}", subjects=(spec.subject,), fetch_timeout=0.2)
    dead = await js.subscribe(options.dead_letter_subject, stream=DEAD_LETTER_STREAM, ordered_consumer=True)
    async with running(EventConsumer(js, options, handle)):
        await js.publish(spec.subject, b"not json")
        message = await dead.next_msg(timeout=20)
    await dead.unsubscribe()
    assert message.data == b"not json"
    assert handled == []


async def test_replicas_of_a_consumer_share_the_work(js: JetStreamContext) -> None:
    spec = unique_spec()
    durable = f"t{secrets.token_hex(4)}"
    by_replica: dict[str, list[int]] = {"a": [], "b": []}

    def handler(name: str):  # type: ignore[no-untyped-def]
        async def handle(envelope: Envelope, delivery: Delivery) -> None:
            by_replica[name].append(spec.parse(envelope).n)
            await asyncio.sleep(0.01)

        return handle

    options = ConsumerOptions(durable=durable, subjects=(spec.subject,), batch=1, fetch_timeout=0.2)
    async with running(EventConsumer(js, options, handler("a"))), running(EventConsumer(js, options, handler("b"))):
        for n in range(40):
            await publish_event(js, spec, Ping(n=n), source="test")
        await eventually(lambda: len(by_replica["a"]) + len(by_replica["b"]) == 40)
    assert sorted(by_replica["a"] + by_replica["b"]) == list(range(40))
    assert by_replica["a"]
    assert by_replica["b"]


async def test_streams_are_updated_only_when_their_config_differs(
    js: JetStreamContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    updates: list[str] = []
    real_update = js.update_stream

    async def counting_update(config: object, **kwargs: object) -> object:
        updates.append(str(getattr(config, "name", "")))
        return await real_update(config, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(js, "update_stream", counting_update)
    await ensure_streams(js)
    assert updates == []  # in place and as configured: no write at every service start
    changed = (await js.stream_info(EVENTS_STREAM)).config
    changed.max_age = 3600.0
    await real_update(changed)
    await ensure_streams(js)
    assert updates == [EVENTS_STREAM]
    assert (await js.stream_info(EVENTS_STREAM)).config.max_age == 7 * 24 * 3600.0


async def test_stop_finishes_the_message_in_hand_acks_it_and_takes_no_more(js: JetStreamContext) -> None:
    spec = unique_spec()
    durable = f"t{secrets.token_hex(4)}"
    # Published before the consumer starts, so its first fetch holds more than the message it works on.
    published = [await publish_event(js, spec, Ping(n=n), source="test") for n in range(3)]
    in_hand, release = asyncio.Event(), asyncio.Event()
    started: list[int] = []
    finished: list[int] = []

    async def slow(envelope: Envelope, delivery: Delivery) -> None:
        n = spec.parse(envelope).n
        started.append(n)
        in_hand.set()
        await release.wait()
        finished.append(n)

    # A short ack_wait: a message left unacknowledged would come back to the next consumer within seconds.
    options = ConsumerOptions(durable=durable, subjects=(spec.subject,), ack_wait=1.0, fetch_timeout=0.2)
    consumer = EventConsumer(js, options, slow)
    await consumer.setup()
    task = asyncio.create_task(consumer.run())
    await asyncio.wait_for(in_hand.wait(), 20)
    await consumer.stop()
    late = await publish_event(js, spec, Ping(n=3), source="test")
    await asyncio.sleep(0.3)  # a chance for stop() to cut the handler short, which it must not do
    assert not task.done()
    release.set()
    await asyncio.wait_for(task, 10)
    assert started == [0]  # nothing taken after stop(): neither the rest of the batch nor the late message
    assert finished == [0]

    async def ack_floor() -> int:
        info = await js.consumer_info(EVENTS_STREAM, durable)
        return int(info.ack_floor.stream_seq)

    async def acknowledged_in_hand() -> bool:
        # An ack is fire-and-forget on the wire; JetStream applies it shortly after the handler returns.
        return await ack_floor() == published[0].stream_seq

    await eventually(acknowledged_in_hand, timeout=10, message="the message in hand was not acknowledged")

    # A new consumer on the same durable gets everything except the finished message.
    handled: list[int] = []

    async def record(envelope: Envelope, delivery: Delivery) -> None:
        handled.append(spec.parse(envelope).n)

    async with running(EventConsumer(js, options, record)):
        await eventually(lambda: len(handled) == 3)
        await asyncio.sleep(options.ack_wait * 2)  # long enough for an unacknowledged message to come back
    assert sorted(handled) == [1, 2, 3]

    async def all_acknowledged() -> bool:
        return await ack_floor() == late.stream_seq

    await eventually(all_acknowledged, timeout=10, message="not every message was acknowledged")
    assert (await js.consumer_info(EVENTS_STREAM, durable)).num_ack_pending == 0


def test_drift_is_judged_on_every_field_the_platform_sets_and_only_those() -> None:
    wanted = platform_streams()[0]
    assert not drifted(wanted, wanted)
    # A field the server fills in and the platform leaves unset is never drift.
    assert not drifted(dataclasses.replace(wanted, max_msgs=1000), wanted)
    # Any field the platform sets counts, including ones added later (no hand-kept list to forget).
    assert drifted(dataclasses.replace(wanted, max_age=60.0), wanted)
    assert drifted(wanted, dataclasses.replace(wanted, max_msgs=1000))
