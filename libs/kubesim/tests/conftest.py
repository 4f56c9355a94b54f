"""One kubesim process (fast timings) for the whole session, reached over HTTP by real clients."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from kubernetes_asyncio import client, config

from kubesim.testing import Kubectl, KubesimProcess

WATCH_HISTORY = 300


@pytest.fixture(scope="session")
def kubesim() -> Iterator[KubesimProcess]:
    with KubesimProcess(timings="fast", watch_history=WATCH_HISTORY, seed=7) as process:
        yield process


@pytest.fixture(scope="session")
async def api(kubesim: KubesimProcess) -> AsyncIterator[client.ApiClient]:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubesim.kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration=configuration) as api_client:
        yield api_client


@pytest.fixture
async def namespace(api: client.ApiClient) -> AsyncIterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    core = client.CoreV1Api(api)
    await core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        await core.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@pytest.fixture(scope="session")
def kubectl(kubesim: KubesimProcess, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed on this machine")
    return Kubectl(kubesim.kubeconfig, tmp_path_factory.mktemp("kubectl-home"))
