"""Properties over generated manifests: anything valid renders objects Kubernetes accepts by name and label."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from oneclick_core.tenancy import TenancyPolicy
from oneclick_manifest import naming
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.redaction import redact_manifest
from oneclick_manifest.rendering import object_labels, render

RECORD_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=15, max_size=15)
CPU = ["0", "10m", "100m", "250m", "0.5", "1", "2"]
MEMORY = ["0", "64Mi", "128Mi", "0.5Gi", "1G", "1Gi", "2Gi"]

interface_names = st.from_regex(r"[a-z][a-z0-9]{0,20}(-[a-z0-9]{1,10}){0,2}", fullmatch=True)
volume_names = st.from_regex(r"[a-z0-9]{1,20}(-[a-z0-9]{1,12}){0,2}", fullmatch=True)
cronjob_names = st.from_regex(r"[a-z0-9]{1,15}(-[a-z0-9]{1,9}){0,2}", fullmatch=True)
env_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,15}", fullmatch=True)
hosts = st.from_regex(r"(\*\.)?[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){1,2}", fullmatch=True)
free_text = st.text(max_size=40)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    def pair(values: list[str]) -> tuple[str, str]:
        low = draw(st.integers(0, len(values) - 1))
        return values[low], values[draw(st.integers(low, len(values) - 1))]

    cpu_request, cpu_limit = pair(CPU)
    memory_request, memory_limit = pair(MEMORY)
    return {
        "requests": {"cpu": cpu_request, "memory": memory_request},
        "limits": {"cpu": cpu_limit, "memory": memory_limit},
    }


@st.composite
def images(draw: st.DrawFn) -> dict[str, Any]:
    credentials = draw(st.booleans())
    return {
        "registry": draw(st.sampled_from(["docker.io", "ghcr.io", "registry.example.com:5000"])),
        "repository": draw(st.from_regex(r"[a-z0-9]{1,10}(/[a-z0-9]{1,10}){0,2}", fullmatch=True)),
        "tag": draw(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)),
        "username": draw(free_text) if credentials else "",
        "password": draw(free_text) if credentials else "",
    }


def env_lists() -> st.SearchStrategy[list[dict[str, str]]]:
    return st.lists(
        st.builds(lambda name, value: {"name": name, "value": value}, env_names, free_text),
        max_size=3,
        unique_by=lambda item: item["name"],
    )


@st.composite
def interfaces(draw: st.DrawFn) -> list[dict[str, Any]]:
    result = []
    for name in draw(st.lists(interface_names, max_size=3, unique=True)):
        interface: dict[str, Any] = {"name": name, "port": draw(st.integers(1, 65535))}
        if draw(st.booleans()):
            rules = [
                {
                    "host": draw(hosts),
                    "path": draw(st.sampled_from(["/", "/api", ""])),
                    "tls": draw(st.booleans()),
                    "tlsSecretName": draw(st.sampled_from(["", "my-cert"])),
                }
                for _ in range(draw(st.integers(0, 2)))
            ]
            interface["ingress"] = {
                "ingressClass": draw(st.sampled_from(["", "nginx"])),
                "rules": rules,
                "annotations": {"example.com/key": draw(free_text)},
            }
        result.append(interface)
    return result


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    minimum = draw(st.integers(0, 5))
    maximum = draw(st.integers(minimum, minimum + 5)) if minimum > 0 else 0
    volume_list = draw(st.lists(volume_names, max_size=3, unique=True))
    cronjobs = [
        {
            "name": name,
            "schedule": draw(st.sampled_from(["*/5 * * * *", "@daily", "0 3 * * 1-5"])),
            "suspend": draw(st.booleans()),
            "image": draw(images()),
            "resources": draw(resources()),
            "env": draw(env_lists()),
        }
        for name in draw(st.lists(cronjob_names, max_size=2, unique=True))
    ]
    return {
        "apiVersion": "one-click.dev/v1alpha1",
        "kind": "Rollout",
        "spec": {
            "image": draw(images()),
            "horizontalScale": {
                "minReplicas": minimum,
                "maxReplicas": maximum,
                "targetCPUUtilizationPercentage": draw(st.integers(1, 100)),
            },
            "resources": draw(resources()),
            "env": draw(env_lists()),
            "secrets": draw(env_lists()),
            "volumes": [
                {
                    "name": name,
                    "mountPath": f"/mnt/{name}",
                    "size": draw(st.sampled_from(["1Gi", "500Mi"])),
                    "storageClass": draw(st.sampled_from(["", "standard"])),
                }
                for name in volume_list
            ],
            "interfaces": draw(interfaces()),
            "serviceAccountName": draw(st.sampled_from(["", "one-click", "app.sa"])),
            "cronjobs": cronjobs,
            "rolloutStrategy": draw(st.sampled_from(["", "recreate", "rollingUpdate"])),
        },
    }


def assert_labels_valid(labels: dict[str, str]) -> None:
    for key, value in labels.items():
        assert naming.is_qualified_name(key), key
        assert naming.is_label_value(value), (key, value)


def name_is_valid(item: dict[str, Any]) -> bool:
    name = item["metadata"]["name"]
    kind = item["kind"]
    if kind in ("Namespace",):
        return naming.is_dns1123_label(name)
    if kind == "Service":
        return naming.is_dns1035_label(name)
    if kind == "CronJob":
        return naming.is_dns1123_subdomain(name) and len(name) <= naming.CRONJOB_NAME_MAX
    return naming.is_dns1123_subdomain(name)


# Shared by every deployment of the project: labelled with the project only.
PROJECT_KINDS = ("Namespace", "ServiceAccount", "ResourceQuota", "LimitRange", "NetworkPolicy")


@settings(deadline=None)
@given(manifests(), RECORD_ID, RECORD_ID, RECORD_ID, free_text, free_text, free_text)
def test_valid_manifests_render_valid_names_and_labels(
    data: dict[str, Any],
    project_id: str,
    deployment_id: str,
    rollout_id: str,
    user_id: str,
    username: str,
    display_name: str,
) -> None:
    objects = render(
        validate_manifest(data),
        project_id=project_id,
        deployment_id=deployment_id,
        rollout_id=rollout_id,
        user_id=user_id,
        username=username,
        display_name=display_name,
        policy=TenancyPolicy(),
    )
    json.dumps(objects)
    labels = object_labels(project_id, deployment_id, rollout_id)
    for item in objects:
        assert name_is_valid(item), (item["kind"], item["metadata"]["name"])
        assert_labels_valid(item["metadata"]["labels"])
        if item["kind"] not in PROJECT_KINDS:
            assert item["metadata"]["namespace"] == project_id
            assert item["metadata"]["labels"] == labels
        if item["kind"] == "Deployment":
            pod = item["spec"]["template"]
            assert_labels_valid(pod["metadata"]["labels"])
            assert item["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
            assert all(naming.is_dns1123_label(c["name"]) for c in pod["spec"]["containers"])
            assert all(naming.is_dns1123_label(v["name"]) for v in pod["spec"].get("volumes", []))
        if item["kind"] == "CronJob":
            pod = item["spec"]["jobTemplate"]["spec"]["template"]
            assert_labels_valid(pod["metadata"]["labels"])
            assert all(naming.is_dns1123_label(c["name"]) for c in pod["spec"]["containers"])
    names = [(item["kind"], item["metadata"]["name"]) for item in objects]
    assert len(names) == len(set(names))


@settings(deadline=None)
@given(manifests())
def test_redacted_manifests_hold_no_secret_value(data: dict[str, Any]) -> None:
    secrets = [item["value"] for item in data["spec"]["secrets"]]
    secrets += [data["spec"]["image"]["password"]]
    secrets += [cronjob["image"]["password"] for cronjob in data["spec"]["cronjobs"]]
    redacted = redact_manifest(validate_manifest(data))
    leftovers = [item["value"] for item in redacted["spec"]["secrets"]]
    leftovers += [redacted["spec"]["image"]["password"]]
    leftovers += [cronjob["image"]["password"] for cronjob in redacted["spec"]["cronjobs"]]
    assert all(value in ("", "[redacted]") for value in leftovers)
    assert [bool(value) for value in leftovers] == [bool(value) for value in secrets]
