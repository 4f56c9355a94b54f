"""The serve command as a process: TLS with its generated CA, bearer tokens, snapshots across restarts,
clean shutdown on SIGTERM."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from kubernetes_asyncio import client, config

from kubesim.testing import KubesimProcess

from .helpers import eventually


async def connect(process: KubesimProcess) -> client.ApiClient:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(process.kubeconfig), client_configuration=configuration)
    return client.ApiClient(configuration=configuration)


@pytest.fixture
async def secured(tmp_path: Path) -> AsyncIterator[KubesimProcess]:
    process = KubesimProcess(timings="fast", tls=True, token="s3cret-token", workdir=tmp_path / "secured")
    process.start()
    yield process
    process.cleanup()


async def test_tls_and_token(secured: KubesimProcess) -> None:
    assert secured.url.startswith("https://127.0.0.1:")
    async with await connect(secured) as api:
        namespaces = await client.CoreV1Api(api).list_namespace()
        assert "default" in {n.metadata.name for n in namespaces.items}
    secured.token = "wrong"
    code, body = secured.request("GET", "/api/v1/namespaces")
    assert code == 401
    assert body["reason"] == "Unauthorized"
    assert body["kind"] == "Status"
    code, body = secured.request("GET", "/version")
    assert code == 200
    secured.token = "s3cret-token"
    if shutil.which("kubectl"):
        result = await asyncio.to_thread(
            subprocess.run,
            ["kubectl", "get", "ns", "default", "-o", "name"],
            capture_output=True,
            text=True,
            env=secured.environment(),
            timeout=30,
            check=False,
        )
        assert result.stdout.strip() == "namespace/default"


async def test_snapshot_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = KubesimProcess(timings="fast", state_file=state, workdir=tmp_path / "run")
    first.start()
    try:
        async with await connect(first) as api:
            core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
            await core.create_namespace({"metadata": {"name": "keep"}})
            await core.create_namespaced_config_map("keep", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
            await apps.create_namespaced_deployment(
                "keep",
                {
                    "metadata": {"name": "web"},
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"app": "web"}},
                        "template": {
                            "metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "c", "image": "nginx"}]},
                        },
                    },
                },
            )
            await eventually(
                lambda: apps.read_namespaced_deployment("web", "keep"),
                lambda d: d.status.ready_replicas == 2,
                what="deployment ready",
            )
            before = await core.list_namespaced_pod("keep")
            last_version = int(before.metadata.resource_version)
    finally:
        assert first.stop() == 0
    assert json.loads(state.read_text())["kubesimSnapshot"] == 1
    second = KubesimProcess(timings="fast", state_file=state, workdir=tmp_path / "run")
    second.start()
    try:
        async with await connect(second) as api:
            core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
            cfg = await core.read_namespaced_config_map("cfg", "keep")
            assert cfg.data == {"a": "1"}
            pods = await core.list_namespaced_pod("keep")
            assert {p.metadata.name for p in pods.items} == {p.metadata.name for p in before.items}
            assert all(p.status.phase == "Running" for p in pods.items)
            made = await core.create_namespaced_config_map("keep", {"metadata": {"name": "new"}})
            assert int(made.metadata.resource_version) > last_version
            # Watching from before the restart: the history is gone.
            code, event = second.request(
                "GET", "/api/v1/namespaces/keep/configmaps?watch=true&resourceVersion=1&timeoutSeconds=1"
            )
            assert code == 200
            assert event["type"] == "ERROR"
            assert event["object"]["code"] == 410
            assert event["object"]["reason"] == "Expired"
            await apps.patch_namespaced_deployment("web", "keep", {"spec": {"replicas": 3}})
            await eventually(
                lambda: apps.read_namespaced_deployment("web", "keep"),
                lambda d: d.status.ready_replicas == 3,
                what="controllers still work",
            )
    finally:
        assert second.stop() == 0


async def test_kubeconfig_points_at_the_server(tmp_path: Path) -> None:
    process = KubesimProcess(timings="fast", workdir=tmp_path / "k")
    with process:
        text = process.kubeconfig.read_text()
        assert "current-context: kubesim" in text
        assert process.kubeconfig.stat().st_mode & 0o777 == 0o600
        code, version = process.request("GET", "/version")
        assert code == 200
        assert version["gitVersion"].startswith("v1.32")
        assert process.process is not None
        pid_process = process.process
    assert pid_process.returncode == 0
