"""What request handlers of the edge need from the running service, reachable from ``request.app``.

Only what the context holds is named here (under ``TYPE_CHECKING``: nothing of it runs at import); handlers get
the context through :func:`oneclick_edge.dependencies.edge_context`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.errors import ApiError
from oneclick_edge.settings import EdgeSettings

if TYPE_CHECKING:
    from nats.aio.client import Client as NATS

    from oneclick_edge.authenticator import Authenticator
    from oneclick_edge.live.hub import LiveHub
    from oneclick_edge.realtime import RealtimeBroker


@dataclass(frozen=True)
class EdgeContext:
    settings: EdgeSettings
    rpc: RpcClient
    instance: str
    version: str
    # Verifies tokens (oneclick_edge.authenticator); None only in tests that exercise no authenticated route.
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
