"""The executor's Prometheus metrics, registered in the runtime's per-process registry.

Only the replica holding the resync lease counts resyncs; ``sum`` over replicas is the platform's total and
``max(oneclick_executor_resync_leader)`` is 1 while some replica leads.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass(frozen=True)
class ExecutorMetrics:
    resync_leader: Gauge
    resync_runs: Counter
    resync_deployments: Counter
    drift_corrected: Counter
    orphans_removed: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> ExecutorMetrics:
        return cls(
            resync_leader=Gauge(
                "oneclick_executor_resync_leader", "1 while this replica holds the resync lease", registry=registry
            ),
            resync_runs=Counter(
                "oneclick_executor_resync_runs_total",
                "Resync runs by this replica (completed, or failed: records or Kubernetes away)",
                ["outcome"],
                registry=registry,
            ),
            resync_deployments=Counter(
                "oneclick_executor_resync_deployments_total",
                "Deployments a resync reconciled: unchanged, corrected (the cluster differed), failed, busy "
                "(its project's lock stayed taken)",
                ["outcome"],
                registry=registry,
            ),
            drift_corrected=Counter(
                "oneclick_executor_drift_corrected_total",
                "Objects a resync created, changed or deleted because the cluster differed from the records",
                ["kind"],
                registry=registry,
            ),
            orphans_removed=Counter(
                "oneclick_executor_orphans_removed_total",
                "One-Click-labelled deployments and namespaces a resync removed because records no longer has them",
                ["what"],
                registry=registry,
            ),
        )
