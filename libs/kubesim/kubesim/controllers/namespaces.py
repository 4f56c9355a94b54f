"""Namespaces: deleting a Terminating namespace's content, then the namespace; per-namespace defaults (the
``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller, split_key
from kubesim.status import ApiError
from kubesim.store import Change

if TYPE_CHECKING:
    from kubesim.cluster import Cluster

JSON = dict[str, Any]
MANAGER = "kube-controller-manager"
ROOT_CA = "kube-root-ca.crt"


class NamespaceController(Controller):
    name = "namespace"
    watches = ("/namespaces",)
    resync_on_start = ("/namespaces",)

    def keys_for(self, change: Change) -> list[str]:
        if change.type == "DELETED" or not change.obj["metadata"].get("deletionTimestamp"):
            return []
        return [change.obj["metadata"]["name"]]

    def reconcile(self, key: str) -> float | None:
        ns = self.store.get("/namespaces", "", key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        remaining: dict[str, int] = {}
        for rt in self.cluster.registry:
            if not rt.namespaced or rt.virtual or self.cluster.registry.storage_type(rt.group, rt.plural) is not rt:
                continue
            for obj in self.store.list(rt.key, key):
                remaining[rt.qualified] = remaining.get(rt.qualified, 0) + 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(rt, key, obj["metadata"]["name"], DeleteOptions(propagation="Background"),
                                    WriteOptions(field_manager=MANAGER))
                except ApiError:
                    pass
        self._report(ns, remaining)
        if remaining:
            return 0.05
        self.api.finalize_namespace(key, {"spec": {"finalizers": []}}, WriteOptions(field_manager=MANAGER))
        return None

    def _report(self, ns: JSON, remaining: dict[str, int]) -> None:
        stamp = clock.rfc3339(clock.now())
        if remaining:
            listed = ", ".join(f"{resource} has {count} resource instances" for resource, count in
                               sorted(remaining.items()))
            content = {"type": "NamespaceContentRemaining", "status": "True", "reason": "SomeResourcesRemain",
                       "message": f"Some resources are remaining: {listed}"}
        else:
            content = {"type": "NamespaceContentRemaining", "status": "False", "reason": "ContentRemoved",
                       "message": "All content successfully removed"}
        wanted = [
            {"type": "NamespaceDeletionDiscoveryFailure", "status": "False", "reason": "ResourcesDiscovered",
             "message": "All resources successfully discovered"},
            {"type": "NamespaceDeletionGroupVersionParsingFailure", "status": "False",
             "reason": "ParsedGroupVersions", "message": "All legacy kube types successfully parsed"},
            {"type": "NamespaceDeletionContentFailure", "status": "False", "reason": "ContentDeleted",
             "message": "All content successfully deleted, may be waiting on finalization"},
            content,
            {"type": "NamespaceFinalizersRemaining", "status": "False", "reason": "ContentHasNoFinalizers",
             "message": "All content-preserving finalizers finished"},
        ]
        status = ns.get("status") or {}
        previous = {c.get("type"): c for c in status.get("conditions") or []}
        conditions = []
        for condition in wanted:
            before = previous.get(condition["type"])
            same = before is not None and before.get("status") == condition["status"]
            conditions.append({**condition, "lastTransitionTime": before.get("lastTransitionTime") if same and before
                               else stamp})
        if status.get("conditions") != conditions:
            updated = copy.deepcopy(ns)
            updated["status"] = {**status, "phase": "Terminating", "conditions": conditions}
            self.api.write(self.api.rt("", "namespaces"), updated, MANAGER, "status")


class ServiceAccountController(Controller):
    """Every active namespace gets the ``default`` ServiceAccount and the root CA ConfigMap."""

    name = "serviceaccount"
    watches = ("/namespaces", "/serviceaccounts", "/configmaps")
    resync_on_start = ("/namespaces",)

    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        self._ca_pem: str | None = None

    def keys_for(self, change: Change) -> list[str]:
        meta = change.obj["metadata"]
        if change.resource == "/namespaces":
            return [] if change.type == "DELETED" else [meta["name"]]
        if change.type == "DELETED" and meta.get("name") in ("default", ROOT_CA):
            return [str(meta.get("namespace"))]
        return []

    def _ca(self) -> str:
        if self._ca_pem is None:
            from kubesim import tls

            self._ca_pem = tls.generate("127.0.0.1").ca_pem.decode()
        return self._ca_pem

    def reconcile(self, key: str) -> float | None:
        _, name = split_key(key)
        ns = self.store.get("/namespaces", "", name)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        opts = WriteOptions(field_manager=MANAGER)
        if self.store.get("/serviceaccounts", name, "default") is None:
            try:
                self.api.create(self.api.rt("", "serviceaccounts"), name,
                                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}, opts)
            except ApiError:
                pass
        if self.store.get("/configmaps", name, ROOT_CA) is None:
            try:
                self.api.create(self.api.rt("", "configmaps"), name, {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": ROOT_CA, "annotations": {
                        "kubernetes.io/description": "Contains a CA bundle that can be used to verify the "
                                                     "kube-apiserver when using internal endpoints such as the "
                                                     "internal service IP or kubernetes.default.svc. No other usage "
                                                     "is guaranteed across distributions of Kubernetes clusters."}},
                    "data": {"ca.crt": self._ca()}}, opts)
            except ApiError:
                pass
        return None
