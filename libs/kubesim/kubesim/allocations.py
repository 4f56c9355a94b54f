"""What the API server allocates for Services: ClusterIPs from 10.96.0.0/16 and NodePorts from 30000-32767, each
held until the Service that has it is removed (random picks, reproducible with the cluster's seed)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from kubesim.names import NameSource
from kubesim.status import ApiError

JSON = dict[str, Any]
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/16")


class ServiceAddresses:
    def __init__(self, names: NameSource) -> None:
        self.names = names
        self.cluster_ips: set[str] = set()
        self.node_ports: set[int] = set()

    def cluster_ip(self) -> str:
        hosts = SERVICE_CIDR.num_addresses - 2
        for _ in range(1000):
            candidate = str(SERVICE_CIDR.network_address + 11 + int(self.names.hex(8), 16) % (hosts - 11))
            if candidate not in self.cluster_ips:
                self.cluster_ips.add(candidate)
                return candidate
        raise ApiError(500, "InternalError", "failed to allocate a serviceIP: range is full")

    def node_port(self) -> int:
        for _ in range(5000):
            candidate = 30000 + int(self.names.hex(6), 16) % 2768
            if candidate not in self.node_ports:
                self.node_ports.add(candidate)
                return candidate
        raise ApiError(500, "InternalError", "failed to allocate a nodePort: range is full")

    def release(self, service: JSON) -> None:
        spec = service.get("spec") or {}
        self.cluster_ips.discard(str(spec.get("clusterIP")))
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                self.node_ports.discard(int(port["nodePort"]))

    def rebuild(self, services: Iterable[JSON]) -> None:
        """Hold what the stored Services have (after a restore from a snapshot)."""
        self.cluster_ips.clear()
        self.node_ports.clear()
        for svc in services:
            spec = svc.get("spec") or {}
            if spec.get("clusterIP") and spec["clusterIP"] != "None":
                self.cluster_ips.add(str(spec["clusterIP"]))
            for port in spec.get("ports") or []:
                if port.get("nodePort"):
                    self.node_ports.add(int(port["nodePort"]))
