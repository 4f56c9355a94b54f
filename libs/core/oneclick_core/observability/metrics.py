"""Prometheus metrics of the shared machinery, registered per process in the runtime's registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass(frozen=True)
class BusMetrics:
    rpc_handled: Counter
    rpc_duration: Histogram
    rpc_calls: Counter
    events_handled: Counter
    event_duration: Histogram
    events_dead_lettered: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> BusMetrics:
        return cls(
            rpc_handled=Counter(
                "oneclick_rpc_handled_total",
                "RPC requests answered by this process",
                ["method", "outcome"],
                registry=registry,
            ),
            rpc_duration=Histogram(
                "oneclick_rpc_handle_seconds", "Time to answer an RPC request", ["method"], registry=registry
            ),
            rpc_calls=Counter(
                "oneclick_rpc_calls_total",
                "RPC calls made by this process",
                ["service", "method", "outcome"],
                registry=registry,
            ),
            events_handled=Counter(
                "oneclick_events_handled_total",
                "Events handled by this process",
                ["consumer", "outcome"],
                registry=registry,
            ),
            event_duration=Histogram(
                "oneclick_event_handle_seconds", "Time to handle an event", ["consumer"], registry=registry
            ),
            events_dead_lettered=Counter(
                "oneclick_events_dead_lettered_total",
                "Events moved to the dead-letter stream",
                ["consumer"],
                registry=registry,
            ),
        )
