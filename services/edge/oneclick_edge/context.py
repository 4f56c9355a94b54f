"""What request handlers of the edge need from the running service, reachable from ``request.app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.errors import ApiError
from oneclick_edge.settings import EdgeSettings

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

    from oneclick_edge.auth import Authenticator
    from oneclick_edge.live.hub import LiveHub
    from oneclick_edge.realtime import RealtimeBroker


@dataclass(frozen=True)
class EdgeContext:
    settings: EdgeSettings
    rpc: RpcClient
    instance: str
    version: str
    # Verifies tokens (oneclick_edge.auth); None only in tests that exercise no authenticated route.
    authenticator: Authenticator | None = None
    # The replica's NATS connection, for live subjects; None in tests of plain HTTP routes.
    nc: NATS | None = None
    realtime: RealtimeBroker | None = None
    # Live Kubernetes views (WebSockets, log streams); None in tests of plain HTTP routes.
    live: LiveHub | None = None

    def realtime_broker(self) -> RealtimeBroker:
        if self.realtime is None:
            raise ApiError.unavailable("Realtime is not available.")
        return self.realtime


async def edge_context(request: Request) -> EdgeContext:
    # async on purpose: FastAPI runs plain-def dependencies in a worker thread, a hop on every request.
    context: EdgeContext = request.app.state.edge
    return context
