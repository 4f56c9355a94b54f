"""Auto-updates at fleet size: 1,000 autoUpdates over 50 repositories, all due in the same tick.

Records and two updater replicas run as processes on embedded NATS/PostgreSQL (``bench.stack``), against
Debian's ``docker-registry``. Each repository gets a new tag, then every autoUpdate is made due at the
same moment; the figures are how many tag listings the registry served for that tick (the goal: at most
one per repository), how the checks spread over the replicas, and how long until every deployment runs a
new rollout. ``--quick`` runs 100 autoUpdates over 5 repositories.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import asyncpg
import nats

from bench.reporting import ratio, report, sized, table
from bench.stack import stack
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import CREATE, CreateRequest
from oneclick_core.ids import new_record_id
from oneclick_testing.waiting import eventually
from tests.updater.helpers import LOCAL_REGISTRIES, manifest
from tests.updater.registry import REGISTRY_BINARY, Registry

REPLICAS = 2
# The benchmark's registry listens on loopback, which the registry address policy refuses unless allowed.
UPDATER = {"CRON_TICK": "* * * * * *", "ONECLICK_UPDATER_CHECK_CONCURRENCY": "8", **LOCAL_REGISTRIES}
# Deployments per project: a project's default quota holds this many of the fleet's.
DEPLOYMENTS_PER_PROJECT = 10
WAIT = 600  # seconds: only bounds a hang


async def _fleet(rpc: RpcClient, registry: Registry, auto_updates: int, repositories: int) -> list[str]:
    """Projects of ten deployments, each running ``repoN:1.0.0`` with an autoUpdate of its own."""
    actor = Actor(id=new_record_id(), collection="users")

    async def create(collection: str, **data: Any) -> dict[str, Any]:
        result = await rpc.call(CREATE, CreateRequest(collection=collection, actor=actor, data=data), timeout=30)
        return result.record

    projects = [await create("projects", name=f"fleet-{n}") for n in range(-(-auto_updates // DEPLOYMENTS_PER_PROJECT))]
    slots = asyncio.Semaphore(16)

    async def one(index: int) -> str:
        project = projects[index // DEPLOYMENTS_PER_PROJECT]
        async with slots:
            deployment = await create("deployments", name=f"app-{index}", project=project["id"])
            await create(
                "rollouts",
                project=project["id"],
                deployment=deployment["id"],
                manifest=manifest(registry.host, f"fleet/repo{index % repositories}", "1.0.0"),
            )
            auto = await create(
                "autoUpdates", project=project["id"], deployment=deployment["id"], interval="1h", policy="semver"
            )
            return str(auto["id"])

    return list(await asyncio.gather(*(one(i) for i in range(auto_updates))))


async def _run(auto_updates: int, repositories: int) -> dict[str, Any]:
    async with stack("updater") as parts:
        (parts.work / "registry").mkdir()
        registry = await Registry(parts.work / "registry").start()
        nc = await nats.connect(parts.nats_url)
        db = await asyncpg.connect(parts.database.url)
        try:
            await parts.group.start("records")
            for n in range(REPLICAS):
                await parts.group.start("updater", env={**UPDATER, "ONECLICK_INSTANCE_ID": f"updater-{n + 1}"})
            for n in range(repositories):
                await registry.push(f"fleet/repo{n}", "1.0.0")
            created = time.monotonic()
            ids = await _fleet(RpcClient(nc, "bench", timeout=30), registry, auto_updates, repositories)
            creating = time.monotonic() - created

            async def all_checked_once() -> bool:
                return await db.fetchval("SELECT count(DISTINCT auto_update) FROM updater.checks") >= auto_updates

            await eventually(all_checked_once, timeout=WAIT, interval=0.1, message="first checks")
            for n in range(repositories):
                await registry.push(f"fleet/repo{n}", "1.1.0")
            listed_before = registry.listings()
            due = await db.fetchval(
                "UPDATE updater.auto_updates SET next_run = now() WHERE id = ANY ($1) RETURNING now()", ids
            )

            async def all_checked_in_the_tick() -> bool:
                return await db.fetchval("SELECT count(*) FROM updater.checks WHERE due_at >= $1", due) >= auto_updates

            async def all_replaced() -> bool:
                return (
                    await db.fetchval(
                        "SELECT count(*) FROM records.rollouts WHERE end_date IS NULL "
                        "AND manifest->'spec'->'image'->>'tag' = '1.1.0'"
                    )
                    >= auto_updates
                )

            waiting = time.monotonic()
            await eventually(all_checked_in_the_tick, timeout=WAIT, interval=0.1, message="the tick's checks")
            checking = time.monotonic() - waiting
            await eventually(all_replaced, timeout=WAIT, interval=0.1, message="the new rollouts")
            replacing = time.monotonic() - waiting
            rows = await db.fetch("SELECT replica, fetched, outcome FROM updater.checks WHERE due_at >= $1", due)
            listings = registry.listings() - listed_before
        finally:
            await db.close()
            await nc.close()
            registry.stop()
    replicas = Counter(row["replica"] for row in rows)
    return {
        "auto_updates": auto_updates,
        "repositories": repositories,
        "replicas": REPLICAS,
        "checks_in_tick": len(rows),
        "tag_listings_served": listings,
        # The original listed a repository's tags for every autoUpdate it checked.
        "original_design_tag_listings": auto_updates,
        "listings_fetched_by_checks": sum(1 for row in rows if row["fetched"]),
        "checks_per_replica": dict(sorted(replicas.items())),
        "outcomes": dict(Counter(row["outcome"] for row in rows)),
        "seconds_creating_records": round(creating, 1),
        "seconds_until_all_checked": round(checking, 2),
        "seconds_until_all_rollouts_replaced": round(replacing, 2),
    }


def main() -> None:
    if REGISTRY_BINARY is None:
        print("skipped: docker-registry is not installed (apt-get install -y docker-registry)")
        return
    repositories = sized(50, 5)
    figures = asyncio.run(_run(sized(1000, 100), repositories))
    print(table(["figure", "value"], [[key, value] for key, value in figures.items()]))
    verdict = "ok" if figures["tag_listings_served"] <= repositories else "TOO MANY"
    print()
    print(
        table(
            ["tag listings in one tick", "ours", "original design (one per autoUpdate)", "ours / original"],
            [
                [
                    f"{figures['auto_updates']} autoUpdates over {repositories} repositories",
                    f"{figures['tag_listings_served']} ({verdict})",
                    figures["original_design_tag_listings"],
                    ratio(figures["tag_listings_served"], figures["original_design_tag_listings"]),
                ]
            ],
        )
    )
    report("updater", figures)
