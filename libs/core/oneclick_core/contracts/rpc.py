"""RPC methods: core NATS request/reply on ``oneclick.rpc.<service>.<method>``, queue group = service.

A reply is ``{"result": <response model>}`` or ``{"error": {"status", "message", "data"}}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from oneclick_core.contracts.envelope import RPC_SUBJECT_PREFIX

Request = TypeVar("Request", bound=BaseModel)
Response = TypeVar("Response", bound=BaseModel)

SERVICES: tuple[str, ...] = ("edge", "auth", "records", "k8s-executor", "streaming", "updater")


@dataclass(frozen=True)
class RpcMethod(Generic[Request, Response]):
    """Declares one RPC: who answers it and the request and response models."""

    service: str
    method: str
    request: type[Request]
    response: type[Response]
    description: str

    @property
    def subject(self) -> str:
        return rpc_subject(self.service, self.method)


def rpc_subject(service: str, method: str) -> str:
    return f"{RPC_SUBJECT_PREFIX}.{service}.{method}"


class PingRequest(BaseModel):
    """Asks a service whether it is alive and ready."""


class PingResponse(BaseModel):
    service: str
    instance: str = Field(description="The replica that answered.")
    version: str
    started: datetime
    ready: bool = Field(description="True when every dependency of the service is reachable.")
    checks: dict[str, str] = Field(default_factory=dict, description="Dependency name → 'ok' or what is wrong.")
    admin_url: str | None = Field(None, description="Where this replica serves /healthz, /readyz, /metrics.")


def ping(service: str) -> RpcMethod[PingRequest, PingResponse]:
    """Every service answers ``ping``; the edge's /api/health gathers them."""
    return RpcMethod(
        service, "ping", PingRequest, PingResponse, "Liveness and readiness of one replica of the service."
    )


PING_METHODS: tuple[RpcMethod[PingRequest, PingResponse], ...] = tuple(ping(name) for name in SERVICES)
