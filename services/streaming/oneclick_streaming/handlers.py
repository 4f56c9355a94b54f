"""The streaming RPC methods: any replica answers, forwarding to the replica that serves the namespace.

The serving replica listens on ``oneclick.live.owner.<namespace>.*`` only while it holds the namespace, so
"no responders" means nobody serves it yet (interest has just arrived, or the previous replica died and its
lease has not expired): the request is asked again until shortly before the caller would give up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import nats.errors
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from oneclick_core.bus.rpc import parse_reply
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.contracts.streaming import (
    LOG_TAIL,
    SNAPSHOT,
    LogTail,
    LogTailRequest,
    Snapshot,
    SnapshotRequest,
    owner_subject,
)
from oneclick_core.errors import ApiError

Response = TypeVar("Response", bound=BaseModel)
_PAUSES = (0.02, 0.05, 0.1, 0.2, 0.25)


@dataclass(frozen=True)
class Handlers:
    nc: NATS
    patience: float  # seconds to keep asking; below the callers' RPC timeout

    async def snapshot(self, request: SnapshotRequest) -> Snapshot:
        return await self._forward(SNAPSHOT, request.namespace, "snapshot", request)

    async def log_tail(self, request: LogTailRequest) -> LogTail:
        return await self._forward(LOG_TAIL, request.namespace, "logs", request)

    async def _forward(
        self, method: RpcMethod[Any, Response], namespace: str, what: Literal["snapshot", "logs"], request: BaseModel
    ) -> Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        payload = request.model_dump_json().encode()
        attempt = 0
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                reply = await self.nc.request(owner_subject(namespace, what), payload, timeout=remaining)
            except nats.errors.NoRespondersError:
                await asyncio.sleep(min(_PAUSES[min(attempt, len(_PAUSES) - 1)], max(remaining, 0)))
                attempt += 1
                continue
            except (nats.errors.TimeoutError, TimeoutError):
                break
            return parse_reply(method, reply.data)
        raise ApiError.unavailable(
            f"No streaming replica serves {namespace} yet.",
            {"namespace": {"code": "not_served", "message": "Try again in a moment."}},
        )
