"""Admission over real HTTP, as the API server does it: Pod Security from namespace labels (refusals and
warnings), ResourceQuota (refusals, status, concurrent creates, controllers refused by quota), LimitRange defaults
and limits, NetworkPolicy validation, request and object size limits."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from kubernetes_asyncio import client

from kubesim.testing import KubesimProcess

from .helpers import eventually

JSON = dict[str, Any]
ENFORCE = "pod-security.kubernetes.io/enforce"
WARN = "pod-security.kubernetes.io/warn"


@pytest.fixture
async def http(kubesim: KubesimProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=kubesim.url, timeout=30) as session:
        yield session


async def make_namespace(http: httpx.AsyncClient, **labels: str) -> str:
    name = f"adm-{uuid.uuid4().hex[:8]}"
    response = await http.post(
        "/api/v1/namespaces",
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}},
    )
    assert response.status_code == 201, response.text
    return name


def pod(name: str, *, security: JSON | None = None, resources: JSON | None = None, **spec: Any) -> JSON:
    container: JSON = {"name": "app", "image": "nginx:1.27"}
    if security is not None:
        container["securityContext"] = security
    if resources is not None:
        container["resources"] = resources
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container], **spec}}


def deployment(name: str, replicas: int, *, security: JSON | None = None, resources: JSON | None = None) -> JSON:
    template = pod(name, security=security, resources=resources)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": template["spec"]},
        },
    }


RESTRICTED: JSON = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
SMALL: JSON = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}}


# --- Pod Security --------------------------------------------------------------------------------------------------


async def test_baseline_namespace_refuses_a_privileged_pod(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http, **{ENFORCE: "baseline"})
    response = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("x", security={"privileged": True}))
    assert response.status_code == 403
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must '
        "not set securityContext.privileged=true)",
        "reason": "Forbidden",
        "details": {"name": "x", "kind": "pods"},
        "code": 403,
    }
    # Nothing was stored; a compliant pod is fine (baseline warns with nothing: warn follows enforce).
    assert (await http.get(f"/api/v1/namespaces/{ns}/pods/x")).status_code == 404
    fine = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("y"))
    assert fine.status_code == 201
    assert "warning" not in fine.headers
    # Server-side apply and dry runs are refused alike.
    applied = await http.patch(
        f"/api/v1/namespaces/{ns}/pods/z",
        params={"fieldManager": "test"},
        headers={"Content-Type": "application/apply-patch+yaml"},
        json=pod("z", hostNetwork=True),
    )
    assert applied.status_code == 403
    assert applied.json()["message"] == (
        'pods "z" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)'
    )
    dry = await http.post(
        f"/api/v1/namespaces/{ns}/pods",
        params={"dryRun": "All"},
        json=pod("w", volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
    )
    assert dry.status_code == 403


async def test_restricted_namespace_refuses_what_restricted_refuses(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http, **{ENFORCE: "restricted"})
    response = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("plain"))
    assert response.status_code == 403
    assert response.json()["message"] == (
        'pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false '
        '(container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities '
        '(container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or '
        'container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must '
        'set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")'
    )
    root = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("root", security={**RESTRICTED, "runAsUser": 0}))
    assert root.json()["message"].endswith('runAsUser=0 (container "app" must not set runAsUser=0)')
    assert (await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("ok", security=RESTRICTED))).status_code == 201
    # A volume without a source is defaulted to an emptyDir before Pod Security looks at it.
    scratch = await http.post(
        f"/api/v1/namespaces/{ns}/pods", json=pod("scratch", security=RESTRICTED, volumes=[{"name": "tmp"}])
    )
    assert scratch.status_code == 201
    assert scratch.json()["spec"]["volumes"] == [{"name": "tmp", "emptyDir": {}}]
    nfs = await http.post(
        f"/api/v1/namespaces/{ns}/pods",
        json=pod("nfs", security=RESTRICTED, volumes=[{"name": "share", "nfs": {"server": "10.0.0.1", "path": "/"}}]),
    )
    assert nfs.json()["message"] == (
        'pods "nfs" is forbidden: violates PodSecurity "restricted:latest": restricted '
        'volume types (volume "share" uses restricted volume type "nfs")'
    )
    # An image change is a significant update: checked again (and still fine).
    patched = await http.patch(
        f"/api/v1/namespaces/{ns}/pods/ok",
        headers={"Content-Type": "application/strategic-merge-patch+json"},
        json={"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}},
    )
    assert patched.status_code == 200


async def test_app_armor_fields_and_annotations_are_kept_in_step(http: httpx.AsyncClient) -> None:
    """As since 1.30: the API server copies a pod's AppArmor field to the annotation (and back) before Pod Security
    looks, so both are reported."""
    ns = await make_namespace(http, **{ENFORCE: "baseline"})
    response = await http.post(
        f"/api/v1/namespaces/{ns}/pods", json=pod("aa", security={"appArmorProfile": {"type": "Unconfined"}})
    )
    assert response.json()["message"] == (
        'pods "aa" is forbidden: violates PodSecurity "baseline:latest": forbidden AppArmor profiles (container "app" '
        'and annotation must not set AppArmor profile type to "Unconfined", '
        '"container.apparmor.security.beta.kubernetes.io/app="unconfined"")'
    )
    annotated = pod("ab")
    annotated["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}
    created = await http.post(f"/api/v1/namespaces/{ns}/pods", json=annotated)
    assert created.status_code == 201
    assert created.json()["spec"]["containers"][0]["securityContext"] == {"appArmorProfile": {"type": "RuntimeDefault"}}


async def test_warn_label_warns_for_pods_and_workloads(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http, **{ENFORCE: "baseline", WARN: "restricted"})
    created = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("p"))
    assert created.status_code == 201
    warning = created.headers["warning"]
    assert warning.startswith(
        '299 - "would violate PodSecurity \\"restricted:latest\\": allowPrivilegeEscalation != '
        'false (container \\"app\\" must set securityContext.allowPrivilegeEscalation=false)'
    )
    response = await http.post(
        f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment("web", 1, security={"privileged": True})
    )
    assert response.status_code == 201
    assert response.headers["warning"].startswith(
        '299 - "would violate PodSecurity \\"restricted:latest\\": privileged (container \\"app\\" must not set '
        "securityContext.privileged=true), allowPrivilegeEscalation != false"
    )
    # Updates of the template warn again; a compliant template is quiet.
    quiet = await http.put(
        f"/apis/apps/v1/namespaces/{ns}/deployments/web", json=deployment("web", 1, security=RESTRICTED)
    )
    assert quiet.status_code == 200
    assert "warning" not in quiet.headers


async def test_enforce_alone_warns_for_workloads_and_controllers_record_the_refusal(
    http: httpx.AsyncClient, api: client.ApiClient
) -> None:
    ns = await make_namespace(http, **{ENFORCE: "baseline"})
    response = await http.post(
        f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment("priv", 2, security={"privileged": True})
    )
    assert response.status_code == 201
    assert response.headers["warning"] == (
        '299 - "would violate PodSecurity \\"baseline:latest\\": privileged (container \\"app\\" must not set '
        'securityContext.privileged=true)"'
    )
    core = client.CoreV1Api(api)
    events = await eventually(
        lambda: core.list_namespaced_event(ns, field_selector="reason=FailedCreate"),
        lambda listed: bool(listed.items),
        what="a FailedCreate event",
    )
    event = events.items[0]
    assert event.involved_object.kind == "ReplicaSet"
    assert event.type == "Warning"
    assert event.source.component == "replicaset-controller"
    assert event.message.startswith('Error creating: pods "priv-')
    assert event.message.endswith(
        '" is forbidden: violates PodSecurity "baseline:latest": privileged (container '
        '"app" must not set securityContext.privileged=true)'
    )
    assert (await core.list_namespaced_pod(ns)).items == []


async def test_statefulset_refusal_reads_like_the_statefulset_controller(
    http: httpx.AsyncClient, api: client.ApiClient
) -> None:
    ns = await make_namespace(http, **{ENFORCE: "baseline"})
    sts = deployment("db", 1, security={"privileged": True})
    sts.update(kind="StatefulSet")
    sts["spec"]["serviceName"] = "db"
    assert (await http.post(f"/apis/apps/v1/namespaces/{ns}/statefulsets", json=sts)).status_code == 201
    core = client.CoreV1Api(api)
    events = await eventually(
        lambda: core.list_namespaced_event(ns, field_selector="reason=FailedCreate"),
        lambda listed: bool(listed.items),
        what="a FailedCreate event",
    )
    assert events.items[0].message == (
        'create Pod db-0 in StatefulSet db failed error: pods "db-0" is forbidden: violates PodSecurity '
        '"baseline:latest": privileged (container "app" must not set securityContext.privileged=true)'
    )


async def test_namespace_labels_are_validated_and_tightening_warns(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/namespaces",
        json={
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": f"bad-{uuid.uuid4().hex[:6]}", "labels": {ENFORCE: "strict"}},
        },
    )
    assert response.status_code == 422
    assert response.json()["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "field": "metadata.labels[pod-security.kubernetes.io/enforce]",
            "message": 'Invalid value: "strict": must be one of privileged, baseline, restricted',
        }
    ]
    ns = await make_namespace(http)
    assert (await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("host", hostPID=True))).status_code == 201
    labelled = await http.patch(
        f"/api/v1/namespaces/{ns}",
        headers={"Content-Type": "application/merge-patch+json"},
        json={"metadata": {"labels": {ENFORCE: "baseline"}}},
    )
    assert labelled.status_code == 200
    assert labelled.headers.get_list("warning") == [
        f'299 - "existing pods in namespace \\"{ns}\\" violate the new PodSecurity enforce level '
        f'\\"baseline:latest\\""',
        '299 - "host: host namespaces"',
    ]


# --- ResourceQuota -------------------------------------------------------------------------------------------------


async def make_quota(http: httpx.AsyncClient, ns: str, hard: JSON, name: str = "compute") -> None:
    response = await http.post(
        f"/api/v1/namespaces/{ns}/resourcequotas",
        json={"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": {"hard": hard}},
    )
    assert response.status_code == 201, response.text


async def test_quota_refuses_with_the_api_servers_messages(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    await make_quota(http, ns, {"pods": "2", "requests.cpu": "300m", "limits.memory": "1Gi"})
    missing = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("bare"))
    assert missing.status_code == 403
    assert missing.json()["message"] == (
        'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app'
    )
    for name in ("a", "b"):
        ok = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod(name, resources=SMALL))
        assert ok.status_code == 201, ok.text
    over = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("c", resources=SMALL))
    assert over.status_code == 403
    assert over.json()["message"] == (
        'pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2'
    )
    cpu = await http.post(
        f"/api/v1/namespaces/{ns}/resourcequotas",
        json={"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "cpu"}, "spec": {"hard": {"cpu": "1"}}},
    )
    assert cpu.status_code == 201
    big = await http.delete(f"/api/v1/namespaces/{ns}/pods/a", params={"gracePeriodSeconds": "0"})
    assert big.status_code == 200
    greedy = await http.post(
        f"/api/v1/namespaces/{ns}/pods",
        json=pod("d", resources={"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"memory": "64Mi"}}),
    )
    assert greedy.json()["message"] == (
        'pods "d" is forbidden: exceeded quota: compute, requested: '
        "requests.cpu=250m, used: requests.cpu=100m, limited: requests.cpu=300m"
    )
    status = await eventually(
        lambda: http.get(f"/api/v1/namespaces/{ns}/resourcequotas/compute"),
        lambda r: r.json().get("status", {}).get("used", {}).get("pods") == "1",
        what="quota usage after the deletion",
    )
    assert status.json()["status"] == {
        "hard": {"limits.memory": "1Gi", "pods": "2", "requests.cpu": "300m"},
        "used": {"limits.memory": "64Mi", "pods": "1", "requests.cpu": "100m"},
    }


async def test_concurrent_creates_never_overshoot(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    await make_quota(http, ns, {"pods": "5", "count/configmaps": "4"})
    responses = await asyncio.gather(
        *(http.post(f"/api/v1/namespaces/{ns}/pods", json=pod(f"p{i}")) for i in range(20))
    )
    assert sorted(r.status_code for r in responses) == [201] * 5 + [403] * 15
    # Every namespace gets a kube-root-ca.crt ConfigMap, which counts too.
    await eventually(
        lambda: http.get(f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt"),
        lambda r: r.status_code == 200,
        what="the namespace's kube-root-ca.crt",
    )
    configmaps = await asyncio.gather(
        *(
            http.post(
                f"/api/v1/namespaces/{ns}/configmaps",
                json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}},
            )
            for i in range(6)
        )
    )
    assert sorted(r.status_code for r in configmaps) == [201] * 3 + [403] * 3
    refused = next(r for r in configmaps if r.status_code == 403)
    assert refused.json()["message"].endswith(
        "is forbidden: exceeded quota: compute, requested: count/configmaps=1, "
        "used: count/configmaps=4, limited: count/configmaps=4"
    )


async def test_finished_pods_free_their_quota(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    await make_quota(http, ns, {"pods": "1"})
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "batch"},
        "spec": {
            "completions": 3,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "w", "image": "busybox"}]}},
        },
    }
    assert (await http.post(f"/apis/batch/v1/namespaces/{ns}/jobs", json=job)).status_code == 201
    done = await eventually(
        lambda: http.get(f"/apis/batch/v1/namespaces/{ns}/jobs/batch"),
        lambda r: r.json().get("status", {}).get("succeeded") == 3,
        what="3 completions",
    )
    assert done.json()["status"]["succeeded"] == 3


async def test_deployment_over_quota_is_capped_and_records_failed_creates(
    http: httpx.AsyncClient, api: client.ApiClient
) -> None:
    ns = await make_namespace(http)
    await make_quota(http, ns, {"pods": "3"})
    assert (await http.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment("web", 5))).status_code == 201
    core = client.CoreV1Api(api)
    events = await eventually(
        lambda: core.list_namespaced_event(ns, field_selector="reason=FailedCreate"),
        lambda listed: bool(listed.items),
        what="a FailedCreate event",
    )
    message = events.items[0].message
    assert message.startswith('Error creating: pods "web-')
    assert message.endswith('" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3')
    pods = await eventually(lambda: core.list_namespaced_pod(ns), lambda listed: len(listed.items) == 3, what="3 pods")
    # The refusal shows in the ReplicaSet's and the Deployment's ReplicaFailure condition.
    apps = client.AppsV1Api(api)
    dep = await eventually(
        lambda: apps.read_namespaced_deployment("web", ns),
        lambda d: any(c.type == "ReplicaFailure" for c in d.status.conditions or []),
        what="the ReplicaFailure condition",
    )
    failure = next(c for c in dep.status.conditions if c.type == "ReplicaFailure")
    assert (failure.status, failure.reason) == ("True", "FailedCreate")
    assert failure.message.startswith('pods "web-')
    assert failure.message.endswith("exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3")
    await asyncio.sleep(1.0)
    assert len((await core.list_namespaced_pod(ns)).items) == 3
    # Freeing quota lets the ReplicaSet catch up without waiting for its back-off to run out.
    await core.delete_namespaced_pod(pods.items[0].metadata.name, ns, grace_period_seconds=0)
    await eventually(
        lambda: core.list_namespaced_pod(ns),
        lambda listed: len([p for p in listed.items if not p.metadata.deletion_timestamp]) == 3,
        what="a replacement pod",
    )
    # Scaled down to what the quota allows, the ReplicaSet syncs cleanly and the condition goes.
    await apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
    await eventually(
        lambda: apps.read_namespaced_deployment("web", ns),
        lambda d: not any(c.type == "ReplicaFailure" for c in d.status.conditions or []),
        what="the ReplicaFailure condition gone",
    )


async def test_huge_deployment_under_a_pods_quota_leaves_kubesim_responsive(
    http: httpx.AsyncClient, api: client.ApiClient
) -> None:
    ns = await make_namespace(http)
    await make_quota(http, ns, {"pods": "5"})
    assert (
        await http.post(f"/apis/apps/v1/namespaces/{ns}/deployments", json=deployment("huge", 100_000))
    ).status_code == 201
    core = client.CoreV1Api(api)
    await eventually(lambda: core.list_namespaced_pod(ns), lambda listed: len(listed.items) == 5, what="5 pods")
    slowest = 0.0
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        started = time.monotonic()
        assert (await http.get("/version")).status_code == 200
        assert (await http.get(f"/api/v1/namespaces/{ns}/pods")).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        await asyncio.sleep(0.05)
    assert slowest < 1.0
    assert len((await core.list_namespaced_pod(ns)).items) == 5
    # Refusals are retried with a back-off and their events aggregated, not one event per attempt.
    events = await eventually(
        lambda: core.list_namespaced_event(ns, field_selector="reason=FailedCreate"),
        lambda listed: any(
            e.message.startswith('(combined from similar events): Error creating: pods "huge-') for e in listed.items
        ),
        what="aggregated FailedCreate events",
    )
    assert len(events.items) <= 10
    assert sum(e.count for e in events.items) < 200


# --- LimitRange ----------------------------------------------------------------------------------------------------


async def test_limit_range_defaults_and_limits(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    response = await http.post(
        f"/api/v1/namespaces/{ns}/limitranges",
        json={
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "defaults"},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": "500m", "memory": "256Mi"},
                        "defaultRequest": {"cpu": "0.25", "memory": "128Mi"},
                        "max": {"cpu": "1"},
                    },
                    {"type": "PersistentVolumeClaim", "max": {"storage": "5Gi"}},
                ]
            },
        },
    )
    assert response.status_code == 201
    await make_quota(http, ns, {"requests.cpu": "1", "limits.memory": "2Gi"})
    created = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("defaulted"))
    assert created.status_code == 201, created.text
    stored = (await http.get(f"/api/v1/namespaces/{ns}/pods/defaulted")).json()
    assert stored["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "500m", "memory": "256Mi"},
        "requests": {"cpu": "250m", "memory": "128Mi"},
    }
    assert stored["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    )
    assert stored["status"]["qosClass"] == "Burstable"
    too_big = await http.post(f"/api/v1/namespaces/{ns}/pods", json=pod("big", resources={"limits": {"cpu": "2"}}))
    assert too_big.status_code == 403
    assert too_big.json()["message"] == 'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}},
    }
    refused = await http.post(f"/api/v1/namespaces/{ns}/persistentvolumeclaims", json=claim)
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        'persistentvolumeclaims "data" is forbidden: maximum storage usage per '
        "PersistentVolumeClaim is 5Gi, but request is 10Gi"
    )


# --- NetworkPolicy and sizes ---------------------------------------------------------------------------------------


async def test_network_policies_are_validated_and_defaulted(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    path = f"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies"
    bad = await http.post(
        path,
        json={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "bad"},
            "spec": {
                "podSelector": {},
                "ingress": [
                    {
                        "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["11.0.0.0/16"]}}],
                        "ports": [{"protocol": "ICMP"}],
                    }
                ],
            },
        },
    )
    assert bad.status_code == 422
    assert bad.json()["message"] == (
        'NetworkPolicy.networking.k8s.io "bad" is invalid: [spec.ingress[0].ports[0].protocol: Unsupported value: '
        '"ICMP": supported values: "TCP", "UDP", "SCTP", spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: '
        '"11.0.0.0/16": must be a strict subset of `cidr`]'
    )
    good = await http.post(
        path,
        json={
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "same-namespace"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 8080}]}]},
        },
    )
    assert good.status_code == 201
    assert good.json()["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": 8080, "protocol": "TCP"}]}],
    }


async def test_request_and_object_size_limits(http: httpx.AsyncClient) -> None:
    ns = await make_namespace(http)
    huge = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"}, "data": {"v": "x" * 3_200_000}}
    response = await http.post(f"/api/v1/namespaces/{ns}/configmaps", json=huge)
    assert response.status_code == 413
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Request entity too large: limit is 3145728",
        "reason": "RequestEntityTooLarge",
        "code": 413,
    }
    big = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": {"v": "x" * 2_000_000}}
    response = await http.post(f"/api/v1/namespaces/{ns}/configmaps", json=big)
    assert response.status_code == 500
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "etcdserver: request is too large",
        "code": 500,
    }
    assert (await http.get(f"/api/v1/namespaces/{ns}/configmaps/big")).status_code == 404
