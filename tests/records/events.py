"""Reading the domain events a test caused back from JetStream."""

from __future__ import annotations

from collections.abc import Callable

from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.envelope import Envelope


async def stored_events(nc: NATS, subjects: str, keep: Callable[[Envelope], bool]) -> list[tuple[int, Envelope]]:
    """(stream sequence, envelope) of every stored event on ``subjects`` that ``keep`` accepts, in order."""
    js = nc.jetstream()
    last = (await js.stream_info(EVENTS_STREAM)).state.last_seq
    found: list[tuple[int, Envelope]] = []
    sub = await js.subscribe(subjects, stream=EVENTS_STREAM, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                return found
            try:
                envelope = Envelope.model_validate_json(msg.data)
            except ValidationError:
                envelope = None  # other tests share the stream, undecodable messages included
            if envelope is not None and keep(envelope):
                found.append((msg.metadata.sequence.stream, envelope))
            if msg.metadata.sequence.stream >= last:
                return found
    finally:
        await sub.unsubscribe()
