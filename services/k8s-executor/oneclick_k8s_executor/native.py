"""Native mode (the default): the rollout rendered into Namespace, Deployment, Services, ... and applied with
server-side apply, without the One-Click operator.

Applying is idempotent (server-side apply with ``force``); pruning lists every kind a deployment owns with
the deployment's label selector and deletes what the current rendering does not contain. A rejection by
the API stops the apply before pruning, so a half-valid rollout never removes what is running.
"""

from __future__ import annotations

import asyncio
import copy

from oneclick_core.contracts.executor import ExecutorMode
from oneclick_core.kinds import DEPLOYMENT, INGRESS, PERSISTENT_VOLUME_CLAIM, POD, SERVICE
from oneclick_core.observability.logs import get_logger
from oneclick_k8s_executor.applying import (
    Applied,
    ProjectTarget,
    Rejected,
    RolloutTarget,
    apply_project,
    content,
    labelled_pair,
    object_path,
    object_ref,
    object_type,
)
from oneclick_k8s_executor.locking import Held
from oneclick_kube.client import JsonObject, Kube
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path
from oneclick_manifest.naming import DEPLOYMENT_ID_LABEL, MANAGED_BY, MANAGED_BY_LABEL, PROJECT_ID_LABEL
from oneclick_manifest.quantities import QuantityError, parse_quantity
from oneclick_manifest.rendering import (
    deployment_selector,
    owned_types,
    pod_selector,
    render,
)
from oneclick_manifest.status import rollout_status

log = get_logger(__name__)


class NativeMode:
    mode: ExecutorMode = "native"

    def __init__(self, kube: Kube, field_manager: str) -> None:
        self._kube = kube
        self._field_manager = field_manager

    async def apply(self, target: RolloutTarget, held: Held) -> Applied:
        objects = render(
            target.manifest,
            project_id=target.project,
            deployment_id=target.deployment,
            rollout_id=target.rollout,
            user_id=target.owner.id,
            username=target.owner.username,
            display_name=target.owner.name,
            policy=target.policy,
        )
        # What the deployment owns before the apply: to tell what the apply changed, and what to prune (only
        # this holder of the project's lock creates the deployment's objects, so nothing appears meanwhile).
        before = await self._owned(target.project, target.deployment, keep_claims=False)
        applied: list[str] = []
        changed: list[str] = []
        for obj in objects:
            if object_type(obj) is PERSISTENT_VOLUME_CLAIM:
                obj = await self._grow_only(obj)
            held.check()
            try:
                result = await self._kube.apply(object_path(obj), obj, self._field_manager)
            except KubeError as exc:
                if exc.transient:
                    raise
                raise Rejected(object_ref(obj), exc) from None
            ref = object_ref(obj)
            applied.append(ref)
            # Namespace and ServiceAccount are shared and not listed; they count only through what they hold.
            if object_type(obj) in owned_types() and (ref not in before or content(before[ref]) != content(result)):
                changed.append(ref)
        keep = {object_ref(obj) for obj in objects}
        pruned = await self._delete(
            target.project, target.deployment, [item for ref, item in before.items() if ref not in keep], held
        )
        return Applied(objects=applied, pruned=pruned, changed=changed)

    async def apply_project(self, target: ProjectTarget, held: Held) -> list[str]:
        return await apply_project(self._kube, self._field_manager, target, held)

    async def remove(self, project: str, deployment: str, *, keep_claims: bool, held: Held) -> list[str]:
        owned = await self._owned(project, deployment, keep_claims=keep_claims)
        return await self._delete(project, deployment, list(owned.values()), held)

    async def present(self) -> set[tuple[str, str]]:
        # Cluster-wide, one list per kind; the managed-by label keeps objects of the operator or by hand out.
        labels = f"{PROJECT_ID_LABEL},{DEPLOYMENT_ID_LABEL},{MANAGED_BY_LABEL}={MANAGED_BY}"
        found: set[tuple[str, str]] = set()
        for kind in owned_types():
            for item in await self._kube.list(resource_path(kind), labels=labels):
                pair = labelled_pair(item)
                if pair is not None:
                    found.add(pair)
        return found

    async def status(self, project: str, deployment: str) -> JsonObject:
        selector = deployment_selector(project, deployment)
        found, pods, services, ingresses, claims = await asyncio.gather(
            self._kube.get(resource_path(DEPLOYMENT, project, deployment)),
            self._kube.list(resource_path(POD, project), labels=pod_selector(project, deployment)),
            self._kube.list(resource_path(SERVICE, project), labels=selector),
            self._kube.list(resource_path(INGRESS, project), labels=selector),
            self._kube.list(resource_path(PERSISTENT_VOLUME_CLAIM, project), labels=selector),
        )
        return rollout_status(
            found, _by_name(pods), _by_name(services), _by_name(ingresses), _by_name(claims)
        ).to_json()

    def pod_selector(self, project: str, deployment: str) -> str:
        return pod_selector(project, deployment)

    async def _grow_only(self, claim: JsonObject) -> JsonObject:
        """A claim's storage request may only grow (Kubernetes refuses to shrink one): keep the larger size."""
        existing = await self._kube.get(object_path(claim))
        current = _storage(existing)
        wanted = _storage(claim)
        if existing is None or current is None or wanted is None:
            return claim
        try:
            if parse_quantity(current).value <= parse_quantity(wanted).value:
                return claim
        except QuantityError:
            return claim
        grown = copy.deepcopy(claim)
        grown["spec"]["resources"]["requests"]["storage"] = current
        log.info("apply.claim_kept_larger", claim=object_ref(claim), size=current, asked=wanted)
        return grown

    async def _owned(self, project: str, deployment: str, *, keep_claims: bool) -> dict[str, JsonObject]:
        """The deployment's objects by ``Kind/name`` (every kind it owns, by its label selector)."""
        selector = deployment_selector(project, deployment)
        owned: dict[str, JsonObject] = {}
        for kind in owned_types():
            if keep_claims and kind is PERSISTENT_VOLUME_CLAIM:
                continue
            for item in await self._kube.list(resource_path(kind, project), labels=selector):
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
                owned[object_ref(item)] = item
        return owned

    async def _delete(self, project: str, deployment: str, items: list[JsonObject], held: Held) -> list[str]:
        deleted: list[str] = []
        for item in items:
            if item["metadata"].get("deletionTimestamp"):
                continue
            held.check()
            # Background: the Deployment's ReplicaSets and pods, the CronJob's Jobs go with it.
            if await self._kube.delete(
                resource_path(object_type(item), project, item["metadata"]["name"]), propagation="Background"
            ):
                deleted.append(object_ref(item))
        if deleted:
            log.info("prune.deleted", project=project, deployment=deployment, objects=deleted)
        return deleted


def _storage(claim: JsonObject | None) -> str | None:
    value = (((claim or {}).get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
    return value if isinstance(value, str) else None


def _by_name(items: list[JsonObject]) -> list[JsonObject]:
    return sorted(items, key=lambda item: str(item.get("metadata", {}).get("name", "")))
