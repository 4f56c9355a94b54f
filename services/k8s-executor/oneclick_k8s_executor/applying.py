"""What both ways of putting a rollout into the cluster share: their interface, outcomes and the paths of the
objects they render."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from oneclick_core.contracts.executor import ExecutorMode
from oneclick_core.contracts.records import Owner
from oneclick_core.ids import is_record_id
from oneclick_core.kinds import NAMESPACE, ROLLOUT, SERVICE_ACCOUNT, ObjectType
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.locking import Held
from oneclick_kube.client import JsonObject, Kube
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path
from oneclick_manifest import naming
from oneclick_manifest.model import RolloutManifest
from oneclick_manifest.rendering import owned_types, project_types, render_project

# The kinds the executor writes, by (apiVersion, kind): how a rendered object finds its REST path.
KNOWN_TYPES: dict[tuple[str, str], ObjectType] = {
    (t.api_version, t.kind): t for t in (*project_types(), SERVICE_ACCOUNT, *owned_types(), ROLLOUT)
}


@dataclass(frozen=True)
class Applied:
    objects: list[str]
    pruned: list[str] = field(default_factory=list)
    # Objects the apply created or whose content it changed (``Kind/name``); empty when the cluster already
    # matched, which is how a resync tells drift from a no-op.
    changed: list[str] = field(default_factory=list)


class Rejected(Exception):
    """The API refused an object for good (invalid, forbidden, immutable field): retrying will not help."""

    def __init__(self, ref: str, error: KubeError) -> None:
        self.ref = ref
        self.error = error
        super().__init__(f"{ref}: {error}")


@dataclass(frozen=True)
class RolloutTarget:
    """The running rollout of a deployment, as records has it now."""

    project: str
    deployment: str
    rollout: str
    owner: Owner
    manifest: RolloutManifest
    policy: TenancyPolicy


@dataclass(frozen=True)
class ProjectTarget:
    """A project's namespace as its tenancy policy shapes it (labels, quota, limit range, network policy)."""

    project: str
    owner: Owner
    policy: TenancyPolicy


class ApplyMode(Protocol):
    """Native objects or the Rollout CR: the cluster side of reconciliation and of the status read."""

    mode: ExecutorMode

    async def apply(self, target: RolloutTarget, held: Held) -> Applied: ...

    async def apply_project(self, target: ProjectTarget, held: Held) -> list[str]:
        """The project's namespace and guardrails (:func:`apply_project`); ``Kind/name`` of those it changed."""
        ...

    async def remove(self, project: str, deployment: str, *, keep_claims: bool, held: Held) -> list[str]: ...

    async def status(self, project: str, deployment: str) -> JsonObject: ...

    def pod_selector(self, project: str, deployment: str) -> str: ...

    async def present(self) -> set[tuple[str, str]]:
        """(project, deployment) of every deployment that has One-Click-labelled objects in the cluster."""
        ...


def labelled_pair(item: JsonObject) -> tuple[str, str] | None:
    """(project, deployment) from an object's One-Click labels, if they are well-formed and the project label
    names the object's own namespace (as everything One-Click renders does); None otherwise."""
    metadata = item.get("metadata") or {}
    labels = metadata.get("labels") or {}
    project, deployment = labels.get(naming.PROJECT_ID_LABEL), labels.get(naming.DEPLOYMENT_ID_LABEL)
    if not (isinstance(project, str) and isinstance(deployment, str)):
        return None
    if project != metadata.get("namespace") or not (is_record_id(project) and is_record_id(deployment)):
        return None
    return project, deployment


async def apply_project(kube: Kube, field_manager: str, target: ProjectTarget, held: Held) -> list[str]:
    """Apply the project's Namespace (owner and Pod Security labels), ResourceQuota, LimitRange and NetworkPolicy
    with server-side apply; ``Kind/name`` of those the apply created or changed (drift, or a changed policy)."""
    changed: list[str] = []
    for obj in render_project(
        target.project,
        user_id=target.owner.id,
        username=target.owner.username,
        display_name=target.owner.name,
        policy=target.policy,
    ):
        held.check()
        path = object_path(obj)
        try:
            before = await kube.get(path)
            after = await kube.apply(path, obj, field_manager)
        except KubeError as exc:
            if exc.transient:
                raise
            raise Rejected(object_ref(obj), exc) from None
        if before is None or content(before) != content(after):
            changed.append(object_ref(obj))
    return changed


def content(obj: JsonObject) -> JsonObject:
    """What an apply may change: the object without its status and the API server's bookkeeping (a status
    update by a controller between our read and our apply is no drift)."""
    metadata = {
        key: value
        for key, value in (obj.get("metadata") or {}).items()
        if key not in ("resourceVersion", "managedFields", "generation")
    }
    return {**{key: value for key, value in obj.items() if key != "status"}, "metadata": metadata}


def object_type(obj: JsonObject) -> ObjectType:
    return KNOWN_TYPES[(obj["apiVersion"], obj["kind"])]


def object_ref(obj: JsonObject) -> str:
    """``Kind/name``: how logs and events name an object (never its content: Secrets and the CR hold secrets)."""
    return f"{obj['kind']}/{obj['metadata']['name']}"


def object_path(obj: JsonObject) -> str:
    kind = object_type(obj)
    namespace = None if kind is NAMESPACE else obj["metadata"]["namespace"]
    return resource_path(kind, namespace, obj["metadata"]["name"])
