"""RPC over a real NATS server: typed round trips, the error envelope, and failures as 503s."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import nats
import orjson
import pytest
from nats.aio.client import Client as NATS
from pydantic import BaseModel, Field

from oneclick_core.bus.rpc import RpcClient, RpcServer
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.errors import ApiError
from oneclick_core.observability.tracing import current_traceparent, new_traceparent, parse_trace_id


class Add(BaseModel):
    a: int
    b: int = Field(ge=0)


class Sum(BaseModel):
    total: int
    by: str


def methods(service: str) -> tuple[RpcMethod[Add, Sum], RpcMethod[Add, Sum], RpcMethod[Add, Sum]]:
    return (
        RpcMethod(service, "add", Add, Sum, "adds"),
        RpcMethod(service, "fail", Add, Sum, "fails"),
        RpcMethod(service, "slow", Add, Sum, "hangs"),
    )


@pytest.fixture
async def service() -> str:
    return f"calc{secrets.token_hex(3)}"


async def start_server(nats_url: str, service: str, name: str) -> tuple[NATS, RpcServer]:
    conn = await nats.connect(nats_url)
    server = RpcServer(conn, service)
    add, fail, slow = methods(service)

    async def do_add(request: Add) -> Sum:
        return Sum(total=request.a + request.b, by=name)

    async def do_fail(request: Add) -> Sum:
        raise ApiError(404, "No such calculator.", {"a": {"code": "validation_missing", "message": "gone"}})

    async def do_slow(request: Add) -> Sum:
        await asyncio.sleep(30)
        raise AssertionError("unreachable")

    server.register(add, do_add)
    server.register(fail, do_fail)
    server.register(slow, do_slow)
    await server.start()
    await conn.flush()
    return conn, server


@pytest.fixture
async def replica(nats_url: str, nc: NATS, service: str) -> AsyncIterator[RpcServer]:
    conn, server = await start_server(nats_url, service, "one")
    # Answered once through the client (which rides out NATS's brief "no responders" after a new
    # subscription), so the raw requests of the tests below meet a replica that is known to be reachable.
    await RpcClient(nc, "test").call(methods(service)[0], Add(a=0, b=0))
    yield server
    await server.stop(grace=0.1)
    await conn.close()


async def test_typed_round_trip(nc: NATS, service: str, replica: RpcServer) -> None:
    add, _, _ = methods(service)
    reply = await RpcClient(nc, "test").call(add, Add(a=2, b=3))
    assert isinstance(reply, Sum)
    assert reply == Sum(total=5, by="one")


async def test_the_callers_trace_continues_in_the_handler(nats_url: str, nc: NATS, service: str) -> None:
    """An RPC carries the caller's trace id in a ``traceparent`` header (a new span of the same trace)."""
    conn = await nats.connect(nats_url)
    server = RpcServer(conn, service)
    add = methods(service)[0]
    seen: list[str | None] = []

    async def do_add(request: Add) -> Sum:
        seen.append(current_traceparent.get())
        return Sum(total=request.a + request.b, by="traced")

    server.register(add, do_add)
    await server.start()
    try:
        caller = new_traceparent()
        token = current_traceparent.set(caller)
        try:
            await RpcClient(nc, "test").call(add, Add(a=1, b=1))
        finally:
            current_traceparent.reset(token)
    finally:
        await server.stop(grace=0.1)
        await conn.close()
    assert len(seen) == 1
    assert seen[0] != caller  # a child span
    assert parse_trace_id(seen[0]) == parse_trace_id(caller)


async def test_handler_error_travels_as_pocketbase_envelope(nc: NATS, service: str, replica: RpcServer) -> None:
    _, fail, _ = methods(service)
    raw = await nc.request(fail.subject, b'{"a": 1, "b": 1}', timeout=5)
    assert orjson.loads(raw.data) == {
        "error": {
            "status": 404,
            "message": "No such calculator.",
            "data": {"a": {"code": "validation_missing", "message": "gone"}},
        }
    }
    with pytest.raises(ApiError) as caught:
        await RpcClient(nc, "test").call(fail, Add(a=1, b=1))
    assert caught.value.status == 404
    assert caught.value.data["a"]["code"] == "validation_missing"


async def test_invalid_request_is_a_400_with_field_errors(nc: NATS, service: str, replica: RpcServer) -> None:
    add, _, _ = methods(service)
    raw = await nc.request(add.subject, b'{"a": "x", "b": -1}', timeout=5)
    error = orjson.loads(raw.data)["error"]
    assert error["status"] == 400
    assert set(error["data"]) == {"a", "b"}


async def test_unknown_method_is_a_404(nc: NATS, service: str, replica: RpcServer) -> None:
    raw = await nc.request(f"oneclick.rpc.{service}.nope", b"{}", timeout=5)
    assert orjson.loads(raw.data)["error"]["status"] == 404


async def test_no_replica_running_is_a_503(nc: NATS, service: str) -> None:
    add, _, _ = methods(service)
    with pytest.raises(ApiError) as caught:
        await RpcClient(nc, "test", timeout=30).call(add, Add(a=1, b=1))
    assert caught.value.status == 503
    assert caught.value.data[service]["code"] == "service_unavailable"


async def test_replica_that_does_not_answer_times_out_as_503(nc: NATS, service: str, replica: RpcServer) -> None:
    _, _, slow = methods(service)
    with pytest.raises(ApiError) as caught:
        await RpcClient(nc, "test").call(slow, Add(a=1, b=1), timeout=0.3)
    assert caught.value.status == 503
    assert caught.value.data[service]["code"] == "service_timeout"


async def test_queue_group_spreads_calls_and_answers_each_once(nats_url: str, nc: NATS, service: str) -> None:
    replicas = [await start_server(nats_url, service, name) for name in ("one", "two")]
    try:
        add, _, _ = methods(service)
        client = RpcClient(nc, "test")
        replies = await asyncio.gather(*(client.call(add, Add(a=n, b=0)) for n in range(60)))
    finally:
        for conn, server in replicas:
            await server.stop(grace=0.1)
            await conn.close()
    assert [r.total for r in replies] == list(range(60))  # one reply per call, none lost
    assert {r.by for r in replies} == {"one", "two"}


async def test_registering_a_method_of_another_service_is_refused(nc: NATS, service: str) -> None:
    server = RpcServer(nc, service)
    other, _, _ = methods("someone-else")

    async def handler(request: Add) -> Sum:
        return Sum(total=0, by="x")

    with pytest.raises(ValueError, match="belongs to"):
        server.register(other, handler)
