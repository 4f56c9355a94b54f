"""Deployments and ReplicaSets: pod-template-hash ReplicaSets, rolling updates within maxSurge/maxUnavailable,
Recreate, revision annotations and history limits, status and conditions as ``kubectl rollout status`` reads
them; ReplicaSets keeping their pod count."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.objects import (
    active,
    conditions_by_type,
    controlled,
    controller_of,
    object_key,
    owner_keys,
    owner_ref,
    pod_ready,
    ready_since,
    split_key,
)
from kubesim.intstr import scaled_value
from kubesim.names import template_hash
from kubesim.resources import ResourceType
from kubesim.selectors import from_object
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
DEPLOYMENT_CONTROLLER = "deployment-controller"
REPLICASET_CONTROLLER = "replicaset-controller"
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
# The most pods a ReplicaSet creates or deletes in one sync (the controller's burstReplicas): a huge scale-up
# proceeds in steps, and other requests are served in between.
BURST_REPLICAS = 500
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
REPLICA_FAILURE = "ReplicaFailure"


def surge_and_unavailable(deployment: JSON) -> tuple[int, int]:
    spec = deployment.get("spec") or {}
    replicas = int(spec.get("replicas", 1))
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}
    surge = scaled_value(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), replicas, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, min(unavailable, replicas)


def _template_without_hash(template: JSON) -> JSON:
    out = copy.deepcopy(template or {})
    labels = (out.get("metadata") or {}).get("labels")
    if labels is not None:
        labels.pop(HASH_LABEL, None)
    return out


def _spec_replicas(rs: JSON) -> int:
    return int((rs.get("spec") or {}).get("replicas", 0))


def _available(rs: JSON) -> int:
    return int((rs.get("status") or {}).get("availableReplicas", 0))


def _revision(rs: JSON) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


class ReplicaSetController(Controller):
    name = "replicaset"
    component = REPLICASET_CONTROLLER
    watches = ("apps/replicasets", "/pods")
    resync_on_start = ("apps/replicasets",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/replicasets":
            return [object_key(change.obj)]
        return owner_keys(change, "ReplicaSet", old_too=True)

    def owned_pods(self, rs: JSON) -> list[JSON]:
        return controlled(self.store, rs, "/pods")

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        rs = self.store.get("apps/replicasets", namespace, name)
        if rs is None or rs["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        spec = rs.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        pods = self.owned_pods(rs)
        alive = [p for p in pods if active(p)]
        diff = len(alive) - desired
        requeue: float | None = None
        failure: str | None = None
        if diff < 0:
            requeue, failure = self._create(rs, key, -diff)
        elif diff > 0:
            self._delete(rs, alive, min(diff, BURST_REPLICAS))
            if diff > BURST_REPLICAS:
                requeue = 0.0
        pods = self.owned_pods(rs)
        alive = [p for p in pods if active(p)]
        requeue = self._status(rs, alive, requeue, failure)
        return requeue

    def _create(self, rs: JSON, key: str, missing: int) -> tuple[float | None, str | None]:
        """Create up to a burst of the missing pods; when one is refused (quota, Pod Security, ...), record why and
        try again after a growing back-off. Returns (when to look again, why a pod was refused)."""
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        meta = template.get("metadata") or {}
        pods_rt = self.api.rt("", "pods")
        namespace = rs["metadata"]["namespace"]
        for _ in range(min(missing, BURST_REPLICAS)):
            pod: JSON = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "generateName": f"{rs['metadata']['name']}-",
                    "namespace": namespace,
                    "labels": dict(meta.get("labels") or {}),
                    "annotations": dict(meta.get("annotations") or {}),
                    "ownerReferences": [owner_ref(rs)],
                },
                "spec": copy.deepcopy(template.get("spec") or {}),
            }
            if not pod["metadata"]["annotations"]:
                del pod["metadata"]["annotations"]
            try:
                created = self.api.create(
                    pods_rt, namespace, pod, WriteOptions(field_manager="kube-controller-manager")
                )
            except ApiError as exc:
                self.event(rs, WARNING, "FailedCreate", f"Error creating: {exc.message}")
                return self.backoff(key), exc.message
            self.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        self.forget(key)
        # More than a burst missing: the next sync creates more (after other work had its turn).
        return (0.0 if missing > BURST_REPLICAS else None), None

    def _delete(self, rs: JSON, alive: list[JSON], count: int) -> None:
        def rank(pod: JSON) -> tuple[int, int, int, float]:
            status = pod.get("status") or {}
            scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
            running = 1 if status.get("phase") == "Running" else 0
            ready = 1 if pod_ready(pod) else 0
            created = clock.parse_time(pod["metadata"].get("creationTimestamp")) or 0.0
            return (scheduled, running, ready, -created)

        pods_rt = self.api.rt("", "pods")
        for pod in sorted(alive, key=rank)[:count]:
            try:
                self.api.delete(
                    pods_rt,
                    pod["metadata"]["namespace"],
                    pod["metadata"]["name"],
                    DeleteOptions(),
                    WriteOptions(field_manager="kube-controller-manager"),
                )
            except ApiError:
                continue
            self.event(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")

    def _status(self, rs: JSON, alive: list[JSON], requeue: float | None, failure: str | None) -> float | None:
        spec = rs.get("spec") or {}
        min_ready = float(spec.get("minReadySeconds") or 0) * self.timings.spec_seconds_scale
        now = clock.now()
        labels = from_object(spec.get("selector"))
        ready = [p for p in alive if pod_ready(p)]
        available = 0
        for pod in ready:
            since = ready_since(pod)
            if min_ready <= 0 or (since is not None and now - since >= min_ready):
                available += 1
            elif since is not None:
                wait = min_ready - (now - since)
                requeue = wait if requeue is None else min(requeue, wait)
        status = {
            "replicas": len(alive),
            "fullyLabeledReplicas": sum(1 for p in alive if labels.matches(p["metadata"].get("labels"))),
            "readyReplicas": len(ready),
            "availableReplicas": available,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        # A refused create shows as ReplicaFailure (set once, kept while creates fail, gone after a clean sync).
        conditions = [c for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") != REPLICA_FAILURE]
        previous = next(
            (c for c in (rs.get("status") or {}).get("conditions") or [] if c.get("type") == REPLICA_FAILURE), None
        )
        if failure is not None:
            conditions.append(
                previous
                or {
                    "type": REPLICA_FAILURE,
                    "status": "True",
                    "lastTransitionTime": clock.rfc3339(now),
                    "reason": "FailedCreate",
                    "message": failure,
                }
            )
        if conditions:
            status["conditions"] = conditions
        self.write_status("apps/replicasets", rs, status)
        return requeue


class DeploymentController(Controller):
    name = "deployment"
    component = DEPLOYMENT_CONTROLLER
    watches = ("apps/deployments", "apps/replicasets")
    resync_on_start = ("apps/deployments",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/deployments":
            return [object_key(change.obj)]
        return owner_keys(change, "Deployment")

    @property
    def rs_rt(self) -> ResourceType:
        return self.api.rt("apps", "replicasets")

    def owned(self, deployment: JSON) -> list[JSON]:
        return controlled(self.store, deployment, "apps/replicasets")

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        deployment = self.store.get("apps/deployments", namespace, name)
        if deployment is None or deployment["metadata"].get("deletionTimestamp"):
            return None
        spec = deployment.get("spec") or {}
        all_rs = self.owned(deployment)
        template = _template_without_hash(spec.get("template") or {})
        new_rs = next(
            (rs for rs in all_rs if _template_without_hash((rs.get("spec") or {}).get("template") or {}) == template),
            None,
        )
        old_rs = [rs for rs in all_rs if rs is not new_rs]
        max_revision = max((_revision(rs) for rs in old_rs), default=0)
        created_new = False
        if spec.get("paused"):
            self._sync_status(deployment, new_rs, old_rs, created_new)
            return None
        if new_rs is None:
            new_rs = self._create_rs(deployment, old_rs, max_revision + 1)
            if new_rs is None:
                return 1.0
            created_new = True
        elif _revision(new_rs) <= max_revision:
            # Rolling back to an older template makes its ReplicaSet the newest revision again.
            new_rs = self._annotate(new_rs, deployment, max_revision + 1)
        self._annotate_deployment(deployment, _revision(new_rs))
        deployment = self.store.get("apps/deployments", namespace, name) or deployment
        waiting: float | None = None
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            if not self._recreate(deployment, new_rs, old_rs):
                # Old pods are still terminating; their removal does not touch any ReplicaSet, so look again.
                waiting = 0.05
        else:
            self._rolling(deployment, new_rs, old_rs)
        self._cleanup(deployment, new_rs)
        all_rs = self.owned(deployment)
        new_rs = next((rs for rs in all_rs if rs["metadata"]["uid"] == new_rs["metadata"]["uid"]), new_rs)
        old_rs = [rs for rs in all_rs if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        requeue = self._sync_status(deployment, new_rs, old_rs, created_new)
        if waiting is not None:
            requeue = waiting if requeue is None else min(requeue, waiting)
        return requeue

    # --- replica sets -------------------------------------------------------------------------------------

    def _create_rs(self, deployment: JSON, old_rs: list[JSON], revision: int) -> JSON | None:
        spec = deployment["spec"]
        template = copy.deepcopy(spec.get("template") or {})
        collision = int((deployment.get("status") or {}).get("collisionCount") or 0)
        pod_hash = template_hash(_template_without_hash(template), collision)
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        replicas = int(spec.get("replicas", 1))
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            initial = 0 if any(_spec_replicas(rs) for rs in old_rs) else replicas
        else:
            surge, _ = surge_and_unavailable(deployment)
            current = sum(_spec_replicas(rs) for rs in old_rs)
            initial = max(0, min(replicas, replicas + surge - current))
        namespace = deployment["metadata"]["namespace"]
        name = f"{deployment['metadata']['name']}-{pod_hash}"
        surge, _ = surge_and_unavailable(deployment)
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {DESIRED: str(replicas), MAX_REPLICAS: str(replicas + surge), REVISION: str(revision)},
                "ownerReferences": [owner_ref(deployment)],
            },
            "spec": {
                "replicas": initial,
                "selector": selector,
                "template": template,
                **({"minReadySeconds": spec["minReadySeconds"]} if spec.get("minReadySeconds") else {}),
            },
        }
        try:
            created = self.api.create(self.rs_rt, namespace, rs, WriteOptions(field_manager="kube-controller-manager"))
        except ApiError as exc:
            if exc.code == 409:
                existing = self.store.get("apps/replicasets", namespace, name)
                if existing is not None and (controller_of(existing) or {}).get("uid") == deployment["metadata"]["uid"]:
                    return existing
                self.write_status(
                    "apps/deployments",
                    deployment,
                    {**(deployment.get("status") or {}), "collisionCount": collision + 1},
                )
            return None
        if initial > 0:
            self._scaled_event(deployment, created, 0, initial)
        return created

    def _annotate(self, rs: JSON, deployment: JSON, revision: int) -> JSON:
        updated = copy.deepcopy(rs)
        updated["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        return self.api.write(self.rs_rt, updated, DEPLOYMENT_CONTROLLER)

    def _annotate_deployment(self, deployment: JSON, revision: int) -> None:
        annotations = deployment["metadata"].get("annotations") or {}
        if annotations.get(REVISION) == str(revision):
            return
        updated = copy.deepcopy(deployment)
        updated["metadata"].setdefault("annotations", {})[REVISION] = str(revision)
        self.api.write(self.api.rt("apps", "deployments"), updated, DEPLOYMENT_CONTROLLER)

    def _scaled_event(self, deployment: JSON, rs: JSON, before: int, after: int) -> None:
        direction = "up" if after > before else "down"
        self.event(
            deployment,
            NORMAL,
            "ScalingReplicaSet",
            f"Scaled {direction} replica set {rs['metadata']['name']} from {before} to {after}",
        )

    def _scale(self, deployment: JSON, rs: JSON, replicas: int) -> JSON:
        current = _spec_replicas(rs)
        desired = int(deployment["spec"].get("replicas", 1))
        surge, _ = surge_and_unavailable(deployment)
        annotations = rs["metadata"].get("annotations") or {}
        wanted_annotations = {DESIRED: str(desired), MAX_REPLICAS: str(desired + surge)}
        if current == replicas and all(annotations.get(k) == v for k, v in wanted_annotations.items()):
            return rs
        updated = copy.deepcopy(rs)
        updated["spec"]["replicas"] = replicas
        updated["metadata"].setdefault("annotations", {}).update(wanted_annotations)
        stored = self.api.write(self.rs_rt, updated, DEPLOYMENT_CONTROLLER)
        if current != replicas:
            self._scaled_event(deployment, rs, current, replicas)
        return stored

    def _recreate(self, deployment: JSON, new_rs: JSON, old_rs: list[JSON]) -> bool:
        """Scale old ReplicaSets to zero; scale the new one up once no old pod is left (True then)."""
        for rs in old_rs:
            if _spec_replicas(rs) > 0:
                self._scale(deployment, rs, 0)
        still_running = any(
            active(p) or p["metadata"].get("deletionTimestamp")
            for rs in old_rs
            for resource, p in self.store.dependents(rs["metadata"]["uid"])
            if resource == "/pods"
        )
        if still_running:
            return False
        self._scale(deployment, new_rs, int(deployment["spec"].get("replicas", 1)))
        return True

    def _rolling(self, deployment: JSON, new_rs: JSON, old_rs: list[JSON]) -> None:
        """One step of a rolling update: the new ReplicaSet up as far as maxSurge allows, then old ones down as far
        as maxUnavailable allows."""
        replicas = int(deployment["spec"].get("replicas", 1))
        surge, max_unavailable = surge_and_unavailable(deployment)
        total = _spec_replicas(new_rs) + sum(_spec_replicas(rs) for rs in old_rs)
        new_count = _spec_replicas(new_rs)
        if new_count < replicas:
            allowed = replicas + surge - total
            if allowed > 0:
                new_rs = self._scale(deployment, new_rs, min(replicas, new_count + allowed))
        else:
            new_rs = self._scale(deployment, new_rs, min(new_count, replicas))
        if any(_spec_replicas(rs) > 0 for rs in old_rs):
            self._scale_old_down(deployment, new_rs, old_rs, replicas - max_unavailable)

    def _scale_old_down(self, deployment: JSON, new_rs: JSON, old_rs: list[JSON], min_available: int) -> None:
        """Scale old ReplicaSets down without going below ``min_available`` available pods: unhealthy old replicas
        first (removing them costs no availability), then the oldest ReplicaSets' available ones."""
        total = _spec_replicas(new_rs) + sum(_spec_replicas(rs) for rs in old_rs)
        budget = total - min_available - (_spec_replicas(new_rs) - _available(new_rs))
        if budget <= 0:
            return
        by_age = sorted(
            (rs for rs in old_rs if _spec_replicas(rs) > 0),
            key=lambda r: clock.parse_time(r["metadata"].get("creationTimestamp")) or 0,
        )
        for rs in by_age:
            unhealthy = _spec_replicas(rs) - _available(rs)
            if unhealthy <= 0 or budget <= 0:
                continue
            cut = min(unhealthy, budget)
            self._scale(deployment, rs, _spec_replicas(rs) - cut)
            budget -= cut
        old_rs = [
            self.store.get("apps/replicasets", rs["metadata"]["namespace"], rs["metadata"]["name"]) or rs
            for rs in old_rs
        ]
        can_remove = _available(new_rs) + sum(_available(rs) for rs in old_rs) - min_available
        for rs in sorted(old_rs, key=lambda r: clock.parse_time(r["metadata"].get("creationTimestamp")) or 0):
            if can_remove <= 0:
                break
            count = _spec_replicas(rs)
            if count <= 0:
                continue
            cut = min(count, can_remove)
            self._scale(deployment, rs, count - cut)
            can_remove -= cut

    def _cleanup(self, deployment: JSON, new_rs: JSON) -> None:
        limit = int(deployment["spec"].get("revisionHistoryLimit", 10))
        candidates = [
            rs
            for rs in self.owned(deployment)
            if rs["metadata"]["uid"] != new_rs["metadata"]["uid"]
            and _spec_replicas(rs) == 0
            and int((rs.get("status") or {}).get("replicas", 0)) == 0
            and not rs["metadata"].get("deletionTimestamp")
        ]
        excess = len(candidates) - limit
        if excess <= 0:
            return
        for rs in sorted(candidates, key=_revision)[:excess]:
            try:
                self.api.delete(
                    self.rs_rt,
                    rs["metadata"]["namespace"],
                    rs["metadata"]["name"],
                    DeleteOptions(),
                    WriteOptions(field_manager=DEPLOYMENT_CONTROLLER),
                )
            except ApiError:
                pass

    # --- status -------------------------------------------------------------------------------------------

    def _sync_status(
        self, deployment: JSON, new_rs: JSON | None, old_rs: list[JSON], created_new: bool
    ) -> float | None:
        """Counts and conditions as ``kubectl rollout status`` reads them; seconds until the progress deadline
        needs checking, or None."""
        spec = deployment["spec"]
        replicas = int(spec.get("replicas", 1))
        counts = _Counts.of(new_rs, old_rs)
        conditions = _Conditions(deployment)
        _, max_unavailable = surge_and_unavailable(deployment)
        if counts.available >= replicas - max_unavailable:
            available = conditions(
                "Available", True, "MinimumReplicasAvailable", "Deployment has minimum availability."
            )
        else:
            available = conditions(
                "Available", False, "MinimumReplicasUnavailable", "Deployment does not have minimum availability."
            )
        progressing, requeue = self._progressing(deployment, new_rs, counts, created_new, conditions)
        status: JSON = {
            "observedGeneration": deployment["metadata"].get("generation", 1),
            "replicas": counts.total,
            "updatedReplicas": counts.updated,
            "readyReplicas": counts.ready,
            "availableReplicas": counts.available,
        }
        unavailable = max(0, replicas - counts.available)
        if unavailable:
            status["unavailableReplicas"] = unavailable
        status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
        status["conditions"] = [available, progressing, *_replica_failure(([new_rs] if new_rs else []) + old_rs)]
        old_status = deployment.get("status") or {}
        if old_status.get("collisionCount"):
            status["collisionCount"] = old_status["collisionCount"]
        self.write_status("apps/deployments", deployment, status)
        return requeue

    def _progressing(
        self, deployment: JSON, new_rs: JSON | None, counts: _Counts, created_new: bool, conditions: _Conditions
    ) -> tuple[JSON, float | None]:
        """The Progressing condition, and when to look again for the progress deadline."""
        spec = deployment["spec"]
        replicas = int(spec.get("replicas", 1))
        rs_name = new_rs["metadata"]["name"] if new_rs else ""
        if spec.get("paused"):
            return conditions("Progressing", True, "DeploymentPaused", "Deployment is paused") | {
                "status": "Unknown"
            }, None
        if (
            new_rs is not None
            and counts.updated == replicas
            and counts.available >= replicas
            and counts.total == replicas
            and counts.new_available >= replicas
        ):
            return conditions(
                "Progressing", True, "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.'
            ), None
        if created_new:
            return conditions(
                "Progressing", True, "NewReplicaSetCreated", f'Created new replica set "{rs_name}"', progress=True
            ), None
        before = conditions.previous.get("Progressing")
        deadline = spec.get("progressDeadlineSeconds")
        scaled_deadline = float(deadline) * self.timings.spec_seconds_scale if deadline is not None else None
        if counts.progressed(deployment) or before is None or before.get("reason") == "NewReplicaSetAvailable":
            return conditions(
                "Progressing", True, "ReplicaSetUpdated", f'ReplicaSet "{rs_name}" is progressing.', progress=True
            ), (scaled_deadline + 0.01 if scaled_deadline is not None else None)
        now = clock.now()
        last_update = clock.parse_time(before.get("lastUpdateTime")) or now
        timed_out = before.get("reason") == "ProgressDeadlineExceeded"
        if timed_out or (scaled_deadline is not None and now - last_update > scaled_deadline):
            if not timed_out:
                self.event(
                    deployment,
                    WARNING,
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{rs_name}" has timed out progressing.',
                )
            return conditions(
                "Progressing", False, "ProgressDeadlineExceeded", f'ReplicaSet "{rs_name}" has timed out progressing.'
            ), None
        requeue = max(0.01, scaled_deadline - (now - last_update) + 0.01) if scaled_deadline is not None else None
        return dict(before), requeue


@dataclass(frozen=True)
class _Counts:
    """A Deployment's pod counts, summed over its ReplicaSets' statuses."""

    total: int
    updated: int
    ready: int
    available: int
    new_available: int

    @staticmethod
    def of(new_rs: JSON | None, old_rs: list[JSON]) -> _Counts:
        all_rs = ([new_rs] if new_rs else []) + old_rs

        def stat(rs: JSON, key: str) -> int:
            return int((rs.get("status") or {}).get(key, 0))

        return _Counts(
            total=sum(stat(rs, "replicas") for rs in all_rs),
            updated=stat(new_rs, "replicas") if new_rs else 0,
            ready=sum(stat(rs, "readyReplicas") for rs in all_rs),
            available=sum(stat(rs, "availableReplicas") for rs in all_rs),
            new_available=stat(new_rs, "availableReplicas") if new_rs else 0,
        )

    def progressed(self, deployment: JSON) -> bool:
        """Whether the counts moved since the Deployment's status was written."""
        old = deployment.get("status") or {}
        return (
            old.get("updatedReplicas"),
            old.get("readyReplicas"),
            old.get("availableReplicas"),
            old.get("replicas"),
        ) != (self.updated, self.ready, self.available, self.total)


class _Conditions:
    """Deployment conditions as the controller writes them: ``lastTransitionTime`` moves when the status changes,
    ``lastUpdateTime`` also when the reason changes or (``progress``) whenever the rollout made progress."""

    def __init__(self, deployment: JSON) -> None:
        self.previous = conditions_by_type(deployment)
        self.stamp = clock.rfc3339(clock.now())

    def __call__(self, kind: str, ok: bool, reason: str, message: str, progress: bool = False) -> JSON:
        before = self.previous.get(kind)
        value = "True" if ok else "False"
        changed = before is None or before.get("status") != value
        same_reason = before is not None and before.get("reason") == reason and not changed
        return {
            "type": kind,
            "status": value,
            "lastUpdateTime": before.get("lastUpdateTime", self.stamp)
            if same_reason and before and not progress
            else self.stamp,
            "lastTransitionTime": self.stamp if changed or before is None else before.get("lastTransitionTime"),
            "reason": reason,
            "message": message,
        }


def _replica_failure(all_rs: list[JSON]) -> list[JSON]:
    """A ReplicaSet's ReplicaFailure (the new one's first) becomes the Deployment's."""
    failures = [
        c
        for rs in all_rs
        for c in (rs.get("status") or {}).get("conditions") or []
        if c.get("type") == REPLICA_FAILURE and c.get("status") == "True"
    ]
    if not failures:
        return []
    failed = failures[0]
    return [
        {
            "type": REPLICA_FAILURE,
            "status": "True",
            "lastUpdateTime": failed.get("lastTransitionTime"),
            "lastTransitionTime": failed.get("lastTransitionTime"),
            "reason": failed.get("reason"),
            "message": failed.get("message"),
        }
    ]
