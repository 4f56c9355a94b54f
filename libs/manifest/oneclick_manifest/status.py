"""The reads the executor serves, computed from Kubernetes objects as the API returns them (JSON dicts).

Shapes are One-Click's (``pocketbase/pkg/models/rollout.go``): ``RolloutStatus`` (which the
operator computed in ``controllers/status.go``), ``{metrics: [{name, cpu, memory}]}`` and
``{events: [{reason, message, typus}]}``. Quantities are strings in Go's ``AsDec().String()``
form (see :mod:`oneclick_manifest.quantities`), which the frontend reads with ``Number()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from oneclick_manifest.quantities import Quantity, QuantityError, parse_quantity, sum_quantities

DeploymentState = Literal["OK", "Pending", "NotReady", "Error"]
OK: DeploymentState = "OK"
PENDING: DeploymentState = "Pending"
NOT_READY: DeploymentState = "NotReady"
ERROR: DeploymentState = "Error"
_SEVERITY: Mapping[DeploymentState, int] = {OK: 0, NOT_READY: 1, PENDING: 2, ERROR: 3}

# Container waiting/terminated reasons that will not clear up on their own (kubelet's names).
ERROR_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "RegistryUnavailable",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreStartHookError",
        "PostStartHookError",
        "ContainerCannotRun",
        "StartError",
        "OOMKilled",
    }
)
# PVC phases as the operator reported them; anything else is "Unknown".
_VOLUME_PHASES = frozenset({"Bound", "Pending", "Lost"})


class StatusModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def to_json(self) -> dict[str, Any]:
        """One-Click's JSON: camelCase, and fields Go left out (``omitempty``) absent rather than null."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Resources(StatusModel):
    cpu: str
    memory: str


class DeploymentResources(StatusModel):
    request_sum: Resources
    limit_sum: Resources


class DeploymentStatus(StatusModel):
    replicas: int
    pod_names: list[str]
    resources: DeploymentResources
    status: DeploymentState
    # Added to One-Click's shape: why the status is not OK, in Kubernetes' words (e.g. ImagePullBackOff).
    reason: str | None = None


class ServiceStatus(StatusModel):
    name: str
    ports: list[int]
    status: str


class IngressStatus(StatusModel):
    name: str
    hosts: list[str]
    status: str


class VolumeStatus(StatusModel):
    name: str
    status: str


class RolloutStatus(StatusModel):
    deployment: DeploymentStatus
    services: list[ServiceStatus] | None = None
    ingresses: list[IngressStatus] | None = None
    volumes: list[VolumeStatus] | None = None


class PodMetrics(StatusModel):
    name: str
    cpu: str
    memory: str


class MetricsView(StatusModel):
    metrics: list[PodMetrics]


class Event(StatusModel):
    reason: str
    message: str
    typus: str


class EventsView(StatusModel):
    events: list[Event]


def rollout_status(
    deployment: Mapping[str, Any] | None,
    pods: Sequence[Mapping[str, Any]],
    services: Sequence[Mapping[str, Any]] = (),
    ingresses: Sequence[Mapping[str, Any]] = (),
    claims: Sequence[Mapping[str, Any]] = (),
) -> RolloutStatus:
    """The status of a deployment from its Deployment (None when not created yet), its pods (those
    :func:`~oneclick_manifest.rendering.pod_selector` selects), Services, Ingresses and
    PersistentVolumeClaims."""
    state, reason = _deployment_state(deployment, pods)
    requests, limits = _resource_sums(pods)
    return RolloutStatus(
        deployment=DeploymentStatus(
            replicas=_int(_get(deployment, "status", "replicas")),
            pod_names=[_name(pod) for pod in pods],
            resources=DeploymentResources(request_sum=requests, limit_sum=limits),
            status=state,
            reason=reason,
        ),
        services=[_service_status(service) for service in services] or None,
        ingresses=[status for ingress in ingresses if (status := _ingress_status(ingress)) is not None] or None,
        volumes=[VolumeStatus(name=_name(claim), status=_volume_phase(claim)) for claim in claims] or None,
    )


def pod_state(pod: Mapping[str, Any]) -> tuple[DeploymentState, str | None]:
    """One pod's contribution to the deployment status, and the Kubernetes reason when not OK."""
    status = _mapping(pod.get("status"))
    # A pod the scheduler has not seen yet has no status at all.
    phase = status.get("phase") or "Pending"
    if phase == "Failed":
        return ERROR, status.get("reason") or "Failed"
    container_statuses = [*_list(status.get("initContainerStatuses")), *_list(status.get("containerStatuses"))]
    for container in container_statuses:
        state = _mapping(container.get("state"))
        waiting_reason = _mapping(state.get("waiting")).get("reason")
        if waiting_reason in ERROR_REASONS:
            return ERROR, waiting_reason
        terminated = _mapping(state.get("terminated"))
        if terminated and terminated.get("exitCode", 0) != 0 and not container.get("ready"):
            return ERROR, terminated.get("reason") or "Error"
    if phase == "Pending":
        return PENDING, _first_waiting_reason(container_statuses) or _false_condition_reason(status, "PodScheduled")
    if phase == "Unknown":
        return NOT_READY, status.get("reason") or "Unknown"
    if phase == "Running" and not all(container.get("ready") for container in _list(status.get("containerStatuses"))):
        return NOT_READY, _first_waiting_reason(container_statuses) or _false_condition_reason(status, "Ready")
    return OK, None


def metrics_view(pod_metrics: Iterable[Mapping[str, Any]]) -> MetricsView:
    """``{metrics: [{name, cpu, memory}]}`` from ``metrics.k8s.io`` PodMetrics, by pod name.

    cpu is in cores and memory in bytes, as decimal strings; each sums every container of the pod.
    """
    views = []
    for item in pod_metrics:
        usages = [_mapping(container.get("usage")) for container in _list(item.get("containers"))]
        views.append(
            PodMetrics(
                name=_name(item),
                cpu=sum_quantities([_quantity(usage.get("cpu")) for usage in usages]).as_dec_string(),
                memory=sum_quantities([_quantity(usage.get("memory")) for usage in usages]).as_dec_string(),
            )
        )
    return MetricsView(metrics=sorted(views, key=lambda view: view.name))


def events_view(events: Iterable[Mapping[str, Any]]) -> EventsView:
    """``{events: [{reason, message, typus}]}`` from core/v1 (or events.k8s.io/v1) Events, in the given order."""
    return EventsView(
        events=[
            Event(
                reason=str(event.get("reason") or ""),
                message=str(event.get("message") or event.get("note") or ""),
                typus=str(event.get("type") or ""),
            )
            for event in events
        ]
    )


def _deployment_state(
    deployment: Mapping[str, Any] | None, pods: Sequence[Mapping[str, Any]]
) -> tuple[DeploymentState, str | None]:
    """The worst state of any pod, or of the Deployment itself; the reason of the first pod in that state."""
    if deployment is None:
        return PENDING, None
    candidates = [_deployment_condition_state(deployment)]
    # Pods on their way out (rolling update, scale-down) no longer say anything about the rollout.
    live = [pod for pod in pods if not _get(pod, "metadata", "deletionTimestamp")]
    candidates.extend(pod_state(pod) for pod in live)
    desired = _get(deployment, "spec", "replicas")
    if not live and (desired is None or _int(desired) > 0):
        candidates.append((PENDING, None))
    worst = max(_SEVERITY[state] for state, _ in candidates)
    return next((state, reason) for state, reason in candidates if _SEVERITY[state] == worst)


def _deployment_condition_state(deployment: Mapping[str, Any]) -> tuple[DeploymentState, str | None]:
    """Failures only the Deployment shows: pods it cannot create (quota), a rollout past its deadline."""
    for condition in _list(_get(deployment, "status", "conditions")):
        if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
            return ERROR, condition.get("reason") or "ReplicaFailure"
        if (
            condition.get("type") == "Progressing"
            and condition.get("status") == "False"
            and condition.get("reason") == "ProgressDeadlineExceeded"
        ):
            return ERROR, "ProgressDeadlineExceeded"
    return OK, None


def _resource_sums(pods: Sequence[Mapping[str, Any]]) -> tuple[Resources, Resources]:
    """Requests and limits of every container of every pod, summed as the operator did."""
    sums: dict[tuple[str, str], list[Quantity]] = {}
    for pod in pods:
        for container in _list(_get(pod, "spec", "containers")):
            resources = _mapping(container.get("resources"))
            for kind in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    sums.setdefault((kind, resource), []).append(_quantity(_mapping(resources.get(kind)).get(resource)))

    def total(kind: str) -> Resources:
        return Resources(
            cpu=sum_quantities(sums.get((kind, "cpu"), [])).as_dec_string(),
            memory=sum_quantities(sums.get((kind, "memory"), [])).as_dec_string(),
        )

    return total("requests"), total("limits")


def _service_status(service: Mapping[str, Any]) -> ServiceStatus:
    ports = [_int(port.get("port")) for port in _list(_get(service, "spec", "ports"))]
    # The operator reported every Service as OK: a Service has no state of its own to report.
    return ServiceStatus(name=_name(service), ports=ports, status="OK")


def _ingress_status(ingress: Mapping[str, Any]) -> IngressStatus | None:
    hosts = [str(rule["host"]) for rule in _list(_get(ingress, "spec", "rules")) if rule.get("host")]
    if not hosts:
        # As the operator: an Ingress without hosts is not reported.
        return None
    balanced = _list(_get(ingress, "status", "loadBalancer", "ingress"))
    return IngressStatus(name=_name(ingress), hosts=hosts, status="Operational" if balanced else "Pending")


def _volume_phase(claim: Mapping[str, Any]) -> str:
    phase = _get(claim, "status", "phase")
    return phase if isinstance(phase, str) and phase in _VOLUME_PHASES else "Unknown"


def _first_waiting_reason(container_statuses: list[Mapping[str, Any]]) -> str | None:
    for container in container_statuses:
        reason = _mapping(_mapping(container.get("state")).get("waiting")).get("reason")
        if reason:
            return str(reason)
    return None


def _false_condition_reason(status: Mapping[str, Any], condition_type: str) -> str | None:
    for condition in _list(status.get("conditions")):
        if condition.get("type") == condition_type and condition.get("status") == "False":
            reason = condition.get("reason")
            return str(reason) if reason else None
    return None


def _quantity(value: object) -> Quantity:
    # Objects from the API hold valid quantities; anything else counts as nothing rather than failing the read.
    if not isinstance(value, str):
        return Quantity()
    try:
        return parse_quantity(value)
    except QuantityError:
        return Quantity()


def _get(data: Mapping[str, Any] | None, *path: str) -> Any:
    current: Any = data
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _name(data: Mapping[str, Any]) -> str:
    return str(_get(data, "metadata", "name") or "")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
