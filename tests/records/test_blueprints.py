"""Blueprints: community ones for everyone, private ones for their owner and the users they are shared with."""

from __future__ import annotations

from oneclick_testing.platform import Platform
from oneclick_testing.records import create, rollout_manifest


async def test_community_blueprints_are_seeded_and_visible_to_everyone(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    listed = (
        await alice.client.get(
            "/api/collections/blueprints/records", params={"filter": "private = false", "sort": "name"}
        )
    ).json()
    names = [b["name"] for b in listed["items"]]
    assert {"nginx", "Node-RED", "PocketBase"} <= set(names)
    nginx = next(b for b in listed["items"] if b["name"] == "nginx")
    assert nginx["manifest"]["spec"]["image"]["repository"] == "library/nginx"
    changed = await alice.client.patch(f"/api/collections/blueprints/records/{nginx['id']}", json={"name": "mine"})
    assert changed.status_code == 404  # visible, but not hers to change


async def test_private_blueprints_are_shared_by_link(platform: Platform) -> None:
    alice, bob, carol = [await platform.new_user(n) for n in ("alice", "bob", "carol")]
    private = await create(alice, "blueprints", name="internal", manifest=rollout_manifest(), private=True)
    assert private["owner"] == alice.id
    assert private["users"] == []
    path = f"/api/collections/blueprints/records/{private['id']}"
    assert (await bob.client.get(path)).status_code == 404
    assert (await bob.client.get(f"/pb/blueprints/{private['id']}")).status_code == 404

    shared = await bob.client.post(f"/pb/blueprints/shared/{private['id']}")
    assert shared.status_code == 200, shared.text
    assert shared.json()["users"] == [bob.id]
    again = await bob.client.post(f"/pb/blueprints/shared/{private['id']}")
    assert again.json()["users"] == [bob.id]  # idempotent
    by_owner = await alice.client.post(f"/pb/blueprints/shared/{private['id']}")
    assert by_owner.json()["users"] == [bob.id]  # the owner's blueprint stays as it is

    assert (await bob.client.get(path)).status_code == 200
    assert (await bob.client.get(f"/pb/blueprints/{private['id']}")).json()["name"] == "internal"
    assert (await carol.client.get(path)).status_code == 404
    # Shared users may use it, not change it.
    assert (await bob.client.patch(path, json={"name": "taken"})).status_code == 404

    # Carol joins by the link too; the owner sees who it is shared with (their ids) and removes them with
    # PocketBase's modifiers, but adds no one (tests/records/test_blueprint_privacy.py).
    assert (await carol.client.post(f"/pb/blueprints/shared/{private['id']}")).status_code == 200
    assert (await alice.client.get(path)).json()["users"] == [bob.id, carol.id]
    # A shared user sees itself only among them.
    assert (await carol.client.get(path)).json()["users"] == [carol.id]
    removed = await alice.client.patch(path, json={"users-": [bob.id]})
    assert removed.json()["users"] == [carol.id]
    assert (await bob.client.get(path)).status_code == 404
    unknown = await alice.client.patch(path, json={"users+": "zzzzzzzzzzzzzzz"})
    assert unknown.status_code == 400
    assert unknown.json()["data"]["users"]["code"] == "validation_join_by_link"
    # Shared users never see others' details.
    seen = (await carol.client.get(path, params={"expand": "owner,users"})).json()
    assert "owner" not in seen.get("expand", {})
