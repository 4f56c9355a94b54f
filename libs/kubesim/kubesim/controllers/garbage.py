"""The garbage collector: ownerReferences decide what goes when an owner goes (background), before it goes
(foreground, ``foregroundDeletion`` finalizer) or what is kept and released (``orphan`` finalizer)."""

from __future__ import annotations

import copy
from typing import Any

from kubesim.apiserver import DeleteOptions, WriteOptions
from kubesim.controllers.base import Controller
from kubesim.resources import ResourceType
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
MANAGER = "generic-garbage-collector"


def _key(action: str, resource: str, obj: JSON) -> str:
    meta = obj["metadata"]
    return f"{action}|{resource}|{meta.get('namespace') or ''}|{meta['name']}"


class GarbageCollector(Controller):
    name = "garbage-collector"
    component = MANAGER
    watches = ("*",)

    def keys_for(self, change: Change) -> list[str]:
        meta = change.obj.get("metadata") or {}
        keys = []
        if change.type == "DELETED":
            if self.store.dependents(str(meta.get("uid"))):
                keys.append(f"gone|{meta.get('uid')}")
            return keys
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp"):
            if "orphan" in finalizers:
                keys.append(_key("orphan", change.resource, change.obj))
            if "foregroundDeletion" in finalizers:
                keys.append(_key("foreground", change.resource, change.obj))
        if change.type == "ADDED" and meta.get("ownerReferences"):
            keys.append(_key("dangling", change.resource, change.obj))
        return keys

    def _rt(self, resource: str) -> ResourceType | None:
        group, _, plural = resource.partition("/")
        return self.context.registry.storage_type(group, plural)

    def _delete(self, resource: str, obj: JSON, policy: str = "Background") -> None:
        rt = self._rt(resource)
        if rt is None or obj["metadata"].get("deletionTimestamp"):
            return
        meta = obj["metadata"]
        try:
            self.api.delete(
                rt,
                str(meta.get("namespace") or ""),
                str(meta["name"]),
                DeleteOptions(propagation=policy, uid=meta.get("uid")),
                WriteOptions(field_manager=MANAGER),
            )
        except ApiError:
            pass

    def _owners_alive(self, obj: JSON) -> bool:
        for ref in obj["metadata"].get("ownerReferences") or []:
            found = self.store.by_uid(str(ref.get("uid")))
            if found is not None:
                return True
        return False

    def reconcile(self, key: str) -> float | None:
        action, _, rest = key.partition("|")
        if action == "gone":
            for resource, dependent in self.store.dependents(rest):
                if not self._owners_alive(dependent):
                    self._delete(resource, dependent)
            return None
        resource, namespace, name = rest.split("|", 2)
        obj = self.store.get(resource, namespace, name)
        if obj is None:
            return None
        if action == "dangling":
            if not self._owners_alive(obj):
                self._delete(resource, obj)
            return None
        uid = str(obj["metadata"].get("uid"))
        dependents = self.store.dependents(uid)
        if action == "orphan":
            for dep_resource, dependent in dependents:
                rt = self._rt(dep_resource)
                if rt is None:
                    continue
                released = copy.deepcopy(dependent)
                refs = [r for r in released["metadata"].get("ownerReferences") or [] if r.get("uid") != uid]
                if refs:
                    released["metadata"]["ownerReferences"] = refs
                else:
                    released["metadata"].pop("ownerReferences", None)
                self.api.write(rt, released, MANAGER)
            self._drop_finalizer(resource, namespace, name, "orphan")
            return None
        if action == "foreground":
            if dependents:
                for dep_resource, dependent in dependents:
                    self._delete(dep_resource, dependent, "Foreground")
                return 0.05
            self._drop_finalizer(resource, namespace, name, "foregroundDeletion")
        return None

    def _drop_finalizer(self, resource: str, namespace: str, name: str, finalizer: str) -> None:
        rt = self._rt(resource)
        obj = self.store.get(resource, namespace, name)
        if rt is None or obj is None:
            return
        updated = copy.deepcopy(obj)
        updated["metadata"]["finalizers"] = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        if not updated["metadata"]["finalizers"]:
            del updated["metadata"]["finalizers"]
        self.api.write(rt, updated, MANAGER)
