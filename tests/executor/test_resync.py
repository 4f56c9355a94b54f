"""The executor's periodic resync against kubesim (real processes, a resync every second): drift made by hand is
corrected, an event the executor never got is caught up with, orphans labelled by One-Click are removed (and
nothing else), and of two replicas only the lease holder resyncs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from kubernetes_asyncio import client
from prometheus_client.parser import text_string_to_metric_families

from kubesim.testing import KubesimProcess
from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.tenancy import TenancyPolicy
from oneclick_manifest.model import validate_manifest
from oneclick_manifest.rendering import render
from oneclick_testing.infrastructure import Database, running_nats
from oneclick_testing.platform import Platform
from oneclick_testing.services import ServiceGroup, ServiceProcess
from oneclick_testing.waiting import eventually

from .conftest import FAST_RECOVERY
from .helpers import Cluster, EventLog, contains, nginx_manifest, project_with_deployment, start_rollout, with_tag

RESYNC = {"ONECLICK_EXECUTOR_RESYNC_INTERVAL": "1"}
ORPHAN_PROJECT = "orphanproject01"
ORPHAN_DEPLOYMENT = "orphandeploy001"


@pytest.fixture(scope="module")
def executor_env() -> dict[str, str]:
    return RESYNC


def executors(platform: Platform) -> list[ServiceProcess]:
    return [
        process
        for process in platform.services.processes
        if process.name == "k8s-executor" and process.process is not None and process.process.poll() is None
    ]


async def metric(process: ServiceProcess, name: str, **labels: str) -> float:
    """A sample of the replica's /metrics (0 when it has none yet)."""
    async with httpx.AsyncClient(timeout=5.0) as http:
        text = (await http.get(f"{process.admin_url}/metrics")).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return float(sample.value)
    return 0.0


def logged(process: ServiceProcess, event: str, *needles: str) -> bool:
    return any(
        event in line and all(needle in line for needle in needles)
        for line in process.log_path.read_text(errors="replace").splitlines()
    )


def rendered(
    manifest: dict[str, Any], ns: str, dep: str, rollout: str, user_id: str, username: str
) -> dict[str, dict[str, Any]]:
    objects = render(
        validate_manifest(manifest),
        project_id=ns,
        deployment_id=dep,
        rollout_id=rollout,
        user_id=user_id,
        username=username,
        display_name=username,
        policy=TenancyPolicy(),
    )
    return {f"{obj['kind']}/{obj['metadata']['name']}": obj for obj in objects}


def as_rendered(live: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
    body = {key: value for key, value in wanted.items() if key not in ("apiVersion", "kind")}
    return live is not None and contains(live, body) == []


async def test_drift_made_by_hand_is_corrected_by_the_resync(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    manifest = await nginx_manifest(alice)
    rollout = await start_rollout(alice, project, web, manifest)
    ns, dep = project["id"], web["id"]
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")
    objects = rendered(manifest, ns, dep, rollout["id"], alice.id, alice.record["username"])
    service_name = next(ref.split("/", 1)[1] for ref in objects if ref.startswith("Service/"))
    deployment_path = f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}"
    service_path = f"/api/v1/namespaces/{ns}/services/{service_name}"
    [executor] = executors(platform)
    # A resync of the untouched deployment finds nothing to correct (a controller's status updates are no drift).
    await eventually(
        lambda: _metric_above(executor, "oneclick_executor_resync_deployments_total", 0, outcome="unchanged"),
        message="an unchanged deployment",
    )
    corrected_before = await metric(executor, "oneclick_executor_drift_corrected_total", kind="Deployment")
    original = await cluster.get(deployment_path)
    assert original is not None

    # By hand, as someone with kubectl would: the Deployment deleted, the Service's target port changed.
    # (What the API answered proves both happened: the resync may undo them a moment later.)
    await cluster.request("DELETE", deployment_path)
    service = await cluster.get(service_path)
    assert service is not None
    ports = [{**port, "targetPort": 8081} for port in service["spec"]["ports"]]
    patched = await kube.call_api(
        service_path,
        "PATCH",
        body={"spec": {"ports": ports}},
        header_params={"Content-Type": "application/merge-patch+json", "Accept": "application/json"},
        query_params=[("fieldManager", "kubectl-edit")],
        auth_settings=["BearerToken"],
        response_types_map={200: "object"},
        _return_http_data_only=True,
    )
    assert patched["spec"]["ports"][0]["targetPort"] == 8081

    async def back_as_rendered() -> bool:
        live = await cluster.get(deployment_path)
        if live is None or live["metadata"].get("deletionTimestamp"):
            return False
        # A new object, not the deleted one still being removed.
        if live["metadata"]["uid"] == original["metadata"]["uid"]:
            return False
        return as_rendered(live, objects[f"Deployment/{dep}"]) and as_rendered(
            await cluster.get(service_path), objects[f"Service/{service_name}"]
        )

    await eventually(back_as_rendered, timeout=30, message="Deployment and Service back as rendered")
    live_service = await cluster.get(service_path)
    assert live_service is not None
    assert (
        live_service["spec"]["ports"][0]["targetPort"]
        == objects[f"Service/{service_name}"]["spec"]["ports"][0]["targetPort"]
    )
    # It was the resync that did it (no record changed, so no event was there to do it): counted and logged.
    assert await _leader(platform) is executor
    assert await metric(executor, "oneclick_executor_drift_corrected_total", kind="Deployment") > corrected_before
    # The log line comes after the apply it tells of: wait for it rather than race the process's output.
    await eventually(lambda: logged(executor, "resync.corrected", dep, f"Deployment/{dep}"), message="logged")
    # (The Service is counted as drift only if it was changed before the resync listed the deployment's objects;
    # a change landing between that list and the apply is undone all the same.)


async def test_an_event_the_executor_never_got_is_applied_by_the_resync(
    platform: Platform, kube: client.ApiClient, kubesim: KubesimProcess, nats_url: str, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice, "lost")
    manifest = await nginx_manifest(alice)
    first = await start_rollout(alice, project, web, manifest)
    ns, dep = project["id"], web["id"]
    await eventually(lambda: bool(events.applied(first["id"])), message="first rollout applied")

    # Every executor stopped; the next rollout's event is taken off the executor's durable consumer and
    # acknowledged, as if it had been dead-lettered after the last delivery: no replica will ever get it.
    for process in executors(platform):
        assert process.stop() == 0
    latest = await start_rollout(alice, project, web, with_tag(manifest, "1.27"))
    nc = await nats.connect(nats_url, name="resync-test")
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe_bind(durable="k8s-executor", stream=EVENTS_STREAM)

        async def drained() -> bool:
            try:
                for msg in await subscription.fetch(10, timeout=1):
                    await msg.ack_sync()
            except nats.errors.TimeoutError:
                pass
            info = await js.consumer_info(EVENTS_STREAM, "k8s-executor")
            return info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(drained, message="the rollout's event consumed and acknowledged by nobody")
        await subscription.unsubscribe()
    finally:
        await nc.close()
    deployment_path = f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}"
    live = await cluster.get(deployment_path)
    assert live is not None
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/nginx:latest"

    restarted = await platform.services.start(
        "k8s-executor", env={"KUBECONFIG": str(kubesim.kubeconfig), **FAST_RECOVERY, **RESYNC}
    )

    async def latest_applied() -> bool:
        current = await cluster.get(deployment_path)
        return (
            current is not None
            and current["spec"]["template"]["spec"]["containers"][0]["image"] == "docker.io/library/nginx:1.27"
            and current["metadata"]["labels"]["one-click.dev/rolloutId"] == latest["id"]
        )

    await eventually(latest_applied, timeout=30, message="the resync applied the latest rollout")
    await eventually(lambda: bool(events.applied(latest["id"])), message="rollout.applied of the latest rollout")
    await eventually(lambda: logged(restarted, "resync.corrected", dep, f"Deployment/{dep}"), message="logged")


async def test_orphans_labelled_by_one_click_are_removed_and_nothing_else(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice, "keeper")
    rollout = await start_rollout(alice, project, web, await nginx_manifest(alice))
    ns = project["id"]
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")
    managed = {"app.kubernetes.io/managed-by": "one-click"}

    async def namespace(name: str, labels: dict[str, str]) -> None:
        await cluster.request(
            "POST",
            "/api/v1/namespaces",
            body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}},
        )

    async def service(name: str, labels: dict[str, str]) -> None:
        await cluster.request(
            "POST",
            f"/api/v1/namespaces/{ns}/services",
            body={
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "labels": labels},
                "spec": {"ports": [{"port": 80}], "selector": {"app": name}},
            },
        )

    # A project namespace records does not know; namespaces One-Click did not make (no labels; the original
    # backend's, without managed-by) stay.
    await namespace(ORPHAN_PROJECT, {"one-click.dev/projectId": ORPHAN_PROJECT, **managed})
    await namespace("someone-elses", {})
    await namespace("legacyproject01", {"one-click.dev/projectId": "legacyproject01"})
    # In a live project: objects of a deployment records does not know go; a look-alike without
    # managed-by and an unlabelled Service stay.
    await service(
        "orphan-svc", {"one-click.dev/projectId": ns, "one-click.dev/deploymentId": ORPHAN_DEPLOYMENT, **managed}
    )
    await service("handmade-svc", {"one-click.dev/projectId": ns, "one-click.dev/deploymentId": ORPHAN_DEPLOYMENT})
    await service("plain-svc", {})

    async def orphans_gone() -> bool:
        orphan = await cluster.get(f"/api/v1/namespaces/{ORPHAN_PROJECT}")
        namespace_going = orphan is None or bool(orphan["metadata"].get("deletionTimestamp"))
        return namespace_going and await cluster.get(f"/api/v1/namespaces/{ns}/services/orphan-svc") is None

    await eventually(orphans_gone, timeout=30, message="orphan namespace and orphan deployment's Service removed")
    for name in ("someone-elses", "legacyproject01"):
        kept = await cluster.get(f"/api/v1/namespaces/{name}")
        assert kept is not None, name
        assert not kept["metadata"].get("deletionTimestamp"), name
    assert await cluster.names(f"/api/v1/namespaces/{ns}/services") >= {"handmade-svc", "plain-svc"}
    kept_project = await cluster.get(f"/api/v1/namespaces/{ns}")
    assert kept_project is not None
    assert not kept_project["metadata"].get("deletionTimestamp")
    assert await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{web['id']}") is not None
    leader = await _leader(platform)
    assert await metric(leader, "oneclick_executor_orphans_removed_total", what="namespace") >= 1
    assert await metric(leader, "oneclick_executor_orphans_removed_total", what="deployment") >= 1
    await eventually(lambda: logged(leader, "resync.orphan_namespace_deleted", ORPHAN_PROJECT), message="logged")
    await eventually(lambda: logged(leader, "resync.orphan_deployment_removed", ORPHAN_DEPLOYMENT), message="logged")


# Last in the module: it stops the leading executor.
async def test_of_two_replicas_only_the_lease_holder_resyncs(platform: Platform, kubesim: KubesimProcess) -> None:
    env = {"KUBECONFIG": str(kubesim.kubeconfig), **FAST_RECOVERY, **RESYNC}
    while len(executors(platform)) < 2:
        await platform.services.start("k8s-executor", env=env)
    replicas = executors(platform)[:2]
    leader = await _leader(platform)
    follower = next(process for process in replicas if process is not leader)

    runs_before = await metric(leader, "oneclick_executor_resync_runs_total", outcome="completed")
    await eventually(lambda: _grew(leader, runs_before), message="the leader keeps resyncing")
    for _ in range(3):  # over several resync intervals, the follower never runs one
        await asyncio.sleep(1)
        assert await metric(follower, "oneclick_executor_resync_leader") == 0
        assert await metric(follower, "oneclick_executor_resync_runs_total", outcome="completed") == 0
        assert await metric(leader, "oneclick_executor_resync_leader") == 1
    assert not logged(follower, "resync.leading")

    # The leader goes away (releasing its lease): the other replica takes over, and is then the only one.
    assert leader.stop() == 0
    await eventually(lambda: _grew(follower, 0), timeout=30, message="the other replica resyncs")
    assert await metric(follower, "oneclick_executor_resync_leader") == 1


async def _metric_above(process: ServiceProcess, name: str, floor: float, **labels: str) -> bool:
    return await metric(process, name, **labels) > floor


async def _grew(process: ServiceProcess, before: float) -> bool:
    return await metric(process, "oneclick_executor_resync_runs_total", outcome="completed") > before


async def _leader(platform: Platform) -> ServiceProcess:
    """The one running replica that holds the resync lease (fails if none or several do)."""

    async def one_leader() -> ServiceProcess | None:
        leading = [
            process for process in executors(platform) if await metric(process, "oneclick_executor_resync_leader") == 1
        ]
        assert len(leading) <= 1, [process.label for process in leading]
        return leading[0] if leading else None

    found: list[ServiceProcess] = []

    async def exists() -> bool:
        leader = await one_leader()
        if leader is not None:
            found.append(leader)
        return leader is not None

    await eventually(exists, timeout=30, message="a resync leader")
    return found[-1]


async def test_an_executor_whose_records_knows_no_project_sweeps_nothing(
    platform: Platform,
    kube: client.ApiClient,
    events: EventLog,
    kubesim: KubesimProcess,
    database: Database,
    log_dir: Path,
) -> None:
    """records on an empty (or wrong) database: the resync must stop rather than delete every namespace."""
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    rollout = await start_rollout(alice, project, web, await nginx_manifest(alice))
    ns, dep = project["id"], web["id"]
    await eventually(lambda: bool(events.applied(rollout["id"])), message="rollout.applied")

    # A second records + executor on the same cluster, but a NATS and an empty database of their own.
    with running_nats() as other_nats:
        group = ServiceGroup({"ONECLICK_NATS_URL": other_nats.url, "ONECLICK_DATABASE_URL": database.url}, log_dir)
        try:
            _, executor = await asyncio.gather(
                group.start("records"),
                group.start("k8s-executor", env={"KUBECONFIG": str(kubesim.kubeconfig), **RESYNC}),
            )

            def refusals() -> int:
                return sum(
                    "resync.aborted" in line and "knows no project" in line
                    for line in executor.log_path.read_text(errors="replace").splitlines()
                )

            # Two runs: the refusal holds run after run, not only while the first one starts.
            await eventually(lambda: refusals() >= 2, timeout=60, message="two resyncs refused to sweep")
        finally:
            group.stop_all()
    assert await cluster.get(f"/api/v1/namespaces/{ns}") is not None
    assert await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}") is not None
    assert not logged(executor, "resync.orphan_namespace_deleted")
    assert not logged(executor, "resync.orphan_deployment_removed")
