"""The event envelope, with CloudEvents 1.0 attribute names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from oneclick_core.ids import new_event_id
from oneclick_core.timestamps import utcnow

EVENT_SUBJECT_PREFIX = "oneclick.events"
RPC_SUBJECT_PREFIX = "oneclick.rpc"
LIVE_SUBJECT_PREFIX = "oneclick.live"
DEAD_LETTER_SUBJECT_PREFIX = "oneclick.dlq"

Payload = TypeVar("Payload", bound=BaseModel)


class Envelope(BaseModel):
    """A domain event as it travels on JetStream (``oneclick.events.<aggregate>.<verb>``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=new_event_id, description="Sortable unique id; also Nats-Msg-Id.")
    source: str = Field(description="The service that emitted the event.")
    type: str = Field(description="e.g. oneclick.rollout.created.v1")
    time: datetime = Field(default_factory=utcnow)
    subject: str | None = Field(None, description="The id of the record the event is about.")
    datacontenttype: Literal["application/json"] = "application/json"
    traceparent: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class EventSpec(Generic[Payload]):
    """Declares one event: where it is published and the model of its ``data``."""

    aggregate: str
    verb: str
    payload: type[Payload]
    description: str
    version: int = 1

    @property
    def subject(self) -> str:
        return f"{EVENT_SUBJECT_PREFIX}.{self.aggregate}.{self.verb}"

    @property
    def type(self) -> str:
        return f"oneclick.{self.aggregate}.{self.verb}.v{self.version}"

    def envelope(
        self, *, source: str, data: Payload, subject: str | None = None, traceparent: str | None = None
    ) -> Envelope:
        return Envelope(
            source=source, type=self.type, subject=subject, traceparent=traceparent, data=data.model_dump(mode="json")
        )

    def parse(self, envelope: Envelope) -> Payload:
        return self.payload.model_validate(envelope.data)
