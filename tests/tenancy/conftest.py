"""The whole platform (kubesim, NATS, PostgreSQL, every service as a process) with a small tenancy policy, and
two tenants: Alice, whose deployment runs and must stay OK, and Mallory, who tries everything through the
public API.

The module gets a NATS and a kubesim of its own (the executor's consumer would otherwise replay other modules'
rollouts). The policy is smaller than the defaults so that quotas are reached with a handful of pods.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import nats
import pytest
from nats.aio.client import Client as NATS

from kubesim.testing import KubesimProcess
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import ALL_SERVICES, OFFLINE_UPDATER_ENV, Platform, running_platform

from .tenants import POLICY_ENV, Tenants, build_tenants

# What a module needs besides the edge unless it says otherwise (``SERVICES``): the cluster side of a rollout.
CLUSTER_SERVICES = ("auth", "records", "k8s-executor")


@pytest.fixture(scope="module")
async def platform(
    request: pytest.FixtureRequest,
    module_nats_url: str,
    module_database: Database,
    module_log_dir: Path,
    module_kubesim: KubesimProcess,
) -> AsyncIterator[Platform]:
    names = getattr(request.module, "SERVICES", CLUSTER_SERVICES)
    assert set(names) <= set(ALL_SERVICES)
    async with running_platform(
        nats_url=module_nats_url,
        database=module_database,
        log_dir=module_log_dir,
        kubeconfig=module_kubesim.kubeconfig,
        names=names,
        env={
            "records": POLICY_ENV,
            "updater": OFFLINE_UPDATER_ENV,
            # A resync every few seconds: namespaces made before the policy get their guardrails back.
            "k8s-executor": {"ONECLICK_EXECUTOR_RESYNC_INTERVAL": "3"},
        },
    ) as started:
        yield started


@pytest.fixture(scope="module")
async def tenants(platform: Platform, module_kubesim_client: httpx.AsyncClient) -> Tenants:
    return await build_tenants(platform, module_kubesim_client)


@pytest.fixture(scope="module")
async def bus(module_nats_url: str) -> AsyncIterator[NATS]:
    """A connection to the module's NATS, to read back the events the platform stored."""
    nc = await nats.connect(module_nats_url, name="tenancy-tests")
    yield nc
    await nc.close()
