"""End to end with the executor: a rollout made through the API shows up live on the map as the executor
applies it, and a new rollout replaces the pods before the viewer's eyes; secret values never travel."""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, running_platform

from .conftest import EDGE_ENV, STREAMING_ENV
from .live import LiveSocket, pod_phase, wait_for_messages

NGINX_BLUEPRINT = "bpnginx00000000"
SECRET_VALUE = "live-view-secret-9f2c"


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=kubesim.kubeconfig,
        names=["auth", "records", "k8s-executor", "streaming"],
        env={"streaming": STREAMING_ENV, "edge": EDGE_ENV},
    ) as started:
        yield started


def _running(messages: list[dict[str, Any]]) -> set[str]:
    latest: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message["kind"] == "pod":
            latest[message["name"]] = message
    return {name for name, m in latest.items() if m["status"] != "DELETED" and pod_phase(m) == "Running"}


async def test_a_rollout_appears_live_and_a_new_one_replaces_its_pods(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project = (await alice.client.post("/api/collections/projects/records", json={"name": "shop"})).json()["id"]
    deployment = (
        await alice.client.post(
            "/api/collections/deployments/records",
            json={"name": "web", "project": project, "blueprint": NGINX_BLUEPRINT},
        )
    ).json()["id"]
    blueprint = (await alice.client.get(f"/pb/blueprints/{NGINX_BLUEPRINT}")).json()
    manifest = copy.deepcopy(blueprint["manifest"])
    manifest["spec"]["secrets"] = [{"name": "API_KEY", "value": SECRET_VALUE}]
    # The map is open before anything exists in the cluster, as when a user opens a new deployment.
    socket = await LiveSocket.open(
        platform, "/ws/k8s/deployments", {"projectId": project, "deploymentId": deployment}, token=alice.token
    )
    created = await alice.client.post(
        "/api/collections/rollouts/records", json={"project": project, "deployment": deployment, "manifest": manifest}
    )
    assert created.status_code == 200, created.text

    await wait_for_messages(socket, lambda ms: bool(_running(ms)), timeout=60, message="the rollout's pod Running")
    kinds = {m["kind"] for m in socket.messages()}
    assert {"deployment", "replicaset", "pod", "secret"} <= kinds
    first_pods = _running(socket.messages())

    manifest["spec"]["image"]["tag"] = "1.27"
    again = await alice.client.post(
        "/api/collections/rollouts/records", json={"project": project, "deployment": deployment, "manifest": manifest}
    )
    assert again.status_code == 200, again.text

    def replaced(messages: list[dict[str, Any]]) -> bool:
        deleted = {m["name"] for m in messages if m["kind"] == "pod" and m["status"] == "DELETED"}
        now = _running(messages)
        return bool(now) and not (now & first_pods) and first_pods <= deleted

    await wait_for_messages(socket, replaced, timeout=60, message="new pods Running, the old ones DELETED")
    # Neither the value nor its base64 form (as a Secret's data holds it) in any frame.
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    assert any(m["kind"] == "secret" for m in socket.messages())  # the Secret itself was on the map
    for frame in socket.frames:
        assert SECRET_VALUE not in frame
        assert encoded not in frame
    await socket.close()
