"""Publishing domain events to JetStream, de-duplicated by ``Nats-Msg-Id`` = event id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from nats.js import JetStreamContext
from pydantic import BaseModel

from oneclick_core.contracts.envelope import Envelope, EventSpec
from oneclick_core.observability.tracing import current_traceparent

MSG_ID_HEADER = "Nats-Msg-Id"
P = TypeVar("P", bound=BaseModel)


@dataclass(frozen=True)
class Published:
    envelope: Envelope
    stream_seq: int
    duplicate: bool


def envelope_headers(envelope: Envelope) -> dict[str, str]:
    headers = {MSG_ID_HEADER: envelope.id, "ce-type": envelope.type}
    if envelope.traceparent:
        headers["traceparent"] = envelope.traceparent
    return headers


async def publish_envelope(js: JetStreamContext, subject: str, envelope: Envelope, timeout: float = 5.0) -> Published:
    """Publish and wait for the stream's acknowledgement; a repeat of the same id is reported, not stored."""
    ack = await js.publish(
        subject, envelope.model_dump_json().encode(), timeout=timeout, headers=envelope_headers(envelope)
    )
    return Published(envelope=envelope, stream_seq=ack.seq, duplicate=bool(ack.duplicate))


async def publish_event(
    js: JetStreamContext, spec: EventSpec[P], data: P, *, source: str, subject: str | None = None
) -> Published:
    """Publish one event directly (no database write goes with it; otherwise use the outbox)."""
    envelope = spec.envelope(source=source, data=data, subject=subject, traceparent=current_traceparent.get())
    return await publish_envelope(js, spec.subject, envelope)
