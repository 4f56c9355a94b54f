"""Counters for ``/kubesim/stats``: requests per verb and resource, open watches per resource and namespace."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from kubesim.store import Store

JSON = dict[str, Any]


class Stats:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.watches_opened: Counter[str] = Counter()

    def count(self, verb: str, resource: str) -> None:
        self.requests[(verb, resource)] += 1

    def reset(self) -> None:
        self.requests.clear()
        self.watches_opened.clear()

    def render(self, store: Store) -> JSON:
        by_verb: Counter[str] = Counter()
        by_resource: Counter[str] = Counter()
        by_verb_resource: dict[str, dict[str, int]] = {}
        for (verb, resource), n in self.requests.items():
            by_verb[verb] += n
            by_resource[resource] += n
            by_verb_resource.setdefault(verb, {})[resource] = n
        open_by_resource: Counter[str] = Counter()
        open_by_namespace: dict[str, dict[str, int]] = {}
        watchers = [w for w in store.watchers() if not w.closed]
        for watcher in watchers:
            open_by_resource[watcher.label] += 1
            namespace = watcher.namespace if watcher.namespace is not None else "*"
            bucket = open_by_namespace.setdefault(namespace, {})
            bucket[watcher.label] = bucket.get(watcher.label, 0) + 1
        objects = {resource: store.count(resource) for resource in store.resources()}
        return {
            "uptimeSeconds": round(time.monotonic() - self.started, 3),
            "resourceVersion": str(store.resource_version),
            "watches": {
                "open": len(watchers),
                "byResource": dict(open_by_resource),
                "byNamespace": open_by_namespace,
                "openedTotal": dict(self.watches_opened),
            },
            "requests": {
                "total": sum(self.requests.values()),
                "byVerb": dict(by_verb),
                "byResource": dict(by_resource),
                "byVerbAndResource": by_verb_resource,
            },
            "objects": objects,
        }
