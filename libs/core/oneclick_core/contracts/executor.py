"""The k8s-executor's RPC methods and the ``rollout.applied`` / ``rollout.failed`` events it publishes.

Reads answer in One-Click's JSON shapes (``RolloutStatus``, ``{metrics: [...]}``, ``{events: [...]}``), which
``oneclick_manifest.status`` computes; libs/core cannot import that package, so they travel as JSON objects
the edge returns unchanged. Every request names the project the edge already authorized (records'
``deployment_access`` / ``project_access``); the executor only ever looks inside that project's namespace.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from oneclick_core.contracts.envelope import EventSpec
from oneclick_core.contracts.rpc import RpcMethod
from oneclick_core.contracts.streaming import PodName

SERVICE = "k8s-executor"

JsonObject = dict[str, Any]
ExecutorMode = Literal["native", "operator"]
# Pods and jobs are both named as DNS-1123 subdomains. Anything else ("..", "." or a name with "/") would make
# the API path leave the project's pods or jobs once the HTTP client resolves its dot segments
# (``.../pods/..`` is the namespace itself), so such a request is refused before anyone sends it.
JobName = PodName


class DeploymentTarget(BaseModel):
    """A deployment the edge has authorized for the caller; its namespace is the project id."""

    project: str
    deployment: str


class ClusterView(BaseModel):
    """One-Click's JSON for a read, as the original backend answered it."""

    body: JsonObject = Field(
        description="Status: RolloutStatus {deployment, services, ingresses, volumes}; "
        "metrics: {metrics: [{name, cpu, memory}]}; "
        "events: {events: [{reason, message, typus}]}."
    )


class ClusterInfoRequest(BaseModel):
    pass


class ClusterInfo(BaseModel):
    storageClasses: list[str]
    ingressClasses: list[str]


class PodRef(BaseModel):
    project: str
    pod: PodName


class JobRef(BaseModel):
    project: str
    job: JobName


class ActionDone(BaseModel):
    message: str = Field(description="One-Click's answer, e.g. 'Pod deleted'.")


def _method(name: str, request: type[Any], response: type[Any], description: str) -> RpcMethod[Any, Any]:
    return RpcMethod(SERVICE, name, request, response, description)


STATUS: RpcMethod[DeploymentTarget, ClusterView] = _method(
    "status",
    DeploymentTarget,
    ClusterView,
    "The deployment's RolloutStatus (native objects, or the Rollout CR's .status in operator mode).",
)
METRICS: RpcMethod[DeploymentTarget, ClusterView] = _method(
    "metrics", DeploymentTarget, ClusterView, "CPU and memory of the deployment's pods (metrics.k8s.io)."
)
KUBE_EVENTS: RpcMethod[DeploymentTarget, ClusterView] = _method(
    "events", DeploymentTarget, ClusterView, "Kubernetes events of the deployment's objects, oldest first."
)
CLUSTER_INFO: RpcMethod[ClusterInfoRequest, ClusterInfo] = _method(
    "cluster_info", ClusterInfoRequest, ClusterInfo, "Names of the cluster's storage classes and ingress classes."
)
DELETE_POD: RpcMethod[PodRef, ActionDone] = _method(
    "delete_pod",
    PodRef,
    ActionDone,
    "Delete (restart) a pod of one of the project's deployments; 404 for any other pod.",
)
DELETE_JOB: RpcMethod[JobRef, ActionDone] = _method(
    "delete_job",
    JobRef,
    ActionDone,
    "Delete a job of one of the project's cron jobs with its pods (foreground); 404 for any other job.",
)

EXECUTOR_RPC: tuple[RpcMethod[Any, Any], ...] = (STATUS, METRICS, KUBE_EVENTS, CLUSTER_INFO, DELETE_POD, DELETE_JOB)


# -- events -----------------------------------------------------------------------------------------------


class RolloutApplied(BaseModel):
    """The cluster now holds this rollout (its objects accepted by the API; pods may still be starting)."""

    project: str
    deployment: str
    rollout: str
    startDate: str = Field(description="The rollout's startDate: a rollback re-applies with a new one.")
    mode: ExecutorMode
    objects: list[str] = Field(description="What was applied, as Kind/name.")
    pruned: list[str] = Field(default_factory=list, description="What the rollout no longer has, removed.")


class RolloutFailed(BaseModel):
    """The Kubernetes API refused an object of the rollout; nothing after it was applied, nothing was pruned."""

    project: str
    deployment: str
    rollout: str
    startDate: str
    mode: ExecutorMode
    object: str = Field(description="The refused object as Kind/name.")
    code: int = Field(description="HTTP status of the refusal (e.g. 422).")
    reason: str = Field(description="Kubernetes' reason, e.g. Invalid or Forbidden.")
    message: str = Field(description="Kubernetes' message, with any secret value of the manifest blanked out.")


ROLLOUT_APPLIED: EventSpec[RolloutApplied] = EventSpec(
    "rollout",
    "applied",
    RolloutApplied,
    "The executor applied a rollout. Nats-Msg-Id is `<rollout>:<startDate>:applied`, so repeats are dropped.",
)
ROLLOUT_FAILED: EventSpec[RolloutFailed] = EventSpec(
    "rollout",
    "failed",
    RolloutFailed,
    "The Kubernetes API refused a rollout's object, or (reason `PolicyViolation`) its project's tenancy policy "
    "refused the rollout before anything was applied. Nats-Msg-Id is `<rollout>:<startDate>:failed`.",
)

EXECUTOR_EVENTS: tuple[EventSpec[Any], ...] = (ROLLOUT_APPLIED, ROLLOUT_FAILED)
