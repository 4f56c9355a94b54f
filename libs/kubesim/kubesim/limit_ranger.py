"""LimitRange: the object's own defaulting and validation, and the LimitRanger admission plugin (defaults filled
into containers without requests/limits, with the ``kubernetes.io/limit-ranger`` annotation; min, max and
maxLimitRequestRatio enforced on pods and claims) with the API server's messages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from kubesim import validation
from kubesim.pod_resources import ResourceList, container_resources, pod_limits, pod_requests, resource_list
from kubesim.quantity import Quantity, quantity
from kubesim.status import Cause

JSON = dict[str, Any]

ANNOTATION = "kubernetes.io/limit-ranger"
LIMIT_TYPES = ("Pod", "Container", "PersistentVolumeClaim")
_CONTAINER_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})
_QUANTITY_RULE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def _items(limit_range: Mapping[str, Any]) -> list[JSON]:
    return [item for item in ((limit_range.get("spec") or {}).get("limits") or []) if isinstance(item, dict)]


# --- the LimitRange object -----------------------------------------------------------------------------------------


def default_limit_range(obj: JSON) -> None:
    """Container items: a missing default limit is the max, a missing default request the default limit, else the
    min (the API server's defaulting of LimitRangeItem)."""
    for item in _items(obj):
        if item.get("type") != "Container":
            continue
        if not all(isinstance(item.get(key) or {}, dict) for key in ("max", "min", "default", "defaultRequest")):
            continue  # validation reports it
        default: JSON = item.setdefault("default", {}) or {}
        default_request: JSON = item.setdefault("defaultRequest", {}) or {}
        for source, target in (
            (item.get("max") or {}, default),
            (default, default_request),
            (item.get("min") or {}, default_request),
        ):
            for name, value in source.items():
                target.setdefault(name, value)
        item["default"], item["defaultRequest"] = default, default_request
        for key in ("default", "defaultRequest"):
            if not item.get(key):
                item.pop(key, None)


def _container_resource_name(name: str) -> bool:
    return name in _CONTAINER_RESOURCES or name.startswith("hugepages-") or "/" in name


def validate_limit_range(obj: JSON) -> list[Cause]:
    causes: list[Cause] = []
    seen_types: set[str] = set()
    for index, item in enumerate(_items(obj)):
        path = f"spec.limits[{index}]"
        kind = str(item.get("type") or "")
        if not kind:
            causes.append(validation.invalid_value(f"{path}.type", kind, "name part must be non-empty"))
        elif "/" not in kind and kind not in LIMIT_TYPES:
            causes.append(
                validation.invalid_value(f"{path}.type", kind, "must be a standard limit type or fully qualified")
            )
        if kind in seen_types:
            causes.append(validation.duplicate(f"{path}.type", kind))
        seen_types.add(kind)
        parsed: dict[str, dict[str, Quantity]] = {}
        for part in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            values = item.get(part) or {}
            if not isinstance(values, dict):
                causes.append(validation.invalid_value(f"{path}.{part}", values, "must be a map of quantities"))
                continue
            if kind == "Pod" and part in ("default", "defaultRequest") and values:
                causes.append(validation.forbidden(f"{path}.{part}", "may not be specified when `type` is 'Pod'"))
                continue
            parsed[part] = {}
            for name, value in values.items():
                where = f"{path}.{part}[{name}]"
                if kind in ("Pod", "Container") and not _container_resource_name(str(name)):
                    causes.append(validation.invalid_value(where, name, "must be a standard resource for containers"))
                try:
                    parsed[part][str(name)] = quantity(value)
                except ValueError:
                    causes.append(validation.invalid_value(where, value, _QUANTITY_RULE))
        if (
            kind == "PersistentVolumeClaim"
            and "storage" not in (item.get("min") or {})
            and "storage" not in (item.get("max") or {})
        ):
            causes.append(
                validation.required(
                    f"{path}.limits", "either minimum or maximum storage value is required, but neither was provided"
                )
            )
        causes += _consistency(path, parsed)
    return causes


def _consistency(path: str, parsed: dict[str, dict[str, Quantity]]) -> list[Cause]:
    causes: list[Cause] = []
    lo, hi = parsed.get("min", {}), parsed.get("max", {})
    default, request, ratio = (
        parsed.get("default", {}),
        parsed.get("defaultRequest", {}),
        parsed.get("maxLimitRequestRatio", {}),
    )
    for name in sorted(set(lo) | set(hi) | set(default) | set(request) | set(ratio)):

        def bad(part: str, value: Quantity, detail: str, name: str = name) -> None:
            causes.append(validation.invalid_value(f"{path}.{part}[{name}]", str(value), detail))

        if name in lo and name in hi and lo[name].value > hi[name].value:
            bad("min", lo[name], f"min value {lo[name]} is greater than max value {hi[name]}")
        if name in request and name in lo and lo[name].value > request[name].value:
            bad(
                "defaultRequest",
                request[name],
                f"min value {lo[name]} is greater than default request value {request[name]}",
            )
        if name in request and name in hi and request[name].value > hi[name].value:
            bad(
                "defaultRequest",
                request[name],
                f"default request value {request[name]} is greater than max value {hi[name]}",
            )
        if name in request and name in default and request[name].value > default[name].value:
            bad(
                "defaultRequest",
                request[name],
                f"default request value {request[name]} is greater than default limit value {default[name]}",
            )
        if name in default and name in lo and lo[name].value > default[name].value:
            bad("default", lo[name], f"min value {lo[name]} is greater than default value {default[name]}")
        if name in default and name in hi and default[name].value > hi[name].value:
            bad("default", hi[name], f"default value {default[name]} is greater than max value {hi[name]}")
        if name in ratio and ratio[name].value < 1:
            bad("maxLimitRequestRatio", ratio[name], f"ratio {ratio[name]} is less than 1")
        if name in ratio and name in lo and name in hi and lo[name].value > 0:
            limit = float(hi[name].value / lo[name].value)
            if float(ratio[name].value) > limit:
                bad("maxLimitRequestRatio", ratio[name], f"ratio {ratio[name]} is greater than max/min = {limit:f}")
    return causes


# --- admission -----------------------------------------------------------------------------------------------------


def mutate_pod(pod: JSON, limit_ranges: list[JSON]) -> None:
    """Fill each container's missing requests and limits from the Container defaults of every LimitRange, and say
    so in the ``kubernetes.io/limit-ranger`` annotation."""
    spec = pod.get("spec") or {}
    for limit_range in limit_ranges:
        limits: dict[str, str] = {}
        requests: dict[str, str] = {}
        for item in _items(limit_range):
            if item.get("type") == "Container":
                requests.update({str(k): str(q) for k, q in resource_list(item.get("defaultRequest")).items()})
                limits.update({str(k): str(q) for k, q in resource_list(item.get("default")).items()})
        notes: list[str] = []
        for list_name, label in (("containers", "container"), ("initContainers", "init container")):
            for container in spec.get(list_name) or []:
                if isinstance(container, dict):
                    notes += _merge(container, requests, limits, label)
        if notes:
            annotations = pod.setdefault("metadata", {}).setdefault("annotations", {})
            annotations[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(notes)


def _merge(container: JSON, requests: dict[str, str], limits: dict[str, str], label: str) -> list[str]:
    resources = container.get("resources")
    if not isinstance(resources, dict):
        resources = container["resources"] = {}
    own_limits: JSON = resources["limits"] if isinstance(resources.get("limits"), dict) else {}
    own_requests: JSON = resources["requests"] if isinstance(resources.get("requests"), dict) else {}
    set_limits = sorted(name for name in limits if name not in own_limits)
    set_requests = sorted(name for name in requests if name not in own_requests)
    for name in set_limits:
        own_limits[name] = limits[name]
    for name in set_requests:
        own_requests[name] = requests[name]
    if own_limits:
        resources["limits"] = own_limits
    if own_requests:
        resources["requests"] = own_requests
    name = str(container.get("name"))
    notes = []
    if set_requests:
        notes.append(f"{', '.join(set_requests)} request for {label} {name}")
    if set_limits:
        notes.append(f"{', '.join(set_limits)} limit for {label} {name}")
    return notes


def _milli(value: Quantity) -> int:
    return math.ceil(value.value * 1000)


def _min(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    if name not in requests:
        return f"minimum {name} usage per {kind} is {enforced}.  No request is specified"
    if _milli(requests[name]) < _milli(enforced):
        return f"minimum {name} usage per {kind} is {enforced}, but request is {requests[name]}"
    if name in limits and _milli(limits[name]) < _milli(enforced):
        return f"minimum {name} usage per {kind} is {enforced}, but limit is {limits[name]}"
    return None


def _max(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    if name not in limits:
        return f"maximum {name} usage per {kind} is {enforced}.  No limit is specified"
    if _milli(limits[name]) > _milli(enforced):
        return f"maximum {name} usage per {kind} is {enforced}, but limit is {limits[name]}"
    if name in requests and _milli(requests[name]) > _milli(enforced):
        return f"maximum {name} usage per {kind} is {enforced}, but request is {requests[name]}"
    return None


def _max_request(kind: str, name: str, enforced: Quantity, requests: ResourceList) -> str | None:
    if name not in requests:
        return f"maximum {name} usage per {kind} is {enforced}.  No request is specified"
    if _milli(requests[name]) > _milli(enforced):
        return f"maximum {name} usage per {kind} is {enforced}, but request is {requests[name]}"
    return None


def _ratio(kind: str, name: str, enforced: Quantity, requests: ResourceList, limits: ResourceList) -> str | None:
    if name not in requests or _milli(requests[name]) == 0:
        return (
            f"{name} max limit to request ratio per {kind} is {enforced}, but no request is specified or request is 0"
        )
    if name not in limits or _milli(limits[name]) == 0:
        return f"{name} max limit to request ratio per {kind} is {enforced}, but no limit is specified or limit is 0"
    observed = _milli(limits[name]) / _milli(requests[name])
    if observed * 1000 > _milli(enforced):
        return f"{name} max limit to request ratio per {kind} is {enforced}, but provided ratio is {observed:f}"
    return None


def _check(kind: str, item: JSON, requests: ResourceList, limits: ResourceList) -> list[str]:
    found: list[str | None] = []
    found += [_min(kind, name, q, requests, limits) for name, q in sorted(resource_list(item.get("min")).items())]
    found += [_max(kind, name, q, requests, limits) for name, q in sorted(resource_list(item.get("max")).items())]
    found += [
        _ratio(kind, name, q, requests, limits)
        for name, q in sorted(resource_list(item.get("maxLimitRequestRatio")).items())
    ]
    return [problem for problem in found if problem]


def validate_pod(pod: JSON, limit_ranges: list[JSON]) -> str | None:
    """Why the pod breaks a LimitRange's min/max/ratio (all problems of the first LimitRange it breaks), or None."""
    spec = pod.get("spec") or {}
    for limit_range in limit_ranges:
        problems: list[str] = []
        for item in _items(limit_range):
            if item.get("type") == "Container":
                for list_name in ("containers", "initContainers"):
                    for container in spec.get(list_name) or []:
                        problems += _check(
                            "Container",
                            item,
                            container_resources(container, "requests"),
                            container_resources(container, "limits"),
                        )
            elif item.get("type") == "Pod":
                problems += _check("Pod", item, pod_requests(spec, overhead=False), pod_limits(spec, overhead=False))
        if problems:
            return aggregate(problems)
    return None


def validate_claim(claim: JSON, limit_ranges: list[JSON]) -> str | None:
    requests = resource_list(((claim.get("spec") or {}).get("resources") or {}).get("requests"))
    for limit_range in limit_ranges:
        problems: list[str | None] = []
        for item in _items(limit_range):
            if item.get("type") != "PersistentVolumeClaim":
                continue
            problems += [
                _min("PersistentVolumeClaim", name, q, requests, {})
                for name, q in sorted(resource_list(item.get("min")).items())
            ]
            problems += [
                _max_request("PersistentVolumeClaim", name, q, requests)
                for name, q in sorted(resource_list(item.get("max")).items())
            ]
        found = [problem for problem in problems if problem]
        if found:
            return aggregate(found)
    return None


def aggregate(messages: list[str]) -> str:
    """Several errors as the API server's error aggregate prints them: once each, in brackets when more than one."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
