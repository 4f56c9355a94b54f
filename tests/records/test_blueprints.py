"""Blueprints: community ones for everyone, private ones for their owner and the users they are shared with."""

from __future__ import annotations

from collections.abc import Awaitable

import httpx

from oneclick_testing.platform import Platform
from oneclick_testing.waiting import eventually

from .helpers import create, manifest


async def _succeeds(pending: Awaitable[httpx.Response]) -> bool:
    return (await pending).status_code == 200


async def test_community_blueprints_are_seeded_and_visible_to_everyone(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    listed = (await alice.client.get("/api/collections/blueprints/records",
                                     params={"filter": "private = false", "sort": "name"})).json()
    names = [b["name"] for b in listed["items"]]
    assert {"nginx", "Node-RED", "PocketBase"} <= set(names)
    nginx = next(b for b in listed["items"] if b["name"] == "nginx")
    assert nginx["manifest"]["spec"]["image"]["repository"] == "library/nginx"
    changed = await alice.client.patch(f"/api/collections/blueprints/records/{nginx['id']}", json={"name": "mine"})
    assert changed.status_code == 404  # visible, but not hers to change


async def test_private_blueprints_are_shared_by_link(platform: Platform) -> None:
    alice, bob, carol = [await platform.new_user(n) for n in ("alice", "bob", "carol")]
    private = await create(alice, "blueprints", name="internal", manifest=manifest(), private=True)
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

    # The owner manages the list with PocketBase's modifiers, and sees who it is shared with.
    # Records knows users from auth's events: a user who signed up a moment ago may take a moment to appear.
    async def add_carol() -> httpx.Response:
        return await alice.client.patch(path, params={"expand": "users"}, json={"users+": carol.id})

    await eventually(lambda: _succeeds(add_carol()), message="carol never reached the users read-model")
    added = await add_carol()  # idempotent: she is in the list once
    assert added.json()["users"] == [bob.id, carol.id]
    assert {u["id"] for u in added.json()["expand"]["users"]} == {bob.id, carol.id}
    removed = await alice.client.patch(path, json={"users-": [bob.id]})
    assert removed.json()["users"] == [carol.id]
    assert (await bob.client.get(path)).status_code == 404
    unknown = await alice.client.patch(path, json={"users+": "zzzzzzzzzzzzzzz"})
    assert unknown.status_code == 400
    assert unknown.json()["data"]["users"]["code"] == "validation_missing_rel_records"
    # Shared users only ever see others' ids, never their details.
    seen = (await carol.client.get(path, params={"expand": "owner,users"})).json()
    assert "owner" not in seen.get("expand", {})
