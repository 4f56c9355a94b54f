"""Fault injection on the whole platform: NATS, PostgreSQL and kubesim of the module's own (they are stopped
and restarted on the same port and state), auth + records + k8s-executor + edge as processes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database

# The session's servers are shared with every other test; these are the package's own, to stop and restart.
# Imported fixtures are found by pytest by name; ruff sees the parameters that take them as redefinitions.
# ruff: noqa: F811
from oneclick_testing.own_infrastructure import nats_server, nats_url, postgres_server  # noqa: F401
from oneclick_testing.platform import Platform, running_platform

# Short enough that a killed executor's project locks and unacknowledged events come back within seconds.
EXECUTOR_ENV = {
    "ONECLICK_EXECUTOR_LOCK_TTL": "2",
    "ONECLICK_EXECUTOR_ACK_WAIT": "3",
    "ONECLICK_EXECUTOR_RETRY_BACKOFF": "[0.2, 0.5, 1]",
}
SERVICES = ["auth", "records", "k8s-executor"]


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, module_kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=module_kubesim.kubeconfig,
        names=SERVICES,
        env={"k8s-executor": EXECUTOR_ENV},
    ) as started:
        yield started


@pytest.fixture(scope="module")
def cluster(module_kubesim_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return module_kubesim_client


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[NATS]:
    """A connection of the test's own that rides out NATS restarts."""
    client = await nats.connect(nats_url, name="reliability-tests", max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client
    await client.close()
