"""What request handlers of the edge need from the running service, reachable from ``request.app``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from oneclick_core.bus.rpc import RpcClient
from oneclick_edge.settings import EdgeSettings


@dataclass(frozen=True)
class EdgeContext:
    settings: EdgeSettings
    rpc: RpcClient
    instance: str
    version: str


def edge_context(request: Request) -> EdgeContext:
    context: EdgeContext = request.app.state.edge
    return context
