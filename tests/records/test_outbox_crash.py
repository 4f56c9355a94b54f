"""The outbox under crashes: records killed with SIGKILL between commit and publish, and while relaying.

Phase 1: a records replica that does not relay (ONECLICK_OUTBOX_RELAY=false) takes a burst of writes and is
killed mid-burst: committed events wait in the outbox. Phase 2: a relaying replica starts and is killed at
a random moment while it publishes the backlog. Phase 3: another relaying replica finishes. Every event
of every committed change must then be in the stream exactly once, in commit order per record.
"""

from __future__ import annotations

import asyncio
import random
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import nats
import pytest

from oneclick_core.contracts.envelope import Envelope
from oneclick_testing.infrastructure import Database
from oneclick_testing.platform import Platform, User, start_platform
from oneclick_testing.services import ServiceGroup
from oneclick_testing.waiting import eventually

from .events import stored_events


@pytest.fixture
async def crash_platform(nats_url: str, database: Database, log_dir: Path) -> AsyncIterator[Platform]:
    group = ServiceGroup({"ONECLICK_NATS_URL": nats_url, "ONECLICK_DATABASE_URL": database.url}, log_dir)
    try:
        # A patient edge: under a loaded CI machine a slow reply must not turn into a 503 and a lost writer.
        started = await start_platform(group, database, ["auth"], env={"edge": {"ONECLICK_RPC_TIMEOUT": "30"}})
        yield started
        await started.close()
    finally:
        group.stop_all()


async def writer(user: User, index: int, done: list[str]) -> None:
    """Create a project and change it three times; stop at the first failure (records was killed)."""
    try:
        created = await user.client.post("/api/collections/projects/records", json={"name": f"p{index}"})
        if created.status_code != 200:
            return
        project_id = created.json()["id"]
        for version in range(3):
            patched = await user.client.patch(f"/api/collections/projects/records/{project_id}",
                                              json={"description": f"v{version}"})
            if patched.status_code != 200:
                return
        done.append(project_id)
    except httpx.HTTPError:
        return


async def test_every_committed_change_is_published_once_in_order(crash_platform: Platform, nats_url: str,
                                                                   database: Database) -> None:
    services = crash_platform.services
    quiet = await services.start("records", label="records-norelay", env={"ONECLICK_OUTBOX_RELAY": "false"})
    alice = await crash_platform.new_user("alice")

    completed: list[str] = []
    burst = [asyncio.create_task(writer(alice, i, completed)) for i in range(40)]
    await eventually(lambda: len(completed) >= 10 or all(task.done() for task in burst), timeout=120)
    quiet.kill(signal.SIGKILL)
    await asyncio.gather(*burst)
    assert completed, "no writer got through before the kill"

    db = await asyncpg.connect(database.url)
    try:
        backlog = await db.fetchval("SELECT count(*) FROM records.event_outbox")
        assert backlog >= 4 * len(completed)  # committed, not published: the relay never ran

        relaying = await services.start("records", label="records-relay-1")
        await asyncio.sleep(random.uniform(0.0, 0.3))
        relaying.kill(signal.SIGKILL)
        await services.start("records", label="records-relay-2")
        await eventually(lambda: db.fetchval("SELECT count(*) = 0 FROM records.event_outbox"), timeout=60)
        rows = await db.fetch("SELECT id, description, updated FROM records.projects WHERE \"user\" = $1", alice.id)
    finally:
        await db.close()

    nc = await nats.connect(nats_url)
    try:
        events = await stored_events(nc, "oneclick.events.project.>",
                                     lambda e: e.data.get("audience", {}).get("owner") == alice.id)
    finally:
        await nc.close()

    ids = [e.id for _, e in events]
    assert len(ids) == len(set(ids)), "an event was published twice"
    by_project: dict[str, list[Envelope]] = {}
    for _, envelope in events:
        assert envelope.subject is not None
        by_project.setdefault(envelope.subject, []).append(envelope)
    assert set(by_project) == {row["id"] for row in rows}  # every committed project, nothing else
    for row in rows:
        history = by_project[row["id"]]
        assert history[0].type == "oneclick.project.created.v1"
        descriptions = [e.data["record"]["description"] for e in history]
        updates = [e.data["record"]["updated"] for e in history]
        assert updates == sorted(updates), "events of one record out of order"
        assert descriptions[0] == ""
        assert descriptions[1:] == [f"v{n}" for n in range(len(history) - 1)]
        assert descriptions[-1] == row["description"]  # the last event is the committed state
    assert set(completed) <= set(by_project)
