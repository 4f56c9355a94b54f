"""Services: type defaults, ClusterIP and NodePort allocation (kept across updates, released on delete), ports."""

from __future__ import annotations

from typing import Any

from kubesim import validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class ServiceStrategy(Strategy):
    name_rule = "label"

    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("type", "ClusterIP")
        if spec["type"] != "ExternalName":
            spec.setdefault("sessionAffinity", "None")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        for port in spec.get("ports") or []:
            port.setdefault("protocol", "TCP")
            if "port" in port:
                port.setdefault("targetPort", port["port"])
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"loadBalancer": {}}

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        if spec.get("type") != "ExternalName":
            if spec.get("clusterIP") in (None, ""):
                spec["clusterIP"] = admission.allocate_cluster_ip()
            spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            for port in spec.get("ports") or []:
                if not port.get("nodePort"):
                    port["nodePort"] = admission.allocate_node_port()
        obj["status"] = {"loadBalancer": {}}

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        spec, old_spec = new.setdefault("spec", {}), old.get("spec") or {}
        if spec.get("type") != "ExternalName":
            if not spec.get("clusterIP") and old_spec.get("clusterIP"):
                spec["clusterIP"] = old_spec["clusterIP"]
                spec["clusterIPs"] = old_spec.get("clusterIPs") or [old_spec["clusterIP"]]
            elif not spec.get("clusterIP"):
                spec["clusterIP"] = admission.allocate_cluster_ip()
                spec["clusterIPs"] = [spec["clusterIP"]]
            spec.setdefault("ipFamilies", old_spec.get("ipFamilies") or ["IPv4"])
            spec.setdefault("ipFamilyPolicy", old_spec.get("ipFamilyPolicy") or "SingleStack")
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            previous = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in old_spec.get("ports") or []}
            for port in spec.get("ports") or []:
                if not port.get("nodePort"):
                    port["nodePort"] = (
                        previous.get((port.get("port"), port.get("protocol"))) or admission.allocate_node_port()
                    )

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes: list[Cause] = []
        kind = spec.get("type")
        if kind not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            causes.append(
                validation.not_supported("spec.type", kind, ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"])
            )
        ports = spec.get("ports") or []
        if kind != "ExternalName" and not ports and spec.get("clusterIP") != "None":
            causes.append(validation.required("spec.ports"))
        names: set[str] = set()
        for i, port in enumerate(ports):
            number = port.get("port")
            if not isinstance(number, int) or not 0 < number < 65536:
                causes.append(
                    validation.invalid_value(f"spec.ports[{i}].port", number, "must be between 1 and 65535, inclusive")
                )
            if len(ports) > 1 and not port.get("name"):
                causes.append(validation.required(f"spec.ports[{i}].name"))
            if port.get("name"):
                if port["name"] in names:
                    causes.append(validation.duplicate(f"spec.ports[{i}].name", port["name"]))
                names.add(port["name"])
        if kind == "ExternalName" and not spec.get("externalName"):
            causes.append(validation.required("spec.externalName"))
        if old is not None:
            old_ip = (old.get("spec") or {}).get("clusterIP")
            if old_ip and spec.get("clusterIP") and spec.get("clusterIP") != old_ip and kind != "ExternalName":
                causes.append(validation.immutable("spec.clusterIPs[0]", spec.get("clusterIP")))
        return causes

    def on_removed(self, obj: JSON, admission: Admission) -> None:
        admission.release_service(obj)
