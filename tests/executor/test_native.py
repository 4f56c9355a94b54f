"""Native mode against kubesim, driven through the edge: a rollout becomes Namespace, Deployment, Service,
Ingress, PVCs, Secret, HPA and CronJob; status, metrics and events answer in One-Click's shapes."""

from __future__ import annotations

import asyncio
import base64
import secrets
from typing import Any
from urllib.parse import urlsplit

import pytest
from kubernetes_asyncio import client

from kubesim.testing import KubesimProcess
from oneclick_core.tenancy import TenancyPolicy
from oneclick_k8s_executor.applying import object_path
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render
from oneclick_testing.platform import Platform, User
from oneclick_testing.waiting import eventually

from .conftest import FAST_RECOVERY
from .helpers import (
    Cluster,
    EventLog,
    contains,
    create,
    delete,
    nginx_manifest,
    project_with_deployment,
    start_rollout,
    update,
    with_tag,
)

SECRET_VALUE = "s3cr3t-api-key"


def unique_host(name: str) -> str:
    """A host of its own for one test's project: a host belongs to one project at a time (tenancy)."""
    return f"{name}-{secrets.token_hex(4)}.example.com"


def full_spec(host: str = "") -> dict[str, Any]:
    """Everything a deployment can have besides autoscaling, on top of the nginx blueprint."""
    return {
        "horizontalScale": {"minReplicas": 2, "maxReplicas": 2, "targetCPUUtilizationPercentage": 80},
        "env": [{"name": "MODE", "value": "production"}],
        "secrets": [{"name": "API_KEY", "value": SECRET_VALUE}],
        "volumes": [{"name": "data", "mountPath": "/data", "size": "1Gi", "storageClass": ""}],
        "interfaces": [
            {
                "name": "http",
                "port": 80,
                "ingress": {
                    "ingressClass": "nginx",
                    "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
                    "rules": [{"host": host or unique_host("web"), "path": "/", "tls": True, "tlsSecretName": ""}],
                },
            }
        ],
        "cronjobs": [
            {
                "name": "cleanup",
                "schedule": "*/5 * * * *",
                "image": {
                    "registry": "docker.io",
                    "repository": "library/busybox",
                    "tag": "1.36",
                    "username": "",
                    "password": "",
                },
                "command": ["sh", "-c", "echo cleanup"],
                "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "50m", "memory": "32Mi"}},
            }
        ],
    }


async def test_first_rollout_creates_every_object_and_reports_ok(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    host = unique_host("web")
    manifest = await nginx_manifest(alice, **full_spec(host))
    rollout = await start_rollout(alice, project, web, manifest)
    ns, dep = project["id"], web["id"]

    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")
    applied = events.applied(rollout["id"])[0]
    assert applied["project"] == ns
    assert applied["deployment"] == dep
    assert applied["mode"] == "native"
    assert f"Deployment/{dep}" in applied["objects"]
    assert SECRET_VALUE not in str(events.received)

    # Every rendered object exists with what the renderer put into it.
    expected = render(
        validate_manifest(manifest),
        project_id=ns,
        deployment_id=dep,
        rollout_id=rollout["id"],
        user_id=alice.id,
        username=alice.record["username"],
        display_name="alice",
        policy=TenancyPolicy(),
    )
    kinds = {obj["kind"] for obj in expected}
    assert kinds == {
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "ServiceAccount",
        "Secret",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
        "Ingress",
        "CronJob",
    }
    for obj in expected:
        path = _path(obj)
        live = await cluster.get(path)
        assert live is not None, f"{obj['kind']}/{obj['metadata']['name']} missing"
        wanted = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
        assert contains(live, wanted) == [], obj["kind"]
    namespace = await cluster.get(f"/api/v1/namespaces/{ns}")
    assert namespace is not None
    assert namespace["metadata"]["labels"]["one-click.dev/userId"] == alice.id
    assert namespace["metadata"]["labels"]["one-click.dev/displayName"] == "alice"
    secret = await cluster.get(f"/api/v1/namespaces/{ns}/secrets/{dep}-secrets")
    assert secret is not None
    assert base64.b64decode(secret["data"]["API_KEY"]).decode() == SECRET_VALUE
    deployment = await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}")
    assert deployment is not None
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "docker.io/library/nginx:latest"
    assert deployment["spec"]["replicas"] == 2

    # The status turns OK with both pods, through both URL forms and by rollout id as well as deployment id.
    async def ok() -> bool:
        response = await alice.client.get(f"/rollouts/{ns}/{rollout['id']}/status")
        assert response.status_code == 200, response.text
        status = response.json()["deployment"]
        return status["status"] == "OK" and len(status["podNames"]) == 2

    await eventually(ok, message="status OK with two pods")
    pods = await cluster.names(
        f"/api/v1/namespaces/{ns}/pods", f"one-click.dev/deploymentId={dep},one-click.dev/component=deployment"
    )
    status = (await alice.client.get(f"/pb/{ns}/{dep}/status")).json()
    assert set(status["deployment"]["podNames"]) == pods
    assert status["deployment"]["replicas"] == 2
    assert status["deployment"]["resources"]["requestSum"] == {"cpu": "0.200", "memory": "536870912"}
    assert status["services"] == [{"name": f"http-{dep}-svc", "ports": [80], "status": "OK"}]
    assert status["ingresses"][0]["name"] == f"http-{dep}-ingress"
    assert status["ingresses"][0]["hosts"] == [host]
    assert status["volumes"][0]["name"] == f"data-{dep}"

    async def metrics_of_both_pods() -> bool:
        response = await alice.client.get(f"/pb/{ns}/{dep}/metrics")
        assert response.status_code == 200, response.text
        return {entry["name"] for entry in response.json()["metrics"]} == pods

    await eventually(metrics_of_both_pods, message="metrics of both pods")
    metrics = (await alice.client.get(f"/rollouts/{ns}/{dep}/metrics")).json()["metrics"]
    assert all(set(entry) == {"name", "cpu", "memory"} for entry in metrics)
    assert all(float(entry["cpu"]) >= 0 and float(entry["memory"]) > 0 for entry in metrics)

    events_view = await alice.client.get(f"/rollouts/{ns}/{rollout['id']}/events")
    assert events_view.status_code == 200
    listed = events_view.json()["events"]
    assert listed, "the Deployment's and pods' events"
    assert all(set(entry) == {"reason", "message", "typus"} for entry in listed)
    assert any(entry["reason"] == "ScalingReplicaSet" for entry in listed)
    assert {entry["typus"] for entry in listed} <= {"Normal", "Warning"}
    assert not logs_mention(platform, SECRET_VALUE, base64.b64encode(SECRET_VALUE.encode()).decode())


async def test_autoscaled_rollout_gets_an_hpa_instead_of_fixed_replicas(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    manifest = await nginx_manifest(
        alice, horizontalScale={"minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70}
    )
    rollout = await start_rollout(alice, project, web, manifest)
    ns, dep = project["id"], web["id"]
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")

    hpa = await cluster.get(f"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/{dep}")
    assert hpa is not None
    assert hpa["spec"]["minReplicas"] == 2
    assert hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": dep}
    assert hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"] == 70

    async def scaled_to_minimum() -> bool:
        status = (await alice.client.get(f"/pb/{ns}/{dep}/status")).json()["deployment"]
        return status["status"] == "OK" and len(status["podNames"]) == 2

    await eventually(scaled_to_minimum, message="the HPA scaled the Deployment to minReplicas")


async def test_cluster_info_lists_storage_and_ingress_classes(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    for path in ("/cluster-info", "/pb/cluster-info"):
        response = await alice.client.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {"storageClasses": ["local-path", "standard"], "ingressClasses": ["nginx"]}
        anonymous = await platform.client.get(path)
        assert anonymous.status_code == 401
        assert set(anonymous.json()) == {"status", "message", "data"}


def _path(obj: dict[str, Any]) -> str:
    return object_path(obj)


def two_interfaces() -> list[dict[str, Any]]:
    return [
        {
            "name": "http",
            "port": 80,
            "ingress": {"ingressClass": "nginx", "rules": [{"host": unique_host("web"), "path": "/"}]},
        },
        {
            "name": "admin",
            "port": 8080,
            "ingress": {"ingressClass": "nginx", "rules": [{"host": unique_host("admin"), "path": "/"}]},
        },
    ]


async def test_new_rollouts_roll_prune_roll_back_end_and_delete(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    ns, dep = project["id"], web["id"]
    deployment_path = f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}"
    ingresses = f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"
    services = f"/api/v1/namespaces/{ns}/services"
    claims = f"/api/v1/namespaces/{ns}/persistentvolumeclaims"
    volumes = [{"name": "data", "mountPath": "/data", "size": "1Gi"}]
    base = await nginx_manifest(
        alice, horizontalScale={"minReplicas": 2, "maxReplicas": 2}, volumes=volumes, interfaces=two_interfaces()
    )
    first = await start_rollout(alice, project, web, with_tag(base, "1.25"))
    await eventually(lambda: bool(events.applied(first["id"])), message="first rollout applied")
    await eventually(lambda: status_is(alice, ns, dep, "OK", pods=2), message="first rollout running")
    old_pods = set((await status_of(alice, ns, dep))["deployment"]["podNames"])

    # A new image tag without the admin interface: the pods roll, its Service and Ingress are pruned.
    only_http = with_tag(base, "1.26")
    only_http["spec"]["interfaces"] = base["spec"]["interfaces"][:1]
    second = await start_rollout(alice, project, web, only_http)
    await eventually(lambda: bool(events.applied(second["id"])), message="second rollout applied")
    assert set(events.applied(second["id"])[0]["pruned"]) == {
        f"Service/admin-{dep}-svc",
        f"Ingress/admin-{dep}-ingress",
    }
    live = await cluster.get(deployment_path)
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/nginx:1.26"
    assert live["metadata"]["labels"]["one-click.dev/rolloutId"] == second["id"]
    assert await cluster.names(ingresses) == {f"http-{dep}-ingress"}
    assert await cluster.names(services) == {f"http-{dep}-svc"}

    async def rolled() -> bool:
        status = await status_of(alice, ns, dep)
        pods = set(status["deployment"]["podNames"])
        return status["deployment"]["status"] == "OK" and len(pods) == 2 and not pods & old_pods

    await eventually(rolled, message="pods replaced by the new image")
    for pod in await cluster.items(f"/api/v1/namespaces/{ns}/pods", f"one-click.dev/deploymentId={dep}"):
        if not pod["metadata"].get("deletionTimestamp"):
            assert pod["spec"]["containers"][0]["image"] == "docker.io/library/nginx:1.26"

    # Roll back: the first rollout runs again, with its admin interface.
    await update(alice, "rollouts", first["id"], endDate="")
    await eventually(lambda: len(events.applied(first["id"])) == 2, message="rollback applied")
    live = await cluster.get(deployment_path)
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/nginx:1.25"
    assert live["metadata"]["labels"]["one-click.dev/rolloutId"] == first["id"]
    assert await cluster.names(ingresses) == {f"http-{dep}-ingress", f"admin-{dep}-ingress"}

    # End the rollout: the deployment's objects go, its volume stays.
    await update(alice, "rollouts", first["id"], endDate="2030-01-01 00:00:00.000Z")

    async def ended() -> bool:
        return (
            await cluster.get(deployment_path) is None
            and not await cluster.names(services)
            and not await cluster.names(ingresses)
        )

    await eventually(ended, message="objects of the ended rollout removed")
    assert await cluster.names(claims) == {f"data-{dep}"}

    # Delete the deployment: now the volume goes too.
    await delete(alice, "deployments", dep)

    async def claims_gone() -> bool:
        return not await cluster.names(claims)

    await eventually(claims_gone, message="claims removed with the deployment")

    # Delete the project: its namespace goes.
    await delete(alice, "projects", ns)

    async def namespace_gone() -> bool:
        return await cluster.get(f"/api/v1/namespaces/{ns}") is None

    await eventually(namespace_gone, message="namespace removed with the project")


# Where the objects a rollout renders live, by kind (the deployment's are labelled with its id).
OWNED_COLLECTIONS = {
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "Service": "/api/v1/namespaces/{ns}/services",
    "Ingress": "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
    "Secret": "/api/v1/namespaces/{ns}/secrets",
    "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
    "CronJob": "/apis/batch/v1/namespaces/{ns}/cronjobs",
    "HorizontalPodAutoscaler": "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers",
    "PersistentVolumeClaim": "/api/v1/namespaces/{ns}/persistentvolumeclaims",
}


async def owned_objects(cluster: Cluster, ns: str, dep: str) -> dict[str, set[str]]:
    """The deployment's live objects (not already being deleted), by kind."""
    found: dict[str, set[str]] = {}
    for kind, path in OWNED_COLLECTIONS.items():
        names = {
            item["metadata"]["name"]
            for item in await cluster.items(path.format(ns=ns), f"one-click.dev/deploymentId={dep}")
            if not item["metadata"].get("deletionTimestamp")
        }
        if names:
            found[kind] = names
    return found


async def test_deleting_the_running_rollout_removes_its_objects_and_keeps_its_volumes(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    ns, dep = project["id"], web["id"]
    rollout = await start_rollout(alice, project, web, await nginx_manifest(alice, **full_spec()))
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")
    before = await owned_objects(cluster, ns, dep)
    assert {"Deployment", "Service", "Ingress", "Secret", "CronJob", "PersistentVolumeClaim"} <= set(before)
    await eventually(
        lambda: _has_pods(cluster, f"/api/v1/namespaces/{ns}/pods", f"one-click.dev/deploymentId={dep}"),
        message="the deployment's pods exist",
    )

    # The record itself is deleted (not ended): nothing runs for the deployment any more.
    await delete(alice, "rollouts", rollout["id"])

    async def only_claims_left() -> bool:
        return await owned_objects(cluster, ns, dep) == {"PersistentVolumeClaim": {f"data-{dep}"}}

    await eventually(only_claims_left, message="the deleted rollout's objects removed, its claim kept")

    async def pods_gone() -> bool:
        return not await _has_pods(cluster, f"/api/v1/namespaces/{ns}/pods", f"one-click.dev/deploymentId={dep}")

    await eventually(pods_gone, message="the deployment's pods removed with it")
    # The namespace is the project's: it stays while the project does.
    assert await cluster.get(f"/api/v1/namespaces/{ns}") is not None
    assert events.failed(rollout["id"]) == []


async def test_live_objects_are_server_side_applied_by_the_one_click_field_manager(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    manifest = await nginx_manifest(alice, **full_spec())
    rollout = await start_rollout(alice, project, web, manifest)
    ns, dep = project["id"], web["id"]
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")

    expected = render(
        validate_manifest(manifest),
        project_id=ns,
        deployment_id=dep,
        rollout_id=rollout["id"],
        user_id=alice.id,
        username=alice.record["username"],
        display_name="alice",
        policy=TenancyPolicy(),
    )
    for obj in expected:
        live = await cluster.get(_path(obj))
        assert live is not None, f"{obj['kind']}/{obj['metadata']['name']} missing"
        managers = live["metadata"].get("managedFields") or []
        applied = [entry for entry in managers if entry.get("manager") == "one-click"]
        # One apply entry of ours, and no update entry: every write of the executor is a server-side apply
        # (a create or update would be recorded as operation Update).
        assert [entry["operation"] for entry in applied] == ["Apply"], (obj["kind"], managers)
        owned = applied[0]["fieldsV1"]
        assert applied[0]["fieldsType"] == "FieldsV1"
        # The fields the renderer set are the ones One-Click owns (a few, not a blanket claim of the object).
        assert "f:labels" in owned["f:metadata"], (obj["kind"], owned)
        for key in obj:
            if key not in ("apiVersion", "kind", "metadata"):
                assert f"f:{key}" in owned, (obj["kind"], key, owned)


async def test_hiding_a_rollout_makes_no_kubernetes_call(
    platform: Platform, kube: client.ApiClient, kubesim: KubesimProcess, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    rollout = await start_rollout(alice, project, web, await nginx_manifest(alice))
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout applied")
    # A later event the executor handles with exactly one call (deleting a namespace) marks when the hide
    # update, published before it, has been handled: one executor handles events in order.
    marker = await create(alice, "projects", name="marker")
    await cluster.request(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": marker["id"]}}
    )

    kubesim.stats(reset=True)
    hidden = await update(alice, "rollouts", rollout["id"], hide=True)
    assert hidden["hide"] is True
    await delete(alice, "projects", marker["id"])

    async def marker_deleted() -> bool:
        namespace = await cluster.get(f"/api/v1/namespaces/{marker['id']}")
        return namespace is None or bool(namespace["metadata"].get("deletionTimestamp"))

    await eventually(marker_deleted, message="marker namespace deleted")
    by_verb = kubesim.stats()["requests"]["byVerbAndResource"]
    # Only the marker's namespace deletion and this test's own GETs of it.
    assert by_verb.get("delete") == {"namespaces": 1}
    assert set(by_verb) <= {"delete", "get"}, by_verb
    assert set(by_verb.get("get", {})) <= {"namespaces"}, by_verb


async def test_an_image_that_cannot_be_pulled_is_applied_and_shows_the_reason(
    platform: Platform, events: EventLog
) -> None:
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    manifest = await nginx_manifest(alice)
    manifest["spec"]["image"]["repository"] = "library/does-not-exist"
    rollout = await start_rollout(alice, project, web, manifest)
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")
    assert events.failed(rollout["id"]) == []

    async def pull_error() -> bool:
        status = (await status_of(alice, project["id"], web["id"]))["deployment"]
        return status["status"] == "Error" and status.get("reason") == "ImagePullBackOff"

    await eventually(pull_error, message="status Error with ImagePullBackOff")


async def test_an_object_the_api_rejects_is_rollout_failed_with_its_message(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    ns, dep = project["id"], web["id"]
    secret = "do-not-leak-me"
    manifest = await nginx_manifest(
        alice,
        volumes=[{"name": "data", "mountPath": "/data", "size": "1Gi"}],
        secrets=[{"name": "TOKEN", "value": secret}],
    )
    first = await start_rollout(alice, project, web, manifest)
    await eventually(lambda: bool(events.applied(first["id"])), message="first rollout applied")

    async def bound() -> bool:
        volumes = (await status_of(alice, ns, dep)).get("volumes") or []
        return [volume["status"] for volume in volumes] == ["Bound"]

    await eventually(bound, message="claim bound")

    # A bound claim's storage class cannot change: Kubernetes refuses the claim.
    changed = with_tag(manifest, "1.26")
    changed["spec"]["volumes"][0]["storageClass"] = "local-path"
    second = await start_rollout(alice, project, web, changed)
    await eventually(lambda: bool(events.failed(second["id"])), message="rollout.failed")
    failed = events.failed(second["id"])[0]
    assert failed["object"] == f"PersistentVolumeClaim/data-{dep}"
    assert failed["code"] == 422
    assert failed["reason"] == "Invalid"
    assert "immutable" in failed["message"]
    assert secret not in str(failed)
    assert not logs_mention(platform, secret)
    assert events.applied(second["id"]) == []
    # Nothing after the refused object was applied.
    live = await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}")
    assert live is not None
    assert live["metadata"]["labels"]["one-click.dev/rolloutId"] == first["id"]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":latest")


def logs_mention(platform: Platform, *texts: str) -> list[str]:
    """Service logs (every process of the platform) that contain any of ``texts``."""
    return [
        process.label
        for process in platform.services.processes
        if any(text in process.log_path.read_text(errors="replace") for text in texts)
    ]


async def status_of(user: User, project: str, deployment: str) -> dict[str, Any]:
    response = await user.client.get(f"/rollouts/{project}/{deployment}/status")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def status_is(user: User, project: str, deployment: str, state: str, *, pods: int) -> bool:
    status = (await status_of(user, project, deployment))["deployment"]
    return bool(status["status"] == state and len(status["podNames"]) == pods)


async def test_another_user_gets_404_and_cannot_delete_pods_or_jobs_of_the_project(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    bob = await platform.new_user("bob")
    project, web = await project_with_deployment(alice)
    bobs_project, bobs_web = await project_with_deployment(bob, "bobs")
    ns, dep = project["id"], web["id"]
    rollout = await start_rollout(
        alice, project, web, await nginx_manifest(alice, horizontalScale={"minReplicas": 2, "maxReplicas": 2})
    )
    await eventually(lambda: status_is(alice, ns, dep, "OK", pods=2), message="alice's pods running")
    pods = (await status_of(alice, ns, dep))["deployment"]["podNames"]
    pods_path = f"/api/v1/namespaces/{ns}/pods"

    for ref in (dep, rollout["id"]):
        for read in ("status", "metrics", "events"):
            for path in (
                f"/rollouts/{ns}/{ref}/{read}",
                f"/pb/{ns}/{ref}/{read}",
                f"/rollouts/{bobs_project['id']}/{ref}/{read}",
            ):
                response = await bob.client.get(path)
                assert response.status_code == 404, (path, response.text)
                assert response.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}
                assert (await platform.client.get(path)).status_code == 401
    # Bob's own deployment under Alice's project, and Alice's under Bob's, are no way around it either.
    assert (await bob.client.get(f"/rollouts/{ns}/{bobs_web['id']}/status")).status_code == 404
    assert (await alice.client.get(f"/rollouts/{bobs_project['id']}/{dep}/status")).status_code == 404

    # Deleting Alice's pod: through her project (not his) or through his own project (wrong namespace).
    for path in (
        f"/rollouts/{ns}/{pods[0]}",
        f"/pb/{ns}/pod/{pods[0]}",
        f"/rollouts/{bobs_project['id']}/{pods[0]}",
        f"/pb/{bobs_project['id']}/pod/{pods[0]}",
    ):
        response = await bob.client.delete(path)
        assert response.status_code == 404, (path, response.text)
    assert await cluster.names(pods_path, f"one-click.dev/deploymentId={dep}") >= set(pods)

    # A pod in Alice's namespace that is not one of her deployments' is not hers to delete through One-Click.
    await cluster.request(
        "POST",
        pods_path,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray"},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
        },
    )
    assert (await alice.client.delete(f"/rollouts/{ns}/stray")).status_code == 404
    assert await cluster.get(f"{pods_path}/stray") is not None

    # Alice restarts one of her pods: it goes and the Deployment replaces it.
    deleted = await alice.client.delete(f"/rollouts/{ns}/{pods[0]}")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == "Pod deleted"

    async def replaced() -> bool:
        status = (await status_of(alice, ns, dep))["deployment"]
        return status["status"] == "OK" and len(status["podNames"]) == 2 and pods[0] not in status["podNames"]

    await eventually(replaced, message="deleted pod replaced")
    assert (await alice.client.delete(f"/pb/{ns}/pod/{pods[1]}")).json() == "Pod deleted"

    # Jobs: one of the project's (labelled as cron jobs' jobs are) and one that is not.
    jobs_path = f"/apis/batch/v1/namespaces/{ns}/jobs"
    for name, labels in (
        ("cleanup-1", {"one-click.dev/projectId": ns, "one-click.dev/deploymentId": dep}),
        ("foreign", {}),
    ):
        await cluster.request(
            "POST",
            jobs_path,
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": name, "labels": labels},
                "spec": {
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]},
                    }
                },
            },
        )
    await eventually(lambda: _has_pods(cluster, pods_path, "job-name=cleanup-1"), message="job pod created")
    assert (await bob.client.delete(f"/pb/{ns}/job/cleanup-1")).status_code == 404
    assert (await bob.client.delete(f"/pb/{bobs_project['id']}/job/cleanup-1")).status_code == 404
    assert (await alice.client.delete(f"/pb/{ns}/job/foreign")).status_code == 404
    done = await alice.client.delete(f"/pb/{ns}/job/cleanup-1")
    assert done.status_code == 200, done.text
    assert done.json() == "Job deleted"

    async def job_and_pods_gone() -> bool:
        return await cluster.get(f"{jobs_path}/cleanup-1") is None and not await _has_pods(
            cluster, pods_path, "job-name=cleanup-1"
        )

    await eventually(job_and_pods_gone, message="job and its pods deleted")
    assert await cluster.get(f"{jobs_path}/foreign") is not None


async def test_crafted_pod_and_job_names_never_reach_outside_the_project(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    """Deleting through encoded slashes, dot segments or another project's names: nothing outside the
    project named in the path is deleted, whether that other project is the caller's own or someone else's."""
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    bob = await platform.new_user("bob")
    small = {"horizontalScale": {"minReplicas": 1, "maxReplicas": 1}}
    project, web = await project_with_deployment(alice)
    other, other_web = await project_with_deployment(alice, "other")  # Alice's too: access alone is no guard
    bobs, bobs_web = await project_with_deployment(bob, "bobs")
    for owner, (proj, dep) in ((alice, (project, web)), (alice, (other, other_web)), (bob, (bobs, bobs_web))):
        await start_rollout(owner, proj, dep, await nginx_manifest(owner, **small))
    ns = project["id"]
    for owner, proj, dep in ((alice, project, web), (alice, other, other_web), (bob, bobs, bobs_web)):
        await eventually(
            lambda o=owner, p=proj, d=dep: status_is(o, p["id"], d["id"], "OK", pods=1), message="pods running"
        )
    victims: dict[str, str] = {}  # pod name -> its namespace
    for proj, dep in ((other, other_web), (bobs, bobs_web)):
        for pod in (await status_of(alice if proj is other else bob, proj["id"], dep["id"]))["deployment"]["podNames"]:
            victims[pod] = proj["id"]
    own_pod = (await status_of(alice, ns, web["id"]))["deployment"]["podNames"][0]
    # A job in another project, labelled as that project's (as cron jobs' jobs are).
    victim_ns = other["id"]
    labels = {"one-click.dev/projectId": victim_ns, "one-click.dev/deploymentId": other_web["id"]}
    await cluster.request(
        "POST",
        f"/apis/batch/v1/namespaces/{victim_ns}/jobs",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "victim-job", "labels": labels},
            "spec": {
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]},
                }
            },
        },
    )

    # A pod outside the project that claims to be one of its deployments' by its labels: only the namespace
    # in the path keeps it out of reach, so a path that climbs out of the namespace must not get to it.
    decoy_labels = {"one-click.dev/projectId": ns, "one-click.dev/deploymentId": web["id"]}
    await cluster.request(
        "POST",
        f"/api/v1/namespaces/{bobs['id']}/pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "decoy", "labels": decoy_labels},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
        },
    )
    victims["decoy"] = bobs["id"]
    # The project's namespace labelled like a deployment's object: a dot-segment pod name (``..``) that
    # reached the API as ``/api/v1/namespaces/<ns>/pods/..`` would find the namespace itself and delete it.
    await client.CoreV1Api(kube).patch_namespace(
        ns, {"metadata": {"labels": {"one-click.dev/deploymentId": web["id"]}}}
    )
    crafted: list[str] = []
    for pod, pod_ns in victims.items():
        crafted += [
            pod,  # another project's pod, by its plain name
            f"..%2F..%2F{pod_ns}%2Fpods%2F{pod}",  # encoded slashes climbing to its namespace
            f"%2E%2E%2F%2E%2E%2F{pod_ns}%2Fpods%2F{pod}",  # ... with the dots encoded as well
            f"{own_pod}%2F..%2F..%2F..%2F{pod_ns}%2Fpods%2F{pod}",  # starting from a pod that is the caller's
        ]
    crafted += ["..", "%2E%2E", "%2E", "..%2F..%2F..%2F..%2Fapi%2Fv1%2Fnamespaces%2F" + victim_ns]
    for name in crafted:
        for path in (f"/rollouts/{ns}/{name}", f"/pb/{ns}/pod/{name}"):
            response = await alice.client.delete(path)
            # Refused one way or another (not found, bad request, or a route that does not exist): never done.
            assert response.status_code in (400, 404, 405), (path, response.status_code, response.text)
            assert response.text != '"Pod deleted"', path
    for name in (
        "victim-job",
        "%2E%2E",
        "%2E",
        f"..%2F..%2F{victim_ns}%2Fjobs%2Fvictim-job",
        f"%2E%2E%2F%2E%2E%2F{victim_ns}%2Fjobs%2Fvictim-job",
    ):
        response = await alice.client.delete(f"/pb/{ns}/job/{name}")
        assert response.status_code in (400, 404, 405), (name, response.status_code, response.text)
    # A dot segment that reaches the handlers as the name itself names no pod or job of the project: 404, as any
    # other pod or job the project does not have.
    for path in (f"/rollouts/{ns}/%2E%2E", f"/pb/{ns}/pod/%2E%2E", f"/pb/{ns}/pod/%2E", f"/pb/{ns}/job/%2E%2E"):
        response = await alice.client.delete(path)
        assert response.status_code == 404, (path, response.status_code, response.text)

    # Everything outside the project is still there (and not being deleted).
    for pod, pod_ns in victims.items():
        assert await _alive(cluster, f"/api/v1/namespaces/{pod_ns}/pods/{pod}"), pod
    assert await _alive(cluster, f"/apis/batch/v1/namespaces/{victim_ns}/jobs/victim-job")
    for namespace in (ns, other["id"], bobs["id"]):
        assert await _alive(cluster, f"/api/v1/namespaces/{namespace}"), namespace
    # And the caller's own pod was not hit by the paths that started from it.
    assert await _alive(cluster, f"/api/v1/namespaces/{ns}/pods/{own_pod}")


async def _alive(cluster: Cluster, path: str) -> bool:
    """The object exists and nobody asked to delete it."""
    live = await cluster.get(path)
    return live is not None and not live["metadata"].get("deletionTimestamp")


async def _has_pods(cluster: Cluster, path: str, labels: str) -> bool:
    return bool(await cluster.names(path, labels))


async def test_a_rollout_made_while_the_api_is_unreachable_is_applied_once_it_is_back(
    platform: Platform, kube: client.ApiClient, kubesim: KubesimProcess, events: EventLog
) -> None:
    """kubesim stopped, a rollout created, kubesim started again on the same port with its state: the
    executor's retries (backoff from ONECLICK_EXECUTOR_RETRY_BACKOFF) apply it with nobody asking again."""
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    ns, dep = project["id"], web["id"]
    manifest = await nginx_manifest(alice)
    port = urlsplit(kubesim.url).port
    assert kubesim.stop() == 0  # SIGTERM: kubesim writes its snapshot
    try:
        before = unreachable_retries(platform)
        rollout = await start_rollout(alice, project, web, manifest)

        # The executor tried, could not reach the API and put the event back for later, more than once: the
        # backoff retrying, not a first attempt still under way.
        await eventually(
            lambda: unreachable_retries(platform) >= before + 2,
            message="the executor retried the event while the API was down",
        )
        assert events.applied(rollout["id"]) == []
        assert events.failed(rollout["id"]) == []
    finally:
        # Same port, same kubeconfig: the executor keeps the client it started with.
        kubesim.extra_args = ["--port", str(port)]
        kubesim.start()
    assert kubesim.url == f"http://127.0.0.1:{port}"

    # No request to the platform from here on: the retries alone bring the rollout into the cluster.
    await eventually(
        lambda: bool(events.applied(rollout["id"])), timeout=30, message="rollout.applied after the API came back"
    )
    live = await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}")
    assert live is not None
    assert live["metadata"]["labels"]["one-click.dev/rolloutId"] == rollout["id"]
    await eventually(lambda: status_is(alice, ns, dep, "OK", pods=1), message="the rollout's pod running")
    # Published once, and the API's absence was never reported as the rollout failing.
    assert len(events.applied(rollout["id"])) == 1
    assert events.failed(rollout["id"]) == []


def unreachable_retries(platform: Platform) -> int:
    """Events the executors put back because the Kubernetes API could not be reached (their logs say so)."""
    return sum(
        line.count('"consumer.handler_failed"')
        for process in platform.services.processes
        if process.name == "k8s-executor"
        for line in process.log_path.read_text(errors="replace").splitlines()
        if "Unreachable" in line
    )


# Last in the module: it kills the module's first executor (the others' tests need any one running).
TAGS = [f"1.{minor}" for minor in range(20, 28)]


@pytest.mark.reliability
async def test_sigkill_mid_burst_converges_to_the_latest_rollout_of_every_deployment(
    platform: Platform, kube: client.ApiClient, kubesim: KubesimProcess, events: EventLog
) -> None:
    """Two executors compete for a burst of rollouts; one is SIGKILLed mid-way and another started after:
    the cluster ends up with the latest rollout of every deployment."""
    cluster = Cluster(kube)
    executor_env = {"KUBECONFIG": str(kubesim.kubeconfig), **FAST_RECOVERY}
    await platform.services.start("k8s-executor", env=executor_env)
    doomed = next(process for process in platform.services.processes if process.name == "k8s-executor")
    alice = await platform.new_user("alice")
    # Three projects (locks of their own) and a second deployment sharing the first project's lock.
    pairs = [await project_with_deployment(alice, f"web{index}") for index in range(3)]
    second = await _second_deployment(alice, pairs[0][0])
    targets = [*pairs, (pairs[0][0], second)]
    base = await nginx_manifest(alice)

    async def burst(project: dict[str, Any], deployment: dict[str, Any]) -> list[dict[str, Any]]:
        return [await start_rollout(alice, project, deployment, with_tag(base, tag)) for tag in TAGS]

    earlier = len(events.received)
    bursts = [asyncio.create_task(burst(project, deployment)) for project, deployment in targets]
    await eventually(lambda: len(events.received) >= earlier + 2, message="the executors are applying")
    doomed.kill()
    applied_before_kill = {envelope.data["rollout"] for envelope in events.received}
    rollouts = await asyncio.gather(*bursts)
    assert any(made[-1]["id"] not in applied_before_kill for made in rollouts), "killed after the burst was done"
    # The last deployment's rollout ends after the burst: its objects must go, not come back.
    ended = rollouts[-1][-1]
    await update(alice, "rollouts", ended["id"], endDate="2030-01-01 00:00:00.000Z")
    await platform.services.start("k8s-executor", env=executor_env)

    async def converged() -> bool:
        for (project, deployment), made in zip(targets, rollouts, strict=True):
            live = await cluster.get(f"/apis/apps/v1/namespaces/{project['id']}/deployments/{deployment['id']}")
            if made[-1] is ended:
                if live is not None:
                    return False
                continue
            if live is None:
                return False
            image = live["spec"]["template"]["spec"]["containers"][0]["image"]
            if image != f"docker.io/library/nginx:{TAGS[-1]}":
                return False
            if live["metadata"]["labels"]["one-click.dev/rolloutId"] != made[-1]["id"]:
                return False
        return True

    await eventually(converged, timeout=60, message="cluster holds the latest rollout of every deployment")
    # And it stays that way: nothing older is applied after the newest (redelivered events included).
    await asyncio.sleep(FAST_RECOVERY_SECONDS)
    assert await converged()


# Longer than the ack wait and lock TTL of FAST_RECOVERY: any redelivery of the killed replica's events is over.
FAST_RECOVERY_SECONDS = 4.0


async def _second_deployment(user: User, project: dict[str, Any]) -> dict[str, Any]:
    response = await user.client.post(
        "/api/collections/deployments/records", json={"name": "worker", "project": project["id"]}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
