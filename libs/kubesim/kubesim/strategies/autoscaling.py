"""HorizontalPodAutoscalers: the default CPU metric and the replica bounds."""

from __future__ import annotations

from typing import Any

from kubesim import validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class HorizontalPodAutoscalerStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("minReplicas", 1)
        if not spec.get("metrics"):
            spec["metrics"] = [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                }
            ]

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"currentReplicas": 0, "desiredReplicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = []
        ref = spec.get("scaleTargetRef") or {}
        if not ref.get("kind"):
            causes.append(validation.required("spec.scaleTargetRef.kind"))
        if not ref.get("name"):
            causes.append(validation.required("spec.scaleTargetRef.name"))
        max_replicas = spec.get("maxReplicas")
        if not isinstance(max_replicas, int) or max_replicas < 1:
            causes.append(validation.invalid_value("spec.maxReplicas", max_replicas, "must be greater than 0"))
        elif isinstance(spec.get("minReplicas"), int) and spec["minReplicas"] > max_replicas:
            causes.append(
                validation.invalid_value(
                    "spec.maxReplicas", max_replicas, "must be greater than or equal to `minReplicas`"
                )
            )
        return causes
