"""auth's user events as they travel on NATS: published for sign-up, password change and delete, and
carrying no secret — no password, hash, token or token key — in their raw bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import nats
import orjson
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from oneclick_core.contracts.auth import USER_CREATED, USER_DELETED, USER_EVENTS, USER_UPDATED, UserEventData
from oneclick_core.contracts.envelope import Envelope
from oneclick_testing.platform import PASSWORD
from oneclick_testing.waiting import eventually

from .stack import Stack, auth_header

NEW_PASSWORD = "another horse staple"


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[NATS]:
    nc = await nats.connect(nats_url)
    yield nc
    await nc.close()


async def _password_hash(stack: Stack, user_id: str) -> str:
    conn = await asyncpg.connect(stack.database.url)
    try:
        value = await conn.fetchval("SELECT password_hash FROM auth.users WHERE id = $1", user_id)
    finally:
        await conn.close()
    assert isinstance(value, str)
    assert value
    return value


async def test_user_events_carry_no_secrets(stack: Stack, bus: NATS) -> None:
    # Every raw message on the user subjects from here on, exactly as published (core NATS sees what
    # the outbox relay hands JetStream).
    raw: list[Msg] = []

    async def keep(msg: Msg) -> None:
        raw.append(msg)

    subscription = await bus.subscribe("oneclick.events.user.>", cb=keep)
    await bus.flush()
    try:
        user = await stack.sign_up("quiet@example.com")
        user_id = str(user["id"])
        first_hash = await _password_hash(stack, user_id)
        token, _ = await stack.login("quiet@example.com")
        path = f"/api/collections/users/records/{user_id}"
        changed = await stack.client.patch(
            path,
            json={"oldPassword": PASSWORD, "password": NEW_PASSWORD, "passwordConfirm": NEW_PASSWORD},
            headers=auth_header(token),
        )
        assert changed.status_code == 200, changed.text
        second_hash = await _password_hash(stack, user_id)
        assert second_hash != first_hash
        new_token, _ = await stack.login("quiet@example.com", NEW_PASSWORD)
        refreshed = await stack.client.post("/api/collections/users/auth-refresh", headers=auth_header(new_token))
        assert refreshed.status_code == 200
        assert (await stack.client.delete(path, headers=auth_header(new_token))).status_code == 204

        def mine() -> list[Envelope]:
            envelopes = [Envelope.model_validate_json(m.data) for m in raw]
            return [e for e in envelopes if e.subject == user_id]

        await eventually(
            lambda: any(e.type == USER_DELETED.type for e in mine()), message="user.deleted never published"
        )
    finally:
        await subscription.unsubscribe()

    ours = [m for m in raw if Envelope.model_validate_json(m.data).subject == user_id]
    kinds = [Envelope.model_validate_json(m.data).type for m in ours]
    assert kinds[0] == USER_CREATED.type
    assert USER_UPDATED.type in kinds  # the password change
    assert kinds[-1] == USER_DELETED.type
    assert {m.subject for m in ours} <= {spec.subject for spec in USER_EVENTS}

    versions = []
    for message in ours:
        envelope = Envelope.model_validate_json(message.data)
        # Exactly the read-model's fields: nothing extra can smuggle a secret along.
        assert set(envelope.data) == set(UserEventData.model_fields)
        versions.append(UserEventData.model_validate(envelope.data).tokenVersion)
    assert versions == sorted(versions)
    assert versions[-1] > versions[0]  # the password change revoked the first tokens, by version only

    secrets = {
        "old password": PASSWORD,
        "new password": NEW_PASSWORD,
        "first hash": first_hash,
        "second hash": second_hash,
        "first token": token,
        "second token": new_token,
        "refreshed token": refreshed.json()["token"],
    }
    for kind in (token, new_token):
        secrets[f"signature of {kind[:8]}"] = kind.rsplit(".", 1)[1]
    everything = b"".join(m.data + b"\n" + orjson.dumps(dict(m.headers or {})) for m in ours)
    for what, value in secrets.items():
        assert value.encode() not in everything, f"{what} leaked into a user event"
    assert b"eyJ" not in everything, "something JWT-shaped appears in a user event"  # how every JWT starts
    lowered = everything.lower()
    for marker in (b"$argon2", b"password", b"hash", b"tokenkey", b"secret"):
        assert marker not in lowered, f"{marker!r} appears in a user event"
