"""Where a workload object keeps the pod it will create: what Pod Security evaluates for each kind."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Json = Mapping[str, Any]
_EMPTY: Json = {}

# Kinds whose pod template is at spec.template (group-qualified kinds are matched on the kind alone: no other API
# group reuses these names for something without a pod template).
_TEMPLATE_KINDS = frozenset({"Deployment", "ReplicaSet", "ReplicationController", "StatefulSet", "DaemonSet", "Job"})


def _map(value: Any) -> Json:
    return value if isinstance(value, Mapping) else _EMPTY


def pod_template(obj: Mapping[str, Any]) -> tuple[Json, Json] | None:
    """``(metadata, spec)`` of the pod ``obj`` is or will create, for Pods, PodTemplates, Deployments, ReplicaSets,
    ReplicationControllers, StatefulSets, DaemonSets, Jobs and CronJobs; None for other kinds and for objects
    without a template."""
    kind = obj.get("kind")
    spec = _map(obj.get("spec"))
    if kind == "Pod":
        return _map(obj.get("metadata")), spec
    if kind == "PodTemplate":
        template: Any = obj.get("template")
    elif kind in _TEMPLATE_KINDS:
        template = spec.get("template")
    elif kind == "CronJob":
        template = _map(_map(spec.get("jobTemplate")).get("spec")).get("template")
    else:
        return None
    if not isinstance(template, Mapping):
        return None
    return _map(template.get("metadata")), _map(template.get("spec"))
