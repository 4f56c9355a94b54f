"""Prometheus metrics of the streaming service (on the replica's admin port, ``/metrics``)."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class StreamingMetrics:
    namespaces: Gauge
    watches: Gauge
    log_followers: Gauge
    changes: Counter
    relists: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> StreamingMetrics:
        return cls(
            namespaces=Gauge("oneclick_streaming_namespaces", "Namespaces this replica serves", registry=registry),
            watches=Gauge(
                "oneclick_streaming_watches", "Kubernetes watches this replica holds open", registry=registry
            ),
            log_followers=Gauge("oneclick_streaming_log_followers", "Pod logs this replica follows", registry=registry),
            changes=Counter(
                "oneclick_streaming_changes_total", "Object changes published", ["kind"], registry=registry
            ),
            relists=Counter(
                "oneclick_streaming_relists_total",
                "Lists after a watch's version was gone (410)",
                ["kind"],
                registry=registry,
            ),
        )
