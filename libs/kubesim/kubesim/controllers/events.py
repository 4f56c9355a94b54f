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

    def record(self, obj: JSON, type_: str, reason: str, message: str, component: str, *, host: str = "",
               field_path: str = "") -> None:
        meta = obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "default")
        involved: JSON = {"kind": obj.get("kind"), "namespace": meta.get("namespace") or "",
                          "name": meta.get("name"), "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
                          "resourceVersion": meta.get("resourceVersion")}
        if not involved["namespace"]:
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        rt = self.api.rt("", "events")
        now = clock.now()
        stamp = clock.rfc3339(now)
        similar_key = (namespace, str(meta.get("uid")), type_, reason, component, host)
        similar = self._similar.get(similar_key)
        if similar is None or now - similar.last > AGGREGATE_WINDOW:
            similar = self._similar[similar_key] = _Similar()
            if len(self._similar) > 50000:
                self._similar = {similar_key: similar}
        similar.messages.add(message)
        similar.last = now
        key = (namespace, str(meta.get("uid")), field_path, type_, reason, message, component, host)
        if len(similar.messages) >= AGGREGATE_AFTER:
            similar.messages.pop()
            message = COMBINED + message
            key = (namespace, str(meta.get("uid")), "", type_, reason, COMBINED, component, host)
        existing_name = self._names.get(key)
        if existing_name is not None:
            existing = self.api.store.get(rt.key, namespace, existing_name)
            if existing is not None:
                updated = copy.deepcopy(existing)
                updated["count"] = int(updated.get("count") or 1) + 1
                updated["lastTimestamp"] = stamp
                updated["involvedObject"] = involved
                updated["message"] = message
                self.api.write(rt, updated, component)
                return
        name = f"{meta.get('name')}.{time.time_ns():x}"
        event: JSON = {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved, "reason": reason, "message": message,
            "source": {"component": component, **({"host": host} if host else {})},
            "firstTimestamp": stamp, "lastTimestamp": stamp, "count": 1, "type": type_,
            "eventTime": None, "reportingComponent": component, "reportingInstance": host,
        }
        try:
            self.api.create(rt, namespace, event, WriteOptions(field_manager=component))
        except ApiError as exc:
            # Events into a terminating namespace are refused; real components drop them too.
            log.debug("event %s/%s dropped: %s", namespace, reason, exc)
            return
        self._names[key] = name
        if len(self._names) > 50000:
            self._names.clear()


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
            last = clock.parse_time(event.get("lastTimestamp") or event.get("eventTime") or
                                    event["metadata"].get("creationTimestamp"))
            if last is not None and last < cutoff:
                meta = event["metadata"]
                self.store.remove(rt.key, meta.get("namespace") or "", meta["name"])
        return max(1.0, min(60.0, ttl / 10))
