"""Every kind kubesim serves deserializes into kubernetes-asyncio's typed models (which insist on their required
fields), once the controllers have filled in status."""

from __future__ import annotations

from kubernetes_asyncio import client

from .helpers import eventually
from .test_workloads import deployment


async def test_all_kinds_deserialize_into_typed_models(api: client.ApiClient, namespace: str) -> None:
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    networking, autoscaling = client.NetworkingV1Api(api), client.AutoscalingV2Api(api)
    template = {
        "metadata": {"labels": {"app": "m"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "resources": {"requests": {"cpu": "50m"}}}]},
    }
    await apps.create_namespaced_deployment(namespace, deployment("m", "nginx:1.25", replicas=1, cpu="50m"))
    await apps.create_namespaced_daemon_set(
        namespace,
        {
            "metadata": {"name": "ds"},
            "spec": {
                "selector": {"matchLabels": {"app": "ds"}},
                "template": {**template, "metadata": {"labels": {"app": "ds"}}},
            },
        },
    )
    await apps.create_namespaced_stateful_set(
        namespace,
        {
            "metadata": {"name": "ss"},
            "spec": {
                "serviceName": "ss",
                "selector": {"matchLabels": {"app": "ss"}},
                "template": {**template, "metadata": {"labels": {"app": "ss"}}},
            },
        },
    )
    job_template = {
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "j", "image": "busybox"}]}}}
    }
    await batch.create_namespaced_job(namespace, {"metadata": {"name": "job"}, **job_template})
    await batch.create_namespaced_cron_job(
        namespace, {"metadata": {"name": "cron"}, "spec": {"schedule": "*/10 * * * *", "jobTemplate": job_template}}
    )
    await core.create_namespaced_service(
        namespace,
        {
            "metadata": {"name": "lb"},
            "spec": {"type": "LoadBalancer", "selector": {"app": "m"}, "ports": [{"port": 80}]},
        },
    )
    await networking.create_namespaced_ingress(
        namespace,
        {
            "metadata": {"name": "ing"},
            "spec": {
                "rules": [
                    {
                        "host": "m.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "lb", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            },
        },
    )
    await core.create_namespaced_persistent_volume_claim(
        namespace,
        {
            "metadata": {"name": "pvc"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    await autoscaling.create_namespaced_horizontal_pod_autoscaler(
        namespace,
        {
            "metadata": {"name": "m"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "m"}, "maxReplicas": 2},
        },
    )
    await eventually(
        lambda: batch.read_namespaced_job("job", namespace), lambda j: j.status.succeeded == 1, what="job done"
    )
    await eventually(
        lambda: autoscaling.read_namespaced_horizontal_pod_autoscaler("m", namespace),
        lambda h: h.status.current_metrics is not None,
        what="hpa status",
    )

    listings = [
        core.list_namespace(),
        core.list_node(),
        core.list_persistent_volume(),
        core.list_namespaced_pod(namespace),
        core.list_namespaced_service(namespace),
        core.list_namespaced_endpoints(namespace),
        core.list_namespaced_config_map(namespace),
        core.list_namespaced_secret(namespace),
        core.list_namespaced_service_account(namespace),
        core.list_namespaced_persistent_volume_claim(namespace),
        core.list_namespaced_event(namespace),
        apps.list_namespaced_deployment(namespace),
        apps.list_namespaced_replica_set(namespace),
        apps.list_namespaced_stateful_set(namespace),
        apps.list_namespaced_daemon_set(namespace),
        batch.list_namespaced_job(namespace),
        batch.list_namespaced_cron_job(namespace),
        networking.list_namespaced_ingress(namespace),
        networking.list_ingress_class(),
        autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace),
        client.StorageV1Api(api).list_storage_class(),
        client.ApiextensionsV1Api(api).list_custom_resource_definition(),
        client.CoordinationV1Api(api).list_namespaced_lease(namespace),
        client.RbacAuthorizationV1Api(api).list_cluster_role(),
    ]
    for listing in listings:
        result = await listing
        assert result.metadata.resource_version
    node = (await core.list_node()).items[0]
    assert node.status.node_info.kubelet_version == "v1.32.0"
    crd = await client.ApiextensionsV1Api(api).read_custom_resource_definition("rollouts.one-click.dev")
    assert crd.status.accepted_names.kind == "Rollout"
    cron = await batch.read_namespaced_cron_job("cron", namespace)
    assert cron.spec.concurrency_policy == "Allow"
    daemon = await eventually(
        lambda: apps.read_namespaced_daemon_set("ds", namespace),
        lambda d: d.status.number_ready == 1,
        what="daemonset ready",
    )
    assert daemon.status.desired_number_scheduled == 1
