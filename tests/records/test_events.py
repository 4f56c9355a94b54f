"""Every change leaves as a domain event: the right subject, the audience, and never a secret value."""

from __future__ import annotations

import nats
import orjson

from oneclick_core.contracts.records import RecordChange
from oneclick_testing.events import stored_events
from oneclick_testing.platform import Platform
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

from .helpers import deployment


async def test_changes_are_published_with_audience_and_redacted_secrets(platform: Platform, nats_url: str) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    secret_manifest = rollout_manifest(secrets=[{"name": "DB_PASSWORD", "value": "hunter2-very-secret"}])
    secret_manifest["spec"]["image"].update(username="bot", password="registry-pass-123")
    first = await create(alice, "rollouts", project=project["id"], deployment=web["id"], manifest=secret_manifest)
    second = await create(
        alice, "rollouts", project=project["id"], deployment=web["id"], manifest=rollout_manifest("2")
    )
    await alice.client.patch(f"/api/collections/rollouts/records/{second['id']}", json={"hide": True})

    nc = await nats.connect(nats_url)
    try:

        def mine(envelope: object) -> bool:
            return getattr(envelope, "data", {}).get("audience", {}).get("owner") == alice.id

        events: list = []

        async def all_arrived() -> bool:
            events[:] = await stored_events(nc, "oneclick.events.>", mine)  # type: ignore[arg-type]
            return len(events) >= 6

        await eventually(all_arrived)
    finally:
        await nc.close()

    kinds = [(e.type, e.subject) for _, e in events]
    assert kinds == [
        ("oneclick.project.created.v1", project["id"]),
        ("oneclick.deployment.created.v1", web["id"]),
        ("oneclick.rollout.created.v1", first["id"]),
        ("oneclick.rollout.updated.v1", first["id"]),  # ended by the second, in the same transaction
        ("oneclick.rollout.created.v1", second["id"]),
        ("oneclick.rollout.updated.v1", second["id"]),
    ]
    ended = RecordChange.model_validate(events[3][1].data)
    assert ended.changed == ["endDate"]
    assert ended.record["endDate"] != ""
    assert ended.deployment == web["id"]
    assert ended.project == project["id"]
    hidden = RecordChange.model_validate(events[5][1].data)
    assert hidden.changed == ["hide"]
    assert len({e.id for _, e in events}) == len(events)
    created = RecordChange.model_validate(events[2][1].data)
    assert created.record["manifest"]["spec"]["secrets"] == [{"name": "DB_PASSWORD", "value": "[redacted]"}]
    assert created.record["manifest"]["spec"]["image"]["password"] == "[redacted]"
    raw = b"".join(orjson.dumps(e.model_dump(mode="json")) for _, e in events)
    assert b"hunter2-very-secret" not in raw
    assert b"registry-pass-123" not in raw
