"""Field validation helpers shared by the per-kind strategies."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from kubesim import quantity
from kubesim.selectors import valid_label_key, valid_label_value
from kubesim.status import Cause

JSON = dict[str, Any]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")


def required(field: str, detail: str = "") -> Cause:
    return Cause("FieldValueRequired", f"Required value{': ' + detail if detail else ''}", field)


def invalid_value(field: str, value: Any, detail: str) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: {detail}", field)


def not_supported(field: str, value: Any, allowed: Sequence[str]) -> Cause:
    quoted = ", ".join(f'"{a}"' for a in allowed)
    return Cause("FieldValueNotSupported", f"Unsupported value: {_render(value)}: supported values: {quoted}", field)


def duplicate(field: str, value: Any) -> Cause:
    return Cause("FieldValueDuplicate", f"Duplicate value: {_render(value)}", field)


def forbidden(field: str, detail: str) -> Cause:
    return Cause("FieldValueForbidden", f"Forbidden: {detail}", field)


def immutable(field: str, value: Any) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {_render(value)}: field is immutable", field)


def _render(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def dns1123_label(value: str, field: str) -> list[Cause]:
    if len(value) > 63:
        return [invalid_value(field, value, "must be no more than 63 characters")]
    if not _DNS1123_LABEL.match(value):
        return [
            invalid_value(
                field,
                value,
                "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                "characters or '-', and must start and end with an alphanumeric character (e.g. "
                "'my-name',  or '123-abc', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            )
        ]
    return []


def dns1123_subdomain(value: str, field: str) -> list[Cause]:
    if len(value) > 253:
        return [invalid_value(field, value, "must be no more than 253 characters")]
    if not _DNS1123_SUBDOMAIN.match(value):
        return [
            invalid_value(
                field,
                value,
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                "'example.com', regex used for validation is "
                "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            )
        ]
    return []


def metadata(meta: Mapping[str, Any], *, name_rule: str = "subdomain", namespaced: bool) -> list[Cause]:
    causes: list[Cause] = []
    name = meta.get("name")
    if not name:
        causes.append(required("metadata.name", "name or generateName is required"))
    elif name_rule == "label":
        causes += dns1123_label(str(name), "metadata.name")
    elif name_rule == "subdomain":
        causes += dns1123_subdomain(str(name), "metadata.name")
    elif name_rule == "path" and (name in (".", "..") or "/" in str(name) or "%" in str(name)):
        causes.append(invalid_value("metadata.name", name, "may not contain '/' or '%'"))
    for key, value in (meta.get("labels") or {}).items():
        problem = valid_label_key(str(key))
        if problem:
            causes.append(invalid_value("metadata.labels", key, problem))
        if not isinstance(value, str):
            causes.append(invalid_value(f"metadata.labels[{key}]", value, "must be a string"))
            continue
        problem = valid_label_value(value)
        if problem:
            causes.append(invalid_value("metadata.labels", value, problem))
    for key, value in (meta.get("annotations") or {}).items():
        problem = valid_label_key(str(key))
        if problem:
            causes.append(invalid_value("metadata.annotations", key, problem))
        if not isinstance(value, str):
            causes.append(invalid_value(f"metadata.annotations[{key}]", value, "must be a string"))
    for i, ref in enumerate(meta.get("ownerReferences") or []):
        for part in ("apiVersion", "kind", "name", "uid"):
            if not ref.get(part):
                causes.append(required(f"metadata.ownerReferences[{i}].{part}"))
    controllers = [r for r in meta.get("ownerReferences") or [] if r.get("controller")]
    if len(controllers) > 1:
        causes.append(
            invalid_value("metadata.ownerReferences", "", "Only one reference can have Controller set to true")
        )
    return causes


def config_keys(data: Mapping[str, Any] | None, field: str) -> list[Cause]:
    causes = []
    for key in data or {}:
        if not _CONFIG_KEY.match(str(key)) or len(str(key)) > 253:
            causes.append(
                invalid_value(
                    f"{field}[{key}]",
                    key,
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                )
            )
    return causes


def resources(res: Mapping[str, Any] | None, field: str) -> list[Cause]:
    causes = []
    for part in ("limits", "requests"):
        for name, value in ((res or {}).get(part) or {}).items():
            if not quantity.is_valid(value):
                causes.append(
                    invalid_value(
                        f"{field}.{part}[{name}]",
                        value,
                        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                    )
                )
    limits = (res or {}).get("limits") or {}
    requests = (res or {}).get("requests") or {}
    for name in ("cpu", "memory"):
        if (
            name in limits
            and name in requests
            and quantity.is_valid(limits[name])
            and quantity.is_valid(requests[name])
            and quantity.parse(requests[name]) > quantity.parse(limits[name])
        ):
            causes.append(
                invalid_value(
                    f"{field}.requests", requests[name], f"must be less than or equal to {name} limit of {limits[name]}"
                )
            )
    return causes


def pod_spec(
    spec: Any,
    field: str,
    *,
    allowed_restart: tuple[str, ...] = ("Always", "OnFailure", "Never"),
    claim_templates: tuple[str, ...] = (),
) -> list[Cause]:
    """A pod spec (of a pod or a template at ``field``): containers, restart policy, volumes."""
    causes: list[Cause] = []
    if not isinstance(spec, dict):
        return [required(field)]
    if not spec.get("containers"):
        causes.append(required(f"{field}.containers"))
    seen: set[str] = set()
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)} | set(claim_templates)
    for list_name in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(list_name) or []):
            causes += _container(container, f"{field}.{list_name}[{i}]", seen, volumes)
    restart = spec.get("restartPolicy")
    if restart is not None and restart not in allowed_restart:
        causes.append(not_supported(f"{field}.restartPolicy", restart, list(allowed_restart)))
    seen_volumes: set[str] = set()
    for i, volume in enumerate(spec.get("volumes") or []):
        name = volume.get("name")
        if not name:
            causes.append(required(f"{field}.volumes[{i}].name"))
        elif name in seen_volumes:
            causes.append(duplicate(f"{field}.volumes[{i}].name", name))
        seen_volumes.add(str(name))
    return causes


def _container(container: Any, path: str, seen: set[str], volumes: set[Any]) -> list[Cause]:
    """One container; ``seen`` collects the names (unique across init and main containers)."""
    if not isinstance(container, dict):
        return [invalid_value(path, container, "must be an object")]
    causes: list[Cause] = []
    name = container.get("name")
    if not name:
        causes.append(required(f"{path}.name"))
    else:
        causes += dns1123_label(str(name), f"{path}.name")
        if name in seen:
            causes.append(duplicate(f"{path}.name", name))
        seen.add(str(name))
    image = container.get("image")
    if not image or not str(image).strip():
        causes.append(required(f"{path}.image"))
    causes += _container_ports(container.get("ports") or [], path)
    for j, env in enumerate(container.get("env") or []):
        if not env.get("name"):
            causes.append(required(f"{path}.env[{j}].name"))
        elif not _ENV_NAME.match(str(env["name"])):
            causes.append(
                invalid_value(
                    f"{path}.env[{j}].name",
                    env["name"],
                    "a valid environment variable name must consist of alphabetic characters, "
                    "digits, '_', '-', or '.', and must not start with a digit",
                )
            )
    for j, mount in enumerate(container.get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            causes.append(
                Cause("FieldValueNotFound", f'Not found: "{mount.get("name")}"', f"{path}.volumeMounts[{j}].name")
            )
        if not mount.get("mountPath"):
            causes.append(required(f"{path}.volumeMounts[{j}].mountPath"))
    causes += resources(container.get("resources"), f"{path}.resources")
    policy = container.get("imagePullPolicy")
    if policy not in (None, "Always", "IfNotPresent", "Never"):
        causes.append(not_supported(f"{path}.imagePullPolicy", policy, ["Always", "IfNotPresent", "Never"]))
    return causes


def _container_ports(ports: list[JSON], path: str) -> list[Cause]:
    causes: list[Cause] = []
    port_names: set[str] = set()
    for j, port in enumerate(ports):
        number = port.get("containerPort")
        if not isinstance(number, int) or not 0 < number < 65536:
            causes.append(
                invalid_value(f"{path}.ports[{j}].containerPort", number, "must be between 1 and 65535, inclusive")
            )
        if port.get("name"):
            if port["name"] in port_names:
                causes.append(duplicate(f"{path}.ports[{j}].name", port["name"]))
            port_names.add(port["name"])
        if port.get("protocol") not in (None, "TCP", "UDP", "SCTP"):
            causes.append(not_supported(f"{path}.ports[{j}].protocol", port.get("protocol"), ["SCTP", "TCP", "UDP"]))
    return causes


def label_selector(selector: Any, field: str) -> list[Cause]:
    """A ``metav1.LabelSelector``: valid label keys and values, operators with or without values as they need."""
    if selector is None:
        return []
    if not isinstance(selector, dict):
        return [invalid_value(field, selector, "must be a label selector")]
    causes: list[Cause] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        problem = valid_label_key(str(key))
        if problem:
            causes.append(invalid_value(f"{field}.matchLabels", key, problem))
        problem = valid_label_value(str(value))
        if problem:
            causes.append(invalid_value(f"{field}.matchLabels", value, problem))
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        where = f"{field}.matchExpressions[{index}]"
        expression = expression if isinstance(expression, dict) else {}
        operator = expression.get("operator")
        values = expression.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                causes.append(required(f"{where}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                causes.append(
                    forbidden(f"{where}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'")
                )
        else:
            causes.append(invalid_value(f"{where}.operator", operator, "not a valid selector operator"))
        problem = valid_label_key(str(expression.get("key") or ""))
        if problem:
            causes.append(invalid_value(f"{where}.key", expression.get("key") or "", problem))
        for value_index, value in enumerate(values):
            problem = valid_label_value(str(value))
            if problem:
                causes.append(invalid_value(f"{where}.values[{value_index}]", value, problem))
    return causes
