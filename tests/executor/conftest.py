"""One kubesim + NATS + auth/records/k8s-executor/edge platform per test module, reached over HTTP.

Each module gets a NATS server of its own: the executor's durable consumer would otherwise start with every
rollout event other test modules left in the session's stream (harmless, level-triggered, but slow).
Tests drive everything through the edge as users and look at the cluster with kubernetes-asyncio.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from kubernetes_asyncio import client, config
from nats.js.api import DeliverPolicy

from kubesim.testing import KubesimProcess
from oneclick_core.bus.streams import EVENTS_STREAM, ensure_streams
from oneclick_core.contracts.executor import ROLLOUT_APPLIED, ROLLOUT_FAILED
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, running_platform

from .helpers import EventLog

# Short enough that a killed executor's lock and unacknowledged events come back within a test.
FAST_RECOVERY = {
    "ONECLICK_EXECUTOR_LOCK_TTL": "2",
    "ONECLICK_EXECUTOR_ACK_WAIT": "3",
    "ONECLICK_EXECUTOR_RETRY_BACKOFF": "[0.2, 0.5, 1]",
}


@pytest.fixture(scope="module")
def nats_url(module_nats_url: str) -> str:
    return module_nats_url


@pytest.fixture(scope="module")
def kubesim() -> Iterator[KubesimProcess]:
    process = KubesimProcess(timings="fast")
    # With a snapshot file a test can stop the API server and start it again with the cluster as it was.
    process.state_file = process.workdir / "state.json"
    with process:
        yield process


@pytest.fixture(scope="module")
def executor_env() -> dict[str, str]:
    """Extra settings of the module's executors; a module overrides this fixture (operator mode)."""
    return {}


@pytest.fixture(scope="module")
async def platform(
    nats_url: str,
    module_database: Database,
    module_log_dir: Path,
    kubesim: KubesimProcess,
    executor_env: dict[str, str],
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=kubesim.kubeconfig,
        names=["auth", "records", "k8s-executor"],
        env={"k8s-executor": {**FAST_RECOVERY, **executor_env}},
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def kube(kubesim: KubesimProcess) -> AsyncIterator[client.ApiClient]:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(kubesim.kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration=configuration) as api:
        yield api


@pytest.fixture(scope="module")
async def events(nats_url: str) -> AsyncIterator[EventLog]:
    """Every rollout.applied / rollout.failed event stored in the stream while the module runs (read back from
    JetStream, so repeats it de-duplicated by Nats-Msg-Id are not counted)."""
    nc = await nats.connect(nats_url, name="executor-tests")
    js = nc.jetstream()
    await ensure_streams(js)
    log = EventLog()
    for spec in (ROLLOUT_APPLIED, ROLLOUT_FAILED):
        await js.subscribe(
            spec.subject, stream=EVENTS_STREAM, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL, cb=log.receive
        )
    yield log
    await nc.close()
