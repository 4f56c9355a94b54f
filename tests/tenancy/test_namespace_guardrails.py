"""Every project namespace carries its tenancy guardrails: Pod Security labels, a ResourceQuota, a LimitRange and
a default NetworkPolicy — a new project's from its first rollout, and one made before the policy existed (or
changed by hand) gets them back from the executor's resync."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubesim.testing import Kubectl, KubesimProcess
from oneclick_testing.waiting import eventually

from .tenants import Json, Tenants

pytestmark = pytest.mark.e2e

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
