"""StatefulSets (ordinal pods, claims from volumeClaimTemplates, ordered start and rolling update) and
DaemonSets (one pod on the node)."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import bootstrap
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller, controller_of, object_key, owner_ref, split_key
from kubesim.controllers.deployments import active, pod_ready
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.names import template_hash
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
STS_CONTROLLER = "statefulset-controller"
DS_CONTROLLER = "daemonset-controller"
REVISION_LABEL = "controller-revision-hash"


def _owned_pods(store: Any, owner: JSON) -> list[JSON]:
    uid = owner["metadata"]["uid"]
    return [p for r, p in store.dependents(uid) if r == "/pods" and (controller_of(p) or {}).get("uid") == uid]


class StatefulSetController(Controller):
    name = "statefulset"
    watches = ("apps/statefulsets", "/pods")
    resync_on_start = ("apps/statefulsets",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/statefulsets":
            return [object_key(change.obj)]
        ref = controller_of(change.obj)
        if ref and ref.get("kind") == "StatefulSet":
            return [f"{change.obj['metadata'].get('namespace')}/{ref['name']}"]
        return []

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        sts = self.store.get("apps/statefulsets", namespace, name)
        if sts is None or sts["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        spec = sts.get("spec") or {}
        replicas = int(spec.get("replicas", 1))
        revision = f"{name}-{template_hash(spec.get('template') or {})[:10]}"
        parallel = spec.get("podManagementPolicy") == "Parallel"
        pods = {p["metadata"]["name"]: p for p in _owned_pods(self.store, sts)}
        healthy_so_far = True
        refused = False
        for ordinal in range(replicas):
            pod_name = f"{name}-{ordinal}"
            pod = pods.get(pod_name)
            if pod is None:
                if (healthy_so_far or parallel) and not refused:
                    refused = not self._create(sts, ordinal, revision)
                healthy_so_far = False
                if not parallel:
                    break
                continue
            if not (active(pod) and pod_ready(pod)):
                healthy_so_far = False
        # Scale down from the highest ordinal, one at a time unless Parallel.
        extra = sorted((p for n, p in pods.items() if self._ordinal(n, name) >= replicas),
                       key=lambda p: -self._ordinal(p["metadata"]["name"], name))
        for pod in extra:
            if not pod["metadata"].get("deletionTimestamp"):
                self._delete(sts, pod)
            if not parallel:
                break
        # Rolling update: replace outdated pods from the highest ordinal, once every pod is ready.
        update = spec.get("updateStrategy") or {}
        if update.get("type", "RollingUpdate") == "RollingUpdate" and not extra:
            partition = int((update.get("rollingUpdate") or {}).get("partition") or 0)
            current = [pods[f"{name}-{i}"] for i in range(replicas) if f"{name}-{i}" in pods]
            all_ready = len(current) == replicas and all(active(p) and pod_ready(p) for p in current)
            outdated = [p for p in current if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision
                        and self._ordinal(p["metadata"]["name"], name) >= partition]
            if outdated and all_ready:
                self._delete(sts, max(outdated, key=lambda p: self._ordinal(p["metadata"]["name"], name)))
        self._status(sts, revision)
        if refused:
            # A pod or claim was refused (quota, Pod Security, ...): try again after a growing back-off.
            return self.backoff(key)
        self.forget(key)
        return None

    @staticmethod
    def _ordinal(pod_name: str, sts_name: str) -> int:
        try:
            return int(pod_name[len(sts_name) + 1:])
        except ValueError:
            return -1

    def _create(self, sts: JSON, ordinal: int, revision: str) -> bool:
        spec = sts["spec"]
        namespace = sts["metadata"]["namespace"]
        name = sts["metadata"]["name"]
        pod_name = f"{name}-{ordinal}"
        template = copy.deepcopy(spec.get("template") or {})
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_spec["hostname"] = pod_name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        volumes = pod_spec.setdefault("volumes", [])
        opts = WriteOptions(field_manager="kube-controller-manager")
        for claim in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{claim['metadata']['name']}-{pod_name}"
            if not any(v.get("name") == claim["metadata"]["name"] for v in volumes):
                volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}})
            if self.store.get("/persistentvolumeclaims", namespace, claim_name) is None:
                labels = dict(((spec.get("selector") or {}).get("matchLabels")) or {})
                pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                       "metadata": {"name": claim_name, "namespace": namespace, "labels": labels},
                       "spec": copy.deepcopy(claim.get("spec") or {})}
                try:
                    self.api.create(self.api.rt("", "persistentvolumeclaims"), namespace, pvc, opts)
                    self.cluster.events.record(sts, NORMAL, "SuccessfulCreate",
                                               f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name} "
                                               f"success", STS_CONTROLLER)
                except ApiError as exc:
                    self.cluster.events.record(sts, WARNING, "FailedCreate",
                                               f"create Claim {claim_name} for Pod {pod_name} in StatefulSet {name} "
                                               f"failed error: {exc.message}", STS_CONTROLLER)
                    return False
        if not volumes:
            del pod_spec["volumes"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update({REVISION_LABEL: revision, "statefulset.kubernetes.io/pod-name": pod_name,
                       "apps.kubernetes.io/pod-index": str(ordinal)})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": pod_name, "namespace": namespace, "labels": labels,
                            "ownerReferences": [owner_ref(sts)],
                            **({"annotations": dict(template["metadata"]["annotations"])}
                               if (template.get("metadata") or {}).get("annotations") else {})},
               "spec": pod_spec}
        try:
            self.api.create(self.api.rt("", "pods"), namespace, pod, opts)
        except ApiError as exc:
            self.cluster.events.record(sts, WARNING, "FailedCreate",
                                       f"create Pod {pod_name} in StatefulSet {name} failed error: {exc.message}",
                                       STS_CONTROLLER)
            return False
        self.cluster.events.record(sts, NORMAL, "SuccessfulCreate",
                                   f"create Pod {pod_name} in StatefulSet {name} successful", STS_CONTROLLER)
        return True

    def _delete(self, sts: JSON, pod: JSON) -> None:
        try:
            self.api.delete(self.api.rt("", "pods"), pod["metadata"]["namespace"], pod["metadata"]["name"],
                            DeleteOptions(), WriteOptions(field_manager="kube-controller-manager"))
        except ApiError:
            return
        self.cluster.events.record(sts, NORMAL, "SuccessfulDelete",
                                   f"delete Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} "
                                   f"successful", STS_CONTROLLER)

    def _status(self, sts: JSON, revision: str) -> None:
        pods = [p for p in _owned_pods(self.store, sts) if not p["metadata"].get("deletionTimestamp")]
        updated = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision]
        ready = [p for p in pods if pod_ready(p)]
        replicas = int(sts["spec"].get("replicas", 1))
        old_status = sts.get("status") or {}
        current_revision = old_status.get("currentRevision") or revision
        if len(updated) == replicas and all(pod_ready(p) for p in updated):
            current_revision = revision
        current = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == current_revision]
        status: JSON = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": len(pods),
                        "readyReplicas": len(ready), "currentReplicas": len(current),
                        "updatedReplicas": len(updated), "availableReplicas": len(ready),
                        "currentRevision": current_revision, "updateRevision": revision, "collisionCount": 0}
        status = {k: v for k, v in status.items() if v or k in ("replicas", "availableReplicas", "observedGeneration",
                                                                "collisionCount")}
        if old_status != status:
            new = copy.deepcopy(sts)
            new["status"] = status
            self.api.write(self.api.rt("apps", "statefulsets"), new, STS_CONTROLLER, "status")


class DaemonSetController(Controller):
    name = "daemonset"
    watches = ("apps/daemonsets", "/pods")
    resync_on_start = ("apps/daemonsets",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/daemonsets":
            return [object_key(change.obj)]
        ref = controller_of(change.obj)
        if ref and ref.get("kind") == "DaemonSet":
            return [f"{change.obj['metadata'].get('namespace')}/{ref['name']}"]
        return []

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        ds = self.store.get("apps/daemonsets", namespace, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        spec = ds.get("spec") or {}
        template = spec.get("template") or {}
        revision = template_hash(template)[:10]
        node = self.store.get("/nodes", "", bootstrap.NODE_NAME)
        selector = (template.get("spec") or {}).get("nodeSelector") or {}
        labels = (node or {}).get("metadata", {}).get("labels") or {}
        wanted = node is not None and all(labels.get(k) == v for k, v in selector.items())
        pods = [p for p in _owned_pods(self.store, ds) if not p["metadata"].get("deletionTimestamp")]
        opts = WriteOptions(field_manager="kube-controller-manager")
        outdated = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision]
        for pod in outdated if wanted else pods:
            try:
                self.api.delete(self.api.rt("", "pods"), namespace, pod["metadata"]["name"], DeleteOptions(), opts)
                self.cluster.events.record(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}",
                                           DS_CONTROLLER)
            except ApiError:
                pass
        current = [p for p in pods if p not in outdated]
        requeue: float | None = None
        if wanted and not current and not outdated:
            pod_labels = dict((template.get("metadata") or {}).get("labels") or {})
            pod_labels[REVISION_LABEL] = revision
            pod_spec = copy.deepcopy(template.get("spec") or {})
            pod_spec["nodeName"] = bootstrap.NODE_NAME
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"generateName": f"{name}-", "namespace": namespace, "labels": pod_labels,
                                "ownerReferences": [owner_ref(ds)]},
                   "spec": pod_spec}
            try:
                made = self.api.create(self.api.rt("", "pods"), namespace, pod, opts)
                self.cluster.events.record(ds, NORMAL, "SuccessfulCreate", f"Created pod: {made['metadata']['name']}",
                                           DS_CONTROLLER)
                self.forget(key)
            except ApiError as exc:
                self.cluster.events.record(ds, WARNING, "FailedCreate", f"Error creating: {exc.message}",
                                           DS_CONTROLLER)
                requeue = self.backoff(key)
        pods = [p for p in _owned_pods(self.store, ds) if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in pods if pod_ready(p))
        updated = sum(1 for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
        status = {"currentNumberScheduled": len(pods), "numberMisscheduled": 0,
                  "desiredNumberScheduled": 1 if wanted else 0, "numberReady": ready,
                  "observedGeneration": ds["metadata"].get("generation", 1), "updatedNumberScheduled": updated,
                  "numberAvailable": ready}
        if not wanted or ready < 1:
            status["numberUnavailable"] = (1 if wanted else 0) - ready if wanted else 0
            if not status["numberUnavailable"]:
                del status["numberUnavailable"]
        if (ds.get("status") or {}) != status:
            new = copy.deepcopy(ds)
            new["status"] = status
            self.api.write(self.api.rt("apps", "daemonsets"), new, DS_CONTROLLER, "status")
        return requeue
