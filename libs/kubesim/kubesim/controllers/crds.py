"""CustomResourceDefinitions: serving their resources, Established/NamesAccepted conditions, and deleting every
custom resource before the definition goes away."""

from __future__ import annotations

import copy
from typing import Any

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.objects import conditions_by_type, split_key, transition_time
from kubesim.resources import (
    STANDARD_VERBS,
    STATUS,
    PrinterColumn,
    Registry,
    ResourceType,
    ScalePaths,
    Subresource,
)
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
MANAGER = "kube-apiserver"


def resource_types(crd: JSON) -> list[ResourceType]:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = str(spec.get("group") or "")
    versions = spec.get("versions") or []
    storage = next((str(v.get("name")) for v in versions if v.get("storage")), "")
    out = []
    for version in versions:
        if not version.get("served", True):
            continue
        subs: list[Subresource] = []
        scale_paths = None
        declared = version.get("subresources") or spec.get("subresources") or {}
        if "status" in declared:
            subs.append(STATUS)
        if "scale" in declared:
            scale = declared.get("scale") or {}
            subs.append(
                Subresource("scale", ("get", "patch", "update"), kind="Scale", group="autoscaling", version="v1")
            )
            scale_paths = ScalePaths(
                spec_replicas=str(scale.get("specReplicasPath") or ".spec.replicas"),
                status_replicas=str(scale.get("statusReplicasPath") or ".status.replicas"),
                label_selector=scale.get("labelSelectorPath"),
            )
        columns = tuple(
            PrinterColumn(
                name=str(c.get("name")),
                type=str(c.get("type") or "string"),
                json_path=str(c.get("jsonPath") or ""),
                description=str(c.get("description") or ""),
                priority=int(c.get("priority") or 0),
                format=str(c.get("format") or ""),
            )
            for c in version.get("additionalPrinterColumns") or spec.get("additionalPrinterColumns") or []
        )
        out.append(
            ResourceType(
                group=group,
                version=str(version.get("name")),
                plural=str(names.get("plural")),
                singular=str(names.get("singular") or str(names.get("kind", "")).lower()),
                kind=str(names.get("kind")),
                namespaced=spec.get("scope") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                verbs=STANDARD_VERBS,
                subresources=tuple(subs),
                has_generation=True,
                custom=True,
                printer_columns=columns,
                scale_paths=scale_paths,
                storage_version=storage,
            )
        )
    return out


def sync_registry(registry: Registry, crd: JSON | None, old: JSON | None) -> None:
    """Serve what ``crd`` defines (or stop serving what ``old`` defined, when ``crd`` is None)."""
    previous = old or crd
    if previous is not None:
        spec = previous.get("spec") or {}
        registry.remove(str(spec.get("group") or ""), str((spec.get("names") or {}).get("plural") or ""))
    if crd is not None:
        for rt in resource_types(crd):
            registry.add(rt)


def on_crd_change(registry: Registry, change: Change) -> None:
    if change.resource != CRD_KEY:
        return
    sync_registry(registry, None if change.type == "DELETED" else change.obj, change.old)


class CrdController(Controller):
    name = "apiextensions"
    component = MANAGER
    watches = (CRD_KEY,)
    resync_on_start = (CRD_KEY,)

    def reconcile(self, key: str) -> float | None:
        _, name = split_key(key)
        crd = self.store.get(CRD_KEY, "", name)
        if crd is None:
            return None
        meta = crd["metadata"]
        if meta.get("deletionTimestamp"):
            return self._clean_up(crd)
        if CLEANUP_FINALIZER not in (meta.get("finalizers") or []):
            updated = copy.deepcopy(crd)
            updated["metadata"].setdefault("finalizers", []).append(CLEANUP_FINALIZER)
            self.api.write(self.api.rt("apiextensions.k8s.io", "customresourcedefinitions"), updated, MANAGER)
            crd = self.store.get(CRD_KEY, "", name) or crd
        self.write_status(CRD_KEY, crd, self._status(crd))
        return None

    @staticmethod
    def _status(crd: JSON) -> JSON:
        """Names accepted and established (kubesim has no conflicting names to report), stored versions."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        stamp = clock.rfc3339(clock.now())
        existing = conditions_by_type(crd)

        def condition(kind: str, reason: str, message: str) -> JSON:
            return {
                "type": kind,
                "status": "True",
                "lastTransitionTime": transition_time(existing, kind, "True", stamp),
                "reason": reason,
                "message": message,
            }

        accepted = dict(names)
        accepted.setdefault("singular", str(names.get("kind", "")).lower())
        return {
            "conditions": [
                condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
            ],
            "acceptedNames": accepted,
            "storedVersions": sorted(
                {str(v.get("name")) for v in spec.get("versions") or [] if v.get("storage")}
                | set((crd.get("status") or {}).get("storedVersions") or [])
            ),
        }

    def _clean_up(self, crd: JSON) -> float | None:
        spec = crd.get("spec") or {}
        group = str(spec.get("group") or "")
        plural = str((spec.get("names") or {}).get("plural") or "")
        storage = self.context.registry.storage_type(group, plural)
        remaining = 0
        if storage is not None:
            for obj in self.store.list(storage.key):
                remaining += 1
                meta = obj["metadata"]
                if meta.get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(
                        storage,
                        str(meta.get("namespace") or ""),
                        str(meta["name"]),
                        DeleteOptions(propagation="Background"),
                        WriteOptions(field_manager=MANAGER),
                    )
                except ApiError:
                    pass
        if remaining:
            return 0.2
        rt = self.api.rt("apiextensions.k8s.io", "customresourcedefinitions")
        updated = copy.deepcopy(crd)
        updated["metadata"]["finalizers"] = [
            f for f in crd["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER
        ]
        self.api.write(rt, updated, MANAGER)
        return None
