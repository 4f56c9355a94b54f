"""Many viewers, few watches: 250 map clients cost one watch per kind per namespace, split between two streaming
replicas; killing streaming leaves the clients connected and they catch up, without ADDED storms, on restart."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.testing import KubesimProcess
from oneclick_core.contracts.streaming import LIVE_KINDS
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, start_platform
from oneclick_testing.services import ServiceGroup
from oneclick_testing.waiting import eventually

from .conftest import EDGE_ENV, STREAMING_ENV
from .live import Cluster, LiveSocket, pod_phase, project_with_deployment, wait_for_messages

# Hundreds of viewers are one user's tabs here, beyond the per-user cap on live connections (test_connection_caps).
MANY_TABS = {**EDGE_ENV, "ONECLICK_TENANCY_MAX_CONNECTIONS_PER_USER": "1000"}
WATCHED_RESOURCES = {
    kind.object_type.plural + (f".{kind.object_type.group}" if kind.object_type.group else "") for kind in LIVE_KINDS
}


@pytest.fixture(scope="module")
def group(nats_url: str, module_database: Database, module_log_dir: Path) -> Iterator[ServiceGroup]:
    services = ServiceGroup(
        {"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url}, module_log_dir
    )
    yield services
    services.stop_all()


@pytest.fixture(scope="module")
async def platform(group: ServiceGroup, module_database: Database, kubesim: KubesimProcess) -> AsyncIterator[Platform]:
    streaming_env = {"KUBECONFIG": str(kubesim.kubeconfig), **STREAMING_ENV}
    started = await start_platform(
        group, module_database, ["auth", "records", "streaming"], env={"streaming": streaming_env, "edge": MANY_TABS}
    )
    await group.start("streaming", env=streaming_env)  # a second replica: namespaces are split between them
    yield started
    await started.close()


def _watches(kubesim: KubesimProcess, namespace: str) -> dict[str, int]:
    return dict(kubesim.stats()["watches"]["byNamespace"].get(namespace, {}))


def _history(socket: LiveSocket, since: int) -> list[tuple[str, str, str, int]]:
    """The updates of changes made after resourceVersion ``since``, in the order received."""
    updates = [
        (m["kind"], m["name"], m["status"], int(m["object"]["metadata"].get("resourceVersion") or 0))
        for m in socket.messages()
    ]
    return [update for update in updates if update[3] > since]


async def _running(cluster: Cluster, project: str, deployment: str, count: int) -> bool:
    return len(await cluster.running_pods(project, deployment)) == count


async def _open_many(platform: Platform, count: int, request: dict[str, str], token: str) -> list[LiveSocket]:
    sockets: list[LiveSocket] = []
    for start in range(0, count, 50):
        sockets += await asyncio.gather(
            *(
                LiveSocket.open(platform, "/ws/k8s/deployments", request, token=token)
                for _ in range(start, min(count, start + 50))
            )
        )
    return sockets


async def test_250_viewers_share_one_watch_per_kind_and_all_get_every_update(
    platform: Platform, cluster: Cluster, kubesim: KubesimProcess
) -> None:
    alice = await platform.new_user("alice")
    bob = await platform.new_user("bob")
    shop, web = await project_with_deployment(alice, "shop")
    blog, api = await project_with_deployment(bob, "blog")
    for project, deployment in ((shop, web), (blog, api)):
        await cluster.namespace(project)
        await cluster.deployment(project, deployment, replicas=1)
    for project, deployment in ((shop, web), (blog, api)):
        await eventually(lambda p=project, d=deployment: _running(cluster, p, d, 1), message="first pod running")

    shop_viewers = await _open_many(platform, 200, {"projectId": shop, "deploymentId": web}, alice.token)
    blog_viewers = await _open_many(platform, 50, {"projectId": blog}, bob.token)
    for socket in shop_viewers + blog_viewers:
        await wait_for_messages(
            socket,
            lambda ms: any(m["kind"] == "pod" and pod_phase(m) == "Running" for m in ms),
            message="the current objects",
        )

    initial = {
        project: set(await cluster.running_pods(project, deployment))
        for project, deployment in ((shop, web), (blog, api))
    }
    since = int(kubesim.stats()["resourceVersion"])
    await cluster.scale(shop, web, 3)
    await cluster.scale(blog, api, 2)
    await eventually(lambda: _running(cluster, shop, web, 3), message="shop scaled")
    await eventually(lambda: _running(cluster, blog, api, 2), message="blog scaled")
    for project, deployment, viewers in ((shop, web, shop_viewers), (blog, api, blog_viewers)):
        running = set(await cluster.running_pods(project, deployment))

        def sees_all_running(socket: LiveSocket, running: set[str] = running) -> bool:
            latest = {m["name"]: pod_phase(m) for m in socket.messages() if m["kind"] == "pod"}
            return {name for name, phase in latest.items() if phase == "Running"} == running

        for socket in viewers:
            await eventually(lambda s=socket: sees_all_running(s), message="every viewer sees the running pods")

    for namespace in (shop, blog):
        watches = _watches(kubesim, namespace)
        assert set(watches) == WATCHED_RESOURCES, watches
        assert all(count == 1 for count in watches.values()), watches
    # Every viewer of a deployment received the very same frames: every update, none coalesced or lost.
    for project, deployment, replicas, viewers in ((shop, web, 3, shop_viewers), (blog, api, 2, blog_viewers)):
        reference = _history(viewers[0], since)
        for socket in viewers[1:]:
            assert _history(socket, since) == reference
        # ... and those frames are the scaling: the Deployment's new replica count, then every pod it ended
        # with, each new one ADDED after the scale and then seen Running.
        changes = [m for m in viewers[0].messages() if int(m["object"]["metadata"].get("resourceVersion") or 0) > since]
        assert any(
            m["kind"] == "deployment"
            and m["name"] == deployment
            and m["status"] == "MODIFIED"
            and m["object"]["spec"]["replicas"] == replicas
            for m in changes
        ), (project, reference)
        final = set(await cluster.running_pods(project, deployment))
        assert len(final) == replicas
        new_pods = final - initial[project]
        assert len(new_pods) == replicas - 1
        for pod in new_pods:
            updates = [m for m in changes if m["kind"] == "pod" and m["name"] == pod]
            assert updates, (pod, reference)
            assert updates[0]["status"] == "ADDED", (pod, [m["status"] for m in updates])
            assert pod_phase(updates[-1]) == "Running", (pod, [pod_phase(m) for m in updates])
            assert all(m["status"] != "DELETED" for m in updates)
        # The pod that was there before the scale came with the current objects, as ADDED and Running.
        for pod in initial[project]:
            added = [
                m for m in viewers[0].messages() if m["kind"] == "pod" and m["name"] == pod and m["status"] == "ADDED"
            ]
            assert len(added) == 1
            assert pod_phase(added[0]) == "Running"
    assert all(
        m["object"]["metadata"]["labels"]["one-click.dev/deploymentId"] == web for m in shop_viewers[0].messages()
    )
    await asyncio.gather(*(socket.close() for socket in shop_viewers + blog_viewers))


def _watches_opened(kubesim: KubesimProcess) -> int:
    return sum(kubesim.stats()["watches"]["openedTotal"].values())


async def test_watches_are_kept_while_viewed_reused_within_the_linger_and_closed_after_it(
    platform: Platform, cluster: Cluster, kubesim: KubesimProcess
) -> None:
    """Reference counting: a namespace's watches open with its first viewer, survive a viewer that comes
    back within the linger (a page reload opens no new watch), and close once nobody has looked for longer."""
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice, "linger")
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    request = {"projectId": project, "deploymentId": deployment}

    def has_map(messages: list[dict[str, Any]]) -> bool:
        return any(m["kind"] == "pod" and pod_phase(m) == "Running" for m in messages)

    first = await LiveSocket.open(platform, "/ws/k8s/deployments", request, token=alice.token)
    await wait_for_messages(first, has_map, message="the first viewer's map")
    await eventually(lambda: set(_watches(kubesim, project)) == WATCHED_RESOURCES, message="the watches open")
    assert all(count == 1 for count in _watches(kubesim, project).values())
    opened = _watches_opened(kubesim)

    await first.close()
    reload = await LiveSocket.open(platform, "/ws/k8s/deployments", request, token=alice.token)
    await wait_for_messages(reload, has_map, message="the map after a reload")
    assert _watches_opened(kubesim) == opened  # the same watches served it
    assert all(count == 1 for count in _watches(kubesim, project).values())

    await reload.close()
    await eventually(lambda: _watches(kubesim, project) == {}, message="the watches closed after the linger")


@pytest.mark.reliability
async def test_killing_streaming_keeps_clients_connected_and_they_catch_up(
    platform: Platform, cluster: Cluster, group: ServiceGroup, kubesim: KubesimProcess
) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    await eventually(lambda: _running(cluster, project, deployment, 1), message="first pod running")
    viewers = [
        await LiveSocket.open(
            platform, "/ws/k8s/deployments", {"projectId": project, "deploymentId": deployment}, token=alice.token
        )
        for _ in range(5)
    ]
    for socket in viewers:
        await wait_for_messages(socket, lambda ms: any(m["kind"] == "pod" and pod_phase(m) == "Running" for m in ms))
    first_pod = (await cluster.running_pods(project, deployment))[0]
    log = await LiveSocket.open(
        platform, "/ws/k8s/logs", {"rolloutId": project, "podName": first_pod}, token=alice.token
    )
    await eventually(lambda: "Starting nginx" in log.text, message="the log's tail")

    streaming = [
        process
        for process in group.processes
        if process.name == "streaming" and process.process is not None and process.process.poll() is None
    ]
    for process in streaming:
        process.kill(signal.SIGKILL)
    await cluster.scale(project, deployment, 2)  # while nobody watches
    await eventually(lambda: _running(cluster, project, deployment, 2), message="scaled while streaming is down")
    await group.start("streaming", env={"KUBECONFIG": str(kubesim.kubeconfig), **STREAMING_ENV})

    lines_before = log.text.count("\n")
    await eventually(lambda: log.text.count("\n") > lines_before + 5, message="log lines again after the restart")
    assert log.connection.close_code is None
    log_lines = log.text.splitlines()
    assert len(log_lines) == len(set(log_lines)), "no line shown twice (kubesim's lines differ by request id)"
    running = set(await cluster.running_pods(project, deployment))
    for socket in viewers:
        await wait_for_messages(
            socket,
            lambda ms: {m["name"] for m in ms if m["kind"] == "pod" and pod_phase(m) == "Running"} >= running,
            message="the pod started while streaming was down",
        )
    victim = sorted(running)[0]
    await cluster.delete_pod(project, victim)
    for socket in viewers:
        await wait_for_messages(
            socket,
            lambda ms: any(m["name"] == victim and m["status"] == "DELETED" for m in ms),
            message="live again after the restart",
        )
        assert socket.connection.close_code is None  # the connection outlived the streaming process
        added = Counter((m["kind"], m["name"]) for m in socket.messages() if m["status"] == "ADDED")
        assert added, "the viewer saw the objects"
        assert max(added.values()) == 1, added  # the resync told only the difference
    assert all(count == 1 for count in _watches(kubesim, project).values())
    await asyncio.gather(*(socket.close() for socket in [*viewers, log]))
