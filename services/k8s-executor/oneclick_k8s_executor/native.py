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
from oneclick_core.logs import get_logger
from oneclick_k8s_executor.applying import (
    POD,
    Applied,
    Rejected,
    RolloutTarget,
    collection_path,
    named_path,
    object_path,
    object_ref,
    object_type,
)
from oneclick_k8s_executor.kube import JsonObject, Kube, KubeError
from oneclick_k8s_executor.locking import Held
from oneclick_manifest.quantities import QuantityError, parse_quantity
from oneclick_manifest.rendering import (
    DEPLOYMENT,
    INGRESS,
    PERSISTENT_VOLUME_CLAIM,
    SERVICE,
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
        objects = render(target.manifest, project_id=target.project, deployment_id=target.deployment,
                         rollout_id=target.rollout, user_id=target.owner.id, username=target.owner.username,
                         display_name=target.owner.name)
        applied: list[str] = []
        for obj in objects:
            if object_type(obj) is PERSISTENT_VOLUME_CLAIM:
                obj = await self._grow_only(obj)
            held.check()
            try:
                await self._kube.apply(object_path(obj), obj, self._field_manager)
            except KubeError as exc:
                if exc.transient:
                    raise
                raise Rejected(object_ref(obj), exc) from None
            applied.append(object_ref(obj))
        keep = {object_ref(obj) for obj in objects}
        pruned = await self._delete_owned(target.project, target.deployment, keep=keep, keep_claims=False, held=held)
        return Applied(objects=applied, pruned=pruned)

    async def remove(self, project: str, deployment: str, *, keep_claims: bool, held: Held) -> list[str]:
        return await self._delete_owned(project, deployment, keep=set(), keep_claims=keep_claims, held=held)

    async def status(self, project: str, deployment: str) -> JsonObject:
        selector = deployment_selector(project, deployment)
        found, pods, services, ingresses, claims = await asyncio.gather(
            self._kube.get(named_path(DEPLOYMENT, project, deployment)),
            self._kube.list(collection_path(POD, project), labels=pod_selector(project, deployment)),
            self._kube.list(collection_path(SERVICE, project), labels=selector),
            self._kube.list(collection_path(INGRESS, project), labels=selector),
            self._kube.list(collection_path(PERSISTENT_VOLUME_CLAIM, project), labels=selector),
        )
        return rollout_status(found, _by_name(pods), _by_name(services), _by_name(ingresses),
                              _by_name(claims)).to_json()

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

    async def _delete_owned(self, project: str, deployment: str, *, keep: set[str], keep_claims: bool,
                            held: Held) -> list[str]:
        selector = deployment_selector(project, deployment)
        deleted: list[str] = []
        for kind in owned_types():
            if keep_claims and kind is PERSISTENT_VOLUME_CLAIM:
                continue
            for item in await self._kube.list(collection_path(kind, project), labels=selector):
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
                ref = object_ref(item)
                if ref in keep or item["metadata"].get("deletionTimestamp"):
                    continue
                held.check()
                # Background: the Deployment's ReplicaSets and pods, the CronJob's Jobs go with it.
                if await self._kube.delete(named_path(kind, project, item["metadata"]["name"]),
                                           propagation="Background"):
                    deleted.append(ref)
        if deleted:
            log.info("prune.deleted", project=project, deployment=deployment, objects=deleted)
        return deleted


def _storage(claim: JsonObject | None) -> str | None:
    value = (((claim or {}).get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage")
    return value if isinstance(value, str) else None


def _by_name(items: list[JsonObject]) -> list[JsonObject]:
    return sorted(items, key=lambda item: str(item.get("metadata", {}).get("name", "")))
