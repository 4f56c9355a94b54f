"""The k8s-executor's settings: the shared ones plus how it applies rollouts (env prefix ``ONECLICK_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oneclick_core.settings import CoreSettings


class ExecutorSettings(CoreSettings):
    executor_mode: Literal["native", "operator"] = Field(
        "native",
        description="native: apply Deployments, Services, ... directly; operator: write the "
        "one-click.dev/v1alpha1 Rollout CR for a cluster that runs the One-Click operator.",
    )
    executor_field_manager: str = Field("one-click", description="fieldManager of server-side apply.")
    executor_lock_ttl: float = Field(
        15.0, gt=0, description="Seconds a project lock outlives a replica that died holding it."
    )
    executor_lock_wait: float = Field(
        60.0, gt=0, description="Seconds an event waits for its project's lock before it is retried later."
    )
    executor_ack_wait: float = Field(
        30.0, gt=0, description="Seconds before JetStream hands an unacknowledged event to another replica."
    )
    executor_max_deliver: int = Field(
        20, ge=1, description="Deliveries of an event before it goes to the dead-letter stream."
    )
    executor_retry_backoff: tuple[float, ...] = Field(
        (1.0, 2.0, 5.0, 15.0, 60.0), description="Delays before retrying an event after a transient failure."
    )
    executor_resync_interval: float = Field(
        300.0,
        ge=0,
        description="Seconds between two resyncs (every deployment reconciled, orphans removed) "
        "by the replica holding the resync lease; 0 disables the resync.",
    )
    kubernetes_timeout: float = Field(15.0, gt=0, description="Seconds one Kubernetes API request may take.")
