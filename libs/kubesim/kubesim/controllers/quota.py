"""The resource quota controller: keeps every ResourceQuota's ``status.hard`` and ``status.used`` current from the
usage admission tracks, so ``kubectl describe quota`` shows what the namespace uses."""

from __future__ import annotations

from collections.abc import Iterable

from kubesim import quota
from kubesim.controllers.base import Controller
from kubesim.store import Change

QUOTA_CONTROLLER = "resourcequota-controller"


class ResourceQuotaController(Controller):
    """Keyed by namespace: any write in a namespace that has quotas may change what they count."""

    name = "resourcequota"
    component = QUOTA_CONTROLLER
    watches = ("*",)

    def keys_for(self, change: Change) -> Iterable[str]:
        namespace = (change.obj.get("metadata") or {}).get("namespace")
        if namespace and (change.resource == quota.QUOTAS or self.api.admission.usage.has_quota(str(namespace))):
            return [str(namespace)]
        return []

    def start_keys(self) -> Iterable[str]:
        return sorted({str(q["metadata"].get("namespace")) for q in self.store.list(quota.QUOTAS)})

    def reconcile(self, key: str) -> float | None:
        usage = self.api.admission.usage
        for name in usage.names(quota.QUOTAS, key):
            current = self.store.get(quota.QUOTAS, key, name)
            if current is None or current["metadata"].get("deletionTimestamp"):
                continue
            self.write_status(quota.QUOTAS, current, quota.status_of(current, usage))
        return None
