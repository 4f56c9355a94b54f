"""The cluster side of the tenancy policy. Every project namespace carries its guardrails — Pod Security labels, a
ResourceQuota, a LimitRange and a default NetworkPolicy — a new project's from its first rollout, and one made
before the policy existed (or changed by hand) gets them back from the executor's resync. And the cluster enforces
the policy again when the platform is bypassed: the objects the platform would render for the hostile manifests,
and pods a tenant could write by hand, applied straight to kubesim (as ``kubectl apply`` would) in Mallory's
namespace, are refused by the API server's own admission with its messages."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from kubesim.testing import Kubectl, KubesimProcess
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.applying import object_path
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render
from oneclick_testing.records import rollout_manifest
from oneclick_testing.waiting import eventually

from .tenants import Json, Tenants

pytestmark = pytest.mark.e2e

APPLY = {"Content-Type": "application/apply-patch+yaml"}

GUARDRAILS = (("resourcequotas", "one-click-quota"), ("limitranges", "one-click-limits"))
NETWORK_POLICY = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/one-click-default"
LEVEL_LABELS = ("pod-security.kubernetes.io/enforce", "pod-security.kubernetes.io/warn",
                "pod-security.kubernetes.io/audit")


async def guardrails(tenants: Tenants, namespace: str) -> dict[str, Json | None]:
    found: dict[str, Json | None] = {}
    paths = {kind: f"/api/v1/namespaces/{namespace}/{kind}/{name}" for kind, name in GUARDRAILS}
    paths["networkpolicies"] = NETWORK_POLICY.format(ns=namespace)
    for kind, path in paths.items():
        response = await tenants.cluster.get(path)
        found[kind] = response.json() if response.status_code == 200 else None
    return found


async def labels_of(tenants: Tenants, namespace: str) -> dict[str, str]:
    labels: dict[str, str] = (await tenants.cluster.get(f"/api/v1/namespaces/{namespace}")).json()["metadata"].get(
        "labels") or {}
    return labels


async def test_a_new_projects_namespace_carries_every_guardrail(tenants: Tenants) -> None:
    namespace = tenants.alice.project
    labels = await labels_of(tenants, namespace)
    assert {label: labels.get(label) for label in LEVEL_LABELS} == dict.fromkeys(LEVEL_LABELS, "baseline")
    found = await guardrails(tenants, namespace)
    quota, limits, network = found["resourcequotas"], found["limitranges"], found["networkpolicies"]
    assert quota is not None
    assert limits is not None
    assert network is not None
    # The module's policy (tenants.POLICY_ENV), no external services.
    assert quota["spec"]["hard"] == {
        "requests.cpu": "2", "requests.memory": "8Gi", "limits.cpu": "4", "limits.memory": "16Gi", "pods": "6",
        "persistentvolumeclaims": "10", "requests.storage": "50Gi", "services.nodeports": "0",
        "services.loadbalancers": "0"}
    assert limits["spec"]["limits"] == [{"type": "Container", "default": {"cpu": "500m", "memory": "512Mi"},
                                         "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]
    assert network["spec"]["policyTypes"] == ["Ingress"]
    assert network["spec"]["ingress"] == [{"from": [
        {"podSelector": {}}, {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]


async def test_a_namespace_without_guardrails_gets_them_back_from_the_resync(tenants: Tenants) -> None:
    namespace = tenants.alice.project
    # As a namespace made before the tenancy policy looks (or one a cluster admin stripped by hand).
    for kind, name in GUARDRAILS:
        response = await tenants.cluster.delete(f"/api/v1/namespaces/{namespace}/{kind}/{name}")
        assert response.status_code == 200, response.text
    deleted = await tenants.cluster.delete(NETWORK_POLICY.format(ns=namespace))
    assert deleted.status_code == 200, deleted.text
    stripped = await tenants.cluster.patch(
        f"/api/v1/namespaces/{namespace}", headers={"Content-Type": "application/merge-patch+json"},
        json={"metadata": {"labels": dict.fromkeys(LEVEL_LABELS)}})
    assert stripped.status_code == 200, stripped.text
    assert not set(LEVEL_LABELS) & set(stripped.json()["metadata"].get("labels") or {})

    async def restored() -> bool:
        found = await guardrails(tenants, namespace)
        labels = await labels_of(tenants, namespace)
        return all(found.values()) and all(labels.get(label) == "baseline" for label in LEVEL_LABELS)

    await eventually(restored, timeout=60, message="the resync restores alice's namespace guardrails")
    assert await tenants.alice_is_ok()


@pytest.mark.kubectl
async def test_kubectl_shows_the_guardrails_of_a_project(tenants: Tenants, module_kubesim: KubesimProcess,
                                                         tmp_path: Path) -> None:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed on this machine")
    kubectl = Kubectl(module_kubesim.kubeconfig, tmp_path)
    shown = kubectl.run("get", "resourcequota,limitrange,networkpolicy", "-n", tenants.alice.project).stdout
    assert "resourcequota/one-click-quota" in shown
    assert "limitrange/one-click-limits" in shown
    assert "networkpolicy.networking.k8s.io/one-click-default" in shown
    # The quota's use, as a platform engineer reads it.
    described = kubectl.run("describe", "resourcequota", "one-click-quota", "-n", tenants.alice.project).stdout
    assert "pods" in described
    assert "requests.cpu" in described


def pod(name: str, container: Json | None = None, **spec: Any) -> Json:
    """A pod of one small container, with ``container`` fields and pod ``spec`` fields on top."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "containers": [{"name": "app", "image": "docker.io/library/nginx:1.25",
                        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"},
                                      "limits": {"cpu": "10m", "memory": "16Mi"}}, **(container or {})}],
        **spec}}


# (pod, the PodSecurity reason and detail the API server gives for it under "baseline")
REFUSED_PODS: list[tuple[Json, str]] = [
    (pod("privileged", {"securityContext": {"privileged": True}}),
     'privileged (container "app" must not set securityContext.privileged=true)'),
    (pod("capabilities", {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}),
     'non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add)'),
    (pod("host-network", hostNetwork=True), "host namespaces (hostNetwork=true)"),
    (pod("host-pid", hostPID=True), "host namespaces (hostPID=true)"),
    (pod("host-path", {"volumeMounts": [{"name": "root", "mountPath": "/host"}]},
         volumes=[{"name": "root", "hostPath": {"path": "/"}}]), 'hostPath volumes (volume "root")'),
    (pod("host-port", {"ports": [{"containerPort": 80, "hostPort": 80}]}),
     'hostPort (container "app" uses hostPort 80)'),
    (pod("sysctls", securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
     'forbidden sysctls (kernel.msgmax)'),
    (pod("seccomp", securityContext={"seccompProfile": {"type": "Unconfined"}}),
     'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'),
    # The API server mirrors the field into the AppArmor annotation before admission; both are named.
    (pod("apparmor", {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}),
     'forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to '
     '"Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")'),
    (pod("proc-mount", {"securityContext": {"procMount": "Unmasked"}}),
     'procMount (container "app" must not set securityContext.procMount to "Unmasked")'),
]


@pytest.mark.parametrize(("manifest", "detail"), REFUSED_PODS, ids=[case[0]["metadata"]["name"]
                                                                   for case in REFUSED_PODS])
async def test_pods_the_level_refuses_are_forbidden_by_the_cluster(tenants: Tenants, manifest: Json,
                                                                    detail: str) -> None:
    namespace = tenants.mallory.project
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/pods", json=manifest)
    assert response.status_code == 403, response.text
    status = response.json()
    assert status["reason"] == "Forbidden"
    assert status["message"] == (f'pods "{manifest["metadata"]["name"]}" is forbidden: violates PodSecurity '
                                 f'"baseline:latest": {detail}')
    missing = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/pods/{manifest['metadata']['name']}")
    assert missing.status_code == 404


async def test_the_platforms_own_objects_for_a_hostile_manifest_run_no_pod(tenants: Tenants) -> None:
    """What the platform would render for the privileged manifest (had it accepted it), applied by hand: the
    Deployment is stored, with the API server's warning, but not one of its pods is admitted."""
    namespace = tenants.mallory.project
    deployment_id = "handmade0000001"
    manifest = validate_manifest(rollout_manifest(securityContext={
        "privileged": True, "allowPrivilegeEscalation": True, "runAsUser": 0,
        "capabilities": {"add": ["ALL", "SYS_ADMIN"]}}))
    objects = render(manifest, project_id=namespace, deployment_id=deployment_id, rollout_id="handmade0000002",
                     user_id=tenants.mallory.user.id, username="mallory", display_name="mallory",
                     policy=TenancyPolicy())
    [deployment] = [obj for obj in objects if obj["kind"] == "Deployment"]
    applied = await tenants.cluster.patch(object_path(deployment), params={"fieldManager": "kubectl"},
                                          headers=APPLY, json=deployment)
    assert applied.status_code in (200, 201), applied.text
    # A Warning header as kubectl prints it: 299 - "would violate PodSecurity \"baseline:latest\": ...".
    warning = applied.headers.get("warning", "")
    assert warning.startswith('299 - "would violate PodSecurity \\"baseline:latest\\": ')
    assert 'privileged (container \\"handmade0000001\\" must not set securityContext.privileged=true)' in warning

    async def refused_events() -> list[Json]:
        response = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/events")
        return [event for event in response.json()["items"] if event.get("reason") == "FailedCreate"
                and event["involvedObject"]["name"].startswith(deployment_id)]

    async def refused() -> bool:
        return bool(await refused_events())

    await eventually(refused, timeout=30, message="FailedCreate for the hand-made Deployment's pods")
    message = (await refused_events())[0]["message"]
    assert message.startswith("Error creating: pods ")
    assert 'is forbidden: violates PodSecurity "baseline:latest": non-default capabilities' in message
    assert 'privileged (container "handmade0000001" must not set securityContext.privileged=true)' in message
    assert await tenants.pods_of(namespace, deployment_id) == []
    assert await tenants.alice_is_ok()
    deleted = await tenants.cluster.delete(object_path(deployment))
    assert deleted.status_code == 200


async def test_a_container_without_resources_gets_the_limit_ranges_defaults(tenants: Tenants) -> None:
    namespace = tenants.mallory.project
    bare = pod("bare")
    del bare["spec"]["containers"][0]["resources"]
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/pods", json=bare)
    assert response.status_code == 201, response.text
    resources = response.json()["spec"]["containers"][0]["resources"]
    assert resources == {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}
    deleted = await tenants.cluster.delete(f"/api/v1/namespaces/{namespace}/pods/bare")
    assert deleted.status_code == 200


async def test_the_quota_refuses_what_does_not_fit(tenants: Tenants) -> None:
    namespace = tenants.mallory.project
    greedy = pod("greedy")
    greedy["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "3", "memory": "16Mi"},
                                                    "limits": {"cpu": "3", "memory": "16Mi"}}
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/pods", json=greedy)
    assert response.status_code == 403, response.text
    message = response.json()["message"]
    # The module's quota is requests.cpu 2 (tenants.POLICY_ENV).
    assert message.startswith('pods "greedy" is forbidden: exceeded quota: one-click-quota, requested: ')
    assert "requests.cpu=3" in message
    assert "limited: " in message
    assert "requests.cpu=2" in message


@pytest.mark.parametrize(("kind", "resource"), [("NodePort", "services.nodeports"),
                                              ("LoadBalancer", "services.loadbalancers")])
async def test_services_outside_the_cluster_are_refused_by_the_quota(tenants: Tenants, kind: str,
                                                                     resource: str) -> None:
    namespace = tenants.mallory.project
    name = f"exposed-{kind.lower()}"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {
        "type": kind, "selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": 80}]}}
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/services", json=service)
    assert response.status_code == 403, response.text
    message = response.json()["message"]
    assert message.startswith(f'services "{name}" is forbidden: exceeded quota: one-click-quota, requested: ')
    assert f"limited: {resource}=0" in message or f"{resource}=0" in message


async def test_a_hand_made_deployment_of_100_replicas_is_capped_by_the_quota(tenants: Tenants) -> None:
    namespace = tenants.mallory.project
    name = "flood"
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
                  "spec": {"replicas": 100, "selector": {"matchLabels": {"app": name}}, "template": {
                      "metadata": {"labels": {"app": name}},
                      "spec": pod(name)["spec"]}}}
    created = await tenants.cluster.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment)
    assert created.status_code == 201, created.text

    async def pods() -> list[Json]:
        response = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/pods",
                                             params={"labelSelector": f"app={name}"})
        items: list[Json] = response.json()["items"]
        return items

    async def quota_reached() -> bool:
        response = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/events")
        return any(event.get("reason") == "FailedCreate" and "exceeded quota: one-click-quota" in event["message"]
                   for event in response.json()["items"])

    await eventually(quota_reached, timeout=30, message="FailedCreate: exceeded quota")
    quota = (await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/resourcequotas/one-click-quota")).json()
    assert quota["status"]["hard"]["pods"] == "6"
    await asyncio.sleep(1)  # the controller keeps trying: still capped
    assert len(await pods()) <= 6
    assert int(quota["status"]["used"]["pods"]) <= 6
    assert await tenants.alice_is_ok()
    deleted = await tenants.cluster.delete(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    assert deleted.status_code == 200
