"""What a pod requests and limits in total, summed the way Kubernetes does for quota and LimitRange: regular and
sidecar containers add up, an init container only needs to fit on its own (plus the sidecars started before it),
and the pod overhead comes on top."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesim.quantity import Quantity, quantity

JSON = dict[str, Any]
ResourceList = dict[str, Quantity]


def resource_list(values: Any) -> ResourceList:
    """A ``requests``/``limits`` map as quantities (entries that are not quantities are left out: validation
    reports them)."""
    out: ResourceList = {}
    if not isinstance(values, Mapping):
        return out
    for name, value in values.items():
        try:
            out[str(name)] = quantity(value)
        except ValueError:
            continue
    return out


def add_into(total: ResourceList, more: ResourceList) -> None:
    for name, value in more.items():
        total[name] = total[name] + value if name in total else value


def max_into(total: ResourceList, other: ResourceList) -> None:
    for name, value in other.items():
        if name not in total or value.value > total[name].value:
            total[name] = value


def container_resources(container: Any, part: str) -> ResourceList:
    resources = container.get("resources") if isinstance(container, Mapping) else None
    return resource_list(resources.get(part) if isinstance(resources, Mapping) else None)


def _sum(spec: Mapping[str, Any], part: str, overhead: bool) -> ResourceList:
    total: ResourceList = {}
    for container in spec.get("containers") or []:
        add_into(total, container_resources(container, part))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for container in spec.get("initContainers") or []:
        own = container_resources(container, part)
        if isinstance(container, Mapping) and container.get("restartPolicy") == "Always":
            add_into(total, own)
            add_into(sidecars, own)
            needed = dict(sidecars)
        else:
            needed = dict(own)
            add_into(needed, sidecars)
        max_into(init_peak, needed)
    max_into(total, init_peak)
    if overhead:
        extra = resource_list(spec.get("overhead"))
        if part == "limits":
            # Overhead raises only the limits a pod has: an unlimited resource stays unlimited.
            extra = {name: value for name, value in extra.items() if name in total}
        add_into(total, extra)
    return total


def pod_requests(spec: Mapping[str, Any], *, overhead: bool = True) -> ResourceList:
    """(Quota counts the pod overhead; LimitRange's pod-level limits do not.)"""
    return _sum(spec, "requests", overhead)


def pod_limits(spec: Mapping[str, Any], *, overhead: bool = True) -> ResourceList:
    return _sum(spec, "limits", overhead)
