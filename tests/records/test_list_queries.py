"""PocketBase's list query parameters over HTTP through the edge: nested and array expands, ``@random``,
``fields`` with ``*`` and expand paths, paging defaults and the perPage ceiling, ``skipTotal``."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import asyncpg

from oneclick_testing.platform import Platform, User
from oneclick_testing.records import create, rollout_manifest
from oneclick_testing.waiting import eventually

from .helpers import deployment, rollout

LIST = "/api/collections/{}/records"


async def listed(user: User, collection: str, **params: object) -> dict[str, Any]:
    response = await user.client.get(LIST.format(collection), params={k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_nested_expand_through_two_relations(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice, "nested")
    first = await rollout(alice, project, web, "1.25")
    body = await listed(alice, "rollouts", filter=f"deployment = '{web['id']}'", expand="deployment.project")
    [item] = body["items"]
    assert item["id"] == first["id"]
    expanded = item["expand"]["deployment"]
    assert expanded["id"] == web["id"]
    assert expanded["name"] == "nested"
    assert expanded["expand"]["project"]["id"] == project["id"]
    assert expanded["expand"]["project"]["name"] == "nested-project"
    # Only what was asked for: the rollout's own project relation stays unexpanded.
    assert set(item["expand"]) == {"deployment"}

    # The same through a single-record view, together with a sibling relation.
    viewed = await alice.client.get(
        f"{LIST.format('rollouts')}/{first['id']}", params={"expand": "project,deployment.project"}
    )
    assert viewed.status_code == 200, viewed.text
    assert viewed.json()["expand"]["project"]["name"] == "nested-project"
    assert viewed.json()["expand"]["deployment"]["expand"]["project"]["id"] == project["id"]


async def _users_expanded(user: User, blueprint_id: str) -> list[str]:
    response = await user.client.get(f"{LIST.format('blueprints')}/{blueprint_id}", params={"expand": "users"})
    assert response.status_code == 200, response.text
    return [u["id"] for u in response.json().get("expand", {}).get("users", [])]


async def _equals(pending: Awaitable[list[str]], expected: list[str]) -> bool:
    return await pending == expected


async def test_relation_array_expand_lists_every_user_in_order(platform: Platform) -> None:
    alice, bob, carol = [await platform.new_user(n) for n in ("alice", "bob", "carol")]
    private = await create(alice, "blueprints", name="team", manifest=rollout_manifest(), private=True)
    for user in (carol, bob):
        assert (await user.client.post(f"/pb/blueprints/shared/{private['id']}")).status_code == 200
    # Only a superuser sees other users through a relation (tests/records/test_blueprint_privacy.py).
    root = await platform.superuser()
    # Users' details come from the read-model fed by auth's events: wait until both arrived.
    await eventually(
        lambda: _equals(_users_expanded(root, private["id"]), [carol.id, bob.id]),
        message="expand=users never listed both users",
    )
    body = await listed(root, "blueprints", filter=f"id = '{private['id']}'", expand="users")
    [item] = body["items"]
    users = item["expand"]["users"]
    assert isinstance(users, list)
    assert [u["id"] for u in users] == [carol.id, bob.id]  # in the relation's order
    assert {u["collectionName"] for u in users} == {"users"}
    assert [u["name"] for u in users] == ["carol", "bob"]
    assert {u["email"] for u in users} == {carol.email, bob.email}  # a superuser's view is whole


async def test_random_sort_returns_the_same_set(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    names = [f"r{n:02}" for n in range(12)]
    for name in names:
        await create(alice, "projects", name=name)
    ordered = await listed(alice, "projects", sort="name")
    assert [p["name"] for p in ordered["items"]] == names
    for _ in range(3):
        shuffled = await listed(alice, "projects", sort="@random")
        assert shuffled["totalItems"] == len(names)
        ids = [p["id"] for p in shuffled["items"]]
        assert len(ids) == len(set(ids))
        assert sorted(ids) == sorted(p["id"] for p in ordered["items"])
    # After a field, @random only breaks ties: unique names keep their order.
    combined = await listed(alice, "projects", sort="-name,@random")
    assert [p["name"] for p in combined["items"]] == names[::-1]


async def test_fields_star_and_expand_paths(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    project, web = await deployment(alice, "fields")
    full = (await listed(alice, "deployments", filter=f"id = '{web['id']}'"))["items"][0]
    star = (await listed(alice, "deployments", filter=f"id = '{web['id']}'", fields="*"))["items"][0]
    assert star == full

    picked = (
        await listed(
            alice, "deployments", filter=f"id = '{web['id']}'", expand="project", fields="*,expand.project.name"
        )
    )["items"][0]
    assert {k: v for k, v in picked.items() if k != "expand"} == full
    assert picked["expand"] == {"project": {"name": "fields-project"}}

    only_nested = await listed(
        alice, "rollouts", expand="deployment.project", fields="id,expand.deployment.expand.project.name"
    )
    assert only_nested["items"] == []  # no rollouts yet: the projection does not invent items
    created = await rollout(alice, project, web)
    only_nested = await listed(
        alice,
        "rollouts",
        filter=f"deployment = '{web['id']}'",
        expand="deployment.project",
        fields="id,expand.deployment.expand.project.name",
    )
    assert only_nested["items"] == [
        {"id": created["id"], "expand": {"deployment": {"expand": {"project": {"name": "fields-project"}}}}}
    ]


async def test_default_page_size_is_30(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    for n in range(31):
        await create(alice, "projects", name=f"d{n:02}")
    first = await listed(alice, "projects", sort="name")
    assert (first["page"], first["perPage"], first["totalItems"], first["totalPages"]) == (1, 30, 31, 2)
    assert len(first["items"]) == 30
    # perPage=0 or a negative one falls back to the default, as in PocketBase.
    assert (await listed(alice, "projects", perPage=0))["perPage"] == 30
    assert (await listed(alice, "projects", perPage=-5))["perPage"] == 30
    second = await listed(alice, "projects", sort="name", page=2)
    assert [p["name"] for p in second["items"]] == ["d30"]


async def test_per_page_is_capped_at_1000(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    # 1001 rows written straight into the records schema: creating them one request at a time would only
    # slow the test down; what is under test is how the list endpoint pages them.
    db = await asyncpg.connect(platform.database.url)
    try:
        await db.execute(
            'INSERT INTO records.projects (id, name, "user", created, updated) '
            "SELECT lpad(n::text, 15, 'c'), 'cap' || lpad(n::text, 4, '0'), $1, now(), now() "
            "FROM generate_series(1, 1001) n",
            alice.id,
        )
    finally:
        await db.close()
    # PocketBase clamps a larger perPage to its MaxPerPage (1000) instead of refusing it.
    capped = await listed(alice, "projects", perPage=5000, sort="name")
    assert (capped["perPage"], capped["totalItems"], capped["totalPages"]) == (1000, 1001, 2)
    assert len(capped["items"]) == 1000
    rest = await listed(alice, "projects", perPage=5000, sort="name", page=2)
    assert [p["name"] for p in rest["items"]] == ["cap1001"]


async def test_skip_total_reports_minus_one_and_still_pages(platform: Platform) -> None:
    alice = await platform.new_user("alice")
    for name in ("s1", "s2", "s3"):
        await create(alice, "projects", name=name)
    for flag in ("true", "1", "t"):
        skipped = await listed(alice, "projects", skipTotal=flag, perPage=2, page=2, sort="name")
        assert (skipped["page"], skipped["perPage"], skipped["totalItems"], skipped["totalPages"]) == (2, 2, -1, -1)
        assert [p["name"] for p in skipped["items"]] == ["s3"]
    counted = await listed(alice, "projects", skipTotal="false", perPage=2)
    assert (counted["totalItems"], counted["totalPages"]) == (3, 2)
    bad = await alice.client.get(LIST.format("projects"), params={"skipTotal": "maybe"})
    assert bad.status_code == 400
