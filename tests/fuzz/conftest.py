"""Every service as a process behind the edge (so no route answers 503 for lack of one), and a user whose
requests the fuzzers send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, start_platform
from oneclick_testing.services import ServiceGroup

SERVICES = ["auth", "records", "k8s-executor", "streaming", "updater"]


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path,
                   kubesim_cluster: KubesimProcess) -> AsyncIterator[Platform]:
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": module_database.url,
                          "KUBECONFIG": str(kubesim_cluster.kubeconfig)}, module_log_dir)
    try:
        started = await start_platform(group, module_database, SERVICES)
        yield started
        await started.close()
    finally:
        group.stop_all()


@pytest.fixture(scope="module")
async def user(platform: Platform) -> User:
    return await platform.new_user("fuzzer")
