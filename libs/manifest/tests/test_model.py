"""Manifest validation: what is accepted, and the field path and code of every rejection."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from oneclick_core.errors import ApiError
from oneclick_manifest.model import RolloutManifest, manifest_error_data, validate_manifest

from .examples import FULL, NGINX, manifest

Mutation = Callable[[dict[str, Any]], None]


def spec_set(path: str, value: Any) -> Mutation:
    """Set a dotted path under ``spec`` (list indexes as numbers)."""

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data["spec"]
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def spec_delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data["spec"]
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


def errors_of(data: Any) -> dict[str, dict[str, str]]:
    with pytest.raises(ApiError) as caught:
        validate_manifest(data)
    assert caught.value.status == 400
    assert caught.value.message == "The manifest is invalid."
    return caught.value.data


OPERATOR_TEST_MANIFEST: dict[str, Any] = {  # test/test.yaml of janlauber/one-click-operator
    "apiVersion": "one-click.dev/v1alpha1",
    "kind": "Rollout",
    "metadata": {"name": "nginx", "namespace": "test"},
    "spec": {
        "image": {
            "registry": "docker.io",
            "repository": "nginx",
            "tag": "latest",
            "username": "test",
            "password": "test3",
        },
        "securityContext": {
            "runAsUser": 1000,
            "runAsGroup": 1000,
            "fsGroup": 1000,
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        },
        "horizontalScale": {"minReplicas": 1, "maxReplicas": 3, "targetCPUUtilizationPercentage": 80},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "200m", "memory": "256Mi"}},
        "env": [{"name": "REFLEX_USERNAME", "value": "admin"}, {"name": "DEBUG", "value": "true"}],
        "secrets": [{"name": "REFLEX_PASSWORD", "value": "admin"}, {"name": "ANOTHER_SECRET", "value": "122"}],
        "volumes": [{"name": "data", "mountPath": "/data", "size": "2Gi", "storageClass": "standard"}],
        "interfaces": [{"name": "http", "port": 80}],
        "serviceAccountName": "nginx",
    },
}


@pytest.mark.parametrize("data", [NGINX, FULL, OPERATOR_TEST_MANIFEST], ids=["nginx", "full", "operator-test"])
def test_realistic_manifests_are_valid(data: dict[str, Any]) -> None:
    assert validate_manifest(data).spec.image.tag


def test_camel_case_in_and_out() -> None:
    parsed = validate_manifest(FULL)
    assert parsed.spec.horizontal_scale.target_cpu_utilization_percentage == 70
    assert parsed.spec.interfaces[0].ingress is not None
    assert parsed.spec.interfaces[0].ingress.rules[1].tls_secret_name == "api-cert"
    out = parsed.to_json()
    assert out["spec"]["horizontalScale"]["targetCPUUtilizationPercentage"] == 70
    assert out["spec"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert out["spec"]["cronjobs"][0]["backoffLimit"] == 2
    assert out["spec"]["hostAliases"] == FULL["spec"]["hostAliases"]
    assert validate_manifest(out) == parsed


def test_defaults_follow_the_operator() -> None:
    spec = validate_manifest(manifest(NGINX, serviceAccountName=None, env=None, secrets=None, volumes=None)).spec
    assert spec.service_account_name == ""
    assert (spec.env, spec.secrets, spec.volumes, spec.cronjobs, spec.tolerations) == ([], [], [], [], [])
    assert spec.rollout_strategy == ""
    assert spec.security_context is None
    assert spec.image.username == spec.image.password == ""


def test_null_means_absent_as_in_go_json() -> None:
    data = manifest(NGINX, env=None)
    data["spec"]["env"] = None
    data["spec"]["interfaces"] = [{"name": "web", "port": 80, "ingress": {"ingressClass": "nginx", "rules": None}}]
    spec = validate_manifest(data).spec
    assert spec.env == []
    assert spec.interfaces[0].ingress is not None
    assert spec.interfaces[0].ingress.rules == []


def test_secret_names_are_trimmed_like_the_operator() -> None:
    spec = validate_manifest(manifest(NGINX, secrets=[{"name": " TOKEN ", "value": "x"}])).spec
    assert spec.secrets[0].name == "TOKEN"


def test_repr_never_shows_secret_values() -> None:
    parsed = validate_manifest(FULL)
    text = repr(parsed)
    for secret in ("s3cr3t", "hunter2", "k-123", "pa55"):
        assert secret not in text


@pytest.mark.parametrize(
    ("mutation", "path", "code"),
    [
        # Image.
        (spec_set("image.tag", ""), "spec.image.tag", "validation_invalid_tag"),
        (spec_set("image.tag", "has space"), "spec.image.tag", "validation_invalid_tag"),
        (spec_set("image.repository", ""), "spec.image.repository", "validation_invalid_repository"),
        (spec_set("image.repository", "Library/Nginx"), "spec.image.repository", "validation_invalid_repository"),
        (spec_set("image.registry", ""), "spec.image.registry", "validation_invalid_registry"),
        (spec_set("image.registry", "https://docker.io"), "spec.image.registry", "validation_invalid_registry"),
        (spec_delete("image.tag"), "spec.image.tag", "validation_missing"),
        (spec_set("image.tag", 1), "spec.image.tag", "validation_string_type"),
        # Scaling.
        (
            spec_set("horizontalScale.minReplicas", -1),
            "spec.horizontalScale.minReplicas",
            "validation_greater_than_equal",
        ),
        (spec_set("horizontalScale.maxReplicas", "3"), "spec.horizontalScale.maxReplicas", "validation_int_type"),
        (spec_set("horizontalScale.maxReplicas", 0), "spec.horizontalScale.maxReplicas", "validation_max_below_min"),
        (
            spec_set("horizontalScale", {"minReplicas": 0, "maxReplicas": 3}),
            "spec.horizontalScale.minReplicas",
            "validation_min_replicas",
        ),
        (
            spec_set("horizontalScale.targetCPUUtilizationPercentage", 0),
            "spec.horizontalScale.targetCPUUtilizationPercentage",
            "validation_greater_than_equal",
        ),
        (spec_delete("horizontalScale"), "spec.horizontalScale", "validation_missing"),
        # Resources.
        (spec_set("resources.requests.cpu", "lots"), "spec.resources.requests.cpu", "validation_invalid_quantity"),
        (spec_set("resources.limits.memory", "-1Gi"), "spec.resources.limits.memory", "validation_invalid_quantity"),
        (spec_set("resources.limits.memory", "1Gb"), "spec.resources.limits.memory", "validation_invalid_quantity"),
        (spec_set("resources.requests.cpu", "1"), "spec.resources.requests.cpu", "validation_request_above_limit"),
        (
            spec_set("resources.requests.memory", "1Gi"),
            "spec.resources.requests.memory",
            "validation_request_above_limit",
        ),
        (spec_delete("resources.limits"), "spec.resources.limits", "validation_missing"),
        # Environment and secrets.
        (spec_set("env", [{"name": "1ABC", "value": "x"}]), "spec.env.0.name", "validation_invalid_env_name"),
        (spec_set("env", [{"name": "A B", "value": "x"}]), "spec.env.0.name", "validation_invalid_env_name"),
        (
            spec_set("env", [{"name": "A", "value": "x"}, {"name": "A", "value": "y"}]),
            "spec.env.1.name",
            "validation_not_unique",
        ),
        (spec_set("env", [{"name": "A", "value": 1}]), "spec.env.0.value", "validation_string_type"),
        (spec_set("secrets", [{"name": "a=b", "value": "x"}]), "spec.secrets.0.name", "validation_invalid_env_name"),
        (
            spec_set("secrets", [{"name": "T", "value": "x"}, {"name": " T", "value": "y"}]),
            "spec.secrets.1.name",
            "validation_not_unique",
        ),
        # Volumes.
        (
            spec_set("volumes", [{"name": "Data", "mountPath": "/d", "size": "1Gi"}]),
            "spec.volumes.0.name",
            "validation_invalid_name",
        ),
        (
            spec_set("volumes", [{"name": "v" * 48, "mountPath": "/d", "size": "1Gi"}]),
            "spec.volumes.0.name",
            "validation_invalid_name",
        ),
        (
            spec_set("volumes", [{"name": "d", "mountPath": "data", "size": "1Gi"}]),
            "spec.volumes.0.mountPath",
            "validation_invalid_path",
        ),
        (
            spec_set("volumes", [{"name": "d", "mountPath": "/d", "size": "0"}]),
            "spec.volumes.0.size",
            "validation_invalid_quantity",
        ),
        (
            spec_set("volumes", [{"name": "d", "mountPath": "/d", "size": "1 GB"}]),
            "spec.volumes.0.size",
            "validation_invalid_quantity",
        ),
        (
            spec_set("volumes", [{"name": "d", "mountPath": "/d", "size": "1Gi", "storageClass": "Fast_SSD"}]),
            "spec.volumes.0.storageClass",
            "validation_invalid_name",
        ),
        (
            spec_set(
                "volumes",
                [{"name": "d", "mountPath": "/d", "size": "1Gi"}, {"name": "d", "mountPath": "/e", "size": "1Gi"}],
            ),
            "spec.volumes.1.name",
            "validation_not_unique",
        ),
        (
            spec_set(
                "volumes",
                [{"name": "d", "mountPath": "/d", "size": "1Gi"}, {"name": "e", "mountPath": "/d", "size": "1Gi"}],
            ),
            "spec.volumes.1.mountPath",
            "validation_not_unique",
        ),
        # Interfaces and ingress.
        (spec_set("interfaces.0.port", 0), "spec.interfaces.0.port", "validation_greater_than_equal"),
        (spec_set("interfaces.0.port", 65536), "spec.interfaces.0.port", "validation_less_than_equal"),
        (spec_set("interfaces.0.name", "HTTP"), "spec.interfaces.0.name", "validation_invalid_name"),
        (spec_set("interfaces.0.name", "8080"), "spec.interfaces.0.name", "validation_invalid_name"),
        (spec_set("interfaces.0.name", "a" * 44), "spec.interfaces.0.name", "validation_invalid_name"),
        (
            spec_set("interfaces", [{"name": "http", "port": 80}, {"name": "http", "port": 81}]),
            "spec.interfaces.1.name",
            "validation_not_unique",
        ),
        (
            spec_set("interfaces.0.ingress", {"rules": [{"host": "Bad_Host", "path": "/", "tls": False}]}),
            "spec.interfaces.0.ingress.rules.0.host",
            "validation_invalid_host",
        ),
        (
            spec_set("interfaces.0.ingress", {"rules": [{"host": "a.example.com", "path": "x", "tls": False}]}),
            "spec.interfaces.0.ingress.rules.0.path",
            "validation_invalid_path",
        ),
        (
            spec_set("interfaces.0.ingress", {"rules": [{"host": "a.example.com", "tls": "yes"}]}),
            "spec.interfaces.0.ingress.rules.0.tls",
            "validation_bool_type",
        ),
        (
            spec_set("interfaces.0.ingress", {"annotations": {"bad key!": "x"}}),
            "spec.interfaces.0.ingress.annotations.bad key!.[key]",
            "validation_invalid_key",
        ),
        (
            spec_set("interfaces.0.ingress", {"ingressClass": "Nginx Class"}),
            "spec.interfaces.0.ingress.ingressClass",
            "validation_invalid_name",
        ),
        # Pod settings.
        (spec_set("rolloutStrategy", "blueGreen"), "spec.rolloutStrategy", "validation_literal_error"),
        (spec_set("serviceAccountName", "Not Valid"), "spec.serviceAccountName", "validation_invalid_name"),
        (spec_set("nodeSelector", {"disk": "fast ssd"}), "spec.nodeSelector.disk", "validation_invalid_label_value"),
        (
            spec_set("hostAliases", [{"ip": "999.1.1.1", "hostnames": ["a"]}]),
            "spec.hostAliases.0.ip",
            "validation_invalid_ip",
        ),
        (
            spec_set("hostAliases", [{"ip": "10.0.0.1", "hostnames": ["Not a host"]}]),
            "spec.hostAliases.0.hostnames.0",
            "validation_invalid_host",
        ),
        (
            spec_set("tolerations", [{"operator": "Equal", "value": "x"}]),
            "spec.tolerations.0.operator",
            "validation_toleration_operator",
        ),
        (
            spec_set("tolerations", [{"key": "k", "operator": "Exists", "value": "x"}]),
            "spec.tolerations.0.value",
            "validation_toleration_value",
        ),
        (
            spec_set("tolerations", [{"key": "k", "effect": "NoSchedule", "tolerationSeconds": 5}]),
            "spec.tolerations.0.tolerationSeconds",
            "validation_toleration_seconds",
        ),
        (
            spec_set("tolerations", [{"key": "k", "effect": "Sometimes"}]),
            "spec.tolerations.0.effect",
            "validation_literal_error",
        ),
        (
            spec_set("securityContext", {"privileged": True}),
            "spec.securityContext.allowPrivilegeEscalation",
            "validation_privilege_escalation",
        ),
        (
            spec_set("securityContext", {"capabilities": {"add": ["SYS_ADMIN"]}}),
            "spec.securityContext.allowPrivilegeEscalation",
            "validation_privilege_escalation",
        ),
        (
            spec_set("securityContext", {"runAsUser": -1}),
            "spec.securityContext.runAsUser",
            "validation_greater_than_equal",
        ),
        # Cron jobs.
        (spec_set("cronjobs.0.schedule", "every day"), "spec.cronjobs.0.schedule", "validation_invalid_schedule"),
        (spec_set("cronjobs.0.schedule", "61 * * * *"), "spec.cronjobs.0.schedule", "validation_invalid_schedule"),
        (spec_set("cronjobs.0.schedule", "0 0 * * * *"), "spec.cronjobs.0.schedule", "validation_invalid_schedule"),
        (spec_set("cronjobs.0.name", "Cleanup"), "spec.cronjobs.0.name", "validation_invalid_name"),
        (spec_set("cronjobs.0.name", "c" * 37), "spec.cronjobs.0.name", "validation_invalid_name"),
        (spec_set("cronjobs.1.name", "cleanup"), "spec.cronjobs.1.name", "validation_not_unique"),
        (spec_set("cronjobs.0.image.tag", ""), "spec.cronjobs.0.image.tag", "validation_invalid_tag"),
        (
            spec_set("cronjobs.0.resources.requests.cpu", "2"),
            "spec.cronjobs.0.resources.requests.cpu",
            "validation_request_above_limit",
        ),
        (spec_delete("cronjobs.0.resources"), "spec.cronjobs.0.resources", "validation_missing"),
        (
            spec_set("cronjobs.0.env", [{"name": "X"}, {"name": "X"}]),
            "spec.cronjobs.0.env.1.name",
            "validation_not_unique",
        ),
        # Unknown fields are typos, not silently ignored.
        (spec_set("serviceAcountName", "x"), "spec.serviceAcountName", "validation_extra_forbidden"),
        (spec_set("image.pasword", "x"), "spec.image.pasword", "validation_extra_forbidden"),
    ],
)
def test_bad_field_is_reported_on_its_path(mutation: Mutation, path: str, code: str) -> None:
    data = copy.deepcopy(FULL)
    mutation(data)
    errors = errors_of(data)
    assert f"manifest.{path}" in errors, errors
    assert errors[f"manifest.{path}"]["code"] == code
    assert errors[f"manifest.{path}"]["message"]


@pytest.mark.parametrize(
    ("data", "path", "code"),
    [
        ({**NGINX, "apiVersion": "one-click.io/v1"}, "manifest.apiVersion", "validation_literal_error"),
        ({**NGINX, "kind": "Deployment"}, "manifest.kind", "validation_literal_error"),
        ({"apiVersion": "one-click.dev/v1alpha1", "kind": "Rollout"}, "manifest.spec", "validation_missing"),
        ("not a manifest", "manifest", "validation_model_type"),
        ([], "manifest", "validation_model_type"),
    ],
)
def test_bad_envelope(data: Any, path: str, code: str) -> None:
    assert errors_of(data)[path]["code"] == code


def test_every_problem_is_reported_at_once() -> None:
    data = copy.deepcopy(FULL)
    data["spec"]["image"]["tag"] = ""
    data["spec"]["interfaces"][1]["port"] = 0
    data["spec"]["volumes"][0]["size"] = "big"
    assert set(errors_of(data)) == {
        "manifest.spec.image.tag",
        "manifest.spec.interfaces.1.port",
        "manifest.spec.volumes.0.size",
    }


def test_model_validate_also_refuses_inconsistent_manifests() -> None:
    data = manifest(NGINX, horizontalScale={"minReplicas": 3, "maxReplicas": 1})
    with pytest.raises(ValidationError) as caught:
        RolloutManifest.model_validate(data)
    assert manifest_error_data(caught.value, prefix="body.manifest") == {
        "body.manifest.spec.horizontalScale.maxReplicas": {
            "code": "validation_max_below_min",
            "message": "Must be greater than or equal to minReplicas.",
        }
    }


@pytest.mark.parametrize(
    "schedule",
    [
        "*/5 * * * *",
        "0 3 * * 1-5",
        "0 0 1 jan *",
        "@hourly",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
        "15 10 * * MON",
    ],
)
def test_kubernetes_cron_schedules_are_accepted(schedule: str) -> None:
    data = copy.deepcopy(FULL)
    data["spec"]["cronjobs"][0]["schedule"] = schedule
    assert validate_manifest(data).spec.cronjobs[0].schedule == schedule


@pytest.mark.parametrize("quantity", ["1", "0.5", "250m", "1.5Gi", "128974848", "129e6", "123Mi", "1k", "0"])
def test_kubernetes_quantities_are_accepted(quantity: str) -> None:
    data = manifest(
        NGINX, resources={"requests": {"cpu": "0", "memory": "0"}, "limits": {"cpu": quantity, "memory": quantity}}
    )
    assert validate_manifest(data).spec.resources.limits.cpu == quantity
