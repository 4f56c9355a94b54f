"""The cluster side of the tenancy policy. Every project namespace carries its guardrails — Pod Security labels, a
ResourceQuota, a LimitRange and a default NetworkPolicy — a new project's from its first rollout, and one made
before the policy existed (or changed by hand) gets them back from the executor's resync. And the cluster enforces
the policy again when the platform is bypassed: the objects the platform would render for the hostile manifests,
and pods a tenant could write by hand, applied straight to kubesim (as ``kubectl apply`` would) in Mallory's
namespace, are refused by the API server's own admission with its messages.

Superusers, and only they, change one project's limits: that project (only) may then run what its tenancy policy
refused, the change is an event on the bus, the cluster follows (namespace labels, quota), and lowering the limits
again makes the executor refuse the running rollout visibly instead of half-applying anything. These come last:
they change Mallory's project."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NATS

from kubesim.testing import Kubectl, KubesimProcess
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.applying import object_path
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render
from oneclick_testing.events import stored_events
from oneclick_testing.records import rollout_manifest
from oneclick_testing.waiting import eventually

from .tenants import Json, Tenant, Tenants, tenant

pytestmark = pytest.mark.e2e

APPLY = {"Content-Type": "application/apply-patch+yaml"}

GUARDRAILS = (("resourcequotas", "one-click-quota"), ("limitranges", "one-click-limits"))
NETWORK_POLICY = "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/one-click-default"
LEVEL_LABELS = (
    "pod-security.kubernetes.io/enforce",
    "pod-security.kubernetes.io/warn",
    "pod-security.kubernetes.io/audit",
)


async def guardrails(tenants: Tenants, namespace: str) -> dict[str, Json | None]:
    found: dict[str, Json | None] = {}
    paths = {kind: f"/api/v1/namespaces/{namespace}/{kind}/{name}" for kind, name in GUARDRAILS}
    paths["networkpolicies"] = NETWORK_POLICY.format(ns=namespace)
    for kind, path in paths.items():
        response = await tenants.cluster.get(path)
        found[kind] = response.json() if response.status_code == 200 else None
    return found


async def test_a_new_projects_namespace_carries_every_guardrail(tenants: Tenants) -> None:
    namespace = tenants.alice.project
    labels = await namespace_labels(tenants, namespace)
    assert {label: labels.get(label) for label in LEVEL_LABELS} == dict.fromkeys(LEVEL_LABELS, "baseline")
    found = await guardrails(tenants, namespace)
    quota, limits, network = found["resourcequotas"], found["limitranges"], found["networkpolicies"]
    assert quota is not None
    assert limits is not None
    assert network is not None
    # The module's policy (tenants.POLICY_ENV), no external services.
    assert quota["spec"]["hard"] == {
        "requests.cpu": "2",
        "requests.memory": "8Gi",
        "limits.cpu": "4",
        "limits.memory": "16Gi",
        "pods": "6",
        "persistentvolumeclaims": "10",
        "requests.storage": "50Gi",
        "services.nodeports": "0",
        "services.loadbalancers": "0",
    }
    assert limits["spec"]["limits"] == [
        {
            "type": "Container",
            "default": {"cpu": "500m", "memory": "512Mi"},
            "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
        }
    ]
    assert network["spec"]["policyTypes"] == ["Ingress"]
    assert network["spec"]["ingress"] == [
        {
            "from": [
                {"podSelector": {}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
            ]
        }
    ]


async def test_a_namespace_without_guardrails_gets_them_back_from_the_resync(tenants: Tenants) -> None:
    namespace = tenants.alice.project
    # As a namespace made before the tenancy policy looks (or one a cluster admin stripped by hand).
    for kind, name in GUARDRAILS:
        response = await tenants.cluster.delete(f"/api/v1/namespaces/{namespace}/{kind}/{name}")
        assert response.status_code == 200, response.text
    deleted = await tenants.cluster.delete(NETWORK_POLICY.format(ns=namespace))
    assert deleted.status_code == 200, deleted.text
    stripped = await tenants.cluster.patch(
        f"/api/v1/namespaces/{namespace}",
        headers={"Content-Type": "application/merge-patch+json"},
        json={"metadata": {"labels": dict.fromkeys(LEVEL_LABELS)}},
    )
    assert stripped.status_code == 200, stripped.text
    assert not set(LEVEL_LABELS) & set(stripped.json()["metadata"].get("labels") or {})

    async def restored() -> bool:
        found = await guardrails(tenants, namespace)
        labels = await namespace_labels(tenants, namespace)
        return all(found.values()) and all(labels.get(label) == "baseline" for label in LEVEL_LABELS)

    await eventually(restored, timeout=60, message="the resync restores alice's namespace guardrails")
    assert await tenants.alice_is_ok()


@pytest.mark.kubectl
async def test_kubectl_shows_the_guardrails_of_a_project(
    tenants: Tenants, module_kubesim: KubesimProcess, tmp_path: Path
) -> None:
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
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "docker.io/library/nginx:1.25",
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "10m", "memory": "16Mi"},
                    },
                    **(container or {}),
                }
            ],
            **spec,
        },
    }


# (pod, the PodSecurity reason and detail the API server gives for it under "baseline")
REFUSED_PODS: list[tuple[Json, str]] = [
    (
        pod("privileged", {"securityContext": {"privileged": True}}),
        'privileged (container "app" must not set securityContext.privileged=true)',
    ),
    (
        pod("capabilities", {"securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}),
        'non-default capabilities (container "app" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
    ),
    (pod("host-network", hostNetwork=True), "host namespaces (hostNetwork=true)"),
    (pod("host-pid", hostPID=True), "host namespaces (hostPID=true)"),
    (
        pod(
            "host-path",
            {"volumeMounts": [{"name": "root", "mountPath": "/host"}]},
            volumes=[{"name": "root", "hostPath": {"path": "/"}}],
        ),
        'hostPath volumes (volume "root")',
    ),
    (
        pod("host-port", {"ports": [{"containerPort": 80, "hostPort": 80}]}),
        'hostPort (container "app" uses hostPort 80)',
    ),
    (
        pod("sysctls", securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}),
        "forbidden sysctls (kernel.msgmax)",
    ),
    (
        pod("seccomp", securityContext={"seccompProfile": {"type": "Unconfined"}}),
        'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")',
    ),
    # The API server mirrors the field into the AppArmor annotation before admission; both are named.
    (
        pod("apparmor", {"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}),
        'forbidden AppArmor profiles (container "app" and annotation must not set AppArmor profile type to '
        '"Unconfined", "container.apparmor.security.beta.kubernetes.io/app="unconfined"")',
    ),
    (
        pod("proc-mount", {"securityContext": {"procMount": "Unmasked"}}),
        'procMount (container "app" must not set securityContext.procMount to "Unmasked")',
    ),
]


@pytest.mark.parametrize(
    ("manifest", "detail"), REFUSED_PODS, ids=[case[0]["metadata"]["name"] for case in REFUSED_PODS]
)
async def test_pods_the_level_refuses_are_forbidden_by_the_cluster(
    tenants: Tenants, manifest: Json, detail: str
) -> None:
    namespace = tenants.mallory.project
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/pods", json=manifest)
    assert response.status_code == 403, response.text
    status = response.json()
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        f'pods "{manifest["metadata"]["name"]}" is forbidden: violates PodSecurity "baseline:latest": {detail}'
    )
    missing = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/pods/{manifest['metadata']['name']}")
    assert missing.status_code == 404


async def test_the_platforms_own_objects_for_a_hostile_manifest_run_no_pod(tenants: Tenants) -> None:
    """What the platform would render for the privileged manifest (had it accepted it), applied by hand: the
    Deployment is stored, with the API server's warning, but not one of its pods is admitted."""
    namespace = tenants.mallory.project
    deployment_id = "handmade0000001"
    manifest = validate_manifest(
        rollout_manifest(
            securityContext={
                "privileged": True,
                "allowPrivilegeEscalation": True,
                "runAsUser": 0,
                "capabilities": {"add": ["ALL", "SYS_ADMIN"]},
            }
        )
    )
    objects = render(
        manifest,
        project_id=namespace,
        deployment_id=deployment_id,
        rollout_id="handmade0000002",
        user_id=tenants.mallory.user.id,
        username="mallory",
        display_name="mallory",
        policy=TenancyPolicy(),
    )
    [deployment] = [obj for obj in objects if obj["kind"] == "Deployment"]
    applied = await tenants.cluster.patch(
        object_path(deployment), params={"fieldManager": "kubectl"}, headers=APPLY, json=deployment
    )
    assert applied.status_code in (200, 201), applied.text
    # A Warning header as kubectl prints it: 299 - "would violate PodSecurity \"baseline:latest\": ...".
    warning = applied.headers.get("warning", "")
    assert warning.startswith('299 - "would violate PodSecurity \\"baseline:latest\\": ')
    assert 'privileged (container \\"handmade0000001\\" must not set securityContext.privileged=true)' in warning

    async def refused_events() -> list[Json]:
        response = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/events")
        return [
            event
            for event in response.json()["items"]
            if event.get("reason") == "FailedCreate" and event["involvedObject"]["name"].startswith(deployment_id)
        ]

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
    greedy["spec"]["containers"][0]["resources"] = {
        "requests": {"cpu": "3", "memory": "16Mi"},
        "limits": {"cpu": "3", "memory": "16Mi"},
    }
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/pods", json=greedy)
    assert response.status_code == 403, response.text
    message = response.json()["message"]
    # The module's quota is requests.cpu 2 (tenants.POLICY_ENV).
    assert message.startswith('pods "greedy" is forbidden: exceeded quota: one-click-quota, requested: ')
    assert "requests.cpu=3" in message
    assert "limited: " in message
    assert "requests.cpu=2" in message


@pytest.mark.parametrize(
    ("kind", "resource"), [("NodePort", "services.nodeports"), ("LoadBalancer", "services.loadbalancers")]
)
async def test_services_outside_the_cluster_are_refused_by_the_quota(
    tenants: Tenants, kind: str, resource: str
) -> None:
    namespace = tenants.mallory.project
    name = f"exposed-{kind.lower()}"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"type": kind, "selector": {"app": "x"}, "ports": [{"port": 80, "targetPort": 80}]},
    }
    response = await tenants.cluster.post(f"/api/v1/namespaces/{namespace}/services", json=service)
    assert response.status_code == 403, response.text
    message = response.json()["message"]
    assert message.startswith(f'services "{name}" is forbidden: exceeded quota: one-click-quota, requested: ')
    assert f"limited: {resource}=0" in message or f"{resource}=0" in message


async def test_a_hand_made_deployment_of_100_replicas_is_capped_by_the_quota(tenants: Tenants) -> None:
    namespace = tenants.mallory.project
    name = "flood"
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 100,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod(name)["spec"]},
        },
    }
    created = await tenants.cluster.post(f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment)
    assert created.status_code == 201, created.text

    async def pods() -> list[Json]:
        response = await tenants.cluster.get(
            f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"app={name}"}
        )
        items: list[Json] = response.json()["items"]
        return items

    async def quota_reached() -> bool:
        response = await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/events")
        return any(
            event.get("reason") == "FailedCreate" and "exceeded quota: one-click-quota" in event["message"]
            for event in response.json()["items"]
        )

    await eventually(quota_reached, timeout=30, message="FailedCreate: exceeded quota")
    quota = (await tenants.cluster.get(f"/api/v1/namespaces/{namespace}/resourcequotas/one-click-quota")).json()
    assert quota["status"]["hard"]["pods"] == "6"
    await asyncio.sleep(1)  # the controller keeps trying: still capped
    assert len(await pods()) <= 6
    assert int(quota["status"]["used"]["pods"]) <= 6
    assert await tenants.alice_is_ok()
    deleted = await tenants.cluster.delete(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    assert deleted.status_code == 200


# -- superusers' limits --------------------------------------------------------------------------------------

PRIVILEGED = {"privileged": True, "allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"]}}
RAISED = {"podSecurity": "privileged", "maxReplicas": 4, "quota": {"pods": "12", "requests.cpu": "3"}}


def privileged(**spec: Any) -> Json:
    return rollout_manifest(securityContext=PRIVILEGED, **spec)


async def set_limits(tenants: Tenants, project: str, limits: Json | None) -> Json:
    response = await tenants.superuser.client.patch(
        f"/api/collections/projects/records/{project}", json={"limits": limits}
    )
    assert response.status_code == 200, response.text
    body: Json = response.json()
    return body


async def namespace_labels(tenants: Tenants, project: str) -> dict[str, str]:
    """The namespace's labels; none while its first rollout has not made it yet."""
    response = await tenants.cluster.get(f"/api/v1/namespaces/{project}")
    if response.status_code == 404:
        return {}
    assert response.status_code == 200, response.text
    labels: dict[str, str] = response.json()["metadata"].get("labels") or {}
    return labels


async def quota_hard(tenants: Tenants, project: str) -> dict[str, str]:
    response = await tenants.cluster.get(f"/api/v1/namespaces/{project}/resourcequotas/one-click-quota")
    assert response.status_code == 200, response.text
    hard: dict[str, str] = response.json()["spec"]["hard"]
    return hard


async def test_users_cannot_change_their_own_limits(tenants: Tenants) -> None:
    mallory = tenants.mallory
    refused = await mallory.user.client.patch(
        f"/api/collections/projects/records/{mallory.project}", json={"limits": RAISED}
    )
    assert refused.status_code == 400
    assert refused.json()["data"]["limits"]["code"] == "validation_superusers_only"
    created = await mallory.user.client.post(
        "/api/collections/projects/records", json={"name": "sneaky", "limits": RAISED}
    )
    assert created.status_code == 400
    assert "limits" in created.json()["data"]
    # A form that sends the record back as it is changes nothing, and is fine.
    current = (await mallory.user.client.get(f"/api/collections/projects/records/{mallory.project}")).json()
    echoed = await mallory.user.client.patch(
        f"/api/collections/projects/records/{mallory.project}",
        json={"name": current["name"], "limits": current["limits"]},
    )
    assert echoed.status_code == 200, echoed.text


async def test_invalid_limits_are_field_errors(tenants: Tenants) -> None:
    response = await tenants.superuser.client.patch(
        f"/api/collections/projects/records/{tenants.mallory.project}",
        json={"limits": {"podSecurity": "anything", "quota": {"pods": "many"}, "colour": "red"}},
    )
    assert response.status_code == 400
    assert {"limits.podSecurity", "limits.quota", "limits.colour"} <= response.json()["data"].keys()


async def test_a_superuser_raises_one_project_which_alone_may_then_deploy_it(tenants: Tenants, bus: NATS) -> None:
    mallory = tenants.mallory
    eve: Tenant = await tenant(tenants.platform, "eve", rollout_manifest())
    assert (await mallory.rollout(privileged())).status_code == 400

    project = await set_limits(tenants, mallory.project, RAISED)
    assert project["limits"] == RAISED

    # The change is an event on the bus (with what changed), and the cluster follows it.
    def limits_changed(envelope: Envelope) -> bool:
        return envelope.subject == mallory.project and "limits" in (envelope.data.get("changed") or [])

    async def announced() -> bool:
        return bool(await stored_events(bus, "oneclick.events.project.updated", limits_changed, quiet_for=0.3))

    await eventually(announced, timeout=30, message="project.updated with the new limits on the bus")

    async def cluster_follows() -> bool:
        labels = await namespace_labels(tenants, mallory.project)
        return (
            labels.get("pod-security.kubernetes.io/enforce") == "privileged"
            and (await quota_hard(tenants, mallory.project))["pods"] == "12"
        )

    await eventually(cluster_follows, timeout=30, message="mallory's namespace privileged with a quota of 12 pods")

    four = {"minReplicas": 4, "maxReplicas": 4, "targetCPUUtilizationPercentage": 80}
    raised = await mallory.rollout(privileged(horizontalScale=four))
    assert raised.status_code == 200, raised.text
    # Eve's project kept the defaults: the same manifest is still refused there.
    refused = await eve.rollout(privileged(horizontalScale=four))
    assert refused.status_code == 400
    assert {"manifest.spec.securityContext.privileged", "manifest.spec.horizontalScale.maxReplicas"} <= refused.json()[
        "data"
    ].keys()

    async def privileged_pods_run() -> bool:
        pods = [
            pod
            for pod in await tenants.pods_of(mallory.project, mallory.deployment)
            if pod["status"].get("phase") == "Running"
            and not pod["metadata"].get("deletionTimestamp")
            and pod["spec"]["containers"][0].get("securityContext", {}).get("privileged")
        ]
        return len(pods) == 4

    await eventually(privileged_pods_run, timeout=60, message="four privileged pods running for mallory")
    assert await tenants.alice_is_ok()

    # The superuser's view lists the project's limits; nobody else may read it.
    view = await tenants.superuser.client.get("/api/tenancy")
    assert view.status_code == 200, view.text
    assert {"id": mallory.project, "name": "mallory's project", "limits": RAISED} in view.json()["projects"]
    assert view.json()["policy"]["podSecurity"] == "baseline"
    assert (await mallory.user.client.get("/api/tenancy")).status_code == 403
    assert (await tenants.platform.client.get("/api/tenancy")).status_code == 401


async def test_lowering_the_limits_fails_the_running_rollout_visibly_and_applies_nothing(
    tenants: Tenants, bus: NATS
) -> None:
    mallory = tenants.mallory
    [deployment] = [
        item for item in await tenants.deployments_in(mallory.project) if item["metadata"]["name"] == mallory.deployment
    ]
    # The Deployment as the raised rollout made it (its status may still move: compare what an apply writes).
    version = (deployment["metadata"]["generation"], deployment["spec"])

    await set_limits(tenants, mallory.project, None)

    def refused_by_policy(envelope: Envelope) -> bool:
        return (
            envelope.data.get("deployment") == mallory.deployment and envelope.data.get("reason") == "PolicyViolation"
        )

    async def failed() -> list[Envelope]:
        return [
            event.envelope
            for event in await stored_events(bus, "oneclick.events.rollout.failed", refused_by_policy, quiet_for=0.3)
        ]

    async def any_failed() -> bool:
        return bool(await failed())

    await eventually(any_failed, timeout=30, message="rollout.failed PolicyViolation for mallory's deployment")
    message = (await failed())[0].data["message"]
    assert message.startswith("Refused by the project's tenancy policy: ")
    assert "manifest.spec.securityContext.privileged" in message
    assert "manifest.spec.horizontalScale.maxReplicas" in message

    async def baseline_again() -> bool:
        return (await namespace_labels(tenants, mallory.project)).get(
            "pod-security.kubernetes.io/enforce"
        ) == "baseline"

    await eventually(baseline_again, timeout=30, message="mallory's namespace back to baseline")
    # Nothing of the refused rollout was applied again: the Deployment is as it was.
    [after] = [
        item for item in await tenants.deployments_in(mallory.project) if item["metadata"]["name"] == mallory.deployment
    ]
    assert (after["metadata"]["generation"], after["spec"]) == version
    # Back to a rollout the policy allows.
    assert (await mallory.rollout(rollout_manifest())).status_code == 200
    assert await tenants.alice_is_ok()


async def test_a_restricted_project_refuses_root_and_runs_a_hardened_manifest(tenants: Tenants) -> None:
    """A superuser may also tighten one project: under "restricted", root is refused at save time, and what the
    platform renders for a hardened manifest (cron jobs included) is admitted by the cluster's own "restricted"
    admission."""
    strict: Tenant = await tenant(tenants.platform, "strict", rollout_manifest())

    async def baseline_namespace() -> bool:
        return (await namespace_labels(tenants, strict.project)).get("pod-security.kubernetes.io/enforce") == "baseline"

    # Its first rollout applied: the namespace exists (a namespace is made with a project's first apply).
    await eventually(baseline_namespace, timeout=30, message="the project's namespace made under baseline")
    await set_limits(tenants, strict.project, {"podSecurity": "restricted"})

    async def restricted_namespace() -> bool:
        return (await namespace_labels(tenants, strict.project)).get(
            "pod-security.kubernetes.io/enforce"
        ) == "restricted"

    await eventually(restricted_namespace, timeout=30, message="the namespace enforces restricted")
    root = await strict.rollout(rollout_manifest(securityContext={"runAsUser": 0}))
    assert root.status_code == 400
    assert {
        "manifest.spec.securityContext.runAsUser",
        "manifest.spec.securityContext.runAsNonRoot",
        "manifest.spec.securityContext.capabilities.drop",
    } <= root.json()["data"].keys()
    assert all('"restricted" pod security level' in problem["message"] for problem in root.json()["data"].values())

    cron = {
        "name": "tick",
        "schedule": "* * * * *",
        "command": ["sh", "-c", "date"],
        "image": {"registry": "docker.io", "repository": "library/busybox", "tag": "1.36"},
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}},
    }
    hardened = rollout_manifest(
        securityContext={"runAsNonRoot": True, "runAsUser": 1000, "capabilities": {"drop": ["ALL"]}}, cronjobs=[cron]
    )
    accepted = await strict.rollout(hardened)
    assert accepted.status_code == 200, accepted.text

    async def admitted() -> bool:
        pods = [
            pod
            for pod in await tenants.pods_of(strict.project, strict.deployment)
            if pod["status"].get("phase") == "Running"
            and pod["spec"].get("securityContext", {}).get("seccompProfile") == {"type": "RuntimeDefault"}
        ]
        return bool(pods)

    await eventually(admitted, timeout=60, message="a hardened pod admitted and running under restricted")
    events = (await tenants.cluster.get(f"/api/v1/namespaces/{strict.project}/events")).json()["items"]
    assert not [
        event for event in events if event.get("reason") == "FailedCreate" and "PodSecurity" in event.get("message", "")
    ], "the platform rendered something restricted refuses"
