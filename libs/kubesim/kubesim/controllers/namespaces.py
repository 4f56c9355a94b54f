"""Namespaces: deleting a Terminating namespace's content, then the namespace; per-namespace defaults (the
``default`` ServiceAccount and the ``kube-root-ca.crt`` ConfigMap)."""

from __future__ import annotations

from typing import Any

from kubesim import clock
from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Context, Controller
from kubesim.controllers.objects import conditions_by_type, split_key, transition_time
from kubesim.status import ApiError
from kubesim.store import Change

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
        registry = self.context.registry
        for rt in registry:
            if not rt.namespaced or rt.virtual or registry.storage_type(rt.group, rt.plural) is not rt:
                continue
            for obj in self.store.list(rt.key, key):
                remaining[rt.qualified] = remaining.get(rt.qualified, 0) + 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    self.api.delete(
                        rt,
                        key,
                        obj["metadata"]["name"],
                        DeleteOptions(propagation="Background"),
                        WriteOptions(field_manager=MANAGER),
                    )
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
            listed = ", ".join(
                f"{resource} has {count} resource instances" for resource, count in sorted(remaining.items())
            )
            content = {
                "type": "NamespaceContentRemaining",
                "status": "True",
                "reason": "SomeResourcesRemain",
                "message": f"Some resources are remaining: {listed}",
            }
        else:
            content = {
                "type": "NamespaceContentRemaining",
                "status": "False",
                "reason": "ContentRemoved",
                "message": "All content successfully removed",
            }
        wanted = [
            {
                "type": "NamespaceDeletionDiscoveryFailure",
                "status": "False",
                "reason": "ResourcesDiscovered",
                "message": "All resources successfully discovered",
            },
            {
                "type": "NamespaceDeletionGroupVersionParsingFailure",
                "status": "False",
                "reason": "ParsedGroupVersions",
                "message": "All legacy kube types successfully parsed",
            },
            {
                "type": "NamespaceDeletionContentFailure",
                "status": "False",
                "reason": "ContentDeleted",
                "message": "All content successfully deleted, may be waiting on finalization",
            },
            content,
            {
                "type": "NamespaceFinalizersRemaining",
                "status": "False",
                "reason": "ContentHasNoFinalizers",
                "message": "All content-preserving finalizers finished",
            },
        ]
        status = ns.get("status") or {}
        previous = conditions_by_type(ns)
        conditions = [
            {**c, "lastTransitionTime": transition_time(previous, c["type"], c["status"], stamp)} for c in wanted
        ]
        if status.get("conditions") != conditions:
            self.write_status("/namespaces", ns, {**status, "phase": "Terminating", "conditions": conditions})


class ServiceAccountController(Controller):
    """Every active namespace gets the ``default`` ServiceAccount and the root CA ConfigMap."""

    name = "serviceaccount"
    watches = ("/namespaces", "/serviceaccounts", "/configmaps")
    resync_on_start = ("/namespaces",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
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
                self.api.create(
                    self.api.rt("", "serviceaccounts"),
                    name,
                    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}},
                    opts,
                )
            except ApiError:
                pass
        if self.store.get("/configmaps", name, ROOT_CA) is None:
            try:
                self.api.create(
                    self.api.rt("", "configmaps"),
                    name,
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {
                            "name": ROOT_CA,
                            "annotations": {
                                "kubernetes.io/description": "Contains a CA bundle that can be used to verify the "
                                "kube-apiserver when using internal endpoints such as the "
                                "internal service IP or kubernetes.default.svc. No other usage "
                                "is guaranteed across distributions of Kubernetes clusters."
                            },
                        },
                        "data": {"ca.crt": self._ca()},
                    },
                    opts,
                )
            except ApiError:
                pass
        return None
