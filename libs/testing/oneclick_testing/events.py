"""Reading back what the platform stored on the JetStream events stream, as a test's evidence of what happened."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.envelope import Envelope


class StoredEvent(NamedTuple):
    sequence: int  # in the stream: orders events of different subjects
    envelope: Envelope


async def stored_messages(nc: NATS, subjects: str, *, quiet_for: float = 1.0) -> list[Msg]:
    """Every message on ``subjects`` the stream held when asked, in order.

    A subscription silent for ``quiet_for`` seconds has nothing more: the stream's last message need not be on
    ``subjects``.
    """
    js = nc.jetstream()
    last = (await js.stream_info(EVENTS_STREAM)).state.last_seq
    found: list[Msg] = []
    subscription = await js.subscribe(
        subjects, stream=EVENTS_STREAM, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL
    )
    try:
        while True:
            try:
                msg = await subscription.next_msg(timeout=quiet_for)
            except TimeoutError:
                return found
            found.append(msg)
            if msg.metadata.sequence.stream >= last:
                return found
    finally:
        await subscription.unsubscribe()


async def stored_events(
    nc: NATS, subjects: str, keep: Callable[[Envelope], bool] = lambda _: True, *, quiet_for: float = 1.0
) -> list[StoredEvent]:
    """Every stored event on ``subjects`` that ``keep`` accepts, in order: what the platform kept, duplicate
    publishes dropped by the stream."""
    found: list[StoredEvent] = []
    for msg in await stored_messages(nc, subjects, quiet_for=quiet_for):
        try:
            envelope = Envelope.model_validate_json(msg.data)
        except ValidationError:
            continue  # other tests share the stream, undecodable messages included
        if keep(envelope):
            found.append(StoredEvent(msg.metadata.sequence.stream, envelope))
    return found
