"""``metrics.k8s.io/v1beta1``: plausible, slowly varying CPU and memory usage for running pods and the node."""

from __future__ import annotations

import math
from typing import Any

from kubesim import clock, quantity
from kubesim.names import stable_fraction
from kubesim.resources import ResourceType
from kubesim.store import Store

JSON = dict[str, Any]
WINDOW_SECONDS = 15
MiB = 1 << 20


def container_usage(pod_uid: str, container: JSON, at: float) -> tuple[int, int]:
    """(CPU in nanocores, memory in bytes) of one container at time ``at``."""
    name = str(container.get("name"))
    base = stable_fraction(pod_uid, name, "cpu")
    mem_base = stable_fraction(pod_uid, name, "memory")
    wobble = 1 + 0.15 * math.sin(2 * math.pi * at / 300 + base * 6.28)
    requests = (container.get("resources") or {}).get("requests") or {}
    limits = (container.get("resources") or {}).get("limits") or {}
    cpu_request = quantity.cpu_millis(requests.get("cpu") or limits.get("cpu"))
    mem_request = quantity.memory_bytes(requests.get("memory") or limits.get("memory"))
    cpu_millis = cpu_request * (0.1 + 0.5 * base) if cpu_request else 2 + 45 * base
    memory = mem_request * (0.3 + 0.5 * mem_base) if mem_request else (20 + 180 * mem_base) * MiB
    cpu_limit = quantity.cpu_millis(limits.get("cpu"))
    mem_limit = quantity.memory_bytes(limits.get("memory"))
    cpu_millis *= wobble
    if cpu_limit:
        cpu_millis = min(cpu_millis, cpu_limit)
    if mem_limit:
        memory = min(memory, mem_limit * 0.95)
    return int(cpu_millis * 1_000_000), int(memory * (1 + 0.03 * math.sin(at / 97 + mem_base * 6.28)))


def _running(pod: JSON) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and not (pod.get("metadata") or {}).get("deletionTimestamp")


def pod_usage(pod: JSON, at: float | None = None) -> dict[str, tuple[int, int]]:
    """(CPU nanocores, memory bytes) of each running container of ``pod`` at ``at`` (now by default)."""
    at = clock.now() if at is None else at
    running = {
        cs.get("name")
        for cs in (pod.get("status") or {}).get("containerStatuses") or []
        if (cs.get("state") or {}).get("running")
    }
    uid = str(pod["metadata"].get("uid"))
    return {
        str(c["name"]): container_usage(uid, c, at)
        for c in (pod.get("spec") or {}).get("containers") or []
        if c.get("name") in running
    }


class Metrics:
    """The ``metrics.k8s.io`` listers the API server serves as virtual resources."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def pods(self, rt: ResourceType, namespace: str | None) -> list[JSON]:
        now = clock.now()
        out = []
        for pod in self.store.list("/pods", namespace):
            if not _running(pod):
                continue
            usage = pod_usage(pod, now)
            if not usage:
                continue
            meta = pod["metadata"]
            out.append(
                {
                    "kind": "PodMetrics",
                    "apiVersion": rt.api_version,
                    "metadata": {
                        "name": meta["name"],
                        "namespace": meta.get("namespace"),
                        "creationTimestamp": clock.rfc3339(now),
                        "labels": dict(meta.get("labels") or {}),
                    },
                    "timestamp": clock.rfc3339(now - 5),
                    "window": f"{WINDOW_SECONDS}s",
                    "containers": [
                        {
                            "name": name,
                            "usage": {"cpu": quantity.format_cpu_nanos(cpu), "memory": f"{memory // 1024}Ki"},
                        }
                        for name, (cpu, memory) in usage.items()
                    ],
                }
            )
        return out

    def nodes(self, rt: ResourceType, namespace: str | None) -> list[JSON]:
        now = clock.now()
        out = []
        for node in self.store.list("/nodes"):
            node_name = node["metadata"]["name"]
            cpu = int(250_000_000 * (1 + 0.1 * math.sin(now / 60)))
            memory = int(1.2 * (1 << 30))
            for pod in self.store.list("/pods"):
                if (pod.get("spec") or {}).get("nodeName") == node_name and _running(pod):
                    for c_cpu, c_mem in pod_usage(pod, now).values():
                        cpu += c_cpu
                        memory += c_mem
            out.append(
                {
                    "kind": "NodeMetrics",
                    "apiVersion": rt.api_version,
                    "metadata": {
                        "name": node_name,
                        "creationTimestamp": clock.rfc3339(now),
                        "labels": dict(node["metadata"].get("labels") or {}),
                    },
                    "timestamp": clock.rfc3339(now - 5),
                    "window": "20.052s",
                    "usage": {"cpu": quantity.format_cpu_nanos(cpu), "memory": f"{memory // 1024}Ki"},
                }
            )
        return out
