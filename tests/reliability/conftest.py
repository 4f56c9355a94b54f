"""Fault injection on the whole platform: NATS, PostgreSQL and kubesim of the module's own (they are stopped
and restarted on the same port and state), auth + records + k8s-executor + edge as processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from kubesim.testing import KubesimProcess
from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_testing.infrastructure import Database, running_nats, running_postgres
from oneclick_testing.platform import Platform, running_platform

# Short enough that a killed executor's project locks and unacknowledged events come back within seconds.
EXECUTOR_ENV = {"ONECLICK_EXECUTOR_LOCK_TTL": "2", "ONECLICK_EXECUTOR_ACK_WAIT": "3",
                "ONECLICK_EXECUTOR_RETRY_BACKOFF": "[0.2, 0.5, 1]"}
SERVICES = ["auth", "records", "k8s-executor"]


# The session's servers are shared with every other test; these are the module's, to stop and restart.
@pytest.fixture(scope="module")
def nats_server() -> Iterator[EmbeddedNats]:
    with running_nats() as server:
        yield server


@pytest.fixture(scope="module")
def nats_url(nats_server: EmbeddedNats) -> str:
    return nats_server.url


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[EmbeddedPostgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path,
                   module_kubesim: KubesimProcess) -> AsyncIterator[Platform]:
    async with running_platform(nats_url=nats_url, database=module_database, log_dir=module_log_dir,
                                kubeconfig=module_kubesim.kubeconfig, names=SERVICES,
                                env={"k8s-executor": EXECUTOR_ENV}) as started:
        yield started


@pytest.fixture(scope="module")
async def cluster(module_kubesim: KubesimProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=module_kubesim.url, timeout=30) as client:
        yield client


@pytest.fixture
async def bus(nats_url: str) -> AsyncIterator[NATS]:
    """A connection of the test's own that rides out NATS restarts."""
    client = await nats.connect(nats_url, name="reliability-tests", max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    yield client
    await client.close()
