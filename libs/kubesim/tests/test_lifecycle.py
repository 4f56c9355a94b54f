"""Deletion: namespaces take their content with them (watchers see it go), ownerReferences decide what the
garbage collector removes under each propagation policy, finalizers hold objects back."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from kubernetes_asyncio import client, watch

from .helpers import eventually
from .test_workloads import deployment


async def gone(read: object) -> bool:
    try:
        await read()  # type: ignore[operator]
    except client.ApiException as exc:
        return exc.status == 404
    return False


async def test_namespace_deletion_removes_everything_and_watchers_see_it(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = f"doomed-{uuid.uuid4().hex[:6]}"
    await core.create_namespace({"metadata": {"name": ns}})
    await apps.create_namespaced_deployment(ns, deployment("web", "nginx:1.25", replicas=2))
    await core.create_namespaced_service(
        ns, {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}
    )
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    await core.create_namespaced_secret(ns, {"metadata": {"name": "s"}, "stringData": {"a": "1"}})
    await eventually(
        lambda: core.list_namespaced_pod(ns),
        lambda pods: len(pods.items) == 2 and all(p.status.phase == "Running" for p in pods.items),
        what="pods running",
    )
    pods_before = await core.list_namespaced_pod(ns)
    configmaps_before = await core.list_namespaced_config_map(ns)
    seen: dict[str, list[tuple[str, str]]] = {"pods": [], "configmaps": []}

    async def follow(kind: str, func: object, version: str, expect: set[str]) -> None:
        w = watch.Watch()
        async with w.stream(func, ns, resource_version=version, timeout_seconds=15) as stream:
            async for event in stream:
                seen[kind].append((event["type"], event["raw_object"]["metadata"]["name"]))
                if {n for t, n in seen[kind] if t == "DELETED"} >= expect:
                    w.stop()
                    break

    tasks = [
        asyncio.create_task(
            follow(
                "pods",
                core.list_namespaced_pod,
                pods_before.metadata.resource_version,
                {p.metadata.name for p in pods_before.items},
            )
        ),
        asyncio.create_task(
            follow(
                "configmaps",
                core.list_namespaced_config_map,
                configmaps_before.metadata.resource_version,
                {c.metadata.name for c in configmaps_before.items},
            )
        ),
    ]
    await asyncio.sleep(0.2)
    await core.delete_namespace(ns)
    terminating = await core.read_namespace(ns)
    assert terminating.status.phase == "Terminating"
    assert terminating.metadata.deletion_timestamp is not None
    await asyncio.wait_for(asyncio.gather(*tasks), 20)
    assert {n for t, n in seen["pods"] if t == "DELETED"} == {p.metadata.name for p in pods_before.items}
    assert {"cfg", "kube-root-ca.crt"} <= {n for t, n in seen["configmaps"] if t == "DELETED"}
    await eventually(lambda: gone(lambda: core.read_namespace(ns)), bool, what="namespace gone")
    everything = await core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={ns}")
    assert everything.items == []
    assert (await apps.list_deployment_for_all_namespaces(field_selector=f"metadata.namespace={ns}")).items == []


async def test_terminating_namespace_refuses_new_content(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    ns = f"held-{uuid.uuid4().hex[:6]}"
    await core.create_namespace({"metadata": {"name": ns}})
    await core.create_namespaced_config_map(ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    await core.delete_namespace(ns)
    namespace = await eventually(
        lambda: core.read_namespace(ns),
        lambda n: any(c.type == "NamespaceContentRemaining" and c.status == "True" for c in n.status.conditions or []),
        what="content remaining",
    )
    assert namespace.status.phase == "Terminating"
    with pytest.raises(client.ApiException) as refused:
        await core.create_namespaced_config_map(ns, {"metadata": {"name": "late"}})
    assert refused.value.status == 403
    assert "being terminated" in refused.value.body
    await core.patch_namespaced_config_map("held", ns, {"metadata": {"finalizers": None}})
    await eventually(lambda: gone(lambda: core.read_namespace(ns)), bool, what="namespace gone")


async def test_finalizers_hold_deletion(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "f", "finalizers": ["example.com/x"]}})
    await core.delete_namespaced_config_map("f", namespace)
    held = await core.read_namespaced_config_map("f", namespace)
    assert held.metadata.deletion_timestamp is not None
    with pytest.raises(client.ApiException) as invalid:
        await core.patch_namespaced_config_map(
            "f", namespace, {"metadata": {"finalizers": ["example.com/x", "example.com/y"]}}
        )
    assert invalid.value.status == 422
    await core.patch_namespaced_config_map("f", namespace, {"metadata": {"$patch": "merge", "finalizers": None}})
    assert await eventually(lambda: gone(lambda: core.read_namespaced_config_map("f", namespace)), bool)


async def test_background_deletion_collects_replicasets_and_pods(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("bg", "nginx:1.25", replicas=2))
    await eventually(
        lambda: core.list_namespaced_pod(namespace, label_selector="app=bg"), lambda p: len(p.items) == 2, what="pods"
    )
    await apps.delete_namespaced_deployment("bg", namespace, propagation_policy="Background")
    await eventually(
        lambda: apps.list_namespaced_replica_set(namespace, label_selector="app=bg"),
        lambda r: not r.items,
        what="replicasets collected",
    )
    await eventually(
        lambda: core.list_namespaced_pod(namespace, label_selector="app=bg"),
        lambda p: not p.items,
        what="pods collected",
    )


async def test_foreground_deletion_waits_for_dependents(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("fg", "nginx:1.25", replicas=2))
    await eventually(
        lambda: core.list_namespaced_pod(namespace, label_selector="app=fg"), lambda p: len(p.items) == 2, what="pods"
    )
    await apps.delete_namespaced_deployment("fg", namespace, propagation_policy="Foreground")
    held = await apps.read_namespaced_deployment("fg", namespace)
    assert "foregroundDeletion" in held.metadata.finalizers
    assert held.metadata.deletion_timestamp is not None
    await eventually(
        lambda: gone(lambda: apps.read_namespaced_deployment("fg", namespace)), bool, what="deployment gone"
    )
    assert not (await core.list_namespaced_pod(namespace, label_selector="app=fg")).items


async def test_orphan_deletion_keeps_dependents(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("orph", "nginx:1.25", replicas=2))
    await eventually(
        lambda: core.list_namespaced_pod(namespace, label_selector="app=orph"), lambda p: len(p.items) == 2, what="pods"
    )
    await apps.delete_namespaced_deployment("orph", namespace, propagation_policy="Orphan")
    await eventually(lambda: gone(lambda: apps.read_namespaced_deployment("orph", namespace)), bool)
    replica_sets = await eventually(
        lambda: apps.list_namespaced_replica_set(namespace, label_selector="app=orph"),
        lambda r: len(r.items) == 1 and not r.items[0].metadata.owner_references,
        what="replicaset released",
    )
    assert replica_sets.items[0].spec.replicas == 2
    pods = await core.list_namespaced_pod(namespace, label_selector="app=orph")
    assert len(pods.items) == 2


async def test_dependents_of_a_missing_owner_are_collected(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_config_map(
        namespace,
        {
            "metadata": {
                "name": "child",
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost", "uid": str(uuid.uuid4())}
                ],
            }
        },
    )
    assert await eventually(lambda: gone(lambda: core.read_namespaced_config_map("child", namespace)), bool)


async def test_delete_collection(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    for i in range(3):
        await core.create_namespaced_config_map(namespace, {"metadata": {"name": f"dc-{i}", "labels": {"dc": "y"}}})
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "keep"}})
    await core.delete_collection_namespaced_config_map(namespace, label_selector="dc=y")
    names = {c.metadata.name for c in (await core.list_namespaced_config_map(namespace)).items}
    assert "keep" in names
    assert not any(n.startswith("dc-") for n in names)
