"""The renderer against hand-written expectations taken from the One-Click operator's controllers."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from oneclick_core.tenancy import ProjectLimits, TenancyPolicy
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import (
    deployment_selector,
    object_labels,
    owned_types,
    pod_selector,
    render,
    render_namespace,
    render_rollout_resource,
)

from .examples import DEPLOYMENT, FULL, IDENTITY, NGINX, PROJECT, ROLLOUT, USER, manifest

LABELS = {
    "one-click.dev/projectId": PROJECT,
    "one-click.dev/deploymentId": DEPLOYMENT,
    "one-click.dev/rolloutId": ROLLOUT,
    "app.kubernetes.io/managed-by": "one-click",
}
SELECTOR = {"one-click.dev/projectId": PROJECT, "one-click.dev/deploymentId": DEPLOYMENT}
POD_LABELS = {**SELECTOR, "one-click.dev/component": "deployment", "app.kubernetes.io/managed-by": "one-click"}
NO_SECRETS_CHECKSUM = hashlib.sha256(b"").hexdigest()


def rendered(data: dict[str, Any]) -> list[dict[str, Any]]:
    return render(validate_manifest(data), **IDENTITY)


def by_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in objects if item["kind"] == kind]


def meta(name: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": PROJECT, "labels": LABELS, "annotations": annotations or {}}


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


PROJECT_LABELS = {"one-click.dev/projectId": PROJECT, "app.kubernetes.io/managed-by": "one-click"}
POD_SECURITY_LABELS = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "baseline",
    "pod-security.kubernetes.io/warn-version": "latest",
    "pod-security.kubernetes.io/audit": "baseline",
    "pod-security.kubernetes.io/audit-version": "latest",
}


def project_meta(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": PROJECT, "labels": PROJECT_LABELS, "annotations": {}}


GUARDRAILS = [
    {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": project_meta("one-click-quota"),
        "spec": {
            "hard": {
                "requests.cpu": "4",
                "requests.memory": "8Gi",
                "limits.cpu": "8",
                "limits.memory": "16Gi",
                "pods": "40",
                "persistentvolumeclaims": "10",
                "requests.storage": "50Gi",
                "services.nodeports": "0",
                "services.loadbalancers": "0",
            }
        },
    },
    {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": project_meta("one-click-limits"),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                }
            ]
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": project_meta("one-click-default"),
        "spec": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {"podSelector": {}},
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                    ]
                }
            ],
        },
    },
]


def test_nginx_blueprint_renders_the_operators_objects_in_a_guarded_namespace() -> None:
    assert rendered(NGINX) == [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": PROJECT,
                "annotations": {},
                "labels": {
                    "one-click.dev/projectId": PROJECT,
                    "one-click.dev/userId": USER,
                    "one-click.dev/username": "jane",
                    "one-click.dev/displayName": "janedoe",
                    "app.kubernetes.io/managed-by": "one-click",
                    **POD_SECURITY_LABELS,
                },
            },
        },
        *GUARDRAILS,
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": "one-click",
                "namespace": PROJECT,
                "annotations": {},
                "labels": {"one-click.dev/projectId": PROJECT, "app.kubernetes.io/managed-by": "one-click"},
            },
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(DEPLOYMENT),
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": SELECTOR},
                "strategy": {"type": "RollingUpdate"},
                "template": {
                    "metadata": {
                        "labels": POD_LABELS,
                        "annotations": {"one-click.dev/secrets-checksum": NO_SECRETS_CHECKSUM},
                    },
                    "spec": {
                        "containers": [
                            {
                                "name": DEPLOYMENT,
                                "image": "docker.io/library/nginx:latest",
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "256Mi"},
                                    "limits": {"cpu": "500m", "memory": "512Mi"},
                                },
                            }
                        ],
                        "serviceAccountName": "one-click",
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta(f"http-{DEPLOYMENT}-svc"),
            "spec": {
                "type": "ClusterIP",
                "selector": {**SELECTOR, "one-click.dev/component": "deployment"},
                "ports": [{"name": "http", "port": 80, "targetPort": 80, "protocol": "TCP"}],
            },
        },
    ]


def test_full_manifest_renders_every_kind_in_apply_order() -> None:
    assert [(item["kind"], item["metadata"]["name"]) for item in rendered(FULL)] == [
        ("Namespace", PROJECT),
        ("ResourceQuota", "one-click-quota"),
        ("LimitRange", "one-click-limits"),
        ("NetworkPolicy", "one-click-default"),
        ("ServiceAccount", "shop"),
        ("Secret", f"{DEPLOYMENT}-secrets"),
        ("Secret", f"{DEPLOYMENT}-imagepullsecret"),
        ("Secret", f"report-{DEPLOYMENT}-imagepullsecret"),
        ("PersistentVolumeClaim", f"data-{DEPLOYMENT}"),
        ("PersistentVolumeClaim", f"cache-{DEPLOYMENT}"),
        ("Deployment", DEPLOYMENT),
        ("Service", f"http-{DEPLOYMENT}-svc"),
        ("Service", f"metrics-{DEPLOYMENT}-svc"),
        ("Ingress", f"http-{DEPLOYMENT}-ingress"),
        ("HorizontalPodAutoscaler", DEPLOYMENT),
        ("CronJob", f"cleanup-{DEPLOYMENT}"),
        ("CronJob", f"report-{DEPLOYMENT}"),
    ]


def test_full_manifest_deployment() -> None:
    [deployment] = by_kind(rendered(FULL), "Deployment")
    checksum = hashlib.sha256(b"DB_PASSWORD=hunter2API_KEY=k-123").hexdigest()
    claims = [f"data-{DEPLOYMENT}", f"cache-{DEPLOYMENT}"]
    assert deployment == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(DEPLOYMENT),
        "spec": {
            # Autoscaled: no replica count, the HPA owns it.
            "selector": {"matchLabels": SELECTOR},
            "strategy": {"type": "Recreate"},
            "template": {
                "metadata": {"labels": POD_LABELS, "annotations": {"one-click.dev/secrets-checksum": checksum}},
                "spec": {
                    "containers": [
                        {
                            "name": DEPLOYMENT,
                            "image": "ghcr.io/acme/shop:1.4.2",
                            "resources": {
                                "requests": {"cpu": "100m", "memory": "128Mi"},
                                "limits": {"cpu": "500m", "memory": "256Mi"},
                            },
                            "env": [{"name": "MODE", "value": "production"}],
                            "envFrom": [{"secretRef": {"name": f"{DEPLOYMENT}-secrets"}}],
                            "command": ["/app/server"],
                            "args": ["--port", "8080"],
                            "volumeMounts": [
                                {"name": claims[0], "mountPath": "/data"},
                                {"name": claims[1], "mountPath": "/cache"},
                            ],
                            "securityContext": {
                                "privileged": False,
                                "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True,
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
                            },
                        }
                    ],
                    "securityContext": {"fsGroup": 2000, "runAsUser": 1000, "runAsGroup": 1000},
                    "serviceAccountName": "shop",
                    "imagePullSecrets": [{"name": f"{DEPLOYMENT}-imagepullsecret"}],
                    "nodeSelector": {"kubernetes.io/os": "linux"},
                    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "shop", "effect": "NoSchedule"}],
                    "hostAliases": [{"ip": "10.0.0.5", "hostnames": ["db.internal"]}],
                    "volumes": [{"name": claim, "persistentVolumeClaim": {"claimName": claim}} for claim in claims],
                },
            },
        },
    }


def test_full_manifest_secrets_volumes_services() -> None:
    objects = rendered(FULL)
    env_secret, pull_secret, cron_pull_secret = by_kind(objects, "Secret")
    assert env_secret["metadata"] == meta(f"{DEPLOYMENT}-secrets")
    assert env_secret["type"] == "Opaque"
    assert decoded(env_secret) == {"DB_PASSWORD": "hunter2", "API_KEY": "k-123"}
    assert pull_secret["type"] == "kubernetes.io/dockerconfigjson"
    assert decoded(pull_secret) == {
        ".dockerconfigjson": json.dumps(
            {
                "auths": {
                    "ghcr.io": {
                        "auth": base64.b64encode(b"bot:s3cr3t").decode(),
                        "password": "s3cr3t",
                        "username": "bot",
                    }
                }
            },
            separators=(",", ":"),
        )
    }
    assert (
        json.loads(decoded(cron_pull_secret)[".dockerconfigjson"])["auths"]["registry.example.com:5000"]["username"]
        == "robot"
    )
    assert by_kind(objects, "PersistentVolumeClaim") == [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta(f"data-{DEPLOYMENT}"),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "2Gi"}},
                "storageClassName": "standard",
            },
        },
        # No storage class given: the cluster default, not the operator's "" (no provisioning).
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta(f"cache-{DEPLOYMENT}"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "500Mi"}}},
        },
    ]
    assert [service["spec"]["ports"] for service in by_kind(objects, "Service")] == [
        [{"name": "http", "port": 8080, "targetPort": 8080, "protocol": "TCP"}],
        [{"name": "metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"}],
    ]


def test_full_manifest_ingress_with_tls() -> None:
    [ingress] = by_kind(rendered(FULL), "Ingress")
    backend = {"service": {"name": f"http-{DEPLOYMENT}-svc", "port": {"number": 8080}}}
    assert ingress == {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(f"http-{DEPLOYMENT}-ingress", {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}),
        "spec": {
            "ingressClassName": "nginx",
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {"paths": [{"path": "/", "pathType": "ImplementationSpecific", "backend": backend}]},
                },
                {
                    "host": "api.example.com",
                    "http": {"paths": [{"path": "/v1", "pathType": "ImplementationSpecific", "backend": backend}]},
                },
            ],
            "tls": [
                {"hosts": ["shop.example.com"], "secretName": f"http-{DEPLOYMENT}-tls-secret"},
                {"hosts": ["api.example.com"], "secretName": "api-cert"},
            ],
        },
    }


def test_full_manifest_autoscaler() -> None:
    [hpa] = by_kind(rendered(FULL), "HorizontalPodAutoscaler")
    assert hpa == {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(DEPLOYMENT),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": DEPLOYMENT},
            "minReplicas": 2,
            "maxReplicas": 5,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                }
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 60}],
                },
            },
        },
    }


def test_full_manifest_cronjobs() -> None:
    cleanup, report = by_kind(rendered(FULL), "CronJob")
    pod_labels = {
        **SELECTOR,
        "one-click.dev/component": "cronjob",
        "one-click.dev/cronjob": "cleanup",
        "app.kubernetes.io/managed-by": "one-click",
    }
    assert cleanup == {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(f"cleanup-{DEPLOYMENT}"),
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": False,
            "jobTemplate": {
                "metadata": {"labels": pod_labels},
                "spec": {
                    "backoffLimit": 2,
                    "template": {
                        "metadata": {"labels": pod_labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": "cleanup",
                                    "image": "docker.io/library/busybox:1.36",
                                    "command": ["sh", "-c"],
                                    "args": ["echo cleanup"],
                                    "env": [{"name": "DRY_RUN", "value": "false"}],
                                    "resources": {
                                        "requests": {"cpu": "50m", "memory": "32Mi"},
                                        "limits": {"cpu": "100m", "memory": "64Mi"},
                                    },
                                }
                            ],
                            "restartPolicy": "Never",
                        },
                    },
                },
            },
        },
    }
    assert report["spec"]["suspend"] is True
    assert report["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
    assert report["spec"]["jobTemplate"]["spec"]["template"]["spec"]["imagePullSecrets"] == [
        {"name": f"report-{DEPLOYMENT}-imagepullsecret"}
    ]


@pytest.mark.parametrize(
    ("minimum", "maximum", "replicas", "autoscaler"),
    [
        (1, 1, 1, False),
        (0, 0, 0, False),
        (3, 3, 3, False),
        (1, 2, None, True),
        (2, 10, None, True),
    ],
)
def test_autoscaler_only_when_max_above_min_otherwise_fixed_replicas(
    minimum: int, maximum: int, replicas: int | None, autoscaler: bool
) -> None:
    objects = rendered(
        manifest(
            NGINX,
            horizontalScale={"minReplicas": minimum, "maxReplicas": maximum, "targetCPUUtilizationPercentage": 80},
        )
    )
    [deployment] = by_kind(objects, "Deployment")
    assert deployment["spec"].get("replicas") == replicas
    assert len(by_kind(objects, "HorizontalPodAutoscaler")) == (1 if autoscaler else 0)


@pytest.mark.parametrize(
    ("username", "password", "pull_secret"),
    [
        ("bot", "s3cr3t", True),
        ("bot", "", False),
        ("", "s3cr3t", False),
        ("", "", False),
    ],
)
def test_image_pull_secret_only_with_username_and_password(username: str, password: str, pull_secret: bool) -> None:
    image = {"registry": "ghcr.io", "repository": "acme/shop", "tag": "1", "username": username, "password": password}
    objects = rendered(manifest(NGINX, image=image))
    [deployment] = by_kind(objects, "Deployment")
    names = [item["metadata"]["name"] for item in by_kind(objects, "Secret")]
    assert names == ([f"{DEPLOYMENT}-imagepullsecret"] if pull_secret else [])
    expected = [{"name": f"{DEPLOYMENT}-imagepullsecret"}] if pull_secret else None
    assert deployment["spec"]["template"]["spec"].get("imagePullSecrets") == expected


def test_docker_config_escapes_html_characters_like_go() -> None:
    image = {"registry": "ghcr.io", "repository": "acme/shop", "tag": "1", "username": "a&b", "password": "<p>"}
    [secret] = by_kind(rendered(manifest(NGINX, image=image)), "Secret")
    text = decoded(secret)[".dockerconfigjson"]
    assert "\\u0026" in text
    assert "\\u003cp\\u003e" in text
    assert json.loads(text)["auths"]["ghcr.io"]["password"] == "<p>"


@pytest.mark.parametrize(
    ("rule", "tls"),
    [
        ({"host": "a.example.com", "path": "/", "tls": False}, None),
        (
            {"host": "a.example.com", "path": "/", "tls": True},
            [{"hosts": ["a.example.com"], "secretName": f"web-{DEPLOYMENT}-tls-secret"}],
        ),
        (
            {"host": "a.example.com", "path": "/", "tls": True, "tlsSecretName": "wildcard-cert"},
            [{"hosts": ["a.example.com"], "secretName": "wildcard-cert"}],
        ),
        ({"host": "", "path": "/", "tls": True, "tlsSecretName": "default-cert"}, [{"secretName": "default-cert"}]),
    ],
)
def test_ingress_tls(rule: dict[str, Any], tls: list[dict[str, Any]] | None) -> None:
    interface = {"name": "web", "port": 80, "ingress": {"ingressClass": "nginx", "rules": [rule]}}
    [ingress] = by_kind(rendered(manifest(NGINX, interfaces=[interface])), "Ingress")
    assert ingress["spec"].get("tls") == tls
    assert ("host" in ingress["spec"]["rules"][0]) == bool(rule["host"])


@pytest.mark.parametrize(
    ("ingress", "rendered_ingress"),
    [
        (None, False),
        ({}, False),
        ({"ingressClass": "", "rules": []}, False),
        ({"ingressClass": "nginx"}, True),
        ({"rules": [{"host": "a.example.com", "path": "/", "tls": False}]}, True),
    ],
)
def test_ingress_only_for_a_class_or_rules(ingress: dict[str, Any] | None, rendered_ingress: bool) -> None:
    interface: dict[str, Any] = {"name": "web", "port": 80}
    if ingress is not None:
        interface["ingress"] = ingress
    objects = rendered(manifest(NGINX, interfaces=[interface]))
    assert len(by_kind(objects, "Ingress")) == (1 if rendered_ingress else 0)
    if rendered_ingress and not (ingress or {}).get("ingressClass"):
        assert "ingressClassName" not in by_kind(objects, "Ingress")[0]["spec"]


def test_optional_parts_are_left_out_when_unset() -> None:
    objects = rendered(manifest(NGINX, serviceAccountName="", interfaces=[], rolloutStrategy="rollingUpdate"))
    assert [item["kind"] for item in objects] == [
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Deployment",
    ]
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    assert set(pod) == {"containers"}
    assert set(pod["containers"][0]) == {"name", "image", "resources"}
    assert by_kind(objects, "Deployment")[0]["spec"]["strategy"] == {"type": "RollingUpdate"}


def test_security_context_without_ids_sets_no_pod_ids() -> None:
    objects = rendered(manifest(NGINX, securityContext={"runAsNonRoot": True}))
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    assert "securityContext" not in pod
    assert pod["containers"][0]["securityContext"] == {
        "privileged": False,
        "readOnlyRootFilesystem": False,
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
    }


def test_a_projects_policy_shapes_its_namespace_and_guardrails() -> None:
    policy = TenancyPolicy().with_limits(
        ProjectLimits(pod_security="privileged", quota={"pods": "100", "requests.cpu": "16"})
    )
    policy = policy.model_copy(update={"ingress_namespace": "traefik"})
    objects = render(validate_manifest(NGINX), **(IDENTITY | {"policy": policy}))
    labels = by_kind(objects, "Namespace")[0]["metadata"]["labels"]
    assert {key: value for key, value in labels.items() if key.startswith("pod-security")} == {
        key: "privileged" if not key.endswith("-version") else "latest" for key in POD_SECURITY_LABELS
    }
    hard = by_kind(objects, "ResourceQuota")[0]["spec"]["hard"]
    assert (hard["pods"], hard["requests.cpu"], hard["requests.memory"]) == ("100", "16", "8Gi")
    [network] = by_kind(objects, "NetworkPolicy")
    assert network["spec"]["ingress"][0]["from"][1]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "traefik"
    }


def test_under_restricted_every_pod_states_its_context_and_the_runtime_seccomp_profile() -> None:
    restricted = TenancyPolicy(pod_security="restricted")
    data = manifest(FULL, securityContext={"runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}})
    objects = render(validate_manifest(data), **(IDENTITY | {"policy": restricted}))
    [deployment] = by_kind(objects, "Deployment")
    pods = [
        deployment["spec"]["template"]["spec"],
        *(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"] for cronjob in by_kind(objects, "CronJob")),
    ]
    assert len(pods) == 3
    for pod in pods:
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["containers"][0]["securityContext"] == {
            "privileged": False,
            "readOnlyRootFilesystem": False,
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        }
    # Without a securityContext of its own the manifest still gets one stated (which restricted then refuses).
    bare = render(validate_manifest(NGINX), **(IDENTITY | {"policy": restricted}))
    container = by_kind(bare, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_empty_security_context_is_left_out_as_the_operator_did() -> None:
    objects = rendered(manifest(NGINX, securityContext={}))
    pod = by_kind(objects, "Deployment")[0]["spec"]["template"]["spec"]
    assert "securityContext" not in pod
    assert "securityContext" not in pod["containers"][0]


def test_secret_checksum_follows_secret_values() -> None:
    def checksum(secrets: list[dict[str, str]]) -> str:
        [deployment] = by_kind(rendered(manifest(NGINX, secrets=secrets)), "Deployment")
        return str(deployment["spec"]["template"]["metadata"]["annotations"]["one-click.dev/secrets-checksum"])

    first = checksum([{"name": "TOKEN", "value": "a"}])
    assert checksum([{"name": "TOKEN", "value": "a"}]) == first
    assert checksum([{"name": "TOKEN", "value": "b"}]) != first


def test_rendering_is_deterministic() -> None:
    assert rendered(FULL) == rendered(FULL)


def test_a_new_rollout_changes_object_labels_but_not_the_pod_template() -> None:
    parsed = validate_manifest(FULL)
    first = render(parsed, **IDENTITY)
    second = render(parsed, **(IDENTITY | {"rollout_id": "r9x9q1m0z7a2b4c"}))
    [first_deployment] = by_kind(first, "Deployment")
    [second_deployment] = by_kind(second, "Deployment")
    assert first_deployment["spec"] == second_deployment["spec"]
    assert second_deployment["metadata"]["labels"]["one-click.dev/rolloutId"] == "r9x9q1m0z7a2b4c"


@pytest.mark.parametrize("field", ["project_id", "deployment_id", "rollout_id"])
@pytest.mark.parametrize("value", ["", "UPPERCASE123456", "short", "with-dash-12345", "a" * 16])
def test_render_refuses_ids_that_are_not_record_ids(field: str, value: str) -> None:
    with pytest.raises(ValueError, match=field):
        render(validate_manifest(NGINX), **(IDENTITY | {field: value}))


@pytest.mark.parametrize(
    ("username", "display_name", "expected_username", "expected_display_name"),
    [
        ("jane", "Jane Doe", "jane", "janedoe"),
        ("jane.doe_", "Jürgen Müller-Lüdenscheid", "jane.doe", "jrgenmllerldenscheid"),
        ("x" * 80, "A" * 80, "x" * 63, "a" * 63),
        ("_admin", "!!!", "admin", ""),
    ],
)
def test_namespace_labels_are_valid_label_values(
    username: str, display_name: str, expected_username: str, expected_display_name: str
) -> None:
    namespace = render_namespace(
        PROJECT, user_id=USER, username=username, display_name=display_name, pod_security="baseline"
    )
    assert namespace["metadata"]["labels"]["one-click.dev/username"] == expected_username
    assert namespace["metadata"]["labels"]["one-click.dev/displayName"] == expected_display_name


def test_rollout_resource_is_what_the_original_backend_created() -> None:
    resource = render_rollout_resource(
        validate_manifest(FULL), project_id=PROJECT, deployment_id=DEPLOYMENT, rollout_id=ROLLOUT
    )
    assert resource["apiVersion"] == "one-click.dev/v1alpha1"
    assert resource["kind"] == "Rollout"
    assert resource["metadata"] == {
        "name": DEPLOYMENT,
        "namespace": PROJECT,
        "labels": {
            "one-click.dev/projectId": PROJECT,
            "one-click.dev/deploymentId": DEPLOYMENT,
            "one-click.dev/rolloutId": ROLLOUT,
        },
        "annotations": {"team": "shop"},
    }
    # The operator reads the real values from the spec.
    assert resource["spec"]["secrets"] == FULL["spec"]["secrets"]
    assert resource["spec"]["image"]["password"] == "s3cr3t"
    assert resource["spec"]["interfaces"][0]["ingress"]["rules"][1]["tlsSecretName"] == "api-cert"


def test_owned_types_cover_every_deployment_object_and_the_selector_finds_them() -> None:
    objects = rendered(FULL)
    owned = {(kind.api_version, kind.kind) for kind in owned_types()}
    shared = {"Namespace", "ServiceAccount", "ResourceQuota", "LimitRange", "NetworkPolicy"}
    labels = object_labels(PROJECT, DEPLOYMENT, ROLLOUT)
    selector_labels = dict(part.split("=") for part in deployment_selector(PROJECT, DEPLOYMENT).split(","))
    for item in objects:
        if item["kind"] in shared:
            assert (item["apiVersion"], item["kind"]) not in owned
            assert "one-click.dev/deploymentId" not in item["metadata"]["labels"]
        else:
            assert (item["apiVersion"], item["kind"]) in owned
            assert item["metadata"]["labels"] == labels
            assert selector_labels.items() <= item["metadata"]["labels"].items()
    assert {(item["apiVersion"], item["kind"]) for item in objects} >= owned


def test_pod_selector_picks_the_deployments_pods_not_its_cronjob_pods() -> None:
    objects = rendered(FULL)
    wanted = dict(part.split("=") for part in pod_selector(PROJECT, DEPLOYMENT).split(","))
    [deployment] = by_kind(objects, "Deployment")
    assert wanted.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    for service in by_kind(objects, "Service"):
        assert service["spec"]["selector"] == wanted
    for cronjob in by_kind(objects, "CronJob"):
        cron_pod_labels = cronjob["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        assert not wanted.items() <= cron_pod_labels.items()
