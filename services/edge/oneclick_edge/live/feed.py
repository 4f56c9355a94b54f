"""One watched namespace on this edge replica: a mirror of its objects kept from the live subjects.

The mirror starts from a snapshot (streaming's ``snapshot`` RPC) and applies numbered changes in order. A gap
in the numbers that does not fill, a new epoch (another streaming replica took over) or a silent serving
replica makes it resync: it takes a fresh snapshot and tells viewers only the difference, so they see no
ADDED again for what they already have. Viewers are callbacks that must not block (they fill queues).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from pydantic import ValidationError

from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.envelope import LIVE_SUBJECT_PREFIX
from oneclick_core.contracts.streaming import (
    EVENT_KIND,
    LOG_TAIL,
    SNAPSHOT,
    ChangeType,
    LiveChange,
    LiveStatus,
    LogLine,
    LogLines,
    LogTailRequest,
    SnapshotRequest,
    changes_subject,
    logs_subject,
    status_subject,
)
from oneclick_core.errors import ApiError
from oneclick_core.observability.logs import get_logger
from oneclick_edge.live.changes import JSON, Change
from oneclick_edge.live.settings import LiveSettings

log = get_logger(__name__)

Viewer = Callable[[Change], None]
LogViewer = Callable[[list[str], bool], None]  # (new lines, whether the log has ended)
_REORDER_LIMIT = 10_000  # out-of-order changes held back before giving up and resyncing
_RETRY_FIRST, _RETRY_MAX = 0.1, 2.0


@dataclass
class _Entry:
    kind: str
    seq: int
    object: JSON

    @property
    def uid(self) -> str:
        return str((self.object.get("metadata") or {}).get("uid") or "")

    @property
    def version(self) -> str:
        return str((self.object.get("metadata") or {}).get("resourceVersion") or "")


def _key(kind: str, obj: JSON) -> str:
    return f"{kind}/{(obj.get('metadata') or {}).get('name') or ''}"


class _Resync(Exception):
    """The serving replica changed while a snapshot was being read; start over."""


class NamespaceFeed:
    def __init__(self, namespace: str, nc: NATS, rpc: RpcClient, settings: LiveSettings) -> None:
        self.namespace = namespace
        self.nc = nc
        self.rpc = rpc
        self.settings = settings
        self._objects: dict[str, _Entry] = {}
        self._viewers: list[Viewer] = []
        self.logs: dict[tuple[str, str], LogView] = {}
        self.epoch: str | None = None
        self._applied = 0
        self._pending: dict[int, LiveChange] = {}
        self._buffer: list[LiveChange] | None = []  # while a snapshot is read
        self._behind: int | None = None
        self._last_heard = time.monotonic()
        self._resync = asyncio.Event()
        self._resync.set()
        self.synced = asyncio.Event()
        self._subscriptions: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None

    # -- life ------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        # Subscribed before the first snapshot is asked for, so no change falls in between.
        self._subscriptions = [
            await self.nc.subscribe(f"{LIVE_SUBJECT_PREFIX}.k8s.{self.namespace}.*", cb=self._on_change),
            await self.nc.subscribe(changes_subject(self.namespace, EVENT_KIND.name), cb=self._on_change),
            await self.nc.subscribe(status_subject(self.namespace), cb=self._on_status),
        ]
        await self.nc.flush()
        self._task = asyncio.create_task(self._maintain(), name=f"live-feed:{self.namespace}")

    async def stop(self) -> None:
        for view in list(self.logs.values()):
            await view.stop()
        self.logs.clear()
        for subscription in self._subscriptions:
            with contextlib.suppress(nats.errors.Error):
                await subscription.unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    # -- viewers ---------------------------------------------------------------------------------------------
    def join(self, viewer: Viewer, *, replay: bool = True) -> None:
        """Tell the viewer what exists now (as ADDED, unless it took that from :meth:`current`), then every
        change."""
        if replay:
            for entry in list(self._objects.values()):
                viewer(Change(entry.kind, "ADDED", entry.object))
        self._viewers.append(viewer)

    def current(self, kind: str) -> list[JSON]:
        return [entry.object for entry in self._objects.values() if entry.kind == kind]

    def leave(self, viewer: Viewer) -> None:
        with contextlib.suppress(ValueError):
            self._viewers.remove(viewer)

    def _tell(self, kind: str, status: ChangeType, obj: JSON, previous: JSON | None = None) -> None:
        change = Change(kind, status, obj, previous)
        for viewer in list(self._viewers):
            viewer(change)

    # -- live messages ---------------------------------------------------------------------------------------
    async def _on_change(self, msg: Msg) -> None:
        try:
            change = LiveChange.model_validate_json(msg.data)
        except ValidationError as exc:
            log.warning("live.unreadable_change", subject=msg.subject, error=str(exc))
            return
        self._last_heard = time.monotonic()
        if self._buffer is not None:
            self._buffer.append(change)
            return
        if change.epoch != self.epoch:
            self._start_resync("new epoch")
            self._buffer = [change]
            return
        self._accept(change)

    async def _on_status(self, msg: Msg) -> None:
        try:
            status = LiveStatus.model_validate_json(msg.data)
        except ValidationError:
            return
        self._last_heard = time.monotonic()
        if self._buffer is not None:
            return
        if status.epoch != self.epoch:
            self._start_resync("new epoch")
            return
        # Behind at two heartbeats in a row: a change was lost (core NATS does not redeliver).
        if self._behind is not None and self._applied < self._behind:
            self._start_resync("lost changes")
            return
        self._behind = status.seq if status.seq > self._applied else None
        for view in self.logs.values():
            view.heartbeat(status.logs.get(f"{view.pod}/{view.container}"))

    def _accept(self, change: LiveChange) -> None:
        if change.seq <= self._applied:
            return
        self._pending[change.seq] = change
        while (following := self._pending.pop(self._applied + 1, None)) is not None:
            self._applied = following.seq
            self._apply(following)
        if len(self._pending) > _REORDER_LIMIT:
            self._start_resync("too many changes out of order")

    def _apply(self, change: LiveChange) -> None:
        key = _key(change.kind, change.object)
        current = self._objects.get(key)
        if current is not None and change.seq <= current.seq:
            return  # the snapshot already had this or something newer
        if change.type == "DELETED":
            if current is not None:
                del self._objects[key]
                self._tell(change.kind, "DELETED", change.object)
            return
        entry = _Entry(change.kind, change.seq, change.object)
        self._objects[key] = entry
        if current is None:
            self._tell(change.kind, "ADDED", change.object)
        elif current.uid != entry.uid:
            self._tell(change.kind, "DELETED", current.object)
            self._tell(change.kind, "ADDED", change.object)
        else:
            self._tell(change.kind, "MODIFIED", change.object, current.object)

    # -- resync ----------------------------------------------------------------------------------------------
    def _start_resync(self, reason: str) -> None:
        if self._buffer is None:
            log.info("live.resync", namespace=self.namespace, reason=reason)
            self._buffer = []
        self._resync.set()

    async def _maintain(self) -> None:
        failures = 0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._resync.wait(), timeout=self.settings.stale_after / 2)
            if not self._resync.is_set():
                if time.monotonic() - self._last_heard > self.settings.stale_after:
                    self._start_resync("serving replica silent")
                continue
            try:
                await self._snapshot()
                failures = 0
            except Exception as exc:  # 503 while nobody serves the namespace, a changed owner, a bad reply
                failures += 1
                if failures == 1 or failures % 20 == 0:
                    log.info("live.resync_failed", namespace=self.namespace, error=str(exc), attempts=failures)
                await asyncio.sleep(min(_RETRY_MAX, _RETRY_FIRST * 2 ** min(failures, 6)))

    async def _snapshot(self) -> None:
        self._buffer = []  # what arrives from now on; older changes are in the snapshot
        self._resync.clear()
        first = await self.rpc.call(SNAPSHOT, SnapshotRequest(namespace=self.namespace))
        objects = {_key(o.kind, o.object): _Entry(o.kind, o.seq, o.object) for o in first.objects}
        after = first.next
        while after is not None:
            page = await self.rpc.call(SNAPSHOT, SnapshotRequest(namespace=self.namespace, after=after))
            if page.epoch != first.epoch:
                raise _Resync("the serving replica changed during the snapshot")
            objects.update({_key(o.kind, o.object): _Entry(o.kind, o.seq, o.object) for o in page.objects})
            after = page.next
        if self._resync.is_set():
            raise _Resync("asked to resync again during the snapshot")
        # No await from here on: buffered and arriving changes are applied in one go.
        buffered = [c for c in self._buffer if c.epoch == first.epoch]
        self._buffer = None
        previous, self._objects = self._objects, objects
        new_epoch = first.epoch != self.epoch
        self.epoch, self._applied, self._pending, self._behind = first.epoch, first.seq, {}, None
        self._last_heard = time.monotonic()
        self._tell_difference(previous)
        for change in sorted(buffered, key=lambda c: c.seq):
            self._accept(change)
        self.synced.set()
        if new_epoch:
            for view in self.logs.values():
                view.resync()

    def _tell_difference(self, previous: dict[str, _Entry]) -> None:
        for key, gone in previous.items():
            now = self._objects.get(key)
            if now is None or now.uid != gone.uid:
                self._tell(gone.kind, "DELETED", gone.object)
        for key, entry in self._objects.items():
            before = previous.get(key)
            if before is None or before.uid != entry.uid:
                self._tell(entry.kind, "ADDED", entry.object)
            elif before.version != entry.version:
                self._tell(entry.kind, "MODIFIED", entry.object, before.object)

    # -- logs ------------------------------------------------------------------------------------------------
    async def log_view(self, pod: str, container: str) -> LogView:
        view = self.logs.get((pod, container))
        if view is None:
            view = self.logs[(pod, container)] = LogView(self, pod, container)
            await view.start()
        return view


class LogView:
    """A container's log on this edge replica: the last lines and the viewers of new ones.

    Lines carry the container's timestamps, so after a resync (a new streaming replica tails the log again)
    only lines newer than the last one shown are passed on.
    """

    def __init__(self, feed: NamespaceFeed, pod: str, container: str) -> None:
        self.feed = feed
        self.pod = pod
        self.container = container  # as asked until the first tail names it: empty means the default
        self.lines: deque[LogLine] = deque(maxlen=feed.settings.log_tail)
        self.ended = False
        self.error: ApiError | None = None
        self.ready = asyncio.Event()
        self.viewers: list[LogViewer] = []
        self._epoch: str | None = None
        self._applied = 0
        self._last_ts = 0
        self._buffer: list[LogLines] | None = []
        self._behind: int | None = None
        self._resync = asyncio.Event()
        self._subscription: Subscription | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._subscription = await self.feed.nc.subscribe(
            logs_subject(self.feed.namespace, self.pod), cb=self._on_lines
        )
        await self.feed.nc.flush()
        self._resync.set()
        self._task = asyncio.create_task(self._maintain(), name=f"live-logs:{self.feed.namespace}:{self.pod}")

    async def stop(self) -> None:
        if self._subscription is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._subscription.unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def resync(self) -> None:
        if self._buffer is None:
            self._buffer = []
        self._resync.set()

    def heartbeat(self, seq: int | None) -> None:
        if self._buffer is not None or seq is None:
            return
        if self._behind is not None and self._applied < self._behind:
            self.resync()
            return
        self._behind = seq if seq > self._applied else None

    async def _on_lines(self, msg: Msg) -> None:
        try:
            batch = LogLines.model_validate_json(msg.data)
        except ValidationError:
            return
        if self.container and batch.container != self.container:
            return
        if self._buffer is not None:
            self._buffer.append(batch)
            return
        if batch.epoch != self._epoch or batch.seq > self._applied + 1:
            self.resync()
            self._buffer = [batch]
            return
        self._take(batch)

    def _take(self, batch: LogLines) -> None:
        if batch.seq <= self._applied:
            return
        self._applied = batch.seq
        self._show(batch.lines, batch.ended)

    def _show(self, lines: list[LogLine], ended: bool) -> None:
        fresh = [line for line in lines if line.ts > self._last_ts or not line.ts]
        if fresh:
            self._last_ts = max(self._last_ts, *(line.ts for line in fresh))
            self.lines.extend(fresh)
        self.ended = self.ended or ended
        texts = [line.text for line in fresh]
        for viewer in list(self.viewers):
            viewer(texts, self.ended)

    async def _maintain(self) -> None:
        failures = 0
        while True:
            await self._resync.wait()
            try:
                await self._tail()
                failures = 0
            except Exception as exc:  # 503 while nobody serves the namespace; 404/400: no such pod
                if isinstance(exc, ApiError) and exc.status in (400, 404):
                    self.error = exc
                    self.ended = True
                    self.ready.set()
                    for viewer in list(self.viewers):
                        viewer([], True)
                    return
                failures += 1
                await asyncio.sleep(min(_RETRY_MAX, _RETRY_FIRST * 2 ** min(failures, 6)))

    async def _tail(self) -> None:
        self._buffer = []  # what arrives from now on; older lines are in the tail
        self._resync.clear()
        tail = await self.feed.rpc.call(
            LOG_TAIL, LogTailRequest(namespace=self.feed.namespace, pod=self.pod, container=self.container)
        )
        if self._resync.is_set():
            return
        buffered = [
            b for b in self._buffer if b.epoch == tail.epoch and b.container == tail.container and b.seq > tail.seq
        ]
        self._buffer = None
        self._epoch, self._applied, self._behind = tail.epoch, tail.seq, None
        self.container = tail.container
        self._show(tail.lines, tail.ended)
        for batch in sorted(buffered, key=lambda b: b.seq):
            if batch.seq == self._applied + 1:
                self._take(batch)
        self.ready.set()
