"""Services get Endpoints (and an EndpointSlice) of their ready pods, LoadBalancer Services an external IP,
Ingresses of a known class a load-balancer address."""

from __future__ import annotations

import copy
import ipaddress
from typing import Any

from kubesim.apiserver import WriteOptions
from kubesim.controllers.base import Context, Controller
from kubesim.controllers.events import NORMAL
from kubesim.controllers.objects import object_key, pod_ready, split_key
from kubesim.selectors import from_map
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
ENDPOINT_CONTROLLER = "endpoint-controller"
LB_POOL = ipaddress.ip_network("172.18.255.0/24")
INGRESS_ADDRESS = "127.0.0.1"


def _target_port(port: JSON, pod: JSON) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target and container_port.get("protocol", "TCP") == port.get(
                "protocol", "TCP"
            ):
                return int(container_port["containerPort"])
    return None


class EndpointsController(Controller):
    name = "endpoints"
    component = ENDPOINT_CONTROLLER
    watches = ("/services", "/pods", "/endpoints")
    resync_on_start = ("/services",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "/services":
            return [object_key(change.obj)]
        namespace = str(change.obj["metadata"].get("namespace") or "")
        if change.resource == "/endpoints":
            return [object_key(change.obj)] if change.type == "DELETED" else []
        labels = change.obj["metadata"].get("labels") or {}
        old_labels = ((change.old or {}).get("metadata") or {}).get("labels") or {}
        keys = []
        for svc in self.store.list("/services", namespace):
            selector = (svc.get("spec") or {}).get("selector")
            if selector and (from_map(selector).matches(labels) or from_map(selector).matches(old_labels)):
                keys.append(object_key(svc))
        return keys

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        svc = self.store.get("/services", namespace, name)
        existing = self.store.get("/endpoints", namespace, name)
        if svc is None or not (svc.get("spec") or {}).get("selector"):
            if (
                svc is None
                and existing is not None
                and (existing["metadata"].get("labels") or {}).get("endpointslice.kubernetes.io/skip-mirror") is None
            ):
                self.store.remove("/endpoints", namespace, name)
            return None
        body = endpoints_of(svc, self._selected_pods(svc))
        ep_rt = self.api.rt("", "endpoints")
        try:
            if existing is None:
                self.api.create(ep_rt, namespace, body, WriteOptions(field_manager=ENDPOINT_CONTROLLER))
            else:
                updated = copy.deepcopy(existing)
                updated.pop("subsets", None)
                updated.update({k: v for k, v in body.items() if k != "metadata"})
                if "labels" in body["metadata"]:
                    updated["metadata"]["labels"] = body["metadata"]["labels"]
                self.api.write(ep_rt, updated, ENDPOINT_CONTROLLER)
        except ApiError:
            return 0.5
        return None

    def _selected_pods(self, svc: JSON) -> list[JSON]:
        """The service's pods that have an address and are neither finished nor being deleted."""
        selector = from_map(svc["spec"]["selector"])
        return [
            p
            for p in self.store.list("/pods", svc["metadata"]["namespace"])
            if selector.matches(p["metadata"].get("labels"))
            and (p.get("status") or {}).get("podIP")
            and not p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]


def endpoints_of(svc: JSON, pods: list[JSON]) -> JSON:
    """The Endpoints object of ``svc`` for ``pods``: one subset per distinct set of resolved ports, ready pods as
    ``addresses`` and the others as ``notReadyAddresses``, sorted by IP."""
    namespace, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
    subsets: dict[str, JSON] = {}
    for pod in pods:
        ports = _endpoint_ports(svc["spec"].get("ports") or [], pod)
        subset = subsets.setdefault(repr(ports), {"ports": ports})
        address = {
            "ip": pod["status"]["podIP"],
            "nodeName": (pod.get("spec") or {}).get("nodeName"),
            "targetRef": {
                "kind": "Pod",
                "namespace": namespace,
                "name": pod["metadata"]["name"],
                "uid": pod["metadata"]["uid"],
            },
        }
        subset.setdefault("addresses" if pod_ready(pod) else "notReadyAddresses", []).append(address)
    ordered = []
    for subset in subsets.values():
        out = {
            bucket: sorted(subset[bucket], key=lambda a: a["ip"])
            for bucket in ("addresses", "notReadyAddresses")
            if subset.get(bucket)
        }
        out["ports"] = subset["ports"]
        ordered.append(out)
    body: JSON = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(svc["metadata"].get("labels") or {})},
    }
    if ordered:
        body["subsets"] = ordered
    if not body["metadata"]["labels"]:
        del body["metadata"]["labels"]
    return body


def _endpoint_ports(service_ports: list[JSON], pod: JSON) -> list[JSON]:
    """The service's ports as this pod serves them (named target ports resolved; unresolvable ones left out)."""
    ports = []
    for port in service_ports:
        number = _target_port(port, pod)
        if number is None:
            continue
        entry = {"port": number, "protocol": port.get("protocol", "TCP")}
        if port.get("name"):
            entry["name"] = port["name"]
        if port.get("appProtocol"):
            entry["appProtocol"] = port["appProtocol"]
        ports.append(entry)
    return ports


class LoadBalancerController(Controller):
    name = "service-lb"
    component = "service-controller"
    watches = ("/services",)
    resync_on_start = ("/services",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._next = 200

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        svc = self.store.get("/services", namespace, name)
        if svc is None or (svc.get("spec") or {}).get("type") != "LoadBalancer":
            return None
        ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress")
        if ingress:
            return None
        self.event(svc, NORMAL, "EnsuringLoadBalancer", "Ensuring load balancer")
        used = {
            i.get("ip")
            for s in self.store.list("/services")
            for i in ((s.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        }
        address = ""
        for _ in range(250):
            candidate = str(LB_POOL.network_address + self._next)
            self._next = self._next + 1 if self._next < 254 else 10
            if candidate not in used:
                address = candidate
                break
        self.write_status("/services", svc, {"loadBalancer": {"ingress": [{"ip": address, "ipMode": "VIP"}]}})
        self.event(svc, NORMAL, "EnsuredLoadBalancer", "Ensured load balancer")
        return None


class IngressController(Controller):
    """What ingress-nginx does for Ingresses of its classes: publish an address."""

    name = "ingress-nginx"
    component = "nginx-ingress-controller"
    watches = ("networking.k8s.io/ingresses", "networking.k8s.io/ingressclasses")
    resync_on_start = ("networking.k8s.io/ingresses",)

    def keys_for(self, change: Change) -> list[str]:
        if change.resource == "networking.k8s.io/ingresses":
            return [] if change.type == "DELETED" else [object_key(change.obj)]
        return [object_key(i) for i in self.store.list("networking.k8s.io/ingresses")]

    def _class(self, ingress: JSON) -> JSON | None:
        name = (ingress.get("spec") or {}).get("ingressClassName") or (
            ingress["metadata"].get("annotations") or {}
        ).get("kubernetes.io/ingress.class")
        if not name:
            return None
        return self.store.get("networking.k8s.io/ingressclasses", "", str(name))

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        ingress = self.store.get("networking.k8s.io/ingresses", namespace, name)
        if ingress is None or ingress["metadata"].get("deletionTimestamp"):
            return None
        ingress_class = self._class(ingress)
        served = (
            ingress_class is not None and (ingress_class.get("spec") or {}).get("controller") == "k8s.io/ingress-nginx"
        )
        wanted = {"loadBalancer": {"ingress": [{"ip": INGRESS_ADDRESS}]}} if served else {"loadBalancer": {}}
        first_sync = served and (ingress.get("status") or {}) != wanted
        self.write_status("networking.k8s.io/ingresses", ingress, wanted)
        if first_sync:
            self.event(ingress, NORMAL, "Sync", "Scheduled for sync")
        return None
