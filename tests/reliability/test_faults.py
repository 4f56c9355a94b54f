"""Fault injection on the whole platform: processes SIGKILLed, NATS and PostgreSQL restarted, under load.

1. SIGKILL of the executor, records (with its outbox relay) and the edge at random moments while 200 rollouts
   are made through the API: every acknowledged rollout is applied exactly once and the cluster ends up
   holding the latest rollout of every deployment.

   The client retries like a patient browser: on no answer or 502/503/504 it sends the request again. A
   retried POST whose first try had committed before the edge died makes a second rollout (One-Click has no
   idempotency keys), so records may hold more rollouts than were acknowledged, but never more than the
   tries whose outcome was unknown. Each deployment's rollouts are made one after another, each once the
   previous one was applied, so "applied exactly once" is asked of every acknowledged rollout (a
   level-triggered executor may skip a rollout that was replaced before it got to it).

2. NATS SIGKILLed while rollouts are made and started again on the same port and JetStream store: every
   committed rollout's event reaches the stream (the outbox keeps it meanwhile), the executor applies the
   latest rollout of every deployment.

3. PostgreSQL shut down (fast shutdown: connections cut, transactions in flight rolled back) and started
   again on the same data directory and port: while it is down the edge answers 503 in PocketBase's shape,
   never 500 and never a hang; afterwards requests succeed again without anyone restarting anything, every
   rollout in the database has its event and every event its rollout, and no deployment has two running
   rollouts.

Outage lengths and kill moments are the test's choice (faults, not thresholds); recovery times are printed.
The module shares one platform: each test leaves it whole for the next.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js.api import DeliverPolicy

from oneclick_cli.embedded.nats import EmbeddedNats
from oneclick_cli.embedded.postgres import EmbeddedPostgres
from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.executor import ROLLOUT_APPLIED
from oneclick_core.contracts.records import record_event
from oneclick_testing.events import stored_events
from oneclick_testing.platform import PASSWORD, Platform, User
from oneclick_testing.records import rollout_manifest
from oneclick_testing.services import ServiceProcess
from oneclick_testing.waiting import eventually

from .load import Attempts, create, records, running_rollout_in_cluster

pytestmark = pytest.mark.reliability

PROJECTS, DEPLOYMENTS_PER_PROJECT, ROLLOUTS_PER_DEPLOYMENT = 10, 2, 10
VICTIMS = ("k8s-executor", "records", "edge")
KILLS_EACH = 2
# Printed with the figures, so a failing run can be replayed with ONECLICK_CHAOS_SEED.
SEED = int(os.environ.get("ONECLICK_CHAOS_SEED", "0")) or random.SystemRandom().randrange(1, 2**31)
# Reading the stream back waits longer for a quiet subscription than elsewhere: NATS may just have restarted.
STREAM_QUIET = 2.0


def _process(platform: Platform, name: str) -> ServiceProcess:
    return next(p for p in platform.services.processes if p.name == name)


async def test_sigkill_of_executor_records_and_edge_during_200_rollouts(
    platform: Platform, cluster: httpx.AsyncClient, bus: NATS
) -> None:
    user = await platform.new_user("chaos")
    setup = Attempts()
    targets: list[tuple[str, str]] = []
    for index in range(PROJECTS):
        project = await create(user, "projects", setup, name=f"chaos-{index}")
        for number in range(DEPLOYMENTS_PER_PROJECT):
            deployment = await create(user, "deployments", setup, name=f"web-{number}", project=project["id"])
            targets.append((project["id"], deployment["id"]))

    applied: Counter[tuple[str, str]] = Counter()

    async def on_applied(msg: Msg) -> None:
        data = Envelope.model_validate_json(msg.data).data
        applied[(data["rollout"], data["startDate"])] += 1

    # Read back from the stream (not the core subject), so repeats it de-duplicated are not counted.
    await bus.jetstream().subscribe(
        ROLLOUT_APPLIED.subject,
        stream=EVENTS_STREAM,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW,
        cb=on_applied,
    )
    attempts = Attempts()
    acknowledged: dict[str, list[dict[str, Any]]] = {deployment: [] for _, deployment in targets}

    async def deploy(project: str, deployment: str) -> None:
        for number in range(ROLLOUTS_PER_DEPLOYMENT):
            made = await create(
                user,
                "rollouts",
                attempts,
                project=project,
                deployment=deployment,
                manifest=rollout_manifest(f"1.{number}"),
            )
            acknowledged[deployment].append(made)
            key = (made["id"], made["startDate"])
            await eventually(
                lambda key=key: applied[key] > 0, timeout=120, interval=0.05, message=f"rollout {made['id']} applied"
            )

    rng = random.Random(SEED)
    total = PROJECTS * DEPLOYMENTS_PER_PROJECT * ROLLOUTS_PER_DEPLOYMENT
    victims = [*VICTIMS] * KILLS_EACH
    rng.shuffle(victims)
    # Random moments, told by progress rather than time, so every kill falls inside the load however fast it runs.
    moments = sorted(rng.sample(range(total // 20, total * 9 // 10), len(victims)))
    kills: list[tuple[str, int, float]] = []  # victim, rollouts acknowledged then, seconds until ready again

    def acknowledged_count() -> int:
        return sum(map(len, acknowledged.values()))

    async def chaos() -> None:
        for name, moment in zip(victims, moments, strict=True):
            await eventually(
                lambda moment=moment: acknowledged_count() >= moment,
                timeout=300,
                message=f"{moment} rollouts acknowledged",
            )
            process = _process(platform, name)
            at = acknowledged_count()
            process.kill()
            killed = time.monotonic()
            process.start()
            await process.wait_ready()
            kills.append((name, at, time.monotonic() - killed))

    started = time.monotonic()
    chaos_task = asyncio.create_task(chaos())
    try:
        await asyncio.gather(*(deploy(project, deployment) for project, deployment in targets))
    finally:
        await chaos_task
    took = time.monotonic() - started

    acked = [made for made_of in acknowledged.values() for made in made_of]
    held = await records(user, "rollouts", attempts, f"user = '{user.id}'")
    print(
        f"\nchaos seed {SEED}: {len(acked)} rollouts acknowledged in {took:.1f}s, {len(held)} in records; "
        f"kills (victim, rollouts acknowledged, seconds until ready again): "
        f"{', '.join(f'{name} {at} {seconds:.2f}s' for name, at, seconds in kills)}; answers {attempts.statuses}, "
        f"{attempts.refused} tries refused, {attempts.unknown} with unknown outcome"
    )
    assert len(kills) == len(VICTIMS) * KILLS_EACH
    assert all(at < total for _, at, _ in kills), "every kill happened while rollouts were being made"
    assert attempts.crashes == [], "an outage of a service is a 503, never a 500"
    assert len(acked) == total

    # Records holds every acknowledged rollout, and more only as many as tries had an unknown outcome.
    held_ids = {record["id"] for record in held}
    assert {made["id"] for made in acked} <= held_ids
    assert len(held) - len(acked) <= attempts.unknown

    # The running rollout of each deployment is the last acknowledged one, and the cluster runs it.
    for project, deployment in targets:
        running = [record["id"] for record in held if record["deployment"] == deployment and not record["endDate"]]
        latest = acknowledged[deployment][-1]
        assert running == [latest["id"]], deployment
        label, image = await running_rollout_in_cluster(cluster, project, deployment)
        assert (label, image) == (latest["id"], f"docker.io/library/nginx:1.{ROLLOUTS_PER_DEPLOYMENT - 1}")

    # Each acknowledged rollout applied exactly once, as the stream holds it.
    ours = {made["id"] for made in acked}
    stored = Counter(
        (event.data["rollout"], event.data["startDate"])
        for _, event in await stored_events(bus, ROLLOUT_APPLIED.subject, quiet_for=STREAM_QUIET)
        if event.data["rollout"] in ours
    )
    assert {key for key, count in stored.items() if count != 1} == set()
    assert {(made["id"], made["startDate"]) for made in acked} <= set(stored)


# -- NATS and PostgreSQL restarts ---------------------------------------------------------------------------

RESTART_ROLLOUTS = 8
OUTAGE_SECONDS = 2.0
# Longer than the edge's RPC timeout (5 s): requests sent while NATS is away time out and are retried, rather
# than all waiting in the client's reconnect buffer.
NATS_OUTAGE_SECONDS = 6.0
CREATED = record_event("rollouts", "create")


async def _deployments(user: User, name: str, count: int) -> list[tuple[str, str]]:
    project = await create(user, "projects", Attempts(), name=name)
    return [
        (project["id"], (await create(user, "deployments", Attempts(), name=f"web-{n}", project=project["id"]))["id"])
        for n in range(count)
    ]


async def _load(
    user: User, targets: list[tuple[str, str]], attempts: Attempts, acknowledged: dict[str, list[dict[str, Any]]]
) -> None:
    async def deploy(project: str, deployment: str) -> None:
        for number in range(RESTART_ROLLOUTS):
            made = await create(
                user,
                "rollouts",
                attempts,
                project=project,
                deployment=deployment,
                manifest=rollout_manifest(f"2.{number}"),
            )
            acknowledged.setdefault(deployment, []).append(made)

    await asyncio.gather(*(deploy(project, deployment) for project, deployment in targets))


async def _outbox_empty(database_url: str) -> bool:
    conn = await asyncpg.connect(database_url)
    try:
        return bool(await conn.fetchval("SELECT count(*) = 0 FROM records.event_outbox"))
    finally:
        await conn.close()


async def _nothing_lost(
    platform: Platform,
    cluster: httpx.AsyncClient,
    bus: NATS,
    user: User,
    targets: list[tuple[str, str]],
    acknowledged: dict[str, list[dict[str, Any]]],
) -> None:
    """Records holds every acknowledged rollout and one running rollout per deployment, its last; every
    rollout has its created event in the stream and every event its rollout; the cluster runs the latest."""
    await eventually(
        lambda: _outbox_empty(platform.database.url), timeout=60, message="the outbox relayed every committed event"
    )
    ours = {deployment for _, deployment in targets}
    held = [r for r in await records(user, "rollouts", Attempts(), f"user = '{user.id}'") if r["deployment"] in ours]
    held_ids = {record["id"] for record in held}
    assert {made["id"] for made_of in acknowledged.values() for made in made_of} <= held_ids
    created = {
        event.subject
        for _, event in await stored_events(bus, CREATED.subject, quiet_for=STREAM_QUIET)
        if event.data["record"]["deployment"] in ours
    }
    assert created == held_ids, "every rollout committed has its event, and every event its rollout"
    for project, deployment in targets:
        running = [r["id"] for r in held if r["deployment"] == deployment and not r["endDate"]]
        latest = acknowledged[deployment][-1]
        assert running == [latest["id"]], deployment

        async def applied(
            project: str = project, deployment: str = deployment, latest: dict[str, Any] = latest
        ) -> bool:
            return (await running_rollout_in_cluster(cluster, project, deployment))[0] == latest["id"]

        await eventually(applied, timeout=60, message=f"the cluster runs the latest rollout of {deployment}")
    latest_starts = {(made[-1]["id"], made[-1]["startDate"]) for made in acknowledged.values()}

    async def reported() -> bool:
        # The executor reports after applying, so the event may follow the objects by a moment.
        applied = await stored_events(bus, ROLLOUT_APPLIED.subject, quiet_for=STREAM_QUIET)
        return latest_starts <= {(event.data["rollout"], event.data["startDate"]) for _, event in applied}

    await eventually(reported, timeout=30, message="rollout.applied of the latest rollout of every deployment")


async def test_nats_killed_and_restarted_mid_load_loses_nothing(
    platform: Platform, cluster: httpx.AsyncClient, bus: NATS, nats_server: EmbeddedNats
) -> None:
    user = await platform.new_user("nats")
    targets = await _deployments(user, "nats-restart", 4)
    attempts = Attempts()
    acknowledged: dict[str, list[dict[str, Any]]] = {}
    load = asyncio.create_task(_load(user, targets, attempts, acknowledged))
    await eventually(lambda: sum(map(len, acknowledged.values())) >= len(targets), message="load under way")
    assert not load.done(), "NATS is killed while rollouts are still being made"
    at_kill = sum(map(len, acknowledged.values()))
    nats_server.kill()
    await asyncio.sleep(NATS_OUTAGE_SECONDS)
    nats_server.start()
    restarted = time.monotonic()
    await load
    print(
        f"\nNATS restart: killed with {at_kill} of {len(targets) * RESTART_ROLLOUTS} rollouts acknowledged; "
        f"load done {time.monotonic() - restarted:.1f}s after NATS was back; answers {attempts.statuses}, "
        f"{attempts.refused} tries refused, {attempts.unknown} with unknown outcome"
    )
    assert attempts.crashes == []
    assert attempts.refused + attempts.unknown > 0, "some requests of the load met the outage"
    await _nothing_lost(platform, cluster, bus, user, targets, acknowledged)


async def test_postgres_restart_is_a_503_then_heals_with_nothing_half_written(
    platform: Platform, cluster: httpx.AsyncClient, bus: NATS, postgres_server: EmbeddedPostgres
) -> None:
    user = await platform.new_user("pg")
    targets = await _deployments(user, "pg-restart", 4)
    attempts = Attempts()
    acknowledged: dict[str, list[dict[str, Any]]] = {}
    load = asyncio.create_task(_load(user, targets, attempts, acknowledged))
    await eventually(lambda: sum(map(len, acknowledged.values())) >= len(targets), message="load under way")
    assert not load.done(), "PostgreSQL is stopped while rollouts are still being made"
    postgres_server.stop()

    # During the outage: every answer (records, auth, health) is a 503 in PocketBase's shape, each within the
    # client's patience.
    project, deployment = targets[0]
    during: list[tuple[int, dict[str, Any]]] = []
    async with httpx.AsyncClient(base_url=platform.url, timeout=15, headers={"Authorization": user.token}) as client:
        probes = [
            ("GET", "/api/collections/rollouts/records", None),
            ("GET", f"/api/collections/projects/records/{project}", None),
            (
                "POST",
                "/api/collections/rollouts/records",
                {"project": project, "deployment": deployment, "manifest": rollout_manifest("9.9")},
            ),
            ("POST", "/api/collections/users/auth-with-password", {"identity": user.email, "password": PASSWORD}),
            ("GET", "/api/health", None),
        ]
        for method, path, body in probes:
            response = await client.request(method, path, json=body)
            during.append((response.status_code, orjson.loads(response.content)))
    await asyncio.sleep(OUTAGE_SECONDS)
    postgres_server.start()
    back = time.monotonic()

    async def answers() -> bool:
        login = await platform.client.post(
            "/api/collections/users/auth-with-password", json={"identity": user.email, "password": PASSWORD}
        )
        listed = await user.client.get("/api/collections/projects/records")
        return (login.status_code, listed.status_code) == (200, 200)

    await eventually(answers, timeout=60, message="auth and records answer again")
    healed = time.monotonic() - back
    await load
    print(
        f"\nPostgreSQL restart: during the outage {[status for status, _ in during]}; requests succeed again "
        f"{healed:.2f}s after it was back; load answers {attempts.statuses}"
    )
    for status, body in during:
        assert status == 503, body
        assert set(body) == {"status", "message", "data"}
    assert attempts.crashes == []
    await _nothing_lost(platform, cluster, bus, user, targets, acknowledged)
