"""CustomResourceDefinitions (names, scope, one storage version) and the custom resources they define (stored as
sent)."""

from __future__ import annotations

from typing import Any

from kubesim import validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class CustomResourceDefinitionStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        spec = obj.setdefault("spec", {})
        names = spec.setdefault("names", {})
        if names.get("kind"):
            names.setdefault("listKind", names["kind"] + "List")
        if names.get("plural"):
            names.setdefault("singular", str(names["kind"]).lower() if names.get("kind") else "")
        spec.setdefault("conversion", {"strategy": "None"})
        for version in spec.get("versions") or []:
            version.setdefault("served", True)
            version.setdefault("storage", False)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        causes: list[Cause] = []
        name = (obj.get("metadata") or {}).get("name")
        group = spec.get("group")
        if not group:
            causes.append(validation.required("spec.group"))
        for part in ("plural", "kind"):
            if not names.get(part):
                causes.append(validation.required(f"spec.names.{part}"))
        if group and names.get("plural") and name != f"{names['plural']}.{group}":
            causes.append(validation.invalid_value("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(validation.not_supported("spec.scope", spec.get("scope"), ["Cluster", "Namespaced"]))
        versions = spec.get("versions") or []
        if not versions:
            causes.append(
                validation.required("spec.versions", "must have exactly one version marked as storage version")
            )
        elif sum(1 for v in versions if v.get("storage")) != 1:
            causes.append(
                validation.invalid_value(
                    "spec.versions", versions, "must have exactly one version marked as storage version"
                )
            )
        if old is not None:
            if (old.get("spec") or {}).get("group") != group:
                causes.append(validation.immutable("spec.group", group))
            if (old.get("spec") or {}).get("scope") != spec.get("scope"):
                causes.append(validation.immutable("spec.scope", spec.get("scope")))
        return causes


class CustomResourceStrategy(Strategy):
    def initial_status(self, obj: JSON) -> JSON | None:
        return None
