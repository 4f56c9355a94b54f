"""One-Click's rollout rules: one running rollout per deployment, ending, rollback, hide, cascades."""

from __future__ import annotations

import asyncio

import nats

from oneclick_core.contracts.envelope import Envelope
from oneclick_core.contracts.records import RecordChange
from oneclick_testing.events import stored_events
from oneclick_testing.platform import Platform
from oneclick_testing.records import create, rollout_manifest, rollouts_of
from oneclick_testing.waiting import eventually

from .helpers import deployment, rollout


async def test_a_new_rollout_ends_the_running_one(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    first = await rollout(alice, project, web, "1.25")
    assert first["endDate"] == ""
    assert first["startDate"] != ""
    second = await rollout(alice, project, web, "1.26")
    rollouts = {r["id"]: r for r in await rollouts_of(alice, web)}
    assert rollouts[first["id"]]["endDate"] != ""
    assert rollouts[second["id"]]["endDate"] == ""


async def test_end_date_on_create_is_refused(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    response = await alice.client.post(
        "/api/collections/rollouts/records",
        json={
            "project": project["id"],
            "deployment": web["id"],
            "manifest": rollout_manifest(),
            "endDate": "2024-01-01 00:00:00.000Z",
        },
    )
    assert response.status_code == 400
    assert response.json()["data"]["endDate"]["code"] == "validation_not_allowed"
    assert await rollouts_of(alice, web) == []


async def test_invalid_manifest_is_400_with_field_paths(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    bad = rollout_manifest()
    bad["spec"]["interfaces"] = [{"name": "http", "port": 70000}]
    response = await alice.client.post(
        "/api/collections/rollouts/records", json={"project": project["id"], "deployment": web["id"], "manifest": bad}
    )
    assert response.status_code == 400
    assert "manifest.spec.interfaces.0.port" in response.json()["data"]
    assert await rollouts_of(alice, web) == []


async def test_deployment_of_another_project_is_refused(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, _ = await deployment(alice, "one")
    _, other = await deployment(alice, "two")
    response = await alice.client.post(
        "/api/collections/rollouts/records",
        json={"project": project["id"], "deployment": other["id"], "manifest": rollout_manifest()},
    )
    assert response.status_code == 400
    assert response.json()["data"]["deployment"]["code"] == "validation_project_mismatch"


async def test_ending_and_rolling_back(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    old = await rollout(alice, project, web, "1.25")
    new = await rollout(alice, project, web, "1.26")
    # Roll back: clear endDate of the old one; it runs again and the new one ends.
    back = await alice.client.patch(f"/api/collections/rollouts/records/{old['id']}", json={"endDate": ""})
    assert back.status_code == 200, back.text
    assert back.json()["endDate"] == ""
    assert back.json()["startDate"] > old["startDate"]
    state = {r["id"]: r["endDate"] for r in await rollouts_of(alice, web)}
    assert state[old["id"]] == ""
    assert state[new["id"]] != ""
    # End the running one: no rollout runs.
    ended = await alice.client.patch(
        f"/api/collections/rollouts/records/{old['id']}", json={"endDate": "2030-01-01 00:00:00.000Z"}
    )
    assert ended.status_code == 200
    assert all(r["endDate"] for r in await rollouts_of(alice, web))


async def test_hiding_changes_nothing_else(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    old = await rollout(alice, project, web)
    await rollout(alice, project, web, "1.26")
    hidden = await alice.client.patch(f"/api/collections/rollouts/records/{old['id']}", json={"hide": True})
    assert hidden.status_code == 200
    assert hidden.json()["hide"] is True
    assert hidden.json()["endDate"] != ""
    assert hidden.json()["startDate"] == old["startDate"]


async def test_concurrent_creations_leave_exactly_one_running(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    responses = await asyncio.gather(
        *(
            alice.client.post(
                "/api/collections/rollouts/records",
                json={"project": project["id"], "deployment": web["id"], "manifest": rollout_manifest(f"1.{n}")},
            )
            for n in range(20)
        )
    )
    assert [r.status_code for r in responses] == [200] * 20
    rollouts = await rollouts_of(alice, web)
    assert len(rollouts) == 20
    running = [r for r in rollouts if r["endDate"] == ""]
    assert len(running) == 1
    assert len([r for r in rollouts if r["endDate"]]) == 19


async def test_deleting_a_deployment_or_project_cascades(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    await rollout(alice, project, web)
    auto = await create(
        alice,
        "autoUpdates",
        project=project["id"],
        deployment=web["id"],
        interval="5m",
        pattern="^1\\.",
        policy="semver",
    )
    _, keep = await deployment(alice, "keep")

    assert (await alice.client.delete(f"/api/collections/deployments/records/{web['id']}")).status_code == 204
    assert await rollouts_of(alice, web) == []
    assert (await alice.client.get(f"/api/collections/autoUpdates/records/{auto['id']}")).status_code == 404

    other_project, other = await deployment(alice, "other")
    await rollout(alice, other_project, other)
    other_auto = await create(
        alice,
        "autoUpdates",
        project=other_project["id"],
        deployment=other["id"],
        interval="5m",
        pattern="^1\\.",
        policy="semver",
    )
    assert (await alice.client.delete(f"/api/collections/projects/records/{other_project['id']}")).status_code == 204
    assert (await alice.client.get(f"/api/collections/deployments/records/{other['id']}")).status_code == 404
    assert await rollouts_of(alice, other) == []
    assert (await alice.client.get(f"/api/collections/autoUpdates/records/{other_auto['id']}")).status_code == 404
    left = (
        await alice.client.get(
            "/api/collections/autoUpdates/records", params={"filter": f"project = '{other_project['id']}'"}
        )
    ).json()
    assert left["totalItems"] == 0
    assert (await alice.client.get(f"/api/collections/deployments/records/{keep['id']}")).status_code == 200


async def test_deleting_the_running_rollout_deactivates_it(platform: Platform, nats_url: str) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    await rollout(alice, project, web, "1.24")
    await rollout(alice, project, web, "1.25")
    running = await rollout(alice, project, web, "1.26")
    before = {r["id"]: r for r in await rollouts_of(alice, web)}
    ended = {i: r for i, r in before.items() if i != running["id"]}
    assert all(r["endDate"] for r in ended.values())
    assert before[running["id"]]["endDate"] == ""

    deleted = await alice.client.delete(f"/api/collections/rollouts/records/{running['id']}")
    assert deleted.status_code == 204
    after = {r["id"]: r for r in await rollouts_of(alice, web)}
    # Nothing runs any more, and the ended rollouts are exactly as they were: deleting is no rollback.
    assert after == ended
    assert [r for r in after.values() if r["endDate"] == ""] == []

    nc = await nats.connect(nats_url)
    try:

        def about_running(envelope: Envelope) -> bool:
            return envelope.subject == running["id"]

        events: list[tuple[int, Envelope]] = []

        async def deletion_published() -> bool:
            events[:] = await stored_events(nc, "oneclick.events.rollout.>", about_running)
            return any(e.type == "oneclick.rollout.deleted.v1" for _, e in events)

        await eventually(deletion_published)
        others = await stored_events(
            nc, "oneclick.events.rollout.>", lambda e: e.subject in ended and e.type != "oneclick.rollout.created.v1"
        )
    finally:
        await nc.close()

    assert [e.type for _, e in events][-1] == "oneclick.rollout.deleted.v1"
    change = RecordChange.model_validate(events[-1][1].data)
    assert change.action == "delete"
    assert change.deployment == web["id"]
    assert change.project == project["id"]
    assert change.record["id"] == running["id"]
    assert change.audience.owner == alice.id
    # The only events about the other rollouts are the endings the later creations caused, none after.
    assert all(e.data["changed"] == ["endDate"] for _, e in others)
    assert len(others) == len(ended)
    assert max(seq for seq, _ in others) < events[-1][0]


async def test_auto_update_settings_are_validated_when_saved(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice)
    response = await alice.client.post(
        "/api/collections/autoUpdates/records",
        json={
            "project": project["id"],
            "deployment": web["id"],
            "interval": "5 minutes",
            "pattern": "([",
            "policy": "newest",
        },
    )
    assert response.status_code == 400
    assert set(response.json()["data"]) == {"interval", "pattern", "policy"}
    ok = await alice.client.post(
        "/api/collections/autoUpdates/records",
        json={
            "project": project["id"],
            "deployment": web["id"],
            "interval": "5m",
            "pattern": "^1\\.",
            "policy": "semver:^1.2",
        },
    )
    assert ok.status_code == 200, ok.text
