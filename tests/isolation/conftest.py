"""The whole platform (kubesim, NATS, PostgreSQL, every service as a process) and a world of records owned by
one user, for the tenant isolation matrix.

The module gets a NATS of its own: the executor's durable consumer would otherwise start with every rollout
event other test modules left in the session's stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database, running_nats
from oneclick_testing.platform import Platform, start_platform
from oneclick_testing.services import ServiceGroup

from .world import World, build_world

# Every service the edge calls, so that no route answers 503 for lack of one.
SERVICES = ["auth", "records", "k8s-executor", "streaming", "updater"]
# Checks reach a registry that refuses at once (see world.MANIFEST): one attempt, no backoff to wait out.
UPDATER_ENV = {"ONECLICK_UPDATER_REGISTRY_ATTEMPTS": "1", "ONECLICK_UPDATER_REGISTRY_TIMEOUT": "2"}


@pytest.fixture(scope="module")
def nats_url() -> Iterator[str]:
    with running_nats() as server:
        yield server.url


@pytest.fixture(scope="module")
def kubesim() -> Iterator[KubesimProcess]:
    with KubesimProcess(timings="fast") as process:
        yield process


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path,
                   kubesim: KubesimProcess) -> AsyncIterator[Platform]:
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url,
                          "KUBECONFIG": str(kubesim.kubeconfig)}, module_log_dir)
    try:
        started = await start_platform(group, module_database, SERVICES, env={"updater": UPDATER_ENV})
        yield started
        await started.close()
    finally:
        group.stop_all()


@pytest.fixture(scope="module")
async def cluster(kubesim: KubesimProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=kubesim.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def world(platform: Platform, cluster: httpx.AsyncClient) -> AsyncIterator[World]:
    built = await build_world(platform, cluster)
    yield built
    await built.close()
