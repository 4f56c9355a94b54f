"""Which namespaces this replica serves: interest from the edges, the live replicas, leases.

- Interest: each edge replica keeps a :class:`LiveInterest` in the KV bucket ``oneclick-live``; a record not
  re-put within its ``ttl`` counts as gone (by our own clock: KV age-out sends no notice). A namespace stays
  served for ``streaming_linger`` seconds after its last viewer left, so a page reload reuses the watches.
- Replicas announce themselves in the same bucket; each namespace belongs to one of them by rendezvous
  hashing, so replicas split the namespaces and a joining or leaving replica moves only its share.
- Exclusivity: the owner must also hold the namespace's lease (``oneclick-locks``), so two replicas never
  watch the same namespace, even while they disagree for a moment about who is alive. A dead replica's
  leases are taken over after their TTL; a stopping replica releases them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Iterable

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from pydantic import ValidationError

from oneclick_core.bus.leases import Lease, locks_bucket
from oneclick_core.contracts.streaming import (
    INTEREST_KEY_PREFIX,
    REPLICA_KEY_PREFIX,
    LiveInterest,
    ReplicaAnnouncement,
    live_bucket,
    replica_key,
)
from oneclick_core.observability.logs import get_logger
from oneclick_kube.client import Kube
from oneclick_streaming.metrics import StreamingMetrics
from oneclick_streaming.session import LogKey, NamespaceSession
from oneclick_streaming.settings import StreamingSettings

log = get_logger(__name__)

LEASE_PREFIX = "streaming.namespace."


def owner_of(namespace: str, replicas: Iterable[str]) -> str:
    """Rendezvous hashing: the replica with the highest hash of (replica, namespace)."""
    return max(replicas, key=lambda replica: hashlib.sha256(f"{replica}\0{namespace}".encode()).digest())


class Coordinator:
    def __init__(
        self, nc: NATS, js: JetStreamContext, kube: Kube, settings: StreamingSettings, metrics: StreamingMetrics
    ) -> None:
        self._nc = nc
        self._metrics = metrics
        self._js = js
        self._kube = kube
        self._settings = settings
        self.instance = settings.instance_id
        self._interest: dict[str, tuple[LiveInterest, float]] = {}  # KV key → (record, monotonic time seen)
        self._replicas: dict[str, float] = {}  # instance → monotonic time of its last announcement
        self._wanted: dict[str, float] = {}  # namespace → monotonic time it was last wanted
        self._leases: dict[str, Lease] = {}
        self.sessions: dict[str, NamespaceSession] = {}
        # Read from the sessions when scraped, so the gauges can never drift from what is really open.
        metrics.namespaces.set_function(lambda: len(self.sessions))
        metrics.watches.set_function(lambda: sum(s.watches for s in self.sessions.values()))
        metrics.log_followers.set_function(lambda: sum(s.log_followers for s in self.sessions.values()))
        self._changed = asyncio.Event()
        self._loaded = asyncio.Event()
        self._stopping = asyncio.Event()
        self._kv: KeyValue | None = None
        self._locks: KeyValue | None = None

    # -- running ---------------------------------------------------------------------------------------------
    async def run(self) -> None:
        self._kv = await live_bucket(self._js, self._settings.event_stream_replicas)
        self._locks = await locks_bucket(self._js, self._settings.event_stream_replicas)
        watcher = await self._kv.watchall()
        follow = asyncio.create_task(self._follow(watcher), name="streaming-interest")
        # Decide with what the bucket holds, not with an empty view that would claim every namespace.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._loaded.wait(), timeout=self._settings.streaming_replica_ttl)
        try:
            while not self._stopping.is_set():
                await self._announce()
                try:
                    await self._reconcile()
                except Exception:  # one namespace's trouble must not stop the others' watches
                    log.exception("streaming.reconcile_failed")
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wait_change(), timeout=self._settings.streaming_heartbeat)
        finally:
            follow.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await follow
            with contextlib.suppress(Exception):
                await watcher.stop()  # type: ignore[no-untyped-call]
            await self._shutdown()

    async def stop(self) -> None:
        self._stopping.set()
        self._changed.set()

    async def _wait_change(self) -> None:
        await self._changed.wait()

    async def _follow(self, watcher: KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is None:
                self._loaded.set()  # the end of the initial values
                continue
            self._learn(entry.key, entry.value if entry.operation is None else None)

    def _learn(self, key: str, value: bytes | None) -> None:
        now = time.monotonic()
        if key.startswith(INTEREST_KEY_PREFIX):
            if value is None:
                self._interest.pop(key, None)
            else:
                try:
                    self._interest[key] = (LiveInterest.model_validate_json(value), now)
                except ValidationError as exc:
                    log.warning("interest.unreadable", key=key, error=str(exc))
            self._changed.set()
        elif key.startswith(REPLICA_KEY_PREFIX):
            instance = key  # its key: instance ids are made key-safe
            if value is None:
                self._replicas.pop(instance, None)
                self._changed.set()
                return
            try:
                announcement = ReplicaAnnouncement.model_validate_json(value)
            except ValidationError:
                return
            # An announcement older than its TTL (read at start-up) is from a replica that is gone.
            if time.time() - announcement.at <= announcement.ttl:
                if instance not in self._replicas:
                    self._changed.set()
                self._replicas[instance] = now

    async def _announce(self) -> None:
        assert self._kv is not None
        announcement = ReplicaAnnouncement(
            instance=self.instance, ttl=self._settings.streaming_replica_ttl, at=time.time()
        )
        try:
            await self._kv.put(replica_key(self.instance), announcement.model_dump_json().encode())
        except Exception as exc:  # NATS away: leases lapse by themselves; keep trying
            log.warning("replica.announce_failed", error=repr(exc))

    # -- deciding --------------------------------------------------------------------------------------------
    def _live_replicas(self, now: float) -> set[str]:
        ttl = self._settings.streaming_replica_ttl
        for instance in [i for i, seen in self._replicas.items() if now - seen > ttl]:
            del self._replicas[instance]
        return {*self._replicas, replica_key(self.instance)}

    def _wanted_now(self, now: float) -> tuple[set[str], dict[str, set[LogKey]]]:
        namespaces: set[str] = set()
        logs: dict[str, set[LogKey]] = {}
        for key, (interest, seen) in list(self._interest.items()):
            if now - seen > interest.ttl:
                del self._interest[key]
                continue
            namespaces.update(interest.namespaces)
            for target in interest.logs:
                namespaces.add(target.namespace)
                logs.setdefault(target.namespace, set()).add((target.pod, target.container))
        for namespace in namespaces:
            self._wanted[namespace] = now
        linger = self._settings.streaming_linger
        for namespace in [n for n, at in self._wanted.items() if now - at > linger]:
            del self._wanted[namespace]
        return set(self._wanted), logs

    async def _reconcile(self) -> None:
        now = time.monotonic()
        replicas = self._live_replicas(now)
        wanted, logs = self._wanted_now(now)
        me = replica_key(self.instance)
        mine = {namespace for namespace in wanted if owner_of(namespace, replicas) == me}
        for namespace in [n for n in set(self._leases) | set(self.sessions) if n not in mine]:
            await self._drop(namespace, "not ours" if namespace in wanted else "no viewers")
        for namespace in mine:
            session = self.sessions.get(namespace)
            if session is None:
                await self._claim(namespace)
            elif not await self._renew(namespace):
                continue
            session = self.sessions.get(namespace)
            if session is not None:
                session.want_logs(logs.get(namespace, set()))

    async def _claim(self, namespace: str) -> None:
        assert self._locks is not None
        lease = self._leases.get(namespace)
        if lease is None:
            lease = self._leases[namespace] = Lease(
                self._locks, LEASE_PREFIX + namespace, self.instance, ttl=self._settings.streaming_lease_ttl
            )
        try:
            acquired = await lease.try_acquire()
        except Exception as exc:
            log.warning("lease.attempt_failed", namespace=namespace, error=repr(exc))
            return
        if acquired:
            session = NamespaceSession(namespace, self._kube, self._nc, self._settings, self.instance, self._metrics)
            self.sessions[namespace] = session
            await session.start()

    async def _renew(self, namespace: str) -> bool:
        lease = self._leases[namespace]
        try:
            renewed = await lease.renew()
        except Exception as exc:
            log.warning("lease.attempt_failed", namespace=namespace, error=repr(exc))
            renewed = False
        if renewed or lease.held:
            return True
        log.warning("lease.lost", namespace=namespace)
        await self._drop(namespace, "lease lost")
        return False

    async def _drop(self, namespace: str, reason: str) -> None:
        session = self.sessions.pop(namespace, None)
        if session is not None:
            log.info("namespace.released", namespace=namespace, reason=reason)
            await session.stop()
        lease = self._leases.pop(namespace, None)
        if lease is not None:
            await lease.release()

    async def _shutdown(self) -> None:
        for namespace in list(set(self.sessions) | set(self._leases)):
            await self._drop(namespace, "shutting down")
        if self._kv is not None:
            with contextlib.suppress(Exception):
                await self._kv.delete(replica_key(self.instance))
