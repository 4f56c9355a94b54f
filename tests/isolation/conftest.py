"""The whole platform (kubesim, NATS, PostgreSQL, every service as a process) and a world of records owned by
one user, for the tenant isolation matrix.

The module gets a NATS of its own: the executor's durable consumer would otherwise start with every rollout
event other test modules left in the session's stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import ALL_SERVICES, OFFLINE_UPDATER_ENV, Platform, running_platform

from .world import World, build_world


@pytest.fixture(scope="module")
async def platform(
    module_nats_url: str, module_database: Database, module_log_dir: Path, module_kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=module_nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=module_kubesim.kubeconfig,
        names=ALL_SERVICES,
        # Checks reach a registry that refuses at once (see world.REFUSING_REGISTRY).
        env={"updater": OFFLINE_UPDATER_ENV},
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def world(platform: Platform, module_kubesim_client: httpx.AsyncClient) -> AsyncIterator[World]:
    built = await build_world(platform, module_kubesim_client)
    yield built
    await built.close()
