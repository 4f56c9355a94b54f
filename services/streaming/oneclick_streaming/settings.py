"""Settings of the streaming service (environment variables ``ONECLICK_STREAMING_*``)."""

from __future__ import annotations

from pydantic import Field

from oneclick_core.settings import CoreSettings


class StreamingSettings(CoreSettings):
    streaming_heartbeat: float = Field(
        1.0, gt=0, description="Seconds between a served namespace's status heartbeats and replica announcements."
    )
    streaming_replica_ttl: float = Field(
        4.0, gt=0, description="Seconds without an announcement after which a streaming replica counts as gone."
    )
    streaming_lease_ttl: float = Field(
        5.0,
        gt=0,
        description="Seconds a namespace lease lasts without renewal (a dead replica's namespaces are "
        "taken over after this).",
    )
    streaming_linger: float = Field(
        10.0, ge=0, description="Seconds a namespace or log follower is kept after its last viewer left."
    )
    streaming_log_tail: int = Field(200, ge=1, le=10_000, description="Lines of a container's log kept and sent first.")
    streaming_watch_timeout: int = Field(
        300, ge=10, description="timeoutSeconds of each watch request (it is resumed from its resourceVersion)."
    )
    streaming_snapshot_page_bytes: int = Field(
        256 * 1024, ge=1024, description="Serialized object bytes per snapshot page (NATS payloads are bounded)."
    )
    streaming_kube_connections: int = Field(
        2000, ge=10, description="Most simultaneous connections to the Kubernetes API (each watch holds one)."
    )
