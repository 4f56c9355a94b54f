"""Superuser bootstrap (console hint, `oneclick superuser create`) and signing-key rotation with overlap."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
import jwt
from nats.aio.client import Client as NATS

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import ROTATE_KEYS, RotateKeysRequest
from oneclick_testing.services import ServiceGroup
from oneclick_testing.waiting import eventually

from .stack import Stack, auth_header, start_stack


async def _cli(services: ServiceGroup, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "oneclick_cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL,
        env={**os.environ, "ONECLICK_NATS_URL": services.env["ONECLICK_NATS_URL"]},
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, output.decode()


async def _superuser_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/collections/_superusers/auth-with-password", json={"identity": email, "password": password}
    )


async def test_first_start_explains_how_to_create_a_superuser_and_the_cli_does_it(services: ServiceGroup) -> None:
    url = await start_stack(services, edge_env={"ONECLICK_SUPERUSER_STATE_TTL": "0.2"})
    auth = services.processes[0]
    lines = [json.loads(line) for line in auth.log_path.read_text().splitlines() if line.startswith("{")]
    hint = next(line for line in lines if line.get("event") == "superuser.none")
    assert "oneclick superuser create" in hint["hint"]

    code, output = await _cli(services, "superuser", "create", "ops@example.com", "--password", "ops password 1")
    assert code == 0, output
    assert "superuser ops@example.com" in output
    async with httpx.AsyncClient(base_url=url, timeout=15) as client:
        first = await _superuser_login(client, "ops@example.com", "ops password 1")
        assert first.status_code == 200, first.text
        token = first.json()["token"]
        refreshed = await client.post("/api/collections/_superusers/auth-refresh", headers=auth_header(token))
        assert refreshed.status_code == 200

        code, output = await _cli(services, "superuser", "create", "ops@example.com", "--password", "short")
        assert code == 1
        assert "password" in output

        # Setting a new password revokes the superuser's earlier tokens.
        code, output = await _cli(services, "superuser", "create", "ops@example.com", "--password", "ops password 2")
        assert code == 0, output
        assert (await _superuser_login(client, "ops@example.com", "ops password 1")).status_code == 400
        assert (await _superuser_login(client, "ops@example.com", "ops password 2")).status_code == 200

        async def old_token_rejected() -> bool:
            response = await client.post("/api/collections/_superusers/auth-refresh", headers=auth_header(token))
            return response.status_code == 401

        await eventually(old_token_rejected, message="superuser token survived a password change")
    assert "ops password" not in auth.log_path.read_text()  # secrets never reach the log


async def test_key_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(stack: Stack, nc: NATS) -> None:
    user = await stack.sign_up("rotate@example.com")
    old_token, _ = await stack.login("rotate@example.com")
    old_kid = jwt.get_unverified_header(old_token)["kid"]
    before = (await stack.client.get("/api/.well-known/jwks.json")).json()
    assert old_kid in {key["kid"] for key in before["keys"]}
    assert all(key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA" for key in before["keys"])
    assert all("d" not in key for key in before["keys"])  # public halves only

    rotated = await RpcClient(nc, "test").call(ROTATE_KEYS, RotateKeysRequest())
    new_kid = rotated.keys[0]["kid"]
    assert new_kid != old_kid
    assert old_kid in {key["kid"] for key in rotated.keys}

    new_token, _ = await stack.login("rotate@example.com")
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    path = f"/api/collections/users/records/{user['id']}"
    # The edge has never seen the new kid: it fetches the keys once and accepts the token.
    assert (await stack.client.get(path, headers=auth_header(new_token))).status_code == 200
    assert (await stack.client.get(path, headers=auth_header(old_token))).status_code == 200
    after = (await stack.client.get("/api/.well-known/jwks.json")).json()
    assert [key["kid"] for key in after["keys"]][:2] == [new_kid, old_kid]
