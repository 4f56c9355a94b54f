"""The updater's Prometheus metrics, registered in the runtime's per-process registry.

``last_success`` is set by whichever replica ran the check; ``max by (auto_update)`` over replicas is
the autoUpdate's last successful check (the table ``auto_updates.last_success`` holds the same).
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class UpdaterMetrics:
    checks: Counter
    registry_calls: Counter
    listings: Counter
    failures: Counter
    last_success: Gauge
    dispatched: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> UpdaterMetrics:
        return cls(
            checks=Counter(
                "oneclick_updater_checks_total",
                "AutoUpdate checks run by this replica",
                ["trigger", "outcome"],
                registry=registry,
            ),
            registry_calls=Counter(
                "oneclick_updater_registry_calls_total",
                "HTTP requests to registries and their token services",
                ["host", "outcome"],
                registry=registry,
            ),
            listings=Counter(
                "oneclick_updater_tag_listings_total",
                "Tag lists a check needed: fetched from the registry, or shared within the tick",
                ["source"],
                registry=registry,
            ),
            failures=Counter(
                "oneclick_updater_check_failures_total", "Checks that failed, by reason", ["reason"], registry=registry
            ),
            last_success=Gauge(
                "oneclick_updater_last_success_timestamp_seconds",
                "Unix time of an autoUpdate's last successful check (by this replica)",
                ["auto_update"],
                registry=registry,
            ),
            dispatched=Counter(
                "oneclick_updater_dispatched_total",
                "Due checks the scheduler handed to the work queue",
                registry=registry,
            ),
        )
