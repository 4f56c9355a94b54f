"""The One-Click collections through the edge with PocketBase's REST semantics."""

from __future__ import annotations

import pytest

from oneclick_testing.platform import Platform, User


async def project(user: User, name: str = "shop", **fields: object) -> dict[str, object]:
    response = await user.client.post("/api/collections/projects/records", json={"name": name, **fields})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_create_view_update_delete_a_project(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    created = await project(alice, "shop", description="Our web shop", tags="web,prod")
    assert created["collectionName"] == "projects"
    assert created["user"] == alice.id  # set by the server
    assert len(str(created["id"])) == 15
    assert str(created["created"]).endswith("Z")
    assert created["avatar"] == ""

    viewed = (await alice.client.get(f"/api/collections/projects/records/{created['id']}")).json()
    assert viewed == created

    patched = await alice.client.patch(
        f"/api/collections/projects/records/{created['id']}", json={"description": "Still our shop"}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["description"] == "Still our shop"
    assert patched.json()["name"] == "shop"
    assert patched.json()["updated"] >= created["updated"]

    deleted = await alice.client.delete(f"/api/collections/projects/records/{created['id']}")
    assert deleted.status_code == 204
    gone = await alice.client.get(f"/api/collections/projects/records/{created['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"status": 404, "message": "The requested resource wasn't found.", "data": {}}


async def test_a_replaced_or_cleared_avatar_leaves_no_bytes_behind(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    made = await alice.client.post(
        "/api/collections/projects/records",
        data={"name": "logo"},
        files={"avatar": ("one.png", b"\x89PNG first", "image/png")},
    )
    assert made.status_code == 200, made.text
    record = made.json()
    first = record["avatar"]
    replaced = await alice.client.patch(
        f"/api/collections/projects/records/{record['id']}",
        files={"avatar": ("two.png", b"\x89PNG second", "image/png")},
    )
    assert replaced.status_code == 200, replaced.text
    second = replaced.json()["avatar"]
    cleared = await alice.client.patch(f"/api/collections/projects/records/{record['id']}", json={"avatar": ""})
    assert cleared.status_code == 200, cleared.text
    conn = await platform.database.connect()
    try:
        stored = await conn.fetch("SELECT name FROM records.files WHERE record_id = $1", record["id"])
    finally:
        await conn.close()
    assert first != second
    assert stored == []


async def test_validation_errors_are_per_field_and_nothing_is_written(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    response = await alice.client.post("/api/collections/projects/records", json={"description": "no name"})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Failed to create record."
    assert body["data"] == {"name": {"code": "validation_required", "message": "Cannot be blank."}}
    listed = (await alice.client.get("/api/collections/projects/records")).json()
    assert listed["totalItems"] == 0


async def test_owner_is_the_caller_and_cannot_be_someone_else(platform: Platform) -> None:
    alice, bob = await platform.new_user("alice"), await platform.new_user("bob")
    response = await alice.client.post("/api/collections/projects/records", json={"name": "x", "user": bob.id})
    assert response.status_code == 400
    assert response.json()["data"]["user"]["code"] == "validation_owner_mismatch"
    mine = await alice.client.post("/api/collections/projects/records", json={"name": "x", "user": alice.id})
    assert mine.status_code == 200
    moved = await alice.client.patch(f"/api/collections/projects/records/{mine.json()['id']}", json={"user": bob.id})
    assert moved.status_code == 400
    assert moved.json()["data"]["user"]["code"] == "validation_immutable"


async def test_anonymous_requests_are_refused(platform: Platform) -> None:
    response = await platform.client.get("/api/collections/projects/records")
    assert response.status_code == 401
    assert response.json()["status"] == 401


async def test_list_paging_sorting_filtering_and_fields(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    for name in ("b-shop", "a-blog", "c-api", "d-docs", "e-wiki"):
        await project(alice, name, tags="prod" if name in ("b-shop", "c-api") else "dev")
    first = (await alice.client.get("/api/collections/projects/records", params={"perPage": 2, "sort": "name"})).json()
    assert (first["page"], first["perPage"], first["totalItems"], first["totalPages"]) == (1, 2, 5, 3)
    assert [p["name"] for p in first["items"]] == ["a-blog", "b-shop"]
    third = (
        await alice.client.get("/api/collections/projects/records", params={"perPage": 2, "page": 3, "sort": "-name"})
    ).json()
    assert [p["name"] for p in third["items"]] == ["a-blog"]

    prod = (
        await alice.client.get("/api/collections/projects/records", params={"filter": "tags = 'prod' && name ~ 'shop'"})
    ).json()
    assert [p["name"] for p in prod["items"]] == ["b-shop"]

    skipped = (
        await alice.client.get("/api/collections/projects/records", params={"skipTotal": "1", "sort": "-created,name"})
    ).json()
    assert (skipped["totalItems"], skipped["totalPages"]) == (-1, -1)
    assert [p["name"] for p in skipped["items"]] == ["e-wiki", "d-docs", "c-api", "a-blog", "b-shop"]

    picked = (
        await alice.client.get("/api/collections/projects/records", params={"fields": "id,name", "perPage": 1})
    ).json()
    assert set(picked["items"][0]) == {"id", "name"}


@pytest.mark.parametrize("bad", ["name = ", "nosuchfield = 1", "name = 'x' &&", "(name = 'x'", "name ~~ 'x'"])
async def test_bad_filters_are_400(platform: Platform, bad: str) -> None:
    alice = await platform.new_user("alice")
    response = await alice.client.get("/api/collections/projects/records", params={"filter": bad})
    assert response.status_code == 400, response.text
    assert response.json()["status"] == 400


async def test_unknown_collection_is_404(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    response = await alice.client.get("/api/collections/nope/records")
    assert response.status_code == 404
    assert response.json()["message"] == "Missing collection context."


async def test_deployment_relations_and_expand(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    shop = await project(alice, "shop")
    created = await alice.client.post(
        "/api/collections/deployments/records",
        params={"expand": "project,blueprint"},
        json={"name": "web", "project": shop["id"], "blueprint": "bpnginx00000000"},
    )
    assert created.status_code == 200, created.text
    deployment = created.json()
    assert deployment["expand"]["project"]["name"] == "shop"
    assert deployment["expand"]["blueprint"]["name"] == "nginx"
    listed = (
        await alice.client.get(
            "/api/collections/deployments/records",
            params={"expand": "project", "filter": "project.name = 'shop'", "fields": "id,expand.project.name"},
        )
    ).json()
    assert listed["items"] == [{"id": deployment["id"], "expand": {"project": {"name": "shop"}}}]
    missing = await alice.client.post(
        "/api/collections/deployments/records", json={"name": "web", "project": "zzzzzzzzzzzzzzz"}
    )
    assert missing.status_code == 400
    assert missing.json()["data"]["project"]["code"] == "validation_missing_rel_records"
