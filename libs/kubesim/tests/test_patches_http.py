"""Patch flavours, server-side apply, status and custom-resource rules, over HTTP with kubernetes-asyncio."""

from __future__ import annotations

import json

import pytest
from kubernetes_asyncio import client
from kubernetes_asyncio.dynamic import DynamicClient

from .test_workloads import deployment


async def test_patch_flavours_on_a_deployment(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    body = deployment("p", "nginx:1.25", replicas=1)
    body["spec"]["template"]["spec"]["containers"].append(
        {"name": "sidecar", "image": "envoy:1.30", "env": [{"name": "A", "value": "1"}]}
    )
    await apps.create_namespaced_deployment(namespace, body)
    # Strategic merge: containers merge by name.
    await apps.patch_namespaced_deployment(
        "p",
        namespace,
        {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "env": [{"name": "B", "value": "2"}]}]}}}},
    )
    dep = await apps.read_namespaced_deployment("p", namespace)
    sidecar = next(c for c in dep.spec.template.spec.containers if c.name == "sidecar")
    assert [(e.name, e.value) for e in sidecar.env] == [("A", "1"), ("B", "2")]
    assert len(dep.spec.template.spec.containers) == 2
    # JSON merge patch: lists are replaced.
    await apps.patch_namespaced_deployment(
        "p", namespace, {"metadata": {"labels": {"team": "a"}}}, _content_type="application/merge-patch+json"
    )
    # JSON patch.
    await apps.patch_namespaced_deployment("p", namespace, [{"op": "replace", "path": "/spec/replicas", "value": 2}])
    dep = await apps.read_namespaced_deployment("p", namespace)
    assert dep.metadata.labels["team"] == "a"
    assert dep.spec.replicas == 2
    assert dep.metadata.generation == 3
    with pytest.raises(client.ApiException) as failed:
        await apps.patch_namespaced_deployment("p", namespace, [{"op": "test", "path": "/spec/replicas", "value": 7}])
    assert failed.value.status == 422


async def test_status_is_only_written_through_its_subresource(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("st", "nginx:1.25", replicas=0))
    dep = await apps.read_namespaced_deployment("st", namespace)
    generation = dep.metadata.generation
    await apps.patch_namespaced_deployment(
        "st", namespace, {"status": {"replicas": 42}}, _content_type="application/merge-patch+json"
    )
    dep = await apps.read_namespaced_deployment("st", namespace)
    assert dep.status.replicas != 42
    assert dep.metadata.generation == generation
    patched = await apps.patch_namespaced_deployment_status(
        "st",
        namespace,
        {"status": {"conditions": [{"type": "Custom", "status": "True"}]}},
        _content_type="application/merge-patch+json",
    )
    assert patched.status.conditions[0].type == "Custom"
    assert patched.metadata.generation == generation


async def test_server_side_apply_with_managers_and_force(api: client.ApiClient, namespace: str) -> None:
    dyn = await DynamicClient(api)
    deployments = await dyn.resources.get(api_version="apps/v1", kind="Deployment")
    body = deployment("ssa", "nginx:1.25", replicas=1)
    applied = await dyn.server_side_apply(deployments, body=body, namespace=namespace, field_manager="platform")
    assert applied.spec.replicas == 1
    managers = {(m.manager, m.operation) for m in applied.metadata.managedFields}
    assert ("platform", "Apply") in managers
    # Re-applying the same configuration changes nothing (a ConfigMap: no controller writes to it meanwhile).
    configmaps = await dyn.resources.get(api_version="v1", kind="ConfigMap")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    first = await dyn.server_side_apply(configmaps, body=cm, namespace=namespace, field_manager="platform")
    again = await dyn.server_side_apply(configmaps, body=cm, namespace=namespace, field_manager="platform")
    assert again.metadata.resourceVersion == first.metadata.resourceVersion
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa"}, "spec": {"replicas": 4}}
    # kubernetes-asyncio's DynamicClient hands error Statuses back instead of raising; the typed API raises.
    refused = await dyn.server_side_apply(deployments, body=other, namespace=namespace, field_manager="autoscaler")
    assert refused.kind == "Status"
    assert refused.code == 409
    apps = client.AppsV1Api(api)
    with pytest.raises(client.ApiException) as conflict:
        await apps.patch_namespaced_deployment(
            "ssa", namespace, other, field_manager="autoscaler", _content_type="application/apply-patch+yaml"
        )
    assert conflict.value.status == 409
    status = json.loads(conflict.value.body)
    assert status["reason"] == "Conflict"
    assert status["details"]["causes"][0]["field"] == ".spec.replicas"
    assert 'conflict with "platform"' in status["message"]
    forced = await dyn.server_side_apply(
        deployments, body=other, namespace=namespace, field_manager="autoscaler", force_conflicts=True
    )
    assert forced.spec.replicas == 4
    assert forced.spec.template.spec.containers[0].image == "nginx:1.25"
    owners = {
        m["manager"]: m["fieldsV1"] for m in forced.to_dict()["metadata"]["managedFields"] if m["operation"] == "Apply"
    }
    assert "f:replicas" in owners["autoscaler"]["f:spec"]
    assert "f:replicas" not in owners["platform"]["f:spec"]
    with pytest.raises(client.ApiException) as no_manager:
        await apps.patch_namespaced_deployment("ssa", namespace, other, _content_type="application/apply-patch+yaml")
    assert no_manager.value.status == 400


async def test_custom_resources_follow_custom_resource_rules(api: client.ApiClient, namespace: str) -> None:
    custom = client.CustomObjectsApi(api)
    body = {
        "apiVersion": "one-click.dev/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "r"},
        "spec": {"image": {"repository": "nginx", "tag": "1"}},
        "status": {"ignored": True},
    }
    created = await custom.create_namespaced_custom_object("one-click.dev", "v1alpha1", namespace, "rollouts", body)
    assert "status" not in created
    without_version = {
        "apiVersion": "one-click.dev/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "r"},
        "spec": {"image": {"repository": "nginx", "tag": "2"}},
    }
    with pytest.raises(client.ApiException) as invalid:
        await custom.replace_namespaced_custom_object(
            "one-click.dev", "v1alpha1", namespace, "rollouts", "r", without_version
        )
    assert invalid.value.status == 422
    without_version["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    replaced = await custom.replace_namespaced_custom_object(
        "one-click.dev", "v1alpha1", namespace, "rollouts", "r", without_version
    )
    assert replaced["metadata"]["generation"] == 2
    with_status = await custom.patch_namespaced_custom_object_status(
        "one-click.dev",
        "v1alpha1",
        namespace,
        "rollouts",
        "r",
        {"status": {"deployment": {"status": "OK"}}},
        _content_type="application/merge-patch+json",
    )
    assert with_status["status"]["deployment"]["status"] == "OK"
    assert with_status["metadata"]["generation"] == 2
    with pytest.raises(client.ApiException) as unsupported:
        await custom.patch_namespaced_custom_object(
            "one-click.dev",
            "v1alpha1",
            namespace,
            "rollouts",
            "r",
            {"spec": {}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert unsupported.value.status == 415
    assert json.loads(unsupported.value.body)["reason"] == "UnsupportedMediaType"


async def test_crds_can_be_added_served_and_removed(api: client.ApiClient, namespace: str) -> None:
    ext = client.ApiextensionsV1Api(api)
    custom = client.CustomObjectsApi(api)
    await ext.create_custom_resource_definition(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {
                "group": "example.com",
                "scope": "Namespaced",
                "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    }
                ],
            },
        }
    )
    await custom.create_namespaced_custom_object(
        "example.com",
        "v1",
        namespace,
        "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}},
    )
    crd = await ext.read_custom_resource_definition("widgets.example.com")
    assert any(c.type == "Established" and c.status == "True" for c in crd.status.conditions)
    resources = await client.CustomObjectsApi(api).get_api_resources("example.com", "v1")
    assert resources.resources[0].short_names == ["wd"]
    await ext.delete_custom_resource_definition("widgets.example.com")
    from .helpers import eventually

    async def crd_gone() -> bool:
        try:
            await ext.read_custom_resource_definition("widgets.example.com")
        except client.ApiException as exc:
            return exc.status == 404
        return False

    await eventually(crd_gone, bool, what="crd gone")
    with pytest.raises(client.ApiException) as missing:
        await custom.list_namespaced_custom_object("example.com", "v1", namespace, "widgets")
    assert missing.value.status == 404
