"""Watches through kubernetes-asyncio: from a resourceVersion, initial state, filters, bookmarks, timeouts,
410 Expired once history is gone, and the dynamic client."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from kubernetes_asyncio import client, watch
from kubernetes_asyncio.dynamic import DynamicClient

from kubesim.testing import KubesimProcess

from .conftest import WATCH_HISTORY
from .helpers import eventually


async def collect(func: Any, *args: Any, until: int | None = None, **kwargs: Any) -> list[tuple[str, dict]]:
    """Events (type, raw object) of one watch until ``until`` events arrived or the server closed it."""
    events: list[tuple[str, dict]] = []
    w = watch.Watch()
    async with w.stream(func, *args, **kwargs) as stream:
        async for event in stream:
            events.append((event["type"], event["raw_object"]))
            if until is not None and len(events) >= until:
                w.stop()
                break
    return events


def cm(name: str, labels: dict[str, str] | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data={"v": "0"})


async def test_watch_from_resource_version(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = await core.create_namespaced_config_map(namespace, cm("w1"))
    start = created.metadata.resource_version
    task = asyncio.create_task(
        collect(core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=10, until=3)
    )
    await asyncio.sleep(0.2)
    await core.patch_namespaced_config_map("w1", namespace, {"data": {"v": "1"}})
    await core.create_namespaced_config_map(namespace, cm("w2"))
    await core.delete_namespaced_config_map("w1", namespace)
    events = await asyncio.wait_for(task, 15)
    assert [(t, o["metadata"]["name"]) for t, o in events] == [("MODIFIED", "w1"), ("ADDED", "w2"), ("DELETED", "w1")]
    versions = [int(o["metadata"]["resourceVersion"]) for _, o in events]
    assert versions == sorted(versions)
    assert versions[0] > int(start)
    assert events[0][1]["kind"] == "ConfigMap"


async def test_watch_replays_history_after_the_given_version(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    first = await core.create_namespaced_config_map(namespace, cm("h1"))
    await core.create_namespaced_config_map(namespace, cm("h2"))
    await core.patch_namespaced_config_map("h1", namespace, {"data": {"v": "9"}})
    events = await collect(
        core.list_namespaced_config_map,
        namespace,
        resource_version=first.metadata.resource_version,
        timeout_seconds=5,
        until=2,
    )
    assert [(t, o["metadata"]["name"]) for t, o in events] == [("ADDED", "h2"), ("MODIFIED", "h1")]


async def test_watch_without_version_starts_with_current_state(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    for name in ("s1", "s2"):
        await core.create_namespaced_config_map(namespace, cm(name, {"set": "s"}))
    events = await collect(
        core.list_namespaced_config_map, namespace, label_selector="set=s", timeout_seconds=5, until=2
    )
    assert sorted((t, o["metadata"]["name"]) for t, o in events) == [("ADDED", "s1"), ("ADDED", "s2")]


async def test_filtered_watch_sees_objects_enter_and_leave(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    made = await core.create_namespaced_config_map(namespace, cm("f1", {"stage": "dev"}))
    task = asyncio.create_task(
        collect(
            core.list_namespaced_config_map,
            namespace,
            label_selector="stage=prod",
            resource_version=made.metadata.resource_version,
            timeout_seconds=10,
            until=2,
        )
    )
    await asyncio.sleep(0.2)
    await core.patch_namespaced_config_map("f1", namespace, {"metadata": {"labels": {"stage": "prod"}}})
    await core.patch_namespaced_config_map("f1", namespace, {"metadata": {"labels": {"stage": "test"}}})
    events = await asyncio.wait_for(task, 15)
    assert [t for t, _ in events] == ["ADDED", "DELETED"]


async def test_field_selector_watch_by_name(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    made = await core.create_namespaced_config_map(namespace, cm("one"))
    await core.create_namespaced_config_map(namespace, cm("other"))
    task = asyncio.create_task(
        collect(
            core.list_namespaced_config_map,
            namespace,
            field_selector="metadata.name=one",
            resource_version=made.metadata.resource_version,
            timeout_seconds=10,
            until=1,
        )
    )
    await asyncio.sleep(0.2)
    await core.patch_namespaced_config_map("other", namespace, {"data": {"v": "x"}})
    await core.patch_namespaced_config_map("one", namespace, {"data": {"v": "y"}})
    events = await asyncio.wait_for(task, 15)
    assert [(t, o["metadata"]["name"]) for t, o in events] == [("MODIFIED", "one")]


async def test_bookmarks_and_server_timeout(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    events = await collect(core.list_namespaced_config_map, namespace, allow_watch_bookmarks=True, timeout_seconds=2)
    bookmarks = [o for t, o in events if t == "BOOKMARK"]
    # The stream ended by itself (timeoutSeconds) and carried at least one bookmark on the way.
    assert bookmarks
    assert int(bookmarks[-1]["metadata"]["resourceVersion"]) > 0


async def test_too_old_resource_version_is_410(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    made = await core.create_namespaced_config_map(namespace, cm("old"))
    old_version = made.metadata.resource_version
    for i in range(WATCH_HISTORY + 20):
        await core.patch_namespaced_config_map("old", namespace, {"data": {"v": str(i)}})
    with pytest.raises(client.ApiException) as gone:
        await collect(core.list_namespaced_config_map, namespace, resource_version=old_version, timeout_seconds=5)
    assert gone.value.status == 410
    # A continue token from before the history moved on is expired too.
    for i in range(3):
        await core.create_namespaced_config_map(namespace, cm(f"page-{i}"))
    page = await core.list_namespaced_config_map(namespace, limit=1)
    for i in range(WATCH_HISTORY + 20):
        await core.patch_namespaced_config_map("old", namespace, {"data": {"v": f"again-{i}"}})
    with pytest.raises(client.ApiException) as expired:
        await core.list_namespaced_config_map(namespace, limit=1, _continue=page.metadata._continue)
    assert expired.value.status == 410
    assert "Expired" in expired.value.body


async def test_watch_opened_is_visible_in_stats(api: client.ApiClient, namespace: str, kubesim: KubesimProcess) -> None:
    core = client.CoreV1Api(api)
    tasks = [asyncio.create_task(collect(core.list_namespaced_pod, namespace, timeout_seconds=5)) for _ in range(3)]

    async def open_here() -> int:
        count: int = kubesim.stats()["watches"]["byNamespace"].get(namespace, {}).get("pods", 0)
        return count

    # Polled, not slept on: a loaded machine may take a while to open three connections.
    await eventually(open_here, lambda n: n == 3, timeout=4.5, interval=0.05, what="three pod watches open")
    assert kubesim.stats()["watches"]["byResource"]["pods"] >= 3
    await asyncio.gather(*tasks)
    await eventually(open_here, lambda n: n == 0, timeout=10, interval=0.05, what="the pod watches closed")
    assert namespace not in kubesim.stats()["watches"]["byNamespace"]


async def test_dynamic_client_crud_and_watch_on_rollouts(api: client.ApiClient, namespace: str) -> None:
    dyn = await DynamicClient(api)
    rollouts = await dyn.resources.get(api_version="one-click.dev/v1alpha1", kind="Rollout")
    body = {
        "apiVersion": "one-click.dev/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "r1"},
        "spec": {"image": {"registry": "docker.io", "repository": "nginx", "tag": "1.25"}},
    }
    created = await dyn.create(rollouts, body=body, namespace=namespace)
    assert created.metadata.generation == 1
    start = created.metadata.resourceVersion
    events: list[tuple[str, str]] = []

    async def watch_it() -> None:
        async for event in dyn.watch(rollouts, namespace=namespace, resource_version=start, timeout=10):
            events.append((event["type"], event["object"].metadata.name))
            if len(events) == 2:
                break

    task = asyncio.create_task(watch_it())
    await asyncio.sleep(0.2)
    await dyn.patch(
        rollouts,
        name="r1",
        namespace=namespace,
        body={"spec": {"image": {"tag": "1.26"}}},
        content_type="application/merge-patch+json",
    )
    status = await dyn.request(
        "patch",
        f"/apis/one-click.dev/v1alpha1/namespaces/{namespace}/rollouts/r1/status",
        body={"status": {"phase": "Ready"}},
        content_type="application/merge-patch+json",
    )
    await asyncio.wait_for(task, 15)
    assert events == [("MODIFIED", "r1"), ("MODIFIED", "r1")]
    assert status.status.phase == "Ready"
    fetched = await dyn.get(rollouts, name="r1", namespace=namespace)
    assert fetched.spec.image.tag == "1.26"
    assert fetched.metadata.generation == 2  # the status write did not bump it
    listed = await dyn.get(rollouts, namespace=namespace)
    assert [item.metadata.name for item in listed.items] == ["r1"]
    await dyn.delete(rollouts, name="r1", namespace=namespace)
