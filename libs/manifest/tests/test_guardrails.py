"""The tenancy policy applied to manifests: what each rule refuses, under which field, and what it lets through."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from oneclick_core.tenancy import ProjectLimits, TenancyPolicy
from oneclick_manifest.guardrails import (
    add_usage,
    ingress_hosts,
    normalized_host,
    policy_errors,
    quota_errors,
    usage,
)
from oneclick_manifest.model import validate_manifest

from .examples import DEPLOYMENT, FULL, NGINX, PROJECT, manifest

BASELINE = TenancyPolicy()
RESTRICTED = TenancyPolicy(pod_security="restricted")
PRIVILEGED = TenancyPolicy().with_limits(ProjectLimits(pod_security="privileged", max_replicas=1000))
HOSTILE_CONTEXT = {
    "privileged": True,
    "allowPrivilegeEscalation": True,
    "runAsUser": 0,
    "capabilities": {"add": ["ALL", "SYS_ADMIN"]},
}


def errors(data: dict[str, Any], policy: TenancyPolicy = BASELINE) -> dict[str, dict[str, str]]:
    return policy_errors(validate_manifest(data), policy, project_id=PROJECT, deployment_id=DEPLOYMENT)


def with_ingress(**ingress: Any) -> dict[str, Any]:
    return manifest(NGINX, interfaces=[{"name": "http", "port": 80, "ingress": {"ingressClass": "nginx", **ingress}}])


def test_the_blueprints_and_a_full_manifest_pass_the_default_policy() -> None:
    assert errors(NGINX) == {}
    assert errors(FULL) == {}


def test_a_privileged_container_is_refused_under_baseline_with_kubernetes_reasons() -> None:
    found = errors(manifest(NGINX, securityContext=HOSTILE_CONTEXT))
    assert found["spec.securityContext.privileged"] == {
        "code": "validation_pod_security",
        "message": f'Not allowed by the "baseline" pod security level: privileged (container "{DEPLOYMENT}" must '
        f"not set securityContext.privileged=true).",
    }
    assert "non-default capabilities" in found["spec.securityContext.capabilities.add"]["message"]
    assert '"ALL", "SYS_ADMIN"' in found["spec.securityContext.capabilities.add"]["message"]
    # baseline has no say on the user or escalation; restricted does.
    assert "spec.securityContext.runAsUser" not in found
    assert "spec.securityContext.allowPrivilegeEscalation" not in found


def test_baselines_own_capabilities_are_allowed() -> None:
    assert errors(manifest(NGINX, securityContext={"capabilities": {"add": ["NET_BIND_SERVICE", "CHOWN"]}})) == {}


def test_restricted_refuses_root_escalation_and_undropped_capabilities() -> None:
    found = errors(manifest(NGINX, securityContext=HOSTILE_CONTEXT), RESTRICTED)
    assert {
        "spec.securityContext.privileged",
        "spec.securityContext.capabilities.add",
        "spec.securityContext.allowPrivilegeEscalation",
        "spec.securityContext.runAsNonRoot",
        "spec.securityContext.runAsUser",
    } <= found.keys()
    assert all(
        problem["message"].startswith('Not allowed by the "restricted" pod security level')
        for problem in found.values()
    )
    # No securityContext at all: what restricted requires is named (the seccomp profile is the platform's part).
    bare = errors(NGINX, RESTRICTED)
    assert set(bare) == {"spec.securityContext.runAsNonRoot", "spec.securityContext.capabilities.drop"}


def test_a_hardened_manifest_passes_restricted_cron_jobs_included() -> None:
    hardened = manifest(
        FULL,
        securityContext={
            "runAsNonRoot": True,
            "runAsUser": 1000,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        },
    )
    assert errors(hardened, RESTRICTED) == {}


def test_a_privileged_project_may_run_what_baseline_refuses() -> None:
    assert errors(manifest(NGINX, securityContext=HOSTILE_CONTEXT), PRIVILEGED) == {}


@pytest.mark.parametrize("replicas", [11, 100, 2**31 - 1])
def test_replicas_are_bounded_by_the_policy(replicas: int) -> None:
    scale = {"minReplicas": replicas, "maxReplicas": replicas, "targetCPUUtilizationPercentage": 80}
    found = errors(manifest(NGINX, horizontalScale=scale))
    assert found["spec.horizontalScale.maxReplicas"]["code"] == "validation_max_replicas"
    assert "at most 10" in found["spec.horizontalScale.maxReplicas"]["message"]
    assert "spec.horizontalScale.minReplicas" in found
    # A superuser may raise a project's limit (here to 1000).
    raised = errors(manifest(NGINX, horizontalScale=scale), PRIVILEGED)
    assert ("spec.horizontalScale.maxReplicas" in raised) is (replicas > 1000)


def test_tolerating_everything_or_the_control_plane_is_refused() -> None:
    found = errors(
        manifest(
            NGINX,
            tolerations=[
                {"operator": "Exists"},
                {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
                {"key": "dedicated", "operator": "Equal", "value": "gpu"},
            ],
            nodeSelector={"node-role.kubernetes.io/control-plane": "", "kubernetes.io/arch": "amd64"},
        )
    )
    assert set(found) == {
        "spec.tolerations.0.key",
        "spec.tolerations.1.key",
        "spec.nodeSelector.node-role.kubernetes.io/control-plane",
    }


def test_wildcard_hosts_are_refused_and_domains_bound_hosts_when_set() -> None:
    found = errors(with_ingress(rules=[{"host": "*.example.com", "path": "/"}]))
    assert found["spec.interfaces.0.ingress.rules.0.host"]["code"] == "validation_wildcard_host"
    scoped = BASELINE.model_copy(update={"ingress_domains": ("apps.example.com",)})
    rules = [
        {"host": "web.apps.example.com"},
        {"host": "apps.example.com"},
        {"host": "evilapps.example.com"},
        {"host": "example.com"},
    ]
    assert set(errors(with_ingress(rules=rules), scoped)) == {
        "spec.interfaces.0.ingress.rules.2.host",
        "spec.interfaces.0.ingress.rules.3.host",
    }


def test_only_allowed_ingress_classes() -> None:
    limited = BASELINE.model_copy(update={"ingress_classes": ("nginx",)})
    assert errors(with_ingress(), limited) == {}
    found = errors(with_ingress(ingressClass="internal"), limited)
    assert found["spec.interfaces.0.ingress.ingressClass"]["code"] == "validation_ingress_class"


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("nginx.ingress.kubernetes.io/proxy-body-size", "16m", True),
        ("cert-manager.io/cluster-issuer", "letsencrypt", True),
        (
            "nginx.ingress.kubernetes.io/server-snippet",
            "location /x { proxy_pass http://kubernetes.default.svc; }",
            False,
        ),
        ("nginx.ingress.kubernetes.io/configuration-snippet", "more_set_headers x", False),
        ("nginx.ingress.kubernetes.io/auth-url", "http://10.0.0.1", False),
        ("team", "web", False),
        ("nginx.ingress.kubernetes.io/rewrite-target", "/$1; proxy_pass http://x", False),
        ("nginx.ingress.kubernetes.io/rewrite-target", "/x\n}", False),
    ],
)
def test_annotations_follow_the_allow_list_and_carry_no_configuration(key: str, value: str, allowed: bool) -> None:
    found = errors(with_ingress(annotations={key: value}))
    assert (f"spec.interfaces.0.ingress.annotations.{key}" not in found) is allowed, found


def test_an_object_over_the_size_limit_is_refused_on_the_field_it_comes_from() -> None:
    big = "x" * (5 * 1024 * 1024)
    found = errors(manifest(NGINX, env=[{"name": "BIG", "value": big}]))
    assert found["spec.env"]["code"] == "validation_too_large"
    assert "Deployment" in found["spec.env"]["message"]
    assert "1Mi" in found["spec.env"]["message"]
    secret = errors(manifest(NGINX, secrets=[{"name": "BIG", "value": big}]))
    assert "spec.secrets" in secret


def test_hosts_are_claimed_normalized() -> None:
    data = with_ingress(
        rules=[{"host": "app.example.com"}, {"host": "app.example.com", "path": "/api"}, {"host": "api.example.com"}]
    )
    assert ingress_hosts(validate_manifest(data)) == {
        "app.example.com": "spec.interfaces.0.ingress.rules.0.host",
        "api.example.com": "spec.interfaces.0.ingress.rules.2.host",
    }
    assert normalized_host("Alice.Example.COM.") == "alice.example.com"


def test_usage_counts_every_replica_cron_job_and_volume() -> None:
    spent = usage(validate_manifest(FULL))
    # FULL: 2..5 replicas of 100m/128Mi (limits 500m/256Mi), cron jobs of 50m/32Mi and 1/1Gi, volumes of 2Gi and
    # 500Mi.
    assert spent["pods"] == 5 + 2
    assert spent["requests.cpu"] == Decimal("0.5") + Decimal("0.05") + 1
    assert spent["requests.memory"] == 5 * 128 * 2**20 + 32 * 2**20 + 2**30
    assert spent["limits.cpu"] == Decimal("2.5") + Decimal("0.1") + 1
    assert spent["persistentvolumeclaims"] == 2
    assert spent["requests.storage"] == 2 * 2**30 + 500 * 2**20


def test_the_quota_counts_the_projects_other_running_deployments() -> None:
    nginx = validate_manifest(
        manifest(
            NGINX,
            resources={  # one small replica
                "requests": {"cpu": "10m", "memory": "16Mi"},
                "limits": {"cpu": "10m", "memory": "16Mi"},
            },
        )
    )
    assert quota_errors(nginx, add_usage(), BASELINE) == {}
    others = add_usage(*[usage(nginx)] * 39)
    assert quota_errors(nginx, others, BASELINE) == {}
    found = quota_errors(nginx, add_usage(others, usage(nginx)), BASELINE)
    assert found["spec.horizontalScale.maxReplicas"]["message"] == (
        "Exceeds the project's quota of pods (40) by 1: this deployment needs up to 1 and the project's other "
        "running deployments 40."
    )
    big = validate_manifest(
        manifest(
            NGINX, resources={"requests": {"cpu": "3950m", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "1Gi"}}
        )
    )
    cpu = quota_errors(big, add_usage(*[usage(nginx)] * 6), BASELINE)
    assert cpu == {
        "spec.resources.requests.cpu": {
            "code": "validation_quota_exceeded",
            "message": (
                "Exceeds the project's quota of requests.cpu (4) by 10m: this deployment needs up to 3950m and the "
                "project's other running deployments 60m."
            ),
        }
    }
