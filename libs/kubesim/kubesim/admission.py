"""The admission chain the API server runs on writes, in its order: mutating LimitRanger (container defaults),
then, after the object's own validation, validating LimitRanger (min/max), PodSecurity and ResourceQuota.
Refusals are ``403 Forbidden`` with the plugins' messages; PodSecurity's warnings go back as ``Warning`` headers.

Everything runs synchronously inside the write that stores the object, so the quota check and the store update
cannot interleave with another write: concurrent creates never overshoot a quota.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from kubesim import limit_ranger, pod_security, quota, status
from kubesim.resources import ResourceType
from kubesim.status import ApiError
from kubesim.store import Change, Store

JSON = dict[str, Any]

# etcd's default --max-request-bytes: a larger object never reaches storage.
MAX_OBJECT_BYTES = 1536 * 1024


class Admission:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.usage = quota.QuotaUsage()
        store.add_listener(self.observe)

    def observe(self, change: Change) -> None:
        self.usage.observe(change)

    def rebuild(self) -> None:
        self.usage.rebuild(self._all_objects())

    def _all_objects(self) -> Iterator[tuple[str, JSON]]:
        for resource in self.store.resources():
            for _, obj in self.store.iter_resource(resource):
                yield resource, obj

    def _in_namespace(self, resource: str, namespace: str) -> list[JSON]:
        found = (self.store.get(resource, namespace, name) for name in self.usage.names(resource, namespace))
        return [obj for obj in found if obj is not None]

    # --- the chain ------------------------------------------------------------------------------------------------

    def mutate(self, rt: ResourceType, obj: JSON, old: JSON | None) -> None:
        """Mutating admission: LimitRanger fills in container defaults on pod creation."""
        if rt.key == quota.PODS and old is None:
            namespace = str(obj["metadata"].get("namespace") or "")
            limit_ranger.mutate_pod(obj, self._in_namespace(quota.LIMIT_RANGES, namespace))

    def validate(
        self, rt: ResourceType, obj: JSON, old: JSON | None, warnings: list[str], subresource: str = ""
    ) -> None:
        """Validating admission; raises the refusal, adds warnings to ``warnings`` (the write's, which the HTTP
        layer sends as ``Warning`` headers)."""
        if subresource:
            return
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        namespace = str(meta.get("namespace") or "")
        if rt.key == "/namespaces":
            self._namespace(obj, old, warnings)
            return
        if not rt.namespaced or not namespace:
            return
        if rt.key in (quota.PODS, quota.CLAIMS) and not (old is not None and old["metadata"].get("deletionTimestamp")):
            ranges = self._in_namespace(quota.LIMIT_RANGES, namespace)
            if ranges:
                if rt.key == quota.PODS and old is None:
                    problem = limit_ranger.validate_pod(obj, ranges)
                elif rt.key == quota.CLAIMS:
                    problem = limit_ranger.validate_claim(obj, ranges)
                else:
                    problem = None
                if problem:
                    raise status.forbidden(rt.plural, rt.group, name, problem)
        if rt.key == quota.PODS or rt.key in pod_security.TEMPLATE_RESOURCES:
            self._pod_security(rt, obj, old, namespace, name, warnings)
        if self.usage.has_quota(namespace) and quota.handles(rt.key, "update" if old is not None else "create", ""):
            problem = quota.check(rt.key, obj, old, self._in_namespace(quota.QUOTAS, namespace), self.usage)
            if problem:
                raise status.forbidden(rt.plural, rt.group, name, problem)

    def _pod_security(
        self, rt: ResourceType, obj: JSON, old: JSON | None, namespace: str, name: str, warnings: list[str]
    ) -> None:
        ns = self.store.get("/namespaces", "", namespace)
        labels = ((ns or {}).get("metadata") or {}).get("labels") or {}
        policy, _ = pod_security.namespace_policy(labels)
        if policy.fully_privileged:
            return
        if rt.key == quota.PODS:
            if old is not None and not pod_security.significant_pod_update(obj, old):
                return
            refusal, found = pod_security.check_pod(policy, obj.get("metadata"), obj.get("spec") or {})
            if refusal:
                raise status.forbidden(rt.plural, rt.group, name, refusal)
        else:
            found = pod_security.check_template(policy, obj)
        warnings.extend(found)

    def _namespace(self, obj: JSON, old: JSON | None, warnings: list[str]) -> None:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        old_labels = ((old.get("metadata") or {}).get("labels") or {}) if old is not None else None
        causes = pod_security.namespace_label_causes(labels, old_labels)
        name = str(obj["metadata"].get("name"))
        if causes:
            raise status.invalid("Namespace", "", name, causes)
        if old_labels is not None:
            # Read lazily: the pods are only looked at when the enforce level became stricter.
            pods = (self.store.get(quota.PODS, name, pod_name) for pod_name in self.usage.pod_names(name))
            warnings.extend(
                pod_security.namespace_update_warnings(name, labels, old_labels, (p for p in pods if p is not None))
            )


def check_size(obj: JSON) -> None:
    """Refuse what etcd would: the API server passes etcd's error on as an internal error without a reason."""
    if len(orjson.dumps(obj)) > MAX_OBJECT_BYTES:
        raise ApiError(500, "", "etcdserver: request is too large")
