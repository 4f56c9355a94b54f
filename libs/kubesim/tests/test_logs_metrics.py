"""Pod logs (tail, timestamps, container choice, follow) and metrics.k8s.io."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from kubernetes_asyncio import client, watch

from .helpers import eventually
from .test_workloads import ready

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ")


async def running_pod(core: client.CoreV1Api, namespace: str, name: str, containers: list[dict]) -> client.V1Pod:
    await core.create_namespaced_pod(
        namespace, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": containers}}
    )
    return await eventually(lambda: core.read_namespaced_pod(name, namespace), ready, what=f"{name} running")


async def test_logs_tail_and_timestamps(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await running_pod(
        core, namespace, "talker", [{"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]
    )
    await asyncio.sleep(0.5)
    text = await core.read_namespaced_pod_log("talker", namespace)
    lines = text.splitlines()
    assert lines[0].startswith("Starting nginx:1.25 (container web")
    assert lines[1] == "Listening on 0.0.0.0:80"
    tail = (await core.read_namespaced_pod_log("talker", namespace, tail_lines=3, timestamps=True)).splitlines()
    assert len(tail) == 3
    assert all(TIMESTAMP.match(line) for line in tail)
    # The same line always reads the same.
    again = (await core.read_namespaced_pod_log("talker", namespace)).splitlines()
    assert again[: len(lines)] == lines


async def test_logs_need_a_container_name_for_multi_container_pods(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await running_pod(core, namespace, "duo", [{"name": "a", "image": "nginx"}, {"name": "b", "image": "redis"}])
    with pytest.raises(client.ApiException) as missing:
        await core.read_namespaced_pod_log("duo", namespace)
    assert missing.value.status == 400
    assert (
        json.loads(missing.value.body)["message"]
        == "a container name must be specified for pod duo, choose one of: [a b]"
    )
    b_logs = await core.read_namespaced_pod_log("duo", namespace, container="b")
    assert "container b" in b_logs.splitlines()[0]


async def test_logs_of_a_waiting_container_are_refused(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stuck"},
            "spec": {"containers": [{"name": "c", "image": "acme/app:does-not-exist"}]},
        },
    )
    with pytest.raises(client.ApiException) as waiting:
        await core.read_namespaced_pod_log("stuck", namespace)
    assert waiting.value.status == 400
    assert json.loads(waiting.value.body)["message"].startswith('container "c" in pod "stuck" is waiting to start')


async def test_logs_follow_keeps_streaming(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await running_pod(core, namespace, "stream", [{"name": "c", "image": "nginx"}])
    backlog = len((await core.read_namespaced_pod_log("stream", namespace)).splitlines())
    received: list[str] = []
    w = watch.Watch()
    async with w.stream(core.read_namespaced_pod_log, "stream", namespace, tail_lines=1, timestamps=True) as stream:
        async for line in stream:
            received.append(line.rstrip("\n"))
            if len(received) >= backlog + 5:
                w.stop()
                break
    # Lines kept coming after the one-line backlog, in the order (and with the content) a later read shows.
    assert len(received) >= backlog + 5
    total = (await core.read_namespaced_pod_log("stream", namespace, timestamps=True)).splitlines()
    start = total.index(received[0])
    assert received == total[start : start + len(received)]


async def test_follow_ends_when_the_pod_goes(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await running_pod(core, namespace, "brief", [{"name": "c", "image": "nginx"}])
    lines: list[str] = []

    async def follow() -> None:
        w = watch.Watch()
        async with w.stream(core.read_namespaced_pod_log, "brief", namespace) as stream:
            async for line in stream:
                lines.append(line)

    task = asyncio.create_task(follow())
    await asyncio.sleep(0.3)
    await core.delete_namespaced_pod("brief", namespace)
    await asyncio.wait_for(task, 15)
    assert lines


async def test_pod_and_node_metrics(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await running_pod(
        core,
        namespace,
        "busy",
        [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}}}],
    )
    custom = client.CustomObjectsApi(api)
    pods = await custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods")
    assert [p["metadata"]["name"] for p in pods["items"]] == ["busy"]
    usage = pods["items"][0]["containers"][0]["usage"]
    assert usage["cpu"].endswith("n")
    assert usage["memory"].endswith("Ki")
    single = await custom.get_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods", "busy")
    assert single["containers"][0]["name"] == "c"
    nodes = await custom.list_cluster_custom_object("metrics.k8s.io", "v1beta1", "nodes")
    assert nodes["items"][0]["metadata"]["name"] == "kubesim-node"
    assert nodes["items"][0]["usage"]["cpu"].endswith("n")
