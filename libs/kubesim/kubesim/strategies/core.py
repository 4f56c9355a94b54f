"""The small core kinds: Namespaces, ConfigMaps, Secrets, Events, Nodes, ServiceAccounts, and the admission
policies ResourceQuota and LimitRange (whose rules live in ``quota`` and ``limit_ranger``)."""

from __future__ import annotations

import base64
import binascii
import copy
from typing import Any

from kubesim import limit_ranger, quota, validation
from kubesim.status import Cause
from kubesim.strategies.base import Admission, Strategy

JSON = dict[str, Any]


class NamespaceStrategy(Strategy):
    name_rule = "label"

    def default(self, obj: JSON, admission: Admission) -> None:
        meta = obj.setdefault("metadata", {})
        labels = meta.setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = meta.get("name", "")
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])

    def prepare_create(self, obj: JSON, admission: Admission) -> None:
        obj["status"] = {"phase": "Active"}
        obj["spec"] = {"finalizers": ["kubernetes"]}

    def initial_status(self, obj: JSON) -> JSON | None:
        return {"phase": "Active"}

    def prepare_update(self, new: JSON, old: JSON, admission: Admission) -> None:
        # spec.finalizers change only through the finalize subresource.
        new["spec"] = copy.deepcopy(old.get("spec") or {})


class ConfigMapStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = validation.config_keys(obj.get("data"), "data") + validation.config_keys(
            obj.get("binaryData"), "binaryData"
        )
        if (
            old is not None
            and old.get("immutable")
            and (old.get("data") != obj.get("data") or old.get("binaryData") != obj.get("binaryData"))
        ):
            causes.append(validation.forbidden("data", "field is immutable when `immutable` is set"))
        return causes


class SecretStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        obj.setdefault("type", "Opaque")
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict):
            data = obj.setdefault("data", {}) or {}
            for key, value in string_data.items():
                data[key] = base64.b64encode(str(value).encode()).decode()
            obj["data"] = data
        # The API server decodes data as Go's base64 does, skipping line breaks (kustomize wraps long values),
        # and stores bytes: what it serves back is one unbroken line.
        data = obj.get("data")
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, str):
                    data[key] = value.replace("\r", "").replace("\n", "")

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = validation.config_keys(obj.get("data"), "data")
        for key, value in (obj.get("data") or {}).items():
            try:
                base64.b64decode(str(value), validate=True)
            except (binascii.Error, ValueError):
                causes.append(
                    validation.invalid_value(f"data[{key}]", "<secret contents redacted>", "illegal base64 data")
                )
        if old is not None and old.get("type") != obj.get("type"):
            causes.append(validation.immutable("type", obj.get("type")))
        return causes


class EventStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        causes = []
        involved = obj.get("involvedObject") or {}
        meta_ns = (obj.get("metadata") or {}).get("namespace")
        if involved.get("namespace") and meta_ns and involved["namespace"] != meta_ns:
            causes.append(
                validation.invalid_value(
                    "involvedObject.namespace", involved["namespace"], "does not match event.namespace"
                )
            )
        return causes


class ResourceQuotaStrategy(Strategy):
    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return quota.validate_quota(obj)


class LimitRangeStrategy(Strategy):
    def default(self, obj: JSON, admission: Admission) -> None:
        limit_ranger.default_limit_range(obj)

    def validate(self, obj: JSON, old: JSON | None, admission: Admission) -> list[Cause]:
        return limit_ranger.validate_limit_range(obj)


class NodeStrategy(Strategy):
    def initial_status(self, obj: JSON) -> JSON | None:
        return None


class ServiceAccountStrategy(Strategy):
    pass
