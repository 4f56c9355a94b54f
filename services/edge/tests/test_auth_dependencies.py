"""The request-authentication dependencies later edge handlers build on, against a real auth process.

The edge app is the real one, in this process, with a few extra routes that use each dependency; tokens
come from the auth service over real NATS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import orjson
import pytest
from fastapi import Depends, FastAPI
from nats.aio.client import Client as NATS

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import (
    AUTH_WITH_PASSWORD,
    CREATE_USER,
    CreateUserRequest,
    PasswordLoginRequest,
)
from oneclick_core.tokens import AuthCollectionName
from oneclick_edge.app import create_app
from oneclick_edge.authenticator import Authenticator, Principal
from oneclick_edge.context import EdgeContext
from oneclick_edge.dependencies import browser_auth, optional_auth, require_superuser
from oneclick_edge.settings import EdgeSettings
from oneclick_testing.services import ServiceGroup

ROOT = ("root@example.com", "root password 1")


@dataclass
class Edge:
    client: httpx.AsyncClient
    rpc: RpcClient

    async def token(self, collection: AuthCollectionName, email: str, password: str) -> str:
        result = await self.rpc.call(
            AUTH_WITH_PASSWORD, PasswordLoginRequest(collection=collection, identity=email, password=password)
        )
        return result.token


@pytest.fixture
async def edge(services: ServiceGroup, nc: NATS) -> AsyncIterator[Edge]:
    await services.start(
        "auth",
        env={
            "ONECLICK_ARGON2_TIME_COST": "1",
            "ONECLICK_ARGON2_MEMORY_KIB": "8192",
            "ONECLICK_ARGON2_PARALLELISM": "1",
            "ONECLICK_ADMIN_EMAIL": ROOT[0],
            "ONECLICK_ADMIN_PASSWORD": ROOT[1],
        },
    )
    rpc = RpcClient(nc, "edge")
    app: FastAPI = create_app(
        EdgeContext(settings=EdgeSettings(), rpc=rpc, instance="test", version="0", authenticator=Authenticator(rpc))
    )

    @app.get("/api/test/admin")
    async def admin_only(principal: Principal = Depends(require_superuser)) -> dict[str, str]:
        return {"id": principal.id, "collection": principal.collection}

    @app.get("/api/test/whoami")
    async def whoami(principal: Principal | None = Depends(optional_auth)) -> dict[str, str | None]:
        return {"id": principal.id if principal else None}

    @app.api_route("/api/test/browser", methods=["GET", "POST"])
    async def browser(principal: Principal = Depends(browser_auth)) -> dict[str, str]:
        return {"id": principal.id}

    await rpc.call(
        CREATE_USER,
        CreateUserRequest(email="user@example.com", password="user password 1", passwordConfirm="user password 1"),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://edge") as client:
        yield Edge(client, rpc)


async def test_require_superuser_is_403_for_users_and_401_without_token(edge: Edge) -> None:
    user = await edge.token("users", "user@example.com", "user password 1")
    root = await edge.token("_superusers", *ROOT)
    forbidden = await edge.client.get("/api/test/admin", headers={"Authorization": user})
    assert forbidden.status_code == 403
    assert forbidden.json() == {"status": 403, "message": "Only superusers can perform this action.", "data": {}}
    assert (await edge.client.get("/api/test/admin")).status_code == 401
    allowed = await edge.client.get("/api/test/admin", headers={"Authorization": f"Bearer {root}"})
    assert allowed.status_code == 200
    assert allowed.json()["collection"] == "_superusers"


async def test_concurrent_first_requests_all_pass_while_the_keys_are_fetched(edge: Edge) -> None:
    user = await edge.token("users", "user@example.com", "user password 1")
    responses = await asyncio.gather(
        *(edge.client.get("/api/test/whoami", headers={"Authorization": user}) for _ in range(20))
    )
    assert {response.status_code for response in responses} == {200}


async def test_optional_auth_is_a_guest_without_token_and_401_with_a_bad_one(edge: Edge) -> None:
    assert (await edge.client.get("/api/test/whoami")).json() == {"id": None}
    user = await edge.token("users", "user@example.com", "user password 1")
    assert (await edge.client.get("/api/test/whoami", headers={"Authorization": user})).json()["id"]
    assert (await edge.client.get("/api/test/whoami", headers={"Authorization": user + "x"})).status_code == 401


async def test_browser_auth_takes_the_sdk_cookie_or_query_token_on_reads_only(edge: Edge) -> None:
    user = await edge.token("users", "user@example.com", "user password 1")
    cookie = quote(orjson.dumps({"token": user, "record": {"id": "x"}}).decode())
    by_cookie = await edge.client.get("/api/test/browser", headers={"Cookie": f"pb_auth={cookie}"})
    assert by_cookie.status_code == 200
    by_query = await edge.client.get("/api/test/browser", params={"token": user})
    assert by_query.status_code == 200
    # A cross-site form could post with the cookie attached; writes never take it.
    posted = await edge.client.post("/api/test/browser", headers={"Cookie": f"pb_auth={cookie}"})
    assert posted.status_code == 401
    assert (await edge.client.get("/api/test/browser", headers={"Cookie": "pb_auth=garbage"})).status_code == 401
