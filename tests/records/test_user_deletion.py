"""A deleted account takes everything it owns with it, as PocketBase's cascadeDelete relations would.

auth publishes ``user.deleted``; records deletes the user's projects (with their deployments, rollouts
and autoUpdates), what else they own and their blueprints through its ordinary delete, removes them from
other users' blueprints, and the executor deletes the namespaces from the ``project.deleted`` events.
Real processes throughout: auth, records, k8s-executor and the edge over a NATS and a kubesim of the
module's own (the executor's durable consumer then starts with an empty stream).
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from kubernetes_asyncio import client, config
from nats.aio.client import Client as NATS

from kubesim.testing import KubesimProcess
from oneclick_core.bus.publishing import MSG_ID_HEADER
from oneclick_core.bus.streams import EVENTS_STREAM
from oneclick_core.contracts.auth import USER_DELETED
from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.records import RecordChange
from oneclick_testing.events import stored_events
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, running_platform
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

from .helpers import deployment, rollout

Json = dict[str, Any]
# Owner column of each table (records' schema), for looking at what is left in the database itself.
TABLES = {"projects": "user", "deployments": "user", "rollouts": "user", "auto_updates": "user", "blueprints": "owner"}
COLLECTIONS = {
    "projects": "user",
    "deployments": "user",
    "rollouts": "user",
    "autoUpdates": "user",
    "blueprints": "owner",
}
CONSUMER = "records-users"
# An event records took and never acknowledged comes back after this many seconds (30 by default).
SHORT_ACK_WAIT = {"ONECLICK_RECORDS_ACK_WAIT": "3"}


@pytest.fixture(scope="module")
def nats_url(module_nats_url: str) -> str:
    """The module's own NATS, for every fixture that connects to one (``nc`` among them)."""
    return module_nats_url


@pytest.fixture(scope="module")
async def platform(
    nats_url: str, module_database: Database, module_log_dir: Path, module_kubesim: KubesimProcess
) -> AsyncIterator[Platform]:
    async with running_platform(
        nats_url=nats_url,
        database=module_database,
        log_dir=module_log_dir,
        names=["auth", "records", "k8s-executor"],
        env={"records": SHORT_ACK_WAIT},
        kubeconfig=module_kubesim.kubeconfig,
    ) as started:
        yield started


@pytest.fixture
async def db(module_database: Database) -> AsyncIterator[asyncpg.Connection]:
    conn = await module_database.connect()
    yield conn
    await conn.close()


@pytest.fixture(scope="module")
async def kube(module_kubesim: KubesimProcess) -> AsyncIterator[client.ApiClient]:
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(module_kubesim.kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration=configuration) as api:
        yield api


async def namespace_exists(kube: client.ApiClient, name: str) -> bool:
    try:
        await client.CoreV1Api(kube).read_namespace(name)
    except client.ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


async def owned_rows(db: asyncpg.Connection, user_id: str) -> dict[str, int]:
    return {
        table: await db.fetchval(f'SELECT count(*) FROM records.{table} WHERE "{column}" = $1', user_id)
        for table, column in TABLES.items()
    }


async def delete_account(user: User) -> None:
    response = await user.client.delete(f"/api/collections/users/records/{user.id}")
    assert response.status_code == 204, response.text


async def user_deleted_event(nc: NATS, user_id: str) -> Envelope:
    found = await stored_events(
        nc, USER_DELETED.subject, lambda e: e.type == USER_DELETED.type and e.data.get("id") == user_id
    )
    assert len(found) == 1, found
    return found[0][1]


def about(user_id: str, blueprint_id: str) -> Callable[[Envelope], bool]:
    """Record events of the user's records, and those of one blueprint."""
    return lambda e: (
        e.data.get("audience", {}).get("owner") == user_id
        or (e.type.startswith("oneclick.blueprint.") and e.subject == blueprint_id)
    )


async def share(user: User, blueprint_id: str) -> None:
    response = await user.client.post(f"/pb/blueprints/shared/{blueprint_id}")
    assert response.status_code == 200, response.text


async def test_deleted_account_takes_its_records_namespaces_and_shares(
    platform: Platform, nc: NATS, db: asyncpg.Connection, kube: client.ApiClient
) -> None:
    alice, bob, carol = [await platform.new_user(n) for n in ("alice", "bob", "carol")]
    # Alice: two projects, each with a deployment, rollouts (one ended by the next) and an autoUpdate.
    mine: dict[str, list[str]] = {c: [] for c in COLLECTIONS}
    projects = []
    for name in ("shop", "blog"):
        project, web = await deployment(alice, name)
        first = await rollout(alice, project, web, "1.25")
        second = await rollout(alice, project, web, "1.26")
        auto = await create(alice, "autoUpdates", project=project["id"], deployment=web["id"], interval="5m")
        projects.append(project["id"])
        mine["projects"].append(project["id"])
        mine["deployments"].append(web["id"])
        mine["rollouts"] += [first["id"], second["id"]]
        mine["autoUpdates"].append(auto["id"])
    private = await create(alice, "blueprints", name="mine", private=True, manifest=rollout_manifest())
    mine["blueprints"].append(private["id"])
    # Bob: a project running in the cluster and a private blueprint shared with Alice and Carol.
    bob_project, bob_web = await deployment(bob, "bobs")
    bob_rollout = await rollout(bob, bob_project, bob_web)
    shared = await create(bob, "blueprints", name="team", private=True, manifest=rollout_manifest())
    await share(alice, shared["id"])
    await share(carol, shared["id"])

    async def namespaces_up() -> bool:
        return all([await namespace_exists(kube, p) for p in [*projects, bob_project["id"]]])

    await eventually(namespaces_up, timeout=60, message="the executor created the projects' namespaces")

    await delete_account(alice)

    async def swept() -> bool:
        users = await db.fetchval("SELECT users FROM records.blueprints WHERE id = $1", shared["id"])
        return not any((await owned_rows(db, alice.id)).values()) and alice.id not in users

    await eventually(swept, timeout=60, message="alice's records deleted and her share removed")

    # In the database: nothing of Alice's, not even rows pointing at her; her read-model row is a tombstone.
    for table in TABLES:
        assert (
            await db.fetchval(
                f"SELECT count(*) FROM records.{table} WHERE id = ANY ($1)", [i for ids in mine.values() for i in ids]
            )
            == 0
        ), table
    tombstone = await db.fetchrow("SELECT * FROM records.users WHERE id = $1", alice.id)
    assert tombstone is not None
    assert tombstone["deleted"]
    assert (tombstone["email"], tombstone["name"], tombstone["username"]) == ("", "", "")
    # Through the edge, for a superuser who sees everything.
    root = await platform.superuser()
    for collection, owner in COLLECTIONS.items():
        listed = await root.client.get(
            f"/api/collections/{collection}/records", params={"filter": f"{owner} = '{alice.id}'"}
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["totalItems"] == 0, (collection, listed.json())
        for record_id in mine[collection]:
            viewed = await root.client.get(f"/api/collections/{collection}/records/{record_id}")
            assert viewed.status_code == 404, (collection, viewed.text)
    # Bob's blueprint lists Carol only, and Bob's own records are untouched.
    team = await bob.client.get(f"/api/collections/blueprints/records/{shared['id']}")
    assert team.status_code == 200, team.text
    assert team.json()["users"] == [carol.id]
    for collection, record in (("projects", bob_project), ("deployments", bob_web), ("rollouts", bob_rollout)):
        viewed = await bob.client.get(f"/api/collections/{collection}/records/{record['id']}")
        assert viewed.status_code == 200, viewed.text
        assert viewed.json()["updated"] == record["updated"]

    # Every deleted record left its event, the project deletions among them; the share removal one too.
    events: list[tuple[int, Envelope]] = []

    async def published() -> bool:
        events[:] = await stored_events(nc, "oneclick.events.>", about(alice.id, shared["id"]))
        return sum(e.type.endswith(".deleted.v1") for _, e in events) >= sum(map(len, mine.values()))

    await eventually(published, message="the deletions were published")
    deleted = {(e.type, e.subject) for _, e in events if e.type.endswith(".deleted.v1")}
    aggregates = {
        "projects": "project",
        "deployments": "deployment",
        "rollouts": "rollout",
        "autoUpdates": "autoupdate",
        "blueprints": "blueprint",
    }
    assert deleted == {(f"oneclick.{aggregates[c]}.deleted.v1", i) for c, ids in mine.items() for i in ids}
    assert len([e for _, e in events if e.type.endswith(".deleted.v1")]) == len(deleted)  # each exactly once
    unshared = [
        RecordChange.model_validate(e.data)
        for _, e in events
        if e.type == "oneclick.blueprint.updated.v1"
        and e.subject == shared["id"]
        and alice.id not in e.data["record"]["users"]
    ]
    assert len(unshared) == 1
    assert unshared[0].changed == ["users"]
    assert unshared[0].record["users"] == [carol.id]

    # The executor deleted Alice's namespaces (as for a project delete); Bob's stays.
    async def namespaces_gone() -> bool:
        return not any([await namespace_exists(kube, p) for p in projects])

    await eventually(namespaces_gone, timeout=60, message="alice's namespaces deleted")
    assert await namespace_exists(kube, bob_project["id"])

    # Replaying the same user.deleted (a new message id, so JetStream stores it again and records gets
    # it again) changes nothing: no event, no write.
    before = await snapshot(db, alice.id, shared["id"])
    envelope = await user_deleted_event(nc, alice.id)
    ack = await nc.jetstream().publish(
        USER_DELETED.subject,
        envelope.model_dump_json().encode(),
        headers={MSG_ID_HEADER: f"{envelope.id}-replay", "ce-type": envelope.type},
    )
    assert not ack.duplicate

    async def consumed() -> bool:
        info = await nc.jetstream().consumer_info(EVENTS_STREAM, CONSUMER)
        return info.ack_floor.stream_seq is not None and info.ack_floor.stream_seq >= ack.seq

    await eventually(consumed, message="records acknowledged the replay")
    assert await snapshot(db, alice.id, shared["id"]) == before


async def snapshot(db: asyncpg.Connection, user_id: str, blueprint_id: str) -> tuple[Any, ...]:
    """What a repeated deletion could change: the outbox, the user's rows, the shared blueprint."""
    return (
        await db.fetchval("SELECT max(seq) FROM records.event_outbox"),
        await db.fetchval("SELECT count(*) FROM records.event_outbox"),
        await owned_rows(db, user_id),
        tuple(await db.fetchrow("SELECT * FROM records.users WHERE id = $1", user_id)),
        tuple(await db.fetchrow("SELECT users, updated FROM records.blueprints WHERE id = $1", blueprint_id)),
    )


async def test_deletion_killed_midway_resumes_on_redelivery(
    platform: Platform, nc: NATS, db: asyncpg.Connection
) -> None:
    dave, erin = await platform.new_user("dave"), await platform.new_user("erin")
    first, first_web = await deployment(dave, "first")
    second, second_web = await deployment(dave, "second")
    await rollout(dave, second, second_web)
    shared = await create(erin, "blueprints", name="erins", private=True, manifest=rollout_manifest())
    await share(dave, shared["id"])

    # Hold the second project's row: records deletes the first project, then waits on the second.
    holder = await platform.database.connect()
    try:
        hold = holder.transaction()
        await hold.start()
        await holder.execute("SELECT 1 FROM records.projects WHERE id = $1 FOR UPDATE", second["id"])
        await delete_account(dave)

        async def first_gone() -> bool:
            return not await db.fetchval("SELECT count(*) FROM records.projects WHERE id = $1", first["id"])

        await eventually(first_gone, timeout=60, message="the first project deleted")
        records = next(
            p
            for p in platform.services.processes
            if p.name == "records" and p.process is not None and p.process.poll() is None
        )
        records.kill(signal.SIGKILL)
        await hold.rollback()
    finally:
        await holder.close()

    # Half done: the first project is gone, the second and the share are still there, nothing claimed.
    envelope = await user_deleted_event(nc, dave.id)
    assert await db.fetchval("SELECT count(*) FROM records.projects WHERE id = $1", second["id"]) == 1
    assert dave.id in await db.fetchval("SELECT users FROM records.blueprints WHERE id = $1", shared["id"])
    assert not await db.fetchval(
        "SELECT count(*) FROM records.event_inbox WHERE consumer = $1 AND event_id = $2", CONSUMER, envelope.id
    )

    # A new replica gets the unacknowledged event again (after the consumer's ack wait) and finishes.
    await platform.services.start("records", label="records-after-kill", env=SHORT_ACK_WAIT)

    async def finished() -> bool:
        return bool(
            await db.fetchval(
                "SELECT count(*) FROM records.event_inbox WHERE consumer = $1 AND event_id = $2", CONSUMER, envelope.id
            )
        )

    await eventually(finished, timeout=120, message="the redelivered deletion completed")
    assert not any((await owned_rows(db, dave.id)).values())
    assert await db.fetchval("SELECT users FROM records.blueprints WHERE id = $1", shared["id"]) == []

    def deletion(e: Envelope) -> bool:
        return e.data.get("audience", {}).get("owner") == dave.id and e.type.endswith(".deleted.v1")

    expected = {
        ("oneclick.project.deleted.v1", first["id"]),
        ("oneclick.project.deleted.v1", second["id"]),
        ("oneclick.deployment.deleted.v1", first_web["id"]),
        ("oneclick.deployment.deleted.v1", second_web["id"]),
    }
    found: list[tuple[int, Envelope]] = []

    async def all_published() -> bool:
        found[:] = await stored_events(nc, "oneclick.events.>", deletion)
        return expected <= {(e.type, e.subject) for _, e in found}

    await eventually(all_published, message="both projects' deletions published")
    subjects = [e.subject for _, e in found if e.type == "oneclick.project.deleted.v1"]
    assert sorted(subjects) == sorted([first["id"], second["id"]])  # the first one once, not again on resume


async def test_no_record_names_a_deleted_account(platform: Platform, db: asyncpg.Connection) -> None:
    frank, grace = await platform.new_user("frank"), await platform.new_user("grace")
    blueprint = await create(grace, "blueprints", name="graces", private=True, manifest=rollout_manifest())
    await delete_account(frank)

    async def tombstoned() -> bool:
        return bool(await db.fetchval("SELECT deleted FROM records.users WHERE id = $1", frank.id))

    await eventually(tombstoned, message="records heard of the deletion")
    # A superuser may name any owner, but not a deleted one; nor may a blueprint be shared with one.
    root = await platform.superuser()
    created = await root.client.post("/api/collections/projects/records", json={"name": "x", "user": frank.id})
    assert created.status_code == 400, created.text
    assert created.json()["data"]["user"]["code"] == "validation_missing_rel_records"
    # (Only a superuser may add someone else at all; users join by the share link.)
    shared = await root.client.patch(
        f"/api/collections/blueprints/records/{blueprint['id']}", json={"users+": [frank.id]}
    )
    assert shared.status_code == 400, shared.text
    assert shared.json()["data"]["users"]["code"] == "validation_missing_rel_records"
    assert not any((await owned_rows(db, frank.id)).values())
