"""The tenancy policy's model: defaults from the environment, a project's limits on top, bad values refused."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from oneclick_core.tenancy import (
    DEFAULT_ANNOTATIONS,
    ProjectLimits,
    TenancyPolicy,
    TenancySettings,
    matches_key,
)


def test_the_settings_defaults_are_the_policys_defaults() -> None:
    assert TenancySettings().tenancy_policy() == TenancyPolicy()


def test_every_default_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "POD_SECURITY": "restricted",
        "MAX_REPLICAS": "3",
        "QUOTA_CPU": "500m",
        "QUOTA_PODS": "7",
        "QUOTA_VOLUMES": "0",
        "QUOTA_STORAGE": "1Ti",
        "INGRESS_CLASSES": "nginx, traefik",
        "INGRESS_DOMAINS": "Apps.Example.com.",
        "ANNOTATIONS": "cert-manager.io/*",
        "DEFAULT_LIMIT_MEMORY": "1Gi",
        "REGISTRY_ALLOWED_NETWORKS": "10.0.0.0/8, 127.0.0.1",
    }.items():
        monkeypatch.setenv(f"ONECLICK_TENANCY_{name}", value)
    settings = TenancySettings()
    policy = settings.tenancy_policy()
    assert policy.pod_security == "restricted"
    assert policy.max_replicas == 3
    assert (
        policy.quota["requests.cpu"],
        policy.quota["pods"],
        policy.quota["persistentvolumeclaims"],
        policy.quota["requests.storage"],
    ) == ("500m", "7", "0", "1Ti")
    assert policy.ingress_classes == ("nginx", "traefik")
    assert policy.ingress_domains == ("apps.example.com",)
    assert policy.annotations == ("cert-manager.io/*",)
    assert policy.limit_defaults.default_limit_memory == "1Gi"
    assert settings.registry_allowed_networks() == [
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    ]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("POD_SECURITY", "lax"),
        ("QUOTA_CPU", "lots"),
        ("QUOTA_MEMORY", "-1Gi"),
        ("QUOTA_PODS", "0"),
        ("MAX_REPLICAS", "0"),
        ("REGISTRY_ALLOWED_NETWORKS", "intranet"),
        ("DEFAULT_REQUEST_CPU", "1e3"),
    ],
)
def test_a_bad_setting_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(f"ONECLICK_TENANCY_{name}", value)
    with pytest.raises(ValidationError):
        TenancySettings()


def test_a_projects_limits_replace_only_what_they_name() -> None:
    limits = ProjectLimits.model_validate({"podSecurity": "privileged", "quota": {"pods": "100"}})
    policy = TenancyPolicy().with_limits(limits)
    assert policy.pod_security == "privileged"
    assert policy.quota["pods"] == "100"
    assert policy.quota["requests.cpu"] == TenancyPolicy().quota["requests.cpu"]
    assert policy.max_replicas == TenancyPolicy().max_replicas
    assert TenancyPolicy().with_limits(None) == TenancyPolicy()


@pytest.mark.parametrize(
    "limits",
    [
        {"podSecurity": "root"},
        {"maxReplicas": 0},
        {"quota": {"pods": "1.5"}},
        {"quota": {"requests.cpu": "x"}},
        {"quota": {"count/secrets": "3"}},
        {"exec": True},
        {"unknown": 1},
    ],
)
def test_invalid_limits_are_refused(limits: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ProjectLimits.model_validate(limits)


def test_keys_match_exactly_or_by_prefix() -> None:
    assert matches_key("cert-manager.io/cluster-issuer", DEFAULT_ANNOTATIONS)
    assert not matches_key("nginx.ingress.kubernetes.io/server-snippet", DEFAULT_ANNOTATIONS)
    assert matches_key("node-role.kubernetes.io/master", ("node-role.kubernetes.io/*",))
    assert not matches_key("node-role.kubernetes.io", ("node-role.kubernetes.io/*",))
