"""Operator mode (``ONECLICK_EXECUTOR_MODE=operator``): the executor writes the one-click.dev/v1alpha1 Rollout
as the original backend did (named after the deployment, in the project's namespace, three labels, updated
in place, deleted when the rollout ends) and reads the status from the Rollout's ``.status``. Its executor
finds the cluster through One-Click's ``LOCAL=true`` + ``LOCAL_KUBECONFIG_FILE``.

kubesim serves the CRD but runs no operator, so this test writes a status into the Rollout itself to check
the read path, and no native objects ever appear.
"""

from __future__ import annotations

import pytest
from kubernetes_asyncio import client

from kubesim.testing import KubesimProcess
from oneclick_testing.platform import Platform
from oneclick_testing.waiting import eventually

from .helpers import (
    Cluster,
    EventLog,
    contains,
    delete,
    nginx_manifest,
    project_with_deployment,
    start_rollout,
    update,
    with_tag,
)

SECRET_VALUE = "operator-needs-this"


@pytest.fixture(scope="module")
def executor_env(kubesim: KubesimProcess) -> dict[str, str]:
    # One-Click's own switch to a local kubeconfig, instead of KUBECONFIG (an empty value means unset).
    return {
        "ONECLICK_EXECUTOR_MODE": "operator",
        "KUBECONFIG": "",
        "LOCAL": "true",
        "LOCAL_KUBECONFIG_FILE": str(kubesim.kubeconfig),
    }


async def test_the_rollout_resource_is_created_updated_and_deleted_as_the_original_backend_did(
    platform: Platform, kube: client.ApiClient, events: EventLog
) -> None:
    cluster = Cluster(kube)
    alice = await platform.new_user("alice")
    project, web = await project_with_deployment(alice)
    ns, dep = project["id"], web["id"]
    path = f"/apis/one-click.dev/v1alpha1/namespaces/{ns}/rollouts/{dep}"
    manifest = await nginx_manifest(alice, secrets=[{"name": "TOKEN", "value": SECRET_VALUE}])
    manifest["metadata"] = {
        "name": "ignored",
        "namespace": "ignored",
        "labels": {"x": "y"},
        "annotations": {"team": "web"},
    }
    first = await start_rollout(alice, project, web, manifest)
    await eventually(lambda: bool(events.applied(first["id"])), message="rollout.applied")
    applied = events.applied(first["id"])[0]
    assert applied["mode"] == "operator"
    # The namespace with its tenancy guardrails first, then the Rollout.
    assert applied["objects"] == [
        f"Namespace/{ns}",
        "ResourceQuota/one-click-quota",
        "LimitRange/one-click-limits",
        "NetworkPolicy/one-click-default",
        f"Rollout/{dep}",
    ]

    resource = await cluster.get(path)
    assert resource is not None
    assert resource["apiVersion"] == "one-click.dev/v1alpha1"
    assert resource["kind"] == "Rollout"
    assert resource["metadata"]["name"] == dep
    assert resource["metadata"]["namespace"] == ns
    # Exactly the three labels, whatever the manifest had; its other metadata kept.
    assert resource["metadata"]["labels"] == {
        "one-click.dev/projectId": ns,
        "one-click.dev/deploymentId": dep,
        "one-click.dev/rolloutId": first["id"],
    }
    assert resource["metadata"]["annotations"] == {"team": "web"}
    # The manifest's spec, secret values included (the operator needs them).
    assert contains(resource["spec"], manifest["spec"]) == []
    assert resource["spec"]["secrets"] == [{"name": "TOKEN", "value": SECRET_VALUE}]
    namespace = await cluster.get(f"/api/v1/namespaces/{ns}")
    assert namespace is not None
    labels = namespace["metadata"]["labels"]
    assert labels["one-click.dev/projectId"] == ns
    assert labels["one-click.dev/userId"] == alice.id
    assert labels["one-click.dev/username"] == alice.record["username"]
    assert labels["one-click.dev/displayName"] == "alice"
    assert not [
        process.label
        for process in platform.services.processes
        if SECRET_VALUE in process.log_path.read_text(errors="replace")
    ]
    # The operator makes the native objects, not the executor.
    assert await cluster.get(f"/apis/apps/v1/namespaces/{ns}/deployments/{dep}") is None

    # Before the operator reports, the status is Pending; then it is the Rollout's .status, as is.
    status = await alice.client.get(f"/pb/{ns}/{dep}/status")
    assert status.status_code == 200
    assert status.json()["deployment"]["status"] == "Pending"
    reported = {
        "deployment": {
            "replicas": 1,
            "podNames": [f"{dep}-abc-1"],
            "status": "OK",
            "resources": {
                "requestSum": {"cpu": "0.100", "memory": "268435456"},
                "limitSum": {"cpu": "0.500", "memory": "536870912"},
            },
        },
        "services": [{"name": f"http-{dep}-svc", "ports": [80], "status": "OK"}],
    }
    await cluster.request("PUT", f"{path}/status", {**resource, "status": reported})
    for url in (f"/pb/{ns}/{dep}/status", f"/rollouts/{ns}/{first['id']}/status"):
        response = await alice.client.get(url)
        assert response.status_code == 200
        assert response.json() == reported
    metrics = await alice.client.get(f"/pb/{ns}/{dep}/metrics")
    assert metrics.json() == {"metrics": []}

    # A new rollout updates the same resource in place.
    second = await start_rollout(alice, project, web, with_tag(manifest, "1.27"))
    await eventually(lambda: bool(events.applied(second["id"])), message="second rollout applied")
    updated = await cluster.get(path)
    assert updated is not None
    assert updated["metadata"]["uid"] == resource["metadata"]["uid"]
    assert updated["metadata"]["labels"]["one-click.dev/rolloutId"] == second["id"]
    assert updated["spec"]["image"]["tag"] == "1.27"

    # Roll back: the first rollout's spec and id again.
    await update(alice, "rollouts", first["id"], endDate="")
    await eventually(lambda: len(events.applied(first["id"])) == 2, message="rollback applied")
    rolled_back = await cluster.get(path)
    assert rolled_back is not None
    assert rolled_back["metadata"]["labels"]["one-click.dev/rolloutId"] == first["id"]
    assert rolled_back["spec"]["image"]["tag"] == manifest["spec"]["image"]["tag"]

    # Ending the rollout deletes the resource (the operator then removes what it made); the namespace stays.
    await update(alice, "rollouts", first["id"], endDate="2030-01-01 00:00:00.000Z")

    async def resource_gone() -> bool:
        return await cluster.get(path) is None

    await eventually(resource_gone, message="Rollout deleted when the rollout ended")
    assert await cluster.get(f"/api/v1/namespaces/{ns}") is not None

    # A new rollout creates it again; deleting the deployment deletes it; deleting the project its namespace.
    third = await start_rollout(alice, project, web, manifest)
    await eventually(lambda: bool(events.applied(third["id"])), message="third rollout applied")
    assert await cluster.get(path) is not None
    await delete(alice, "deployments", dep)
    await eventually(resource_gone, message="Rollout deleted with the deployment")
    await delete(alice, "projects", ns)

    async def namespace_gone() -> bool:
        return await cluster.get(f"/api/v1/namespaces/{ns}") is None

    await eventually(namespace_gone, message="namespace deleted with the project")
