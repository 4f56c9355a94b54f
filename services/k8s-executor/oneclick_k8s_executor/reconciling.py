"""Level-triggered reconciliation: any rollout, deployment or project event makes the cluster match what
records holds *now* for that deployment, whatever the event said.

Redelivered, duplicated or reordered events are therefore harmless, and an executor that died mid-way
converges on restart by handling the events it had not acknowledged. Only one replica at a time works on
a project (:mod:`oneclick_k8s_executor.locking`), which makes "in order" hold across replicas.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Literal

from nats.js import JetStreamContext
from pydantic import ValidationError

from oneclick_core.bus.consuming import ConsumerOptions, Delivery, PoisonMessage
from oneclick_core.bus.publishing import MSG_ID_HEADER, envelope_headers
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.envelope import Envelope, EventSpec
from oneclick_core.contracts.executor import (
    ROLLOUT_APPLIED,
    ROLLOUT_FAILED,
    SERVICE,
    RolloutApplied,
    RolloutFailed,
)
from oneclick_core.contracts.records import (
    DEPLOYMENT_STATE,
    INDEX,
    PROJECT_POLICY,
    DeploymentState,
    DeploymentStateRequest,
    IndexRequest,
    Owner,
    ProjectPolicyRequest,
    RecordChange,
    RunningRollout,
    record_event,
)
from oneclick_core.ids import is_record_id
from oneclick_core.kinds import NAMESPACE
from oneclick_core.observability.logs import get_logger
from oneclick_core.observability.tracing import current_traceparent
from oneclick_k8s_executor.applying import ApplyMode, ProjectTarget, Rejected, RolloutTarget
from oneclick_k8s_executor.locking import Held, ProjectLocks
from oneclick_k8s_executor.settings import ExecutorSettings
from oneclick_kube.client import Kube
from oneclick_kube.paths import resource_path
from oneclick_manifest.guardrails import policy_errors
from oneclick_manifest.model import RolloutManifest
from oneclick_manifest.rendering import render

log = get_logger(__name__)

# What can change what the cluster should hold. deployment.created has no rollout yet and a deployment's
# or project's other updates (name, avatar) change nothing in the cluster; a project's limits do.
RECONCILING_EVENTS: tuple[EventSpec[RecordChange], ...] = (
    record_event("rollouts", "create"),
    record_event("rollouts", "update"),
    record_event("rollouts", "delete"),
    record_event("deployments", "delete"),
    record_event("projects", "update"),
    record_event("projects", "delete"),
)
PROJECT_DELETED = record_event("projects", "delete")
PROJECT_UPDATED = record_event("projects", "update")
ROLLOUT_UPDATED = record_event("rollouts", "update")
# Fields of a rollout whose change alone means nothing to the cluster.
COSMETIC_FIELDS = frozenset({"hide"})
REDACTED = "[redacted]"


@dataclass(frozen=True)
class Reconciled:
    """What a reconciliation did: applied the running rollout, removed objects, or failed (rollout.failed).
    ``changed`` names (``Kind/name``) the objects it created, changed or deleted — empty if the cluster already
    matched; ``gone`` is set when records no longer has the deployment (or its project)."""

    outcome: Literal["applied", "removed", "failed"]
    changed: list[str]
    gone: bool = False


def consumer_options(settings: ExecutorSettings) -> ConsumerOptions:
    return ConsumerOptions(
        durable=SERVICE,
        subjects=tuple(spec.subject for spec in RECONCILING_EVENTS),
        ack_wait=settings.executor_ack_wait,
        max_deliver=settings.executor_max_deliver,
        backoff=settings.executor_retry_backoff,
    )


class Reconciler:
    def __init__(
        self, kube: Kube, mode: ApplyMode, records: RpcClient, locks: ProjectLocks, js: JetStreamContext
    ) -> None:
        self._kube = kube
        self._mode = mode
        self._records = records
        self._locks = locks
        self._js = js
        self._specs = {spec.type: spec for spec in RECONCILING_EVENTS}

    async def on_event(self, envelope: Envelope, _: Delivery) -> None:
        spec = self._specs.get(envelope.type)
        if spec is None:
            return
        try:
            change = spec.parse(envelope)
        except ValidationError as exc:
            raise PoisonMessage(f"not a record change: {exc.error_count()} error(s)") from None
        if spec is ROLLOUT_UPDATED and set(change.changed) <= COSMETIC_FIELDS:
            log.debug("reconcile.skipped", rollout=change.record.get("id"), changed=change.changed)
            return
        if change.project is None or not is_record_id(change.project):
            raise PoisonMessage(f"{envelope.type} names no project")
        if spec is PROJECT_DELETED:
            await self.delete_project(change.project)
            return
        if spec is PROJECT_UPDATED:
            if "limits" in change.changed:
                await self.reconcile_project(change.project)
            return
        if change.deployment is None:
            raise PoisonMessage(f"{envelope.type} names no deployment")
        await self.reconcile(change.project, change.deployment)

    async def delete_project(self, project: str) -> None:
        async with self._locks.hold(project) as held:
            held.check()
            # Everything of the project lives in its namespace; deleting it removes all (claims included).
            deleted = await self._kube.delete(resource_path(NAMESPACE, None, project))
            log.info("project.namespace_deleted", project=project, existed=deleted)

    async def reconcile_project(self, project: str) -> None:
        """A superuser changed the project's limits: its namespace's guardrails follow, and each of its deployments
        is checked and applied again under the new policy."""
        try:
            await self.guard_project(project)
        except Rejected as rejected:
            # The cluster refuses a guardrail for good (e.g. a quota it can't parse): retrying won't help, and the
            # deployments' own applies say so in their rollout.failed.
            log.warning(
                "project.guardrails_rejected", project=project, object=rejected.ref, error=rejected.error.message
            )
        after = ""
        while True:
            page = await self._records.call(INDEX, IndexRequest(collection="deployments", project=project, after=after))
            for item in page.items:
                await self.reconcile(project, item.id)
            if page.next is None:
                return
            after = page.next

    async def guard_project(self, project: str) -> list[str]:
        """Bring an existing project namespace's labels and guardrails to what its policy says; ``Kind/name`` of
        what changed. A namespace that does not exist yet is made with its first deployment."""
        async with self._locks.hold(project) as held:
            state = await self._records.call(PROJECT_POLICY, ProjectPolicyRequest(project=project))
            if not state.exists or state.policy is None or state.owner is None:
                return []
            if await self._kube.get(resource_path(NAMESPACE, None, project)) is None:
                return []
            changed = await self._mode.apply_project(ProjectTarget(project, state.owner, state.policy), held)
            if changed:
                log.info("project.guardrails_applied", project=project, changed=changed)
            return changed

    async def reconcile(self, project: str, deployment: str, *, quiet: bool = False) -> Reconciled:
        """Make the cluster hold what records has for the deployment now. ``quiet`` (the resync) publishes
        ``rollout.applied`` only when the apply changed something: an unchanged deployment is no news."""
        async with self._locks.hold(project) as held:
            # Read under the lock: the newest state wins, whichever replica had which event.
            state = await self._records.call(DEPLOYMENT_STATE, DeploymentStateRequest(deployment=deployment))
            return await self._converge(project, state, held, quiet=quiet)

    async def _converge(self, project: str, state: DeploymentState, held: Held, *, quiet: bool) -> Reconciled:
        namespace = state.project or project
        deployment = state.deployment
        if not state.exists or not state.projectExists:
            removed = await self._mode.remove(namespace, deployment, keep_claims=False, held=held)
            log.info("reconcile.deployment_gone", project=namespace, deployment=deployment, removed=removed)
            return Reconciled("removed", removed, gone=True)
        running = state.running
        if running is None:
            removed = await self._mode.remove(namespace, deployment, keep_claims=True, held=held)
            log.info("reconcile.no_running_rollout", project=namespace, deployment=deployment, removed=removed)
            return Reconciled("removed", removed)
        try:
            manifest = RolloutManifest.model_validate(running.manifest)
        except ValidationError as exc:
            return await self._failed(
                namespace,
                deployment,
                running,
                ref=f"Rollout/{running.id}",
                code=400,
                reason="InvalidManifest",
                message=f"The stored manifest is invalid ({exc.error_count()} error(s)).",
            )
        if state.policy is None:
            # Only a records replica older than the tenancy policy answers without one: never apply unchecked.
            raise RuntimeError("records sent no tenancy policy for the project; retrying")
        problems = policy_errors(
            manifest, state.policy, project_id=namespace, deployment_id=deployment, rollout_id=running.id
        )
        if problems:
            # Stored before the project's policy changed: refused before anything is applied, never half-applied.
            log.warning(
                "reconcile.policy_refused",
                project=namespace,
                deployment=deployment,
                rollout=running.id,
                fields=sorted(problems),
            )
            return await self._failed(
                namespace,
                deployment,
                running,
                ref=f"Rollout/{running.id}",
                code=403,
                reason="PolicyViolation",
                message=policy_message(problems),
            )
        target = RolloutTarget(
            project=namespace,
            deployment=deployment,
            rollout=running.id,
            owner=state.owner or Owner(id=""),
            manifest=manifest,
            policy=state.policy,
        )
        try:
            applied = await self._mode.apply(target, held)
        except Rejected as rejected:
            error = rejected.error
            log.warning(
                "reconcile.rejected",
                project=namespace,
                deployment=deployment,
                rollout=running.id,
                object=rejected.ref,
                status=error.status,
                reason=error.reason,
            )
            return await self._failed(
                namespace,
                deployment,
                running,
                ref=rejected.ref,
                code=error.status,
                reason=error.reason,
                message=blank_secrets(error.message, target),
            )
        changed = [*applied.changed, *applied.pruned]
        log.info(
            "reconcile.applied",
            project=namespace,
            deployment=deployment,
            rollout=running.id,
            objects=len(applied.objects),
            changed=applied.changed,
            pruned=applied.pruned,
        )
        if changed or not quiet:
            await self._publish(
                ROLLOUT_APPLIED,
                RolloutApplied(
                    project=namespace,
                    deployment=deployment,
                    rollout=running.id,
                    startDate=running.startDate,
                    mode=self._mode.mode,
                    objects=applied.objects,
                    pruned=applied.pruned,
                ),
                "applied",
            )
        return Reconciled("applied", changed)

    async def _failed(
        self,
        project: str,
        deployment: str,
        running: RunningRollout,
        *,
        ref: str,
        code: int,
        reason: str,
        message: str,
    ) -> Reconciled:
        """Publish ``rollout.failed`` for the running rollout; nothing was applied."""
        await self._publish(
            ROLLOUT_FAILED,
            RolloutFailed(
                project=project,
                deployment=deployment,
                rollout=running.id,
                startDate=running.startDate,
                mode=self._mode.mode,
                object=ref,
                code=code,
                reason=reason,
                message=message,
            ),
            "failed",
        )
        return Reconciled("failed", [])

    async def _publish(
        self,
        spec: EventSpec[RolloutApplied] | EventSpec[RolloutFailed],
        data: RolloutApplied | RolloutFailed,
        outcome: str,
    ) -> None:
        envelope = spec.envelope(
            source=SERVICE,
            data=data,  # type: ignore[arg-type]
            subject=data.rollout,
            traceparent=current_traceparent.get(),
        )
        # The same rollout start reconciled again (redelivery, a burst of events) is one outcome, not many.
        headers = {**envelope_headers(envelope), MSG_ID_HEADER: f"{data.rollout}:{data.startDate}:{outcome}"}
        await self._js.publish(spec.subject, envelope.model_dump_json().encode(), headers=headers, timeout=5.0)


def policy_message(problems: dict[str, dict[str, str]]) -> str:
    """The tenancy policy's refusal as one line: each manifest field and why (field names and rules only)."""
    listed = "; ".join(f"manifest.{field}: {problem['message']}" for field, problem in sorted(problems.items()))
    return f"Refused by the project's tenancy policy: {listed}"


def blank_secrets(message: str, target: RolloutTarget) -> str:
    """The API's message without any secret value of the manifest, plain or base64 (as in a Secret's data)."""
    spec = target.manifest.spec
    texts = {secret.value for secret in spec.secrets}
    texts |= {image.password for image in (spec.image, *(cronjob.image for cronjob in spec.cronjobs))}
    for obj in render(
        target.manifest,
        project_id=target.project,
        deployment_id=target.deployment,
        rollout_id=target.rollout,
        user_id=target.owner.id,
        username=target.owner.username,
        display_name=target.owner.name,
        policy=target.policy,
    ):
        if obj["kind"] == "Secret":
            for encoded in obj.get("data", {}).values():
                texts.add(encoded)
                try:
                    texts.add(base64.b64decode(encoded).decode(errors="ignore"))
                except (binascii.Error, ValueError):
                    pass
    texts |= {base64.b64encode(text.encode()).decode() for text in list(texts) if text}
    for text in sorted((text for text in texts if text), key=len, reverse=True):
        message = message.replace(text, REDACTED)
    return message
