"""The streaming service: shared Kubernetes watches fanned out on live subjects (no schema).

settings → Kubernetes client → coordinator (interest, replicas, leases → namespace sessions) → RPC front door.
"""

from __future__ import annotations

from oneclick_core.contracts.streaming import LOG_TAIL, SNAPSHOT
from oneclick_core.runtime import ServiceRuntime, ServiceSpec, run_service
from oneclick_streaming.coordinator import Coordinator
from oneclick_streaming.handlers import Handlers
from oneclick_streaming.kube import KubeApi
from oneclick_streaming.metrics import StreamingMetrics
from oneclick_streaming.settings import StreamingSettings

# Forwarded requests give up this long before the caller's own RPC timeout, so it gets our 503, not its own.
_PATIENCE_MARGIN = 0.5


async def setup(runtime: ServiceRuntime[StreamingSettings]) -> None:
    settings = runtime.settings
    kube = await KubeApi.connect(settings)
    runtime.on_shutdown(kube.close)
    coordinator = Coordinator(runtime.nc, runtime.js, kube, settings, StreamingMetrics.create(runtime.registry))
    runtime.add_worker("coordinator", coordinator.run, coordinator.stop)
    handlers = Handlers(runtime.nc, patience=max(0.5, settings.rpc_timeout - _PATIENCE_MARGIN))
    runtime.rpc.register(SNAPSHOT, handlers.snapshot)
    runtime.rpc.register(LOG_TAIL, handlers.log_tail)


SERVICE = ServiceSpec(name="streaming", settings=StreamingSettings, setup=setup,
                      distribution="oneclick-streaming")


def main() -> None:
    run_service(SERVICE)


if __name__ == "__main__":
    main()
