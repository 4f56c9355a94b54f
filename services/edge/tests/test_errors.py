"""The edge turns every failure into PocketBase's error shape and the right HTTP status.

The RPC goes over a real NATS server to a replica answering in this process; the edge app is the real
one with one extra route that forwards to it, the way every edge handler forwards to its service.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import Depends, FastAPI
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from oneclick_core.bus.rpc import RpcClient, RpcServer
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.errors import ApiError
from oneclick_edge.app import create_app
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import edge_context
from oneclick_edge.settings import EdgeSettings


class Lookup(BaseModel):
    id: str


class Found(BaseModel):
    id: str


@pytest.fixture
async def edge(nc: NATS) -> AsyncIterator[httpx.AsyncClient]:
    service = f"svc{secrets.token_hex(3)}"
    lookup: RpcMethod[Lookup, Found] = RpcMethod(service, "lookup", Lookup, Found, "test lookup")
    server = RpcServer(nc, service)

    async def answer(request: Lookup) -> Found:
        if request.id == "missing":
            raise ApiError(404, "The requested resource wasn't found.")
        if request.id == "invalid":
            raise ApiError.bad_request(data={"name": {"code": "validation_required", "message": "Missing."}})
        if request.id == "slow":
            await asyncio.sleep(10)
        if request.id == "crash":
            raise RuntimeError("bug")
        return Found(id=request.id)

    server.register(lookup, answer)
    await server.start()
    # Long enough for a loaded machine to answer the quick cases, short against the 10 s "slow" handler.
    settings = EdgeSettings(rpc_timeout=3)
    app: FastAPI = create_app(
        EdgeContext(settings=settings, rpc=RpcClient(nc, "edge", timeout=3), instance="test", version="0")
    )

    @app.get("/api/test/{item}")
    async def forward(item: str, context: EdgeContext = Depends(edge_context)) -> Found:
        return await context.rpc.call(lookup, Lookup(id=item))

    @app.get("/api/gone")
    async def gone(context: EdgeContext = Depends(edge_context)) -> Found:
        return await context.rpc.call(RpcMethod("nobody-runs-this", "x", Lookup, Found, ""), Lookup(id="x"))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://edge"
    ) as client:
        yield client
    await server.stop(grace=0.1)


@pytest.mark.parametrize(
    ("item", "status", "data"),
    [
        ("missing", 404, {}),
        ("invalid", 400, {"name": {"code": "validation_required", "message": "Missing."}}),
        ("crash", 500, {}),
    ],
)
async def test_rpc_error_envelopes_map_to_http(
    edge: httpx.AsyncClient, item: str, status: int, data: dict[str, object]
) -> None:
    response = await edge.get(f"/api/test/{item}")
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"status", "message", "data"}
    assert body["status"] == status
    assert body["data"] == data
    assert "bug" not in body["message"]  # internals of a crash stay in the service's log


async def test_success_passes_through(edge: httpx.AsyncClient) -> None:
    response = await edge.get("/api/test/abc")
    assert response.status_code == 200
    assert response.json() == {"id": "abc"}


async def test_unanswered_rpc_is_503_not_a_hang(edge: httpx.AsyncClient) -> None:
    response = await edge.get("/api/test/slow")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["data"]


async def test_service_without_replicas_is_503(edge: httpx.AsyncClient) -> None:
    response = await edge.get("/api/gone")
    assert response.status_code == 503
    assert response.json()["message"] == "The nobody-runs-this service is unavailable."


async def test_unknown_route_and_method_use_the_error_shape(edge: httpx.AsyncClient) -> None:
    missing = await edge.get("/api/nothing-here")
    assert missing.status_code == 404
    assert missing.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}
    wrong = await edge.post("/api/health")
    assert wrong.status_code == 405
    assert wrong.json()["status"] == 405
