"""Recording events the way Kubernetes components do (deduplicated into ``count``), and expiring old ones."""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from kubesim import clock
from kubesim.apiserver import ApiServer, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.status import ApiError

JSON = dict[str, Any]
log = logging.getLogger("kubesim.events")

NORMAL = "Normal"
WARNING = "Warning"
# client-go's event aggregation: from the 10th distinct message of the same kind for one object within 10 minutes,
# the messages share one event that says "(combined from similar events): <latest message>".
AGGREGATE_AFTER = 10
AGGREGATE_WINDOW = 600.0
COMBINED = "(combined from similar events): "


@dataclass
class _Similar:
    messages: set[str] = field(default_factory=set)
    last: float = 0.0


class EventRecorder:
    def __init__(self, api: ApiServer) -> None:
        self.api = api
        self._names: dict[tuple[str, ...], str] = {}
        self._similar: dict[tuple[str, ...], _Similar] = {}

    def record(
        self, obj: JSON, type_: str, reason: str, message: str, component: str, *, host: str = "", field_path: str = ""
    ) -> None:
        """Record an event about ``obj``: a repeat of an event counts up on it, similar messages are combined."""
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "default")
        involved: JSON = {
            "kind": obj.get("kind"),
            "namespace": meta.get("namespace") or "",
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "apiVersion": obj.get("apiVersion"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if not involved["namespace"]:
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        now = clock.now()
        source = (namespace, str(meta.get("uid")), type_, reason, component, host)
        message, key = self._aggregate(source, message, field_path, now)
        stamp = clock.rfc3339(now)
        if self._repeat(key, namespace, involved, message, stamp, component):
            return
        name = f"{meta.get('name')}.{time.time_ns():x}"
        event: JSON = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": {"component": component, **({"host": host} if host else {})},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": host,
        }
        try:
            self.api.create(self.api.rt("", "events"), namespace, event, WriteOptions(field_manager=component))
        except ApiError as exc:
            # Events into a terminating namespace are refused; real components drop them too.
            log.debug("event %s/%s dropped: %s", namespace, reason, exc)
            return
        self._names[key] = name
        if len(self._names) > 50000:
            self._names.clear()

    def _aggregate(
        self, source: tuple[str, ...], message: str, field_path: str, now: float
    ) -> tuple[str, tuple[str, ...]]:
        """(the message to record, the key of the event it goes to): the message itself, or from the
        ``AGGREGATE_AFTER``th distinct message of one source within the window, the combined one."""
        similar = self._similar.get(source)
        if similar is None or now - similar.last > AGGREGATE_WINDOW:
            similar = self._similar[source] = _Similar()
            if len(self._similar) > 50000:
                self._similar = {source: similar}
        similar.messages.add(message)
        similar.last = now
        namespace, uid, type_, reason, component, host = source
        if len(similar.messages) >= AGGREGATE_AFTER:
            similar.messages.pop()
            return COMBINED + message, (namespace, uid, "", type_, reason, COMBINED, component, host)
        return message, (namespace, uid, field_path, type_, reason, message, component, host)

    def _repeat(
        self, key: tuple[str, ...], namespace: str, involved: JSON, message: str, stamp: str, component: str
    ) -> bool:
        """Count the event up if it happened before (and is still there); whether it did."""
        existing_name = self._names.get(key)
        rt = self.api.rt("", "events")
        existing = self.api.store.get(rt.key, namespace, existing_name) if existing_name is not None else None
        if existing is None:
            return False
        updated = copy.deepcopy(existing)
        updated["count"] = int(updated.get("count") or 1) + 1
        updated["lastTimestamp"] = stamp
        updated["involvedObject"] = involved
        updated["message"] = message
        self.api.write(rt, updated, component)
        return True


class EventReaper(Controller):
    """Events expire ``event_ttl`` after they last happened (the API server's --event-ttl)."""

    name = "event-ttl"

    def start_keys(self) -> list[str]:
        return ["reap"]

    def reconcile(self, key: str) -> float | None:
        ttl = self.timings.event_ttl
        rt = self.api.rt("", "events")
        cutoff = clock.now() - ttl
        for event in self.store.list(rt.key):
            last = clock.parse_time(
                event.get("lastTimestamp") or event.get("eventTime") or event["metadata"].get("creationTimestamp")
            )
            if last is not None and last < cutoff:
                meta = event["metadata"]
                self.store.remove(rt.key, meta.get("namespace") or "", meta["name"])
        return max(1.0, min(60.0, ttl / 10))
