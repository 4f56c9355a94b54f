"""Controllers seen through the API: deployments roll pods, failure markers fail, jobs finish, volumes bind,
services get endpoints, autoscalers report, and the events read like a real cluster's."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from kubernetes_asyncio import client, watch

from .helpers import eventually


def deployment(
    name: str, image: str, replicas: int = 3, strategy: str = "RollingUpdate", cpu: str | None = None
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": image, "ports": [{"containerPort": 8080, "name": "http"}]}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu, "memory": "64Mi"}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "strategy": {"type": strategy},
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
        },
    }


def ready(pod: client.V1Pod) -> bool:
    return pod.status.phase == "Running" and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []
    )


async def pods_of(core: client.CoreV1Api, namespace: str, selector: str) -> list[client.V1Pod]:
    return (await core.list_namespaced_pod(namespace, label_selector=selector)).items


async def events_for(core: client.CoreV1Api, namespace: str, kind: str, name: str) -> list[client.CoreV1Event]:
    listed = await core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.kind={kind},involvedObject.name={name}"
    )
    return listed.items


async def test_deployment_runs_three_pods_with_real_events(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("web", "nginx:1.25"))
    pods = await eventually(
        lambda: pods_of(core, namespace, "app=web"),
        lambda ps: len(ps) == 3 and all(ready(p) for p in ps),
        what="3 running pods",
    )
    for pod in pods:
        assert pod.spec.node_name == "kubesim-node"
        assert pod.status.pod_ip.startswith("10.244.")
        status = pod.status.container_statuses[0]
        assert status.ready
        assert status.state.running.started_at is not None
        assert status.image == "docker.io/library/nginx:1.25"
        assert status.container_id.startswith("containerd://")
        assert {c.type for c in pod.status.conditions} == {
            "PodReadyToStartContainers",
            "Initialized",
            "Ready",
            "ContainersReady",
            "PodScheduled",
        }
        assert pod.metadata.owner_references[0].kind == "ReplicaSet"
        assert pod.metadata.labels["pod-template-hash"]
    dep = await eventually(
        lambda: apps.read_namespaced_deployment("web", namespace),
        lambda d: d.status.available_replicas == 3,
        what="deployment available",
    )
    assert dep.status.observed_generation == dep.metadata.generation
    assert dep.status.updated_replicas == 3
    assert dep.status.ready_replicas == 3
    conditions = {c.type: c for c in dep.status.conditions}
    assert conditions["Available"].reason == "MinimumReplicasAvailable"
    assert conditions["Progressing"].reason == "NewReplicaSetAvailable"
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "1"

    pod = pods[0]
    pod_events = await events_for(core, namespace, "Pod", pod.metadata.name)
    reasons = [e.reason for e in sorted(pod_events, key=lambda e: e.first_timestamp)]
    assert reasons[0] == "Scheduled"
    assert {"Pulled", "Created", "Started"} <= set(reasons)
    pulled = next(e for e in pod_events if e.reason == "Pulled")
    if "Pulling" in reasons:
        assert pulled.message.startswith('Successfully pulled image "nginx:1.25" in ')
    else:
        assert pulled.message == 'Container image "nginx:1.25" already present on machine'
    scheduled = next(e for e in pod_events if e.reason == "Scheduled")
    assert scheduled.source.component == "default-scheduler"
    assert scheduled.message == f"Successfully assigned {namespace}/{pod.metadata.name} to kubesim-node"
    started = next(e for e in pod_events if e.reason == "Started")
    assert started.source.component == "kubelet"
    assert started.source.host == "kubesim-node"
    assert started.involved_object.field_path == "spec.containers{app}"
    assert started.involved_object.uid == pod.metadata.uid
    assert started.type == "Normal"
    assert started.count == 1
    assert started.first_timestamp is not None
    assert started.last_timestamp is not None
    rs_name = pod.metadata.owner_references[0].name
    rs_events = await events_for(core, namespace, "ReplicaSet", rs_name)
    assert sorted(e.reason for e in rs_events) == ["SuccessfulCreate"] * 3
    assert all(e.source.component == "replicaset-controller" for e in rs_events)
    dep_events = await events_for(core, namespace, "Deployment", "web")
    assert [e.message for e in dep_events] == [f"Scaled up replica set {rs_name} from 0 to 3"]
    assert dep_events[0].reason == "ScalingReplicaSet"


def lifecycle_stage(pod: client.V1Pod) -> str:
    """Pending, ContainerCreating or Running, as ``kubectl get pods`` would summarise the pod."""
    statuses = pod.status.container_statuses or []
    if pod.status.phase == "Pending" and statuses and statuses[0].state.waiting is not None:
        return str(statuses[0].state.waiting.reason)
    return str(pod.status.phase)


async def test_a_new_pod_goes_pending_then_container_creating_then_running(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    listed = await core.list_namespaced_pod(namespace)
    seen: list[client.V1Pod] = []

    async def observe() -> None:
        w = watch.Watch()
        # From the list's resourceVersion: the watch sees every write to the pod, beginning with its creation.
        async with w.stream(
            core.list_namespaced_pod,
            namespace,
            field_selector="metadata.name=life",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=20,
        ) as stream:
            async for event in stream:
                seen.append(event["object"])
                if ready(event["object"]):
                    w.stop()
                    break

    task = asyncio.create_task(observe())
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "life"},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        },
    )
    await asyncio.wait_for(task, 30)

    stages = [lifecycle_stage(pod) for pod in seen]
    distinct = [stage for i, stage in enumerate(stages) if i == 0 or stages[i - 1] != stage]
    assert distinct == ["Pending", "ContainerCreating", "Running"], stages
    created = seen[0]
    assert created.spec.node_name is None  # not yet scheduled when it appears
    assert not created.status.container_statuses
    creating = next(pod for pod in seen if lifecycle_stage(pod) == "ContainerCreating")
    assert creating.spec.node_name == "kubesim-node"
    conditions = {c.type: c.status for c in creating.status.conditions}
    assert conditions["PodScheduled"] == "True"
    assert conditions["Ready"] == "False"
    assert not creating.status.container_statuses[0].ready
    running = seen[-1]
    state = running.status.container_statuses[0].state
    assert state.running is not None
    assert state.running.started_at is not None
    assert running.status.pod_ip.startswith("10.244.")


async def test_image_change_rolls_to_a_new_replicaset(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("roll", "nginx:1.25"))
    await eventually(
        lambda: apps.read_namespaced_deployment("roll", namespace),
        lambda d: d.status.available_replicas == 3,
        what="first rollout",
    )
    await apps.patch_namespaced_deployment(
        "roll", namespace, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}}
    )

    def done(d: client.V1Deployment) -> bool:
        return (
            d.status.observed_generation == d.metadata.generation
            and d.status.updated_replicas == 3
            and d.status.available_replicas == 3
            and d.status.replicas == 3
        )

    dep = await eventually(lambda: apps.read_namespaced_deployment("roll", namespace), done, what="rolled over")
    assert dep.metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    replica_sets = (await apps.list_namespaced_replica_set(namespace, label_selector="app=roll")).items
    assert len(replica_sets) == 2
    by_image = {rs.spec.template.spec.containers[0].image: rs for rs in replica_sets}
    assert by_image["nginx:1.26"].spec.replicas == 3
    assert by_image["nginx:1.25"].spec.replicas == 0
    assert by_image["nginx:1.26"].metadata.annotations["deployment.kubernetes.io/revision"] == "2"
    pods = await eventually(
        lambda: pods_of(core, namespace, "app=roll"),
        lambda ps: len(ps) == 3 and all(p.spec.containers[0].image == "nginx:1.26" for p in ps),
        what="old pods gone",
    )
    new_hash = by_image["nginx:1.26"].metadata.labels["pod-template-hash"]
    assert {p.metadata.labels["pod-template-hash"] for p in pods} == {new_hash}
    messages = [e.message for e in await events_for(core, namespace, "Deployment", "roll")]
    old_name = by_image["nginx:1.25"].metadata.name
    assert any(m.startswith(f"Scaled down replica set {old_name} from") for m in messages)
    new_name = by_image["nginx:1.26"].metadata.name
    assert any(m.startswith(f"Scaled up replica set {new_name} from 0 to") for m in messages)


async def test_recreate_stops_old_pods_before_starting_new_ones(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("rec", "nginx:1.25", replicas=2, strategy="Recreate"))
    await eventually(
        lambda: apps.read_namespaced_deployment("rec", namespace),
        lambda d: d.status.available_replicas == 2,
        what="first rollout",
    )
    listed = await core.list_namespaced_pod(namespace, label_selector="app=rec")
    old = {p.metadata.name for p in listed.items}
    order: list[tuple[str, str]] = []

    async def record() -> None:
        w = watch.Watch()
        async with w.stream(
            core.list_namespaced_pod,
            namespace,
            label_selector="app=rec",
            resource_version=listed.metadata.resource_version,
            timeout_seconds=15,
        ) as stream:
            async for event in stream:
                order.append((event["type"], event["object"].metadata.name))
                new_running = [n for t, n in order if t == "ADDED" and n not in old]
                if len(new_running) == 2:
                    w.stop()
                    break

    task = asyncio.create_task(record())
    await asyncio.sleep(0.2)
    await apps.patch_namespaced_deployment(
        "rec", namespace, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx:1.26"}]}}}}
    )
    await asyncio.wait_for(task, 20)
    first_new = next(i for i, (t, n) in enumerate(order) if t == "ADDED" and n not in old)
    deleted_before = {n for t, n in order[:first_new] if t == "DELETED"}
    assert deleted_before == old


async def test_failure_marker_gives_image_pull_backoff(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(
        namespace, deployment("broken", "registry.example.com/app:fail-pull", replicas=1)
    )

    def backing_off(ps: list[client.V1Pod]) -> bool:
        return (
            bool(ps)
            and ps[0].status.container_statuses is not None
            and ps[0].status.container_statuses[0].state.waiting is not None
            and ps[0].status.container_statuses[0].state.waiting.reason == "ImagePullBackOff"
        )

    pods = await eventually(lambda: pods_of(core, namespace, "app=broken"), backing_off, what="ImagePullBackOff")
    pod = pods[0]
    assert pod.status.phase == "Pending"
    assert not pod.status.container_statuses[0].ready
    warnings = (
        await core.list_namespaced_event(
            namespace, field_selector=f"involvedObject.name={pod.metadata.name},type=Warning"
        )
    ).items
    messages = [e.message for e in warnings]
    assert any(m.startswith('Failed to pull image "registry.example.com/app:fail-pull"') for m in messages)
    assert "Error: ErrImagePull" in messages
    assert all(e.reason == "Failed" and e.source.component == "kubelet" for e in warnings)
    dep = await apps.read_namespaced_deployment("broken", namespace)
    conditions = {c.type: c for c in dep.status.conditions}
    assert conditions["Available"].status == "False"
    assert not dep.status.available_replicas


async def test_crash_marker_gives_crash_loop_backoff_with_growing_restarts(
    api: client.ApiClient, namespace: str
) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "crasher"},
            "spec": {"containers": [{"name": "app", "image": "acme/app:crash"}]},
        },
    )

    def looping(p: client.V1Pod) -> bool:
        cs = (p.status.container_statuses or [None])[0]
        return (
            cs is not None
            and cs.restart_count >= 2
            and cs.state.waiting is not None
            and cs.state.waiting.reason == "CrashLoopBackOff"
        )

    pod = await eventually(lambda: core.read_namespaced_pod("crasher", namespace), looping, what="crash loop")
    status = pod.status.container_statuses[0]
    assert status.last_state.terminated.exit_code == 1
    assert status.last_state.terminated.reason == "Error"
    assert pod.status.phase == "Running"
    back_off = [e for e in await events_for(core, namespace, "Pod", "crasher") if e.reason == "BackOff"]
    assert back_off
    assert back_off[0].type == "Warning"
    assert back_off[0].message.startswith("Back-off restarting failed container app in pod crasher_")
    previous = await core.read_namespaced_pod_log("crasher", namespace, previous=True)
    assert "FATAL" in previous.splitlines()[-1]


async def test_job_runs_to_completion(api: client.ApiClient, namespace: str) -> None:
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    await batch.create_namespaced_job(
        namespace,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "migrate"},
            "spec": {
                "completions": 2,
                "parallelism": 1,
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "busybox:1.36"}]}
                },
            },
        },
    )
    job = await eventually(
        lambda: batch.read_namespaced_job("migrate", namespace),
        lambda j: any(c.type == "Complete" and c.status == "True" for c in j.status.conditions or []),
        what="job complete",
    )
    assert job.status.succeeded == 2
    assert job.status.completion_time is not None
    assert job.status.start_time is not None
    pods = (await core.list_namespaced_pod(namespace, label_selector="job-name=migrate")).items
    assert len(pods) == 2
    assert all(p.status.phase == "Succeeded" for p in pods)
    assert all(p.status.container_statuses[0].state.terminated.reason == "Completed" for p in pods)
    reasons = [e.reason for e in await events_for(core, namespace, "Job", "migrate")]
    assert reasons.count("SuccessfulCreate") == 2
    assert "Completed" in reasons


async def test_job_gives_up_after_backoff_limit(api: client.ApiClient, namespace: str) -> None:
    batch = client.BatchV1Api(api)
    await batch.create_namespaced_job(
        namespace,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "doomed"},
            "spec": {
                "backoffLimit": 1,
                "template": {
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "acme/task:crash"}]}
                },
            },
        },
    )
    job = await eventually(
        lambda: batch.read_namespaced_job("doomed", namespace),
        lambda j: any(c.type == "Failed" and c.status == "True" for c in j.status.conditions or []),
        what="job failed",
    )
    failed = next(c for c in job.status.conditions if c.type == "Failed")
    assert failed.reason == "BackoffLimitExceeded"
    assert job.status.failed == 2


async def test_statefulset_pods_and_claims(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_stateful_set(
        namespace,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "pg",
                                "image": "postgres:16",
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                    }
                ],
            },
        },
    )
    sts = await eventually(
        lambda: apps.read_namespaced_stateful_set("db", namespace),
        lambda s: s.status.ready_replicas == 2,
        what="statefulset ready",
    )
    assert sts.status.current_revision == sts.status.update_revision
    pods = sorted(p.metadata.name for p in (await core.list_namespaced_pod(namespace, label_selector="app=db")).items)
    assert pods == ["db-0", "db-1"]
    claims = {c.metadata.name: c for c in (await core.list_namespaced_persistent_volume_claim(namespace)).items}
    assert set(claims) == {"data-db-0", "data-db-1"}
    assert all(c.status.phase == "Bound" for c in claims.values())


async def test_claims_bind_to_dynamically_provisioned_volumes(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
        },
    )
    claim = await eventually(
        lambda: core.read_namespaced_persistent_volume_claim("data", namespace),
        lambda c: c.status.phase == "Bound",
        what="claim bound",
    )
    assert claim.spec.storage_class_name == "standard"
    assert claim.status.capacity == {"storage": "2Gi"}
    volume = await core.read_persistent_volume(claim.spec.volume_name)
    assert volume.spec.claim_ref.name == "data"
    assert volume.spec.storage_class_name == "standard"
    assert volume.status.phase == "Bound"
    assert volume.spec.persistent_volume_reclaim_policy == "Delete"
    reasons = [e.reason for e in await events_for(core, namespace, "PersistentVolumeClaim", "data")]
    assert "ProvisioningSucceeded" in reasons

    # A WaitForFirstConsumer class binds only once a pod uses the claim.
    await core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "later"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "local-path",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    await asyncio.sleep(0.3)
    assert (await core.read_namespaced_persistent_volume_claim("later", namespace)).status.phase == "Pending"
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "user"},
            "spec": {
                "containers": [
                    {"name": "c", "image": "busybox:1.36", "volumeMounts": [{"name": "v", "mountPath": "/v"}]}
                ],
                "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "later"}}],
            },
        },
    )
    await eventually(
        lambda: core.read_namespaced_persistent_volume_claim("later", namespace),
        lambda c: c.status.phase == "Bound",
        what="late binding",
    )
    await eventually(lambda: core.read_namespaced_pod("user", namespace), ready, what="pod with volume running")

    # Deleting the claim releases and deletes the volume (reclaim policy Delete).
    await core.delete_namespaced_persistent_volume_claim("data", namespace)

    async def volume_gone() -> bool:
        try:
            await core.read_persistent_volume(claim.spec.volume_name)
        except client.ApiException as exc:
            return exc.status == 404
        return False

    await eventually(volume_gone, bool, what="volume deleted")


async def test_services_get_cluster_ips_and_endpoints(api: client.ApiClient, namespace: str) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("svc", "nginx:1.25", replicas=2))
    created = await core.create_namespaced_service(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "svc"},
            "spec": {"selector": {"app": "svc"}, "ports": [{"port": 80, "targetPort": "http"}]},
        },
    )
    assert created.spec.cluster_ip.startswith("10.96.")
    assert created.spec.type == "ClusterIP"

    def two_ready(e: client.V1Endpoints) -> bool:
        return bool(e.subsets) and len(e.subsets[0].addresses or []) == 2

    endpoints = await eventually(lambda: core.read_namespaced_endpoints("svc", namespace), two_ready, what="endpoints")
    assert endpoints.subsets[0].ports[0].port == 8080
    assert all(a.target_ref.kind == "Pod" for a in endpoints.subsets[0].addresses)

    lb = await core.create_namespaced_service(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "public"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "svc"}, "ports": [{"port": 443}]},
        },
    )
    assert 30000 <= lb.spec.ports[0].node_port <= 32767
    lb = await eventually(
        lambda: core.read_namespaced_service("public", namespace),
        lambda s: bool(s.status.load_balancer.ingress),
        what="load balancer address",
    )
    assert lb.status.load_balancer.ingress[0].ip


async def test_ingress_gets_an_address(api: client.ApiClient, namespace: str) -> None:
    networking = client.NetworkingV1Api(api)
    created = await networking.create_namespaced_ingress(
        namespace,
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "web"},
            "spec": {
                "rules": [
                    {
                        "host": "web.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "web", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    assert created.spec.ingress_class_name == "nginx"
    ingress = await eventually(
        lambda: networking.read_namespaced_ingress("web", namespace),
        lambda i: bool(i.status.load_balancer.ingress),
        what="ingress address",
    )
    assert ingress.status.load_balancer.ingress[0].ip == "127.0.0.1"


async def test_autoscaler_reports_status(api: client.ApiClient, namespace: str) -> None:
    apps, autoscaling = client.AppsV1Api(api), client.AutoscalingV2Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("scaled", "nginx:1.25", replicas=1, cpu="100m"))
    await autoscaling.create_namespaced_horizontal_pod_autoscaler(
        namespace,
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "scaled"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scaled"},
                "minReplicas": 2,
                "maxReplicas": 5,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                    }
                ],
            },
        },
    )
    hpa = await eventually(
        lambda: autoscaling.read_namespaced_horizontal_pod_autoscaler("scaled", namespace),
        lambda h: h.status.current_metrics is not None and h.status.desired_replicas >= 2,
        what="autoscaler status",
    )
    assert hpa.status.current_metrics[0].resource.current.average_utilization is not None
    assert {c.type for c in hpa.status.conditions} == {"AbleToScale", "ScalingActive", "ScalingLimited"}
    dep = await apps.read_namespaced_deployment("scaled", namespace)
    assert dep.spec.replicas >= 2


async def test_unschedulable_pod_reports_failed_scheduling(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "picky"},
            "spec": {"nodeSelector": {"disk": "ssd"}, "containers": [{"name": "c", "image": "nginx"}]},
        },
    )

    async def failed() -> list[client.CoreV1Event]:
        return [e for e in await events_for(core, namespace, "Pod", "picky") if e.reason == "FailedScheduling"]

    events = await eventually(failed, bool, what="FailedScheduling")
    assert events[0].type == "Warning"
    assert events[0].message.startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity")
    pod = await core.read_namespaced_pod("picky", namespace)
    assert pod.status.phase == "Pending"
    scheduled = next(c for c in pod.status.conditions if c.type == "PodScheduled")
    assert scheduled.status == "False"
    assert scheduled.reason == "Unschedulable"


async def test_missing_config_map_blocks_pod_start(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    await core.create_namespaced_pod(
        namespace,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "needy"},
            "spec": {
                "containers": [{"name": "c", "image": "nginx", "volumeMounts": [{"name": "cfg", "mountPath": "/cfg"}]}],
                "volumes": [{"name": "cfg", "configMap": {"name": "settings"}}],
            },
        },
    )

    async def mount_failed() -> list[client.CoreV1Event]:
        return [e for e in await events_for(core, namespace, "Pod", "needy") if e.reason == "FailedMount"]

    events = await eventually(mount_failed, bool, what="FailedMount")
    assert 'configmap "settings" not found' in events[0].message
    await core.create_namespaced_config_map(namespace, {"metadata": {"name": "settings"}, "data": {"a": "b"}})
    await eventually(lambda: core.read_namespaced_pod("needy", namespace), ready, what="pod started after fix")


async def test_scale_subresource(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("sc", "nginx:1.25", replicas=1))
    scale = await apps.read_namespaced_deployment_scale("sc", namespace)
    assert scale.spec.replicas == 1
    assert scale.status.selector == "app=sc"
    await apps.patch_namespaced_deployment_scale("sc", namespace, {"spec": {"replicas": 3}})
    dep = await eventually(
        lambda: apps.read_namespaced_deployment("sc", namespace),
        lambda d: d.status.ready_replicas == 3,
        what="scaled to 3",
    )
    assert dep.spec.replicas == 3
    scale = await apps.read_namespaced_deployment_scale("sc", namespace)
    scale.spec.replicas = 2
    replaced = await apps.replace_namespaced_deployment_scale("sc", namespace, scale)
    assert replaced.spec.replicas == 2


async def test_autoscaling_v1_is_served_as_a_view_of_v2(api: client.ApiClient, namespace: str) -> None:
    apps, v1, v2 = client.AppsV1Api(api), client.AutoscalingV1Api(api), client.AutoscalingV2Api(api)
    await apps.create_namespaced_deployment(namespace, deployment("old", "nginx:1.25", replicas=1, cpu="100m"))
    created = await v1.create_namespaced_horizontal_pod_autoscaler(
        namespace,
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "old"},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "old"},
                "minReplicas": 1,
                "maxReplicas": 3,
                "targetCPUUtilizationPercentage": 70,
            },
        },
    )
    assert created.spec.target_cpu_utilization_percentage == 70
    as_v2 = await v2.read_namespaced_horizontal_pod_autoscaler("old", namespace)
    assert as_v2.spec.metrics[0].resource.target.average_utilization == 70
    as_v1 = await eventually(
        lambda: v1.read_namespaced_horizontal_pod_autoscaler("old", namespace),
        lambda h: h.status.current_cpu_utilization_percentage is not None,
        what="v1 status",
    )
    assert as_v1.status.desired_replicas >= 1
    assert "autoscaling.alpha.kubernetes.io/conditions" in as_v1.metadata.annotations
    listed = await v1.list_namespaced_horizontal_pod_autoscaler(namespace)
    assert listed.items[0].spec.target_cpu_utilization_percentage == 70


def scheduled_at_seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def test_cronjob_creates_a_job_on_its_schedule_and_the_job_completes(
    api: client.ApiClient, namespace: str
) -> None:
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    # ``@every`` (robfig/cron, as Kubernetes parses schedules) runs every few seconds of real time, so the
    # test sees a scheduled run without waiting for a minute boundary.
    cron = await batch.create_namespaced_cron_job(
        namespace,
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {"name": "tick"},
            "spec": {
                "schedule": "@every 2s",
                "concurrencyPolicy": "Forbid",
                "jobTemplate": {
                    "spec": {
                        "template": {
                            "metadata": {"labels": {"app": "tick"}},
                            "spec": {
                                "restartPolicy": "OnFailure",
                                "containers": [{"name": "t", "image": "busybox:1.36"}],
                            },
                        }
                    }
                },
            },
        },
    )

    async def jobs() -> list[client.V1Job]:
        return (await batch.list_namespaced_job(namespace)).items

    created = await eventually(jobs, lambda js: len(js) >= 1, what="a job from the cron job")
    job = created[0]
    owner = job.metadata.owner_references[0]
    assert (owner.kind, owner.name, owner.uid, owner.controller) == ("CronJob", "tick", cron.metadata.uid, True)
    scheduled_at = job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert job.metadata.name == f"tick-{int(scheduled_at_seconds(scheduled_at) // 60)}"
    status = (
        await eventually(
            lambda: batch.read_namespaced_cron_job("tick", namespace),
            lambda c: c.status.last_schedule_time is not None,
            what="lastScheduleTime",
        )
    ).status
    assert status.last_schedule_time >= cron.metadata.creation_timestamp

    # The job runs its pod to completion, and the cron job records the success.
    done = await eventually(
        lambda: batch.read_namespaced_job(job.metadata.name, namespace),
        lambda j: any(c.type == "Complete" and c.status == "True" for c in j.status.conditions or []),
        what="job complete",
    )
    assert done.status.succeeded == 1
    pods = (await core.list_namespaced_pod(namespace, label_selector=f"job-name={job.metadata.name}")).items
    assert [p.status.phase for p in pods] == ["Succeeded"]
    assert pods[0].status.container_statuses[0].state.terminated.reason == "Completed"
    cron = await eventually(
        lambda: batch.read_namespaced_cron_job("tick", namespace),
        lambda c: c.status.last_successful_time is not None,
        what="lastSuccessfulTime",
    )
    # A later run may have completed meanwhile; the time is never older than this job's completion.
    assert cron.status.last_successful_time >= done.status.completion_time
    reasons = [e.reason for e in await events_for(core, namespace, "CronJob", "tick")]
    assert "SuccessfulCreate" in reasons
    assert "SawCompletedJob" in reasons


async def test_cronjob_schedule_must_parse(api: client.ApiClient, namespace: str) -> None:
    batch = client.BatchV1Api(api)
    for schedule in ("@every soon", "every 2s", "61 * * * *"):
        with pytest.raises(client.ApiException) as refused:
            await batch.create_namespaced_cron_job(
                namespace,
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "metadata": {"name": "bad"},
                    "spec": {
                        "schedule": schedule,
                        "jobTemplate": {
                            "spec": {
                                "template": {
                                    "spec": {
                                        "restartPolicy": "Never",
                                        "containers": [{"name": "t", "image": "busybox:1.36"}],
                                    }
                                }
                            }
                        },
                    },
                },
            )
        assert refused.value.status == 422, schedule
        assert "spec.schedule" in refused.value.body
