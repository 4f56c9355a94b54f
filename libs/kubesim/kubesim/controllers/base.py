"""The controller loop: a de-duplicating work queue with delayed re-queues, one asyncio task per controller."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from kubesim.store import Change

if TYPE_CHECKING:
    from kubesim.cluster import Cluster

JSON = dict[str, Any]
log = logging.getLogger("kubesim.controllers")


def object_key(obj: JSON) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name


def controller_of(obj: JSON) -> JSON | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def owner_ref(owner: JSON, *, controller: bool = True) -> JSON:
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": controller, "blockOwnerDeletion": True}


class WorkQueue:
    def __init__(self) -> None:
        self._ready: dict[str, None] = {}
        self._timers: list[tuple[float, int, str]] = []
        # One pending delay per key, the earliest asked for (like client-go's delaying queue): a key reconciled
        # often by changes must not pile up timers that each reconcile it again.
        self._due: dict[str, float] = {}
        self._counter = itertools.count()
        self._wake = asyncio.Event()

    def add(self, key: str) -> None:
        self._ready[key] = None
        self._wake.set()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        due = time.monotonic() + delay
        pending = self._due.get(key)
        if pending is not None and pending <= due:
            return
        self._due[key] = due
        heapq.heappush(self._timers, (due, next(self._counter), key))
        self._wake.set()

    def _promote(self) -> float | None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            due, _, key = heapq.heappop(self._timers)
            if self._due.get(key) != due:
                continue  # superseded by an earlier one
            del self._due[key]
            self._ready[key] = None
        return self._timers[0][0] - now if self._timers else None

    async def get(self) -> str:
        while True:
            wait = self._promote()
            if self._ready:
                key = next(iter(self._ready))
                del self._ready[key]
                return key
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=wait)
            except TimeoutError:
                pass

    def __len__(self) -> int:
        return len(self._ready)


class Controller:
    """Subclasses set ``name`` and ``watches`` (storage keys, ``*`` for all) and implement ``reconcile``."""

    name = "controller"
    watches: tuple[str, ...] = ()
    # Also reconcile every key once at start (objects restored from a snapshot need attention).
    resync_on_start: tuple[str, ...] = ()

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.api = cluster.api
        self.store = cluster.store
        self.queue = WorkQueue()
        self._failures: dict[str, int] = {}

    def backoff(self, key: str) -> float:
        """Seconds until ``key``, whose last attempt failed, is tried again: doubling with every consecutive failure up
        to a cap, like client-go's per-item rate limiter, so a refused create never becomes a hot loop."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        timings = self.cluster.timings
        return float(min(timings.backoff_max, timings.backoff_base * 2 ** min(failures, 30)))

    def forget(self, key: str) -> None:
        """``key`` succeeded (or is gone): its next failure starts the back-off afresh."""
        self._failures.pop(key, None)

    def keys_for(self, change: Change) -> Iterable[str]:
        """Which keys to reconcile after ``change`` (a change of a watched resource)."""
        return [object_key(change.obj)]

    def reconcile(self, key: str) -> float | None:
        """Bring ``key`` closer to its desired state; return seconds until it needs another look, or None."""
        raise NotImplementedError

    def start_keys(self) -> Iterable[str]:
        for resource in self.resync_on_start:
            for obj in self.store.list(resource):
                yield object_key(obj)

    async def run(self) -> None:
        for key in self.start_keys():
            self.queue.add(key)
        while True:
            key = await self.queue.get()
            try:
                delay = self.reconcile(key)
            except Exception:
                log.exception("%s: reconciling %s failed", self.name, key)
                delay = 1.0
            if delay is not None:
                self.queue.add_after(key, max(delay, 0.001))
            await asyncio.sleep(0)


class ControllerManager:
    def __init__(self, controllers: list[Controller]) -> None:
        self.controllers = controllers
        self._by_resource: dict[str, list[Controller]] = {}
        for controller in controllers:
            for resource in controller.watches:
                self._by_resource.setdefault(resource, []).append(controller)
        self._tasks: list[asyncio.Task[None]] = []

    def on_change(self, change: Change) -> None:
        for controller in (*self._by_resource.get(change.resource, ()), *self._by_resource.get("*", ())):
            for key in controller.keys_for(change):
                controller.queue.add(key)

    def start(self) -> None:
        for controller in self.controllers:
            self._tasks.append(asyncio.create_task(controller.run(), name=f"kubesim-{controller.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()
