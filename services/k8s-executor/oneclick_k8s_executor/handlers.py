"""RPC handlers: the reads the UI needs and the two actions, always inside the project's namespace.

The edge has authorized the project (and deployment) with records before calling; the executor still
checks that a pod or job it is asked to delete belongs to that project, so no path can reach further.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from oneclick_core.contracts.executor import (
    ActionDone,
    ClusterInfo,
    ClusterInfoRequest,
    ClusterView,
    DeploymentTarget,
    JobRef,
    PodRef,
)
from oneclick_core.errors import ApiError
from oneclick_core.kinds import EVENT, INGRESS_CLASS, JOB, POD, POD_METRICS, STORAGE_CLASS
from oneclick_core.observability.logs import get_logger
from oneclick_k8s_executor.applying import ApplyMode
from oneclick_kube.client import JsonObject, Kube
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path
from oneclick_manifest import naming
from oneclick_manifest.status import events_view, metrics_view

log = get_logger(__name__)
T = TypeVar("T")
JOB_NAME_LABEL = "job-name"

NOT_CONFIGURED = ApiError.unavailable(
    "The Kubernetes cluster is not configured.",
    {
        "kubernetes": {
            "code": "not_configured",
            "message": "Set KUBECONFIG (or LOCAL and LOCAL_KUBECONFIG_FILE), or run it in a cluster.",
        }
    },
)


async def answered(call: Callable[[], Awaitable[T]]) -> T:
    """Run a cluster read; Kubernetes failures become PocketBase-shaped errors for the caller."""
    try:
        return await call()
    except KubeError as exc:
        if exc.status == 404:
            raise ApiError.not_found() from None
        if exc.transient:
            raise ApiError.unavailable(
                "The Kubernetes API is unavailable.", {"kubernetes": {"code": "unavailable", "message": exc.message}}
            ) from None
        log.warning("kubernetes.refused", status=exc.status, reason=exc.reason, error=exc.message)
        raise ApiError(
            502,
            f"Kubernetes refused the request: {exc.message}",
            {"kubernetes": {"code": exc.reason or "refused", "message": exc.message}},
        ) from None


class Handlers:
    def __init__(self, kube: Kube | None, mode: ApplyMode | None) -> None:
        self._kube = kube
        self._mode = mode

    def _cluster(self) -> tuple[Kube, ApplyMode]:
        if self._kube is None or self._mode is None:
            raise NOT_CONFIGURED
        return self._kube, self._mode

    async def status(self, request: DeploymentTarget) -> ClusterView:
        _, mode = self._cluster()
        body = await answered(lambda: mode.status(request.project, request.deployment))
        return ClusterView(body=body)

    async def metrics(self, request: DeploymentTarget) -> ClusterView:
        kube, mode = self._cluster()

        async def read() -> list[JsonObject]:
            try:
                return await kube.list(
                    resource_path(POD_METRICS, request.project),
                    labels=mode.pod_selector(request.project, request.deployment),
                )
            except KubeError as exc:
                if exc.status == 404:  # no metrics-server in this cluster: nothing to show, not an error
                    return []
                raise

        return ClusterView(body=metrics_view(await answered(read)).to_json())

    async def events(self, request: DeploymentTarget) -> ClusterView:
        kube, _ = self._cluster()
        items = await answered(lambda: kube.list(resource_path(EVENT, request.project)))
        # Events of every object of the deployment (all carry its id in their names: the Deployment, its
        # ReplicaSets and pods, claims, services, ingresses, cron jobs), oldest first.
        related = [event for event in items if request.deployment in _involved_name(event)]
        related.sort(key=_event_time)
        return ClusterView(body=events_view(related).to_json())

    async def cluster_info(self, _: ClusterInfoRequest) -> ClusterInfo:
        kube, _mode = self._cluster()
        storage = await answered(lambda: kube.list(resource_path(STORAGE_CLASS)))
        ingress = await answered(lambda: kube.list(resource_path(INGRESS_CLASS)))
        return ClusterInfo(
            storageClasses=[_name(item) for item in storage], ingressClasses=[_name(item) for item in ingress]
        )

    async def delete_pod(self, request: PodRef) -> ActionDone:
        kube, _ = self._cluster()
        path = resource_path(POD, request.project, request.pod)
        pod = await answered(lambda: kube.get(path))
        if pod is None or not _of_project(pod, request.project) or naming.DEPLOYMENT_ID_LABEL not in _labels(pod):
            raise ApiError.not_found()
        await answered(lambda: kube.delete(path))
        log.info("pod.deleted", project=request.project, pod=request.pod)
        return ActionDone(message="Pod deleted")

    async def delete_job(self, request: JobRef) -> ActionDone:
        kube, _ = self._cluster()
        path = resource_path(JOB, request.project, request.job)
        job = await answered(lambda: kube.get(path))
        if job is None or not _of_project(job, request.project):
            raise ApiError.not_found()

        async def delete() -> None:
            # As the original: the job's pods first, then the job itself in the foreground.
            for pod in await kube.list(resource_path(POD, request.project), labels=f"{JOB_NAME_LABEL}={request.job}"):
                await kube.delete(resource_path(POD, request.project, _name(pod)))
            await kube.delete(path, propagation="Foreground")

        await answered(delete)
        log.info("job.deleted", project=request.project, job=request.job)
        return ActionDone(message="Job deleted")


def _labels(obj: JsonObject) -> dict[str, str]:
    labels = (obj.get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def _of_project(obj: JsonObject, project: str) -> bool:
    return _labels(obj).get(naming.PROJECT_ID_LABEL) == project


def _name(obj: JsonObject) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


def _involved_name(event: JsonObject) -> str:
    involved = event.get("involvedObject") or event.get("regarding") or {}
    return str(involved.get("name") or "") if isinstance(involved, dict) else ""


def _event_time(event: JsonObject) -> str:
    metadata = event.get("metadata") or {}
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or metadata.get("creationTimestamp")
        or ""
    )
