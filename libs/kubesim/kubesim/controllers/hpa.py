"""HorizontalPodAutoscalers (autoscaling/v2): read the synthetic metrics of the target's pods, compute the
desired replica count as the real algorithm does (with its 10% tolerance), scale the target, report status."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kubesim import clock, quantity
from kubesim.apiserver import WriteOptions
from kubesim.controllers.base import Controller
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.controllers.objects import conditions_by_type, object_key, split_key, transition_time
from kubesim.metrics import pod_usage
from kubesim.selectors import from_object
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
HPA_CONTROLLER = "horizontal-pod-autoscaler"
HPAS = "autoscaling/horizontalpodautoscalers"
TOLERANCE = 0.1
TARGETS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "Deployment": ("apps", "deployments"),
        "StatefulSet": ("apps", "statefulsets"),
        "ReplicaSet": ("apps", "replicasets"),
    }
)


@dataclass
class Measured:
    """What the resource metrics say: (desired replicas, why) per metric, the metrics as status reports them, and
    why a metric could not be computed."""

    proposals: list[tuple[int, str]] = field(default_factory=list)
    current: list[JSON] = field(default_factory=list)
    problem: str = ""


def _usage(pods: list[JSON], resource_name: str) -> tuple[int, int, str]:
    """(usage, requests, a missing request) of ``resource_name`` over the pods' containers: CPU in millicores,
    memory in bytes."""
    usage_total = request_total = 0
    missing_request = ""
    for pod in pods:
        usage = pod_usage(pod)
        for c in (pod.get("spec") or {}).get("containers") or []:
            requests = (c.get("resources") or {}).get("requests") or {}
            cpu, mem = usage.get(c["name"], (0, 0))
            usage_total += cpu // 1_000_000 if resource_name == "cpu" else mem
            if resource_name == "cpu":
                requested = quantity.cpu_millis(requests.get("cpu"))
            else:
                requested = quantity.memory_bytes(requests.get("memory"))
            if not requested:
                missing_request = (
                    f"missing request for {resource_name} in container {c['name']} of Pod {pod['metadata']['name']}"
                )
            request_total += requested
    return usage_total, request_total, missing_request


def measure(metrics: list[JSON], pods: list[JSON], current: int) -> Measured:
    """Each Resource metric's proposal, as the real algorithm makes it: the ratio of usage to target, ignored
    within the 10 % tolerance, applied to the number of pods measured."""
    measured = Measured()
    for metric in metrics:
        if metric.get("type") != "Resource":
            continue
        resource = metric.get("resource") or {}
        resource_name = str(resource.get("name"))
        target_spec = resource.get("target") or {}
        usage_total, request_total, missing_request = _usage(pods, resource_name)
        if not pods:
            measured.problem = (
                f"failed to get {resource_name} utilization: did not receive metrics for targeted "
                f"pods (pods might be unready)"
            )
            continue
        average = usage_total // max(1, len(pods))
        rendered_average = f"{average}m" if resource_name == "cpu" else f"{average // 1024}Ki"
        if target_spec.get("type", "Utilization") == "Utilization":
            if missing_request:
                measured.problem = f"failed to get {resource_name} utilization: {missing_request}"
                continue
            utilization = round(usage_total * 100 / max(1, request_total))
            ratio = utilization / max(1, int(target_spec.get("averageUtilization") or 80))
            reported: JSON = {"averageUtilization": utilization, "averageValue": rendered_average}
        else:
            wanted_value = target_spec.get("averageValue") or target_spec.get("value")
            wanted_number = (
                quantity.cpu_millis(wanted_value) if resource_name == "cpu" else quantity.memory_bytes(wanted_value)
            )
            ratio = average / max(1, wanted_number)
            reported = {"averageValue": rendered_average}
        measured.current.append({"type": "Resource", "resource": {"name": resource_name, "current": reported}})
        desired = current if abs(ratio - 1.0) <= TOLERANCE else math.ceil(len(pods) * ratio)
        what = (
            "cpu resource utilization (percentage of request)"
            if resource_name == "cpu"
            else f"{resource_name} resource utilization (percentage of request)"
        )
        measured.proposals.append((desired, what))
    return measured


def desired_replicas(
    current: int, min_replicas: int, max_replicas: int, proposals: list[tuple[int, str]]
) -> tuple[int, str, bool]:
    """(desired count, why, whether the bounds limited it): the largest proposal, kept within the bounds; a target
    scaled to zero is left alone."""
    desired = current
    reason_text = ""
    if proposals:
        desired, reason_text = max(proposals)
    if current < min_replicas:
        desired, reason_text = min_replicas, "Current number of replicas below Spec.MinReplicas"
    limited = False
    if desired > max_replicas:
        desired, limited = max_replicas, True
    if desired < min_replicas:
        desired, limited = min_replicas, True
    if current == 0:
        desired = 0
    return desired, reason_text, limited


class _Conditions:
    """Conditions that keep their ``lastTransitionTime`` while their status stays."""

    def __init__(self, hpa: JSON, stamp: str) -> None:
        self.previous = conditions_by_type(hpa)
        self.stamp = stamp

    def __call__(self, kind: str, ok: bool, reason: str, message: str) -> JSON:
        value = "True" if ok else "False"
        return {
            "type": kind,
            "status": value,
            "lastTransitionTime": transition_time(self.previous, kind, value, self.stamp),
            "reason": reason,
            "message": message,
        }


class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"
    component = HPA_CONTROLLER
    watches = (HPAS,)
    resync_on_start = (HPAS,)

    def keys_for(self, change: Change) -> list[str]:
        return [] if change.type == "DELETED" else [object_key(change.obj)]

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        hpa = self.store.get(HPAS, namespace, name)
        if hpa is None or hpa["metadata"].get("deletionTimestamp"):
            return None
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        target_type = TARGETS.get(str(ref.get("kind")))
        target = self.store.get("/".join(target_type), namespace, str(ref.get("name"))) if target_type else None
        old_status = hpa.get("status") or {}
        status: JSON = {
            "currentReplicas": int(old_status.get("currentReplicas") or 0),
            "desiredReplicas": int(old_status.get("desiredReplicas") or 0),
        }
        if old_status.get("lastScaleTime"):
            status["lastScaleTime"] = old_status["lastScaleTime"]
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        condition = _Conditions(hpa, clock.rfc3339(clock.now()))
        if target is None or target_type is None:
            status["conditions"] = [self._target_missing(hpa, ref, target_type, condition)]
        else:
            self._scale(hpa, target, target_type, status, condition)
        self.write_status(HPAS, hpa, status)
        return self.timings.hpa_interval

    def _target_missing(
        self, hpa: JSON, ref: JSON, target_type: tuple[str, str] | None, condition: _Conditions
    ) -> JSON:
        """The AbleToScale condition of an HPA whose target is not there (the event only when it goes missing)."""
        group = target_type[0] if target_type else ""
        message = (
            f"{target_type[1] if target_type else str(ref.get('kind', '')).lower()}"
            f'{"." + group if group else ""} "{ref.get("name")}" not found'
        )
        if condition.previous.get("AbleToScale", {}).get("reason") != "FailedGetScale":
            self.event(hpa, WARNING, "FailedGetScale", message)
        return condition(
            "AbleToScale",
            False,
            "FailedGetScale",
            f"the HPA controller was unable to get the target's current scale: {message}",
        )

    def _scale(
        self, hpa: JSON, target: JSON, target_type: tuple[str, str], status: JSON, condition: _Conditions
    ) -> None:
        """Measure the target's running pods, scale the target to what they ask for, and fill in ``status``."""
        spec = hpa.get("spec") or {}
        target_spec = target.get("spec") or {}
        current = int(target_spec.get("replicas", 1))
        max_replicas = int(spec.get("maxReplicas", 1))
        selector = from_object(target_spec.get("selector"))
        pods = [
            p
            for p in self.store.list("/pods", hpa["metadata"]["namespace"])
            if selector.matches(p["metadata"].get("labels"))
            and (p.get("status") or {}).get("phase") == "Running"
            and not p["metadata"].get("deletionTimestamp")
        ]
        measured = measure(spec.get("metrics") or [], pods, current)
        desired, reason_text, limited = desired_replicas(
            current, int(spec.get("minReplicas", 1)), max_replicas, measured.proposals
        )
        if desired != current and desired > 0 and self._rescale(hpa, target_type, current, desired, reason_text):
            status["lastScaleTime"] = condition.stamp
        status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        if measured.current:
            status["currentMetrics"] = measured.current
        too_many = limited and desired == max_replicas
        status["conditions"] = [
            condition(
                "AbleToScale",
                True,
                "ReadyForNewScale" if desired == current else "SucceededRescale",
                "recommended size matches current size"
                if desired == current
                else f"the HPA controller was able to update the target scale to {desired}",
            ),
            condition(
                "ScalingActive",
                False,
                "FailedGetResourceMetric",
                f"the HPA was unable to compute the replica count: {measured.problem}",
            )
            if measured.problem and not measured.proposals
            else condition(
                "ScalingActive",
                True,
                "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from cpu resource utilization "
                "(percentage of request)",
            ),
            condition(
                "ScalingLimited",
                limited,
                "TooManyReplicas" if too_many else ("TooFewReplicas" if limited else "DesiredWithinRange"),
                "the desired replica count is more than the maximum replica count"
                if too_many
                else "the desired count is within the acceptable range",
            ),
        ]

    def _rescale(self, hpa: JSON, target_type: tuple[str, str], current: int, desired: int, reason_text: str) -> bool:
        """Scale the target through its scale subresource; whether it worked (either way there is an event)."""
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        try:
            self.api.update_scale(
                self.api.rt(*target_type),
                hpa["metadata"]["namespace"],
                str(ref.get("name")),
                {"spec": {"replicas": desired}},
                WriteOptions(field_manager=HPA_CONTROLLER),
            )
        except ApiError as exc:
            self.event(hpa, WARNING, "FailedRescale", f"New size: {desired}; reason: {exc.message}")
            return False
        direction = "above" if desired > current else "below"
        why = reason_text if reason_text.startswith("Current") else f"{reason_text} {direction} target"
        self.event(hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {why}")
        return True
