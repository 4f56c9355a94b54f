"""ResourceQuota: what objects use (Kubernetes' quota evaluators for pods, claims, services and object counts),
usage kept per namespace as writes happen (never a scan of the cluster), the ResourceQuota admission check with
the API server's messages, and the object's validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from kubesim import validation
from kubesim.pod_resources import ResourceList, pod_limits, pod_requests, resource_list
from kubesim.quantity import ZERO, Quantity, quantity
from kubesim.selectors import SelectorError, from_object
from kubesim.status import Cause
from kubesim.store import Change

JSON = dict[str, Any]

PODS = "/pods"
CLAIMS = "/persistentvolumeclaims"
SERVICES = "/services"
QUOTAS = "/resourcequotas"
LIMIT_RANGES = "/limitranges"

# Resources a pod is charged for (besides hugepages and extended resources, matched by prefix).
POD_RESOURCES = frozenset(
    {
        "count/pods",
        "cpu",
        "memory",
        "ephemeral-storage",
        "requests.cpu",
        "requests.memory",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "pods",
    }
)
# Kubernetes regrets these: when a quota covers one, every container must state it.
_MUST_SPECIFY = frozenset({"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"})
_CLAIM_SUFFIXES = (
    ".storageclass.storage.k8s.io/requests.storage",
    ".storageclass.storage.k8s.io/persistentvolumeclaims",
)
# Object counts that also have a short name.
_LEGACY_COUNTS = MappingProxyType(
    {
        "/configmaps": "configmaps",
        "/secrets": "secrets",
        "/replicationcontrollers": "replicationcontrollers",
        "/resourcequotas": "resourcequotas",
        SERVICES: "services",
        CLAIMS: "persistentvolumeclaims",
    }
)
STANDARD_QUOTA_RESOURCES = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
        "cpu",
        "memory",
        "requests.cpu",
        "requests.memory",
        "requests.storage",
        "requests.ephemeral-storage",
        "limits.cpu",
        "limits.memory",
        "limits.ephemeral-storage",
        "ephemeral-storage",
    }
)
_INTEGER_RESOURCES = frozenset(
    {
        "pods",
        "services",
        "replicationcontrollers",
        "resourcequotas",
        "secrets",
        "configmaps",
        "persistentvolumeclaims",
        "services.nodeports",
        "services.loadbalancers",
    }
)
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity")
_COMPUTE_SCOPED = frozenset(
    {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "pods", "count/pods"}
)


def count_name(resource: str) -> str:
    """``count/<plural>.<group>`` (core: ``count/<plural>``) for a storage key such as ``apps/deployments``."""
    group, _, plural = resource.partition("/")
    return f"count/{plural}.{group}" if group else f"count/{plural}"


def _one() -> Quantity:
    return Quantity(Decimal(1))


# --- what an object uses -------------------------------------------------------------------------------------------


def pod_charged(pod: Mapping[str, Any]) -> bool:
    """Finished pods no longer count against compute quota (their object count still does)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")


def _compute_usage(requests: ResourceList, limits: ResourceList) -> ResourceList:
    usage: ResourceList = {"pods": _one()}
    for name in ("cpu", "memory", "ephemeral-storage"):
        if name in requests:
            usage[name] = requests[name]
            usage[f"requests.{name}"] = requests[name]
        if name in limits:
            usage[f"limits.{name}"] = limits[name]
    for name, value in requests.items():
        if name.startswith("hugepages-"):
            usage[name] = value
            usage[f"requests.{name}"] = value
        elif "/" in name and not name.startswith(("kubernetes.io/", "requests.")):
            usage[f"requests.{name}"] = value
    return usage


def pod_usage(pod: Mapping[str, Any]) -> ResourceList:
    usage: ResourceList = {"count/pods": _one()}
    if pod_charged(pod):
        spec = pod.get("spec") or {}
        usage.update(_compute_usage(pod_requests(spec), pod_limits(spec)))
    return usage


def claim_usage(claim: Mapping[str, Any]) -> ResourceList:
    spec = claim.get("spec") or {}
    usage: ResourceList = {"count/persistentvolumeclaims": _one(), "persistentvolumeclaims": _one()}
    storage = resource_list((spec.get("resources") or {}).get("requests")).get("storage")
    storage_class = spec.get("storageClassName")
    if storage_class:
        usage[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] = _one()
    if storage is not None:
        usage["requests.storage"] = storage
        if storage_class:
            usage[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] = storage
    return usage


def service_usage(service: Mapping[str, Any]) -> ResourceList:
    spec = service.get("spec") or {}
    usage: ResourceList = {"count/services": _one(), "services": _one()}
    kind = spec.get("type") or "ClusterIP"
    ports = len(spec.get("ports") or [])
    if kind == "NodePort":
        usage["services.nodeports"] = Quantity(Decimal(ports))
    elif kind == "LoadBalancer":
        usage["services.loadbalancers"] = _one()
        if spec.get("allocateLoadBalancerNodePorts") is not False:
            usage["services.nodeports"] = Quantity(Decimal(ports))
    return usage


def object_usage(resource: str, obj: Mapping[str, Any]) -> ResourceList:
    if resource == PODS:
        return pod_usage(obj)
    if resource == CLAIMS:
        return claim_usage(obj)
    if resource == SERVICES:
        return service_usage(obj)
    usage = {count_name(resource): _one()}
    legacy = _LEGACY_COUNTS.get(resource)
    if legacy:
        usage[legacy] = _one()
    return usage


def matching_resources(resource: str, names: Iterable[str]) -> list[str]:
    """Which of a quota's resources the evaluator of ``resource`` accounts for."""
    wanted = set(object_usage(resource, {}))
    if resource == PODS:
        return [
            n
            for n in names
            if n in POD_RESOURCES
            or n.startswith(("hugepages-", "requests.hugepages-"))
            or (n.startswith("requests.") and "/" in n)
        ]
    if resource == CLAIMS:
        return [n for n in names if n in wanted or n == "requests.storage" or n.endswith(_CLAIM_SUFFIXES)]
    if resource == SERVICES:
        return [n for n in names if n in ("count/services", "services", "services.nodeports", "services.loadbalancers")]
    return [n for n in names if n in wanted]


def _is_best_effort(pod: Mapping[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    for list_name in ("containers", "initContainers"):
        for container in spec.get(list_name) or []:
            resources = (container or {}).get("resources") or {}
            for part in ("requests", "limits"):
                if any(name in ("cpu", "memory") for name in (resources.get(part) or {})):
                    return False
    return True


def _cross_namespace_affinity(pod: Mapping[str, Any]) -> bool:
    affinity = (pod.get("spec") or {}).get("affinity") or {}
    for kind in ("podAffinity", "podAntiAffinity"):
        rules = affinity.get(kind) or {}
        terms = list(rules.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        terms += [
            (w or {}).get("podAffinityTerm") or {}
            for w in rules.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        ]
        if any((t or {}).get("namespaces") or (t or {}).get("namespaceSelector") is not None for t in terms):
            return True
    return False


def scope_selectors(quota: Mapping[str, Any]) -> list[JSON]:
    spec = quota.get("spec") or {}
    selectors: list[JSON] = [{"scopeName": scope, "operator": "Exists"} for scope in spec.get("scopes") or []]
    selectors += list((spec.get("scopeSelector") or {}).get("matchExpressions") or [])
    return selectors


def pod_matches_scope(selector: Mapping[str, Any], pod: Mapping[str, Any]) -> bool:
    scope = str(selector.get("scopeName") or "")
    spec = pod.get("spec") or {}
    if scope in ("Terminating", "NotTerminating"):
        deadline = spec.get("activeDeadlineSeconds")
        terminating = bool(isinstance(deadline, int) and deadline >= 0)
        return terminating if scope == "Terminating" else not terminating
    if scope in ("BestEffort", "NotBestEffort"):
        return _is_best_effort(pod) == (scope == "BestEffort")
    if scope == "PriorityClass":
        priority_class = spec.get("priorityClassName") or ""
        if selector.get("operator") == "Exists":
            return bool(priority_class)
        labels = {"PriorityClass": priority_class} if priority_class else {}
        try:
            parsed = from_object(
                {
                    "matchExpressions": [
                        {
                            "key": "PriorityClass",
                            "operator": selector.get("operator"),
                            "values": selector.get("values") or [],
                        }
                    ]
                }
            )
        except SelectorError:
            return False
        return bool(parsed.matches(labels))
    if scope == "CrossNamespacePodAffinity":
        return _cross_namespace_affinity(pod)
    return False


def quota_matches(quota: Mapping[str, Any], resource: str, obj: Mapping[str, Any]) -> bool:
    hard = (quota.get("spec") or {}).get("hard") or {}
    if not matching_resources(resource, hard):
        return False
    selectors = scope_selectors(quota)
    if resource != PODS:
        return not selectors
    return all(pod_matches_scope(selector, obj) for selector in selectors)


def pretty(usage: Mapping[str, Quantity]) -> str:
    return ",".join(f"{name}={usage[name]}" for name in sorted(usage))


# --- usage as writes happen ----------------------------------------------------------------------------------------


@dataclass
class NamespaceUsage:
    totals: dict[str, Quantity] = field(default_factory=dict)
    # Per pod: what it is charged and the pod itself, for quotas with scopes (which count only some pods).
    pods: dict[str, tuple[ResourceList, JSON]] = field(default_factory=dict)


class QuotaUsage:
    """Usage per namespace, updated from every store change (a listener), plus the names of the ResourceQuotas and
    LimitRanges of each namespace: admission looks both up without listing the cluster."""

    def __init__(self) -> None:
        self._namespaces: dict[str, NamespaceUsage] = {}
        self._charges: dict[tuple[str, str, str], ResourceList] = {}
        self._names: dict[tuple[str, str], set[str]] = {}

    def names(self, resource: str, namespace: str) -> list[str]:
        return sorted(self._names.get((resource, namespace), ()))

    def pod_names(self, namespace: str) -> list[str]:
        usage = self._namespaces.get(namespace)
        return sorted(usage.pods) if usage is not None else []

    def has_quota(self, namespace: str) -> bool:
        return bool(self._names.get((QUOTAS, namespace)))

    def observe(self, change: Change) -> None:
        meta = change.obj.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        if not namespace:
            return
        name = str(meta.get("name"))
        if change.resource in (QUOTAS, LIMIT_RANGES):
            names = self._names.setdefault((change.resource, namespace), set())
            if change.type == "DELETED":
                names.discard(name)
                if not names:
                    del self._names[(change.resource, namespace)]
            else:
                names.add(name)
        self._charge(
            change.resource,
            namespace,
            name,
            None if change.type == "DELETED" else change.obj,
            change.old if change.type != "ADDED" else None,
        )

    def _charge(self, resource: str, namespace: str, name: str, obj: JSON | None, old: JSON | None) -> None:
        key = (resource, namespace, name)
        tracked = resource in (PODS, CLAIMS, SERVICES)
        if not tracked:
            # A plain object count changes only when the object comes or goes, and is the same for every object of
            # a resource: nothing to remember per object.
            if (obj is None) == (old is None):
                return
            before = object_usage(resource, old) if old is not None else {}
        elif (
            obj is not None
            and old is not None
            and key in self._charges
            and obj.get("spec") == old.get("spec")
            and (resource != PODS or pod_charged(obj) == pod_charged(old))
        ):
            if resource == PODS:
                self._namespaces[namespace].pods[name] = (self._charges[key], obj)
            return
        else:
            before = self._charges.pop(key, {})
        after = object_usage(resource, obj) if obj is not None else {}
        usage = self._namespaces.setdefault(namespace, NamespaceUsage())
        for res, value in before.items():
            usage.totals[res] = usage.totals.get(res, ZERO) - value
        for res, value in after.items():
            usage.totals[res] = usage.totals.get(res, ZERO) + value
        if after and tracked:
            self._charges[key] = after
        if resource == PODS:
            if obj is None:
                usage.pods.pop(name, None)
            else:
                usage.pods[name] = (after, obj)

    def rebuild(self, objects: Iterable[tuple[str, JSON]]) -> None:
        """Recount from scratch (after a snapshot was restored without change events)."""
        self._namespaces.clear()
        self._charges.clear()
        self._names.clear()
        for resource, obj in objects:
            self.observe(Change("ADDED", resource, 0, obj, None))

    def used(self, quota: Mapping[str, Any], names: Iterable[str]) -> dict[str, Quantity]:
        """What the quota's namespace uses now of each of ``names``, counting only pods in the quota's scopes."""
        namespace = str((quota.get("metadata") or {}).get("namespace") or "")
        usage = self._namespaces.get(namespace) or NamespaceUsage()
        selectors = scope_selectors(quota)
        if not selectors:
            return {name: usage.totals.get(name, ZERO) for name in names}
        totals: dict[str, Quantity] = {}
        for charged, pod in usage.pods.values():
            if all(pod_matches_scope(selector, pod) for selector in selectors):
                for res, value in charged.items():
                    totals[res] = totals.get(res, ZERO) + value
        return {name: totals.get(name, ZERO) for name in names}


def hard_of(quota: Mapping[str, Any]) -> dict[str, Quantity]:
    return resource_list((quota.get("spec") or {}).get("hard"))


def status_of(quota: Mapping[str, Any], usage: QuotaUsage) -> JSON:
    """``status.hard`` and ``status.used`` as the quota controller writes them."""
    hard = hard_of(quota)
    used = usage.used(quota, hard)
    return {
        "hard": {name: str(value) for name, value in sorted(hard.items())},
        "used": {name: str(value) for name, value in sorted(used.items())},
    }


# --- admission -----------------------------------------------------------------------------------------------------


def constraints(resource: str, required: Iterable[str], obj: Mapping[str, Any]) -> str | None:
    """``must specify limits.cpu for: app; requests.memory for: app,sidecar`` when a quota covers cpu or memory and
    a container does not state it (pods only; other kinds have no constraints)."""
    if resource != PODS:
        return None
    wanted = set(required) & _MUST_SPECIFY
    if not wanted:
        return None
    missing: dict[str, set[str]] = {}
    spec = obj.get("spec") or {}
    for list_name in ("containers", "initContainers"):
        for container in spec.get(list_name) or []:
            resources = (container or {}).get("resources") or {}
            has = set(_compute_usage(resource_list(resources.get("requests")), resource_list(resources.get("limits"))))
            for name in wanted - has:
                missing.setdefault(name, set()).add(str((container or {}).get("name")))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{name} for: {','.join(sorted(missing[name]))}" for name in sorted(missing))


def handles(resource: str, operation: str, subresource: str) -> bool:
    """Which writes a quota evaluator looks at: creates of anything; updates only of claims and services (a claim
    can grow, a service can change type)."""
    if subresource:
        return False
    return operation == "create" or (operation == "update" and resource in (CLAIMS, SERVICES))


def check(
    resource: str, obj: Mapping[str, Any], old: Mapping[str, Any] | None, quotas: list[JSON], usage: QuotaUsage
) -> str | None:
    """Why the write would exceed a quota of its namespace (the API server's wording), or None."""
    interesting: list[JSON] = []
    for quota in quotas:
        if not quota_matches(quota, resource, obj):
            continue
        restricted = matching_resources(resource, hard_of(quota))
        problem = constraints(resource, restricted, obj)
        if problem:
            return f"failed quota: {quota['metadata']['name']}: {problem}"
        interesting.append(quota)
    if not interesting:
        return None
    requested_all = object_usage(resource, obj)
    negative = sorted(name for name, value in requested_all.items() if value.value < 0)
    if negative:
        return f"quota usage is negative for resource(s): {','.join(negative)}"
    for quota in interesting:
        requested = dict(requested_all)
        if old is not None and quota_matches(quota, resource, old):
            before = object_usage(resource, old)
            requested = {
                name: Quantity(max(Decimal(0), value.value - before.get(name, ZERO).value), value.format)
                for name, value in requested.items()
            }
        hard = hard_of(quota)
        requested = {name: value for name, value in requested.items() if name in hard and value.value != 0}
        if not requested:
            continue
        used = usage.used(quota, requested)
        exceeded = sorted(name for name, value in requested.items() if (used[name] + value).value > hard[name].value)
        if exceeded:
            return (
                f"exceeded quota: {quota['metadata']['name']}, "
                f"requested: {pretty({n: requested[n] for n in exceeded})}, "
                f"used: {pretty({n: used[n] for n in exceeded})}, "
                f"limited: {pretty({n: hard[n] for n in exceeded})}"
            )
    return None


# --- the ResourceQuota object --------------------------------------------------------------------------------------


def validate_quota(obj: Mapping[str, Any]) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    hard = spec.get("hard") or {}
    if not isinstance(hard, dict):
        return [validation.invalid_value("spec.hard", hard, "must be a map of quantities")]
    for name, value in hard.items():
        where = f"spec.hard[{name}]"
        if (
            "/" not in str(name)
            and str(name) not in STANDARD_QUOTA_RESOURCES
            and not str(name).startswith(("hugepages-", "requests.hugepages-"))
        ):
            causes.append(validation.invalid_value(where, name, "must be a standard resource for quota"))
        try:
            parsed = quantity(value)
        except ValueError:
            causes.append(
                validation.invalid_value(
                    where,
                    value,
                    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                )
            )
            continue
        if parsed.value < 0:
            causes.append(validation.invalid_value(where, str(value), "must be greater than or equal to 0"))
        elif (
            str(name) in _INTEGER_RESOURCES or str(name).startswith("count/")
        ) and parsed.value != parsed.value.to_integral_value():
            causes.append(validation.invalid_value(where, str(value), "must be an integer"))
    scopes = [str(s) for s in spec.get("scopes") or []]
    for scope in scopes:
        if scope not in SCOPES:
            causes.append(validation.invalid_value("spec.scopes", scope, "unsupported scope"))
    for a, b in (("Terminating", "NotTerminating"), ("BestEffort", "NotBestEffort")):
        if a in scopes and b in scopes:
            causes.append(validation.invalid_value("spec.scopes", scopes, "conflicting scopes"))
    for index, expression in enumerate((spec.get("scopeSelector") or {}).get("matchExpressions") or []):
        where = f"spec.scopeSelector.matchExpressions[{index}]"
        if expression.get("scopeName") not in SCOPES:
            causes.append(
                validation.invalid_value(f"{where}.scopeName", expression.get("scopeName"), "unsupported scope")
            )
        operator = expression.get("operator")
        if operator not in ("In", "NotIn", "Exists", "DoesNotExist"):
            causes.append(validation.invalid_value(f"{where}.operator", operator, "not a valid selector operator"))
        elif operator in ("In", "NotIn") and not expression.get("values"):
            causes.append(
                validation.required(
                    f"{where}.values",
                    "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
                )
            )
        elif operator in ("Exists", "DoesNotExist") and expression.get("values"):
            causes.append(
                validation.invalid_value(
                    f"{where}.values",
                    expression.get("values"),
                    "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
                )
            )
    if scopes or (spec.get("scopeSelector") or {}).get("matchExpressions"):
        for name in hard:
            if str(name) not in _COMPUTE_SCOPED and not str(name).startswith("requests.hugepages-"):
                causes.append(validation.invalid_value("spec.hard", name, "unsupported scope applied to resource"))
    return causes
