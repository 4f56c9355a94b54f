"""An event declared only for the bus tests; each test publishes on a subject of its own."""

from __future__ import annotations

import secrets

from pydantic import BaseModel

from oneclick_core.contracts.envelope import EventSpec


class Ping(BaseModel):
    n: int


def unique_spec() -> EventSpec[Ping]:
    return EventSpec(aggregate=f"test{secrets.token_hex(4)}", verb="pinged", payload=Ping, description="bus test event")
