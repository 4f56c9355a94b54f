"""StatefulSets (ordinal pods, claims from volumeClaimTemplates, ordered start and rolling update) and
DaemonSets (one pod on the node)."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import bootstrap
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.objects import active, controlled, object_key, owner_keys, owner_ref, pod_ready, split_key
from kubesim.names import template_hash
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
STS_CONTROLLER = "statefulset-controller"
DS_CONTROLLER = "daemonset-controller"
REVISION_LABEL = "controller-revision-hash"


def _as_manager() -> WriteOptions:
    """Pods and claims are created and deleted as the controller manager (options of their own: admission adds
    its warnings to them)."""
    return WriteOptions(field_manager="kube-controller-manager")


class StatefulSetController(Controller):
    name = "statefulset"
    component = STS_CONTROLLER
    watches = ("apps/statefulsets", "/pods")
    resync_on_start = ("apps/statefulsets",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/statefulsets":
            return [object_key(change.obj)]
        return owner_keys(change, "StatefulSet")

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
        pods = {p["metadata"]["name"]: p for p in controlled(self.store, sts, "/pods")}
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
        extra = sorted(
            (p for n, p in pods.items() if self._ordinal(n, name) >= replicas),
            key=lambda p: -self._ordinal(p["metadata"]["name"], name),
        )
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
            outdated = [
                p
                for p in current
                if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision
                and self._ordinal(p["metadata"]["name"], name) >= partition
            ]
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
            return int(pod_name[len(sts_name) + 1 :])
        except ValueError:
            return -1

    def _create(self, sts: JSON, ordinal: int, revision: str) -> bool:
        """Create the pod of ``ordinal`` and the claims of its volume claim templates; False when one was
        refused (an event says why)."""
        spec = sts["spec"]
        namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        pod_name = f"{name}-{ordinal}"
        template = copy.deepcopy(spec.get("template") or {})
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_spec["hostname"] = pod_name
        if spec.get("serviceName"):
            pod_spec["subdomain"] = spec["serviceName"]
        volumes = pod_spec.setdefault("volumes", [])
        for claim in spec.get("volumeClaimTemplates") or []:
            claim_name = f"{claim['metadata']['name']}-{pod_name}"
            if not any(v.get("name") == claim["metadata"]["name"] for v in volumes):
                volumes.append({"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim_name}})
            if not self._claim(sts, claim, claim_name, pod_name):
                return False
        if not volumes:
            del pod_spec["volumes"]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        labels.update(
            {
                REVISION_LABEL: revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
            }
        )
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod_name,
                "namespace": namespace,
                "labels": labels,
                "ownerReferences": [owner_ref(sts)],
                **(
                    {"annotations": dict(template["metadata"]["annotations"])}
                    if (template.get("metadata") or {}).get("annotations")
                    else {}
                ),
            },
            "spec": pod_spec,
        }
        try:
            self.api.create(self.api.rt("", "pods"), namespace, pod, _as_manager())
        except ApiError as exc:
            self.event(
                sts, WARNING, "FailedCreate", f"create Pod {pod_name} in StatefulSet {name} failed error: {exc.message}"
            )
            return False
        self.event(sts, NORMAL, "SuccessfulCreate", f"create Pod {pod_name} in StatefulSet {name} successful")
        return True

    def _claim(self, sts: JSON, claim: JSON, claim_name: str, pod_name: str) -> bool:
        """Create a pod's claim from its template unless it exists; False when that was refused."""
        namespace, name = sts["metadata"]["namespace"], sts["metadata"]["name"]
        if self.store.get("/persistentvolumeclaims", namespace, claim_name) is not None:
            return True
        labels = dict(((sts["spec"].get("selector") or {}).get("matchLabels")) or {})
        pvc = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim_name, "namespace": namespace, "labels": labels},
            "spec": copy.deepcopy(claim.get("spec") or {}),
        }
        try:
            self.api.create(self.api.rt("", "persistentvolumeclaims"), namespace, pvc, _as_manager())
        except ApiError as exc:
            self.event(
                sts,
                WARNING,
                "FailedCreate",
                f"create Claim {claim_name} for Pod {pod_name} in StatefulSet {name} failed error: {exc.message}",
            )
            return False
        self.event(
            sts, NORMAL, "SuccessfulCreate", f"create Claim {claim_name} Pod {pod_name} in StatefulSet {name} success"
        )
        return True

    def _delete(self, sts: JSON, pod: JSON) -> None:
        try:
            self.api.delete(
                self.api.rt("", "pods"),
                pod["metadata"]["namespace"],
                pod["metadata"]["name"],
                DeleteOptions(),
                _as_manager(),
            )
        except ApiError:
            return
        self.event(
            sts,
            NORMAL,
            "SuccessfulDelete",
            f"delete Pod {pod['metadata']['name']} in StatefulSet {sts['metadata']['name']} successful",
        )

    def _status(self, sts: JSON, revision: str) -> None:
        pods = [p for p in controlled(self.store, sts, "/pods") if not p["metadata"].get("deletionTimestamp")]
        updated = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision]
        ready = [p for p in pods if pod_ready(p)]
        replicas = int(sts["spec"].get("replicas", 1))
        old_status = sts.get("status") or {}
        current_revision = old_status.get("currentRevision") or revision
        if len(updated) == replicas and all(pod_ready(p) for p in updated):
            current_revision = revision
        current = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == current_revision]
        status: JSON = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": len(ready),
            "currentReplicas": len(current),
            "updatedReplicas": len(updated),
            "availableReplicas": len(ready),
            "currentRevision": current_revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        status = {
            k: v
            for k, v in status.items()
            if v or k in ("replicas", "availableReplicas", "observedGeneration", "collisionCount")
        }
        self.write_status("apps/statefulsets", sts, status)


class DaemonSetController(Controller):
    name = "daemonset"
    component = DS_CONTROLLER
    watches = ("apps/daemonsets", "/pods")
    resync_on_start = ("apps/daemonsets",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "apps/daemonsets":
            return [object_key(change.obj)]
        return owner_keys(change, "DaemonSet")

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        ds = self.store.get("apps/daemonsets", namespace, name)
        if ds is None or ds["metadata"].get("deletionTimestamp"):
            self.forget(key)
            return None
        template = (ds.get("spec") or {}).get("template") or {}
        revision = template_hash(template)[:10]
        node = self.store.get("/nodes", "", bootstrap.NODE_NAME)
        selector = (template.get("spec") or {}).get("nodeSelector") or {}
        labels = (node or {}).get("metadata", {}).get("labels") or {}
        wanted = node is not None and all(labels.get(k) == v for k, v in selector.items())
        requeue = self._sync_pod(ds, key, revision, wanted)
        pods = [p for p in controlled(self.store, ds, "/pods") if not p["metadata"].get("deletionTimestamp")]
        ready = sum(1 for p in pods if pod_ready(p))
        updated = sum(1 for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == revision)
        status = {
            "currentNumberScheduled": len(pods),
            "numberMisscheduled": 0,
            "desiredNumberScheduled": 1 if wanted else 0,
            "numberReady": ready,
            "observedGeneration": ds["metadata"].get("generation", 1),
            "updatedNumberScheduled": updated,
            "numberAvailable": ready,
        }
        if wanted and ready < 1:
            status["numberUnavailable"] = 1 - ready
        self.write_status("apps/daemonsets", ds, status)
        return requeue

    def _sync_pod(self, ds: JSON, key: str, revision: str, wanted: bool) -> float | None:
        """One pod of the current template on the node when it is wanted there, none otherwise; when to try
        again after a refused create."""
        namespace, name = ds["metadata"]["namespace"], ds["metadata"]["name"]
        template = (ds.get("spec") or {}).get("template") or {}
        pods = [p for p in controlled(self.store, ds, "/pods") if not p["metadata"].get("deletionTimestamp")]
        outdated = [p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) != revision]
        for pod in outdated if wanted else pods:
            try:
                self.api.delete(
                    self.api.rt("", "pods"), namespace, pod["metadata"]["name"], DeleteOptions(), _as_manager()
                )
                self.event(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
            except ApiError:
                pass
        current = [p for p in pods if p not in outdated]
        if not wanted or current or outdated:
            return None
        pod_labels = dict((template.get("metadata") or {}).get("labels") or {})
        pod_labels[REVISION_LABEL] = revision
        pod_spec = copy.deepcopy(template.get("spec") or {})
        pod_spec["nodeName"] = bootstrap.NODE_NAME
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "generateName": f"{name}-",
                "namespace": namespace,
                "labels": pod_labels,
                "ownerReferences": [owner_ref(ds)],
            },
            "spec": pod_spec,
        }
        try:
            made = self.api.create(self.api.rt("", "pods"), namespace, pod, _as_manager())
        except ApiError as exc:
            self.event(ds, WARNING, "FailedCreate", f"Error creating: {exc.message}")
            return self.backoff(key)
        self.event(ds, NORMAL, "SuccessfulCreate", f"Created pod: {made['metadata']['name']}")
        self.forget(key)
        return None
