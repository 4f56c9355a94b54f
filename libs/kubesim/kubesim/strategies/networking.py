"""Ingresses (the default IngressClass, paths and backends) and NetworkPolicies (rules in ``network_policy``)."""

from __future__ import annotations

from typing import Any

from kubesim import network_policy, validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class IngressStrategy(Strategy):
    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if not spec.get("ingressClassName") and "kubernetes.io/ingress.class" not in annotations:
            for ic in admission.list_objects("networking.k8s.io/ingressclasses"):
                ic_annotations = (ic.get("metadata") or {}).get("annotations") or {}
                if ic_annotations.get("ingressclass.kubernetes.io/is-default-class") == "true":
                    spec["ingressClassName"] = ic["metadata"]["name"]
                    break
        obj["status"] = {"loadBalancer": {}}

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"loadBalancer": {}}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        if not spec.get("rules") and not spec.get("defaultBackend"):
            causes.append(validation.required("spec", "either `defaultBackend` or `rules` must be specified"))
        for i, rule in enumerate(spec.get("rules") or []):
            for j, path in enumerate(((rule.get("http") or {}).get("paths")) or []):
                where = f"spec.rules[{i}].http.paths[{j}]"
                if path.get("pathType") not in ("Exact", "Prefix", "ImplementationSpecific"):
                    if path.get("pathType") is None:
                        causes.append(validation.required(f"{where}.pathType", "pathType must be specified"))
                    else:
                        causes.append(
                            validation.not_supported(
                                f"{where}.pathType", path.get("pathType"), ["Exact", "ImplementationSpecific", "Prefix"]
                            )
                        )
                backend = path.get("backend") or {}
                if not backend.get("service") and not backend.get("resource"):
                    causes.append(validation.required(f"{where}.backend", "one backend must be specified"))
        return causes


class NetworkPolicyStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        network_policy.default_network_policy(obj)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return network_policy.validate_network_policy(obj)
