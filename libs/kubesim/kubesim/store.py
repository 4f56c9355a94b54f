"""Objects by resource, one global resourceVersion counter, bounded per-resource event history, watchers.

Stored objects are never mutated in place: every write stores a new dict, so readers (watch events, list
responses) may hold on to the dicts they got.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
ObjectKey = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped objects


@dataclass(frozen=True)
class Change:
    """One write, as watchers and controllers see it."""

    type: str  # ADDED, MODIFIED, DELETED
    resource: str  # storage key, e.g. "apps/deployments"
    rv: int
    obj: JSON
    old: JSON | None


Predicate = Callable[[JSON], bool]
StrList = list[str]
DependentList = list[tuple[str, JSON]]


@dataclass(eq=False)
class Watcher:
    """A watch stream's subscription; events are queued here and read by the HTTP response."""

    resource: str
    namespace: str | None
    predicate: Predicate
    limit: int
    label: str  # for stats: the resource's plural (qualified)
    events: deque[tuple[str, JSON]] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    overflowed: bool = False

    def offer(self, change: Change) -> None:
        if self.closed:
            return
        if self.namespace is not None and _namespace(change.obj) != self.namespace:
            return
        event = filtered_event(change, self.predicate)
        if event is None:
            return
        if len(self.events) >= self.limit:
            # A real API server drops watchers that cannot keep up; the client re-lists.
            self.overflowed = True
            self.close()
            return
        self.events.append(event)
        self.wake.set()

    def close(self) -> None:
        self.closed = True
        self.wake.set()


def _namespace(obj: JSON) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def filtered_event(change: Change, predicate: Predicate) -> tuple[str, JSON] | None:
    """What a filtered watcher sees: an object that stops matching is DELETED for it, one that starts is ADDED."""
    if change.type == "ADDED":
        return ("ADDED", change.obj) if predicate(change.obj) else None
    if change.type == "DELETED":
        return ("DELETED", change.obj) if predicate(change.obj) else None
    now_matches = predicate(change.obj)
    before_matched = change.old is not None and predicate(change.old)
    if now_matches and before_matched:
        return ("MODIFIED", change.obj)
    if now_matches:
        return ("ADDED", change.obj)
    if before_matched:
        return ("DELETED", change.obj)
    return None


WatcherList = list[Watcher]


class TooOld(Exception):
    """The requested resourceVersion is older than the retained history (410 Expired)."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


@dataclass
class History:
    events: deque[Change]
    # The newest resourceVersion that has been dropped from ``events``; a watch must start at or after it.
    compacted: int = 0


class Store:
    def __init__(self, history_size: int = 1000, watcher_queue_limit: int = 10000) -> None:
        self._rv = 0
        self._objects: dict[str, dict[ObjectKey, JSON]] = {}
        self._history: dict[str, History] = {}
        self._history_size = history_size
        self._watchers: dict[str, set[Watcher]] = {}
        self._listeners: list[Callable[[Change], None]] = []
        self._by_uid: dict[str, tuple[str, ObjectKey]] = {}
        self._dependents: dict[str, set[tuple[str, ObjectKey]]] = {}
        self.watcher_queue_limit = watcher_queue_limit
        # Watch history starts here after a restore; anything older is gone.
        self._floor = 0

    # --- reading ----------------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, resource: str, namespace: str, name: str) -> JSON | None:
        return self._objects.get(resource, {}).get((namespace, name))

    def list(self, resource: str, namespace: str | None = None) -> list[JSON]:
        bucket = self._objects.get(resource, {})
        keys = sorted(bucket) if namespace is None else sorted(k for k in bucket if k[0] == namespace)
        return [bucket[k] for k in keys]

    def iter_resource(self, resource: str) -> Iterator[tuple[ObjectKey, JSON]]:
        yield from list(self._objects.get(resource, {}).items())

    def count(self, resource: str, namespace: str | None = None) -> int:
        bucket = self._objects.get(resource, {})
        if namespace is None:
            return len(bucket)
        return sum(1 for k in bucket if k[0] == namespace)

    def resources(self) -> StrList:
        return [r for r, bucket in self._objects.items() if bucket]

    def by_uid(self, uid: str) -> tuple[str, JSON] | None:
        found = self._by_uid.get(uid)
        if found is None:
            return None
        obj = self.get(found[0], *found[1])
        return (found[0], obj) if obj is not None else None

    def dependents(self, owner_uid: str) -> DependentList:
        out = []
        for resource, key in sorted(self._dependents.get(owner_uid, ())):
            obj = self.get(resource, *key)
            if obj is not None:
                out.append((resource, obj))
        return out

    # --- writing ----------------------------------------------------------------------------------------------

    def next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def put(self, resource: str, obj: JSON) -> JSON:
        """Store ``obj`` (a fresh dict the caller no longer touches) with a new resourceVersion."""
        meta = obj.setdefault("metadata", {})
        key = (str(meta.get("namespace") or ""), str(meta["name"]))
        bucket = self._objects.setdefault(resource, {})
        old = bucket.get(key)
        rv = self.next_rv()
        meta["resourceVersion"] = str(rv)
        bucket[key] = obj
        self._index(resource, key, old, obj)
        self._emit(Change("MODIFIED" if old is not None else "ADDED", resource, rv, obj, old))
        return obj

    def remove(self, resource: str, namespace: str, name: str) -> JSON | None:
        bucket = self._objects.get(resource, {})
        old = bucket.pop((namespace, name), None)
        if old is None:
            return None
        rv = self.next_rv()
        final = dict(old)
        final["metadata"] = {**old.get("metadata", {}), "resourceVersion": str(rv)}
        self._index(resource, (namespace, name), old, None)
        self._emit(Change("DELETED", resource, rv, final, old))
        return final

    def _index(self, resource: str, key: ObjectKey, old: JSON | None, new: JSON | None) -> None:
        ref = (resource, key)
        if old is not None:
            uid = (old.get("metadata") or {}).get("uid")
            if uid and self._by_uid.get(uid) == ref:
                del self._by_uid[uid]
            for owner in (old.get("metadata") or {}).get("ownerReferences") or []:
                deps = self._dependents.get(str(owner.get("uid")))
                if deps is not None:
                    deps.discard(ref)
                    if not deps:
                        del self._dependents[str(owner.get("uid"))]
        if new is not None:
            uid = (new.get("metadata") or {}).get("uid")
            if uid:
                self._by_uid[uid] = ref
            for owner in (new.get("metadata") or {}).get("ownerReferences") or []:
                self._dependents.setdefault(str(owner.get("uid")), set()).add(ref)

    def _emit(self, change: Change) -> None:
        history = self._history.setdefault(change.resource, History(deque()))
        if len(history.events) >= self._history_size:
            history.compacted = history.events.popleft().rv
        history.events.append(change)
        for watcher in list(self._watchers.get(change.resource, ())):
            watcher.offer(change)
        for listener in self._listeners:
            listener(change)

    # --- watching ---------------------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def watch(
        self, resource: str, namespace: str | None, predicate: Predicate, *, since: int | None, label: str
    ) -> Watcher:
        """Register a watcher. ``since=None``: synthetic ADDED events for what exists now; else replay history
        after ``since`` (``TooOld`` when that history is gone)."""
        watcher = Watcher(resource, namespace, predicate, self.watcher_queue_limit, label)
        if since is None:
            for obj in self.list(resource, namespace):
                if predicate(obj):
                    watcher.events.append(("ADDED", obj))
        else:
            history = self._history.get(resource)
            oldest = max(self._floor, history.compacted if history else 0)
            if since < oldest:
                raise TooOld(since, oldest + 1)
            if history is not None:
                for change in history.events:
                    if change.rv > since:
                        watcher.offer(change)
        if watcher.events:
            watcher.wake.set()
        self._watchers.setdefault(resource, set()).add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        watchers = self._watchers.get(watcher.resource)
        if watchers is not None:
            watchers.discard(watcher)
        watcher.close()

    def watchers(self) -> WatcherList:
        return [w for ws in self._watchers.values() for w in ws]

    def close_all_watchers(self) -> None:
        for watcher in self.watchers():
            watcher.close()

    def history_floor(self, resource: str) -> int:
        history = self._history.get(resource)
        return max(self._floor, history.compacted if history else 0)

    # --- snapshots --------------------------------------------------------------------------------------------

    def dump(self) -> JSON:
        return {
            "resourceVersion": self._rv,
            "objects": {resource: list(bucket.values()) for resource, bucket in self._objects.items() if bucket},
        }

    def load(self, data: JSON) -> None:
        """Restore objects without events; watches must start at or after the restored resourceVersion."""
        self._objects.clear()
        self._history.clear()
        self._by_uid.clear()
        self._dependents.clear()
        for resource, items in (data.get("objects") or {}).items():
            bucket = self._objects.setdefault(resource, {})
            for obj in items:
                meta = obj.get("metadata") or {}
                key = (str(meta.get("namespace") or ""), str(meta.get("name")))
                bucket[key] = obj
                self._index(resource, key, None, obj)
        self._rv = max(self._rv, int(data.get("resourceVersion") or 0))
        self._floor = self._rv


@contextlib.contextmanager
def watching(store: Store, *args: Any, **kwargs: Any) -> Iterator[Watcher]:
    watcher = store.watch(*args, **kwargs)
    try:
        yield watcher
    finally:
        store.unwatch(watcher)
