"""kubesim + auth + records + streaming + edge as processes, one set per test module; each test has its users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, running_platform

from .live import Cluster

# Short leases and heartbeats, so a test sees a takeover within seconds.
STREAMING_ENV = {
    "ONECLICK_STREAMING_HEARTBEAT": "0.5",
    "ONECLICK_STREAMING_REPLICA_TTL": "2",
    "ONECLICK_STREAMING_LEASE_TTL": "2",
    "ONECLICK_STREAMING_LINGER": "2",
}
EDGE_ENV = {"ONECLICK_LIVE_STALE_AFTER": "2", "ONECLICK_LIVE_LINGER": "1", "ONECLICK_LIVE_REAUTHENTICATE": "0.5"}


@pytest.fixture(scope="module")
def kubesim(module_kubesim: KubesimProcess) -> KubesimProcess:
    return module_kubesim


@pytest.fixture(scope="module")
async def cluster(kubesim: KubesimProcess) -> AsyncIterator[Cluster]:
    cluster = Cluster(kubesim)
    yield cluster
    await cluster.close()


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=kubesim.kubeconfig,
        names=["auth", "records", "streaming"],
        env={"streaming": STREAMING_ENV, "edge": EDGE_ENV},
    ) as started:
        yield started
