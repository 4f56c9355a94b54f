"""Operator mode (``ONECLICK_EXECUTOR_MODE=operator``): for clusters that already run the One-Click operator,
write the ``one-click.dev/v1alpha1`` Rollout named after the deployment, as the original backend did
(pkg/k8s/rollout.go): namespace first, then get → create, or update with the current resourceVersion;
delete it when the deployment has no running rollout. The operator makes and removes the native objects.
"""

from __future__ import annotations

from oneclick_core.contracts.executor import ExecutorMode
from oneclick_core.kinds import ROLLOUT
from oneclick_k8s_executor.applying import (
    Applied,
    ProjectTarget,
    Rejected,
    RolloutTarget,
    apply_project,
    labelled_pair,
    object_path,
    object_ref,
)
from oneclick_k8s_executor.locking import Held
from oneclick_kube.client import JsonObject, Kube
from oneclick_kube.errors import KubeError
from oneclick_kube.paths import resource_path
from oneclick_manifest import naming
from oneclick_manifest.rendering import render_project, render_rollout_resource, selector
from oneclick_manifest.status import rollout_status


class OperatorMode:
    mode: ExecutorMode = "operator"

    def __init__(self, kube: Kube, field_manager: str) -> None:
        self._kube = kube
        self._field_manager = field_manager

    async def apply(self, target: RolloutTarget, held: Held) -> Applied:
        project = render_project(
            target.project,
            user_id=target.owner.id,
            username=target.owner.username,
            display_name=target.owner.name,
            policy=target.policy,
        )
        # The namespace and its guardrails first: the operator's pods are admitted under them.
        await self.apply_project(ProjectTarget(target.project, target.owner, target.policy), held)
        resource = render_rollout_resource(
            target.manifest, project_id=target.project, deployment_id=target.deployment, rollout_id=target.rollout
        )
        ref = object_ref(resource)
        try:
            held.check()
            existing = await self._kube.get(object_path(resource))
            changed = [ref]
            if existing is None:
                await self._kube.create(resource_path(ROLLOUT, target.project), resource)
            elif _matches(existing, resource):
                # Already what records holds: no write, so the operator is not woken up for nothing (a resync
                # reconciles every deployment periodically).
                changed = []
            else:
                resource["metadata"]["resourceVersion"] = existing["metadata"]["resourceVersion"]
                await self._kube.replace(object_path(resource), resource)
        except KubeError as exc:
            if exc.transient:
                raise
            raise Rejected(ref, exc) from None
        return Applied(objects=[*(object_ref(obj) for obj in project), object_ref(resource)], changed=changed)

    async def apply_project(self, target: ProjectTarget, held: Held) -> list[str]:
        return await apply_project(self._kube, self._field_manager, target, held)

    async def remove(self, project: str, deployment: str, *, keep_claims: bool, held: Held) -> list[str]:
        # The operator owns the native objects (claims included) and removes them with the Rollout.
        held.check()
        if await self._kube.delete(resource_path(ROLLOUT, project, deployment)):
            return [f"{ROLLOUT.kind}/{deployment}"]
        return []

    async def status(self, project: str, deployment: str) -> JsonObject:
        resource = await self._kube.get(resource_path(ROLLOUT, project, deployment))
        status = (resource or {}).get("status")
        if isinstance(status, dict) and status:
            return status
        # No Rollout, or the operator has not reported yet: what native mode says before a Deployment exists.
        return rollout_status(None, []).to_json()

    async def present(self) -> set[tuple[str, str]]:
        # The Rollout is named after its deployment; anything else carrying the labels is not one of ours.
        labels = f"{naming.PROJECT_ID_LABEL},{naming.DEPLOYMENT_ID_LABEL}"
        found: set[tuple[str, str]] = set()
        for item in await self._kube.list(resource_path(ROLLOUT), labels=labels):
            pair = labelled_pair(item)
            if pair is not None and item["metadata"].get("name") == pair[1]:
                found.add(pair)
        return found

    def pod_selector(self, project: str, deployment: str) -> str:
        # The operator's Deployment selects its pods by exactly these two labels.
        return selector({naming.PROJECT_ID_LABEL: project, naming.DEPLOYMENT_ID_LABEL: deployment})


def _matches(existing: JsonObject, resource: JsonObject) -> bool:
    """Whether the live Rollout already has the rendered spec, labels and annotations."""
    if existing.get("spec") != resource.get("spec"):
        return False
    live, wanted = existing.get("metadata") or {}, resource["metadata"]
    return all(
        (live.get(key) or {}).get(name) == value
        for key in ("labels", "annotations")
        for name, value in (wanted.get(key) or {}).items()
    )
