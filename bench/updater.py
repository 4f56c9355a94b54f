"""Auto-updates at fleet size: 1,000 autoUpdates over 50 repositories, all due in the same tick.

Records and two updater replicas run as processes on embedded NATS/PostgreSQL, against Debian's
``docker-registry``. Each repository gets a new tag, then every autoUpdate is made due at the same
moment; the figures are how many tag listings the registry served for that tick (the goal: at most one
per repository), how the checks spread over the replicas, and how long until every deployment runs a
new rollout.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import nats

from bench.reporting import save, table
from oneclick_core.bus.rpc import RpcClient
from oneclick_core.contracts.auth import Actor
from oneclick_core.contracts.records import CREATE, CreateRequest
from oneclick_core.ids import new_record_id
from oneclick_testing.infrastructure import create_database, running_nats, running_postgres, scratch_dir
from oneclick_testing.services import ServiceGroup
from tests.updater.helpers import manifest
from tests.updater.registry import REGISTRY_BINARY, Registry

REPO = Path(__file__).resolve().parents[1]
AUTO_UPDATES = 1000
REPOSITORIES = 50
REPLICAS = 2
UPDATER = {"CRON_TICK": "* * * * * *", "ONECLICK_UPDATER_CHECK_CONCURRENCY": "8"}


async def _wait(what: str, check: Any, timeout: float = 600) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def _fleet(rpc: RpcClient, registry: Registry) -> list[str]:
    """One project, then per autoUpdate a deployment running ``repoN:1.0.0`` and the autoUpdate itself."""
    actor = Actor(id=new_record_id(), collection="users")

    async def create(collection: str, **data: Any) -> dict[str, Any]:
        result = await rpc.call(CREATE, CreateRequest(collection=collection, actor=actor, data=data), timeout=30)
        return result.record

    project = await create("projects", name="fleet")
    slots = asyncio.Semaphore(16)

    async def one(index: int) -> str:
        async with slots:
            deployment = await create("deployments", name=f"app-{index}", project=project["id"])
            await create("rollouts", project=project["id"], deployment=deployment["id"],
                         manifest=manifest(registry.host, f"fleet/repo{index % REPOSITORIES}", "1.0.0"))
            auto = await create("autoUpdates", project=project["id"], deployment=deployment["id"], interval="1h",
                                policy="semver")
            return str(auto["id"])

    return list(await asyncio.gather(*(one(i) for i in range(AUTO_UPDATES))))


async def _run(work: Path) -> dict[str, Any]:
    with running_nats() as nats_server, running_postgres() as postgres:
        database = await create_database(postgres.url)
        (work / "registry").mkdir()
        registry = await Registry(work / "registry").start()
        group = ServiceGroup({"ONECLICK_NATS_URL": nats_server.url, "ONECLICK_DATABASE_URL": database.url,
                              "ONECLICK_LOG_LEVEL": "info"}, work)
        nc = await nats.connect(nats_server.url)
        db = await asyncpg.connect(database.url)
        try:
            await group.start("records")
            for n in range(REPLICAS):
                await group.start("updater", env={**UPDATER, "ONECLICK_INSTANCE_ID": f"updater-{n + 1}"})
            for n in range(REPOSITORIES):
                await registry.push(f"fleet/repo{n}", "1.0.0")
            created = time.monotonic()
            ids = await _fleet(RpcClient(nc, "bench", timeout=30), registry)
            creating = time.monotonic() - created

            async def all_checked_once() -> bool:
                return await db.fetchval("SELECT count(DISTINCT auto_update) FROM updater.checks") >= AUTO_UPDATES

            await _wait("first checks", all_checked_once)
            for n in range(REPOSITORIES):
                await registry.push(f"fleet/repo{n}", "1.1.0")
            listed_before = registry.listings()
            due = await db.fetchval("UPDATE updater.auto_updates SET next_run = now() WHERE id = ANY ($1) "
                                    "RETURNING now()", ids)

            async def all_checked_in_the_tick() -> bool:
                return await db.fetchval("SELECT count(*) FROM updater.checks WHERE due_at >= $1", due) >= AUTO_UPDATES

            async def all_replaced() -> bool:
                return await db.fetchval(
                    "SELECT count(*) FROM records.rollouts WHERE end_date IS NULL "
                    "AND manifest->'spec'->'image'->>'tag' = '1.1.0'") >= AUTO_UPDATES

            checking = await _wait("the tick's checks", all_checked_in_the_tick)
            replacing = await _wait("the new rollouts", all_replaced) + checking
            rows = await db.fetch("SELECT replica, fetched, outcome FROM updater.checks WHERE due_at >= $1", due)
            listings = registry.listings() - listed_before
        finally:
            await db.close()
            await nc.close()
            group.stop_all()
            registry.stop()
    replicas = Counter(row["replica"] for row in rows)
    return {"auto_updates": AUTO_UPDATES, "repositories": REPOSITORIES, "replicas": REPLICAS,
            "checks_in_tick": len(rows), "tag_listings_served": listings,
            "listings_fetched_by_checks": sum(1 for row in rows if row["fetched"]),
            "checks_per_replica": dict(sorted(replicas.items())),
            "outcomes": dict(Counter(row["outcome"] for row in rows)),
            "seconds_creating_records": round(creating, 1), "seconds_until_all_checked": round(checking, 2),
            "seconds_until_all_rollouts_replaced": round(replacing, 2)}


def main() -> None:
    if REGISTRY_BINARY is None:
        print("skipped: docker-registry is not installed (apt-get install -y docker-registry)")
        return
    work = scratch_dir("oneclick-bench-updater-")
    try:
        figures = asyncio.run(_run(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(table(["figure", "value"], [[key, value] for key, value in figures.items()]))
    verdict = "ok" if figures["tag_listings_served"] <= REPOSITORIES else "TOO MANY"
    print(f"\ntag listings in one tick: {figures['tag_listings_served']} for {REPOSITORIES} repositories ({verdict})")
    path = save("updater", figures)
    print(f"wrote {path.relative_to(REPO)}")
