"""The auth service and the edge as real processes on the test's NATS and PostgreSQL, and helpers to drive them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg
import httpx

from oneclick_cli.processes import free_port
from oneclick_core.tokens import USERS_COLLECTION_ID, SigningKey, TokenClaims
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import FAST_HASHING, PASSWORD
from oneclick_testing.services import ServiceGroup


@dataclass
class Stack:
    services: ServiceGroup
    url: str
    client: httpx.AsyncClient
    database: Database

    async def sign_up(self, email: str, password: str = PASSWORD, **fields: str) -> dict[str, object]:
        response = await self.client.post(
            "/api/collections/users/records",
            json={
                "email": email,
                "password": password,
                "passwordConfirm": password,
                "name": email.split("@")[0],
                **fields,
            },
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    async def login(self, identity: str, password: str = PASSWORD) -> tuple[str, dict[str, object]]:
        response = await self.client.post(
            "/api/collections/users/auth-with-password", json={"identity": identity, "password": password}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return body["token"], body["record"]


async def start_stack(
    services: ServiceGroup, auth_env: Mapping[str, str] | None = None, edge_env: Mapping[str, str] | None = None
) -> str:
    port = free_port()
    await asyncio.gather(
        services.start("auth", env={**FAST_HASHING, **(auth_env or {})}),
        services.start("edge", env={"ONECLICK_HTTP_PORT": str(port), **(edge_env or {})}),
    )
    return f"http://127.0.0.1:{port}"


async def current_signing_key(database_url: str) -> SigningKey:
    """The key auth signs with now, read from its schema: lets a test mint tokens auth could have made."""
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow("SELECT kid, private_key FROM auth.signing_keys ORDER BY created DESC LIMIT 1")
    finally:
        await conn.close()
    assert row is not None
    return SigningKey.from_pem(row["kid"], bytes(row["private_key"]))


def mint(
    key: SigningKey,
    user_id: str,
    *,
    lifetime: int = 3600,
    version: int = 1,
    token_type: str = "auth",
    collection_id: str = USERS_COLLECTION_ID,
) -> str:
    now = int(time.time())
    return key.sign(
        TokenClaims(
            subject=user_id,
            collection_id=collection_id,
            type=token_type,
            issued_at=now,
            expires_at=now + lifetime,
            version=version,
        )
    )


def auth_header(token: str) -> dict[str, str]:
    # The PocketBase SDK sends the bare token.
    return {"Authorization": token}
