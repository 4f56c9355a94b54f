"""The resource map, logs and events over real WebSockets against the edge, with kubesim as the cluster."""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets

import httpx
import orjson

from oneclick_testing.platform import Platform
from oneclick_testing.waiting import eventually

from .live import Cluster, LiveSocket, StalledSocket, labels, pod_phase, project_with_deployment, wait_for_messages


def _pods(messages: list[dict], status: str) -> set[str]:
    return {m["name"] for m in messages if m["kind"] == "pod" and m["status"] == status}


async def test_scaling_shows_pods_added_then_running_and_deleting_shows_deleted(
    platform: Platform, cluster: Cluster
) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    await eventually(lambda: _running(cluster, project, deployment, 1), message="first pod running")
    socket = await LiveSocket.open(
        platform, "/ws/k8s/deployments", {"projectId": project, "deploymentId": deployment}, token=alice.token
    )
    # The frames of what exists arrive one by one (deployment, pod, replicaset, ...): wait for all three kinds,
    # not only the running pod, before looking at their order.
    await wait_for_messages(
        socket,
        lambda ms: (
            any(m["kind"] == "pod" and pod_phase(m) == "Running" for m in ms)
            and {"deployment", "replicaset", "pod"} <= {m["kind"] for m in ms}
        ),
    )
    # What exists comes first, as ADDED (status updates of the settling deployment may follow at once).
    first = list(itertools.takewhile(lambda m: m["status"] == "ADDED", socket.messages()))
    assert {"deployment", "replicaset", "pod"} <= {m["kind"] for m in first}
    initial_pods = _pods(first, "ADDED")
    assert len(initial_pods) == 1
    frame = first[0]
    assert list(frame) == ["kind", "labels", "name", "namespace", "object", "status"]  # the original's keys
    assert all(m["namespace"] == project and m["labels"]["one-click.dev/deploymentId"] == deployment for m in first)

    await cluster.scale(project, deployment, 3)
    await eventually(lambda: _running(cluster, project, deployment, 3), message="three pods running")
    new_pods = set(await cluster.running_pods(project, deployment)) - initial_pods
    assert len(new_pods) == 2

    def pods_came_up(messages: list[dict]) -> bool:
        return all(_added_then_running(messages, pod) for pod in new_pods)

    await wait_for_messages(socket, pods_came_up, message="new pods ADDED, then MODIFIED to Running")

    victim = sorted(new_pods)[0]
    await cluster.delete_pod(project, victim)
    await wait_for_messages(socket, lambda ms: victim in _pods(ms, "DELETED"), message="DELETED for the pod")
    await socket.close()


def _added_then_running(messages: list[dict], pod: str) -> bool:
    mine = [m for m in messages if m["kind"] == "pod" and m["name"] == pod]
    if not mine or mine[0]["status"] != "ADDED" or pod_phase(mine[0]) == "Running":
        return False
    return any(m["status"] == "MODIFIED" and pod_phase(m) == "Running" for m in mine[1:])


async def _running(cluster: Cluster, project: str, deployment: str, count: int) -> bool:
    return len(await cluster.running_pods(project, deployment)) == count


async def test_project_view_and_secrets_never_carry_their_values(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    value = "hunter2-very-secret-value"
    encoded = base64.b64encode(value.encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": f"{deployment}-secrets",
            "namespace": project,
            "labels": labels(project, deployment),
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": orjson.dumps(
                    {"stringData": {"PASSWORD": value}}
                ).decode()
            },
        },
        "data": {"PASSWORD": encoded},
    }
    await cluster.request("POST", f"/api/v1/namespaces/{project}/secrets", secret)
    socket = await LiveSocket.open(
        platform, "/ws/k8s/rollouts", {"projectId": project}, token=alice.token, via="message"
    )
    await wait_for_messages(socket, lambda ms: any(m["kind"] == "secret" for m in ms), message="secret ADDED")
    await cluster.request(
        "PATCH",
        f"/api/v1/namespaces/{project}/secrets/{deployment}-secrets",
        {"data": {"PASSWORD": base64.b64encode(b"hunter3-changed").decode()}},
        patch=True,
    )
    await wait_for_messages(
        socket,
        lambda ms: any(m["kind"] == "secret" and m["status"] == "MODIFIED" for m in ms),
        message="secret MODIFIED",
    )
    shown = [m for m in socket.messages() if m["kind"] == "secret"]
    assert shown[0]["object"]["metadata"]["name"] == f"{deployment}-secrets"
    for text in socket.frames:
        assert value not in text
        assert encoded not in text
        assert "hunter3" not in text
    for message in shown:
        assert "data" not in message["object"]
        assert "stringData" not in message["object"]
    await socket.close()


async def test_logs_arrive_as_kubesim_writes_them(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1)
    await eventually(lambda: _running(cluster, project, deployment, 1), message="pod running")
    pod = (await cluster.running_pods(project, deployment))[0]
    socket = await LiveSocket.open(platform, "/ws/k8s/logs", {"rolloutId": project, "podName": pod}, token=alice.token)
    await eventually(lambda: "Starting nginx:1.25" in socket.text, message="the tail with the first line")
    seen = len(socket.frames)
    lines = socket.text.count("\n")
    await eventually(
        lambda: len(socket.frames) > seen + 2 and socket.text.count("\n") > lines + 2, message="new lines as new frames"
    )
    assert all(frame.endswith("\n") for frame in socket.frames)
    assert socket.text.count("Starting nginx:1.25") == 1

    async with httpx.AsyncClient(base_url=platform.url, timeout=30) as client:
        for path in (f"/rollouts/{project}/{pod}/logs", f"/pb/{project}/{pod}/logs"):
            async with client.stream("GET", path, headers={"Authorization": alice.token}) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/plain")
                received = ""
                async for chunk in response.aiter_text():
                    received += chunk
                    if received.count("\n\n") >= 5:
                        break
            assert received.startswith("Starting nginx:1.25")
            assert all(part and not part.startswith("\n") for part in received.split("\n\n")[:-1])
        missing = await client.get(f"/rollouts/{project}/no-such-pod/logs", headers={"Authorization": alice.token})
        assert missing.status_code == 404
        assert missing.json()["status"] == 404

        # The stream ends when the pod is gone, as the original's did when Kubernetes ended the follow.
        async with client.stream("GET", f"/pb/{project}/{pod}/logs", headers={"Authorization": alice.token}) as live:
            chunks = live.aiter_text()
            assert "Starting nginx:1.25" in await anext(chunks)
            await cluster.delete_pod(project, pod)
            rest = [chunk async for chunk in chunks]  # returns: the response ended
        assert rest
    await socket.close()


async def test_events_arrive_for_a_failing_image(platform: Platform, cluster: Cluster) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    await cluster.deployment(project, deployment, replicas=1, image="registry.example/does-not-exist:1.0")

    async def a_pod() -> bool:
        return bool(await cluster.pods(project, deployment))

    await eventually(a_pod, message="pod created")
    pod = (await cluster.pods(project, deployment))[0]["metadata"]["name"]
    socket = await LiveSocket.open(
        platform, "/ws/k8s/events", {"rolloutId": project, "kind": "Pod", "name": pod}, token=alice.token
    )

    def failing(messages: list[dict]) -> bool:
        return any(m["typus"] == "Warning" and m["reason"] in ("Failed", "BackOff") for m in messages)

    await wait_for_messages(socket, failing, message="Warning events for the failing pull")
    messages = socket.messages()
    assert all(list(m) == ["message", "reason", "typus"] for m in messages)
    assert any(m["reason"] == "Scheduled" and m["typus"] == "Normal" for m in messages)
    assert any("does-not-exist" in m["message"] for m in messages)
    count = len(messages)
    await wait_for_messages(socket, lambda ms: len(ms) > count, message="repeated back-off events stream in")
    await socket.close()


async def test_a_client_that_stops_reading_is_closed_without_slowing_the_others(
    platform: Platform, cluster: Cluster
) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    request = {"projectId": project}
    fast = await LiveSocket.open(platform, "/ws/k8s/rollouts", request, token=alice.token)
    slow = await StalledSocket.open(platform, "/ws/k8s/rollouts", request, alice.token)
    names = [f"bulk-{index}" for index in range(1500)]  # ~12 MB of frames: more than socket buffers hold
    limit = asyncio.Semaphore(20)

    async def create(name: str) -> None:
        async with limit:
            await cluster.request(
                "POST",
                f"/api/v1/namespaces/{project}/configmaps",
                {
                    "metadata": {"name": name, "labels": labels(project, deployment)},
                    "data": {"blob": secrets.token_urlsafe(6144)},
                },
            )

    await asyncio.gather(*(create(name) for name in names))
    await wait_for_messages(
        fast,
        lambda ms: {m["name"] for m in ms if m["kind"] == "configmap"} >= set(names),
        timeout=60,
        message="the reading client got every object",
    )
    code, reason, received = await slow.read_until_closed()
    assert code == 1013
    assert "too slowly" in reason
    assert received < len(names)
    assert fast.connection.close_code is None
    await fast.close()


async def test_objects_whose_labels_change_enter_and_leave_the_deployment_view(
    platform: Platform, cluster: Cluster
) -> None:
    alice = await platform.new_user("alice")
    project, deployment = await project_with_deployment(alice)
    await cluster.namespace(project)
    path = f"/api/v1/namespaces/{project}/configmaps"
    await cluster.request("POST", path, {"metadata": {"name": "settings", "labels": labels(project, deployment)}})
    socket = await LiveSocket.open(
        platform, "/ws/k8s/deployments", {"projectId": project, "deploymentId": deployment}, token=alice.token
    )
    await wait_for_messages(socket, lambda ms: [m["status"] for m in ms if m["name"] == "settings"] == ["ADDED"])
    await cluster.request("PATCH", f"{path}/settings", {"metadata": {"labels": labels(project, "another")}}, patch=True)
    await wait_for_messages(
        socket,
        lambda ms: [m["status"] for m in ms if m["name"] == "settings"] == ["ADDED", "DELETED"],
        message="DELETED when it no longer belongs to the deployment",
    )
    await cluster.request(
        "PATCH", f"{path}/settings", {"metadata": {"labels": labels(project, deployment)}}, patch=True
    )
    await wait_for_messages(
        socket,
        lambda ms: [m["status"] for m in ms if m["name"] == "settings"] == ["ADDED", "DELETED", "ADDED"],
        message="ADDED when it belongs to it again",
    )
    await socket.close()
