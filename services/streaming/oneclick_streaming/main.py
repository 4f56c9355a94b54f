"""The streaming service: shared Kubernetes watches fanned out on live subjects (no schema).

settings → Kubernetes client → coordinator (interest, replicas, leases → namespace sessions) → RPC front door.
"""

from __future__ import annotations

from oneclick_core.contracts.streaming import LOG_TAIL, SNAPSHOT
from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec
from oneclick_kube.client import Kube, KubeSettings
from oneclick_streaming.coordinator import Coordinator
from oneclick_streaming.handlers import Handlers
from oneclick_streaming.metrics import StreamingMetrics
from oneclick_streaming.settings import StreamingSettings

# Forwarded requests give up this long before the caller's own RPC timeout, so it gets our 503, not its own.
_PATIENCE_MARGIN = 0.5


async def setup(runtime: ServiceRuntime[StreamingSettings]) -> None:
    settings = runtime.settings
    # Every watch and log follow holds a connection for as long as it runs, hence the larger pool; no overall
    # timeout, each read sets its own.
    kube = await Kube.connect(
        KubeSettings(settings.effective_kubeconfig(), connections=settings.streaming_kube_connections)
    )
    if kube is None:  # nothing to watch: the service cannot start (the executor, unlike it, has work without one)
        raise RuntimeError(
            "streaming needs a Kubernetes cluster: set KUBECONFIG (or LOCAL=true and "
            "LOCAL_KUBECONFIG_FILE), or run it inside a cluster"
        )
    runtime.on_shutdown(kube.close)
    coordinator = Coordinator(runtime.nc, runtime.js, kube, settings, StreamingMetrics.create(runtime.registry))
    runtime.add_worker("coordinator", coordinator.run, coordinator.stop)
    handlers = Handlers(runtime.nc, patience=max(0.5, settings.rpc_timeout - _PATIENCE_MARGIN))
    runtime.rpc.register(SNAPSHOT, handlers.snapshot)
    runtime.rpc.register(LOG_TAIL, handlers.log_tail)


SERVICE = ServiceSpec(name="streaming", settings=StreamingSettings, setup=setup, distribution="oneclick-streaming")
