"""Scheduled updates end to end: registry → updater → records → k8s-executor → kubesim.

Real registries (anonymous, htpasswd, bearer token), every service a process, the scheduler ticking every
second. A new matching tag becomes exactly one new rollout, and the cluster's Deployment runs the new image.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest

from kubesim.testing import KubesimProcess
from oneclick_core.contracts.updater import TAG_FOUND
from oneclick_testing.events import stored_messages
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, running_platform
from oneclick_testing.records import rollouts_of
from oneclick_testing.waiting import eventually

from .conftest import USERS
from .helpers import (
    FAST_UPDATER,
    LOCAL_REGISTRIES,
    UpdaterTables,
    auto_update,
    manifest,
    project,
    running,
    running_deployment,
    tag_of,
)
from .registry import Registry

pytestmark = pytest.mark.e2e

USER, PASSWORD = next(iter(USERS.items()))


@pytest.fixture(scope="module")
def kubesim() -> Iterator[KubesimProcess]:
    with KubesimProcess(timings="fast") as process:
        yield process


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        names=["auth", "records", "k8s-executor", "updater"],
        env={"k8s-executor": {"KUBECONFIG": str(kubesim.kubeconfig)}, "updater": {**FAST_UPDATER, **LOCAL_REGISTRIES}},
    ) as started:
        yield started


async def cluster_image(kubesim: KubesimProcess, deployment: dict[str, Any]) -> str | None:
    status, body = await asyncio.to_thread(
        kubesim.request, "GET", f"/apis/apps/v1/namespaces/{deployment['project']}/deployments/{deployment['id']}"
    )
    if status != 200:
        return None
    return str(body["spec"]["template"]["spec"]["containers"][0]["image"])


async def running_tag(user: User, deployment: dict[str, Any]) -> list[str]:
    return [tag_of(r) for r in running(await rollouts_of(user, deployment))]


async def checks_after(tables: UpdaterTables, auto: dict[str, Any], outcome: str, count: int) -> None:
    """Until the autoUpdate has had ``count`` more checks with ``outcome``: time for duplicates to show."""
    seen = len([c for c in await tables.checks(auto["id"]) if c["outcome"] == outcome])

    async def enough() -> bool:
        return len([c for c in await tables.checks(auto["id"]) if c["outcome"] == outcome]) >= seen + count

    await eventually(enough, message=f"{count} more '{outcome}' checks")


async def test_a_new_matching_tag_becomes_exactly_one_rollout_and_the_cluster_follows(
    platform: Platform, registry: Registry, kubesim: KubesimProcess, tables: UpdaterTables
) -> None:
    await registry.push("shop/web", "0.9.0", "1.2.0", "1.2.3", "1.3.0-rc1", "1.10.1", "2.0.0", "v1.11.0", "latest")
    alice = await platform.new_user("alice")
    deployment, first = await running_deployment(
        alice, await project(alice), manifest(registry.host, "shop/web", "1.2.0")
    )

    async def cluster_runs(tag: str) -> bool:
        return await cluster_image(kubesim, deployment) == f"{registry.host}/shop/web:{tag}"

    await eventually(lambda: cluster_runs("1.2.0"), message="the executor applying the first rollout")

    auto = await auto_update(alice, deployment, interval="1s", pattern=r"^1\.", policy="semver:^1.2")
    await eventually(lambda: cluster_runs("1.10.1"), message="the cluster running 1.10.1")
    assert await running_tag(alice, deployment) == ["1.10.1"]

    await checks_after(tables, auto, "unchanged", 3)
    rollouts = await rollouts_of(alice, deployment)
    assert [tag_of(r) for r in rollouts] == ["1.2.0", "1.10.1"]  # exactly one new rollout
    assert rollouts[0]["id"] == first["id"]
    assert rollouts[0]["endDate"]

    # The next matching tag appears in the registry: within a tick or so, one more rollout.
    await registry.push("shop/web", "1.12.0", "3.0.0")
    await eventually(lambda: cluster_runs("1.12.0"), message="the cluster running 1.12.0")
    await checks_after(tables, auto, "unchanged", 3)
    assert [tag_of(r) for r in await rollouts_of(alice, deployment)] == ["1.2.0", "1.10.1", "1.12.0"]
    outcomes = {c["outcome"] for c in await tables.checks(auto["id"])}
    assert outcomes <= {"tag_found", "already_requested", "unchanged"}


async def test_an_unchanged_tag_changes_nothing(platform: Platform, registry: Registry, tables: UpdaterTables) -> None:
    await registry.push("shop/stable", "1.0.0", "2.0.0")
    alice = await platform.new_user("alice")
    deployment, _ = await running_deployment(
        alice, await project(alice), manifest(registry.host, "shop/stable", "2.0.0")
    )
    auto = await auto_update(alice, deployment, interval="1s", policy="semver")
    await checks_after(tables, auto, "unchanged", 3)
    assert len(await rollouts_of(alice, deployment)) == 1
    assert {c["outcome"] for c in await tables.checks(auto["id"])} == {"unchanged"}


async def tag_found_events(nats_url: str) -> list[dict[str, Any]]:
    # As published, undecoded: no field of the event may carry the registry's password.
    nc = await nats.connect(nats_url)
    try:
        return [json.loads(msg.data) for msg in await stored_messages(nc, TAG_FOUND.subject)]
    finally:
        await nc.close()


async def test_private_registries_with_the_manifests_credentials(
    platform: Platform,
    private_registry: Registry,
    kubesim: KubesimProcess,
    tables: UpdaterTables,
    nats_url: str,
    module_log_dir: Path,
) -> None:
    private = private_registry
    await private.push("team/api", "0.9.0", "1.2.0", "1.2.3", "1.3.0-rc1", "1.10.1", "2.0.0")
    alice = await platform.new_user("alice")
    deployment, _ = await running_deployment(
        alice, await project(alice), manifest(private.host, "team/api", "1.2.0", USER, PASSWORD)
    )
    auto = await auto_update(alice, deployment, interval="1s", pattern=r"^1\.", policy="semver:^1.2")

    async def updated() -> bool:
        return await cluster_image(kubesim, deployment) == f"{private.host}/team/api:1.10.1"

    await eventually(updated, message="the cluster running 1.10.1 from the private registry")
    await checks_after(tables, auto, "unchanged", 2)
    assert [tag_of(r) for r in await rollouts_of(alice, deployment)] == ["1.2.0", "1.10.1"]

    # The new rollout kept the credentials: the executor made the pull secret from them.
    status, secret = await asyncio.to_thread(
        kubesim.request, "GET", f"/api/v1/namespaces/{deployment['project']}/secrets/{deployment['id']}-imagepullsecret"
    )
    assert status == 200
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    assert config["auths"][private.host]["password"] == PASSWORD

    # ...which never travel in events or reach the updater's log.
    events = [e for e in await tag_found_events(nats_url) if e["data"]["autoUpdate"] == auto["id"]]
    assert len(events) == 1
    assert (events[0]["data"]["previousTag"], events[0]["data"]["tag"]) == ("1.2.0", "1.10.1")
    assert PASSWORD not in json.dumps(events)
    assert PASSWORD not in (module_log_dir / "updater.log").read_text()
