"""Deployments, ReplicaSets, StatefulSets and DaemonSets: defaults, selectors that must match their template,
update strategies, and what an update may change."""

from __future__ import annotations

from typing import Any

from kubesim import validation
from kubesim.intstr import scaled_value
from kubesim.selectors import SelectorError, from_object
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy
from kubesim.strategies.pods import default_template

JSON = dict[str, Any]


def _selector_causes(obj: JSON, field: str = "spec.selector") -> list[Cause]:
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if not selector:
        return [validation.required(field)]
    try:
        parsed = from_object(selector)
    except SelectorError as exc:
        return [validation.invalid_value(field, selector, str(exc))]
    if parsed.empty:
        return [validation.invalid_value(field, selector, "empty selector is invalid for deployment")]
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    if not parsed.matches(labels):
        return [
            validation.invalid_value(
                "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
            )
        ]
    return []


def _replicas_causes(spec: JSON, field: str = "spec.replicas") -> list[Cause]:
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or replicas < 0):
        return [validation.invalid_value(field, replicas, "must be greater than or equal to 0")]
    return []


class DeploymentStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = strategy.setdefault("rollingUpdate", {})
            rolling.setdefault("maxUnavailable", "25%")
            rolling.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        default_template(spec.get("template"))

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        template = spec.get("template") or {}
        causes += validation.pod_spec(template.get("spec"), "spec.template.spec", allowed_restart=("Always",))
        strategy = spec.get("strategy") or {}
        if strategy.get("type") not in ("RollingUpdate", "Recreate"):
            causes.append(
                validation.not_supported("spec.strategy.type", strategy.get("type"), ["Recreate", "RollingUpdate"])
            )
        if strategy.get("type") == "Recreate" and strategy.get("rollingUpdate"):
            causes.append(
                validation.forbidden(
                    "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"
                )
            )
        rolling = strategy.get("rollingUpdate") or {}
        if strategy.get("type") == "RollingUpdate":
            try:
                surge = scaled_value(rolling.get("maxSurge", "25%"), 100, True)
                unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), 100, False)
            except ValueError:
                causes.append(
                    validation.invalid_value(
                        "spec.strategy.rollingUpdate", rolling, "must be an integer or percentage (e.g '5%')"
                    )
                )
            else:
                if surge == 0 and unavailable == 0:
                    causes.append(
                        validation.invalid_value(
                            "spec.strategy.rollingUpdate.maxUnavailable", 0, "may not be 0 when `maxSurge` is 0"
                        )
                    )
        if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
            causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class ReplicaSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        default_template(spec.get("template"))

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"replicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        causes += validation.pod_spec(
            (spec.get("template") or {}).get("spec"), "spec.template.spec", allowed_restart=("Always",)
        )
        if old is not None and (old.get("spec") or {}).get("selector") != spec.get("selector"):
            causes.append(validation.immutable("spec.selector", spec.get("selector")))
        return causes


class StatefulSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        update = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if update.get("type", "RollingUpdate") == "RollingUpdate":
            update.setdefault("type", "RollingUpdate")
            update.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
        default_template(spec.get("template"))
        for claim in spec.get("volumeClaimTemplates") or []:
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim.setdefault("metadata", {})
            claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
            claim.setdefault("status", {"phase": "Pending"})

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"replicas": 0, "availableReplicas": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        causes = _selector_causes(obj) + _replicas_causes(spec)
        claims = tuple(str((c.get("metadata") or {}).get("name")) for c in spec.get("volumeClaimTemplates") or [])
        causes += validation.pod_spec(
            (spec.get("template") or {}).get("spec"),
            "spec.template.spec",
            allowed_restart=("Always",),
            claim_templates=claims,
        )
        if old is not None:
            old_spec = old.get("spec") or {}
            allowed = (
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
            )
            if {k: v for k, v in spec.items() if k not in allowed} != {
                k: v for k, v in old_spec.items() if k not in allowed
            }:
                causes.append(
                    validation.forbidden(
                        "spec",
                        "updates to statefulset spec for fields other than "
                        "'replicas', 'ordinals', 'template', 'updateStrategy', "
                        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' "
                        "are forbidden",
                    )
                )
        return causes


class DaemonSetStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        update = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if update.get("type") == "RollingUpdate":
            update.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        default_template(spec.get("template"))

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        return _selector_causes(obj) + validation.pod_spec(
            (spec.get("template") or {}).get("spec"), "spec.template.spec", allowed_restart=("Always",)
        )
