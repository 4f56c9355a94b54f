"""The controller loop: what a controller may use of its cluster (``Context``), a de-duplicating work queue with
delayed re-queues, and one asyncio task per controller."""

from __future__ import annotations

import asyncio
import copy
import heapq
import itertools
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from kubesim.controllers.objects import object_key

if TYPE_CHECKING:
    from kubesim.apiserver import ApiServer
    from kubesim.names import NameSource
    from kubesim.resources import Registry
    from kubesim.store import Change, Store
    from kubesim.timings import Timings

JSON = dict[str, Any]
log = logging.getLogger("kubesim.controllers")


class EventSink(Protocol):
    """Where controllers record Kubernetes events (``events.EventRecorder``)."""

    def record(
        self, obj: JSON, type_: str, reason: str, message: str, component: str, *, host: str = "", field_path: str = ""
    ) -> None: ...


class Context(Protocol):
    """What a controller may use of the cluster it runs in; ``cluster.Cluster`` is one. Controllers read through
    the store, write through the API server (with its semantics, minus HTTP), and take their pace from the
    timings; work reaches them through their own queue, fed by the ``ControllerManager``."""

    @property
    def api(self) -> ApiServer: ...

    @property
    def store(self) -> Store: ...

    @property
    def registry(self) -> Registry: ...

    @property
    def timings(self) -> Timings: ...

    @property
    def events(self) -> EventSink: ...

    @property
    def names(self) -> NameSource: ...


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
    """Subclasses set ``name``, ``component`` and ``watches`` (storage keys, ``*`` for all) and implement
    ``reconcile``."""

    name = "controller"
    # Who the controller's events and writes come from, as the real component names itself.
    component = "kube-controller-manager"
    watches: tuple[str, ...] = ()
    # Also reconcile every key once at start (objects restored from a snapshot need attention).
    resync_on_start: tuple[str, ...] = ()

    def __init__(self, context: Context) -> None:
        self.context = context
        self.api = context.api
        self.store = context.store
        self.timings = context.timings
        self.queue = WorkQueue()
        self._failures: dict[str, int] = {}

    def event(
        self,
        obj: JSON,
        type_: str,
        reason: str,
        message: str,
        *,
        component: str = "",
        host: str = "",
        field_path: str = "",
    ) -> None:
        """Record an event about ``obj`` from this controller (or from ``component``)."""
        self.context.events.record(
            obj, type_, reason, message, component or self.component, host=host, field_path=field_path
        )

    def write_status(self, resource: str, obj: JSON, status: JSON) -> None:
        """Store ``status`` as ``obj``'s status subresource (``resource`` is its storage key), unless it is the
        status ``obj`` has: an unchanged write would only cost watchers an event."""
        if (obj.get("status") or {}) == status:
            return
        updated = copy.deepcopy(obj)
        updated["status"] = status
        group, _, plural = resource.partition("/")
        self.api.write(self.api.rt(group, plural), updated, self.component, "status")

    def backoff(self, key: str) -> float:
        """Seconds until ``key``, whose last attempt failed, is tried again: doubling with every consecutive failure up
        to a cap, like client-go's per-item rate limiter, so a refused create never becomes a hot loop."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        return self.timings.backoff(failures)

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
