"""Two updater replicas: one scheduler leads, checks spread over both, listings are shared per tick, and a
leader killed while it works loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from nats.aio.msg import Msg

from oneclick_core.bus.leases import LOCKS_BUCKET
from oneclick_core.contracts.envelope import Envelope
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, running_platform
from oneclick_testing.records import rollouts_of
from oneclick_testing.services import ServiceProcess
from oneclick_testing.waiting import eventually
from oneclick_updater.scheduling import LEASE_NAME
from oneclick_updater.work import CHECK_SUBJECT, CheckJob

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
from .registry import HoldingFront, Registry

pytestmark = pytest.mark.reliability

REPLICAS = ("updater-a", "updater-b")


@pytest.fixture(scope="module")
async def platform(nats_url: str, module_database: Database, module_log_dir: Path) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url, database=module_database, log_dir=module_log_dir, names=["auth", "records"]
    ) as started:
        # Small dispatch batches: one tick's due checks are queued in several transactions.
        # A registry timeout longer than any hold of the HoldingFront (a held listing is a check in
        # progress, not a failed one), and room for the other repositories' checks while those of a
        # held one wait.
        await asyncio.gather(
            *(
                started.services.start(
                    "updater",
                    label=replica,
                    env={
                        **FAST_UPDATER,
                        **LOCAL_REGISTRIES,
                        "ONECLICK_INSTANCE_ID": replica,
                        "ONECLICK_UPDATER_DISPATCH_BATCH": "5",
                        "ONECLICK_UPDATER_REGISTRY_TIMEOUT": "60",
                        "ONECLICK_UPDATER_CHECK_CONCURRENCY": "16",
                    },
                )
                for replica in REPLICAS
            )
        )
        yield started


def replica(platform: Platform, label: str) -> ServiceProcess:
    return next(p for p in platform.services.processes if p.label == label)


async def leader(nats_url: str) -> str | None:
    nc = await nats.connect(nats_url)
    try:
        entry = await (await nc.jetstream().key_value(LOCKS_BUCKET)).get(LEASE_NAME)
        holder = orjson.loads(entry.value or b"{}").get("holder")
        return holder if isinstance(holder, str) else None
    except Exception:
        return None
    finally:
        await nc.close()


async def fleet(
    user: User, registry: Registry | HoldingFront, repositories: list[str], per_repository: int, interval: str
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Deployments running ``<repo>:1.0.0``, ``per_repository`` on each repository, each with an autoUpdate; a
    project per repository, so that no project outgrows the default tenancy quota."""
    made = []
    for repository in repositories:
        owned = await project(user, f"fleet-{repository.rsplit('/', 1)[-1]}")
        for index in range(per_repository):
            deployment, _ = await running_deployment(
                user,
                owned,
                manifest(registry.host, repository, "1.0.0"),
                name=f"{repository.rsplit('/', 1)[-1]}-{index}",
            )
            made.append((deployment, await auto_update(user, deployment, interval=interval, policy="semver")))
    return made


async def test_one_listing_per_repository_per_tick_shared_across_replicas(
    platform: Platform, registry: Registry, tables: UpdaterTables
) -> None:
    repositories = [f"shared/repo{n}" for n in range(3)]
    for repository in repositories:
        await registry.push(repository, "1.0.0")
    alice = await platform.new_user("alice")
    made = await fleet(alice, registry, repositories, per_repository=12, interval="1h")
    ids = [auto["id"] for _, auto in made]

    async def all_checked_once() -> bool:
        checks = await tables.checks()
        return {c["auto_update"] for c in checks} >= set(ids)

    await eventually(all_checked_once, message="every autoUpdate's first check")
    listed_before = registry.listings()

    due = await tables.make_due_now(ids)  # 36 autoUpdates due in the same tick

    async def all_checked_again() -> bool:
        checks = [c for c in await tables.checks() if c["due_at"] >= due]
        return {c["auto_update"] for c in checks} >= set(ids)

    await eventually(all_checked_again, message="the tick that has all 36 due")
    round_checks = [c for c in await tables.checks() if c["due_at"] >= due]
    assert len(round_checks) == len(ids)  # each checked once
    assert registry.listings() - listed_before == len(repositories)  # one listing per repository
    assert sum(1 for c in round_checks if c["fetched"]) == len(repositories)
    assert {c["outcome"] for c in round_checks} == {"unchanged"}
    assert {c["replica"] for c in round_checks} == set(REPLICAS)  # the checks ran on both replicas


class Dispatched:
    """Every check the schedulers queue, as (autoUpdate, due time), read off the work subject as it is
    published (a plain subscriber sees what the work-queue stream stores)."""

    def __init__(self) -> None:
        self.due: set[tuple[str, datetime]] = set()

    async def receive(self, msg: Msg) -> None:
        job = CheckJob.model_validate(Envelope.model_validate_json(msg.data).data)
        self.due.add((job.autoUpdate, job.dueAt))

    def of(self, ids: set[str]) -> set[tuple[str, datetime]]:
        return {(auto_id, due) for auto_id, due in self.due if auto_id in ids}


async def test_a_leader_killed_while_working_loses_and_duplicates_nothing(
    platform: Platform, registry: Registry, tables: UpdaterTables, nats_url: str, module_database: Database
) -> None:
    repositories = ["kill/a", "kill/b", "kill/c"]
    held = "kill/c"
    for repository in repositories:
        await registry.push(repository, "1.0.0")
    # The deployments pull through a front that can hold one repository's tag listings: checks of that
    # repository stay in progress until the test lets them go.
    front = HoldingFront(registry, max_hold=45).start()
    dispatched = Dispatched()
    nc = await nats.connect(nats_url, name="dispatched-checks")
    try:
        await nc.subscribe(CHECK_SUBJECT, cb=dispatched.receive)
        alice = await platform.new_user("alice")
        made = await fleet(alice, front, repositories, per_repository=5, interval="2s")
        ids = [auto["id"] for _, auto in made]
        held_ids = {auto["id"] for deployment, auto in made if deployment["name"].startswith("c-")}
        free_ids = set(ids) - held_ids
        assert len(held_ids) == 5

        async def everything_checked() -> bool:
            return {c["auto_update"] for c in await tables.checks()} >= set(ids)

        await eventually(everything_checked, message="first checks")
        holder = await leader(nats_url)
        assert holder in REPLICAS
        survivor = next(r for r in REPLICAS if r != holder)

        # A new tag in every repository; kill/c's listings are held.
        front.hold(held)
        for repository in repositories:
            await registry.push(repository, "1.1.0")

        async def mid_round() -> bool:
            # The registry has been asked (kill/c's listing waits unanswered) and the other repositories'
            # autoUpdates have all seen the new tag: the work of this round is half done.
            if front.waiting(held) == 0:
                return False
            seen = {c["auto_update"] for c in await tables.checks() if c["chosen_tag"] == "1.1.0"}
            return seen >= free_ids

        await eventually(mid_round, message="a round with some due autoUpdates checked and some in progress")
        checked_keys = {(c["auto_update"], c["due_at"]) for c in await tables.checks()}
        in_progress = {key for key in dispatched.of(held_ids) if key not in checked_keys}
        assert in_progress, "due checks of kill/c queued and not finished"
        assert not {c["auto_update"] for c in await tables.checks() if c["chosen_tag"] == "1.1.0"} & held_ids
        replica(platform, holder).kill(signal.SIGKILL)
        killed_at = await database_now(module_database)
        front.release()

        async def all_updated() -> bool:
            for deployment, _ in made:
                if [tag_of(r) for r in running(await rollouts_of(alice, deployment))] != ["1.1.0"]:
                    return False
            return True

        await eventually(all_updated, timeout=60, message="every deployment updated after the kill")

        async def taken_over() -> bool:
            return await leader(nats_url) == survivor

        await eventually(taken_over, message="the survivor leads once the dead leader's lease expired")

        async def checked_by_survivor_after_the_update() -> bool:
            checks = await tables.checks()
            # Due times after the kill only: the survivor may first drain checks the dead leader queued.
            late = {
                c["auto_update"]
                for c in checks
                if c["replica"] == survivor
                and c["outcome"] == "unchanged"
                and c["current_tag"] == "1.1.0"
                and c["trigger"] == "schedule"
                and c["due_at"] > killed_at
            }
            return late >= set(ids)

        await eventually(checked_by_survivor_after_the_update, message="checks continuing on the survivor")

        # Every due time queued so far (the killed leader's included) is checked: none is skipped.
        owed = dispatched.of(set(ids))

        async def all_owed_checked() -> bool:
            done = {(c["auto_update"], c["due_at"]) for c in await tables.checks() if c["trigger"] == "schedule"}
            return owed <= done

        await eventually(all_owed_checked, message="every queued due time checked")
    finally:
        await nc.close()
        front.stop()

    for deployment, _ in made:  # exactly one new rollout each
        assert [tag_of(r) for r in await rollouts_of(alice, deployment)] == ["1.0.0", "1.1.0"]

    scheduled = [c for c in await tables.checks() if c["trigger"] == "schedule" and c["auto_update"] in ids]
    per_due_time = Counter((c["auto_update"], c["due_at"]) for c in scheduled)
    assert [key for key, count in per_due_time.items() if count > 1] == []  # never twice
    assert set(per_due_time) <= dispatched.of(set(ids))  # and only what was queued
    assert in_progress <= set(per_due_time)  # the checks in progress at the kill were done, once
    for auto_id in ids:
        anchor = (await tables.schedule(auto_id))["anchor"]
        due_times = sorted(due for (owner, due) in per_due_time if owner == auto_id)
        assert all((due - anchor) % timedelta(seconds=2) == timedelta(0) for due in due_times)  # on the grid
        assert any(due > killed_at for due in due_times)  # and still checked after the kill


async def database_now(database: Database) -> datetime:
    conn = await database.connect()
    try:
        now: datetime = await conn.fetchval("SELECT now()")
        return now
    finally:
        await conn.close()


async def test_a_scheduler_away_for_several_intervals_runs_the_overdue_check_once(
    platform: Platform, registry: Registry, tables: UpdaterTables, module_database: Database
) -> None:
    await registry.push("away/app", "1.0.0")
    alice = await platform.new_user("alice")
    made = await fleet(alice, registry, ["away/app"], per_repository=3, interval="1s")
    ids = [auto["id"] for _, auto in made]

    async def everything_checked() -> bool:
        return {c["auto_update"] for c in await tables.checks()} >= set(ids)

    await eventually(everything_checked, message="first checks")
    for process in platform.services.processes:
        if process.name == "updater" and process.process is not None and process.process.poll() is None:
            process.stop()
    # What was due when the updater went away: the one overdue check the restarted replica owes.
    owed = {auto_id: (await tables.schedule(auto_id))["next_run"] for auto_id in ids}
    await asyncio.sleep(5)  # due times pass with no updater running
    conn = await module_database.connect()
    try:
        restarted_at = await conn.fetchval("SELECT now()")
    finally:
        await conn.close()
    await platform.services.start(
        "updater", label="updater-c", env={**FAST_UPDATER, **LOCAL_REGISTRIES, "ONECLICK_INSTANCE_ID": "updater-c"}
    )

    async def resumed() -> bool:
        # The grid has resumed once a due time after the restart was checked. (Counting the new replica's checks
        # would not do: a job the old replicas queued but never ran is the new one's to run, and may come first.)
        resumed_for = {
            c["auto_update"]
            for c in await tables.checks()
            if c["replica"] == "updater-c" and c["trigger"] == "schedule" and c["due_at"] >= restarted_at
        }
        return resumed_for >= set(ids)

    await eventually(resumed, message="checks after the restart")
    for auto_id in ids:
        due_times = sorted(c["due_at"] for c in await tables.checks(auto_id) if c["trigger"] == "schedule")
        seen = [due.isoformat() for due in due_times]
        assert len(due_times) == len(set(due_times)), seen
        assert restarted_at - owed[auto_id] >= timedelta(seconds=4)  # several due times passed meanwhile
        # The owed one was checked once; the ones after it that passed while nothing ran were not; the
        # grid resumes with the first due time after the restart.
        assert owed[auto_id] in due_times, (owed[auto_id].isoformat(), seen)
        following = [due for due in due_times if due > owed[auto_id]]
        assert following, seen
        assert following[0] >= restarted_at, (restarted_at.isoformat(), seen)
