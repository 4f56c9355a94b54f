"""The tenancy policy applied to a manifest: what records refuses at save time and the k8s-executor refuses again
before applying, each problem under the manifest field at fault (PocketBase field errors keyed ``spec.…``).

Pure functions. Pod Security is checked on what the manifest renders to, with the same library kubesim's
admission uses (:mod:`podsecurity`), so the platform, the executor and the cluster refuse the same pods for the
same reasons. What needs the project's other deployments (the quota's sum) takes their usage as an argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import orjson

import podsecurity
from oneclick_core.errors import field_error
from oneclick_core.kinds import CRONJOB, DEPLOYMENT, SECRET
from oneclick_core.tenancy import COUNTED_RESOURCES, QUOTA_RESOURCES, TenancyPolicy, matches_key
from oneclick_manifest.model import IngressSpec, RolloutManifest, RolloutSpec
from oneclick_manifest.quantities import QuantityError, parse_quantity
from oneclick_manifest.rendering import Object, render, render_rollout_resource

FieldErrors = dict[str, dict[str, str]]
Usage = dict[str, Decimal]

# Ids for rendering a manifest that has none yet (a rollout being created): same lengths as real ones, so
# sizes come out the same.
PLACEHOLDER_ID = "000000000000000"

# The ingress-nginx controller's default annotation-value-word-blocklist, plus what ends or escapes a value in
# its generated configuration: annotations that pass the key allow-list still can't carry configuration.
_ANNOTATION_VALUE_BLOCKLIST = (
    "load_module",
    "lua_package",
    "_by_lua",
    "location",
    "root",
    "proxy_pass",
    "serviceaccount",
    "{",
    "}",
    "'",
    "\\",
    '"',
    ";",
    "\n",
    "\r",
)
_POD_SECURITY_FIELD = re.compile(
    r"^spec\.(?:(?:initContainers|containers|ephemeralContainers)\[\d+\]\.)?securityContext\.(?P<rest>[A-Za-z.]+)"
)
# Where the quota's resources come from in a manifest, to report an excess on.
_QUOTA_FIELDS: Mapping[str, str] = {
    "requests.cpu": "spec.resources.requests.cpu",
    "requests.memory": "spec.resources.requests.memory",
    "limits.cpu": "spec.resources.limits.cpu",
    "limits.memory": "spec.resources.limits.memory",
    "pods": "spec.horizontalScale.maxReplicas",
    "persistentvolumeclaims": "spec.volumes",
    "requests.storage": "spec.volumes",
}
_BYTE_UNITS = (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def policy_errors(
    manifest: RolloutManifest,
    policy: TenancyPolicy,
    *,
    project_id: str = PLACEHOLDER_ID,
    deployment_id: str = PLACEHOLDER_ID,
    rollout_id: str = PLACEHOLDER_ID,
) -> FieldErrors:
    """Everything in ``manifest`` that ``policy`` refuses on its own (the quota's sum over the project's other
    deployments is :func:`quota_errors`)."""
    spec = manifest.spec
    errors: FieldErrors = {}
    errors |= _replica_errors(spec, policy)
    errors |= _scheduling_errors(spec, policy)
    for index, interface in enumerate(spec.interfaces):
        if interface.ingress is not None:
            errors |= _ingress_errors(interface.ingress, f"spec.interfaces.{index}.ingress", policy)
    objects = render(
        manifest,
        project_id=project_id,
        deployment_id=deployment_id,
        rollout_id=rollout_id,
        user_id=PLACEHOLDER_ID,
        username="",
        display_name="",
        policy=policy,
    )
    for field, message in pod_security_problems(objects, policy):
        errors.setdefault(field, field_error("validation_pod_security", message))
    errors |= _size_errors(manifest, objects, policy, project_id, deployment_id, rollout_id)
    return errors


def pod_security_problems(objects: Iterable[Object], policy: TenancyPolicy) -> list[tuple[str, str]]:
    """(manifest field, message) for every Pod Security violation of the rendered pods under the policy's level."""
    level = policy.pod_security
    problems: list[tuple[str, str]] = []
    for obj in objects:
        template = podsecurity.pod_template(obj)
        if template is None:
            continue
        metadata, pod_spec = template
        for violation in podsecurity.check_pod(metadata, pod_spec, level):
            message = f'Not allowed by the "{level}" pod security level: {violation.reason} ({violation.detail}).'
            fields = [_manifest_field(field) for field in violation.fields] or ["spec"]
            problems.extend((field, message) for field in dict.fromkeys(fields))
    return problems


def _manifest_field(pod_field: str) -> str:
    # The manifest's securityContext becomes both the pod's and its container's (rendering): a problem in either
    # is the manifest's. Nothing else a check looks at can come from a manifest.
    match = _POD_SECURITY_FIELD.match(pod_field)
    return f"spec.securityContext.{match['rest']}" if match else "spec"


def _replica_errors(spec: RolloutSpec, policy: TenancyPolicy) -> FieldErrors:
    errors: FieldErrors = {}
    limit = policy.max_replicas
    scale = spec.horizontal_scale
    message = f"Must be at most {limit} (the most replicas a deployment of this project may run)."
    if scale.max_replicas > limit:
        errors["spec.horizontalScale.maxReplicas"] = field_error("validation_max_replicas", message)
    if scale.min_replicas > limit:
        errors["spec.horizontalScale.minReplicas"] = field_error("validation_max_replicas", message)
    return errors


def _scheduling_errors(spec: RolloutSpec, policy: TenancyPolicy) -> FieldErrors:
    errors: FieldErrors = {}
    reserved = policy.reserved_node_keys
    for key in spec.node_selector:
        if matches_key(key, reserved):
            errors[f"spec.nodeSelector.{key}"] = field_error(
                "validation_reserved_node",
                f"'{key}' selects nodes reserved for the cluster (control plane, "
                "cordoned nodes); tenants' pods can't be placed there.",
            )
    for index, toleration in enumerate(spec.tolerations):
        path = f"spec.tolerations.{index}.key"
        if not toleration.key:
            errors[path] = field_error(
                "validation_reserved_node",
                "Must name a taint: a toleration without a key tolerates every taint, the control plane's included.",
            )
        elif matches_key(toleration.key, reserved):
            errors[path] = field_error(
                "validation_reserved_node",
                f"'{toleration.key}' is a taint of nodes reserved for the cluster; tenants' pods can't tolerate it.",
            )
    return errors


def _ingress_errors(ingress: IngressSpec, path: str, policy: TenancyPolicy) -> FieldErrors:
    errors: FieldErrors = {}
    classes = policy.ingress_classes
    if classes and ingress.ingress_class and ingress.ingress_class not in classes:
        errors[f"{path}.ingressClass"] = field_error(
            "validation_ingress_class", f"Must be one of: {', '.join(classes)} (or empty for the cluster's default)."
        )
    for key, value in ingress.annotations.items():
        name = key.rsplit("/", 1)[-1]
        if name.endswith("snippet"):
            problem = "Configuration snippets are not allowed: the ingress controller runs them for every tenant."
        elif not matches_key(key, policy.annotations):
            problem = "Not an annotation tenants may set (see the platform's list of allowed ingress annotations)."
        elif any(word in value for word in _ANNOTATION_VALUE_BLOCKLIST):
            problem = "The value must not contain line breaks, quotes, braces, ';', '\\' or configuration keywords."
        else:
            continue
        errors[f"{path}.annotations.{key}"] = field_error("validation_annotation", problem)
    for index, rule in enumerate(ingress.rules):
        host = rule.host
        field = f"{path}.rules.{index}.host"
        if host.startswith("*"):
            errors[field] = field_error(
                "validation_wildcard_host", "Wildcard hosts are not allowed: a host belongs to one project."
            )
        elif host and policy.ingress_domains and not in_domains(host, policy.ingress_domains):
            errors[field] = field_error("validation_host_domain", f"Must end in {', '.join(policy.ingress_domains)}.")
    return errors


def in_domains(host: str, domains: Iterable[str]) -> bool:
    host = normalized_host(host)
    return any(host == domain or host.endswith(f".{domain}") for domain in domains)


def normalized_host(host: str) -> str:
    """The form a host is claimed in: DNS names are case-insensitive and ``example.com.`` is ``example.com``."""
    return host.strip().rstrip(".").lower()


def ingress_hosts(manifest: RolloutManifest) -> dict[str, str]:
    """The hosts the manifest's ingresses serve (normalized), each with the field it first appears in."""
    hosts: dict[str, str] = {}
    for index, interface in enumerate(manifest.spec.interfaces):
        if interface.ingress is None:
            continue
        for number, rule in enumerate(interface.ingress.rules):
            if rule.host:
                hosts.setdefault(normalized_host(rule.host), f"spec.interfaces.{index}.ingress.rules.{number}.host")
    return hosts


def _size_errors(
    manifest: RolloutManifest,
    objects: list[Object],
    policy: TenancyPolicy,
    project_id: str,
    deployment_id: str,
    rollout_id: str,
) -> FieldErrors:
    limit = policy.max_object_bytes
    errors: FieldErrors = {}
    # In operator mode the whole manifest travels as one Rollout object.
    resource = render_rollout_resource(
        manifest, project_id=project_id, deployment_id=deployment_id, rollout_id=rollout_id
    )
    for obj in [*objects, resource]:
        size = _json_size(obj)
        if size > limit:
            field = _largest_source(manifest.spec, obj)
            errors.setdefault(
                field,
                field_error(
                    "validation_too_large",
                    f"The {obj['kind']} this renders to would be {_bytes(Decimal(size))}; "
                    f"Kubernetes objects are limited to {_bytes(Decimal(limit))} here.",
                ),
            )
    return errors


def _largest_source(spec: RolloutSpec, obj: Object) -> str:
    """The manifest field most of an oversized object comes from."""
    kind = obj["kind"]
    if kind == SECRET.kind:
        return "spec.secrets" if spec.secrets else "spec.image.password"
    if kind == CRONJOB.kind:
        sizes = {
            f"spec.cronjobs.{index}": _json_size(cronjob.model_dump(by_alias=True))
            for index, cronjob in enumerate(spec.cronjobs)
        }
    else:
        dumped = spec.model_dump(by_alias=True, exclude={"cronjobs"} if kind == DEPLOYMENT.kind else set())
        sizes = {f"spec.{name}": _json_size(value) for name, value in dumped.items()}
    return max(sizes, key=lambda name: sizes[name]) if sizes else "spec"


def _json_size(value: Any) -> int:
    """Bytes of the value as compact JSON, as the API server stores it."""
    return len(orjson.dumps(value))


# -- quota --------------------------------------------------------------------------------------------------


def usage(manifest: RolloutManifest) -> Usage:
    """What a running deployment can take of its project's quota at most: every replica the autoscaler may run
    with its requests and limits, one pod of each cron job, and its volumes."""
    spec = manifest.spec
    replicas = Decimal(spec.horizontal_scale.max_replicas)
    total: Usage = dict.fromkeys(QUOTA_RESOURCES, Decimal(0))
    for amount, resources in ((replicas, spec.resources), *((Decimal(1), c.resources) for c in spec.cronjobs)):
        total["requests.cpu"] += amount * _amount(resources.requests.cpu)
        total["requests.memory"] += amount * _amount(resources.requests.memory)
        total["limits.cpu"] += amount * _amount(resources.limits.cpu)
        total["limits.memory"] += amount * _amount(resources.limits.memory)
    total["pods"] = replicas + len(spec.cronjobs)
    total["persistentvolumeclaims"] = Decimal(len(spec.volumes))
    total["requests.storage"] = sum((_amount(volume.size) for volume in spec.volumes), Decimal(0))
    return total


def add_usage(*usages: Usage) -> Usage:
    total: Usage = dict.fromkeys(QUOTA_RESOURCES, Decimal(0))
    for each in usages:
        for resource, amount in each.items():
            total[resource] = total.get(resource, Decimal(0)) + amount
    return total


def quota_errors(manifest: RolloutManifest, others: Usage, policy: TenancyPolicy) -> FieldErrors:
    """Where the deployment, with what the project's other running deployments use (``others``), would exceed the
    project's quota: on the manifest field the excess comes from, with the figures."""
    mine = usage(manifest)
    errors: FieldErrors = {}
    for resource, hard in policy.quota.items():
        limit = _amount(hard)
        needed = mine.get(resource, Decimal(0))
        used = others.get(resource, Decimal(0))
        if needed and needed + used > limit:
            field = _QUOTA_FIELDS[resource]
            over = needed + used - limit
            errors.setdefault(
                field,
                field_error(
                    "validation_quota_exceeded",
                    (
                        f"Exceeds the project's quota of {resource} ({_show(resource, limit)}) "
                        f"by {_show(resource, over)}: "
                        f"this deployment needs up to {_show(resource, needed)} and the project's other running "
                        f"deployments {_show(resource, used)}."
                    ),
                ),
            )
    return errors


def _amount(quantity: str) -> Decimal:
    try:
        return parse_quantity(quantity).value
    except QuantityError:  # the manifest model and the policy both validated it already
        return Decimal(0)


def _show(resource: str, value: Decimal) -> str:
    if resource in COUNTED_RESOURCES:
        return str(int(value))
    if resource.endswith("cpu"):
        return f"{value.normalize():f}" if value == value.to_integral_value() else f"{math.ceil(value * 1000)}m"
    return _bytes(value)


def _bytes(value: Decimal) -> str:
    for unit, size in _BYTE_UNITS:
        if value >= size:
            shown = (value / size).quantize(Decimal("0.1")).normalize()
            return f"{shown:f}{unit}"
    return f"{int(value)} bytes"
