"""The tenancy policy: what one project (a tenant) may ask of the shared cluster.

One model, read from the environment (``ONECLICK_TENANCY_*``) by every service that enforces a part of it,
with per-project :class:`ProjectLimits` that only superusers set (the project record's ``limits`` field).
records checks manifests against a project's :class:`TenancyPolicy` at save time, the k8s-executor again before
applying, and the cluster enforces what the executor renders from it (namespace Pod Security labels,
ResourceQuota, LimitRange, NetworkPolicy). The defaults suit a small team on a shared cluster.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from oneclick_core.settings import CoreSettings

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
POD_SECURITY_LEVELS: tuple[PodSecurityLevel, ...] = ("privileged", "baseline", "restricted")

# The ResourceQuota resources a project's quota may name (Kubernetes' own names, as in ``spec.hard``).
QuotaResource = Literal[
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "pods",
    "persistentvolumeclaims",
    "requests.storage",
]
QUOTA_RESOURCES: tuple[QuotaResource, ...] = (
    "requests.cpu",
    "requests.memory",
    "limits.cpu",
    "limits.memory",
    "pods",
    "persistentvolumeclaims",
    "requests.storage",
)
DEFAULT_QUOTA: Mapping[QuotaResource, str] = {
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    "pods": "40",
    "persistentvolumeclaims": "10",
    "requests.storage": "50Gi",
}
COUNTED_RESOURCES: frozenset[str] = frozenset({"pods", "persistentvolumeclaims"})

# Ingress annotations a tenant may set: what users of nginx, cert-manager and traefik need for their own
# host (body size, timeouts, rewrites, redirects, CORS, rate limits, certificate issuers). Nothing that injects
# configuration (``*-snippet``), points at another namespace or turns off authentication. ``prefix*`` entries
# allow every key that starts with the prefix.
DEFAULT_ANNOTATIONS: tuple[str, ...] = (
    "nginx.ingress.kubernetes.io/proxy-body-size",
    "nginx.ingress.kubernetes.io/proxy-connect-timeout",
    "nginx.ingress.kubernetes.io/proxy-read-timeout",
    "nginx.ingress.kubernetes.io/proxy-send-timeout",
    "nginx.ingress.kubernetes.io/proxy-buffer-size",
    "nginx.ingress.kubernetes.io/proxy-buffering",
    "nginx.ingress.kubernetes.io/rewrite-target",
    "nginx.ingress.kubernetes.io/use-regex",
    "nginx.ingress.kubernetes.io/app-root",
    "nginx.ingress.kubernetes.io/ssl-redirect",
    "nginx.ingress.kubernetes.io/force-ssl-redirect",
    "nginx.ingress.kubernetes.io/backend-protocol",
    "nginx.ingress.kubernetes.io/enable-cors",
    "nginx.ingress.kubernetes.io/cors-allow-origin",
    "nginx.ingress.kubernetes.io/cors-allow-methods",
    "nginx.ingress.kubernetes.io/cors-allow-headers",
    "nginx.ingress.kubernetes.io/cors-allow-credentials",
    "nginx.ingress.kubernetes.io/cors-max-age",
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/affinity",
    "nginx.ingress.kubernetes.io/session-cookie-name",
    "nginx.ingress.kubernetes.io/session-cookie-max-age",
    "nginx.ingress.kubernetes.io/websocket-services",
    "cert-manager.io/cluster-issuer",
    "cert-manager.io/issuer",
    "cert-manager.io/common-name",
    "cert-manager.io/duration",
    "cert-manager.io/renew-before",
    "acme.cert-manager.io/http01-edit-in-place",
    "traefik.ingress.kubernetes.io/router.entrypoints",
    "traefik.ingress.kubernetes.io/router.tls",
    "traefik.ingress.kubernetes.io/router.tls.certresolver",
    "traefik.ingress.kubernetes.io/router.priority",
)
# Node labels and taints that mark nodes a tenant's pods must not be steered onto or tolerate: the control
# plane, and cordoned or network-less nodes. ``prefix*`` entries cover every key with the prefix.
DEFAULT_RESERVED_NODE_KEYS: tuple[str, ...] = (
    "node-role.kubernetes.io/*",
    "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/network-unavailable",
)

# A quantity as a platform team writes it in a quota (``4``, ``500m``, ``16Gi``): a plain non-negative decimal
# with an optional suffix, no exponent or sign (Kubernetes accepts more; a policy needs no more).
_POLICY_QUANTITY = re.compile(r"^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_COUNT = re.compile(r"^[0-9]{1,9}$")


def _quantity(value: str) -> str:
    if not _POLICY_QUANTITY.match(value):
        raise ValueError(f"{value!r} is not a quantity such as '4', '500m' or '16Gi'")
    return value


def matches_key(key: str, patterns: tuple[str, ...]) -> bool:
    """Whether ``key`` is one of ``patterns`` (exact, or ``prefix*``)."""
    return any(key.startswith(pattern[:-1]) if pattern.endswith("*") else key == pattern for pattern in patterns)


PolicyQuantity = Annotated[str, AfterValidator(_quantity)]


class PolicyModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


def _quota_values(value: Mapping[str, str]) -> dict[str, str]:
    checked = {}
    for resource, amount in value.items():
        if resource in COUNTED_RESOURCES:
            if not _COUNT.match(amount):
                raise ValueError(f"{resource}: {amount!r} is not a whole number")
        else:
            _quantity(amount)
        checked[resource] = amount
    return checked


QuotaValues = Annotated[dict[QuotaResource, str], AfterValidator(_quota_values)]


class ProjectLimits(PolicyModel):
    """What a superuser changed for one project (the project record's ``limits``); unset fields keep the
    platform's defaults. Quota entries replace the default of the resource they name."""

    pod_security: PodSecurityLevel | None = None
    max_replicas: int | None = Field(None, ge=1, le=100_000)
    quota: QuotaValues | None = None


class LimitDefaults(PolicyModel):
    """The LimitRange of every project namespace: requests and limits a container gets when it names none."""

    default_request_cpu: PolicyQuantity = "100m"
    default_request_memory: PolicyQuantity = "128Mi"
    default_limit_cpu: PolicyQuantity = "500m"
    default_limit_memory: PolicyQuantity = "512Mi"


class TenancyPolicy(PolicyModel):
    """The policy in force for one project: the platform's defaults with the project's limits applied."""

    pod_security: PodSecurityLevel = "baseline"
    max_replicas: int = Field(10, ge=1, le=100_000)
    quota: QuotaValues = Field(default_factory=lambda: dict(DEFAULT_QUOTA))
    limit_defaults: LimitDefaults = LimitDefaults()
    ingress_classes: tuple[str, ...] = ()
    ingress_domains: tuple[str, ...] = ()
    ingress_namespace: str = "ingress-nginx"
    annotations: tuple[str, ...] = DEFAULT_ANNOTATIONS
    reserved_node_keys: tuple[str, ...] = DEFAULT_RESERVED_NODE_KEYS
    max_object_bytes: int = Field(1024 * 1024, ge=1024)

    def with_limits(self, limits: ProjectLimits | None) -> TenancyPolicy:
        """This policy with a project's limits applied (None: the defaults as they are)."""
        if limits is None:
            return self
        changes: dict[str, object] = {}
        if limits.pod_security is not None:
            changes["pod_security"] = limits.pod_security
        if limits.max_replicas is not None:
            changes["max_replicas"] = limits.max_replicas
        if limits.quota:
            changes["quota"] = {**self.quota, **limits.quota}
        return self.model_copy(update=changes)


def _items(value: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in value.split(",") if item.strip())


class TenancySettings(CoreSettings):
    """The tenancy policy's defaults from the environment, for the services that enforce it."""

    tenancy_pod_security: PodSecurityLevel = Field(
        "baseline",
        description="Pod Security Standard every project namespace enforces (baseline, restricted; "
        "privileged only for projects a superuser marks).",
    )
    tenancy_max_replicas: int = Field(10, ge=1, le=100_000, description="Most replicas of one deployment.")
    tenancy_quota_cpu: PolicyQuantity = Field("4", description="A project's ResourceQuota requests.cpu.")
    tenancy_quota_memory: PolicyQuantity = Field("8Gi", description="A project's ResourceQuota requests.memory.")
    tenancy_quota_limits_cpu: PolicyQuantity = Field("8", description="A project's ResourceQuota limits.cpu.")
    tenancy_quota_limits_memory: PolicyQuantity = Field("16Gi", description="A project's ResourceQuota limits.memory.")
    tenancy_quota_pods: int = Field(40, ge=1, le=100_000, description="A project's ResourceQuota pods.")
    tenancy_quota_volumes: int = Field(
        10, ge=0, le=100_000, description="A project's ResourceQuota persistentvolumeclaims (volumes)."
    )
    tenancy_quota_storage: PolicyQuantity = Field("50Gi", description="A project's ResourceQuota requests.storage.")
    tenancy_default_request_cpu: PolicyQuantity = Field(
        "100m", description="LimitRange defaultRequest.cpu for a container that names no request."
    )
    tenancy_default_request_memory: PolicyQuantity = Field("128Mi", description="LimitRange defaultRequest.memory.")
    tenancy_default_limit_cpu: PolicyQuantity = Field(
        "500m", description="LimitRange default.cpu for a container that names no limit."
    )
    tenancy_default_limit_memory: PolicyQuantity = Field("512Mi", description="LimitRange default.memory.")
    tenancy_ingress_classes: str = Field(
        "", description="Ingress classes a tenant may use, comma separated; empty: any class the cluster has."
    )
    tenancy_ingress_domains: str = Field(
        "",
        description="Domain suffixes ingress hosts must end in (e.g. apps.example.com), comma separated; "
        "empty: any host nobody else claimed.",
    )
    tenancy_ingress_namespace: str = Field(
        "ingress-nginx",
        description="Namespace of the ingress controller: the default NetworkPolicy lets its "
        "pods (and the project's own) reach a project's pods.",
    )
    tenancy_annotations: str = Field(
        ",".join(DEFAULT_ANNOTATIONS),
        description="Ingress annotations a tenant may set, comma separated, "
        "`prefix*` for every key with the prefix; `*-snippet` keys are refused whatever this says.",
    )
    tenancy_reserved_node_keys: str = Field(
        ",".join(DEFAULT_RESERVED_NODE_KEYS),
        description="Node label and taint keys a tenant's nodeSelector "
        "and tolerations must not name (control plane, cordoned nodes), comma separated, `prefix*` allowed.",
    )
    tenancy_max_object_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest rendered Kubernetes object (a real API server refuses objects over about 1.5 MB).",
    )
    tenancy_registry_allowed_networks: str = Field(
        "",
        description="Private, loopback or link-local networks (CIDRs, comma separated) the platform's own "
        "registry calls may reach, for in-house registries; `*` allows every address.",
    )
    tenancy_max_connections_per_user: int = Field(
        50,
        ge=1,
        le=100_000,
        description="Live WebSockets one user may hold open per edge replica, and as many "
        "realtime (SSE) connections; the next is refused (WebSocket close "
        "4429, HTTP 429 with Retry-After).",
    )

    @field_validator("tenancy_registry_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for item in _items(value):
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is neither a CIDR range nor '*'") from None
        return ",".join(_items(value))

    def tenancy_policy(self) -> TenancyPolicy:
        """The platform's default policy (a project without limits of its own)."""
        return TenancyPolicy(
            pod_security=self.tenancy_pod_security,
            max_replicas=self.tenancy_max_replicas,
            quota={
                "requests.cpu": self.tenancy_quota_cpu,
                "requests.memory": self.tenancy_quota_memory,
                "limits.cpu": self.tenancy_quota_limits_cpu,
                "limits.memory": self.tenancy_quota_limits_memory,
                "pods": str(self.tenancy_quota_pods),
                "persistentvolumeclaims": str(self.tenancy_quota_volumes),
                "requests.storage": self.tenancy_quota_storage,
            },
            limit_defaults=LimitDefaults(
                default_request_cpu=self.tenancy_default_request_cpu,
                default_request_memory=self.tenancy_default_request_memory,
                default_limit_cpu=self.tenancy_default_limit_cpu,
                default_limit_memory=self.tenancy_default_limit_memory,
            ),
            ingress_classes=_items(self.tenancy_ingress_classes),
            ingress_domains=tuple(domain.lower().strip(".") for domain in _items(self.tenancy_ingress_domains)),
            ingress_namespace=self.tenancy_ingress_namespace,
            annotations=_items(self.tenancy_annotations),
            reserved_node_keys=_items(self.tenancy_reserved_node_keys),
            max_object_bytes=self.tenancy_max_object_bytes,
        )

    def registry_allowed_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | Literal["*"]:
        """The networks the registry address policy lets the platform reach despite being private."""
        items = _items(self.tenancy_registry_allowed_networks)
        if "*" in items:
            return "*"
        return [ipaddress.ip_network(item, strict=False) for item in items]
