"""The RPC layer's net under the edge's check: a handler whose input PostgreSQL refuses to store (a NUL in
text, ``\\u0000`` in jsonb) answers 400 in PocketBase's shape, never 500. Real NATS, real PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import nats
import pytest
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_core.bus.rpc import RpcClient, RpcServer
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.errors import ApiError
from oneclick_core.runtime.database import create_pool
from oneclick_core.storable import REFUSED_MESSAGE


class Store(BaseModel):
    text: str
    as_json: bool = False


class Stored(BaseModel):
    text: str


@pytest.fixture
async def store(nats_url: str, nc: NATS, postgres_server: EmbeddedPostgres) -> AsyncIterator[RpcMethod[Store, Stored]]:
    service = f"store{secrets.token_hex(3)}"
    method: RpcMethod[Store, Stored] = RpcMethod(service, "store", Store, Stored, "stores text")
    pool: asyncpg.Pool = await create_pool(postgres_server.url, None, max_size=2)
    conn = await nats.connect(nats_url)
    server = RpcServer(conn, service)

    async def handle(request: Store) -> Stored:
        # What a service's store does with a client's text: hand it to PostgreSQL as text or as jsonb.
        if request.as_json:
            value = await pool.fetchval("SELECT ($1::jsonb) ->> 'v'", {"v": request.text})
        else:
            value = await pool.fetchval("SELECT $1::text", request.text)
        return Stored(text=value)

    server.register(method, handle)
    await server.start()
    await conn.flush()
    yield method
    await server.stop(grace=0.1)
    await conn.close()
    await pool.close()


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "jsonb"])
async def test_text_postgresql_refuses_is_a_400_not_a_500(
    nc: NATS, store: RpcMethod[Store, Stored], as_json: bool
) -> None:
    client = RpcClient(nc, "test")
    assert (await client.call(store, Store(text="café 😀", as_json=as_json))).text == "café 😀"
    with pytest.raises(ApiError) as refused:
        await client.call(store, Store(text="a\x00b", as_json=as_json))
    assert refused.value.status == 400
    assert refused.value.message == REFUSED_MESSAGE
