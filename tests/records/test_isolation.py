"""Tenant isolation: user B sees and changes none of user A's records, through any door."""

from __future__ import annotations

import base64
from collections.abc import Awaitable
from typing import Any

from oneclick_testing.platform import Platform
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

from .helpers import deployment, rollout


async def _has_user(pending: Awaitable[dict[str, Any]]) -> bool:
    return "user" in (await pending).get("expand", {})


# A 1x1 transparent PNG.
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


async def test_another_user_gets_nothing(platform: Platform) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    project, web = await deployment(alice, "secret")
    run = await rollout(alice, project, web)
    auto = await create(alice, "autoUpdates", project=project["id"], deployment=web["id"], interval="5m")
    records = {"projects": project, "deployments": web, "rollouts": run, "autoUpdates": auto}

    for collection, record in records.items():
        listed = (await bob.client.get(f"/api/collections/{collection}/records")).json()
        assert listed["items"] == [], collection
        assert listed["totalItems"] == 0
        assert (await bob.client.get(f"/api/collections/{collection}/records/{record['id']}")).status_code == 404
        changed = await bob.client.patch(f"/api/collections/{collection}/records/{record['id']}", json={"name": "x"})
        assert changed.status_code == 404
        assert (await bob.client.delete(f"/api/collections/{collection}/records/{record['id']}")).status_code == 404

    # A record of one's own cannot point at someone else's.
    attached = await bob.client.post(
        "/api/collections/deployments/records", json={"name": "mine", "project": project["id"]}
    )
    assert attached.status_code == 400
    assert attached.json()["data"]["project"]["code"] == "validation_missing_rel_records"
    mine = await create(bob, "projects", name="mine")
    own = await create(bob, "deployments", name="mine", project=mine["id"])
    sneaky = await bob.client.post(
        "/api/collections/rollouts/records",
        json={"project": mine["id"], "deployment": web["id"], "manifest": run["manifest"]},
    )
    assert sneaky.status_code == 400

    # Expand shows one's own records; users come from a read-model fed by auth's events, so wait for it.
    async def expanded() -> dict[str, Any]:
        body: dict[str, Any] = (
            await bob.client.get(f"/api/collections/deployments/records/{own['id']}", params={"expand": "project,user"})
        ).json()
        return body

    await eventually(lambda: _has_user(expanded()), message="bob never reached the users read-model")
    expansion = (await expanded())["expand"]
    assert expansion["project"]["id"] == mine["id"]
    assert expansion["user"]["id"] == bob.id
    assert expansion["user"]["email"] == bob.email

    # Alice's records are untouched.
    assert (await alice.client.get(f"/api/collections/projects/records/{project['id']}")).json()[
        "name"
    ] == "secret-project"


async def test_relation_paths_read_nothing_of_a_record_the_rule_hides(platform: Platform) -> None:
    """Bob's deployment keeps pointing at Alice's private blueprint after she stops sharing it: filters, sorts
    and expand through that relation must then read nothing of it (PocketBase applies the related
    collection's view rule to every relation it follows)."""
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    private = await create(
        alice, "blueprints", name="alice-internal", private=True, manifest=rollout_manifest("9.9-secret")
    )
    assert (await bob.client.post(f"/pb/blueprints/shared/{private['id']}")).status_code == 200
    project = await create(bob, "projects", name="bobs")
    mine = await create(bob, "deployments", name="from-shared", project=project["id"], blueprint=private["id"])
    other = await create(bob, "deployments", name="plain", project=project["id"])

    async def bobs(params: dict[str, str]) -> list[str]:
        listed = await bob.client.get("/api/collections/deployments/records", params=params)
        assert listed.status_code == 200, listed.text
        return [item["id"] for item in listed.json()["items"]]

    reads = {"filter": "blueprint.name = 'alice-internal'"}
    through_json = {"filter": "blueprint.manifest.spec.image.tag ~ 'secret'"}
    # While it is shared with him, Bob reads it like any record he may see.
    assert await bobs(reads) == [mine["id"]]
    assert await bobs(through_json) == [mine["id"]]
    assert await bobs({"filter": "blueprint.name != ''"}) == [mine["id"]]
    assert await bobs({"sort": "-blueprint.name,name"}) == [mine["id"], other["id"]]

    unshared = await alice.client.patch(f"/api/collections/blueprints/records/{private['id']}", json={"users-": bob.id})
    assert unshared.json()["users"] == []
    # Now the relation still holds the id (his own field) but nothing behind it.
    assert await bobs({"filter": f"blueprint = '{private['id']}'"}) == [mine["id"]]
    assert await bobs(reads) == []
    assert await bobs(through_json) == []
    assert await bobs({"filter": "blueprint.name != ''"}) == []
    assert await bobs({"filter": "blueprint.name = '' && blueprint != ''"}) == [mine["id"]]
    # Sorting by the hidden name orders it as if empty: it no longer tells "alice-internal" from nothing.
    assert await bobs({"sort": "blueprint.name,-name"}) == [other["id"], mine["id"]]
    assert await bobs({"sort": "-blueprint.name,-name"}) == [other["id"], mine["id"]]
    viewed = (
        await bob.client.get(f"/api/collections/deployments/records/{mine['id']}", params={"expand": "blueprint"})
    ).json()
    assert viewed["blueprint"] == private["id"]
    assert "blueprint" not in viewed.get("expand", {})
    assert "9.9-secret" not in str(viewed)


async def test_files_are_served_to_the_owner_only(platform: Platform) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    created = await alice.client.post(
        "/api/collections/projects/records",
        data={"name": "with avatar"},
        files={"avatar": ("Logo.PNG", PIXEL, "image/png")},
    )
    assert created.status_code == 200, created.text
    project = created.json()
    name = project["avatar"]
    assert name.startswith("logo_")
    assert name.endswith(".png")
    path = f"/api/files/projects/{project['id']}/{name}"
    own = await alice.client.get(path)
    assert own.status_code == 200
    assert own.content == PIXEL
    assert own.headers["content-type"] == "image/png"
    # The browser way: the token in the query string.
    assert (await platform.client.get(path, params={"token": alice.token})).status_code == 200
    assert (await bob.client.get(path)).status_code == 404
    assert (await platform.client.get(path)).status_code == 401

    not_an_image = await alice.client.post(
        "/api/collections/projects/records",
        data={"name": "x"},
        files={"avatar": ("evil.html", b"<script>", "text/html")},
    )
    assert not_an_image.status_code == 400
    assert not_an_image.json()["data"]["avatar"]["code"] == "validation_invalid_mime_type"

    replaced = await alice.client.patch(
        f"/api/collections/projects/records/{project['id']}", files={"avatar": ("new.png", PIXEL, "image/png")}
    )
    assert replaced.json()["avatar"] != name
    assert (await alice.client.get(path)).status_code == 404  # the old file is gone with its name


async def test_superuser_sees_everything(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project = await create(alice, "projects", name="audited")
    root = await platform.superuser()
    found = await root.client.get(f"/api/collections/projects/records/{project['id']}")
    assert found.status_code == 200
    listed = (
        await root.client.get("/api/collections/projects/records", params={"filter": f"user = '{alice.id}'"})
    ).json()
    assert [p["id"] for p in listed["items"]] == [project["id"]]


async def test_a_large_avatar_travels_through_the_bus(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    big = PIXEL + b"\0" * (3 * 1024 * 1024)  # 3 MB: above NATS's 1 MB default message size
    created = await alice.client.post(
        "/api/collections/projects/records",
        data={"name": "big avatar"},
        files={"avatar": ("big.png", big, "image/png")},
    )
    assert created.status_code == 200, created.text
    served = await alice.client.get(f"/api/files/projects/{created.json()['id']}/{created.json()['avatar']}")
    assert served.content == big
    too_big = await alice.client.post(
        "/api/collections/projects/records",
        data={"name": "too big"},
        files={"avatar": ("huge.png", PIXEL + b"\0" * (6 * 1024 * 1024), "image/png")},
    )
    assert too_big.status_code == 413
