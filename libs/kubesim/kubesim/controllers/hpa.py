"""HorizontalPodAutoscalers (autoscaling/v2): read the synthetic metrics of the target's pods, compute the
desired replica count as the real algorithm does (with its 10% tolerance), scale the target, report status."""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from kubesim import clock, quantity
from kubesim.apiserver import WriteOptions
from kubesim.controllers.base import Controller, object_key, split_key
from kubesim.controllers.events import NORMAL, WARNING
from kubesim.selectors import from_object
from kubesim.status import ApiError
from kubesim.store import Change

JSON = dict[str, Any]
HPA_CONTROLLER = "horizontal-pod-autoscaler"
TOLERANCE = 0.1
TARGETS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "Deployment": ("apps", "deployments"), "StatefulSet": ("apps", "statefulsets"),
    "ReplicaSet": ("apps", "replicasets")})


class HorizontalPodAutoscalerController(Controller):
    name = "horizontal-pod-autoscaler"
    watches = ("autoscaling/horizontalpodautoscalers",)
    resync_on_start = ("autoscaling/horizontalpodautoscalers",)

    def keys_for(self, change: Change) -> list[str]:
        return [] if change.type == "DELETED" else [object_key(change.obj)]

    def reconcile(self, key: str) -> float | None:
        namespace, name = split_key(key)
        hpa = self.store.get("autoscaling/horizontalpodautoscalers", namespace, name)
        if hpa is None or hpa["metadata"].get("deletionTimestamp"):
            return None
        interval = self.cluster.timings.hpa_interval
        spec = hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        stamp = clock.rfc3339(clock.now())
        old_status = hpa.get("status") or {}
        conditions_before = {c.get("type"): c for c in old_status.get("conditions") or []}

        def condition(kind: str, ok: bool, reason: str, message: str) -> JSON:
            value = "True" if ok else "False"
            before = conditions_before.get(kind)
            since = before.get("lastTransitionTime") if before and before.get("status") == value else stamp
            return {"type": kind, "status": value, "lastTransitionTime": since, "reason": reason, "message": message}

        target_type = TARGETS.get(str(ref.get("kind")))
        target = self.store.get("/".join(target_type), namespace, str(ref.get("name"))) if target_type else None
        status: JSON = {"currentReplicas": int(old_status.get("currentReplicas") or 0),
                        "desiredReplicas": int(old_status.get("desiredReplicas") or 0)}
        if old_status.get("lastScaleTime"):
            status["lastScaleTime"] = old_status["lastScaleTime"]
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        if target is None or target_type is None:
            group = target_type[0] if target_type else ""
            message = f'{target_type[1] if target_type else str(ref.get("kind", "")).lower()}' \
                      f'{"." + group if group else ""} "{ref.get("name")}" not found'
            if conditions_before.get("AbleToScale", {}).get("reason") != "FailedGetScale":
                self.cluster.events.record(hpa, WARNING, "FailedGetScale", message, HPA_CONTROLLER)
            status["conditions"] = [condition("AbleToScale", False, "FailedGetScale",
                                              f"the HPA controller was unable to get the target's current scale: "
                                              f"{message}")]
            self._write(hpa, status)
            return interval
        current = int((target.get("spec") or {}).get("replicas", 1))
        min_replicas = int(spec.get("minReplicas", 1))
        max_replicas = int(spec.get("maxReplicas", 1))
        selector = from_object((target.get("spec") or {}).get("selector"))
        pods = [p for p in self.store.list("/pods", namespace) if selector.matches(p["metadata"].get("labels"))
                and (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        proposals: list[tuple[int, str]] = []
        current_metrics: list[JSON] = []
        metric_problem = ""
        for metric in spec.get("metrics") or []:
            if metric.get("type") != "Resource":
                continue
            resource = metric.get("resource") or {}
            resource_name = str(resource.get("name"))
            target_spec = resource.get("target") or {}
            usage_total = 0
            request_total = 0
            missing_request = ""
            for pod in pods:
                usage = self.cluster.metrics.pod_usage(pod)
                for c in (pod.get("spec") or {}).get("containers") or []:
                    requests = (c.get("resources") or {}).get("requests") or {}
                    cpu, mem = usage.get(c["name"], (0, 0))
                    usage_total += cpu // 1_000_000 if resource_name == "cpu" else mem
                    if resource_name == "cpu":
                        requested = quantity.cpu_millis(requests.get("cpu"))
                    else:
                        requested = quantity.memory_bytes(requests.get("memory"))
                    if not requested:
                        missing_request = f"missing request for {resource_name} in container {c['name']} of Pod " \
                                          f"{pod['metadata']['name']}"
                    request_total += requested
            if not pods:
                metric_problem = f"failed to get {resource_name} utilization: did not receive metrics for targeted " \
                                 f"pods (pods might be unready)"
                continue
            average = usage_total // max(1, len(pods))
            rendered_average = f"{average}m" if resource_name == "cpu" else f"{average // 1024}Ki"
            if target_spec.get("type", "Utilization") == "Utilization":
                if missing_request:
                    metric_problem = f"failed to get {resource_name} utilization: {missing_request}"
                    continue
                utilization = round(usage_total * 100 / max(1, request_total))
                wanted = int(target_spec.get("averageUtilization") or 80)
                ratio = utilization / max(1, wanted)
                current_metrics.append({"type": "Resource", "resource": {
                    "name": resource_name, "current": {"averageUtilization": utilization,
                                                       "averageValue": rendered_average}}})
            else:
                wanted_value = target_spec.get("averageValue") or target_spec.get("value")
                wanted_number = quantity.cpu_millis(wanted_value) if resource_name == "cpu" \
                    else quantity.memory_bytes(wanted_value)
                ratio = average / max(1, wanted_number)
                current_metrics.append({"type": "Resource", "resource": {
                    "name": resource_name, "current": {"averageValue": rendered_average}}})
            desired = current if abs(ratio - 1.0) <= TOLERANCE else math.ceil(len(pods) * ratio)
            what = "cpu resource utilization (percentage of request)" if resource_name == "cpu" else \
                f"{resource_name} resource utilization (percentage of request)"
            proposals.append((desired, what))
        conditions: list[JSON] = []
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
        conditions.append(condition("AbleToScale", True, "ReadyForNewScale" if desired == current else
                                    "SucceededRescale", "recommended size matches current size" if desired == current
                                    else f"the HPA controller was able to update the target scale to {desired}"))
        if metric_problem and not proposals:
            conditions.append(condition("ScalingActive", False, "FailedGetResourceMetric",
                                        f"the HPA was unable to compute the replica count: {metric_problem}"))
        else:
            conditions.append(condition("ScalingActive", True, "ValidMetricFound",
                                        "the HPA was able to successfully calculate a replica count from cpu "
                                        "resource utilization (percentage of request)"))
        conditions.append(condition("ScalingLimited", limited, "TooManyReplicas" if limited and desired ==
                                    max_replicas else ("TooFewReplicas" if limited else "DesiredWithinRange"),
                                    "the desired replica count is more than the maximum replica count" if limited
                                    and desired == max_replicas else "the desired count is within the acceptable "
                                                                     "range"))
        if desired != current and desired > 0:
            try:
                target_rt = self.api.rt(*target_type)
                self.api.update_scale(target_rt, namespace, str(ref.get("name")),
                                      {"spec": {"replicas": desired}}, WriteOptions(field_manager=HPA_CONTROLLER))
                direction = "above" if desired > current else "below"
                why = reason_text if reason_text.startswith("Current") else f"{reason_text} {direction} target"
                self.cluster.events.record(hpa, NORMAL, "SuccessfulRescale", f"New size: {desired}; reason: {why}",
                                           HPA_CONTROLLER)
                status["lastScaleTime"] = stamp
            except ApiError as exc:
                self.cluster.events.record(hpa, WARNING, "FailedRescale", f"New size: {desired}; reason: "
                                                                          f"{exc.message}", HPA_CONTROLLER)
        status["currentReplicas"] = current
        status["desiredReplicas"] = desired
        if current_metrics:
            status["currentMetrics"] = current_metrics
        status["conditions"] = conditions
        self._write(hpa, status)
        return interval

    def _write(self, hpa: JSON, status: JSON) -> None:
        if (hpa.get("status") or {}) == status:
            return
        updated = copy.deepcopy(hpa)
        updated["status"] = status
        self.api.write(self.api.rt("autoscaling", "horizontalpodautoscalers"), updated, HPA_CONTROLLER, "status")
