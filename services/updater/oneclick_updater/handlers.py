"""RPC handlers: the webhook check and the webhook secret.

Who may act on an autoUpdate is records' decision: an actor's request is authorized by viewing the
autoUpdate through records with that actor (404 unless it is theirs, or they are a superuser). That
view also brings the record in when its ``created`` event has not reached us yet. A webhook secret
authorizes only the check of its own autoUpdate; an unknown id and a wrong secret get the same answer (401),
so the anonymous webhook is no way to find out which ids exist.
"""

from __future__ import annotations

import asyncpg

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import VIEW, JsonObject, ViewRequest
from oneclick_core.contracts.updater import (
    CheckNowRequest,
    CheckNowResult,
    WebhookSecret,
    WebhookSecretRequest,
)
from oneclick_core.errors import ApiError
from oneclick_core.timestamps import format_pb
from oneclick_updater import store, webhooks
from oneclick_updater.checking import Checker

WRONG_SECRET = "The webhook secret is not valid for this auto update."


class UpdaterHandlers:
    def __init__(self, pool: asyncpg.Pool, rpc: RpcClient, checker: Checker) -> None:
        self._pool = pool
        self._rpc = rpc
        self._checker = checker

    async def _authorized_record(self, auto_update: str, actor: Actor) -> JsonObject:
        viewed = await self._rpc.call(VIEW, ViewRequest(collection="autoUpdates", id=auto_update, actor=actor))
        async with self._pool.acquire() as conn, conn.transaction():
            await store.remember(conn, viewed.record)
        return viewed.record

    async def check_now(self, request: CheckNowRequest) -> CheckNowResult:
        if request.actor is not None:
            await self._authorized_record(request.autoUpdate, request.actor)
        elif request.secretDigest:
            async with self._pool.acquire() as conn:
                if not await webhooks.matches(conn, request.autoUpdate, request.secretDigest):
                    raise ApiError.unauthorized(WRONG_SECRET)
        else:
            raise ApiError.unauthorized()
        async with self._pool.acquire() as conn:
            now = await conn.fetchval("SELECT clock_timestamp()")
        result = await self._checker.run(request.autoUpdate, trigger="webhook", due_at=now, fresh_after=now)
        async with self._pool.acquire() as conn:
            current = await store.find(conn, request.autoUpdate)
        if result is None or current is None:
            raise ApiError.not_found()  # deleted meanwhile
        return CheckNowResult(record=current.record, check=result)

    async def webhook_secret(self, request: WebhookSecretRequest) -> WebhookSecret:
        await self._authorized_record(request.autoUpdate, request.actor)
        async with self._pool.acquire() as conn, conn.transaction():
            shown = (
                await webhooks.rotate(conn, request.autoUpdate)
                if request.rotate
                else await webhooks.reveal(conn, request.autoUpdate)
            )
        if shown is None:
            raise ApiError.not_found()
        return WebhookSecret(autoUpdate=request.autoUpdate, secret=shown.secret, created=format_pb(shown.created))
