"""People are private: whom a blueprint is shared with is its owner's to know, and users join a blueprint only
through its share link (themselves), so no one can put a blueprint into someone else's list or learn who they
are from it. Expanding or filtering through a relation to users shows oneself only (superusers: everyone)."""

from __future__ import annotations

from typing import Any

import orjson

from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.sse import RealtimeConnection
from oneclick_testing.waiting import eventually

Json = dict[str, Any]
LIST = "/api/collections/blueprints/records"
JOIN_BY_LINK = "validation_join_by_link"


async def shared(owner: User, *subscribers: User, private: bool = False, name: str = "team") -> Json:
    """A blueprint of ``owner`` that each of ``subscribers`` added to their own list through its link."""
    blueprint = await create(owner, "blueprints", name=name, manifest=rollout_manifest(), private=private)
    for user in subscribers:
        response = await user.client.post(f"/pb/blueprints/shared/{blueprint['id']}")
        assert response.status_code == 200, response.text
    return blueprint


async def items(user: User, collection: str = "blueprints", **params: str) -> list[Json]:
    response = await user.client.get(f"/api/collections/{collection}/records", params=params)
    assert response.status_code == 200, response.text
    found: list[Json] = response.json()["items"]
    return found


async def expanded_users(user: User, blueprint_id: str) -> list[str]:
    response = await user.client.get(f"{LIST}/{blueprint_id}", params={"expand": "users"})
    assert response.status_code == 200, response.text
    return [u["id"] for u in response.json().get("expand", {}).get("users", [])]


async def test_a_new_blueprint_is_shared_with_no_one(platform: Platform) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    manifest = rollout_manifest()
    for data in ({"users": [bob.id]}, {"users+": bob.id}, {"+users": [bob.id]}, {"users": [alice.id, bob.id]}):
        refused = await alice.client.post(LIST, json={"name": "unsolicited", "manifest": manifest, **data})
        assert refused.status_code == 400, (data, refused.text)
        assert refused.json()["data"]["users"]["code"] == JOIN_BY_LINK
    # The same through a form, as the SDK sends records with files.
    form = await alice.client.post(
        LIST, data={"name": "unsolicited", "manifest": orjson.dumps(manifest).decode(), "users": bob.id}
    )
    assert form.status_code == 400, form.text
    assert form.json()["data"]["users"]["code"] == JOIN_BY_LINK
    assert await items(bob, filter="name = 'unsolicited'") == []
    assert await items(alice, filter="name = 'unsolicited'") == []

    empty = await create(alice, "blueprints", name="empty", manifest=manifest, users=[])
    assert empty["users"] == []
    # Superusers may set anything (they repair records on anyone's behalf).
    root = await platform.superuser()
    repaired = await create(root, "blueprints", name="repaired", manifest=manifest, owner=alice.id, users=[bob.id])
    assert repaired["users"] == [bob.id]


async def test_the_owner_only_removes_and_a_subscriber_only_leaves(platform: Platform) -> None:
    alice, bob, carol, dave = [await platform.new_user(n) for n in ("alice", "bob", "carol", "dave")]
    private = await shared(alice, bob, carol, private=True)
    path = f"{LIST}/{private['id']}"
    for change in (
        {"users+": dave.id},
        {"+users": dave.id},
        {"users": [bob.id, carol.id, dave.id]},
        {"users": [dave.id]},
    ):
        refused = await alice.client.patch(path, json=change)
        assert refused.status_code == 400, (change, refused.text)
        assert refused.json()["data"]["users"]["code"] == JOIN_BY_LINK
    assert (await dave.client.get(path)).status_code == 404
    # A subscriber cannot change the blueprint at all (it is the owner's), not even its users.
    assert (await bob.client.patch(path, json={"users-": carol.id})).status_code == 404

    removed = await alice.client.patch(path, json={"users-": bob.id})
    assert removed.status_code == 200, removed.text
    assert removed.json()["users"] == [carol.id]
    assert (await bob.client.get(path)).status_code == 404

    left = await carol.client.delete(f"/pb/blueprints/shared/{private['id']}")
    assert left.status_code == 200, left.text
    assert left.json()["id"] == private["id"]
    assert left.json()["users"] == []
    assert (await alice.client.get(path)).json()["users"] == []
    assert (await carol.client.get(path)).status_code == 404
    # Gone from view: leaving again is a 404 like any blueprint one may not see.
    assert (await carol.client.delete(f"/pb/blueprints/shared/{private['id']}")).status_code == 404
    assert (await dave.client.delete(f"/pb/blueprints/shared/{private['id']}")).status_code == 404
    assert (await platform.client.delete(f"/pb/blueprints/shared/{private['id']}")).status_code == 401
    assert (
        await (await platform.superuser()).client.delete(f"/pb/blueprints/shared/{private['id']}")
    ).status_code == 400
    assert (await alice.client.delete(f"/pb/blueprints/shared/{private['id']}")).json()["users"] == []

    # A public blueprint stays in view after leaving it: leaving again changes nothing.
    public = await shared(alice, dave, carol)
    for _ in range(2):
        again = await dave.client.delete(f"/blueprints/shared/{public['id']}")
        assert again.status_code == 200, again.text
        assert again.json()["users"] == []
    assert (await alice.client.get(f"{LIST}/{public['id']}")).json()["users"] == [carol.id]


async def test_no_one_but_the_owner_sees_the_subscribers(platform: Platform) -> None:
    alice, bob, carol, dave = [await platform.new_user(n) for n in ("alice", "bob", "carol", "dave")]
    public = await shared(alice, bob, carol, name="community")
    path = f"{LIST}/{public['id']}"
    by_id = f"id = '{public['id']}'"

    for viewer, expected in ((bob, [bob.id]), (carol, [carol.id]), (dave, [])):
        assert (await viewer.client.get(path)).json()["users"] == expected
        assert [b["users"] for b in await items(viewer, filter=by_id)] == [expected]
        assert (await viewer.client.get(f"/pb/blueprints/{public['id']}")).json()["users"] == expected
        assert (await viewer.client.get(path, params={"fields": "users"})).json() == {"users": expected}
        assert await items(viewer, filter=by_id, fields="id,users") == [{"id": public["id"], "users": expected}]
        # Filters read the same list: they tell nothing about the others either.
        for other in (bob, carol):
            if other is not viewer:
                for text in (f"users ?= '{other.id}'", f"users.id ?= '{other.id}'", f"users ~ '{other.id}'"):
                    assert await items(viewer, filter=f"{by_id} && {text}") == [], text
        assert await items(viewer, filter=f"{by_id} && users:length > 1") == []
    again = await bob.client.post(f"/pb/blueprints/shared/{public['id']}")
    assert again.json()["users"] == [bob.id]
    joined = await dave.client.post(f"/pb/blueprints/shared/{public['id']}")
    assert joined.json()["users"] == [dave.id]
    left = await dave.client.delete(f"/pb/blueprints/shared/{public['id']}")
    assert left.json()["users"] == []

    # The owner and superusers see every subscriber, and filter by them.
    root = await platform.superuser()
    for viewer in (alice, root):
        assert (await viewer.client.get(path)).json()["users"] == [bob.id, carol.id]
        assert [b["id"] for b in await items(viewer, filter=f"{by_id} && users ?= '{carol.id}'")] == [public["id"]]
        assert [b["id"] for b in await items(viewer, filter=f"{by_id} && users:length = 2")] == [public["id"]]

    # Through a deployment made from it: expand and filters through `blueprint` reach the same.
    project = await create(dave, "projects", name="from-community")
    deployment = await create(dave, "deployments", name="web", project=project["id"], blueprint=public["id"])
    seen = (
        await dave.client.get(
            f"/api/collections/deployments/records/{deployment['id']}", params={"expand": "blueprint"}
        )
    ).json()
    assert seen["expand"]["blueprint"]["users"] == []
    listed = await items(
        dave, "deployments", filter=f"id = '{deployment['id']}'", expand="blueprint", fields="expand.blueprint.users"
    )
    assert listed == [{"expand": {"blueprint": {"users": []}}}]
    for text in (f"blueprint.users ?= '{bob.id}'", f"blueprint.users.id ?= '{bob.id}'", "blueprint.users:length > 0"):
        assert await items(dave, "deployments", filter=text) == [], text
    assert await items(dave, "deployments", filter="blueprint.name = 'community'") != []
    own_project = await create(alice, "projects", name="own")
    own = await create(alice, "deployments", name="web", project=own_project["id"], blueprint=public["id"])
    assert [d["id"] for d in await items(alice, "deployments", filter=f"blueprint.users ?= '{bob.id}'")] == [own["id"]]
    assert (
        await alice.client.get(f"/api/collections/deployments/records/{own['id']}", params={"expand": "blueprint"})
    ).json()["expand"]["blueprint"]["users"] == [bob.id, carol.id]


async def test_expand_and_filter_through_users_show_oneself_only(platform: Platform) -> None:
    alice, bob, carol = [await platform.new_user(n) for n in ("alice", "bob", "carol")]
    private = await shared(alice, bob, carol, private=True)
    root = await platform.superuser()
    # Users' details come from the read-model fed by auth's events: wait until both arrived.
    await eventually(
        lambda: _equals(expanded_users(root, private["id"]), [bob.id, carol.id]),
        message="a superuser's expand=users never listed both users",
    )
    [item] = await items(root, filter=f"id = '{private['id']}'", expand="users")
    assert [u["name"] for u in item["expand"]["users"]] == ["bob", "carol"]  # in the relation's order

    # Nobody else learns a name: the owner sees the ids only, each subscriber itself only.
    assert await expanded_users(alice, private["id"]) == []
    assert await expanded_users(bob, private["id"]) == [bob.id]
    assert await expanded_users(carol, private["id"]) == [carol.id]
    viewed = (await bob.client.get(f"{LIST}/{private['id']}", params={"expand": "owner,users"})).json()
    assert "owner" not in viewed.get("expand", {})
    assert "carol" not in str(viewed)
    assert "alice" not in str(viewed)

    # Filters through the relation: other users' fields are not filterable at all but by superusers.
    for user in (alice, bob):
        refused = await user.client.get(LIST, params={"filter": "users.name = 'carol'"})
        assert refused.status_code == 400, refused.text
        refused = await user.client.get(LIST, params={"sort": "owner.name"})
        assert refused.status_code == 400, refused.text
    found = await items(root, filter=f"id = '{private['id']}' && users.name ?= 'carol'")
    assert [b["id"] for b in found] == [private["id"]]
    # Relation ids are: the owner finds its blueprint by a subscriber's id, a subscriber by its own only.
    assert [b["id"] for b in await items(alice, filter=f"users.id ?= '{carol.id}'")] == [private["id"]]
    assert [b["id"] for b in await items(bob, filter=f"users.id ?= '{bob.id}'")] == [private["id"]]
    assert await items(bob, filter=f"users.id ?= '{carol.id}'") == []


async def _equals(pending: Any, expected: list[str]) -> bool:
    return bool(await pending == expected)


async def test_realtime_messages_show_the_subscribers_to_the_owner_only(platform: Platform) -> None:
    alice, bob, carol, dave = [await platform.new_user(n) for n in ("alice", "bob", "carol", "dave")]
    public = await shared(alice, bob, carol, dave, name="live")
    topic = f"blueprints/{public['id']}"
    projected = f"{topic}?options={orjson.dumps({'query': {'fields': 'id,users'}}).decode()}"
    streams = {user.id: await RealtimeConnection.open(platform.client) for user in (alice, bob)}
    try:
        for user in (alice, bob):
            subscribed = await user.client.post(
                "/api/realtime", json={"clientId": streams[user.id].client_id, "subscriptions": [topic, projected]}
            )
            assert subscribed.status_code == 204, subscribed.text

        # An update (dave leaves) is read again for each recipient; a deletion comes from the event itself,
        # which holds every subscriber: both reach bob with himself only. (The shares' own updates may still
        # be on their way too: they are read as they are now, and hold no one else for bob either.)
        assert (await dave.client.delete(f"/pb/blueprints/shared/{public['id']}")).status_code == 200
        assert (await alice.client.delete(f"{LIST}/{public['id']}")).status_code == 204

        def deleted(user: User) -> bool:
            return all(any(m["action"] == "delete" for m in streams[user.id].events(t)) for t in (topic, projected))

        await eventually(lambda: deleted(alice) and deleted(bob), message="both hear of the deletion")
        for event, message in streams[bob.id].messages[1:]:
            assert message["record"]["users"] == [bob.id], (event, message)
        owners = {(event, m["action"]): m["record"] for event, m in streams[alice.id].messages[1:]}
        assert owners[(topic, "update")]["users"] == [bob.id, carol.id]
        assert owners[(topic, "delete")]["users"] == [bob.id, carol.id]
        assert owners[(projected, "delete")] == {"id": public["id"], "users": [bob.id, carol.id]}
        assert [m["record"] for m in streams[bob.id].events(projected) if m["action"] == "delete"] == [
            {"id": public["id"], "users": [bob.id]}
        ]
    finally:
        for stream in streams.values():
            await stream.close()
