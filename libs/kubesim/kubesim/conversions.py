"""Converting objects between the served versions of one resource (the stored version is the hub)."""

from __future__ import annotations

import copy
import json
from typing import Any

JSON = dict[str, Any]

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"


def _is_cpu_utilization(metric: JSON) -> bool:
    resource = metric.get("resource") or {}
    return (
        metric.get("type") == "Resource"
        and resource.get("name") == "cpu"
        and (resource.get("target") or {}).get("type") == "Utilization"
    )


def _hpa_v2_to_v1(obj: JSON) -> JSON:
    """autoscaling/v2 -> v1: the CPU target becomes targetCPUUtilizationPercentage; what v1 cannot say travels in
    the annotations the API server uses for it."""
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v1"
    annotations = dict((out.get("metadata") or {}).get("annotations") or {})
    spec = out.setdefault("spec", {})
    metrics = spec.pop("metrics", None) or []
    spec.pop("behavior", None)
    cpu = next((m for m in metrics if _is_cpu_utilization(m)), None)
    if cpu is not None:
        spec["targetCPUUtilizationPercentage"] = (cpu["resource"].get("target") or {}).get("averageUtilization")
    others = [m for m in metrics if m is not cpu]
    if others:
        annotations[METRICS_ANNOTATION] = json.dumps(others, separators=(",", ":"))
    status = out.get("status")
    if isinstance(status, dict):
        current = status.pop("currentMetrics", None) or []
        conditions = status.pop("conditions", None)
        cpu_now = next(
            (m for m in current if m.get("type") == "Resource" and (m.get("resource") or {}).get("name") == "cpu"), None
        )
        if cpu_now is not None and (cpu_now["resource"].get("current") or {}).get("averageUtilization") is not None:
            status["currentCPUUtilizationPercentage"] = cpu_now["resource"]["current"]["averageUtilization"]
        other_current = [m for m in current if m is not cpu_now]
        if other_current:
            annotations[CURRENT_METRICS_ANNOTATION] = json.dumps(other_current, separators=(",", ":"))
        if conditions:
            annotations[CONDITIONS_ANNOTATION] = json.dumps(conditions, separators=(",", ":"))
    if annotations:
        out.setdefault("metadata", {})["annotations"] = annotations
    return out


def _hpa_v1_to_v2(obj: JSON) -> JSON:
    out = copy.deepcopy(obj)
    out["apiVersion"] = "autoscaling/v2"
    meta = out.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    spec = out.setdefault("spec", {})
    metrics: list[JSON] = []
    target = spec.pop("targetCPUUtilizationPercentage", None)
    if target is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}},
            }
        )
    extra = annotations.pop(METRICS_ANNOTATION, None)
    if extra:
        try:
            metrics += list(json.loads(extra))
        except ValueError:
            pass
    if metrics:
        spec["metrics"] = metrics
    status = out.get("status")
    if isinstance(status, dict):
        current: list[JSON] = []
        now = status.pop("currentCPUUtilizationPercentage", None)
        if now is not None:
            current.append({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": now}}})
        for key, field in ((CURRENT_METRICS_ANNOTATION, None), (CONDITIONS_ANNOTATION, "conditions")):
            text = annotations.pop(key, None)
            if not text:
                continue
            try:
                parsed = json.loads(text)
            except ValueError:
                continue
            if field is None:
                current += list(parsed)
            else:
                status[field] = parsed
        if current:
            status["currentMetrics"] = current
    else:
        annotations.pop(CURRENT_METRICS_ANNOTATION, None)
        annotations.pop(CONDITIONS_ANNOTATION, None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return out


def convert(obj: JSON, resource: str, target_api_version: str) -> JSON:
    """``obj`` as ``target_api_version``; versions without a schema difference only change apiVersion."""
    source = obj.get("apiVersion")
    if source == target_api_version:
        return obj
    if resource == "autoscaling/horizontalpodautoscalers":
        if (source, target_api_version) == ("autoscaling/v2", "autoscaling/v1"):
            return _hpa_v2_to_v1(obj)
        if (source, target_api_version) == ("autoscaling/v1", "autoscaling/v2"):
            return _hpa_v1_to_v2(obj)
    converted = dict(obj)
    converted["apiVersion"] = target_api_version
    return converted
