"""Superusers, and only they, change one project's limits: that project (only) may then run what its tenancy
policy refused, the change is an event on the bus, the cluster follows (namespace labels, quota), and lowering
the limits again makes the executor refuse the running rollout visibly instead of half-applying anything."""

from __future__ import annotations

from typing import Any

import pytest
from nats.aio.client import Client as NATS

from oneclick_core.contracts.envelope import Envelope
from oneclick_testing.events import stored_events
from oneclick_testing.records import rollout_manifest
from oneclick_testing.waiting import eventually

from .tenants import Json, Tenant, Tenants, tenant

pytestmark = pytest.mark.e2e

PRIVILEGED = {"privileged": True, "allowPrivilegeEscalation": True, "capabilities": {"add": ["SYS_ADMIN"]}}
RAISED = {"podSecurity": "privileged", "maxReplicas": 4, "quota": {"pods": "12", "requests.cpu": "3"}}


def privileged(**spec: Any) -> Json:
    return rollout_manifest(securityContext=PRIVILEGED, **spec)


async def set_limits(tenants: Tenants, project: str, limits: Json | None) -> Json:
    response = await tenants.superuser.client.patch(f"/api/collections/projects/records/{project}",
                                                    json={"limits": limits})
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
    refused = await mallory.user.client.patch(f"/api/collections/projects/records/{mallory.project}",
                                              json={"limits": RAISED})
    assert refused.status_code == 400
    assert refused.json()["data"]["limits"]["code"] == "validation_superusers_only"
    created = await mallory.user.client.post("/api/collections/projects/records",
                                             json={"name": "sneaky", "limits": RAISED})
    assert created.status_code == 400
    assert "limits" in created.json()["data"]
    # A form that sends the record back as it is changes nothing, and is fine.
    current = (await mallory.user.client.get(f"/api/collections/projects/records/{mallory.project}")).json()
    echoed = await mallory.user.client.patch(f"/api/collections/projects/records/{mallory.project}",
                                             json={"name": current["name"], "limits": current["limits"]})
    assert echoed.status_code == 200, echoed.text


async def test_invalid_limits_are_field_errors(tenants: Tenants) -> None:
    response = await tenants.superuser.client.patch(
        f"/api/collections/projects/records/{tenants.mallory.project}",
        json={"limits": {"podSecurity": "anything", "quota": {"pods": "many"}, "colour": "red"}})
    assert response.status_code == 400
    assert {"limits.podSecurity", "limits.quota", "limits.colour"} <= response.json()["data"].keys()


async def test_a_superuser_raises_one_project_which_alone_may_then_deploy_it(tenants: Tenants,
                                                                               bus: NATS) -> None:
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
        return (labels.get("pod-security.kubernetes.io/enforce") == "privileged"
                and (await quota_hard(tenants, mallory.project))["pods"] == "12")

    await eventually(cluster_follows, timeout=30, message="mallory's namespace privileged with a quota of 12 pods")

    four = {"minReplicas": 4, "maxReplicas": 4, "targetCPUUtilizationPercentage": 80}
    raised = await mallory.rollout(privileged(horizontalScale=four))
    assert raised.status_code == 200, raised.text
    # Eve's project kept the defaults: the same manifest is still refused there.
    refused = await eve.rollout(privileged(horizontalScale=four))
    assert refused.status_code == 400
    assert {"manifest.spec.securityContext.privileged", "manifest.spec.horizontalScale.maxReplicas"} <= \
        refused.json()["data"].keys()

    async def privileged_pods_run() -> bool:
        pods = [pod for pod in await tenants.pods_of(mallory.project, mallory.deployment)
                if pod["status"].get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")
                and pod["spec"]["containers"][0].get("securityContext", {}).get("privileged")]
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


async def test_lowering_the_limits_fails_the_running_rollout_visibly_and_applies_nothing(tenants: Tenants,
                                                                                         bus: NATS) -> None:
    mallory = tenants.mallory
    [deployment] = [item for item in await tenants.deployments_in(mallory.project)
                    if item["metadata"]["name"] == mallory.deployment]
    # The Deployment as the raised rollout made it (its status may still move: compare what an apply writes).
    version = (deployment["metadata"]["generation"], deployment["spec"])

    await set_limits(tenants, mallory.project, None)

    def refused_by_policy(envelope: Envelope) -> bool:
        return envelope.data.get("deployment") == mallory.deployment and \
            envelope.data.get("reason") == "PolicyViolation"

    async def failed() -> list[Envelope]:
        return [event.envelope for event in
                await stored_events(bus, "oneclick.events.rollout.failed", refused_by_policy, quiet_for=0.3)]

    async def any_failed() -> bool:
        return bool(await failed())

    await eventually(any_failed, timeout=30, message="rollout.failed PolicyViolation for mallory's deployment")
    message = (await failed())[0].data["message"]
    assert message.startswith("Refused by the project's tenancy policy: ")
    assert "manifest.spec.securityContext.privileged" in message
    assert "manifest.spec.horizontalScale.maxReplicas" in message

    async def baseline_again() -> bool:
        return (await namespace_labels(tenants, mallory.project)).get(
            "pod-security.kubernetes.io/enforce") == "baseline"

    await eventually(baseline_again, timeout=30, message="mallory's namespace back to baseline")
    # Nothing of the refused rollout was applied again: the Deployment is as it was.
    [after] = [item for item in await tenants.deployments_in(mallory.project)
               if item["metadata"]["name"] == mallory.deployment]
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
        return (await namespace_labels(tenants, strict.project)).get(
            "pod-security.kubernetes.io/enforce") == "baseline"

    # Its first rollout applied: the namespace exists (a namespace is made with a project's first apply).
    await eventually(baseline_namespace, timeout=30, message="the project's namespace made under baseline")
    await set_limits(tenants, strict.project, {"podSecurity": "restricted"})

    async def restricted_namespace() -> bool:
        return (await namespace_labels(tenants, strict.project)).get(
            "pod-security.kubernetes.io/enforce") == "restricted"

    await eventually(restricted_namespace, timeout=30, message="the namespace enforces restricted")
    root = await strict.rollout(rollout_manifest(securityContext={"runAsUser": 0}))
    assert root.status_code == 400
    assert {"manifest.spec.securityContext.runAsUser", "manifest.spec.securityContext.runAsNonRoot",
            "manifest.spec.securityContext.capabilities.drop"} <= root.json()["data"].keys()
    assert all('"restricted" pod security level' in problem["message"] for problem in root.json()["data"].values())

    cron = {"name": "tick", "schedule": "* * * * *", "command": ["sh", "-c", "date"],
            "image": {"registry": "docker.io", "repository": "library/busybox", "tag": "1.36"},
            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "10m", "memory": "16Mi"}}}
    hardened = rollout_manifest(securityContext={"runAsNonRoot": True, "runAsUser": 1000,
                                                 "capabilities": {"drop": ["ALL"]}}, cronjobs=[cron])
    accepted = await strict.rollout(hardened)
    assert accepted.status_code == 200, accepted.text

    async def admitted() -> bool:
        pods = [pod for pod in await tenants.pods_of(strict.project, strict.deployment)
                if pod["status"].get("phase") == "Running"
                and pod["spec"].get("securityContext", {}).get("seccompProfile") == {"type": "RuntimeDefault"}]
        return bool(pods)

    await eventually(admitted, timeout=60, message="a hardened pod admitted and running under restricted")
    events = (await tenants.cluster.get(f"/api/v1/namespaces/{strict.project}/events")).json()["items"]
    assert not [event for event in events if event.get("reason") == "FailedCreate"
                and "PodSecurity" in event.get("message", "")], "the platform rendered something restricted refuses"
