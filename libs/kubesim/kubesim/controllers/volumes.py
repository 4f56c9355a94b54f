"""Dynamic provisioning: a PersistentVolumeClaim of a StorageClass gets its own PersistentVolume and is bound
(right away, or once a pod uses it for WaitForFirstConsumer classes); a released volume is deleted when its
reclaim policy says so."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import bootstrap, clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.objects import object_key, split_key
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
PV_CONTROLLER = "persistentvolume-controller"
SELECTED_NODE = "volume.kubernetes.io/selected-node"


class VolumeController(Controller):
    name = "persistentvolume"
    component = PV_CONTROLLER
    watches = ("/persistentvolumeclaims", "/persistentvolumes")
    resync_on_start = ("/persistentvolumeclaims", "/persistentvolumes")

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "/persistentvolumeclaims":
            keys = [f"pvc|{object_key(change.obj)}"]
            if change.type == "DELETED":
                volume = (change.obj.get("spec") or {}).get("volumeName")
                if volume:
                    keys.append(f"pv|{volume}")
            return keys
        return [f"pv|{change.obj['metadata']['name']}"]

    def start_keys(self) -> list[str]:
        keys = [f"pvc|{object_key(o)}" for o in self.store.list("/persistentvolumeclaims")]
        return keys + [f"pv|{o['metadata']['name']}" for o in self.store.list("/persistentvolumes")]

    def reconcile(self, key: str) -> float | None:
        kind, _, rest = key.partition("|")
        if kind == "pv":
            return self._volume(rest)
        namespace, name = split_key(rest)
        pvc = self.store.get("/persistentvolumeclaims", namespace, name)
        if pvc is None or pvc["metadata"].get("deletionTimestamp"):
            return None
        spec = pvc.get("spec") or {}
        if (pvc.get("status") or {}).get("phase") == "Bound":
            return None
        class_name = spec.get("storageClassName")
        if spec.get("volumeName"):
            return self._bind(pvc, str(spec["volumeName"]))
        if not class_name:
            self.event(
                pvc,
                NORMAL,
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
            return None
        sc = self.store.get("storage.k8s.io/storageclasses", "", str(class_name))
        if sc is None:
            self.event(pvc, WARNING, "ProvisioningFailed", f'storageclass.storage.k8s.io "{class_name}" not found')
            return None
        annotations = pvc["metadata"].get("annotations") or {}
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and SELECTED_NODE not in annotations:
            self.event(pvc, NORMAL, "WaitForFirstConsumer", "waiting for first consumer to be created before binding")
            return None
        return self._provision(pvc, sc)

    def _provision(self, pvc: JSON, sc: JSON) -> float | None:
        provisioner = str(sc.get("provisioner"))
        self.event(
            pvc,
            NORMAL,
            "ExternalProvisioning",
            f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or "
            f"manually by the system administrator. If volume creation is delayed, please verify that your "
            f"external provisioner is running and correctly registered.",
        )
        spec = pvc.get("spec") or {}
        volume_name = f"pvc-{pvc['metadata']['uid']}"
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        namespace = pvc["metadata"]["namespace"]
        pv = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": volume_name,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": provisioner,
                    "local.path.provisioner/selected-node": bootstrap.NODE_NAME,
                },
                "finalizers": ["kubernetes.io/pv-protection"],
            },
            "spec": {
                "capacity": {"storage": storage},
                "accessModes": list(spec.get("accessModes") or []),
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
                "hostPath": {
                    "path": f"/var/local-path-provisioner/{volume_name}_{namespace}_{pvc['metadata']['name']}",
                    "type": "DirectoryOrCreate",
                },
                "claimRef": {
                    "kind": "PersistentVolumeClaim",
                    "namespace": namespace,
                    "name": pvc["metadata"]["name"],
                    "uid": pvc["metadata"]["uid"],
                    "apiVersion": "v1",
                    "resourceVersion": pvc["metadata"]["resourceVersion"],
                },
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "kubernetes.io/hostname", "operator": "In", "values": [bootstrap.NODE_NAME]}
                                ]
                            }
                        ]
                    }
                },
            },
        }
        pv_rt = self.api.rt("", "persistentvolumes")
        if self.store.get(pv_rt.key, "", volume_name) is None:
            try:
                self.api.create(pv_rt, "", pv, WriteOptions(field_manager=PV_CONTROLLER))
            except ApiError:
                return 1.0
        self.event(
            pvc,
            NORMAL,
            "ProvisioningSucceeded",
            f"Successfully provisioned volume {volume_name}",
            component=provisioner,
        )
        return self._bind(pvc, volume_name)

    def _bind(self, pvc: JSON, volume_name: str) -> float | None:
        pv = self.store.get("/persistentvolumes", "", volume_name)
        if pv is None:
            return 1.0
        if (pv.get("status") or {}).get("phase") != "Bound":
            self.write_status(
                "/persistentvolumes", pv, {"phase": "Bound", "lastPhaseTransitionTime": clock.rfc3339(clock.now())}
            )
        claim = copy.deepcopy(pvc)
        claim["spec"]["volumeName"] = volume_name
        claim["metadata"].setdefault("annotations", {}).update(
            {
                "pv.kubernetes.io/bind-completed": "yes",
                "pv.kubernetes.io/bound-by-controller": "yes",
                "volume.beta.kubernetes.io/storage-provisioner": str(
                    (pv["metadata"].get("annotations") or {}).get("pv.kubernetes.io/provisioned-by", "")
                ),
                "volume.kubernetes.io/storage-provisioner": str(
                    (pv["metadata"].get("annotations") or {}).get("pv.kubernetes.io/provisioned-by", "")
                ),
            }
        )
        claim["metadata"].setdefault("finalizers", [])
        if "kubernetes.io/pvc-protection" not in claim["metadata"]["finalizers"]:
            claim["metadata"]["finalizers"].append("kubernetes.io/pvc-protection")
        stored = self.api.write(self.api.rt("", "persistentvolumeclaims"), claim, PV_CONTROLLER)
        self.write_status(
            "/persistentvolumeclaims",
            stored,
            {
                "phase": "Bound",
                "accessModes": list((pv.get("spec") or {}).get("accessModes") or []),
                "capacity": dict((pv.get("spec") or {}).get("capacity") or {}),
            },
        )
        return None

    def _volume(self, name: str) -> float | None:
        pv = self.store.get("/persistentvolumes", "", name)
        if pv is None:
            return None
        pv_rt = self.api.rt("", "persistentvolumes")
        spec = pv.get("spec") or {}
        claim_ref = spec.get("claimRef")
        if pv["metadata"].get("deletionTimestamp"):
            updated = copy.deepcopy(pv)
            updated["metadata"]["finalizers"] = [
                f for f in pv["metadata"].get("finalizers") or [] if f != "kubernetes.io/pv-protection"
            ]
            self.api.write(pv_rt, updated, PV_CONTROLLER)
            return None
        if not claim_ref:
            if (pv.get("status") or {}).get("phase") in (None, "Pending"):
                self.write_status("/persistentvolumes", pv, {"phase": "Available"})
            return None
        claim = self.store.get("/persistentvolumeclaims", str(claim_ref.get("namespace")), str(claim_ref.get("name")))
        if claim is not None and claim["metadata"].get("uid") == claim_ref.get("uid"):
            return None
        # The claim is gone: the volume is released, and deleted under the Delete reclaim policy.
        if spec.get("persistentVolumeReclaimPolicy", "Retain") == "Delete":
            try:
                self.api.delete(pv_rt, "", name, DeleteOptions(), WriteOptions(field_manager=PV_CONTROLLER))
            except ApiError:
                pass
            return None
        if (pv.get("status") or {}).get("phase") != "Released":
            self.write_status("/persistentvolumes", pv, {"phase": "Released"})
        return None


class PvcProtection(Controller):
    """Claims in use by a pod keep their ``kubernetes.io/pvc-protection`` finalizer until no pod uses them."""

    name = "pvc-protection"
    component = "pvc-protection-controller"
    watches = ("/persistentvolumeclaims", "/pods")

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "/persistentvolumeclaims":
            return [object_key(change.obj)] if change.obj["metadata"].get("deletionTimestamp") else []
        namespace = change.obj["metadata"].get("namespace")
        claims = [
            (v.get("persistentVolumeClaim") or {}).get("claimName")
            for v in (change.obj.get("spec") or {}).get("volumes") or []
        ]
        return [f"{namespace}/{c}" for c in claims if c]

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        pvc = self.store.get("/persistentvolumeclaims", namespace, name)
        if pvc is None or not pvc["metadata"].get("deletionTimestamp"):
            return None
        in_use = any(
            (v.get("persistentVolumeClaim") or {}).get("claimName") == name
            for pod in self.store.list("/pods", namespace)
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            for v in (pod.get("spec") or {}).get("volumes") or []
        )
        if in_use:
            return None
        updated = copy.deepcopy(pvc)
        updated["metadata"]["finalizers"] = [
            f for f in pvc["metadata"].get("finalizers") or [] if f != "kubernetes.io/pvc-protection"
        ]
        self.api.write(self.api.rt("", "persistentvolumeclaims"), updated, "pvc-protection-controller")
        return None
