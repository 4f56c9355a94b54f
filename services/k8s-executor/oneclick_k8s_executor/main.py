"""The k8s-executor service: the only writer to Kubernetes (no schema; the cluster is its state).

Wiring: settings → Kubernetes client → apply mode (native objects or the Rollout CR) → the event consumer
that reconciles deployments, the periodic resync (on the replica holding its lease), and the RPC reads and
actions. Without any cluster configuration the service
still runs (health checks, ``oneclick dev --only``) but consumes no events, so none is lost, and answers
every cluster RPC with 503.
"""

from __future__ import annotations

from oneclick_core.bus import leases
from oneclick_core.bus.leases import LeaderElector, Lease
from oneclick_core.contracts.executor import CLUSTER_INFO, DELETE_JOB, DELETE_POD, KUBE_EVENTS, METRICS, STATUS
from oneclick_core.observability.logs import get_logger
from oneclick_core.runtime.service import ServiceRuntime, ServiceSpec
from oneclick_k8s_executor.applying import ApplyMode
from oneclick_k8s_executor.handlers import Handlers
from oneclick_k8s_executor.locking import ProjectLocks, locks_bucket
from oneclick_k8s_executor.metrics import ExecutorMetrics
from oneclick_k8s_executor.native import NativeMode
from oneclick_k8s_executor.operator_mode import OperatorMode
from oneclick_k8s_executor.reconciling import Reconciler, consumer_options
from oneclick_k8s_executor.resyncing import LEASE_NAME as RESYNC_LEASE
from oneclick_k8s_executor.resyncing import Resync
from oneclick_k8s_executor.settings import ExecutorSettings
from oneclick_kube.client import Kube, KubeSettings

log = get_logger(__name__)


async def setup(runtime: ServiceRuntime[ExecutorSettings]) -> None:
    settings = runtime.settings
    kube = await Kube.connect(KubeSettings(settings.effective_kubeconfig(), timeout=settings.kubernetes_timeout))
    mode: ApplyMode | None = None
    if kube is not None:
        runtime.on_shutdown(kube.close)
        modes: dict[str, type[NativeMode] | type[OperatorMode]] = {"native": NativeMode, "operator": OperatorMode}
        mode = modes[settings.executor_mode](kube, settings.executor_field_manager)
        kv = await locks_bucket(runtime.js, settings.executor_lock_ttl, settings.event_stream_replicas)
        locks = ProjectLocks(kv, settings.instance_id, ttl=settings.executor_lock_ttl, wait=settings.executor_lock_wait)
        reconciler = Reconciler(kube, mode, runtime.rpc_client, locks, runtime.js)
        runtime.consume(consumer_options(settings), reconciler.on_event)
        log.info("executor.mode", mode=settings.executor_mode)
        if settings.executor_resync_interval > 0:
            # One replica at a time resyncs; its lease lives as long as a project lock would.
            resync = Resync(
                kube,
                mode,
                reconciler,
                runtime.rpc_client,
                ExecutorMetrics.create(runtime.registry),
                interval=settings.executor_resync_interval,
            )
            lease = Lease(
                await leases.locks_bucket(runtime.js, settings.event_stream_replicas),
                RESYNC_LEASE,
                holder=settings.instance_id,
                ttl=settings.executor_lock_ttl,
            )
            elector = LeaderElector(lease, resync.lead)
            runtime.add_worker("resync", elector.run, elector.stop)

    handlers = Handlers(kube, mode)
    runtime.rpc.register(STATUS, handlers.status)
    runtime.rpc.register(METRICS, handlers.metrics)
    runtime.rpc.register(KUBE_EVENTS, handlers.events)
    runtime.rpc.register(CLUSTER_INFO, handlers.cluster_info)
    runtime.rpc.register(DELETE_POD, handlers.delete_pod)
    runtime.rpc.register(DELETE_JOB, handlers.delete_job)


SERVICE = ServiceSpec(name="k8s-executor", settings=ExecutorSettings, setup=setup, distribution="oneclick-k8s-executor")
