"""The live views of one edge replica: feeds counted by viewers, and the interest record streaming reads.

The interest record (``interest.<edge>`` in the ``oneclick-live`` bucket) lists the namespaces and logs this
replica's viewers watch. It is written before a new feed asks for its first snapshot (so streaming is already
starting the watches), re-put every third of its TTL, and deleted when the replica stops. A feed whose last
viewer left lingers a few seconds, so a page reload finds it still warm.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.streaming import LiveInterest, LogTarget, interest_key, live_bucket
from oneclick_core.observability.logs import get_logger
from oneclick_edge.caps import ConnectionCap
from oneclick_edge.live.feed import LogView, NamespaceFeed
from oneclick_edge.live.settings import LiveSettings

log = get_logger(__name__)


@dataclass
class _Held:
    feed: NamespaceFeed
    viewers: int = 0
    logs: dict[tuple[str, str], int] = field(default_factory=dict)
    release: asyncio.TimerHandle | None = None


class LiveHub:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        rpc: RpcClient,
        instance: str,
        settings: LiveSettings,
        *,
        bucket_replicas: int = 1,
        max_connections_per_user: int = 50,
    ) -> None:
        self._nc = nc
        self._js = js
        self._rpc = rpc
        self._instance = instance
        self.settings = settings
        # The live sockets each user holds open on this replica (sockets.open_socket takes and frees slots).
        self.connections = ConnectionCap(max_connections_per_user)
        self._bucket_replicas = bucket_replicas
        self._held: dict[str, _Held] = {}
        self._kv: KeyValue | None = None
        self._write_lock = asyncio.Lock()
        self._refresher: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._kv = await live_bucket(self._js, self._bucket_replicas)
        self._refresher = asyncio.create_task(self._refresh(), name="live-interest")

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        for held in list(self._held.values()):
            await held.feed.stop()
        self._held.clear()
        if self._kv is not None:
            with contextlib.suppress(Exception):
                await self._kv.delete(interest_key(self._instance))

    # -- viewers ---------------------------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def namespace(self, namespace: str) -> AsyncIterator[NamespaceFeed]:
        """The namespace's feed for as long as the caller views it."""
        held = await self._hold(namespace)
        try:
            yield held.feed
        finally:
            self._let_go(namespace)

    @contextlib.asynccontextmanager
    async def logs(self, namespace: str, pod: str, container: str) -> AsyncIterator[LogView]:
        """A container's log view for as long as the caller views it (and the namespace's feed with it)."""
        held = await self._hold(namespace)
        counts = held.logs
        key = (pod, container)
        counts[key] = counts.get(key, 0) + 1
        try:
            if counts[key] == 1:
                await self._write_interest()
            yield await held.feed.log_view(pod, container)
        finally:
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
                view = held.feed.logs.pop(key, None)
                if view is not None:
                    self._spawn(view.stop())
            self._let_go(namespace)

    async def _hold(self, namespace: str) -> _Held:
        held = self._held.get(namespace)
        if held is None:
            held = self._held[namespace] = _Held(NamespaceFeed(namespace, self._nc, self._rpc, self.settings))
            held.viewers += 1
            await self._write_interest()
            await held.feed.start()
            return held
        held.viewers += 1
        if held.release is not None:
            held.release.cancel()
            held.release = None
        return held

    def _let_go(self, namespace: str) -> None:
        held = self._held[namespace]
        held.viewers -= 1
        if held.viewers == 0:
            held.release = asyncio.get_running_loop().call_later(self.settings.linger, self._close, namespace)

    def _close(self, namespace: str) -> None:
        held = self._held.get(namespace)
        if held is None or held.viewers > 0:
            return
        del self._held[namespace]
        self._spawn(self._closed(held.feed))

    async def _closed(self, feed: NamespaceFeed) -> None:
        await feed.stop()
        await self._write_interest()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    # -- interest --------------------------------------------------------------------------------------------
    def interest(self) -> LiveInterest:
        logs = [
            LogTarget(namespace=namespace, pod=pod, container=container)
            for namespace, held in self._held.items()
            for (pod, container) in held.logs
        ]
        return LiveInterest(
            edge=self._instance, ttl=self.settings.interest_ttl, namespaces=sorted(self._held), logs=logs
        )

    async def _write_interest(self) -> None:
        assert self._kv is not None
        async with self._write_lock:
            try:
                await self._kv.put(interest_key(self._instance), self.interest().model_dump_json().encode())
            except Exception as exc:  # NATS away: the refresher writes it again
                log.warning("live.interest_write_failed", error=repr(exc))

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.settings.interest_ttl / 3)
            await self._write_interest()
