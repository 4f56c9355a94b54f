"""What request handlers of the edge need from the running service, reachable from ``request.app``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from oneclick_core.bus.rpc import RpcClient
from oneclick_edge.settings import EdgeSettings

if TYPE_CHECKING:
    from oneclick_edge.auth import Authenticator


@dataclass(frozen=True)
class EdgeContext:
    settings: EdgeSettings
    rpc: RpcClient
    instance: str
    version: str
    # Verifies tokens (oneclick_edge.auth); None only in tests that exercise no authenticated route.
    authenticator: Authenticator | None = None


def edge_context(request: Request) -> EdgeContext:
    context: EdgeContext = request.app.state.edge
    return context
