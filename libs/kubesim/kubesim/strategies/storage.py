"""PersistentVolumeClaims (the default StorageClass, immutability once bound), PersistentVolumes and
StorageClasses."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import quantity, validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class PersistentVolumeClaimStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Pending"}

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        if "storageClassName" not in spec:
            for sc in admission.list_objects("storage.k8s.io/storageclasses"):
                annotations = (sc.get("metadata") or {}).get("annotations") or {}
                if annotations.get("storageclass.kubernetes.io/is-default-class") == "true":
                    spec["storageClassName"] = sc["metadata"]["name"]
                    break
        obj["status"] = {"phase": "Pending"}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        if not spec.get("accessModes"):
            causes.append(validation.required("spec.accessModes"))
        for mode in spec.get("accessModes") or []:
            if mode not in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"):
                causes.append(
                    validation.not_supported(
                        "spec.accessModes", mode, ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
                    )
                )
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        if storage is None:
            causes.append(validation.required("spec.resources[storage]"))
        elif not quantity.is_valid(storage):
            causes.append(
                validation.invalid_value("spec.resources.requests[storage]", storage, "must be a valid quantity")
            )
        if old is not None:
            old_spec = old.get("spec") or {}

            def comparable(s: JSON) -> JSON:
                s = copy.deepcopy(s)
                s.pop("resources", None)
                s.pop("volumeName", None)
                s.pop("volumeAttributesClassName", None)
                return s

            if comparable(spec) != comparable(old_spec) and old_spec.get("volumeName"):
                causes.append(
                    validation.forbidden(
                        "spec",
                        "spec is immutable after creation except "
                        "resources.requests and volumeAttributesClassName for bound "
                        "claims",
                    )
                )
        return causes


class PersistentVolumeStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("persistentVolumeReclaimPolicy", "Retain")
        spec.setdefault("volumeMode", "Filesystem")

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Pending"}


class StorageClassStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        obj.setdefault("reclaimPolicy", "Delete")
        obj.setdefault("volumeBindingMode", "Immediate")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        if not obj.get("provisioner"):
            return [validation.required("provisioner")]
        if old is not None and old.get("provisioner") != obj.get("provisioner"):
            return [validation.forbidden("provisioner", "updates to provisioner are forbidden.")]
        return []
